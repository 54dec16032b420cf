"""Pieces of the hardening, one at a time: signatures, instants, buckets, the audit spool,
the pinned artifact and the write-fault classifier."""

from __future__ import annotations

import asyncio
import hashlib
import json
from datetime import UTC, datetime

import pytest

from thermowatch.errors import InputError
from thermowatch.learn.signing import check_confined, sign_artifact, verify_signature
from thermowatch.service.auth import TokenBucket
from thermowatch.service.dbhealth import is_write_fault
from thermowatch.service.predicting import check_instant, parse_time
from thermowatch.service.settings import load_settings

KEY = b"a-signing-key-kept-elsewhere"


def artifact(tmp_path):
    d = tmp_path / "model"
    d.mkdir()
    (d / "model.json").write_text('{"a": 1}')
    (d / "SHA256SUMS").write_text("0" * 64 + "  model.json\n")
    return d


def test_signature_binds_the_sums_to_the_key(tmp_path):
    d = artifact(tmp_path)
    sign_artifact(d, KEY)
    verify_signature(d, KEY)  # as signed
    with pytest.raises(InputError, match="does not match"):
        verify_signature(d, b"another key")
    (d / "SHA256SUMS").write_text("1" * 64 + "  model.json\n")  # an editor re-sums
    with pytest.raises(InputError, match="does not match"):
        verify_signature(d, KEY)
    (d / "SIGNATURE").unlink()
    with pytest.raises(InputError, match="not signed"):
        verify_signature(d, KEY)


def test_artifact_files_must_not_be_symlinks(tmp_path):
    d = artifact(tmp_path)
    elsewhere = tmp_path / "elsewhere.json"
    elsewhere.write_text("{}")
    (d / "model.json").unlink()
    (d / "model.json").symlink_to(elsewhere)
    with pytest.raises(InputError, match="symbolic link"):
        check_confined(d, ["model.json"])


@pytest.mark.parametrize(
    "raw", ["0001-01-01T00:00:00Z", "0001-01-01T00:00:00+01:00", "9999-12-31T23:30:00-05:00",
            "1969-12-31T23:59:59Z", "2200-01-01T00:00:00Z"],
)  # fmt: skip
def test_instants_outside_the_supported_range_are_input_errors(raw):
    with pytest.raises(InputError, match="outside the supported range"):
        parse_time(raw)


def test_instants_inside_the_range_become_aware_utc():
    assert parse_time("2026-11-30T12:00:00+01:00") == datetime(2026, 11, 30, 11, tzinfo=UTC)
    assert check_instant(datetime(2026, 1, 1)).tzinfo is UTC


def test_failed_authentications_empty_the_address_bucket():
    bucket = TokenBucket(rate=1.0, burst=3)
    assert not bucket.empty("10.0.0.1", now=0.0)
    assert all(bucket.allow("10.0.0.1", now=0.0) for _ in range(3))
    assert bucket.empty("10.0.0.1", now=0.0) and not bucket.empty("10.0.0.2", now=0.0)
    assert not bucket.empty("10.0.0.1", now=1.5)  # refilled at 1 token/s


def test_write_faults_are_told_apart_from_bugs():
    class Wrapped(Exception):
        pass

    fault = Wrapped("statement failed")
    fault.__cause__ = OSError("attempt to write a readonly database")
    assert is_write_fault(fault)
    assert is_write_fault(Exception("disk I/O error"))
    assert not is_write_fault(Exception("no such column: foo"))
    assert not is_write_fault(None)


def test_new_settings_are_checked(tmp_path):
    with pytest.raises(InputError, match="forwarded_allow_ips"):
        load_settings(environ={"THERMOWATCH_ENV": "development"}, forwarded_allow_ips="nope")
    with pytest.raises(InputError, match="model_key_file"):
        load_settings(environ={"THERMOWATCH_ENV": "development"}, model_key_file="/no/such/key")
    keyfile = tmp_path / "key"
    keyfile.write_text("secret\n")
    s = load_settings(
        environ={"THERMOWATCH_ENV": "development", "THERMOWATCH_FORWARDED_ALLOW_IPS": "10.0.0.1"},
        model_key_file=str(keyfile),
        audit_spool_dir=str(tmp_path / "spool"),
    )
    assert s.forwarded_allow_ips == ("10.0.0.1",)
    assert s.signing_key() == b"secret" and s.spool_dir == tmp_path / "spool"


