"""Every text a person reads in the report, in French (default) and English.

One table, :data:`TEXTS`, keyed by stable identifiers; :func:`t` picks the language and fills
the ``{placeholders}``. Numbers are formatted before they are passed in (see :func:`number`),
so that French gets a decimal comma.
"""

from __future__ import annotations

import math

LANGUAGES: tuple[str, ...] = ("fr", "en")
DEFAULT_LANGUAGE = "fr"

TEXTS: dict[str, dict[str, str]] = {
    # --- report structure -----------------------------------------------------------------
    "report.title": {
        "fr": "Analyse thermique du transformateur",
        "en": "Transformer thermal analysis",
    },
    "h.summary": {"fr": "Résumé", "en": "Summary"},
    "h.metrics": {"fr": "Performances des modèles", "en": "Model performance"},
    "h.error_by_season": {"fr": "Erreur de test par saison", "en": "Test error by season"},
    "h.error_by_load_band": {
        "fr": "Erreur de test par tranche de charge",
        "en": "Test error by load band",
    },
    "h.cross_validation": {
        "fr": "Validation croisée chronologique",
        "en": "Chronological cross-validation",
    },
    "h.thresholds": {"fr": "Seuils d'alerte", "en": "Alert thresholds"},
    "h.cleaning": {"fr": "Nettoyage des données", "en": "Data cleaning"},
    "h.recommendations": {"fr": "Recommandations", "en": "Recommendations"},
    "h.figure": {"fr": "Prédictions et résidus", "en": "Predictions and residuals"},
    "footer": {
        "fr": "Produit par thermowatch {version} le {date}. Durées : {timings}.",
        "en": "Produced by thermowatch {version} on {date}. Timings: {timings}.",
    },
    "footer.no_timings": {"fr": "non mesurées", "en": "not measured"},
    "empty": {"fr": "Aucune donnée.", "en": "No data."},
    # --- summary ----------------------------------------------------------------------------
    "summary.source": {"fr": "Source", "en": "Source"},
    "summary.period": {"fr": "Période", "en": "Period"},
    "summary.period_value": {"fr": "du {start} au {end}", "en": "from {start} to {end}"},
    "summary.rows": {"fr": "Lignes (lues / retenues)", "en": "Rows (read / kept)"},
    "summary.step": {"fr": "Pas d'échantillonnage", "en": "Sampling step"},
    "summary.target": {"fr": "Grandeur prédite", "en": "Predicted quantity"},
    "summary.model": {"fr": "Modèle retenu", "en": "Chosen model"},
    "summary.test_rmse": {"fr": "RMSE de test", "en": "Test RMSE"},
    "summary.sentence": {
        "fr": (
            "Le modèle {model} prédit la colonne « {target} » avec une erreur quadratique"
            " moyenne de {rmse} K sur la période de test, contre {baseline} K pour le modèle"
            " de référence ({baseline_model})."
        ),
        "en": (
            "The {model} model predicts the column “{target}” with a root-mean-square error"
            " of {rmse} K over the test period, against {baseline} K for the baseline"
            " ({baseline_model})."
        ),
    },
    "kind.winding": {
        "fr": "température d'enroulement (point chaud)",
        "en": "winding (hot-spot) temperature",
    },
    "kind.oil": {"fr": "température de l'huile en haut de cuve", "en": "top-oil temperature"},
    "kind.other": {"fr": "autre température", "en": "other temperature"},
    # --- table columns ----------------------------------------------------------------------
    "col.model": {"fr": "Modèle", "en": "Model"},
    "col.split": {"fr": "Période", "en": "Period"},
    "col.rmse": {"fr": "RMSE [K]", "en": "RMSE [K]"},
    "col.mae": {"fr": "EAM [K]", "en": "MAE [K]"},
    "col.r2": {"fr": "R²", "en": "R²"},
    "col.max_error": {"fr": "Erreur max [K]", "en": "Max error [K]"},
    "col.bias": {"fr": "Biais [K]", "en": "Bias [K]"},
    "col.coverage": {"fr": "Couverture [%]", "en": "Coverage [%]"},
    "col.rows": {"fr": "Lignes", "en": "Rows"},
    "col.season": {"fr": "Saison", "en": "Season"},
    "col.load_band": {"fr": "Charge", "en": "Load"},
    "col.fold": {"fr": "Pli", "en": "Fold"},
    "col.train_end": {"fr": "Fin apprentissage", "en": "Training end"},
    "col.test_end": {"fr": "Fin test", "en": "Test end"},
    "col.baseline_rmse": {"fr": "RMSE référence [K]", "en": "Baseline RMSE [K]"},
    "col.step": {"fr": "Étape", "en": "Step"},
    "col.count": {"fr": "Nombre", "en": "Count"},
    "col.detail": {"fr": "Détail", "en": "Detail"},
    "col.level": {"fr": "Niveau", "en": "Level"},
    "col.value_c": {"fr": "Température [°C]", "en": "Temperature [°C]"},
    "col.origin": {"fr": "Origine", "en": "Origin"},
    "col.start": {"fr": "Début", "en": "Start"},
    "col.end": {"fr": "Fin", "en": "End"},
    "split.train": {"fr": "apprentissage", "en": "training"},
    "split.validation": {"fr": "validation", "en": "validation"},
    "split.test": {"fr": "test", "en": "test"},
    # --- thresholds -------------------------------------------------------------------------
    "level.normal": {"fr": "normal", "en": "normal"},
    "level.alerte": {"fr": "alerte", "en": "alert"},
    "level.critique": {"fr": "critique", "en": "critical"},
    "thresholds.rule": {
        "fr": "Origine des seuils : {rule}. {explanation}",
        "en": "Where the thresholds come from: {rule}. {explanation}",
    },
    "rule.config": {"fr": "fichier de configuration", "en": "configuration file"},
    "rule.cli": {"fr": "ligne de commande", "en": "command line"},
    "rule.data": {"fr": "déduits des données", "en": "derived from the data"},
    "thresholds.iec_note": {
        "fr": "Limites de la CEI 60076-7 pour le point chaud, données pour comparaison.",
        "en": "IEC 60076-7 hot-spot limits, given for comparison.",
    },
    "iec.reference_ageing": {
        "fr": "CEI : vieillissement de référence (taux 1)",
        "en": "IEC: reference ageing (rate 1)",
    },
    "iec.normal_cyclic": {
        "fr": "CEI : charge cyclique normale",
        "en": "IEC: normal cyclic loading",
    },
    "iec.long_time_emergency": {
        "fr": "CEI : secours de longue durée",
        "en": "IEC: long-time emergency loading",
    },
    "iec.short_time_emergency": {
        "fr": "CEI : secours de courte durée",
        "en": "IEC: short-time emergency loading",
    },
    # --- cleaning steps (keys of thermowatch.data.report.STEP_KEYS) -------------------------
    "cleaning.summary": {
        "fr": "{rows_in} lignes lues, {rows_out} lignes retenues après nettoyage.",
        "en": "{rows_in} rows read, {rows_out} rows kept after cleaning.",
    },
    "cleaning.unparseable_timestamp": {
        "fr": "Horodatages illisibles (lignes supprimées)",
        "en": "Unreadable timestamps (rows dropped)",
    },
    "cleaning.non_numeric_column": {
        "fr": "Colonnes non numériques (ignorées)",
        "en": "Non-numeric columns (left out)",
    },
    "cleaning.non_numeric_value": {
        "fr": "Textes dans une colonne numérique (mis manquants)",
        "en": "Texts in a numeric column (set missing)",
    },
    "cleaning.unit_converted": {
        "fr": "Températures converties en °C",
        "en": "Temperatures converted to °C",
    },
    "cleaning.unsorted_timestamp": {
        "fr": "Horodatages dans le désordre (table triée)",
        "en": "Out-of-order timestamps (table sorted)",
    },
    "cleaning.duplicate_timestamp": {
        "fr": "Horodatages en double (lignes supprimées)",
        "en": "Duplicate timestamps (rows dropped)",
    },
    "cleaning.out_of_range": {
        "fr": "Valeurs physiquement impossibles (mises manquantes)",
        "en": "Physically impossible values (set missing)",
    },
    "cleaning.frozen_sensor": {
        "fr": "Capteur figé 6 h ou plus pendant que les autres bougent (signalé, gardé, non appris)",
        "en": "Sensor stuck 6 h or more while the others move (flagged, kept, not learnt from)",
    },
    "cleaning.spike": {
        "fr": "Pics isolés (signalés, gardés, non appris)",
        "en": "Isolated spikes (flagged, kept, not learnt from)",
    },
    "cleaning.constant_column": {
        "fr": "Colonnes constantes (ignorées)",
        "en": "Constant columns (left out)",
    },
    "cleaning.gap_interpolated": {
        "fr": "Lacunes courtes interpolées",
        "en": "Short gaps interpolated",
    },
    "cleaning.long_gap_target": {
        "fr": "Lacunes longues de la cible (lignes supprimées)",
        "en": "Long target gaps (rows dropped)",
    },
    "cleaning.sparse_column": {
        "fr": "Colonnes trop lacunaires (ignorées)",
        "en": "Mostly missing columns (left out)",
    },
    "cleaning.long_gap_feature": {
        "fr": "Lacunes longues d'une variable (lignes supprimées)",
        "en": "Long input gaps (rows dropped)",
    },
    "unit.rows": {"fr": "lignes", "en": "rows"},
    "unit.values": {"fr": "valeurs", "en": "values"},
    "unit.columns": {"fr": "colonnes", "en": "columns"},
    # --- calendar ---------------------------------------------------------------------------
    "season.winter": {"fr": "hiver", "en": "winter"},
    "season.spring": {"fr": "printemps", "en": "spring"},
    "season.summer": {"fr": "été", "en": "summer"},
    "season.autumn": {"fr": "automne", "en": "autumn"},
    **{
        f"month.{i}": {"fr": fr, "en": en}
        for i, (fr, en) in enumerate(
            [
                ("janvier", "January"),
                ("février", "February"),
                ("mars", "March"),
                ("avril", "April"),
                ("mai", "May"),
                ("juin", "June"),
                ("juillet", "July"),
                ("août", "August"),
                ("septembre", "September"),
                ("octobre", "October"),
                ("novembre", "November"),
                ("décembre", "December"),
            ],
            start=1,
        )
    },
    "list.and": {"fr": " et ", "en": " and "},
    "severity.info": {"fr": "information", "en": "information"},
    "severity.warning": {"fr": "attention", "en": "warning"},
    "severity.critical": {"fr": "critique", "en": "critical"},
    # --- figure -----------------------------------------------------------------------------
    "fig.test_title": {
        "fr": "Mesure et prédiction sur la période de test",
        "en": "Measured and predicted over the test period",
    },
    "fig.measured": {"fr": "mesuré", "en": "measured"},
    "fig.predicted": {"fr": "prédit ({model})", "en": "predicted ({model})"},
    "fig.interval": {
        "fr": "intervalle de prédiction {level} %",
        "en": "{level} % prediction interval",
    },
    "fig.temperature_axis": {"fr": "Température [°C]", "en": "Temperature [°C]"},
    "fig.scatter_title": {
        "fr": "Prédit contre mesuré (test)",
        "en": "Predicted vs measured (test)",
    },
    "fig.measured_axis": {"fr": "Mesuré [°C]", "en": "Measured [°C]"},
    "fig.predicted_axis": {"fr": "Prédit [°C]", "en": "Predicted [°C]"},
    "fig.one_to_one": {"fr": "1:1 (prédiction parfaite)", "en": "1:1 (perfect prediction)"},
    "fig.scores": {"fr": "R² = {r2}\nRMSE = {rmse} K", "en": "R² = {r2}\nRMSE = {rmse} K"},
    "fig.residual_title": {
        "fr": "Résidus (mesuré − prédit) sur toute la période",
        "en": "Residuals (measured − predicted) over the whole period",
    },
    "fig.residual_axis": {"fr": "Résidu [K]", "en": "Residual [K]"},
    "fig.residual_points": {"fr": "résidu (moyenne {bin})", "en": "residual ({bin} mean)"},
    "fig.rolling_mean": {"fr": "moyenne glissante sur 7 jours", "en": "7-day rolling mean"},
    # --- recommendations --------------------------------------------------------------------
    "rec.threshold_above": {
        "fr": (
            "Seuil {level} ({threshold} °C) dépassé pendant {hours} h ({share} % du temps),"
            " surtout en {seasons} ({months}), typiquement vers {hour} h UTC{load}."
        ),
        "en": (
            "The {level} threshold ({threshold} °C) was exceeded for {hours} h ({share} % of"
            " the time), mostly in {seasons} ({months}), typically around {hour}:00 UTC{load}."
        ),
    },
    "rec.threshold_load": {
        "fr": ", sous une charge moyenne de {mean} pu (maximum {max} pu)",
        "en": ", under a mean load of {mean} pu (maximum {max} pu)",
    },
    "rec.threshold_never": {
        "fr": "Le seuil d'alerte ({threshold} °C) n'a jamais été atteint (maximum mesuré {max} °C).",
        "en": "The alert threshold ({threshold} °C) was never reached (measured maximum {max} °C).",
    },
    "rec.drivers": {
        "fr": "Ce qui fait varier la température : {drivers}.",
        "en": "What drives the temperature: {drivers}.",
    },
    "rec.driver_item": {
        "fr": "« {name} » ({share} % de la variance expliquée)",
        "en": "“{name}” ({share} % of the explained variance)",
    },
    "rec.coefficient": {
        "fr": " Effet le plus fort : « {name} », {coef} K par écart-type.",
        "en": " Strongest effect: “{name}”, {coef} K per standard deviation.",
    },
    "rec.ageing": {
        "fr": (
            "Vieillissement de l'isolation (CEI 60076-7, papier non amélioré) : {days} jours"
            " de vie consommés en {period} jours, soit {rate} an par an par rapport au"
            " vieillissement nominal (point chaud constant à 98 °C){estimated}."
        ),
        "en": (
            "Insulation ageing (IEC 60076-7, non-upgraded paper): {days} days of life used"
            " in {period} days, i.e. {rate} year per year against nominal ageing (constant"
            " 98 °C hot spot){estimated}."
        ),
    },
    "rec.ageing_estimated": {
        "fr": " ; point chaud estimé par le modèle CEI, non mesuré",
        "en": "; hot spot estimated with the IEC model, not measured",
    },
    "rec.ageing_fast": {
        "fr": " Le papier vieillit plus vite que nominal : limiter les pointes de charge ou renforcer le refroidissement.",
        "en": " The paper ages faster than nominal: limit load peaks or improve cooling.",
    },
    "rec.ageing_needs_winding": {
        "fr": (
            "Le vieillissement de l'isolation n'est pas calculé : il faut la température"
            " d'enroulement (point chaud), or seule l'huile est mesurée. Enregistrer une sonde"
            " d'enroulement (fibre optique ou image thermique), ou le courant avec la puissance"
            " assignée pour l'estimer."
        ),
        "en": (
            "Insulation ageing is not computed: it needs the winding (hot-spot) temperature,"
            " and only the oil is measured. Record a winding sensor (fibre optic or thermal"
            " image), or the current and the rating so that it can be estimated."
        ),
    },
    "rec.overload": {
        "fr": (
            "{count} surcharge(s) (charge > 1 pu pendant au moins 30 min) ; la plus longue a"
            " duré {longest} h ; charge maximale {max} pu."
        ),
        "en": (
            "{count} overload(s) (load > 1 pu for at least 30 min); the longest lasted"
            " {longest} h; maximum load {max} pu."
        ),
    },
    "rec.no_overload": {
        "fr": "Aucune surcharge de 30 min ou plus au-delà de 1 pu (charge maximale {max} pu).",
        "en": "No overload of 30 min or more above 1 pu (maximum load {max} pu).",
    },
    "rec.iec_hot_spot": {
        "fr": "Point chaud au-dessus de {limit} °C ({regime}) pendant {hours} h (maximum {max} °C).",
        "en": "Hot spot above {limit} °C ({regime}) for {hours} h (maximum {max} °C).",
    },
    "rec.iec_top_oil": {
        "fr": "Huile en haut de cuve au-dessus de {limit} °C (limite CEI) pendant {hours} h (maximum {max} °C).",
        "en": "Top oil above {limit} °C (IEC limit) for {hours} h (maximum {max} °C).",
    },
    "rec.trend_rising": {
        "fr": (
            "Les résidus (mesuré − prédit) augmentent de {slope} K par mois : le transformateur"
            " chauffe de plus en plus par rapport au comportement appris. Suspecter une"
            " dégradation du refroidissement (radiateurs encrassés, ventilateurs ou pompes en"
            " défaut) et prévoir une inspection."
        ),
        "en": (
            "The residuals (measured − predicted) rise by {slope} K per month: the transformer"
            " runs hotter and hotter than its learnt behaviour. Suspect degraded cooling"
            " (fouled radiators, failed fans or pumps) and plan an inspection."
        ),
    },
    "rec.trend_stable": {
        "fr": "Les résidus sont stables ({slope} K par mois) : pas de signe de dégradation du refroidissement.",
        "en": "The residuals are stable ({slope} K per month): no sign of cooling degradation.",
    },
    "rec.trend_too_short": {
        "fr": "Période trop courte ({days} jours) pour juger d'une dérive du refroidissement (30 jours minimum).",
        "en": "Period too short ({days} days) to judge a cooling drift (30 days at least).",
    },
    "rec.sensor_check": {
        "fr": "Vérifier le capteur « {column} » : {issues}.",
        "en": "Check the sensor “{column}”: {issues}.",
    },
    "issue.frozen_sensor": {"fr": "{n} valeurs figées", "en": "{n} frozen values"},
    "issue.spike": {"fr": "{n} pics isolés", "en": "{n} isolated spikes"},
    "issue.out_of_range": {"fr": "{n} valeurs impossibles", "en": "{n} impossible values"},
    "issue.non_numeric_value": {"fr": "{n} valeurs non numériques", "en": "{n} non-numeric values"},
    "rec.gaps": {
        "fr": (
            "Lacunes d'acquisition : {interpolated} valeurs interpolées et {dropped} lignes"
            " supprimées (lacunes longues). Vérifier la chaîne d'acquisition SCADA."
        ),
        "en": (
            "Acquisition gaps: {interpolated} values interpolated and {dropped} rows dropped"
            " (long gaps). Check the SCADA acquisition chain."
        ),
    },
    "rec.data_clean": {
        "fr": "Le nettoyage n'a trouvé aucun capteur figé, pic ou valeur impossible.",
        "en": "Cleaning found no frozen sensor, spike or impossible value.",
    },
    "rec.missing_ambient": {
        "fr": (
            "Aucune température ambiante n'est enregistrée : le modèle ne peut pas séparer"
            " l'effet de la météo de celui de la charge (erreur de test {rmse} K, référence"
            " {baseline} K). Installer ou enregistrer une sonde de température ambiante."
        ),
        "en": (
            "No ambient temperature is recorded: the model cannot tell the weather's effect"
            " from the load's (test error {rmse} K, baseline {baseline} K). Install or record"
            " an ambient temperature sensor."
        ),
    },
    "rec.missing_load": {
        "fr": (
            "Aucun courant ni charge n'est enregistré : la cause principale de l'échauffement"
            " manque (erreur de test {rmse} K, référence {baseline} K), et ni les surcharges ni"
            " la charge admissible ne peuvent être évaluées. Enregistrer le courant."
        ),
        "en": (
            "No current or load is recorded: the main cause of heating is missing (test error"
            " {rmse} K, baseline {baseline} K), and neither overloads nor the admissible load"
            " can be assessed. Record the current."
        ),
    },
    "rec.low_r2": {
        "fr": (
            "R² de test de {r2} seulement : les mesures disponibles n'expliquent pas la"
            " température prédite. Les prédictions et alertes sont peu fiables ; ajouter les"
            " mesures manquantes avant de s'y fier."
        ),
        "en": (
            "Test R² of only {r2}: the available inputs do not explain the predicted"
            " temperature. Predictions and alerts are unreliable; add the missing inputs"
            " before relying on them."
        ),
    },
    "rec.evaluation": {
        "fr": (
            "Évaluation honnête : les données sont coupées dans l'ordre du temps (apprentissage"
            " jusqu'au {train_end}, validation, puis test du {test_start} au {test_end},"
            " {test_rows} lignes), jamais mélangées. La température d'un instant ressemble"
            " beaucoup à celle de l'instant d'avant : mélanger montrerait au modèle les voisins"
            " immédiats des points de test et surestimerait sa précision."
        ),
        "en": (
            "Honest evaluation: the data are split in time order (training up to {train_end},"
            " validation, then test from {test_start} to {test_end}, {test_rows} rows), never"
            " shuffled. A temperature is very close to the one just before it: shuffling would"
            " show the model the immediate neighbours of the test points and overstate its"
            " accuracy."
        ),
    },
}

