"""Alerts: levels with hysteresis, lifecycle, escalation, channels, outbox, phases, actions."""