def test_audit_rows_refused_by_the_database_are_spooled_then_replayed(tmp_path):
    from thermowatch.service.audit import AuditQueue
    from thermowatch.store.audit import entries
    from thermowatch.store.engine import make_engine
    from thermowatch.store.migrate import upgrade

    engine = make_engine(f"sqlite:///{tmp_path / 'a.db'}")  # not migrated yet: writes fail
    spool = tmp_path / "spool"

    async def scenario() -> tuple[int, int]:
        queue = AuditQueue(engine, flush_s=60, spool_dir=spool)
        for i in range(5):
            queue.add("key:1", "predict", "ok", address="10.0.0.9", target=f"TR-{i}")
        queue.count("10.0.0.8", 401, "/predict", "invalid_key")
        queue.count("10.0.0.8", 401, "/predict", "invalid_key")
        first = await queue.flush(final=True)
        upgrade(engine)  # the database is back
        second = await queue.flush()
        return first, second

    first, second = asyncio.run(scenario())
    assert first == 0 and second == 6  # 5 rows + 1 aggregated refusal row, none lost
    assert not list(spool.rglob("audit-*"))
    rows = entries(engine)
    assert sorted(r.target for r in rows if r.action == "predict") == [f"TR-{i}" for i in range(5)]
    refused = [r for r in rows if r.action == "refused_requests"]
    assert len(refused) == 1 and json.loads(refused[0].detail)["count"] == 2


def test_stopping_while_a_flush_waits_for_its_thread_loses_no_row(tmp_path):
    """Shutdown during a background flush whose job has not started on the worker thread
    yet (the executor busy): that job, holding rows taken off the queue, must still run."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from thermowatch.service.audit import AuditQueue
    from thermowatch.store.audit import entries
    from thermowatch.store.engine import make_engine
    from thermowatch.store.migrate import upgrade

    engine = make_engine(f"sqlite:///{tmp_path / 'a.db'}")
    upgrade(engine)

    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        loop.set_default_executor(ThreadPoolExecutor(1))
        gate = threading.Event()
        busy = loop.run_in_executor(None, gate.wait, 30)  # the one thread: the flush queues
        queue = AuditQueue(engine, flush_s=60)
        queue.start()
        queue.add("key:1", "push_readings", "ok", target="TR-01")
        queue._wake.set()
        while queue._pending:  # taken off the queue: its job waits behind `busy`
            await asyncio.sleep(0.01)
        stopping = asyncio.create_task(queue.stop())
        await asyncio.sleep(0.1)  # (a cancel would reach the queued job meanwhile)
        gate.set()
        await busy
        await stopping

    asyncio.run(scenario())
    assert [r.target for r in entries(engine, action="push_readings")] == ["TR-01"]


def test_a_model_directory_without_key_is_pinned_to_its_first_digest(sample_training_dir, tmp_path):
    from tests.helpers.models import copy_model
    from thermowatch.service.serving import ModelHolder

    directory = copy_model(sample_training_dir, tmp_path)  # changed below: a private copy
    holder = ModelHolder(None, str(directory), "TR-01")
    holder.poll()
    first = holder.get("TR-01")
    assert first is not None and holder.pinned_sha256
    doc = json.loads((directory / "model.json").read_text())
    doc["model"]["intercept"] += 100.0
    (directory / "model.json").write_text(json.dumps(doc))
    sums = "".join(
        f"{hashlib.sha256((directory / n).read_bytes()).hexdigest()}  {n}\n"
        for n in ("model.json", "metadata.json")
    )
    (directory / "SHA256SUMS").write_text(sums)
    holder.poll()
    assert holder.get("TR-01") is first  # the re-summed artifact is refused
    assert "expected sha256" in (holder.last_error or "")