# --- model roles, forecasts and importances (learn) ---------------------------------------
TEXTS.update(
    {
        "h.roles": {
            "fr": "Modèles servis et règle de choix",
            "en": "Served models and how they were chosen",
        },
        "roles.rule": {"fr": "Règle : {rule}.", "en": "Rule: {rule}."},
        "col.role": {"fr": "Rôle", "en": "Role"},
        "col.chosen": {"fr": "Choisi", "en": "Chosen"},
        "col.runner_up": {"fr": "Second", "en": "Runner-up"},
        "col.validation": {"fr": "Erreur de validation", "en": "Validation error"},
        "col.reason": {"fr": "Raison", "en": "Reason"},
        "role.normal": {"fr": "comportement normal", "en": "normal behaviour"},
        "role.nowcast": {"fr": "estimation au pas suivant", "en": "nowcast (next step)"},
        "role.forecast": {"fr": "prévision", "en": "forecast"},
        "h.forecast": {"fr": "Prévision multi-horizon", "en": "Multi-horizon forecast"},
        "forecast.intro": {
            "fr": (
                "Erreur quadratique moyenne de test par horizon, en unités de l'écart-type"
                " d'apprentissage ({spread} K) ; « persistence » répète la dernière valeur."
                " Couverture de l'intervalle {level} % du modèle servi : {coverage}."
            ),
            "en": (
                "Test mean squared error by horizon, in units of the training standard"
                " deviation ({spread} K); “persistence” repeats the last value. Coverage of the"
                " served model's {level} % interval: {coverage}."
            ),
        },
        "col.horizon_steps": {"fr": "Horizon (pas)", "en": "Horizon (steps)"},
        "fig.forecast_error": {
            "fr": "Erreur de prévision selon l'horizon (test)",
            "en": "Forecast error by horizon (test)",
        },
        "fig.horizon_hours": {"fr": "Horizon [h]", "en": "Horizon [h]"},
        "fig.rmse_k": {"fr": "RMSE [K]", "en": "RMSE [K]"},
        "h.importance": {
            "fr": "Ce qui explique la température",
            "en": "What explains the temperature",
        },
        "importance.intro": {
            "fr": (
                "Importance par permutation groupée sur la période de validation : de combien"
                " l'erreur (RMSE) du modèle de comportement normal augmente quand une entrée et"
                " toutes ses versions filtrées sont mélangées dans le temps. Une valeur"
                " négative signifie que l'entrée n'aide pas sur cette période."
            ),
            "en": (
                "Grouped permutation importance on the validation period: how much the"
                " normal-behaviour model's error (RMSE) grows when one input and all its"
                " filtered versions are shuffled in time. A negative value means the input does"
                " not help over that period."
            ),
        },
        "col.input": {"fr": "Entrée", "en": "Input"},
        "col.importance_k": {"fr": "Hausse de RMSE [K]", "en": "RMSE increase [K]"},
        "loads.treated": {
            "fr": (
                "Colonnes traitées comme des charges (leur carré fait les pertes) : {columns}."
                " Si l'une n'en est pas une, ou pour nommer courant, puissance ou ambiante,"
                " donnez un fichier de correspondance (--mapping)."
            ),
            "en": (
                "Columns treated as loads (their square makes the losses): {columns}. If one is"
                " not a load, or to name current, power or ambient, give a mapping file"
                " (--mapping)."
            ),
        },
        "forecast.title": {
            "fr": "Prévision {model} depuis {origin} UTC ({steps} pas, intervalle {level} %)",
            "en": "Forecast by {model} from {origin} UTC ({steps} steps, {level} % interval)",
        },
        "forecast.crossing": {
            "fr": "{name} ({threshold} °C) atteint vers {at} UTC (au plus tôt {earliest}, au plus tard {latest}).",
            "en": "{name} ({threshold} °C) reached around {at} UTC (earliest {earliest}, latest {latest}).",
        },
        "forecast.no_crossing": {
            "fr": "{name} ({threshold} °C) non atteint d'ici {end} UTC (au plus tôt : {earliest}).",
            "en": "{name} ({threshold} °C) not reached by {end} UTC (earliest: {earliest}).",
        },
        "forecast.never": {"fr": "jamais", "en": "never"},
        "roles.reason.lowest": {
            "fr": "plus faible erreur de validation",
            "en": "lowest validation error",
        },
        "roles.reason.simpler": {
            "fr": "plus simple, à moins de 2 % du meilleur en validation",
            "en": "simpler, within 2 % of the best on validation",
        },
        "forecast.beyond": {"fr": "au-delà de l'horizon", "en": "beyond the horizon"},
    }
)


def t(key: str, lang: str = DEFAULT_LANGUAGE, **values: object) -> str:
    """The text ``key`` in ``lang`` (``"fr"`` or ``"en"``), placeholders filled from ``values``.

    An unknown language falls back to French (the first users' language); an unknown key is a
    programming error and raises ``KeyError``.
    """
    texts = TEXTS[key]
    text = texts.get(lang, texts[DEFAULT_LANGUAGE])
    return text.format(**values) if values else text


def number(value: float | None, lang: str = DEFAULT_LANGUAGE, digits: int = 1) -> str:
    """``value`` rounded to ``digits`` decimals, trailing zeros dropped, decimal comma in French.

    ``None`` and NaN give ``"—"``.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    text = f"{value:.{digits}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if text in ("-0", ""):
        text = "0"
    return text.replace(".", ",") if lang == "fr" else text


def join_words(items: list[str], lang: str = DEFAULT_LANGUAGE) -> str:
    """``a, b and c`` (``a, b et c`` in French)."""
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + t("list.and", lang) + items[-1]


def label(prefix: str, key: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """Translated ``prefix.key`` when it exists, else ``key`` itself (data-defined names)."""
    full = f"{prefix}.{key}"
    return t(full, lang) if full in TEXTS else key
