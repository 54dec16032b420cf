"""Every word of a rendered page is in the page's language: French pages carry no word that only
the English catalogue uses, and the reverse (texts stored as data — alert messages, column
names — are marked ``class="stored"`` and left out)."""

from __future__ import annotations

import html as htmllib
import re

import pytest

from thermowatch.dashboard.texts import UI_TEXTS
from thermowatch.store.alerts import raise_alert

from .conftest import csrf_of, sign_in

WORD = re.compile(r"[^\W\d_]{4,}")
PAGES = ("/", "/transformers/TR-0001", "/transformers/TR-0002?window=7d", "/alerts",
         "/alerts?state=all", "/models", "/transformers/NOPE",
         "/transformers/TR-0001/whatif?load=1,3&hours=3",
         "/transformers/TR-0001/whatif?load=x&hours=3")  # fmt: skip


def _words(lang: str) -> set[str]:
    return {
        w.lower() for v in UI_TEXTS.values() for w in WORD.findall(re.sub(r"\{\w+\}", "", v[lang]))
    }


FR, EN = _words("fr"), _words("en")
ONLY = {"fr": FR - EN, "en": EN - FR}


def visible_text(page: str) -> str:
    """What a person reads or hears: text nodes, titles, labels; stored data left out."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    page = re.sub(r'<span class="stored">.*?</span>', " ", page, flags=re.S)
    attrs = " ".join(re.findall(r'(?:title|aria-label|placeholder|alt)="([^"]*)"', page))
    return htmllib.unescape(re.sub(r"<[^>]+>", " ", page) + " " + attrs)


def _set_language(client, lang: str) -> None:
    token = csrf_of(client.get("/").text)
    client.post("/lang", data={"csrf": token, "lang": lang}, follow_redirects=False)


def _foreign(text: str, lang: str) -> set[str]:
    other = "en" if lang == "fr" else "fr"
    return {w for w in (x.lower() for x in WORD.findall(text)) if w in ONLY[other]}


def test_the_vocabularies_differ_enough_to_catch_a_slip():
    assert {"reading", "threshold", "forecast", "load"} <= ONLY["en"]
    assert {"mesure", "seuil", "prévision", "charge"} <= ONLY["fr"]


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_rendered_pages_carry_no_word_of_the_other_language(client, engine, lang):
    raise_alert(engine, "TR-0003", "top_oil_high", "ALERTE", "stored text, any language")
    sign_in(client, "admin")
    _set_language(client, lang)
    found = {}
    for path in PAGES:
        r = client.get(path)
        assert f'<html lang="{lang}">' in r.text or path.endswith("hours=3"), path
        bad = _foreign(visible_text(r.text), lang)
        if bad:
            found[path] = sorted(bad)
    # the windows' abbreviations too (7 j / 7 d, 1 an / 1 y)
    page = client.get("/transformers/TR-0001").text
    assert ('id="win-7d" >7 j</a>' if lang == "fr" else 'id="win-7d" >7 d</a>') in page
    assert ("Fenêtre : " if lang == "fr" else "Window: ") in page  # each language's colon
    series = client.get("/transformers/TR-0001/series?window=6h").json()
    bad = _foreign(series["points_text"] + " " + series["empty_text"], lang)
    if bad:
        found["series"] = sorted(bad)
    assert found == {}


def test_a_refusal_of_the_physics_is_in_the_page_language(client, engine):
    from thermowatch.store.transformers import ensure_transformer

    ensure_transformer(engine, "TR-NOSPEC")  # no nameplate: the physics cannot run
    sign_in(client, "admin")
    fr = client.get("/transformers/TR-NOSPEC").text
    assert "aucune plaque signalétique thermique" in fr and "no thermal spec" not in fr
    _set_language(client, "en")
    en = client.get("/transformers/TR-NOSPEC").text
    assert "no thermal nameplate (spec or preset)" in en
