"""The manuals: `mkdocs build --strict` in French and English, the generated reference, and
every command of the training exercises run as written (so the manuals cannot go stale)."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import re
import shutil
import signal
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.conftest import require
from tests.integration.ops.deploy_helpers import REPO, free_port

pytestmark = pytest.mark.slow
DOCS = REPO / "docs"


def bash_blocks(page: Path) -> list[str]:
    return re.findall(r"```bash\n(.*?)```", page.read_text(), re.S)


def test_mkdocs_builds_both_languages_strictly(tmp_path: Path) -> None:
    mkdocs = Path(sys.executable).with_name("mkdocs")
    require(mkdocs.exists(), "mkdocs (pip install mkdocs-material mkdocs-static-i18n)")
    proc = subprocess.run(
        [str(mkdocs), "build", "--strict", "-f", str(REPO / "mkdocs.yml"), "-d", str(tmp_path)],
        capture_output=True, text=True, timeout=300, cwd=REPO,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-4000:]
    fr = (tmp_path / "configuration" / "index.html").read_text()
    en = (tmp_path / "en" / "configuration" / "index.html").read_text()
    assert "Référence de configuration" in fr and "Configuration reference" in en
    from thermowatch.alerts.config import ActionConfig
    from thermowatch.ingest.config import SourceConfig
    from thermowatch.service.settings import Settings

    # generated from the code: every key is there, in both languages
    fields = dataclasses.fields(Settings) + dataclasses.fields(SourceConfig)
    for f in fields + dataclasses.fields(ActionConfig):
        if f.name != "networks":
            assert f"<code>{f.name}</code>" in fr and f"<code>{f.name}</code>" in en, f.name
    assert "THERMOWATCH_MONITOR_LEASE" in en
    assert "[[alerts.actions]]" in en and "cooldown_minutes" in fr
    phases = (tmp_path / "en" / "phases" / "index.html").read_text()
    assert "weeks observed" in phases and "<td>26</td>" in phases


def test_exercises_are_the_same_commands_in_both_languages() -> None:
    fr, en = bash_blocks(DOCS / "exercises.fr.md"), bash_blocks(DOCS / "exercises.en.md")
    assert fr == en and len(en) == 7


def run_block(block: str, workdir: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}:{os.environ['PATH']}")
    env.pop("THERMOWATCH_DATABASE_URL", None)
    # Each exercise its own data directory, as each trainee's machine: the monitor's spool is
    # there (a monitor of another exercise must not replay this one's readings).
    env["THERMOWATCH_HOME"] = str(workdir / "home")
    # Files, not pipes: a process the block leaves behind must not keep us waiting for EOF.
    out_path, err_path = workdir / "block.out", workdir / "block.err"
    with out_path.open("w") as out, err_path.open("w") as err:
        proc = subprocess.Popen(["bash", "-e", "-c", block], cwd=workdir, env=env, stdout=out,
                                stderr=err, start_new_session=True)  # fmt: skip
        try:
            code = proc.wait(timeout=180)
        except subprocess.TimeoutExpired:
            code = -1
        finally:
            # whatever the block left running (a failed step skips its `kill`) goes with it
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
    return subprocess.CompletedProcess(proc.args, code, out_path.read_text(),
                                       err_path.read_text())  # fmt: skip


def own_ports(block: str) -> str:
    """The block with each port it serves (``--port N``, also in the endpoints it names) moved
    to a free one: the only change to the manual's text, so that a run never collides with
    another run's (or another exercise's) server."""
    for port in set(re.findall(r"--port (\d+)", block)):
        block = re.sub(rf"\b{port}\b", str(free_port()), block)
    return block


def test_every_exercise_command_runs_as_written(tmp_path: Path) -> None:
    require(shutil.which("bash") is not None, "bash")
    setup, *exercises = bash_blocks(DOCS / "exercises.en.md")

    def one(i: int) -> tuple[Path, subprocess.CompletedProcess[str]]:
        d = tmp_path / f"ex{i}"
        d.mkdir()
        done = run_block(setup, d)
        assert done.returncode == 0 and "at revision" in done.stdout, done.stderr[-2000:]
        return d, run_block(own_ports(exercises[i]), d)

    # Three at a time, as trainees sharing a machine would: each exercise has its own folder,
    # data directory, database and ports, and most of its time is the manual's waits (about
    # 30 s each, 3 min in a row). Not all six at once: twelve processes starting together on
    # 2 loaded cores took 15 s to start a monitor, and the link-drop exercise needs its monitor
    # reading before the link drops; it starts first. The drop is 40 s after its simulator
    # starts (the manual's --fault-after): with 20 s, a monitor on 2 cores at load 16 had its
    # first data 3 s before the drop (17 s after the simulator started).
    order = sorted(range(len(exercises)), key=lambda i: "link-drop" not in exercises[i])
    with ThreadPoolExecutor(3) as pool:
        done = dict(zip(order, pool.map(one, order), strict=True))
    results = [done[i] for i in range(len(exercises))]
    for d, r in results:
        assert r.returncode == 0, f"{d.name}\n{r.stdout[-2000:]}\n{r.stderr[-3000:]}"
    cooling, overload, freeze, outage, linkdrop, action = results
    # The observations the manual promises:
    assert "possible cooling problem" in cooling[1].stdout
    [tr] = json.loads(overload[1].stdout)
    assert tr["transformer_id"] == "TR-0001" and tr["measured"] is not None
    first = json.loads((freeze[0] / "freeze-1.json").read_text())[0]
    second = json.loads((freeze[0] / "freeze-2.json").read_text())[0]
    assert first["measured"] == second["measured"] and first["predicted"] != second["predicted"]
    assert "replaying" in outage[1].stdout
    assert "no data" in linkdrop[1].stdout and "data back" in linkdrop[1].stdout
    # phase 3: proposed, nothing written before the approval, then written and read back
    assert "cooling-stage-2-TR-0001  proposed" in action[1].stdout
    assert "done by trainee" in action[1].stdout and "wrote 2, read back 2" in action[1].stdout
    [before] = json.loads((action[0] / "action-before.json").read_text())
    [after] = json.loads((action[0] / "action-after.json").read_text())
    assert after["measured"] < before["measured"] - 5.0, (before["measured"], after["measured"])


def test_every_page_is_in_the_navigation() -> None:
    text = (REPO / "mkdocs.yml").read_text()
    listed = set(re.findall(r":\s*([\w-]+\.md)\s*$", text, re.M))
    pages = {re.sub(r"\.(fr|en)\.md$", ".md", p.name) for p in DOCS.glob("*.md")}
    assert pages - listed == set(), f"pages outside the MkDocs navigation: {pages - listed}"
