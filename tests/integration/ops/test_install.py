"""deploy/install.sh, run twice in a throwaway root, then the installed files checked by the
real tools: `systemd-analyze verify` (units, timers, hardening drop-in) and `nginx -t` (site).

What runs for real: user and group creation (useradd --prefix into the staged /etc), the
directories and their owners, a venv with this checkout installed (pip builds and installs its
wheel and the ``[deploy]`` extra), the configuration and secrets, a self-signed certificate, the
PostgreSQL role and database on the session's cluster and the migrations. Skipped in a staged
root (``--root``): apt-get and systemctl.

The one shortcut: pip finds the project's declared dependencies already installed. Downloading
and unpacking ~90 distributions took 60 s of CPU and 30 s of network per run; instead the venv
install.sh makes sees, through a ``.pth`` file, links to the test environment's copies of
exactly the distributions ``pyproject.toml`` declares (and what they require, transitively), so
a dependency used but not declared still breaks the installed commands below. gunicorn (the
``[deploy]`` extra) is left out of the links: pip installs it, with its command.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
import uuid
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.conftest import require
from tests.integration.ops.deploy_helpers import DEPLOY, nginx_bin, nginx_main_conf

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

UNITS = [
    "thermowatch-api@8001.service",
    "thermowatch-monitor@1.service",
    "thermowatch-scheduler.service",
    "thermowatch-worker.service",
    "thermowatch-backup.service",
    "thermowatch-backup.timer",
    "thermowatch-retention.service",
    "thermowatch-retention.timer",
    "thermowatch-outbox.service",
    "thermowatch-outbox.timer",
    "thermowatch-doctor.service",
    "thermowatch-doctor.timer",
    "thermowatch.target",
]


def manifest(root: Path) -> dict[str, tuple]:
    """Every path under ``root`` with its type, mode, owner and content digest."""
    out: dict[str, tuple] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = Path(dirpath) / name
            if p.suffix == ".pyc" or "__pycache__" in p.parts:
                continue
            st = p.lstat()
            if p.is_symlink():
                out[str(p.relative_to(root))] = ("link", str(p.readlink()))
            elif p.is_file():
                digest = hashlib.sha256(p.read_bytes()).hexdigest()
                out[str(p.relative_to(root))] = ("file", st.st_mode, st.st_uid, st.st_gid, digest)
            else:
                out[str(p.relative_to(root))] = ("dir", st.st_mode, st.st_uid, st.st_gid)
    return out


def declared_closure(pyproject: Path, leave_out: set[str]) -> list:  # type: ignore[type-arg]
    """The installed distributions that the project's dependencies name, and what they require
    (extras and environment markers honoured), transitively; ``leave_out`` (canonical names) and
    what only they require are not followed."""
    todo = [Requirement(r) for r in tomllib.loads(pyproject.read_text())["project"]["dependencies"]]
    done: dict[str, set[str]] = {}  # name -> extras followed
    dists = {}
    while todo:
        req = todo.pop()
        name = canonicalize_name(req.name)
        if name in leave_out or (req.marker and not req.marker.evaluate({"extra": ""})):
            continue
        extras = set(req.extras)
        if name in done and extras <= done[name]:
            continue
        done[name] = done.get(name, set()) | extras
        try:
            dists[name] = dist = distribution(name)
        except PackageNotFoundError:
            continue  # pip installs it into the venv
        for text in dist.requires or []:
            sub = Requirement(text)
            wanted = ["", *sorted(done[name])]
            if sub.marker is None or any(sub.marker.evaluate({"extra": e}) for e in wanted):
                todo.append(Requirement(str(sub).split(";")[0]))
    return list(dists.values())


def dependency_links(folder: Path, leave_out: set[str]) -> Path:
    """A folder of links to the test environment's copies of the declared dependencies (their
    top-level modules and metadata), for a ``.pth`` file in the installed venv."""
    folder.mkdir(parents=True, exist_ok=True)
    for dist in declared_closure(DEPLOY.parent / "pyproject.toml", leave_out):
        site = Path(dist.locate_file(""))
        for top in {Path(f).parts[0] for f in dist.files or []} - {"..", "__pycache__"}:
            if (site / top).exists() and not (folder / top).exists():
                (folder / top).symlink_to(site / top)
    return folder


def venv_with_links(folder: Path, links: Path) -> Path:
    """What install.sh runs as ``$PYTHON -m venv DIR``: this Python's venv, plus a ``.pth``
    naming ``links`` in it."""
    script = folder / "python3"
    base = Path(sys.base_prefix) / "bin" / "python3"
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    script.write_text(
        "#!/bin/sh\nset -e\n"
        f'"{base}" "$@"\n'
        f'echo "{links}" > "$3/lib/{version}/site-packages/thermowatch-test-deps.pth"\n'
    )
    script.chmod(0o755)
    return script


@pytest.fixture(scope="module")
def installed(pg_cluster, tmp_path_factory):  # type: ignore[no-untyped-def]
    require(os.geteuid() == 0, "install.sh runs as root")
    require(shutil.which("useradd") is not None, "useradd (passwd package)")
    root = tmp_path_factory.mktemp("root")
    name = f"tw_{uuid.uuid4().hex[:8]}"
    url = f"postgresql+psycopg://{name}:s3cret@127.0.0.1:{pg_cluster.port}/{name}"
    env = dict(os.environ, PGHOST="127.0.0.1", PGPORT=str(pg_cluster.port), PGUSER="postgres")
    tools = tmp_path_factory.mktemp("install-tools")
    links = dependency_links(tools / "deps", leave_out={"thermowatch", "gunicorn"})
    env["PYTHON"] = str(venv_with_links(tools, links))
    env.pop("THERMOWATCH_DATABASE_URL", None)
    cmd = ["bash", str(DEPLOY / "install.sh"), "--root", str(root), "--no-apt",
           "--server-name", "thermowatch.test", "--database-url", url]  # fmt: skip
    first = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    after_first = manifest(root)
    second = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-3000:]
    return root, url, first.stdout, second.stdout, after_first


def test_install_twice_changes_nothing_the_second_time(installed) -> None:  # type: ignore[no-untyped-def]
    root, _url, first, second, after_first = installed
    n_first = int(re.search(r"install.sh: (\d+) changes", first).group(1))  # type: ignore[union-attr]
    assert n_first >= 20, first
    assert "install.sh: 0 changes" in second, second
    assert "changed:" not in second
    assert manifest(root) == after_first


def test_install_creates_user_dirs_secrets_and_migrated_database(installed) -> None:  # type: ignore[no-untyped-def]
    root, url, *_ = installed
    passwd = (root / "etc/passwd").read_text()
    line = next(x for x in passwd.splitlines() if x.startswith("thermowatch:"))
    uid = int(line.split(":")[2])
    assert line.endswith(":/var/lib/thermowatch:/usr/sbin/nologin")
    assert (root / "var/lib/thermowatch").stat().st_uid == uid
    env_file = root / "etc/thermowatch/thermowatch.env"
    assert oct(env_file.stat().st_mode & 0o777) == "0o640"
    secret = re.search(r"^THERMOWATCH_JWT_SECRET=(\w+)$", env_file.read_text(), re.M)
    assert secret and len(secret.group(1)) == 64
    assert f"THERMOWATCH_DATABASE_URL={url}" in env_file.read_text()
    # the installed package, at the migrations' head, in the database the URL names
    out = subprocess.run(
        [str(root / "opt/thermowatch/venv/bin/python"), "-c",
         "from thermowatch.store.engine import make_engine\n"
         "from thermowatch.store.migrate import current_revision, head_revision\n"
         f"print(current_revision(make_engine({url!r})) == head_revision())"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert out.stdout.strip() == "True"
    assert (root / "opt/thermowatch/venv/bin/gunicorn").exists()


def test_systemd_analyze_verify_passes_on_the_installed_units(installed) -> None:  # type: ignore[no-untyped-def]
    root, *_ = installed
    require(shutil.which("systemd-analyze") is not None, "systemd-analyze (package systemd)")
    # The staged root needs the distribution's own units and the binaries the units name.
    shutil.copytree("/lib/systemd/system", root / "lib/systemd/system", dirs_exist_ok=True,
                    symlinks=True)  # fmt: skip
    (root / "bin").mkdir(exist_ok=True)
    shutil.copy2("/bin/kill", root / "bin/kill")
    shutil.copy2("/bin/sh", root / "bin/sh")  # the worker's ExecCondition
    proc = subprocess.run(
        ["systemd-analyze", "verify", f"--root={root}", *UNITS],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    # The prefix drop-in reaches every thermowatch service: same hardening everywhere.
    sec = subprocess.run(
        ["systemd-analyze", "security", "--offline=true", f"--root={root}",
         "thermowatch-api@8001.service"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    score = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", sec.stdout + sec.stderr)
    assert score is not None, sec.stdout + sec.stderr
    assert float(score.group(1)) <= 3.0, sec.stdout  # "OK" or better (scale 0 .. 10)


def test_nginx_t_accepts_the_installed_site(installed, tmp_path) -> None:  # type: ignore[no-untyped-def]
    root, *_ = installed
    nginx = nginx_bin()
    require(nginx is not None, "nginx (apt-get install nginx)")
    # The site names /etc/thermowatch/tls and /var/log/nginx: point them into the staged root.
    site = (root / "etc/nginx/sites-enabled/thermowatch.conf").resolve(strict=False)
    text = (root / "etc/nginx/sites-available/thermowatch.conf").read_text()
    assert "server 127.0.0.1:8001" in text and "server 127.0.0.1:8002" in text
    text = text.replace("/etc/thermowatch/", f"{root}/etc/thermowatch/")
    text = text.replace("/var/log/nginx", str(tmp_path))
    site = tmp_path / "thermowatch.conf"
    site.write_text(text)
    proc = subprocess.run(
        [nginx, "-t", "-c", str(nginx_main_conf(tmp_path, site)), "-p", str(tmp_path)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "test is successful" in proc.stderr


def test_the_installed_backup_job_then_doctor_are_green(installed) -> None:  # type: ignore[no-untyped-def]
    """What thermowatch-backup.service then thermowatch-doctor.service run, paths in the root."""
    root, *_ = installed
    env = dict(os.environ)
    for line in (root / "etc/thermowatch/thermowatch.env").read_text().splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            env[key] = f"{root}{value}" if value.startswith("/") else value
    tw = str(root / "opt/thermowatch/venv/bin/thermowatch")
    backup = subprocess.run(
        [tw, "db", "backup", "--rotate", str(root / "var/backups/thermowatch"),
         "--models", str(root / "var/lib/thermowatch/models"), "--verify"],
        env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert backup.returncode == 0 and "verified" in backup.stdout, backup.stderr
    doctor = subprocess.run(
        [tw, "doctor", "--config", str(root / "etc/thermowatch/thermowatch.toml"), "--json",
         "--lang", "en", "--textfile", str(root / "thermowatch.prom")],
        env=env, capture_output=True, text=True, timeout=300, cwd=root,
    )  # fmt: skip
    doc = json.loads(doctor.stdout)
    verdicts = {c["check"]: c["verdict"] for c in doc["checks"]}
    assert doctor.returncode == 0 and not doc["failed"], doc
    assert verdicts["database"] == verdicts["backup"] == verdicts["certificates"] == "ok"
    assert verdicts["config"] == "ok"


def test_the_installed_api_unit_command_serves(installed, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """thermowatch-api@PORT's ExecStart and Environment, run as written (paths in the root)."""
    import time

    import httpx

    from tests.integration.ops.deploy_helpers import free_port, stop

    root, *_ = installed
    port = str(free_port())
    unit = (root / "etc/systemd/system/thermowatch-api@.service").read_text().replace("%i", port)
    env = dict(os.environ)
    for line in (root / "etc/thermowatch/thermowatch.env").read_text().splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            env[key] = f"{root}{value}" if value.startswith("/") else value
    for line in unit.splitlines():
        if line.startswith("Environment="):
            key, _, value = line.removeprefix("Environment=").partition("=")
            env[key] = f"{root}{value}" if value.startswith(("/etc", "/run")) else value
    Path(env["PROMETHEUS_MULTIPROC_DIR"]).mkdir(parents=True, exist_ok=True)
    # One worker (gunicorn.conf.py reads it; default: one per core): the test is that the unit's
    # command serves, and each worker costs ~2 CPU-s to start.
    env["THERMOWATCH_WORKERS"] = "1"
    exec_start = next(x for x in unit.splitlines() if x.startswith("ExecStart="))
    argv = [f"{root}{a}" if a.startswith("/opt/") else a
            for a in exec_start.removeprefix("ExecStart=").split()]  # fmt: skip
    log = tmp_path / "api.log"
    proc = subprocess.Popen(argv, env=env, cwd=root / "var/lib/thermowatch",
                            stdout=log.open("w"), stderr=subprocess.STDOUT)  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/health", timeout=2)
                break
            except httpx.HTTPError:
                assert proc.poll() is None, log.read_text()[-3000:]
                assert time.monotonic() < deadline, log.read_text()[-3000:]
                time.sleep(0.3)
        assert r.status_code == 200, r.text
        assert "gunicorn" in log.read_text().lower() or "Booting worker" in log.read_text()
    finally:
        stop(proc)
