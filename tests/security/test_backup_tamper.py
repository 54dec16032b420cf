"""Findings of issue 22 on backup sets, replayed through ``thermowatch db`` as an operator (or
an attacker with write access to the backup disk) would.

Before: a model's ``alerte_c`` changed to 999 inside a set, sums and manifest recomputed:
``db verify-backup`` said intact and ``db restore`` brought it back; a ``../`` member in the
model archive was caught only after the database was replaced (partial restore, exit 1);
backups left the champion model out without saying so, and the manifest's counts left out
users, sessions and comments.
"""

from __future__ import annotations

import hashlib
import io
import json
import sys
import tarfile
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from thermowatch.cli import db
from thermowatch.cli._errors import run_with_error_policy
from thermowatch.store.alert_comments import add_comment
from thermowatch.store.alerts import raise_alert
from thermowatch.store.backup import MANIFEST, MODELS_TAR, file_checksums, list_sets, table_counts
from thermowatch.store.engine import make_engine
from thermowatch.store.migrate import upgrade
from thermowatch.store.models import ModelStatus, register_model
from thermowatch.store.transformers import ensure_transformer
from thermowatch.store.users import create_user, open_session

root = typer.Typer()
root.add_typer(db.app, name="db")
runner = CliRunner()


def artifact(directory: Path, alerte_c: float = 90.0) -> Path:
    directory.mkdir(parents=True)
    (directory / "model.json").write_text(json.dumps({"coef": [0.5, 0.25]}))
    (directory / "metadata.json").write_text(json.dumps({"thresholds": {"alerte_c": alerte_c}}))
    return directory


@pytest.fixture
def site(tmp_path, monkeypatch):
    """A store with a served champion in the default models dir, a user, a session, a comment;
    the backup key in a file outside the backups."""
    home = tmp_path / "home"
    monkeypatch.setenv("THERMOWATCH_HOME", str(home))
    for name in ("THERMOWATCH_BACKUP_KEY", "THERMOWATCH_MODEL_KEY", "THERMOWATCH_MODELS_DIR"):
        monkeypatch.delenv(name, raising=False)
    url = f"sqlite:///{tmp_path / 'store.db'}"
    engine = make_engine(url)
    upgrade(engine)
    ensure_transformer(engine, "T1")
    champion = artifact(home / "models" / "T1" / "m1")
    register_model(engine, "m1", "T1", str(champion), "0" * 64, status=ModelStatus.CHAMPION)
    user = create_user(engine, "alice", "correct horse battery", "operator")
    open_session(engine, user, 12.0, "10.0.0.1")
    alert = raise_alert(engine, "T1", "top_oil_high", "ALERTE", "chaud")
    add_comment(engine, alert, "alice", "vu")
    key = tmp_path / "keys" / "backup.key"
    key.parent.mkdir()
    key.write_text("a key that never sits in a backup set")
    engine.dispose()
    return {"url": url, "models": home / "models", "backups": tmp_path / "backups", "key": key,
            "tmp": tmp_path}  # fmt: skip


def cli(monkeypatch, capsys, *args: str) -> tuple[int, str]:
    monkeypatch.setattr(sys, "argv", ["thermowatch", *args])
    code = run_with_error_policy(root)
    out = capsys.readouterr()
    return code, out.out + out.err


def backup(site, monkeypatch, capsys) -> Path:
    code, out = cli(monkeypatch, capsys, "db", "backup", "--rotate", str(site["backups"]),
                    "--key-file", str(site["key"]), "--verify", "--database-url", site["url"])  # fmt: skip
    assert code == 0, out
    [s] = list_sets(site["backups"])
    return s.path


def rewrite_tar(set_path: Path, members: dict[str, bytes | tarfile.TarInfo]) -> None:
    """Replace models.tar and recompute every sum in the manifest, as a tamperer would."""
    tar_path = set_path / MODELS_TAR
    with tarfile.open(tar_path, "w") as tar:
        for name, content in members.items():
            if isinstance(content, tarfile.TarInfo):
                tar.addfile(content)
                continue
            info = tarfile.TarInfo(name)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
    manifest = json.loads((set_path / MANIFEST).read_text())
    manifest["models"] = {
        n: hashlib.sha256(c).hexdigest() for n, c in members.items() if isinstance(c, bytes)
    }
    manifest["files"][MODELS_TAR] = hashlib.sha256(tar_path.read_bytes()).hexdigest()
    (set_path / MANIFEST).write_text(json.dumps(manifest, indent=2))


