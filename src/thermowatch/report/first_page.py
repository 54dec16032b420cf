"""The report's first page: who the transformer is, the verdict, the figures that matter
(hours above each limit, loss of life, overloads) and the actions ranked by urgency, each with
its evidence; and how far the prediction interval can be trusted at each load."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from thermowatch.learn.result import TrainingResult
from thermowatch.report.analysis import hours_above, insulation_ageing, overload_episodes
from thermowatch.report.blocks import Block, Section, Table, ordered_bands
from thermowatch.report.i18n import label, number, t, tn
from thermowatch.report.recommendations import (
    COVERAGE_SLACK,
    MIN_BAND_ROWS,
    SEVERITY_ORDER,
    URGENCY_ORDER,
    Recommendation,
)
from thermowatch.thermal.limits import NORMAL_CYCLIC


def first_page(
    result: TrainingResult, actions: list[Recommendation], nameplate: dict[str, Any] | None
) -> Section:
    """Nameplate, verdict, key figures, actions (most urgent first)."""
    lang = result.lang
    blocks: list[Block] = [
        _nameplate_table(result, nameplate or {}),
        _verdict(actions, lang),
        _key_figures(result),
    ]
    ranked = sorted(actions, key=lambda r: (URGENCY_ORDER[r.urgency], SEVERITY_ORDER[r.severity]))
    if ranked:
        header = [t("col.urgency", lang), t("col.action", lang)]
        rows = [
            [f"{i}. {t(f'urgency.{r.urgency or r.severity}', lang)}", r.text]
            for i, r in enumerate(ranked, 1)
        ]
        blocks += [t("h.actions", lang), Table(header, rows)]
    else:
        blocks.append(t("no_action", lang))
    return Section(t("h.first_page", lang), blocks)


def _nameplate_table(result: TrainingResult, plate: dict[str, Any]) -> Table:
    lang = result.lang
    unknown = t("nameplate.unknown", lang)
    rating = unknown
    if plate.get("rated_power_mva") and plate.get("rated_voltage_kv"):
        rating = t(
            "nameplate.rating_value",
            lang,
            power=number(float(plate["rated_power_mva"]), lang),
            voltage=number(float(plate["rated_voltage_kv"]), lang),
        )
    current = result.rated_current_a
    quantity = f"{result.measurements.target} ({t(f'kind.{result.target_kind}', lang)})"
    rows = [
        [
            t("nameplate.name", lang),
            str(plate.get("name") or Path(str(result.measurements.source)).name),
        ],
        [t("nameplate.rating", lang), rating],
        [
            t("nameplate.rated_current", lang),
            f"{number(current, lang, 0)} A" if current else unknown,
        ],
        [t("nameplate.cooling", lang), str(plate.get("cooling") or unknown)],
        [t("summary.target", lang), quantity],
    ]
    return Table(["", ""], rows)


def _verdict(actions: list[Recommendation], lang: str) -> str:
    if not actions:
        return t("verdict.info", lang)
    worst = min(actions, key=lambda r: SEVERITY_ORDER[r.severity])
    reason = worst.text[:1].lower() + worst.text[1:]
    return t(f"verdict.{worst.severity}", lang, reason=reason)


def _key_figures(result: TrainingResult) -> Table:
    """Hours above each threshold (and the IEC hot-spot limit), loss of life, overloads."""
    lang, th, step = result.lang, result.thresholds, result.measurements.step
    measured = result.predictions["measured"]
    rule = label("rule", th.rule, lang)
    rows = []
    for level, value in (("alerte", th.alerte_c), ("critique", th.critique_c)):
        what = f"{t(f'level.{level}', lang)}, {rule}"
        hours = hours_above(measured, value, step)
        rows.append(
            [
                t("key.hours_above", lang, limit=number(value, lang), what=what),
                f"{number(hours, lang)} h",
            ]
        )
    hot = result.hot_spot_c
    limit = NORMAL_CYCLIC.hot_spot_c
    if hot is not None and not (result.target_kind == "winding" and th.critique_c == limit):
        what = t("iec.normal_cyclic", lang)
        rows.append(
            [
                t("key.hours_above", lang, limit=number(limit, lang), what=what),
                f"{number(hours_above(hot, limit, step), lang)} h",
            ]
        )
    if hot is not None:
        ageing = insulation_ageing(hot, step)
        value = t(
            "key.loss_of_life_value",
            lang,
            days=number(ageing.loss_days, lang, 2),
            period=number(ageing.period_days, lang),
            rate=number(ageing.years_per_year, lang, 2),
        )
    else:
        why = "why.no_rating" if _rating_missing(result) else "why.no_hot_spot"
        value = t("key.not_computed", lang, why=t(why, lang))
    rows.append([t("key.loss_of_life", lang), value])
    if result.load_pu is not None and not result.load_pu.empty:
        ov = overload_episodes(result.load_pu, step)
        value = tn(
            "key.overloads_value", ov.count, lang, count=ov.count,
            longest=number(ov.longest_hours, lang),
        )  # fmt: skip
    else:
        why = "why.no_rating" if _rating_missing(result) else "why.no_load"
        value = t("key.not_computed", lang, why=t(why, lang))
    rows.append([t("key.overloads", lang), value])
    return Table([t("col.key_figure", lang), t("col.value", lang)], rows)


def _rating_missing(result: TrainingResult) -> bool:
    """A current [A] is measured but no rated current was given: the option that would turn the
    hot-spot estimate, the loss of life and the overload count on (the cost, said where it is)."""
    from thermowatch.data import quantities as q

    return bool(result.measurements.column_for(q.CURRENT)) and not result.rated_current_a


def coverage_section(result: TrainingResult) -> Section:
    """Test coverage of the prediction interval per load band, lightest load first."""
    lang = result.lang
    level = float(result.interval.get("level", math.nan))
    overall = result.interval.get("coverage_test")
    floor = level - COVERAGE_SLACK
    intro = t(
        "coverage.intro",
        lang,
        level=number(100 * level, lang, 0),
        overall=number(100 * overall, lang) if overall is not None else "—",
        floor=number(100 * floor, lang, 0),
    )
    rows = []
    for band, metrics in ordered_bands(result.error_by_load_band).items():
        coverage, n = metrics.get("coverage"), int(metrics.get("n", 0))
        if coverage is None:
            continue
        poor = n >= MIN_BAND_ROWS and coverage < floor
        rows.append(
            [
                band.replace(".", ",") if lang == "fr" else band,
                str(n),
                number(100 * coverage, lang),
                t("coverage.poor" if poor else "coverage.ok", lang),
            ]
        )
    header = [t("col.load_band", lang), t("col.rows", lang), t("col.coverage", lang),
              t("col.verdict", lang)]  # fmt: skip
    return Section(
        t("h.coverage", lang), [intro, Table(header, rows) if rows else t("empty", lang)]
    )
