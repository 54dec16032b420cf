"""The written rule that chooses the served model of each role on validation.

Nothing is chosen by name: every candidate of a role is scored on the validation period (RMSE
[K] for normal behaviour and nowcast); forecasts by rolling origin, the mean over the validation
period and up to two periods of the same length before it of the mean squared error over every
horizon relative to persistence's (each earlier period scored by fits on the windows before it,
with the hyper-parameters chosen on validation: one peculiar period does not decide alone); the
best score wins, except that a simpler candidate (fewer parameters) whose score is within
``TOLERANCE`` of the best is preferred — unless the best *nests* it (contains it as the limit
of a strong penalty, as the nowcast ridge on the step change contains persistence): the
penalty chosen on validation already made that trade, so the lower error wins. A candidate
that *combines* others (the forecast ensemble) is served instead of the candidate the rule
above chose unless that one beats it by more than one standard error of their paired
differences over the rolling-origin periods (:func:`combination_holds`). Candidates that cannot
be served are scored for comparison but never chosen: a model the service cannot load from
JSON, or a normal-behaviour model that is not monotone in load and ambient by construction.

Validation scores always come from fits on the training rows alone. Once chosen, the served
nowcast and forecasters are refitted on train + validation with the hyper-parameters chosen
on validation (more, and more recent, data); test scores them as served, and their adaptive
intervals start from the held-out validation residuals.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

TOLERANCE = 0.02
RULE = {
    "en": (
        "per role, the lowest validation error among the servable candidates (JSON, and for"
        " normal behaviour monotone in load and ambient; for forecasts, the mean squared error"
        " relative to persistence averaged over the validation period and up to two earlier"
        " periods of the same length, rolling origin); a simpler candidate within 2 % of"
        " the best is preferred, unless the best nests it (a penalised extension of it); a"
        " combination of forecasters is preferred unless that choice beats it by more than one"
        " standard error of their differences period by period; for"
        " normal behaviour, the mean RMSE over the validation period and the rolling-origin"
        " folds (each fitted by the served fit), and a candidate whose worst fold exceeds 3"
        " times its median fold is not served"
    ),
    "fr": (
        "pour chaque rôle, la plus faible erreur de validation parmi les candidats servables"
        " (JSON et, pour le comportement normal, monotone en charge et en ambiante ; pour les"
        " prévisions, l'erreur quadratique moyenne rapportée à celle de la persistance,"
        " moyennée sur la période de validation et jusqu'à deux périodes de même durée qui la"
        " précèdent, origine glissante) ; un candidat plus simple à moins de 2 % du meilleur"
        " est préféré, sauf si le meilleur le contient (une extension pénalisée de celui-ci) ;"
        " une combinaison de prévisions est préférée sauf si ce choix la bat de plus d'une erreur"
        " type de leurs différences période par période ;"
        " pour le comportement normal, la RMSE moyenne sur la validation et les plis"
        " d'origine glissante (chacun ajusté par l'ajustement servi), et un candidat dont le"
        " pli le plus mauvais dépasse 3 fois le pli médian n'est pas servi"
    ),
}


@dataclass(frozen=True)
class Candidate:
    """A scored model: its validation error, size, and whether it may be served."""

    name: str
    validation_error: float
    parameters: int
    servable: bool = True
    why_not: str = ""
    nests: tuple[str, ...] = ()
    #: Its error on each rolling-origin period (forecasts), the first being validation.
    errors_by_period: tuple[float, ...] = ()
    #: The candidates it combines (a forecast ensemble), empty for a single model.
    combines: tuple[str, ...] = ()


@dataclass(frozen=True)
class Choice:
    """The rule's verdict for one role."""

    role: str
    chosen: str
    runner_up: str | None
    scores: dict[str, float]
    reason: str
    #: The reason as a catalogue key and its values, so a report words it in its own language.
    reason_key: str = "lowest"
    reason_values: dict[str, object] | None = None
    #: Candidates scored but not servable, with why (JSON form, monotonicity, unstable folds).
    not_served: dict[str, str] | None = None

    def to_dict(self) -> dict:
        return {
            "role": self.role,
            "chosen": self.chosen,
            "runner_up": self.runner_up,
            "validation_scores": self.scores,
            "reason": self.reason,
            "reason_key": self.reason_key,
            "reason_values": self.reason_values or {},
            "rule": RULE["en"],
            "not_served": self.not_served or {},
        }


