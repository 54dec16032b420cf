"""One truth per transformer, end to end (issue 21).

The real service (``thermowatch serve``) and the real monitor (``thermowatch monitor``, replay
source) share one store; a real SMTP server (aiosmtpd) receives the e-mails, sent by whichever
of the two holds the delivery lease. A transformer's measured winding temperature crosses its
ALERTE threshold, then (after a monitor restart, as in the field) its CRITIQUE threshold. At each
step ``/v1/transformers/{id}``, ``thermowatch status --json``, the fleet row, the transformer
page and the alarm list agree on the level and the thresholds; every e-mail's level is the level
of the value it quotes; the CRITIQUE alarm is raised at the first reading past the threshold
(escalation within one reading) and no e-mail is sent twice. Thresholds from the transformer's
``[[transformers]]`` entry, then from its served model's metadata only (a champion trained
with other thresholds, no ``[[transformers]]`` thresholds), then from its nameplate only
(IEC 60076-7 winding limits). Every e-mail also quotes the threshold in force.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from tests.integration.alerts.conftest import SmtpSink, free_port
from thermowatch.learn.levels import level_of
from thermowatch.service.apikeys import create_key
from thermowatch.store.engine import make_engine
from thermowatch.store.migrate import upgrade
from thermowatch.store.users import create_user

TID = "TR-0001"
WINDING = "température enroulement (°C)"
PASSWORD = "correct horse battery"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
EXE = [sys.executable, "-m", "thermowatch"]
# (configured thresholds or None, their values [°C], measured temperatures per phase [°C]);
# "model": a champion trained with --alerte 95 --critique 110 and none configured.
MODEL_TH = (95.0, 110.0)
CASES = {
    "config": ({"alerte_c": 93.0, "critique_c": 105.0}, (93.0, 105.0),
               ([80.0] * 4, [96.0, 97.0, 98.0, 99.0, 99.5, 100.0], [110.0, 112.0, 113.0])),
    "model": (None, MODEL_TH,
              ([80.0] * 4, [97.0, 98.0, 99.0, 100.0, 100.5, 101.0], [112.0, 113.0, 114.0])),
    "nameplate": (None, (104.0, 120.0),
                  ([85.0] * 4, [108.0, 109.0, 110.0, 111.0, 111.5, 112.0], [125.0, 126.0])),
}  # fmt: skip


def _csv(path: Path, start: datetime, values: list[float]) -> datetime:
    """One-minute readings (moderate load, 20 °C ambient, every input the sample's model
    reads); returns the last instant."""
    lines = ["timestamp,tension (kV),courant (A),puissance active (MW),"
             f"puissance réactive (MVAr),température ambiante (°C),température huile (°C),{WINDING}"]  # fmt: skip
    ts = start
    for i, v in enumerate(values):
        ts = start + timedelta(minutes=i)
        lines.append(f"{ts.isoformat()},20,600,19.7,6.5,20,{v - 20},{v}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return ts


def _settings(folder: Path, url: str, smtp_port: int, csv: str, thresholds: dict | None) -> Path:
    th = (f"thresholds = {{ alerte_c = {thresholds['alerte_c']}, critique_c = "
          f"{thresholds['critique_c']} }}\n") if thresholds else ""  # fmt: skip
    path = folder / f"thermowatch-{csv}.toml"
    path.write_text(f"""
