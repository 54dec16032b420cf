"""What the engineer should know and do, each point quoting the number behind it.

:func:`recommendations` reads a :class:`~thermowatch.learn.result.TrainingResult` and returns
:class:`Recommendation` items in the result's language, most severe first.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd

from thermowatch.data import quantities as q
from thermowatch.learn.result import TrainingResult
from thermowatch.report.analysis import (
    hours_above,
    insulation_ageing,
    overload_episodes,
    residual_trend_k_per_month,
    time_above,
)
from thermowatch.report.i18n import join_words, label, number, t, tn
from thermowatch.thermal import IEC_LOADING_LIMITS
from thermowatch.thermal.limits import NORMAL_CYCLIC

Severity = Literal["info", "warning", "critical"]
SEVERITY_ORDER: dict[str, int] = {"critical": 0, "warning": 1, "info": 2}

TREND_ALARM_K_PER_MONTH = 0.3  # beyond sensor drift and seasonal model bias: look at cooling
MIN_TREND_DAYS = 30
LOW_R2 = 0.5
BASELINE_MODEL = "baseline-linear"
LOAD_QUANTITIES = (q.CURRENT, q.LOAD_PU, q.APPARENT_POWER, q.ACTIVE_POWER)
SENSOR_ISSUES = ("frozen_sensor", "spike", "out_of_range", "non_numeric_value")


@dataclass(frozen=True)
class Recommendation:
    """One finding of the report.

    Attributes
    ----------
    key
        Stable identifier (``"threshold_alerte"``, ``"cooling_trend"``…), for tests and tools.
    severity
        ``"info"``, ``"warning"`` or ``"critical"``.
    text
        The sentence(s) in the result's language.
    figures
        The numbers quoted in ``text``, unformatted (units in the key names).
    """

    key: str
    severity: Severity
    text: str
    figures: dict[str, Any] = field(default_factory=dict)


def recommendations(result: TrainingResult) -> list[Recommendation]:
    """All findings for a training run, most severe first (stable within a severity)."""
    found: list[Recommendation] = []
    for make in (
        _thresholds,
        _iec_limits,
        _ageing,
        _overloads,
        _cooling_trend,
        _missing_inputs,
        _missing_rating,
        _low_r2,
        _coverage_by_load,
        _data_quality,
        _drivers,
        _evaluation,
    ):
        found.extend(make(result))
    return sorted(found, key=lambda rec: SEVERITY_ORDER[rec.severity])


def _test_metric(result: TrainingResult, model: str, metric: str) -> float:
    return float(result.models.get(model, {}).get("test", {}).get(metric, math.nan))


def _measured(result: TrainingResult) -> pd.Series:
    return result.predictions["measured"]


def _thresholds(result: TrainingResult) -> list[Recommendation]:
    lang, th = result.lang, result.thresholds
    measured = _measured(result)
    found = []
    for level, value, severity in (
        ("alerte", th.alerte_c, "warning"),
        ("critique", th.critique_c, "critical"),
    ):
        ex = time_above(measured, value, result.measurements.step, result.load_pu)
        if ex.hours == 0:
            continue
        load = ""
        if ex.load_mean_pu is not None:
            load = t(
                "rec.threshold_load",
                lang,
                mean=number(ex.load_mean_pu, lang, 2),
                max=number(ex.load_max_pu, lang, 2),
            )
        text = t(
            "rec.threshold_above",
            lang,
            level=t(f"level.of.{level}", lang),
            threshold=number(value, lang),
            hours=number(ex.hours, lang),
            share=number(100 * ex.share, lang),
            seasons=join_words([label("season", s, lang) for s in ex.seasons], lang),
            months=join_words([t(f"month.{m}", lang) for m in ex.months], lang),
            hour=ex.typical_hour,
            load=load,
        )
        limit_pu, action = _limit_load(result, measured, value)
        text += action
        figures = {
            "limit_load_pu": limit_pu,
            "threshold_c": value,
            "hours": ex.hours,
            "share": ex.share,
            "seasons": ex.seasons,
            "months": ex.months,
            "typical_hour_utc": ex.typical_hour,
            "load_mean_pu": ex.load_mean_pu,
            "load_max_pu": ex.load_max_pu,
        }
        found.append(Recommendation(f"threshold_{level}", severity, text, figures))
    if not found:
        text = t(
            "rec.threshold_never",
            lang,
            threshold=number(th.alerte_c, lang),
            max=number(float(measured.max()), lang),
        )
        figures = {"threshold_c": th.alerte_c, "max_c": float(measured.max())}
        found.append(Recommendation("threshold_never", "info", text, figures))
    return found


def _top_oil(result: TrainingResult) -> pd.Series | None:
    meas = result.measurements
    if result.target_kind == "oil":
        return meas.frame[meas.target]
    column = meas.column_for(q.TOP_OIL_TEMPERATURE)
    return meas.frame[column] if column else None


def _iec_limits(result: TrainingResult) -> list[Recommendation]:
    lang, step = result.lang, result.measurements.step
    found = []
    if result.hot_spot_c is not None:
        hot = result.hot_spot_c
        # Report only the highest limit exceeded: the lower ones are then exceeded too.
        for limit in reversed(IEC_LOADING_LIMITS):
            hours = hours_above(hot, limit.hot_spot_c, step)
            if hours > 0:
                severity = "warning" if limit is NORMAL_CYCLIC else "critical"
                text = t(
                    "rec.iec_hot_spot",
                    lang,
                    limit=number(limit.hot_spot_c, lang),
                    regime=t(f"iec.{limit.key}", lang),
                    hours=number(hours, lang),
                    max=number(float(hot.max()), lang),
                )
                limit_pu, action = _limit_load(result, hot, limit.hot_spot_c)
                text += action
                figures = {"limit_c": limit.hot_spot_c, "hours": hours, "max_c": float(hot.max()),
                           "limit_load_pu": limit_pu}  # fmt: skip
                found.append(Recommendation(f"iec_hot_spot_{limit.key}", severity, text, figures))
                break
    top_oil = _top_oil(result)
    if top_oil is not None:
        hours = hours_above(top_oil, NORMAL_CYCLIC.top_oil_c, step)
        if hours > 0:
            text = t(
                "rec.iec_top_oil",
                lang,
                limit=number(NORMAL_CYCLIC.top_oil_c, lang),
                hours=number(hours, lang),
                max=number(float(top_oil.max()), lang),
            )
            figures = {"limit_c": NORMAL_CYCLIC.top_oil_c, "hours": hours}
            found.append(Recommendation("iec_top_oil", "warning", text, figures))
    return found


def _ageing(result: TrainingResult) -> list[Recommendation]:
    lang = result.lang
    if result.hot_spot_c is None:
        if result.target_kind == "winding":
            return []  # cannot happen with a sane trainer; nothing honest to say
        return [Recommendation("ageing_needs_winding", "info", t("rec.ageing_needs_winding", lang))]
    ageing = insulation_ageing(result.hot_spot_c, result.measurements.step)
    estimated = "" if result.target_kind == "winding" else t("rec.ageing_estimated", lang)
    text = t(
        "rec.ageing",
        lang,
        days=number(ageing.loss_days, lang, 2),
        period=number(ageing.period_days, lang),
        rate=number(ageing.years_per_year, lang, 2),
        estimated=estimated,
    )
    fast = ageing.years_per_year > 1.0
    if fast:
        text += t("rec.ageing_fast", lang)
    figures = {
        "loss_of_life_days": ageing.loss_days,
        "period_days": ageing.period_days,
        "years_per_year": ageing.years_per_year,
    }
    return [Recommendation("ageing", "warning" if fast else "info", text, figures)]


def _overloads(result: TrainingResult) -> list[Recommendation]:
    if result.load_pu is None or result.load_pu.empty:
        return []
    lang = result.lang
    ov = overload_episodes(result.load_pu, result.measurements.step)
    figures = {"count": ov.count, "longest_hours": ov.longest_hours, "max_pu": ov.max_pu}
    if ov.count == 0:
        text = t("rec.no_overload", lang, max=number(ov.max_pu, lang, 2))
        return [Recommendation("overload", "info", text, figures)]
    text = tn(
        "rec.overload",
        ov.count,
        lang,
        count=ov.count,
        longest=number(ov.longest_hours, lang),
        max=number(ov.max_pu, lang, 2),
    )
    return [Recommendation("overload", "warning", text, figures)]


def _cooling_trend(result: TrainingResult) -> list[Recommendation]:
    lang = result.lang
    pred = result.predictions
    span_days = (pred.index[-1] - pred.index[0]) / pd.Timedelta("1D") if len(pred) else 0.0
    if span_days < MIN_TREND_DAYS:
        text = t("rec.trend_too_short", lang, days=number(span_days, lang, 0))
        return [Recommendation("cooling_trend_unknown", "info", text, {"days": span_days})]
    slope = residual_trend_k_per_month(pred["measured"] - pred["predicted"])
    figures = {"slope_k_per_month": slope}
    if slope > TREND_ALARM_K_PER_MONTH:
        text = t("rec.trend_rising", lang, slope=number(slope, lang, 2))
        return [Recommendation("cooling_trend", "warning", text, figures)]
    text = t("rec.trend_stable", lang, slope=number(slope, lang, 2))
    return [Recommendation("cooling_trend_stable", "info", text, figures)]


def _missing_inputs(result: TrainingResult) -> list[Recommendation]:
    lang, meas = result.lang, result.measurements
    rmse = _test_metric(result, result.chosen_model, "rmse")
    baseline = _test_metric(result, BASELINE_MODEL, "rmse")
    figures = {"test_rmse_k": rmse, "baseline_test_rmse_k": baseline}
    values = {"rmse": number(rmse, lang, 2), "baseline": number(baseline, lang, 2)}
    found = []
    if meas.column_for(q.AMBIENT_TEMPERATURE) is None:
        text = t("rec.missing_ambient", lang, **values)
        found.append(Recommendation("missing_ambient", "warning", text, figures))
    # Columns the model treats as loads (e.g. ETT's HUFL/LULL, unnamed quantities) are loads:
    # never call them missing.
    if not result.treated_as_load and not any(
        meas.column_for(quantity) for quantity in LOAD_QUANTITIES
    ):
        text = t("rec.missing_load", lang, **values)
        found.append(Recommendation("missing_load", "warning", text, figures))
    return found


def _limit_load(result: TrainingResult, values_c: pd.Series, limit_c: float) -> tuple:
    """(load limit [pu], the sentence asking for it) when the load is known, else (None, "")."""
    limit_pu = _load_floor(result, values_c > limit_c)
    if limit_pu is None:
        return None, ""
    lang = result.lang
    ex = time_above(values_c, limit_c, result.measurements.step, result.load_pu)
    text = t(
        "rec.limit_load",
        lang,
        limit_pu=number(limit_pu, lang, 2),
        months=join_words([t(f"month.{m}", lang) for m in ex.months], lang),
        hour=ex.typical_hour,
        mean=number(ex.load_mean_pu, lang, 2),
    )
    return limit_pu, text


def _load_floor(result: TrainingResult, above: pd.Series) -> float | None:
    """Lowest load [pu] at which the temperature was above a limit, rounded down to 0.05 pu:
    below it, the limit was never crossed in these data (the evidence for "limit the load")."""
    if result.load_pu is None or not above.any():
        return None
    load = result.load_pu.reindex(above.index)[above.to_numpy()].dropna()
    if load.empty:
        return None
    return math.floor(float(load.min()) * 20) / 20


def _missing_rating(result: TrainingResult) -> list[Recommendation]:
    column = result.measurements.column_for(q.CURRENT)
    if column is None or result.rated_current_a or result.load_pu is not None:
        return []
    text = t("rec.missing_rating", result.lang, column=column)
    return [Recommendation("missing_rating", "warning", text, {"column": column})]


COVERAGE_SLACK = 0.05  # a band this far below the nominal level gets a warning
MIN_BAND_ROWS = 20


def _coverage_by_load(result: TrainingResult) -> list[Recommendation]:
    """Warn where the prediction interval covers clearly less than its nominal level."""
    lang, level = result.lang, float(result.interval.get("level", math.nan))
    found = []
    for band, metrics in result.error_by_load_band.items():
        coverage, rows = metrics.get("coverage"), int(metrics.get("n", 0))
        if coverage is None or rows < MIN_BAND_ROWS or not coverage < level - COVERAGE_SLACK:
            continue
        text = t(
            "rec.coverage_poor",
            lang,
            level=number(100 * level, lang, 0),
            coverage=number(100 * coverage, lang),
            band=band.replace(".", ",") if lang == "fr" else band,
            rows=rows,
        )
        figures = {"band": band, "coverage": coverage, "level": level, "rows": rows}
        found.append(Recommendation("coverage_poor", "warning", text, figures))
    return found


def _low_r2(result: TrainingResult) -> list[Recommendation]:
    r2 = _test_metric(result, result.chosen_model, "r2")
    if not r2 < LOW_R2:  # NaN (unknown) says nothing
        return []
    text = t("rec.low_r2", result.lang, r2=number(r2, result.lang, 2))
    return [Recommendation("low_r2", "warning", text, {"r2": r2})]


def _data_quality(result: TrainingResult) -> list[Recommendation]:
    lang, cleaning = result.lang, result.measurements.cleaning
    by_column: dict[str, list[tuple[str, int]]] = {}
    for key in SENSOR_ISSUES:
        step = cleaning.get(key)
        for column, n in (step.per_column if step else {}).items():
            by_column.setdefault(column, []).append((key, n))
    found = []
    for column, issues in by_column.items():
        text = t(
            "rec.sensor_check",
            lang,
            column=column,
            issues=join_words([tn(f"issue.{key}", n, lang) for key, n in issues], lang),
        )
        figures = {"column": column, **dict(issues)}
        found.append(Recommendation("sensor_check", "warning", text, figures))
    interpolated = cleaning.count("gap_interpolated")
    dropped = cleaning.count("long_gap_target") + cleaning.count("long_gap_feature")
    if dropped:
        text = t("rec.gaps", lang, interpolated=interpolated, dropped=dropped)
        figures = {"interpolated_values": interpolated, "dropped_rows": dropped}
        found.append(Recommendation("gaps", "warning", text, figures))
    if not found:
        found.append(Recommendation("data_clean", "info", t("rec.data_clean", lang)))
    return found


def _drivers(result: TrainingResult) -> list[Recommendation]:
    lang = result.lang
    if not result.drivers:
        return []
    top = result.drivers[:3]
    items = [
        t(
            "rec.driver_item",
            lang,
            name=label("feature", name, lang),
            share=number(100 * share, lang, 0),
        )
        for name, share in top
    ]
    text = t("rec.drivers", lang, drivers=join_words(items, lang))
    figures: dict[str, Any] = {"drivers": [list(item) for item in top]}
    if result.coefficients:
        name, coef = result.coefficients[0]
        text += t(
            "rec.coefficient", lang, name=label("feature", name, lang), coef=number(coef, lang, 2)
        )
        figures["strongest"] = [name, coef]
    return [Recommendation("drivers", "info", text, figures)]


def _evaluation(result: TrainingResult) -> list[Recommendation]:
    split = result.split
    train, test = split.get("train", {}), split.get("test", {})
    values = {
        "train_end": _day(train.get("end")),
        "test_start": _day(test.get("start")),
        "test_end": _day(test.get("end")),
        "test_rows": test.get("rows", "—"),
    }
    return [
        Recommendation("evaluation", "info", t("rec.evaluation", result.lang, **values), values)
    ]


def _day(iso: Any) -> str:
    """The date part of an ISO timestamp (``"—"`` when missing)."""
    return str(iso)[:10] if iso else "—"
