"""MkDocs hook: the configuration reference is generated from the code, so it cannot drift.

Each ``<!-- config-reference -->`` marker in a page is replaced by tables of every key of
thermowatch.toml, read from the dataclasses that parse it (name, default, description from
their numpydoc ``Attributes``), and of every ``THERMOWATCH_*`` environment variable the
command line reads. ``<!-- phase-criteria -->`` becomes the table of the deployment phases'
criteria (``thermowatch.cli.phase.CRITERIA``).
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

MARKER = "<!-- config-reference -->"
SRC = Path(__file__).resolve().parents[2] / "src" / "thermowatch"
HEAD = {
    "fr": ("Clé", "Défaut", "Description (du code, en anglais)"),
    "en": ("Key", "Default", "Description (from the code)"),
}
ENV_HEAD = {"fr": ("Variable", "Lue par"), "en": ("Variable", "Read by")}


def attribute_docs(cls: type) -> dict[str, str]:
    """``name -> description`` from a numpydoc ``Attributes`` section (``a, b : text``)."""
    doc = cls.__doc__ or ""
    if "Attributes" not in doc:
        return {}
    body = doc.split("Attributes", 1)[1].split("----------", 1)[-1]
    out: dict[str, str] = {}
    names: list[str] = []
    for line in body.splitlines():
        m = re.match(r"^\s{4}([a-z_][\w, ]*?)\s:\s(.*)$", line)
        if m:
            names = [n.strip() for n in m[1].split(",")]
            for n in names:
                out[n] = m[2].strip()
        elif line.strip() and names:
            for n in names:
                out[n] += " " + line.strip()
    return out


def _default(f: dataclasses.Field) -> str:
    if f.default is not dataclasses.MISSING:
        value: Any = f.default
    elif f.default_factory is not dataclasses.MISSING:
        value = f.default_factory()
    else:
        return "—"
    if value in (None, (), {}, ""):
        return "—"
    return f"`{value!r}`".replace("|", "\\|")


def table(cls: type, section: str, lang: str, skip: tuple[str, ...] = ()) -> str:
    docs = attribute_docs(cls)
    key, default, desc = HEAD[lang]
    rows = [f"### `{section}`", "", f"| {key} | {default} | {desc} |", "|---|---|---|"]
    for f in dataclasses.fields(cls):
        if f.name in skip or f.name.startswith("_"):
            continue
        text = docs.get(f.name, "").replace("|", "\\|")
        rows.append(f"| `{f.name}` | {_default(f)} | {text} |")
    return "\n".join(rows) + "\n"


def env_table(lang: str) -> str:
    """Every ``THERMOWATCH_*`` name that the sources read (envvar= options, the settings tree's
    :class:`~thermowatch.settings.Environment` and the ``[service]`` keys)."""
    found: dict[str, set[str]] = {}
    for path in sorted(SRC.rglob("*.py")):
        for name in re.findall(r"[\"'](THERMOWATCH_[A-Z_]+)[\"']", path.read_text()):
            found.setdefault(name, set()).add(path.relative_to(SRC).with_suffix("").as_posix())
    from thermowatch.service.settings import Settings
    from thermowatch.settings import ENV_PREFIX, PROCESS_VARIABLES, Environment

    for name in Environment.model_fields:
        if name.upper() not in PROCESS_VARIABLES:
            found.setdefault(ENV_PREFIX + name.upper(), set()).add("settings")
    for f in dataclasses.fields(Settings):
        if f.name != "networks":
            found.setdefault(ENV_PREFIX + f.name.upper(), set()).add("service/settings")
    var, by = ENV_HEAD[lang]
    rows = [f"| {var} | {by} |", "|---|---|"]
    rows += [f"| `{n}` | {', '.join(sorted(m))} |" for n, m in sorted(found.items())]
    return "\n".join(rows) + "\n"


def reference(lang: str) -> str:
    from thermowatch.alerts.config import ActionConfig, AlertsConfig
    from thermowatch.ingest.config import MonitorConfig, SourceConfig, TransformerConfig
    from thermowatch.service.settings import Settings

    parts = [
        table(Settings, "[service]", lang, skip=("networks",)),
        table(MonitorConfig, "[monitor]", lang, skip=("transformers",)),
        table(TransformerConfig, "[[transformers]]", lang, skip=("source",)),
        table(SourceConfig, "[transformers.source]", lang),
        table(
            AlertsConfig,
            "[alerts]",
            lang,
            skip=("hysteresis", "channels", "contacts", "escalation", "actions", "delivery"),
        ),
        table(ActionConfig, "[[alerts.actions]]", lang),
        "### " + ("Variables d'environnement" if lang == "fr" else "Environment variables"),
        "",
        env_table(lang),
    ]
    return "\n".join(parts)


PHASE_MARKER = "<!-- phase-criteria -->"
PHASE_HEAD = {
    "fr": (
        "phase",
        "semaines observées ≥",
        "écart moyen ≤ [K]",
        "alertes jugées ≥",
        "fausses alertes ≤",
    ),
    "en": ("phase", "weeks observed ≥", "mean error ≤ [K]", "alerts judged ≥", "false alarms ≤"),
}


def phase_criteria(lang: str) -> str:
    from thermowatch.cli.phase import CRITERIA

    head = PHASE_HEAD[lang]
    rows = ["| " + " | ".join(head) + " |", "|---|---|---|---|---|"]
    for phase, c in sorted(CRITERIA.items()):
        rows.append(
            f"| {phase} | {c.min_weeks:g} | {c.max_mae_k:g} | {c.min_judged} | "
            f"{c.max_false_share:.0%} |"
        )
    return "\n".join(rows) + "\n"


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    """Fill the markers of a page, in the page's language (``*.en.md`` or French)."""
    lang = "en" if page.file.src_uri.endswith(".en.md") else "fr"
    if MARKER in markdown:
        markdown = markdown.replace(MARKER, reference(lang))
    if PHASE_MARKER in markdown:
        markdown = markdown.replace(PHASE_MARKER, phase_criteria(lang))
    return markdown