def choose(role: str, candidates: list[Candidate]) -> Choice:
    """Apply the rule to the candidates of one role.

    Parameters
    ----------
    role : str
        ``"normal"``, ``"nowcast"`` or ``"forecast"``.
    candidates : list of Candidate
        The role's scored candidates (validation error [K] or relative MSE [-]).

    Returns
    -------
    Choice
        The chosen and runner-up names, the scores and the reason.
    """
    scores = {c.name: c.validation_error for c in candidates}
    servable = [c for c in candidates if c.servable and c.validation_error == c.validation_error]
    if not servable:
        raise ValueError(f"no servable candidate for the {role} role")
    ranked = sorted(servable, key=lambda c: c.validation_error)
    best = ranked[0]
    close = [
        c
        for c in ranked
        if c.validation_error <= best.validation_error * (1 + TOLERANCE)
        and c.name not in best.nests
    ]
    chosen = min(close, key=lambda c: (c.parameters, c.validation_error))
    combination = _combination_instead(chosen, servable)
    runner = next((c.name for c in ranked if c.name != (combination or chosen).name), None)
    values: dict[str, object]
    if combination is not None:
        differences = _paired(combination, chosen)
        reason = (
            f"combines {', '.join(combination.combines)}; {chosen.name} is not better by more"
            " than one standard error of their differences over the rolling-origin periods"
        )
        key, values = "combination", {"other": chosen.name, "periods": len(differences)}
        chosen = combination
    elif chosen is best:
        reason = f"lowest validation error ({best.validation_error:.4g})"
        key, values = "lowest", {"error": best.validation_error}
    else:
        reason = (
            f"simpler than {best.name} ({chosen.parameters} vs {best.parameters} parameters)"
            f" and within {TOLERANCE:.0%} of its validation error"
        )
        key = "simpler"
        values = {"best": best.name, "parameters": chosen.parameters,
                  "best_parameters": best.parameters, "tolerance": 100 * TOLERANCE}  # fmt: skip
    not_served = {c.name: c.why_not for c in candidates if not c.servable}
    return Choice(role, chosen.name, runner, scores, reason, key, values, not_served)


def _paired(a: Candidate, b: Candidate) -> np.ndarray:
    """``a``'s error minus ``b``'s, period by period (the periods both were scored on)."""
    n = min(len(a.errors_by_period), len(b.errors_by_period))
    return np.subtract(a.errors_by_period[:n], b.errors_by_period[:n])


def combination_holds(combination: Candidate, other: Candidate) -> bool:
    """Whether ``combination`` is served rather than ``other``: unless ``other``'s mean error
    over the rolling-origin periods is lower by more than one standard error of the mean of
    their paired differences.

    Why: when candidate forecasters are close, serving the validation winner adds the noise of
    the choice to the forecast, and the combination of forecasts usually does better on new
    data than picking (Bates & Granger 1969; Timmermann 2006, "Forecast combinations"; the
    "forecast combination puzzle", Smith & Wallis 2009). The evidence against the combination
    is weighed as a Diebold-Mariano comparison weighs a loss difference, against its standard
    error over the periods (paired: the periods' common difficulty cancels), with the
    one-standard-error rule of cross-validation (Hastie, Tibshirani & Friedman, *The Elements
    of Statistical Learning*, 7.10) as the threshold. With one period there is no spread to
    measure: the lower error decides.

    Parameters
    ----------
    combination : Candidate
        The combining candidate, with its errors by period [-].
    other : Candidate
        The candidate the rule would otherwise serve, with its errors by period [-].

    Returns
    -------
    bool
        True when the combination is served.
    """
    differences = _paired(combination, other)  # > 0: the combination is worse there
    if not differences.size or not np.isfinite(differences).all():
        return combination.validation_error <= other.validation_error
    spread = differences.std(ddof=1) / np.sqrt(differences.size) if differences.size > 1 else 0.0
    return bool(differences.mean() <= spread)


def _combination_instead(chosen: Candidate, servable: list[Candidate]) -> Candidate | None:
    """The best servable combining candidate that holds against ``chosen``, if any."""
    holding = [
        c for c in servable if c.combines and c.name != chosen.name and combination_holds(c, chosen)
    ]
    return min(holding, key=lambda c: c.validation_error) if holding else None
