"""The deploy/ files pass their own tools: promtool (rules + a test per rule), nft -c
(firewall), nginx -t (site rendered for loopback), and name only metrics that exist."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import yaml

from tests.conftest import require
from tests.integration.ops.deploy_helpers import (
    DEPLOY,
    nginx_bin,
    nginx_main_conf,
    render_site,
    self_signed,
)
from thermowatch.cli.doctor import TEXTFILE_METRICS
from thermowatch.service import metrics as service_metrics

RULES = DEPLOY / "prometheus" / "thermowatch-rules.yml"
# Metrics from elsewhere: Prometheus itself and node_exporter.
EXTERNAL = {"up", "node_filesystem_avail_bytes", "node_filesystem_size_bytes"}


def known_metrics() -> set[str]:
    names = set(EXTERNAL) | set(TEXTFILE_METRICS)
    from prometheus_client.metrics import MetricWrapperBase

    for obj in vars(service_metrics).values():
        if isinstance(obj, MetricWrapperBase):
            for family in obj.describe():
                names |= {s.name for s in family.samples} | {family.name}
                if family.type == "counter":
                    names.add(family.name + "_total")
                if family.type == "histogram":
                    names |= {family.name + s for s in ("_bucket", "_sum", "_count")}
    return names


def metric_names(expr: str) -> set[str]:
    words = set(re.findall(r"\b([a-z_][a-z0-9_]*)\s*(?:\{|\[|\)|$|\s[<>=])", expr))
    return {w for w in words if w.startswith(("thermowatch_", "node_")) or w == "up"}


def test_promtool_checks_the_rules_and_every_rule_has_a_firing_test() -> None:
    promtool = shutil.which("promtool")
    require(promtool is not None, "promtool (apt-get install prometheus)")
    check = subprocess.run([promtool, "check", "rules", str(RULES)], capture_output=True,
                           text=True)  # fmt: skip
    assert check.returncode == 0, check.stdout + check.stderr
    test = subprocess.run([promtool, "test", "rules", "thermowatch-rules.test.yml"],
                          cwd=RULES.parent, capture_output=True, text=True)  # fmt: skip
    assert test.returncode == 0 and "SUCCESS" in test.stdout, test.stdout + test.stderr
    rules = {r["alert"] for g in yaml.safe_load(RULES.read_text())["groups"] for r in g["rules"]}
    tests = yaml.safe_load((RULES.parent / "thermowatch-rules.test.yml").read_text())["tests"]
    fired = {
        case["alertname"] for t in tests for case in t["alert_rule_test"] if case["exp_alerts"]
    }
    assert rules == fired, rules ^ fired


def test_rules_and_dashboard_name_only_metrics_that_exist() -> None:
    known = known_metrics()
    exprs = [r["expr"] for g in yaml.safe_load(RULES.read_text())["groups"] for r in g["rules"]]
    dash = json.loads((DEPLOY / "grafana" / "thermowatch-operations.json").read_text())
    exprs += [t["expr"] for p in dash["panels"] for t in p["targets"]]
    used = set().union(*(metric_names(e) for e in exprs))
    assert used - known == set()
    assert {"thermowatch_http_request_seconds_bucket", "thermowatch_backup_last_success_"
            "timestamp_seconds", "thermowatch_monitor_leader_present"} <= used  # fmt: skip


def test_nft_accepts_the_firewall_which_opens_only_documented_ports() -> None:
    nft = shutil.which("nft") or "/usr/sbin/nft"
    require(Path(nft).exists(), "nft (apt-get install nftables)")
    path = DEPLOY / "nftables" / "thermowatch.nft"
    proc = subprocess.run([nft, "-c", "-f", str(path)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    text = path.read_text()
    assert "policy drop" in text
    assert sorted(set(re.findall(r"dport \{?\s*([\d, ]+)", text))) == ["22 ", "80, 443 ", "8883 "]


def test_nginx_accepts_the_site_rendered_for_loopback(tmp_path: Path) -> None:
    nginx = nginx_bin()
    require(nginx is not None, "nginx (apt-get install nginx)")
    crt, key = self_signed(tmp_path)
    site = tmp_path / "site.conf"
    site.write_text(render_site([18001, 18002], https_port=18443, http_port=18080, cert=crt,
                                key=key, log_dir=tmp_path))  # fmt: skip
    proc = subprocess.run([nginx, "-t", "-c", str(nginx_main_conf(tmp_path, site)),
                           "-p", str(tmp_path)], capture_output=True, text=True)  # fmt: skip
    assert proc.returncode == 0 and "test is successful" in proc.stderr, proc.stderr
    text = site.read_text()
    for needed in ("ssl_protocols TLSv1.2 TLSv1.3", "Strict-Transport-Security",
                   "proxy_buffering off", "limit_req zone=", "max_fails=1"):  # fmt: skip
        assert needed in text, needed


def test_every_unit_uses_the_installed_paths_and_the_hardening_drop_in() -> None:
    units = sorted((DEPLOY / "systemd").glob("thermowatch-*.service"))
    assert len(units) == 8
    for u in units:
        text = u.read_text()
        assert "ExecStart=/opt/thermowatch/venv/bin/" in text, u.name
        assert "EnvironmentFile=/etc/thermowatch/thermowatch.env" in text, u.name
    drop_in = (DEPLOY / "systemd" / "thermowatch-.service.d" / "hardening.conf").read_text()
    for key in ("User=thermowatch", "NoNewPrivileges=yes", "ProtectSystem=strict",
                "CapabilityBoundingSet=", "SystemCallFilter=@system-service"):  # fmt: skip
        assert f"\n{key}" in drop_in, key
    timers = {t.stem for t in (DEPLOY / "systemd").glob("*.timer")}
    assert timers == {"thermowatch-backup", "thermowatch-retention", "thermowatch-outbox",
                      "thermowatch-doctor"}  # fmt: skip


def test_install_sh_explains_itself_and_refuses_unknown_options() -> None:
    script = str(DEPLOY / "install.sh")
    assert subprocess.run(["bash", "-n", script]).returncode == 0
    usage = subprocess.run(["bash", script, "--help"], capture_output=True, text=True)
    assert usage.returncode == 0 and "Idempotent" in usage.stdout and "--root DIR" in usage.stdout
    bad = subprocess.run(["bash", script, "--colour"], capture_output=True, text=True)
    assert bad.returncode == 2 and "unknown option --colour" in bad.stderr