def members_of(set_path: Path) -> dict[str, bytes]:
    with tarfile.open(set_path / MODELS_TAR) as tar:
        return {m.name: tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()}


def test_the_set_holds_the_served_model_and_counts_every_table(site, monkeypatch, capsys):
    code, out = cli(monkeypatch, capsys, "db", "backup", "--rotate", str(site["backups"]),
                    "--key-file", str(site["key"]), "--database-url", site["url"])  # fmt: skip
    assert code == 0, out
    assert "2 model files" in out and "served models: m1" in out  # no --models needed
    [s] = list_sets(site["backups"])
    assert "T1/m1/metadata.json" in s.manifest["models"]
    assert s.manifest["served"]["m1"]["in_set"] is True
    rows = s.manifest["rows"]
    assert rows["users"] == 1 and rows["web_sessions"] == 1 and rows["alert_comments"] == 1
    assert rows["store_identity"] == 1
    assert rows == table_counts(make_engine(site["url"]))
    assert not (s.path / "backup.key").exists() and "SIGNATURE" in {
        p.name for p in s.path.iterdir()
    }


def test_a_missing_served_artifact_is_said(site, monkeypatch, capsys):
    for p in sorted((site["models"] / "T1" / "m1").iterdir()):
        p.unlink()
    (site["models"] / "T1" / "m1").rmdir()
    code, out = cli(monkeypatch, capsys, "db", "backup", "--rotate", str(site["backups"]),
                    "--key-file", str(site["key"]), "--database-url", site["url"])  # fmt: skip
    assert code == 0 and "NOT in the set: m1" in out, out


def test_a_tampered_model_with_recomputed_sums_is_refused(site, monkeypatch, capsys):
    set_path = backup(site, monkeypatch, capsys)
    members = members_of(set_path)
    members["T1/m1/metadata.json"] = json.dumps({"thresholds": {"alerte_c": 999}}).encode()
    rewrite_tar(set_path, members)
    code, out = cli(monkeypatch, capsys, "db", "verify-backup", str(set_path),
                    "--key-file", str(site["key"]))  # fmt: skip
    assert code == 2 and "signature does not match" in out and "Traceback" not in out
    before_rows = table_counts(make_engine(site["url"]))
    before_models = file_checksums(site["models"])
    code, out = cli(monkeypatch, capsys, "db", "restore", str(set_path), "--yes",
                    "--key-file", str(site["key"]), "--database-url", site["url"])  # fmt: skip
    assert code == 2 and "signature does not match" in out
    assert table_counts(make_engine(site["url"])) == before_rows
    assert file_checksums(site["models"]) == before_models
    # The key file is what vouches: the right one is needed, none at all is refused too.
    other = site["tmp"] / "other.key"
    other.write_text("another key")
    code, out = cli(monkeypatch, capsys, "db", "verify-backup", str(set_path),
                    "--key-file", str(other))  # fmt: skip
    assert code == 2 and "signature does not match" in out