[store]
url = "{url}"
[monitor]
spool_dir = "{folder / 'spool'}"
period_s = 0.5
[[transformers]]
id = "{TID}"
spec = {{ preset = "ONAF", top_oil_rise_k = 50.0, hot_spot_gradient_k = 20.0, rated_current_a = 1039.23 }}
target = "{WINDING}"
{th}[transformers.source]
protocol = "replay"
path = "{csv}"
speed = 600
[alerts]
phase = 2
[alerts.levels]
raise_after_minutes = 2
raise_after_critique_minutes = 1
[alerts.channels.email]
type = "email"
host = "127.0.0.1"
port = {smtp_port}
security = "none"
sender = "thermowatch@poste-nord.example"
timeout_seconds = 3
[alerts.contacts.astreinte]
lang = "fr"
to = {{ email = "astreinte@poste-nord.example" }}
[alerts.escalation]
after_minutes = 60
steps = [["astreinte"]]
""", encoding="utf-8")  # fmt: skip
    return path


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory) -> Path:
    """A champion for the "model" case: the simulated sample trained with thresholds of its
    own (``--alerte 95 --critique 110``), its only source of thresholds in that case."""
    from thermowatch.data import load_measurements
    from thermowatch.data.simulator import RATED_CURRENT_A, simulate_sample, write_sample
    from thermowatch.learn.artifact import save_model
    from thermowatch.learn.train import TrainOptions, train

    out = tmp_path_factory.mktemp("model")
    write_sample(simulate_sample(days=10, seed=7), str(out / "sample.csv"))
    options = TrainOptions(rated_current_a=RATED_CURRENT_A, nonlinear=False,
                           alerte_c=MODEL_TH[0], critique_c=MODEL_TH[1])  # fmt: skip
    result, fitted = train(load_measurements(out / "sample.csv"), options)
    return save_model(result, fitted, out / "model")


def _wait(what: str, check: Callable[[], object], timeout: float = 120.0) -> object:
    deadline = time.monotonic() + timeout
    while True:
        with contextlib.suppress(httpx.HTTPError):
            got = check()
            if got:
                return got
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.5)


@contextlib.contextmanager
def _process(args: list[str], env: dict, log: Path) -> Iterator[subprocess.Popen]:
    with log.open("w") as out:
        p = subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.STDOUT,
                             start_new_session=True)  # fmt: skip
        try:
            yield p
        finally:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
                try:
                    p.wait(30)
                except subprocess.TimeoutExpired:
                    os.killpg(p.pid, signal.SIGKILL)


class World:
    """The readers of one transformer's truth, as an operator and an integrator see them."""

    def __init__(self, base: str, key: str, env: dict, url: str, sink: SmtpSink) -> None:
        self.api = httpx.Client(base_url=base, headers={"X-API-Key": key}, timeout=30)
        self.web = httpx.Client(base_url=base, timeout=30)
        self.env, self.url, self.sink = env, url, sink
        token = CSRF.search(self.web.get("/login").text).group(1)
        r = self.web.post("/login", data={"csrf": token, "name": "op", "password": PASSWORD,
                                          "next": "/"})  # fmt: skip
        assert r.status_code in (302, 303), r.text[:300]

    def state(self) -> dict:
        r = self.api.get(f"/v1/transformers/{TID}")
        r.raise_for_status()
        return r.json()

    def last_reading(self) -> datetime | None:
        at = self.state().get("derniere_lecture")
        return None if at is None else datetime.fromisoformat(at)

    def status(self) -> dict:
        out = subprocess.run([*EXE, "status", "--json", "--database-url", self.url],
                             env=self.env, capture_output=True, text=True, timeout=120)  # fmt: skip
        assert out.returncode == 0, out.stderr[-2000:]
        doc = json.loads(out.stdout)
        rows = doc["transformers"] if isinstance(doc, dict) else doc
        return next(r for r in rows if r["transformer_id"] == TID)

    def fleet_level(self) -> str:
        html = self.web.get("/").text
        return re.search(rf'id="tr-{TID}"[^>]*data-level="(\w+)"', html).group(1)

    def page(self) -> dict:
        html = self.web.get(f"/transformers/{TID}").text
        grab = lambda pattern: re.search(pattern, html).group(1)  # noqa: E731
        return {
            "level": grab(r'id="level-now" data-level="(\w+)"'),
            "alerte_c": float(grab(r'id="threshold-alerte" data-value="([\d.]+)"')),
            "critique_c": float(grab(r'id="threshold-critique" data-value="([\d.]+)"')),
            "crossing_at": grab(r'id="forecast-crossing" data-level="\w*" data-at="([^"]*)"'),
            "banner": int(grab(r'id="alarm-banner"[^>]*data-count="(\d+)"')),
        }

    def alarms(self) -> list[dict]:
        return self.api.get("/v1/alerts", params={"transformer_id": TID}).json()

    def mails(self) -> list[tuple[str, str]]:
        return [(str(m["Subject"]), m.get_body(("plain",)).get_content())
                for _, m in self.sink.messages]  # fmt: skip

    def measured_mails(self, level: str) -> list[tuple[str, str]]:
        """The e-mails of measured temperatures at ``level`` (subject, body)."""
        return [(s, b) for s, b in self.mails()
                if s.startswith(f"[thermowatch] {level} {TID}") and "mesurée" in s]  # fmt: skip


def _mail_value(subject: str) -> float:
    """The temperature an e-mail subject quotes [°C] (French: decimal comma)."""
    return float(re.search(r"(\d+(?:,\d+)?) °C", subject).group(1).replace(",", "."))


def _mail_agrees(w: World, level: str, th: tuple[float, float]) -> None:
    """The e-mail of ``level`` quotes a value of that level and the threshold in force."""
    subject, body = _wait(f"the {level} e-mail", lambda: w.measured_mails(level), 60)[-1]
    assert level_of(_mail_value(subject), *th).name == level, subject
    quoted = re.search(rf"Seuil {level} : (\d+(?:,\d+)?) °C", body).group(1)
    assert float(quoted.replace(",", ".")) == th[level == "CRITIQUE"], body


