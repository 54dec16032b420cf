"""Write the analysis report: ``report.md``, ``report.html``, ``metrics.json`` and the figure.

The HTML is one self-contained file (inline CSS, the PNG embedded as base64) that can be
mailed or archived as is. Every text from the data is escaped: column names are whatever the
SCADA export says, ``<`` and ``&`` included.
"""

from __future__ import annotations

import base64
import html
import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from thermowatch.learn.result import TrainingResult
from thermowatch.report.blocks import Document, Figure, Findings, Table
from thermowatch.report.document import build_document
from thermowatch.report.figures import FILE_NAME, plot_predictions
from thermowatch.report.forecast_figure import FILE_NAME as FORECAST_FILE_NAME
from thermowatch.report.forecast_figure import plot_forecast_error
from thermowatch.report.i18n import t
from thermowatch.report.recommendations import recommendations

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;max-width:1100px;
margin:2em auto;padding:0 1em;color:#222;line-height:1.45}
h1{border-bottom:3px solid #c0392b;padding-bottom:.2em}
h2{margin-top:1.8em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.6em 0;font-size:.92em}
th,td{border:1px solid #ccc;padding:.25em .6em;text-align:left}
th{background:#f2f2f2}
td.num{text-align:right;font-variant-numeric:tabular-nums}
ul.findings{list-style:none;padding:0}
ul.findings li{margin:.4em 0;padding:.45em .7em;border-left:5px solid #3498db;background:#f7fbfe}
ul.findings li.warning{border-color:#e67e22;background:#fef8f1}
ul.findings li.critical{border-color:#c0392b;background:#fdf1f0}
.sev{font-weight:600;text-transform:uppercase;font-size:.8em;margin-right:.5em}
img{max-width:100%}
details.more>summary{cursor:pointer;font-size:1.3em;font-weight:600;margin-top:1.8em}
footer{margin-top:2.5em;color:#777;font-size:.85em;border-top:1px solid #ddd;padding-top:.5em}
"""


def json_safe(value: Any) -> Any:
    """``value`` with numpy types made plain and NaN/inf replaced by ``None`` (strict JSON)."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if isinstance(value, np.ndarray):
        return [json_safe(v) for v in value.tolist()]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)  # timestamps, paths


def metrics_dict(result: TrainingResult) -> dict[str, Any]:
    """What ``metrics.json`` holds (the machine-readable twin of the report)."""
    th = result.thresholds
    return json_safe(
        {
            "target": result.measurements.target,
            "target_kind": result.target_kind,
            "source": result.measurements.source,
            "lang": result.lang,
            "split": result.split,
            "models": result.models,
            "chosen_model": result.chosen_model,
            "interval": result.interval,
            "thresholds": {
                "alerte_c": th.alerte_c,
                "critique_c": th.critique_c,
                "rule": th.rule,
                "explanation": th.explanation,
            },
            "cleaning": result.measurements.cleaning.to_dict(),
            "error_by_season": result.error_by_season,
            "error_by_load_band": result.error_by_load_band,
            "cross_validation": result.cross_validation,
            "coefficients": result.coefficients,
            "drivers": result.drivers,
            "roles": result.roles,
            "selection_rule": result.selection_rule,
            "importances_k": result.importances_k,
            "treated_as_load": result.treated_as_load,
            "forecast": result.forecast,
            "rated_current_a": result.rated_current_a,
            "timings": result.timings,
        }
    )


def write_report(
    result: TrainingResult, out_dir: str | Path, nameplate: dict[str, Any] | None = None
) -> dict[str, Path]:
    """Write the figure, ``metrics.json``, ``report.md`` and ``report.html`` into ``out_dir``.

    ``nameplate`` (``name``, ``rated_power_mva``, ``rated_voltage_kv``, ``cooling``) names the
    transformer on the first page and in the figure's title.

    Returns
    -------
    dict of str to pathlib.Path
        ``{"figure", "metrics", "markdown", "html"}`` paths.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    figure = plot_predictions(result, out / FILE_NAME, name=(nameplate or {}).get("name"))
    forecast_png = plot_forecast_error(result, out / FORECAST_FILE_NAME)
    extra = {forecast_png.name: forecast_png.read_bytes()} if forecast_png else {}
    recs = recommendations(result)
    metrics = metrics_dict(result)
    metrics["recommendations"] = json_safe(
        [{"key": r.key, "severity": r.severity, "text": r.text, "figures": r.figures} for r in recs]
    )
    doc = build_document(result, recs, nameplate)
    paths = {
        "figure": figure,
        "metrics": out / "metrics.json",
        "markdown": out / "report.md",
        "html": out / "report.html",
    }
    paths["metrics"].write_text(
        json.dumps(metrics, ensure_ascii=False, indent=2, allow_nan=False), encoding="utf-8"
    )
    paths["markdown"].write_text(to_markdown(doc, figure.name), encoding="utf-8")
    paths["html"].write_text(to_html(doc, figure.read_bytes(), extra), encoding="utf-8")
    if forecast_png:
        paths["forecast_figure"] = forecast_png
    return paths


# --- Markdown ---------------------------------------------------------------------------------


def _md(text: str) -> str:
    """Escape a data text for a Markdown table or paragraph (no HTML, no broken cells)."""
    return html.escape(str(text), quote=False).replace("|", "\\|").replace("\n", " ")


def _md_table(table: Table) -> list[str]:
    header = [_md(cell) for cell in table.header]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_md(cell) for cell in row) + " |" for row in table.rows]
    return [*lines, ""]


def to_markdown(doc: Document, figure_name: str) -> str:
    """The report as Markdown, the figure linked by file name (next to ``report.md``)."""
    lines = [f"# {_md(doc.title)}", ""]
    for section in doc.sections:
        lines += [f"## {_md(section.title)}", ""]
        for block in section.blocks:
            if isinstance(block, Table):
                lines += _md_table(block)
            elif isinstance(block, Findings):
                lines += [
                    f"- **{_md(t(f'severity.{r.severity}', doc.lang))}** — {_md(r.text)}"
                    for r in block.items
                ] + [""]
            elif isinstance(block, Figure):
                lines += [f"![{_md(block.alt)}]({block.name or figure_name})", ""]
            else:
                lines += [_md(block), ""]
    lines += ["---", "", _md(doc.footer), ""]
    return "\n".join(lines)


# --- HTML -------------------------------------------------------------------------------------


def _e(text: Any) -> str:
    return html.escape(str(text))


def _html_table(table: Table) -> str:
    head = "".join(f"<th>{_e(cell)}</th>" for cell in table.header)
    body = "".join(
        "<tr>" + "".join(_html_cell(cell) for cell in row) + "</tr>" for row in table.rows
    )
    thead = f"<thead><tr>{head}</tr></thead>" if any(table.header) else ""  # key/value tables
    return f"<table>{thead}<tbody>{body}</tbody></table>"


def _html_cell(cell: str) -> str:
    numeric = cell.replace(",", "").replace(".", "").replace("-", "").replace(" K", "").isdigit()
    return f'<td class="num">{_e(cell)}</td>' if numeric else f"<td>{_e(cell)}</td>"


def to_html(doc: Document, png: bytes, extra: dict[str, bytes] | None = None) -> str:
    """The report as one self-contained HTML page (inline CSS, figures as data URIs; ``extra``
    holds the named figures by file name)."""

    def uri(data: bytes) -> str:
        return "data:image/png;base64," + base64.b64encode(data).decode("ascii")

    image = uri(png)
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{_e(doc.lang)}"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(doc.title)}</title><style>{CSS}</style></head><body>",
        f"<h1>{_e(doc.title)}</h1>",
    ]
    details_open = False
    for section in doc.sections:
        if section.details and not details_open:  # page one first; the rest unfolds on demand
            parts.append(f'<details class="more"><summary>{_e(t("h.details", doc.lang))}</summary>')
            details_open = True
        parts.append(f"<section><h2>{_e(section.title)}</h2>")
        for block in section.blocks:
            if isinstance(block, Table):
                parts.append(_html_table(block))
            elif isinstance(block, Findings):
                items = "".join(
                    f'<li class="{_e(r.severity)}" data-key="{_e(r.key)}">'
                    f'<span class="sev">{_e(t(f"severity.{r.severity}", doc.lang))}</span>'
                    f"{_e(r.text)}</li>"
                    for r in block.items
                )
                parts.append(f'<ul class="findings">{items}</ul>')
            elif isinstance(block, Figure):
                source = (
                    uri(extra[block.name])
                    if block.name and extra and block.name in extra
                    else image
                )
                parts.append(f'<figure><img alt="{_e(block.alt)}" src="{source}"></figure>')
            else:
                parts.append(f"<p>{_e(block)}</p>")
        parts.append("</section>")
    if details_open:
        parts.append("</details>")
    parts.append(f"<footer>{_e(doc.footer)}</footer></body></html>")
    return "\n".join(parts)