@pytest.mark.parametrize("escape", ["../outside.json", "/tmp/absolute.json", "symlink"])
def test_an_escaping_member_is_refused_before_anything_is_touched(
    escape, site, monkeypatch, capsys
):
    set_path = backup(site, monkeypatch, capsys)
    members: dict[str, bytes | tarfile.TarInfo] = dict(members_of(set_path))
    if escape == "symlink":
        link = tarfile.TarInfo("T1/m1/link")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        members["T1/m1/link"] = link
    else:
        members[escape] = b"{}"
    rewrite_tar(set_path, members)
    # Re-sign with the right key: even a set signed by us must not write outside its place.
    from thermowatch.store.backup import _sign

    key = site["key"].read_bytes().strip()
    (set_path / "SIGNATURE").write_text(_sign(key, (set_path / MANIFEST).read_bytes()))
    engine = make_engine(site["url"])
    ensure_transformer(engine, "T2")  # a change made after the backup: must survive the refusal
    before_rows, before_models = table_counts(engine), file_checksums(site["models"])
    code, out = cli(monkeypatch, capsys, "db", "restore", str(set_path), "--yes",
                    "--key-file", str(site["key"]), "--database-url", site["url"])  # fmt: skip
    assert code == 2 and "refused" in out and "internal error" not in out, out
    assert table_counts(engine) == before_rows and before_rows["transformers"] == 2
    assert file_checksums(site["models"]) == before_models
    assert not (site["tmp"] / "outside.json").exists()
    assert not Path("/tmp/absolute.json").exists()
    engine.dispose()


def test_a_good_set_restores_database_and_models_together(site, monkeypatch, capsys):
    set_path = backup(site, monkeypatch, capsys)
    engine = make_engine(site["url"])
    before, models = table_counts(engine), file_checksums(site["models"])
    with engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM alert_comments")
        conn.exec_driver_sql("DELETE FROM web_sessions")
    (site["models"] / "T1" / "m1" / "metadata.json").write_text('{"thresholds": {}}')
    code, out = cli(monkeypatch, capsys, "db", "restore", str(set_path), "--yes",
                    "--key-file", str(site["key"]), "--database-url", site["url"])  # fmt: skip
    assert code == 0, out
    assert table_counts(engine) == before and file_checksums(site["models"]) == models
    engine.dispose()


def single_file(site, monkeypatch, capsys) -> Path:
    path = site["tmp"] / "store.bak"
    code, out = cli(monkeypatch, capsys, "db", "backup", str(path), "--key-file",
                    str(site["key"]), "--verify", "--database-url", site["url"])  # fmt: skip
    assert code == 0 and "signed in" in out, out
    return path


def restore_file(site, monkeypatch, capsys, path: Path) -> tuple[int, str]:
    return cli(monkeypatch, capsys, "db", "restore", str(path), "--yes", "--key-file",
               str(site["key"]), "--database-url", site["url"])  # fmt: skip


def test_a_single_backup_file_is_signed_and_restores(site, monkeypatch, capsys):
    path = single_file(site, monkeypatch, capsys)
    assert path.with_name("store.bak.sig").is_file()
    code, out = cli(monkeypatch, capsys, "db", "verify-backup", str(path), "--key-file",
                    str(site["key"]))  # fmt: skip
    assert code == 0 and "intact and signed" in out, out
    before = table_counts(make_engine(site["url"]))
    code, out = restore_file(site, monkeypatch, capsys, path)
    assert code == 0, out
    assert table_counts(make_engine(site["url"])) == before


@pytest.mark.parametrize("damage", ["tampered", "unsigned", "other key"])
def test_a_tampered_or_unsigned_single_file_is_refused_before_anything(
    site, monkeypatch, capsys, damage
):
    path = single_file(site, monkeypatch, capsys)
    if damage == "tampered":  # a threshold changed inside the copy (same size, still SQLite)
        import sqlite3

        con = sqlite3.connect(path)
        con.execute("UPDATE transformers SET name = 'changed'")
        con.commit()
        con.close()
    elif damage == "unsigned":
        path.with_name("store.bak.sig").unlink()
    else:
        site["key"].write_text("another key")
    engine = make_engine(site["url"])
    ensure_transformer(engine, "T2")  # written after the backup: must survive a refusal
    before = table_counts(engine)
    for command in ("verify-backup", "restore"):
        extra = ("--yes", "--database-url", site["url"]) if command == "restore" else ()
        code, out = cli(monkeypatch, capsys, "db", command, str(path), "--key-file",
                        str(site["key"]), *extra)  # fmt: skip
        assert code == 2, out
        assert ("not signed" if damage == "unsigned" else "does not match") in out, out
        assert "Traceback" not in out
    assert table_counts(engine) == before  # nothing touched
