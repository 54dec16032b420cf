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
    sustained_only,
    time_above,
)
from thermowatch.report.i18n import join_words, label, number, t, tn
from thermowatch.thermal import IEC_LOADING_LIMITS
from thermowatch.thermal.limits import NORMAL_CYCLIC

Severity = Literal["info", "warning", "critical"]
SEVERITY_ORDER: dict[str, int] = {"critical": 0, "warning": 1, "info": 2}
Urgency = Literal["now", "this_month", "next_outage"]
URGENCY_ORDER: dict[str | None, int] = {"now": 0, "this_month": 1, "next_outage": 2, None: 3}
#: A limit crossed (sustained) within this many days of the end of the data is recent [d].
RECENT_DAYS = 30.0
#: Quantile of the load during sustained exceedances quoted as the limit: robust to one row.
LOAD_FLOOR_QUANTILE = 0.05
#: Findings that need the transformer (or its sensors) in hand: the next outage.
AT_OUTAGE = ("sensor_check", "gaps", "iec_top_oil")

TREND_ALARM_K_PER_MONTH = 0.3  # beyond sensor drift and seasonal model bias: look at cooling
#: Loads at or above this quantile are "high load" when judging the cooling there [-].
HIGH_LOAD_QUANTILE = 0.9
#: Extra residual [K] at high load, over the rest, that points at forced cooling (fans, pumps).
HIGH_LOAD_EXCESS_K = 2.0
#: Hours of held-out high-load readings needed before judging the cooling there [h].
MIN_HIGH_LOAD_HOURS = 24.0
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
    #: When to act: ``"now"``, ``"this_month"``, ``"next_outage"`` (None: for information).
    urgency: Urgency | None = None


def recommendations(result: TrainingResult) -> list[Recommendation]:
    """All findings for a training run, most severe first (stable within a severity)."""
    found: list[Recommendation] = []
    for make in (
        _thresholds,
        _iec_limits,
        _ageing,
        _overloads,
        _cooling_trend,
        _cooling_at_high_load,
        _missing_inputs,
        _missing_rating,
        _low_r2,
        _coverage_by_load,
        _data_quality,
        _drivers,
        _evaluation,
    ):
        found.extend(make(result))
    graded = [_graded(rec, result) for rec in found]
    return sorted(graded, key=lambda r: (URGENCY_ORDER[r.urgency], SEVERITY_ORDER[r.severity]))


def _graded(rec: Recommendation, result: TrainingResult) -> Recommendation:
    """The recommendation with its urgency: a limit crossed (sustained) in the last
    :data:`RECENT_DAYS` days is for now (critical) or this month (warning), an older one for
    this month or the next outage; checks that need the transformer in hand wait for the next
    outage; information has none."""
    import dataclasses

    if rec.severity == "info":
        return rec
    last = rec.figures.get("last_above_utc")
    if last is not None:
        end = result.predictions.index[-1]
        recent = (end - pd.Timestamp(last)) / pd.Timedelta("1D") <= RECENT_DAYS
        order = ("now", "this_month", "next_outage")
        urgency = order[(0 if rec.severity == "critical" else 1) + (0 if recent else 1)]
    elif rec.key in AT_OUTAGE:
        urgency = "next_outage"
    else:
        urgency = "now" if rec.severity == "critical" else "this_month"
    return dataclasses.replace(rec, urgency=urgency)  # type: ignore[arg-type]


def _test_metric(result: TrainingResult, model: str, metric: str) -> float:
    return float(result.models.get(model, {}).get("test", {}).get(metric, math.nan))


def _measured(result: TrainingResult) -> pd.Series:
    return result.predictions["measured"]


def _kept(result: TrainingResult, values: pd.Series) -> pd.Series:
    """``values`` without the target readings the cleaning flagged (spikes, frozen sensor):
    kept in the data for the record, never the evidence for an action."""
    flagged = pd.Series(
        result.measurements.flagged(result.measurements.target),
        index=result.measurements.frame.index,
    ).reindex(values.index, fill_value=False)
    return values.where(~flagged.to_numpy(dtype=bool))


def _thresholds(result: TrainingResult) -> list[Recommendation]:
    lang, th = result.lang, result.thresholds
    measured = _kept(result, _measured(result))
    found = []
    for level, value, severity in (
        ("alerte", th.alerte_c, "warning"),
        ("critique", th.critique_c, "critical"),
    ):
        sustained = sustained_only(measured, value, result.measurements.step)
        ex = time_above(sustained, value, result.measurements.step, result.load_pu)
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
            hour=_clock(result, sustained, value, ex.typical_hour),
            load=load,
        )
        limit_pu, action = _limit_load(result, sustained, value)
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
            "last_above_utc": _last_above(sustained, value),
            **_limit_units(result, limit_pu),
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
        hot = _kept(result, result.hot_spot_c)
        # Report only the highest limit exceeded: the lower ones are then exceeded too.
        for limit in reversed(IEC_LOADING_LIMITS):
            hot = sustained_only(hot, limit.hot_spot_c, step)
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
                           "limit_load_pu": limit_pu, **_limit_units(result, limit_pu),
                           "last_above_utc": _last_above(hot, limit.hot_spot_c)}  # fmt: skip
                found.append(Recommendation(f"iec_hot_spot_{limit.key}", severity, text, figures))
                break
    top_oil = _top_oil(result)
    if top_oil is not None:
        top_oil = sustained_only(top_oil, NORMAL_CYCLIC.top_oil_c, step)
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
        # "The transformer changed": the checks that tell a cooling fault from an oil problem.
        checks = t("rec.oil_dga_check", lang, slope=number(slope, lang, 2))
        return [
            Recommendation("cooling_trend", "warning", text, figures),
            Recommendation("oil_dga_check", "warning", checks, figures),
        ]
    text = t("rec.trend_stable", lang, slope=number(slope, lang, 2))
    return [Recommendation("cooling_trend_stable", "info", text, figures)]


