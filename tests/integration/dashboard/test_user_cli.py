"""``thermowatch user create|list|disable`` as an administrator runs it."""

from __future__ import annotations

import subprocess
import sys

from thermowatch.store.engine import make_engine
from thermowatch.store.migrate import upgrade
from thermowatch.store.users import find_session, open_session, verify_password


def run(db_url: str, *args: str, stdin: str | None = None):
    return subprocess.run(
        [sys.executable, "-m", "thermowatch", *args, "--database-url", db_url],
        input=stdin, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_user_commands(tmp_path):
    url = f"sqlite:///{tmp_path / 'u.db'}"
    engine = make_engine(url)
    upgrade(engine)
    r = run(url, "user", "create", "marie", "--role", "operator", "--lang", "en",
            "--password-stdin", stdin="une phrase de passe\n")  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "user marie created, role operator, language en" in r.stdout
    user, reason = verify_password(engine, "marie", "une phrase de passe")
    assert reason == "ok" and user.role == "operator" and user.lang == "en"
    token, _ = open_session(engine, user, 1.0)
    assert find_session(engine, token) is not None

    dup = run(url, "user", "create", "marie", "--password-stdin", stdin="une phrase de passe\n")
    assert dup.returncode == 2 and "already exists" in dup.stderr and "Traceback" not in dup.stderr
    bad = run(url, "user", "create", "x y", "--password-stdin", stdin="une phrase de passe\n")
    assert bad.returncode == 2 and "is not valid" in bad.stderr
    short = run(url, "user", "create", "paul", "--password-stdin", stdin="court\n")
    assert short.returncode == 2 and "at least 10 characters" in short.stderr
    role = run(url, "user", "create", "paul", "--role", "chef", "--password-stdin",
               stdin="une phrase de passe\n")  # fmt: skip
    assert role.returncode == 2 and "role must be one of" in role.stderr

    listed = run(url, "user", "list")
    assert listed.returncode == 0 and listed.stdout.startswith("marie\toperator\ten\t")
    assert "phrase" not in listed.stdout and "argon2" not in listed.stdout

    off = run(url, "user", "disable", "marie")
    assert off.returncode == 0 and "disabled" in off.stdout
    assert find_session(engine, token) is None  # sessions end with the account
    assert verify_password(engine, "marie", "une phrase de passe") == (None, "disabled")
    missing = run(url, "user", "disable", "nobody")
    assert missing.returncode == 2 and "does not exist" in missing.stderr
