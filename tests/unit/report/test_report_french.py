"""The French report reads as French: no word of the English catalogue, plurals right for 0, 1
and many. Rendered from a real training run on the simulated sample, with its nameplate."""

from __future__ import annotations

import dataclasses
import html
import re

import pytest
from tests.helpers.catalogue import EVERY_TEXT

from thermowatch.report.i18n import TEXTS, plural_one, t, tn
from thermowatch.report.render import write_report

WORD = re.compile(r"[A-Za-zÀ-ÿ]+(?:'[A-Za-zÀ-ÿ]+)?")


def english_only_words() -> set[str]:
    """Words of the English catalogue that no French text uses (``the``, ``threshold``...)."""

    def words(lang: str) -> set[str]:
        found = set()
        for texts in EVERY_TEXT.values():
            text = re.sub(r"\{[^}]*\}", " ", texts[lang])
            found |= {w.lower() for w in WORD.findall(text)}
        return found

    return {w for w in words("en") - words("fr") if len(w) >= 3}


@pytest.fixture(scope="module")
def french_report(sample_training, tmp_path_factory):
    """The learning sample's report (a real training run, shared by the test run), in French."""
    folder = tmp_path_factory.mktemp("fr")
    result = dataclasses.replace(sample_training.result, lang="fr")
    plate = {"name": "TR-01", "rated_power_mva": 36, "rated_voltage_kv": 20, "cooling": "ONAF"}
    paths = write_report(result, folder / "out", nameplate=plate)
    return result, paths


def visible_text(page: str) -> str:
    page = re.sub(r"<(style|script)[^>]*>.*?</\1>", " ", page, flags=re.S)
    page = re.sub(r'src="data:[^"]*"', " ", page)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def test_no_english_catalogue_word_in_the_french_report(french_report):
    result, paths = french_report
    text = visible_text(paths["html"].read_text(encoding="utf-8"))
    # Proper names and data: column names, model names, the file name stay as they are.
    names = [
        *result.measurements.frame.columns,
        *result.models,
        str(result.measurements.source),
        *(name for choice in result.roles.values() for name in choice["validation_scores"]),
    ]
    for name in sorted(names, key=len, reverse=True):
        text = text.replace(name, " ")
    english = english_only_words()
    assert {"the", "threshold", "hours", "training"} <= english  # the scan has teeth
    found = sorted({w for w in WORD.findall(text) if w.lower() in english})
    assert found == []


def test_first_page_names_the_transformer_and_ranks_actions(french_report):
    _, paths = french_report
    md = paths["markdown"].read_text(encoding="utf-8")
    first = md.split("## Prédictions et résidus")[0]
    assert "| Transformateur | TR-01 |" in first and "36 MVA, 20 kV" in first and "ONAF" in first
    assert "Perte de vie de l'isolation" in first and "Surcharges" in first
    assert "Heures au-dessus de 104 °C (alerte, CEI 60076-7)" in first
    assert "Heures au-dessus de 120 °C (critique, CEI 60076-7)" in first
    urgencies = re.findall(r"^\| \d+\. ([^|]+) \|", first, flags=re.M)
    order = {"maintenant": 0, "ce mois-ci": 1, "au prochain arrêt": 2}
    assert urgencies and [order[u.strip()] for u in urgencies] == sorted(
        order[u.strip()] for u in urgencies
    )
    html_page = paths["html"].read_text(encoding="utf-8")
    assert html_page.index("<details") > html_page.index(html.escape("Fiabilité de l'intervalle"))


def test_load_bands_in_order_and_thresholds_say_their_rule(french_report):
    _, paths = french_report
    md = paths["markdown"].read_text(encoding="utf-8")
    coverage = md.split("## Fiabilité de l'intervalle par tranche de charge")[1].split("##")[0]
    bands = re.findall(r"^\| (&lt;0,5|0,5-0,8|0,8-1,0|&gt;1,0) pu", coverage, flags=re.M)
    assert bands == sorted(bands, key=["&lt;0,5", "0,5-0,8", "0,8-1,0", "&gt;1,0"].index)
    assert len(bands) >= 3
    thresholds = md.split("## Seuils d'alerte")[1]
    assert "| alerte | 104 | CEI 60076-7 |" in thresholds
    assert "| critique | 120 | CEI 60076-7 |" in thresholds
    assert "déduits des données" in thresholds  # the data rule beside, for comparison
    assert "vieillit deux fois plus vite" in thresholds


@pytest.mark.parametrize(
    ("n", "fr", "en"),
    [
        (0, "0 pic isolé", "0 isolated spikes"),
        (1, "1 pic isolé", "1 isolated spike"),
        (7, "7 pics isolés", "7 isolated spikes"),
    ],
)
def test_plurals_for_zero_one_and_many(n, fr, en):
    assert tn("issue.spike", n, "fr") == fr and tn("issue.spike", n, "en") == en
    assert plural_one(n, "fr") == (n < 2) and plural_one(n, "en") == (n == 1)


def test_every_counted_text_has_both_forms_in_both_languages():
    stems = {k.rsplit(".", 1)[0] for k in TEXTS if k.endswith(".one")}
    assert {"issue.spike", "rec.overload", "count.rows"} <= stems
    for stem in stems:
        for form in ("one", "other"):
            assert t(f"{stem}.{form}", "fr", n=2, count=2, longest=1, max=1)
            assert set(TEXTS[f"{stem}.{form}"]) == {"fr", "en"}