def _agree(w: World, level: str, th: tuple[float, float], last: datetime) -> dict:
    """Every reader says ``level`` with thresholds ``th`` for the reading at ``last``."""
    api = w.state()
    assert (api["niveau"], api["niveau_source"]) == (level, "measured"), api
    assert api["niveau_mesure"] == level and api["temperature_mesuree"] is not None
    assert (api["thresholds"]["alerte_c"], api["thresholds"]["critique_c"]) == th
    assert datetime.fromisoformat(api["derniere_lecture"]) == last
    st = w.status()
    assert (st["level"], st["measured_level"], st["level_source"]) == (level, level, "measured")
    assert (st["thresholds"]["alerte_c"], st["thresholds"]["critique_c"]) == th
    assert w.fleet_level() == level
    page = w.page()
    assert (page["level"], page["alerte_c"], page["critique_c"]) == (level, *th)
    if page["crossing_at"]:  # a crossing always names a future time
        assert datetime.fromisoformat(page["crossing_at"]) > last
    measured = [a for a in w.alarms() if a["kind"] == "temperature_measured"
                and a["resolved_at"] is None]  # fmt: skip
    assert [a["level"] for a in measured] == [level], measured
    return {"api": api, "page": page, "alarm": measured[0]}


@pytest.mark.parametrize("case", list(CASES))
def test_every_reader_agrees_alerte_then_critique(
    case: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    thresholds, th, (normal, alerte, critique) = CASES[case]
    url = f"sqlite:///{tmp_path}/store.db"
    engine = make_engine(url)
    upgrade(engine)
    create_user(engine, "op", PASSWORD, "operator")
    _, key = create_key(engine, "operator", "e2e")
    engine.dispose()
    if case == "model":  # registered as the operator would: the champion's metadata decides
        model = request.getfixturevalue("model_dir")
        done = subprocess.run([*EXE, "model", "register", str(model), "--transformer", TID,
                               "--database-url", url], capture_output=True, text=True,
                              timeout=120)  # fmt: skip
        assert done.returncode == 0, done.stderr[-2000:]
    sink = SmtpSink().start()
    port = free_port()
    start = (datetime.now(UTC) - timedelta(minutes=40)).replace(second=0, microsecond=0)
    last_a = _csv(tmp_path / "a.csv", start, normal + alerte)
    last_b = _csv(tmp_path / "b.csv", last_a + timedelta(minutes=1), critique)
    cfg_a = _settings(tmp_path, url, sink.port, "a.csv", thresholds)
    cfg_b = _settings(tmp_path, url, sink.port, "b.csv", thresholds)
    env = {k: v for k, v in os.environ.items() if not k.startswith("THERMOWATCH_")}
    env |= {"THERMOWATCH_HOME": str(tmp_path / "home"), "THERMOWATCH_CONFIG": str(cfg_a),
            "THERMOWATCH_ENV": "production", "THERMOWATCH_JWT_SECRET": "j" * 40,
            "THERMOWATCH_DATABASE_URL": url}  # fmt: skip
    serve = [*EXE, "serve", "--port", str(port)]
    try:
        with _process(serve, env, tmp_path / "serve.log"):
            base = f"http://127.0.0.1:{port}"
            _wait("the service", lambda: httpx.get(f"{base}/health", timeout=5).status_code < 500)
            w = World(base, key, env, url, sink)
            # 1. normal, then ALERTE (entered from below after the raise delay, in data time)
            with _process([*EXE, "monitor", "--config", str(cfg_a)], env, tmp_path / "m1.log"):
                _wait("the ALERTE readings", lambda: w.last_reading() == last_a)
                seen = _agree(w, "ALERTE", th, last_a)
                if case == "model":
                    assert seen["api"]["model_id"] and seen["api"]["seuils_regle"] == "cli"
            _mail_agrees(w, "ALERTE", th)
            # 2. CRITIQUE: the open ALERTE escalates at the first reading past the threshold
            with _process([*EXE, "monitor", "--config", str(cfg_b)], env, tmp_path / "m2.log"):
                _wait("the CRITIQUE readings", lambda: w.last_reading() == last_b)
                seen = _agree(w, "CRITIQUE", th, last_b)
                first_critique = last_a + timedelta(minutes=1)
                assert datetime.fromisoformat(seen["alarm"]["raised_at"]) == first_critique
                assert seen["page"]["banner"] >= 1  # unacknowledged critical alarm(s)
                _mail_agrees(w, "CRITIQUE", th)
        mails = w.mails()
        subjects = [s.removeprefix("[thermowatch] ") for s, _ in mails]
        levels = [s.split()[0] for s in subjects]
        assert "ALERTE" in levels and "CRITIQUE" in levels, subjects
        for subject, lvl in zip(subjects, levels, strict=True):  # the level of the value quoted
            if TID in subject and "°C" in subject and "prévue" not in subject:
                assert level_of(_mail_value(subject), *th).name == lvl, subject
        assert len(subjects) == len(set(subjects)), f"an e-mail was sent twice: {subjects}"
    finally:
        sink.stop()