def _cooling_at_high_load(result: TrainingResult) -> list[Recommendation]:
    """Fans and pumps: on the held-out rows (validation and test, never fitted), the residual
    (measured − predicted) at the highest loads exceeds the rest by :data:`HIGH_LOAD_EXCESS_K`
    — the transformer cools less than learnt exactly when the forced cooling should run."""
    if result.load_pu is None or result.load_pu.empty:
        return []
    pred = result.predictions
    held = (pred["split"] != "train").to_numpy()
    residual = (_kept(result, pred["measured"]) - pred["predicted"]).to_numpy()[held]
    load = result.load_pu.reindex(pred.index).to_numpy(dtype=float)[held]
    known = pd.notna(residual) & pd.notna(load)
    if known.sum() < 2:
        return []
    residual, load = residual[known], load[known]
    floor = float(pd.Series(load).quantile(HIGH_LOAD_QUANTILE))
    high = load >= floor
    hours = high.sum() * result.measurements.step / pd.Timedelta("1h")
    if hours < MIN_HIGH_LOAD_HOURS or high.all():
        return []
    excess = float(residual[high].mean() - residual[~high].mean())
    if not excess >= HIGH_LOAD_EXCESS_K:
        return []
    lang = result.lang
    figures = {"excess_k": excess, "load_floor_pu": floor, "hours": float(hours)}
    text = t("rec.cooling_high_load", lang, excess=number(excess, lang),
             load=number(floor, lang, 2), hours=number(hours, lang, 0))  # fmt: skip
    return [Recommendation("cooling_high_load", "warning", text, figures)]


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
    """(load limit [pu], the sentence asking for it) when the load is known, else (None, "").

    ``values_c``: sustained values only (:func:`sustained_only`), flagged readings removed.
    """
    limit_pu = _load_floor(result, values_c > limit_c)
    if limit_pu is None:
        return None, ""
    lang = result.lang
    ex = time_above(values_c, limit_c, result.measurements.step, result.load_pu)
    units = _limit_units(result, limit_pu)
    extra = ""
    if "limit_a" in units:
        extra = t("rec.limit_amps", lang, amps=number(units["limit_a"], lang, 0))
    if "limit_mva" in units:
        extra += t("rec.limit_mva", lang, mva=number(units["limit_mva"], lang, 1))
    extra += ")" if extra else ""
    text = t(
        "rec.limit_load",
        lang,
        limit_pu=number(limit_pu, lang, 2),
        units=extra,
        months=join_words([t(f"month.{m}", lang) for m in ex.months], lang),
        hour=_clock(result, values_c, limit_c, ex.typical_hour),
        mean=number(ex.load_mean_pu, lang, 2),
    )
    return limit_pu, text


def _load_floor(result: TrainingResult, above: pd.Series) -> float | None:
    """A low quantile (:data:`LOAD_FLOOR_QUANTILE`) of the load [pu] while the temperature was
    (sustainedly) above a limit, rounded down to 0.05 pu: the load to stay under."""
    if result.load_pu is None or not above.any():
        return None
    load = result.load_pu.reindex(above.index)[above.to_numpy()].dropna()
    if load.empty:
        return None
    return math.floor(float(load.quantile(LOAD_FLOOR_QUANTILE)) * 20) / 20


def _limit_units(result: TrainingResult, limit_pu: float | None) -> dict[str, float]:
    """The load limit in A (rated current known) and MVA (a voltage column too) [A, MVA]."""
    if limit_pu is None or not result.rated_current_a:
        return {}
    amps = limit_pu * result.rated_current_a
    out = {"limit_a": amps}
    meas = result.measurements
    voltage = meas.column_for(q.VOLTAGE)
    if voltage:
        kv = float(meas.frame[voltage].median())
        unit = (meas.columns[voltage].unit or "").lower()
        kv = kv / 1000.0 if unit == "v" else kv  # kV unless stated in volts
        out["limit_mva"] = math.sqrt(3) * kv * amps / 1000.0
    return out


def _last_above(values_c: pd.Series, limit_c: float) -> str | None:
    """The last time [UTC, ISO] the (sustained) values were at or above ``limit_c``."""
    above = values_c.to_numpy(dtype=float) >= limit_c
    return values_c.index[above][-1].isoformat() if above.any() else None


def _clock(result: TrainingResult, values_c: pd.Series, limit_c: float, hour_utc: Any) -> str:
    """The typical hour of an exceedance in the site's local time and in UTC ("19 h heure
    locale (Europe/Paris), 18 h UTC"), the local hour taken on the days it happened."""
    lang = result.lang
    if hour_utc is None:
        return "—"
    when = values_c.index[values_c.to_numpy(dtype=float) >= limit_c]
    when = when[when.hour == hour_utc]
    when = when.tz_localize("UTC") if when.tz is None else when
    zone = result.site_zone
    local = int(when.tz_convert(zone).hour.to_series().mode().iloc[0]) if len(when) else hour_utc
    return t("rec.clock", lang, local=local, zone=zone, utc=hour_utc)


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
