"""The report's content, independent of its format: sections of paragraphs, tables and lists.

:func:`build_document` decides *what* the report says (in the result's language);
:mod:`thermowatch.report.render` decides how it looks in Markdown and HTML. Texts taken from
the data (column names, source path) are kept raw here and escaped by each renderer.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

import thermowatch
from thermowatch.learn.result import TrainingResult
from thermowatch.report.blocks import (
    Block,
    Document,
    Figure,
    Findings,
    Section,
    Table,
    ordered_bands,
)
from thermowatch.report.first_page import coverage_section, first_page
from thermowatch.report.i18n import TEXTS, label, number, t, tn
from thermowatch.report.recommendations import BASELINE_MODEL, Recommendation, recommendations
from thermowatch.thermal.ageing import NORMAL_PAPER_REFERENCE_C
from thermowatch.thermal.limits import IEC_LOADING_LIMITS

METRIC_COLUMNS = ("rmse", "mae", "r2", "max_error", "bias", "coverage")
METRIC_DIGITS = {"rmse": 2, "mae": 2, "r2": 3, "max_error": 2, "bias": 2, "coverage": 1}


def build_document(
    result: TrainingResult,
    recs: list[Recommendation] | None = None,
    nameplate: dict[str, Any] | None = None,
) -> Document:
    """Every section of the report, in the result's language: the first page (who, verdict,
    key figures, actions by urgency), the figure, the interval's reliability by load band and
    the other findings; then the details (folded in HTML)."""
    lang = result.lang
    recs = recommendations(result) if recs is None else recs
    actions = [r for r in recs if r.severity != "info"]
    others = [r for r in recs if r.severity == "info"]
    details = [
        _summary(result),
        Section(t("h.metrics", lang), [_metrics_table(result)]),
        Section(
            t("h.error_by_season", lang),
            [_grouped_table(result.error_by_season, "col.season", "season", lang)],
        ),
        Section(
            t("h.error_by_load_band", lang),
            [_grouped_table(ordered_bands(result.error_by_load_band), "col.load_band", "", lang)],
        ),
        Section(
            t("h.cross_validation", lang),
            [_cross_validation_table(result), *_fold_stability(result)],
        ),
        *_roles(result),
        *_forecast(result),
        *_importance(result),
        _thresholds(result),
        _cleaning(result),
    ]
    for section in details:
        section.details = True
    sections = [
        first_page(result, actions, nameplate),
        Section(t("h.figure", lang), [Figure(t("h.figure", lang))]),
        coverage_section(result),
        Section(t("h.findings", lang), [Findings(others)] if others else [t("empty", lang)]),
        *details,
    ]
    return Document(t("report.title", lang), lang, sections, _footer(result))


def _reason(choice: dict, lang: str) -> str:
    """The selection rule's reason in the report's language (older metrics: as stored)."""
    key, values = choice.get("reason_key"), dict(choice.get("reason_values") or {})
    if key not in ("lowest", "simpler", "combination"):
        return str(choice["reason"])
    if "error" in values:
        values["error"] = number(values["error"], lang, 4)
    if "tolerance" in values:
        values["tolerance"] = number(values["tolerance"], lang, 0)
    return t(f"roles.reason.{key}", lang, **values)


def _roles(result: TrainingResult) -> list[Section]:
    """Which model serves each role, the runner-up and why (the written rule)."""
    if not result.roles:
        return []
    lang = result.lang
    rows = []
    for role, choice in result.roles.items():
        score = choice["validation_scores"].get(choice["chosen"])
        rows.append(
            [
                t(f"role.{role}", lang),
                choice["chosen"],
                choice.get("runner_up") or "—",
                number(score, lang, 4) if score is not None else "—",
                _reason(choice, lang),
            ]
        )
    header = [t(k, lang) for k in ("col.role", "col.chosen", "col.runner_up", "col.validation")]
    rule = result.selection_rule.get(lang, "")
    return [
        Section(
            t("h.roles", lang),
            [t("roles.rule", lang, rule=rule), Table([*header, t("col.reason", lang)], rows)],
        )
    ]


def _forecast(result: TrainingResult) -> list[Section]:
    """Test MSE of each forecaster at a few horizons, the served one's coverage, the figure."""
    forecast = result.forecast
    if not forecast or not forecast.get("models"):
        return []
    lang = result.lang
    horizon = forecast["horizon_steps"]
    steps = sorted({s for s in (1, 24, 96, horizon) if s <= horizon})
    rows = []
    for name, parts in forecast["models"].items():
        by_step = parts["test"]["mse_by_step"]
        label_ = f"{name} ★" if name == forecast.get("chosen") else name
        rows.append(
            [label_, number(parts["test"]["mse"], lang, 4)]
            + [number(by_step[s - 1], lang, 4) for s in steps]
        )
    header = [t("col.model", lang), t("col.horizon_steps", lang) + " 1…" + str(horizon)]
    header += [str(s) for s in steps]
    coverage = [c for c in forecast.get("coverage_test_by_step", []) if c == c]
    spread = number(forecast.get("spread_k"), lang, 2)
    cover = (
        f"{number(100 * min(coverage), lang, 1)}–{number(100 * max(coverage), lang, 1)} %"
        if coverage
        else "—"
    )
    intro = t(
        "forecast.intro",
        lang,
        spread=spread,
        level=number(100 * forecast.get("interval_level", 0.9), lang, 0),
        coverage=cover,
    )
    from thermowatch.report.forecast_figure import FILE_NAME

    figure = Figure(t("fig.forecast_error", lang), FILE_NAME)
    return [Section(t("h.forecast", lang), [intro, Table(header, rows), figure])]


