"""Finding 8: a re-signed model was served, a symlink followed, malformed metadata gave a
traceback on every poll — against a real 2-worker service serving a signed artifact."""

from __future__ import annotations

import hashlib
import json
import re
import time
from pathlib import Path

import pytest

from tests.integration.service.conftest import reading

FILES = ("model.json", "metadata.json")


def resum(directory: Path) -> None:
    """What a file editor does after a change: recompute SHA256SUMS."""
    sums = "".join(
        f"{hashlib.sha256((directory / n).read_bytes()).hexdigest()}  {n}\n" for n in FILES
    )
    (directory / "SHA256SUMS").write_text(sums)


@pytest.fixture
def restore(server):
    """Put the artifact back as signed after a test tampered with it."""
    saved = {n: (server.model_dir / n).read_bytes() for n in (*FILES, "SHA256SUMS")}
    yield
    for name, data in saved.items():
        path = server.model_dir / name
        path.unlink(missing_ok=True)
        path.write_bytes(data)
    time.sleep(1.5)


def refused_total(server, insider) -> float:
    body = insider.get(server.url + "/metrics", headers=server.headers("reader")).text
    return sum(
        float(v) for v in re.findall(r"^thermowatch_model_reload_refused_total (\S+)$", body, re.M)
    )


def wait_refused(server, since: int, needle: str, count: int = 2, timeout: float = 60) -> str:
    """The log from offset ``since`` once ``count`` refusals holding ``needle`` are in it (each
    worker logs a given refusal once: 2 = both workers polled, none can still serve from before
    its poll). The workers poll every 0.3 s; the deadline is what a loaded runner may take (the
    fixed 2 s wait this replaces), not a speed bound."""
    deadline = time.monotonic() + timeout
    while True:
        new = server.log()[since:]
        refusals = [ln for ln in new.splitlines() if "model artifact refused" in ln]
        if sum(needle in ln for ln in refusals) >= count or time.monotonic() > deadline:
            return new
        time.sleep(0.1)


def predict(server, insider) -> dict:
    r = insider.post(server.url + "/predict", json=reading(), headers=server.headers("reader"))
    assert r.status_code == 200, r.text
    return r.json()


def test_edited_and_resummed_model_is_not_served(server, insider, restore):
    before = predict(server, insider)
    since = len(server.log())
    doc = json.loads((server.model_dir / "model.json").read_text())
    doc["model"]["intercept"] += 100.0  # 79 -> 179 °C CRITIQUE in the original report
    (server.model_dir / "model.json").write_text(json.dumps(doc))
    resum(server.model_dir)
    new = wait_refused(server, since, "signature does not match")
    assert new.count("signature does not match") >= 2, new[-2000:]
    for _ in range(10):  # whichever worker answers
        after = predict(server, insider)
        assert after["temperature_predite"] == before["temperature_predite"]
        assert after["model_id"] == before["model_id"]
    assert refused_total(server, insider) >= 1


def test_symlinked_model_file_is_refused(server, insider, restore, tmp_path):
    before = predict(server, insider)
    outside = tmp_path / "model.json"
    doc = json.loads((server.model_dir / "model.json").read_text())
    doc["model"]["intercept"] += 100.0
    outside.write_text(json.dumps(doc))
    since = len(server.log())
    (server.model_dir / "model.json").unlink()
    (server.model_dir / "model.json").symlink_to(outside)
    resum(server.model_dir)
    new = wait_refused(server, since, "model.json is a symbolic link")
    assert new.count("model.json is a symbolic link") >= 2, new[-2000:]
    for _ in range(6):
        assert predict(server, insider)["temperature_predite"] == before["temperature_predite"]


def test_malformed_metadata_is_refused_once_without_a_traceback_loop(server, insider, restore):
    meta = json.loads((server.model_dir / "metadata.json").read_text())
    meta["thresholds"] = 5
    (server.model_dir / "metadata.json").write_text(json.dumps(meta))
    resum(server.model_dir)
    since = len(server.log())  # after the edit: a worker may have logged it already
    wait_refused(server, since, "model artifact refused", count=1)
    time.sleep(3.0)  # ~10 more polls per worker: none may log it again
    new = server.log()[since:]
    assert "Traceback" not in new
    refusals = [line for line in new.splitlines() if "model artifact refused" in line]
    assert 1 <= len(refusals) <= 2  # once per worker
    predict(server, insider)  # the previous model keeps serving
