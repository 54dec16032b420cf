"""Issue 23, item 3: the report says per candidate its worst and median fold, and says plainly
when the served candidate is unstable (served only because every candidate was)."""

from __future__ import annotations

import dataclasses

from thermowatch.learn.train_normal import fold_verdicts
from thermowatch.report.document import _fold_stability


def _with_folds(result, folds, chosen):
    roles = {"normal": {"chosen": chosen, "folds": fold_verdicts(folds, chosen)}}
    return dataclasses.replace(result, roles=roles)


def test_an_unstable_candidate_is_reported_not_served(en_result):
    folds = {
        "steady": [{"rmse": r} for r in (1.0, 1.2, 1.1, 1.3)],
        "wild": [{"rmse": r} for r in (1.0, 1.2, 9.0, 1.1)],
    }
    text = "\n".join(_fold_stability(_with_folds(en_result, folds, "steady")))
    assert "steady: worst fold 1.3 K, median fold 1.15 K (1.1×): stable." in text
    assert "wild: worst fold 9 K, median fold 1.15 K (7.8×): unstable" in text
    assert "not served" in text


def test_a_served_unstable_candidate_says_why_in_both_languages(en_result):
    folds = {
        "a": [{"rmse": r} for r in (1.0, 1.2, 9.0, 1.1)],
        "b": [{"rmse": r} for r in (1.0, 1.2, 20.0, 1.1)],
    }
    en = "\n".join(_fold_stability(_with_folds(en_result, folds, "a")))
    assert "a: worst fold 9 K" in en and "served because every candidate is" in en
    assert "b: worst fold 20 K" in en and en.count("not served") == 1
    fr = "\n".join(
        _fold_stability(_with_folds(dataclasses.replace(en_result, lang="fr"), folds, "a"))
    )
    assert "servi car tous les candidats le sont" in fr
