"""Sentences about a forecast (title, threshold crossings) for the CLI and alert texts."""

from __future__ import annotations

from thermowatch.learn.forecasting import Forecast
from thermowatch.report.i18n import number, t


def _when(value, lang: str, missing: str) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value is not None else t(missing, lang)


def forecast_title(forecast: Forecast, lang: str = "fr") -> str:
    return t(
        "forecast.title",
        lang,
        model=forecast.model,
        origin=forecast.origin.strftime("%Y-%m-%d %H:%M"),
        steps=len(forecast.frame),
        level=number(100 * forecast.level, lang, 0),
    )


def crossing_lines(forecast: Forecast, thresholds: dict[str, float], lang: str = "fr") -> list[str]:
    """One sentence per threshold: when it is reached, with the interval's earliest/latest."""
    lines = []
    end = forecast.frame.index[-1].strftime("%Y-%m-%d %H:%M")
    for name, c in forecast.crossings(thresholds).items():
        values = {"name": name, "threshold": number(c.threshold_c, lang, 1)}
        if c.at is not None:
            lines.append(
                t(
                    "forecast.crossing",
                    lang,
                    at=_when(c.at, lang, "forecast.never"),
                    earliest=_when(c.earliest, lang, "forecast.never"),
                    latest=_when(c.latest, lang, "forecast.beyond"),
                    **values,
                )
            )
        else:
            lines.append(
                t(
                    "forecast.no_crossing",
                    lang,
                    end=end,
                    earliest=_when(c.earliest, lang, "forecast.never"),
                    **values,
                )
            )
    return lines