def _importance(result: TrainingResult) -> list[Section]:
    """Grouped permutation importances [K] and the columns treated as loads."""
    lang = result.lang
    blocks: list[Block] = []
    if result.importances_k:
        blocks.append(t("importance.intro", lang))
        rows = [[label("feature", name, lang), number(value, lang, 2)]
                for name, value in result.importances_k]  # fmt: skip
        blocks.append(Table([t("col.input", lang), t("col.importance_k", lang)], rows))
    if result.treated_as_load:
        blocks.append(t("loads.treated", lang, columns=", ".join(result.treated_as_load)))
    return [Section(t("h.importance", lang), blocks)] if blocks else []


def metric_text(metric: str, value: Any, lang: str) -> str:
    """A metric as shown in tables (coverage in percent)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if metric == "coverage":
        value = 100 * float(value)
    return number(float(value), lang, METRIC_DIGITS.get(metric, 2))


def _summary(result: TrainingResult) -> Section:
    lang, meas = result.lang, result.measurements
    index = meas.frame.index
    rmse = result.models.get(result.chosen_model, {}).get("test", {}).get("rmse")
    baseline = result.models.get(BASELINE_MODEL, {}).get("test", {}).get("rmse")
    step_minutes = meas.step.total_seconds() / 60
    rows = [
        [t("summary.source", lang), meas.source],
        [
            t("summary.period", lang),
            t("summary.period_value", lang, start=_stamp(index[0]), end=_stamp(index[-1])),
        ],
        [
            t("summary.rows", lang),
            f"{meas.cleaning.rows_in} / {meas.cleaning.rows_out or len(index)}",
        ],
        [t("summary.step", lang), f"{number(step_minutes, lang)} min"],
        [t("summary.target", lang), f"{meas.target} ({t(f'kind.{result.target_kind}', lang)})"],
        [t("summary.model", lang), result.chosen_model],
        [t("summary.test_rmse", lang), f"{metric_text('rmse', rmse, lang)} K"],
    ]
    sentence = t(
        "summary.sentence",
        lang,
        model=result.chosen_model,
        target=meas.target,
        rmse=metric_text("rmse", rmse, lang),
        baseline=metric_text("rmse", baseline, lang),
        baseline_model=BASELINE_MODEL,
    )
    return Section(t("h.summary", lang), [sentence, Table(["", ""], rows)])


def _metric_header(lang: str) -> list[str]:
    return [t(f"col.{metric}", lang) for metric in METRIC_COLUMNS]


def _metrics_table(result: TrainingResult) -> Table:
    lang = result.lang
    rows = []
    for model, by_split in result.models.items():
        for part, metrics in by_split.items():
            name = f"{model} ★" if model == result.chosen_model else model
            rows.append(
                [name, label("split", part, lang)]
                + [metric_text(m, metrics.get(m), lang) for m in METRIC_COLUMNS]
            )
    return Table([t("col.model", lang), t("col.split", lang), *_metric_header(lang)], rows)


def _grouped_table(groups: dict[str, dict], first: str, prefix: str, lang: str) -> Table | str:
    if not groups:
        return t("empty", lang)
    rows = [
        [label(prefix, name, lang) if prefix else name]
        + [metric_text(m, metrics.get(m), lang) for m in METRIC_COLUMNS]
        for name, metrics in groups.items()
    ]
    return Table([t(first, lang), *_metric_header(lang)], rows)


def _fold_stability(result: TrainingResult) -> list[Block]:
    """Per normal-behaviour candidate, its worst and median fold and whether it may be served
    (a worst fold above 3 × the median is not)."""
    lang = result.lang
    folds = result.roles.get("normal", {}).get("folds", {})
    out: list[Block] = []
    for name, verdict in folds.items():
        worst, median = verdict.get("worst_rmse"), verdict.get("median_rmse")
        if worst is None or median is None or not math.isfinite(worst):
            continue
        key = "cv.stable" if verdict.get("stable") else "cv.unstable"
        if not verdict.get("stable") and verdict.get("served"):
            key = "cv.unstable_served"  # every candidate was unstable: the steadiest is served
        out.append(
            t(
                key,
                lang,
                model=name,
                worst=number(worst, lang, 2),
                median=number(median, lang, 2),
                ratio=number(worst / median if median else math.inf, lang, 1),
            )
        )
    return out


def _cross_validation_table(result: TrainingResult) -> Table | str:
    lang = result.lang
    if not result.cross_validation:
        return t("empty", lang)
    known = {"fold": "col.fold", "train_end": "col.train_end", "test_end": "col.test_end"}
    known |= {m: f"col.{m}" for m in METRIC_COLUMNS} | {"baseline_rmse": "col.baseline_rmse"}
    keys = [k for k in known if any(k in fold for fold in result.cross_validation)]
    rows = []
    for fold in result.cross_validation:
        row = []
        for key in keys:
            value = fold.get(key)
            if key in ("train_end", "test_end"):
                row.append(str(value)[:16].replace("T", " ") if value else "—")
            elif key == "fold":
                row.append(str(value))
            else:
                row.append(metric_text("rmse" if key == "baseline_rmse" else key, value, lang))
        rows.append(row)
    return Table([t(known[k], lang) for k in keys], rows)


def _thresholds(result: TrainingResult) -> Section:
    """Each threshold with the rule that set it, the data rule beside for comparison."""
    from thermowatch.learn.thresholds import data_thresholds

    lang, th = result.lang, result.thresholds
    rule = label("rule", th.rule, lang)
    rows = [
        [t("level.alerte", lang), number(th.alerte_c, lang), rule],
        [t("level.critique", lang), number(th.critique_c, lang), rule],
    ]
    values = {"alerte": number(th.alerte_c, lang), "critique": number(th.critique_c, lang)}
    if th.rule == "iec":
        kind = "oil" if result.target_kind == "oil" else "winding"
        blocks: list[Block] = [t(f"thresholds.rule.iec_{kind}", lang, **values)]
    elif th.rule == "data":
        blocks = [t("thresholds.rule.data", lang)]
    else:
        blocks = [t("thresholds.rule.given", lang, rule=rule, **values)]
    train = result.predictions.loc[result.predictions["split"] == "train", "measured"]
    if th.rule != "data" and len(train):
        data_alerte, data_critique = data_thresholds(train.to_numpy())
        comparison = t("rule.data", lang)
        rows += [
            [t("level.alerte", lang), number(data_alerte, lang), comparison],
            [t("level.critique", lang), number(data_critique, lang), comparison],
        ]
        blocks.append(
            t(
                "thresholds.data_comparison",
                lang,
                alerte=number(data_alerte, lang),
                critique=number(data_critique, lang),
            )
        )
    if result.target_kind == "winding" or result.hot_spot_c is not None:
        source = t("iec.source", lang)
        rows.append(
            [t("iec.reference_ageing", lang), number(NORMAL_PAPER_REFERENCE_C, lang), source]
        )
        rows += [
            [t(f"iec.{limit.key}", lang), number(limit.hot_spot_c, lang), source]
            for limit in IEC_LOADING_LIMITS
        ]
        blocks.append(t("thresholds.iec_note", lang))
    header = [t("col.level", lang), t("col.value_c", lang), t("col.rule", lang)]
    blocks.insert(0, Table(header, rows))
    return Section(t("h.thresholds", lang), blocks)


def _cleaning(result: TrainingResult) -> Section:
    lang, cleaning = result.lang, result.measurements.cleaning
    rows = [
        [
            label("cleaning", step.key, lang),
            _count(step.count, step.unit, lang),
            _detail(step.detail, lang),
        ]
        for step in cleaning.steps
        if step.count
    ]
    intro = t("cleaning.summary", lang, rows_in=cleaning.rows_in, rows_out=cleaning.rows_out)
    header = [t("col.step", lang), t("col.count", lang), t("col.detail", lang)]
    return Section(
        t("h.cleaning", lang), [intro, Table(header, rows) if rows else t("empty", lang)]
    )


def _count(n: int, unit: str, lang: str) -> str:
    """``1 valeur``, ``3 valeurs`` (``count.<unit>`` plural forms), else ``n unit``."""
    if f"count.{unit}.one" in TEXTS:
        return tn(f"count.{unit}", n, lang)
    return f"{n} {label('unit', unit, lang)}"


_DETAIL_PREFIXES = (
    ("first at ", "cleaning.first_at", "times"),
    ("data rows ", "cleaning.data_rows", "rows"),
)


def _detail(text: str, lang: str) -> str:
    """The data layer's step details ("first at …", "data rows …") in the report's language."""
    for prefix, key, name in _DETAIL_PREFIXES:
        if text.startswith(prefix):
            return t(key, lang, **{name: text[len(prefix) :]})
    return t("cleaning.disabled", lang) if text == "disabled" else text


def _footer(result: TrainingResult) -> str:
    lang = result.lang
    timings = ", ".join(
        f"{label('timing', name, lang)} {number(seconds, lang)} s"
        for name, seconds in result.timings.items()
    )
    return t(
        "footer",
        lang,
        version=thermowatch.__version__,
        date=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        timings=timings or t("footer.no_timings", lang),
    )


def _stamp(value: Any) -> str:
    """A timestamp as ``YYYY-MM-DD HH:MM UTC``."""
    return f"{str(value)[:16].replace('T', ' ')} UTC"
