"""Every text exists in French and English, with the same placeholders."""

from __future__ import annotations

import string

import pytest
from tests.helpers.catalogue import EVERY_CATALOGUE, EVERY_TEXT

from thermowatch.data import STEP_KEYS
from thermowatch.report.i18n import LANGUAGES, TEXTS, join_words, label, number, t


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_the_checked_catalogue_holds_every_area_whatever_was_imported_first():
    """The parity check below reads the report's, the alerts' and the dashboard's texts."""
    assert set(EVERY_CATALOGUE) == {"report", "alerts", "dashboard"}
    assert len(EVERY_CATALOGUE["dashboard"]) > 100
    for area, texts in EVERY_CATALOGUE.items():
        assert set(texts) <= set(EVERY_TEXT), area
    assert sum(map(len, EVERY_CATALOGUE.values())) <= len(EVERY_TEXT)


@pytest.mark.parametrize("key", sorted(EVERY_TEXT))
def test_every_key_has_every_language_with_the_same_placeholders(key):
    texts = EVERY_TEXT[key]
    assert set(texts) == set(LANGUAGES)
    assert all(texts[lang].strip() for lang in LANGUAGES)
    assert _placeholders(texts["fr"]) == _placeholders(texts["en"])


def test_every_cleaning_step_and_month_and_season_is_translated():
    for key in STEP_KEYS:
        assert f"cleaning.{key}" in TEXTS
    assert all(f"month.{m}" in TEXTS for m in range(1, 13))
    assert {"season.winter", "season.spring", "season.summer", "season.autumn"} <= set(TEXTS)


def test_t_fills_placeholders_and_defaults_to_french():
    assert t("rec.no_overload", "en", max="1.2") == (
        "No overload of 30 min or more above 1 pu (maximum load 1.2 pu)."
    )
    assert t("h.summary") == "Résumé"
    assert t("h.summary", "de") == "Résumé"  # unknown language: French, the first users'
    with pytest.raises(KeyError):
        t("no.such.key", "fr")


def test_number_uses_a_decimal_comma_in_french_and_drops_trailing_zeros():
    assert number(10.0, "fr") == "10"
    assert number(2.345, "fr", 2) == "2,35" or number(2.345, "fr", 2) == "2,34"
    assert number(2.5, "en") == "2.5"
    assert number(-0.01, "en") == "0"
    assert number(float("nan"), "en") == "—"


def test_join_words_and_label_fallback():
    assert join_words(["a", "b", "c"], "fr") == "a, b et c"
    assert join_words(["a", "b"], "en") == "a and b"
    assert label("season", "summer", "fr") == "été"
    assert label("season", "monsoon", "fr") == "monsoon"  # data-defined name kept as is
