"""A complete alerts config pointing at the loopback servers of a test."""

from __future__ import annotations

import tomllib

from thermowatch.alerts.config import AlertsConfig, parse_config


def make_config(smtp_port: int, http_url: str, phase: int = 2, extra: str = "") -> AlertsConfig:
    text = f"""
[alerts]
phase = {phase}
[alerts.levels]
deadband_k = 2
raise_after_minutes = 5
clear_after_minutes = 10
[alerts.delivery]
backoff_initial_seconds = 30
backoff_max_seconds = 600
max_attempts = 10
[alerts.channels.email]
type = "email"
host = "127.0.0.1"
port = {smtp_port}
security = "none"
sender = "thermowatch@poste-nord.example"
timeout_seconds = 3
[alerts.channels.sms]
type = "webhook"
url = "{http_url}/sms/send"
headers = {{ Authorization = "Bearer ${{token}}" }}
token_env = "TW_TEST_SMS_TOKEN"
json = {{ to = "${{recipient}}", message = "${{text}}" }}
[alerts.channels.push]
type = "ntfy"
url = "{http_url}/ntfy"
[alerts.channels.chat]
type = "chat"
url = "{http_url}/chat/hook"
[alerts.contacts.astreinte]
lang = "fr"
to = {{ email = "astreinte@poste-nord.example", sms = "+33600000001", push = "tw-nord", chat = "exploitation" }}
[alerts.contacts.chef]
lang = "en"
to = {{ email = "chef@poste-nord.example" }}
[alerts.escalation]
after_minutes = 15
steps = [["astreinte"], ["chef"]]
{extra}
"""
    return parse_config(tomllib.loads(text))
