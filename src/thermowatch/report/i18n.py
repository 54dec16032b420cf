"""Every text a person reads (report, alert messages), in French (default) and English.

One catalogue per area (:data:`CATALOGUES`), looked up through :data:`TEXTS`, keyed by stable
identifiers; :func:`t` picks the language and fills
the ``{placeholders}``. Numbers are formatted before they are passed in (see :func:`number`),
so that French gets a decimal comma.
"""

from __future__ import annotations

import math
from datetime import timedelta

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
    "rule.iec": {"fr": "CEI 60076-7", "en": "IEC 60076-7"},
    "rule.default": {"fr": "valeurs par défaut CEI", "en": "IEC defaults"},
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
        "fr": "Lignes lues : {rows_in} ; retenues après nettoyage : {rows_out}.",
        "en": "Rows read: {rows_in}; kept after cleaning: {rows_out}.",
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
    "count.rows.one": {"fr": "{n} ligne", "en": "{n} row"},
    "count.rows.other": {"fr": "{n} lignes", "en": "{n} rows"},
    "count.values.one": {"fr": "{n} valeur", "en": "{n} value"},
    "count.values.other": {"fr": "{n} valeurs", "en": "{n} values"},
    "count.columns.one": {"fr": "{n} colonne", "en": "{n} column"},
    "count.columns.other": {"fr": "{n} colonnes", "en": "{n} columns"},
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
            " surtout en {seasons} ({months}), typiquement vers {hour}{load}."
        ),
        "en": (
            "The {level} threshold ({threshold} °C) was exceeded for {hours} h ({share} % of"
            " the time), mostly in {seasons} ({months}), typically around {hour}{load}."
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
    "rec.overload.one": {
        "fr": (
            "{count} surcharge (charge > 1 pu pendant au moins 30 min) ; elle a duré {longest} h"
            " ; charge maximale {max} pu."
        ),
        "en": (
            "{count} overload (load > 1 pu for at least 30 min); it lasted {longest} h;"
            " maximum load {max} pu."
        ),
    },
    "rec.overload.other": {
        "fr": (
            "{count} surcharges (charge > 1 pu pendant au moins 30 min) ; la plus longue a"
            " duré {longest} h ; charge maximale {max} pu."
        ),
        "en": (
            "{count} overloads (load > 1 pu for at least 30 min); the longest lasted"
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
    "rec.oil_dga_check": {
        "fr": (
            "Le transformateur a changé (résidus en hausse de {slope} K par mois) : contrôler le"
            " niveau d'huile (indicateur du conservateur, fuites) et prélever un échantillon"
            " d'huile pour une analyse des gaz dissous (DGA) ; elle distingue un défaut"
            " interne (points chauds, arcs) d'un simple défaut de refroidissement."
        ),
        "en": (
            "The transformer changed (residuals rising by {slope} K per month): check the oil"
            " level (conservator gauge, leaks) and take an oil sample for dissolved gas"
            " analysis (DGA); it tells an internal fault (hot spots, arcing) from a mere"
            " cooling fault."
        ),
    },
    "rec.cooling_high_load": {
        "fr": (
            "À forte charge (≥ {load} pu, {hours} h de mesures hors apprentissage), le"
            " transformateur chauffe de {excess} K de plus que prévu qu'aux charges plus"
            " faibles : vérifier les ventilateurs et les pompes (démarrage des étages de"
            " refroidissement forcé, thermostats, sens de rotation)."
        ),
        "en": (
            "At high load (≥ {load} pu, {hours} h of readings outside training), the"
            " transformer runs {excess} K hotter than predicted, more than at lower loads:"
            " check the fans and pumps (forced-cooling stages starting, thermostats,"
            " direction of rotation)."
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
    # Counted texts: ``.one`` / ``.other`` forms, chosen by :func:`tn` (French: 0 and 1 singular).
    "issue.frozen_sensor.one": {"fr": "{n} valeur figée", "en": "{n} frozen value"},
    "issue.frozen_sensor.other": {"fr": "{n} valeurs figées", "en": "{n} frozen values"},
    "issue.spike.one": {"fr": "{n} pic isolé", "en": "{n} isolated spike"},
    "issue.spike.other": {"fr": "{n} pics isolés", "en": "{n} isolated spikes"},
    "issue.out_of_range.one": {"fr": "{n} valeur impossible", "en": "{n} impossible value"},
    "issue.out_of_range.other": {"fr": "{n} valeurs impossibles", "en": "{n} impossible values"},
    "issue.non_numeric_value.one": {
        "fr": "{n} valeur non numérique",
        "en": "{n} non-numeric value",
    },
    "issue.non_numeric_value.other": {
        "fr": "{n} valeurs non numériques",
        "en": "{n} non-numeric values",
    },
    "rec.gaps": {
        "fr": (
            "Lacunes d'acquisition (valeurs interpolées : {interpolated} ; lignes supprimées,"
            " lacunes longues : {dropped}). Vérifier la chaîne d'acquisition SCADA."
        ),
        "en": (
            "Acquisition gaps (values interpolated: {interpolated}; rows dropped, long gaps:"
            " {dropped}). Check the SCADA acquisition chain."
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
    # --- thermowatch doctor (operations) --------------------------------------------------
    "doctor.title": {"fr": "thermowatch doctor", "en": "thermowatch doctor"},
    "doctor.col.check": {"fr": "Vérification", "en": "Check"},
    "doctor.col.verdict": {"fr": "Verdict", "en": "Verdict"},
    "doctor.col.detail": {"fr": "Détail", "en": "Detail"},
    "doctor.verdict.ok": {"fr": "OK", "en": "OK"},
    "doctor.verdict.warn": {"fr": "ATTENTION", "en": "WARNING"},
    "doctor.verdict.unknown": {"fr": "INCONNU", "en": "UNKNOWN"},
    "doctor.verdict.fail": {"fr": "ÉCHEC", "en": "FAIL"},
    "doctor.check.config": {"fr": "Configuration", "en": "Configuration"},
    "doctor.check.database": {"fr": "Base de données", "en": "Database"},
    "doctor.check.scada": {"fr": "Sources SCADA", "en": "SCADA sources"},
    "doctor.check.channels": {"fr": "Canaux d'alerte", "en": "Alert channels"},
    "doctor.check.jobs": {"fr": "Tâches du cycle de vie", "en": "Lifecycle jobs"},
    "doctor.check.certificates": {"fr": "Certificats TLS", "en": "TLS certificates"},
    "doctor.check.disk": {"fr": "Espace disque", "en": "Disk space"},
    "doctor.check.backup": {"fr": "Sauvegarde", "en": "Backup"},
    "doctor.check.leader": {"fr": "Moniteur actif", "en": "Active monitor"},
    "doctor.check.outbox": {"fr": "File d'envoi", "en": "Outbox"},
    "doctor.check.spool": {"fr": "Tampon local", "en": "Local spool"},
    "doctor.check.stale": {"fr": "Relevés récents", "en": "Recent readings"},
    "doctor.summary": {
        "fr": "{ok} OK, {unknown} inconnu(s), {warn} avertissement(s), {fail} échec(s)",
        "en": "{ok} ok, {unknown} unknown, {warn} warning(s), {fail} failure(s)",
    },
    "doctor.config.ok": {
        "fr": "{path} : sections {sections} valides",
        "en": "{path}: sections {sections} valid",
    },
    "doctor.config.none": {
        "fr": "aucun fichier de configuration (--config ou THERMOWATCH_CONFIG) : valeurs par défaut",
        "en": "no configuration file (--config or THERMOWATCH_CONFIG): defaults in use",
    },
    "doctor.error": {"fr": "{message}", "en": "{message}"},
    "doctor.database.ok": {
        "fr": "{url} à la révision {revision}",
        "en": "{url} at revision {revision}",
    },
    "doctor.database.behind": {
        "fr": "{url} est à la révision {revision}, le code attend {head} : lancer `thermowatch db upgrade`",
        "en": "{url} is at revision {revision}, the code expects {head}: run `thermowatch db upgrade`",
    },
    "doctor.database.down": {
        "fr": "{url} injoignable : {message}",
        "en": "{url} not reachable: {message}",
    },
    "doctor.scada.none": {
        "fr": "aucun transformateur configuré",
        "en": "no transformer configured",
    },
    "doctor.scada.unknown": {
        "fr": "pas de fichier de réglages (--config, THERMOWATCH_CONFIG ou ./thermowatch.toml) :"
        " les sources du moniteur ne sont pas visibles d'ici",
        "en": "no settings file (--config, THERMOWATCH_CONFIG or ./thermowatch.toml): the"
        " monitor's sources cannot be seen from here",
    },
    "doctor.scada.ok": {
        "fr": "{n} source(s) joignable(s) : {where}",
        "en": "{n} source(s) reachable: {where}",
    },
    "doctor.scada.down": {"fr": "injoignable(s) : {where}", "en": "not reachable: {where}"},
    "doctor.scada.problems": {
        "fr": "à corriger dans la configuration ou sur le serveur : {problems}",
        "en": "to fix in the configuration or on the server: {problems}",
    },
    "doctor.channels.ok": {
        "fr": "phase {phase}, canaux : {names}",
        "en": "phase {phase}, channels: {names}",
    },
    "doctor.channels.phase1": {
        "fr": "phase 1 (observation) : rien n'est envoyé",
        "en": "phase 1 (observation): nothing is sent",
    },
    "doctor.channels.none": {
        "fr": "phase {phase} mais aucun canal configuré : les alertes ne partent pas",
        "en": "phase {phase} but no channel configured: alerts are not sent",
    },
    "doctor.cert.none": {"fr": "aucun certificat à surveiller", "en": "no certificate to watch"},
    "doctor.cert.days": {
        "fr": "{path} expire dans {days} jours",
        "en": "{path} expires in {days} days",
    },
    "doctor.cert.missing": {
        "fr": "{path} illisible : {message}",
        "en": "{path} unreadable: {message}",
    },
    "doctor.disk.free": {
        "fr": "{path} : {free} Gio libres ({pct} %)",
        "en": "{path}: {free} GiB free ({pct} %)",
    },
    "doctor.backup.none": {
        "fr": "aucune sauvegarde dans {path} (--backup-dir ou THERMOWATCH_BACKUP_DIR)",
        "en": "no backup in {path} (--backup-dir or THERMOWATCH_BACKUP_DIR)",
    },
    "doctor.backup.nodir": {
        "fr": "répertoire de sauvegarde non indiqué (--backup-dir ou THERMOWATCH_BACKUP_DIR)",
        "en": "no backup directory given (--backup-dir or THERMOWATCH_BACKUP_DIR)",
    },
    "doctor.backup.age": {
        "fr": "dernière sauvegarde il y a {hours} h ({name}, {state})",
        "en": "last backup {hours} h ago ({name}, {state})",
    },
    "doctor.backup.verified": {"fr": "vérifiée", "en": "verified"},
    "doctor.backup.unverified": {"fr": "non vérifiée", "en": "not verified"},
    "doctor.leader.held": {
        "fr": "bail « {name} » tenu par {holder}",
        "en": "lease “{name}” held by {holder}",
    },
    "doctor.leader.free": {
        "fr": "aucun moniteur ne tient le bail « {name} » et aucun relevé récent n'est stocké",
        "en": "no monitor holds the lease “{name}” and no recent reading is stored",
    },
    "doctor.leader.unleased": {
        "fr": "aucun moniteur ne tient le bail « {name} », mais des relevés arrivent (dernier"
        " stocké il y a {seconds} s) : moniteur sans --lease ou envoi HTTP",
        "en": "no monitor holds the lease “{name}”, but readings arrive (last stored {seconds} s"
        " ago): a monitor without --lease, or HTTP pushes",
    },
    "doctor.leader.unknown": {
        "fr": "aucun moniteur ne tient le bail « {name} » et aucun relevé récent : sans fichier"
        " de réglages, impossible de dire si un moniteur devrait tourner",
        "en": "no monitor holds the lease “{name}” and no recent reading: without a settings"
        " file, whether a monitor should run is unknown",
    },
    "doctor.jobs.in_process": {
        "fr": "tâches du cycle de vie exécutées par thermowatch-scheduler (sans worker ni Redis)",
        "en": "lifecycle jobs run by thermowatch-scheduler itself (no worker, no Redis)",
    },
    "doctor.jobs.celery": {
        "fr": "tâches confiées aux workers Celery (thermowatch-worker), courtier {broker} joignable",
        "en": "jobs handed to Celery workers (thermowatch-worker), broker {broker} reachable",
    },
    "doctor.jobs.broker_down": {
        "fr": "THERMOWATCH_SCHEDULER_ARGS=--celery mais le courtier {broker} ne répond pas "
        "({message}) : démarrer Redis, ou retirer --celery",
        "en": "THERMOWATCH_SCHEDULER_ARGS=--celery but the broker {broker} does not answer "
        "({message}): start Redis, or remove --celery",
    },
    "doctor.jobs.waiting": {
        "fr": "{n} tâche(s) en attente depuis plus d'une heure : thermowatch-scheduler (et "
        "thermowatch-worker avec --celery) tournent-ils ?",
        "en": "{n} job run(s) waiting for over an hour: are thermowatch-scheduler (and "
        "thermowatch-worker with --celery) running?",
    },
    "doctor.outbox.state": {
        "fr": "{n} notification(s) en attente, la plus ancienne depuis {age} min",
        "en": "{n} notification(s) pending, the oldest for {age} min",
    },
    "doctor.spool.state": {
        "fr": "{n} lot(s) de relevés en attente dans {path}",
        "en": "{n} batch(es) of readings waiting in {path}",
    },
    "doctor.stale.ok": {
        "fr": "{n} transformateur(s) à jour",
        "en": "{n} transformer(s) up to date",
    },
    "doctor.stale.late": {
        "fr": "sans relevé depuis plus de {minutes} min : {names}",
        "en": "no reading for more than {minutes} min: {names}",
    },
}

# --- the first page, thresholds by rule, plurals (issue 16) ------------------------------------
TEXTS.update(
    {
        "h.first_page": {"fr": "L'essentiel", "en": "At a glance"},
        "level.of.alerte": {"fr": "d'alerte", "en": "alert"},
        "level.of.critique": {"fr": "critique", "en": "critical"},
        "h.actions": {"fr": "Actions, par urgence", "en": "Actions, most urgent first"},
        "h.findings": {"fr": "Autres constats", "en": "Other findings"},
        "h.coverage": {
            "fr": "Fiabilité de l'intervalle par tranche de charge",
            "en": "Interval reliability by load band",
        },
        "h.details": {"fr": "Détails", "en": "Details"},
        "nameplate.name": {"fr": "Transformateur", "en": "Transformer"},
        "nameplate.rating": {"fr": "Puissance et tension assignées", "en": "Rating"},
        "nameplate.rating_value": {
            "fr": "{power} MVA, {voltage} kV",
            "en": "{power} MVA, {voltage} kV",
        },
        "nameplate.rated_current": {"fr": "Courant assigné", "en": "Rated current"},
        "nameplate.cooling": {"fr": "Refroidissement", "en": "Cooling"},
        "nameplate.unknown": {
            "fr": "non renseigné (fichier DONNÉES.spec.toml ou --rated-current)",
            "en": "not given (DATA.spec.toml file or --rated-current)",
        },
        "verdict.critical": {
            "fr": "Action requise : {reason}",
            "en": "Action required: {reason}",
        },
        "verdict.warning": {"fr": "À surveiller : {reason}", "en": "To watch: {reason}"},
        "verdict.info": {
            "fr": "Rien à signaler : aucune limite dépassée, vieillissement normal.",
            "en": "Nothing to report: no limit exceeded, normal ageing.",
        },
        "key.hours_above": {
            "fr": "Heures au-dessus de {limit} °C ({what})",
            "en": "Hours above {limit} °C ({what})",
        },
        "key.loss_of_life": {"fr": "Perte de vie de l'isolation", "en": "Insulation loss of life"},
        "key.loss_of_life_value": {
            "fr": "{days} j en {period} j ({rate} an par an)",
            "en": "{days} d in {period} d ({rate} year per year)",
        },
        "key.overloads": {
            "fr": "Surcharges (> 1 pu, ≥ 30 min)",
            "en": "Overloads (> 1 pu, ≥ 30 min)",
        },
        "key.overloads_value.one": {
            "fr": "{count}, de {longest} h",
            "en": "{count}, lasting {longest} h",
        },
        "key.overloads_value.other": {
            "fr": "{count}, la plus longue {longest} h",
            "en": "{count}, the longest {longest} h",
        },
        "key.not_computed": {"fr": "non calculé ({why})", "en": "not computed ({why})"},
        "why.no_hot_spot": {
            "fr": "point chaud ni mesuré ni estimable",
            "en": "hot spot neither measured nor estimable",
        },
        "why.no_load": {"fr": "charge inconnue", "en": "load unknown"},
        "why.no_rating": {
            "fr": "courant assigné inconnu : donnez --rated-current (ou DATA.spec.toml à côté "
            "des données) pour l'obtenir",
            "en": "rated current unknown: give --rated-current (or DATA.spec.toml next to the "
            "data) to get it",
        },
        "urgency.critical": {"fr": "urgent", "en": "urgent"},
        "cv.stable": {
            "fr": "{model} : pli le plus mauvais {worst} K, pli médian {median} K ({ratio}×) :"
            " stable.",
            "en": "{model}: worst fold {worst} K, median fold {median} K ({ratio}×): stable.",
        },
        "cv.unstable": {
            "fr": "{model} : pli le plus mauvais {worst} K, pli médian {median} K ({ratio}×) :"
            " instable (plus de 3 fois le pli médian), non servi.",
            "en": "{model}: worst fold {worst} K, median fold {median} K ({ratio}×): unstable"
            " (over 3 times the median fold), not served.",
        },
        "cv.unstable_served": {
            "fr": "{model} : pli le plus mauvais {worst} K, pli médian {median} K ({ratio}×) :"
            " instable (plus de 3 fois le pli médian) ; servi car tous les candidats le sont et"
            " c'est celui dont le pli le plus mauvais est le plus faible.",
            "en": "{model}: worst fold {worst} K, median fold {median} K ({ratio}×): unstable"
            " (over 3 times the median fold); served because every candidate is, and its worst"
            " fold is the smallest.",
        },
        "urgency.now": {"fr": "maintenant", "en": "now"},
        "urgency.this_month": {"fr": "ce mois-ci", "en": "this month"},
        "urgency.next_outage": {"fr": "au prochain arrêt", "en": "at the next outage"},
        "rec.limit_amps": {"fr": " ({amps} A", "en": " ({amps} A"},
        "rec.limit_mva": {"fr": ", {mva} MVA", "en": ", {mva} MVA"},
        "rec.clock": {
            "fr": "{local} h heure locale ({zone}), {utc} h UTC",
            "en": "{local}:00 local time ({zone}), {utc}:00 UTC",
        },
        "urgency.warning": {"fr": "à planifier", "en": "to plan"},
        "urgency.info": {"fr": "pour information", "en": "for information"},
        "col.urgency": {"fr": "Urgence", "en": "Urgency"},
        "col.action": {"fr": "Action et justification", "en": "Action and evidence"},
        "col.key_figure": {"fr": "Indicateur", "en": "Figure"},
        "col.value": {"fr": "Valeur", "en": "Value"},
        "no_action": {
            "fr": "Aucune action nécessaire d'après ces mesures.",
            "en": "No action needed from these measurements.",
        },
        "coverage.intro": {
            "fr": (
                "Part des mesures de test dans l'intervalle de prédiction à {level} % : {overall} %"
                " au total. Une tranche sous {floor} % signale des prédictions moins sûres."
            ),
            "en": (
                "Share of test measurements inside the {level} % prediction interval: {overall} %"
                " overall. A band below {floor} % flags less trustworthy predictions."
            ),
        },
        "coverage.poor": {"fr": "insuffisante", "en": "poor"},
        "coverage.ok": {"fr": "correcte", "en": "fine"},
        "col.verdict": {"fr": "Appréciation", "en": "Assessment"},
        "rec.coverage_poor": {
            "fr": (
                "L'intervalle de prédiction à {level} % ne couvre que {coverage} % des mesures"
                " pour une charge {band} ({rows} lignes de test) : s'y fier avec une marge"
                " supplémentaire, et réentraîner quand plus de données à cette charge existent."
            ),
            "en": (
                "The {level} % prediction interval covers only {coverage} % of the measurements"
                " at load {band} ({rows} test rows): allow an extra margin there, and retrain"
                " once more data at that load exists."
            ),
        },
        "rec.limit_load": {
            "fr": (
                " Limiter la charge à {limit_pu} pu{units} en {months} vers {hour} (charge"
                " moyenne pendant les dépassements soutenus {mean} pu)."
            ),
            "en": (
                " Limit the load to {limit_pu} pu{units} in {months} around {hour} (mean load"
                " during the sustained exceedances {mean} pu)."
            ),
        },
        "rec.missing_rating": {
            "fr": (
                "Le courant « {column} » est en ampères sans courant assigné : l'estimation CEI"
                " du point chaud, l'analyse des surcharges et la perte de vie sont absentes."
                " Donner --rated-current (ou un fichier DONNÉES.spec.toml à côté des données)."
            ),
            "en": (
                "The current “{column}” is in amperes with no rated current: the IEC hot-spot"
                " estimate, the overload analysis and the loss of life are left out. Give"
                " --rated-current (or a DATA.spec.toml file next to the data)."
            ),
        },
        "thresholds.rule.iec_winding": {
            "fr": (
                "Seuils CEI 60076-7 : alerte à {alerte} °C, où le papier non amélioré vieillit"
                " deux fois plus vite qu'au point chaud de référence de 98 °C ; critique à"
                " {critique} °C, limite de la charge cyclique normale."
            ),
            "en": (
                "IEC 60076-7 thresholds: alert at {alerte} °C, where non-upgraded paper ages"
                " twice as fast as at the 98 °C reference hot spot; critical at {critique} °C,"
                " the normal cyclic loading limit."
            ),
        },
        "thresholds.rule.iec_oil": {
            "fr": (
                "Seuils CEI 60076-7 : alerte à {alerte} °C, limite de l'huile en charge cyclique"
                " normale ; critique à {critique} °C, limite de l'huile en régime de secours."
            ),
            "en": (
                "IEC 60076-7 thresholds: alert at {alerte} °C, the top-oil limit of normal"
                " cyclic loading; critical at {critique} °C, the emergency top-oil limit."
            ),
        },
        "thresholds.rule.data": {
            "fr": (
                "Seuils déduits des données (aucune limite normative pour cette grandeur) :"
                " alerte au 99e centile de la période d'apprentissage, critique au 99,9e"
                " centile plus 5 K."
            ),
            "en": (
                "Thresholds derived from the data (no standard limit for this quantity): alert"
                " at the 99th percentile of the training period, critical at the 99.9th"
                " percentile plus 5 K."
            ),
        },
        "thresholds.rule.given": {
            "fr": "Seuils donnés ({rule}) : alerte à {alerte} °C, critique à {critique} °C.",
            "en": "Thresholds given ({rule}): alert at {alerte} °C, critical at {critique} °C.",
        },
        "thresholds.data_comparison": {
            "fr": (
                "Pour comparaison, la règle des données (99e centile ; 99,9e centile + 5 K)"
                " donnerait {alerte} / {critique} °C : dépassés environ 1 % du temps par"
                " construction, ils ne disent rien de l'état de l'isolation."
            ),
            "en": (
                "For comparison, the data rule (99th percentile; 99.9th percentile + 5 K)"
                " would give {alerte} / {critique} °C: exceeded about 1 % of the time by"
                " construction, they say nothing about the insulation."
            ),
        },
        "col.rule": {"fr": "Règle", "en": "Rule"},
        "iec.source": {"fr": "CEI 60076-7", "en": "IEC 60076-7"},
        "feature.IEC 60076-7 hot spot": {
            "fr": "point chaud estimé (CEI 60076-7)",
            "en": "estimated hot spot (IEC 60076-7)",
        },
        "cleaning.first_at": {"fr": "premier le {times}", "en": "first at {times}"},
        "cleaning.data_rows": {"fr": "lignes de données {rows}", "en": "data rows {rows}"},
        "cleaning.disabled": {"fr": "désactivé", "en": "disabled"},
        # Step names of the training's timings (footer); model names stay as they are.
        "timing.nowcast": {"fr": "estimation au pas suivant", "en": "nowcast"},
        "timing.forecast": {"fr": "prévision", "en": "forecast"},
        "timing.report data": {"fr": "données du rapport", "en": "report data"},
        "feature.IEC 60076-7 estimate": {
            "fr": "estimation CEI 60076-7",
            "en": "IEC 60076-7 estimate",
        },
        "feature.calendar": {"fr": "calendrier", "en": "calendar"},
        "roles.reason.lowest": {
            "fr": "plus faible erreur de validation ({error})",
            "en": "lowest validation error ({error})",
        },
        "roles.reason.simpler": {
            "fr": "plus simple que {best} ({parameters} paramètres contre {best_parameters}) et "
            "à moins de {tolerance} % de son erreur de validation",
            "en": "simpler than {best} ({parameters} vs {best_parameters} parameters) and within "
            "{tolerance} % of its validation error",
        },
        "roles.reason.combination": {
            "fr": "combinaison de prévisions : {other} ne la bat pas de plus d'une erreur type sur "
            "les {periods} périodes d'origine glissante",
            "en": "a combination of forecasts: {other} does not beat it by more than one standard "
            "error over the {periods} rolling-origin periods",
        },
        "timing.read": {"fr": "lecture", "en": "reading"},
        "timing.features": {"fr": "variables", "en": "features"},
        "timing.one-step": {"fr": "modèle à un pas", "en": "one-step model"},
        "timing.evaluation": {"fr": "évaluation", "en": "evaluation"},
        "timing.train": {"fr": "apprentissage", "en": "training"},
        "timing.report": {"fr": "rapport", "en": "report"},
        "fig.title": {
            "fr": "{name} — {quantity} : mesure et prédiction (test)",
            "en": "{name} — {quantity}: measured and predicted (test)",
        },
    }
)


def plural_one(n: float, lang: str = DEFAULT_LANGUAGE) -> bool:
    """True when ``n`` takes the singular: French 0 and 1 (``0 valeur``), English only 1."""
    return abs(n) < 2 if lang == "fr" else n == 1


def tn(key: str, n: float, lang: str = DEFAULT_LANGUAGE, **values: object) -> str:
    """The counted text ``key.one`` or ``key.other`` for ``n``; ``{n}`` is filled with ``n``."""
    form = "one" if plural_one(n, lang) else "other"
    values.setdefault("n", n)
    return t(f"{key}.{form}", lang, **values)


# --- alerts: what the operator on shift reads (subjects, bodies, actions) -------------------
ALERT_TEXTS: dict[str, dict[str, str]] = {
    "subject.raised": {
        "fr": "[thermowatch] {level} {transformer} : {quantity} {value}",
        "en": "[thermowatch] {level} {transformer}: {quantity} {value}",
    },
    "subject.raised.forecast": {
        "fr": "[thermowatch] {level} prévue {transformer} : {value} vers {time} UTC",
        "en": "[thermowatch] {level} forecast {transformer}: {value} about {time} UTC",
    },
    "subject.resolved": {
        "fr": "[thermowatch] Fin d'alerte {transformer} : {quantity} {value}",
        "en": "[thermowatch] Cleared {transformer}: {quantity} {value}",
    },
    "subject.escalated": {
        "fr": "[thermowatch] ESCALADE {level} {transformer} non acquittée depuis {minutes} min",
        "en": "[thermowatch] ESCALATION {level} {transformer} unacknowledged for {minutes} min",
    },
    "subject.test": {
        "fr": "[thermowatch] Message d'essai du canal {channel}",
        "en": "[thermowatch] Test message from channel {channel}",
    },
    "body.test": {
        "fr": "Ceci est un message d'essai envoyé par « thermowatch alerts test-channel ».",
        "en": "This is a test message sent by “thermowatch alerts test-channel”.",
    },
    "line.transformer": {"fr": "Transformateur : {v}", "en": "Transformer: {v}"},
    "line.level": {"fr": "Niveau : {v}", "en": "Level: {v}"},
    "line.threshold": {"fr": "Seuil {level} : {v}", "en": "{level} threshold: {v}"},
    "line.trend": {"fr": "Tendance : {v} K/h", "en": "Trend: {v} K/h"},
    "line.trend_unknown": {"fr": "Tendance : inconnue", "en": "Trend: unknown"},
    "line.eta": {
        "fr": "Seuil {level} ({threshold} °C) atteint dans environ {eta} au rythme actuel",
        "en": "{level} threshold ({threshold} °C) reached in about {eta} at the current rate",
    },
    "line.eta_forecast": {
        "fr": "Seuil {level} ({threshold} °C) atteint vers {time} UTC (dans environ {eta}) "
        "selon la prévision",
        "en": "{level} threshold ({threshold} °C) reached about {time} UTC (in about {eta}) "
        "according to the forecast",
    },
    "line.forecast.learned": {
        "fr": "Prévision : apprise, modèle {model}",
        "en": "Forecast: learned, model {model}",
    },
    "line.forecast.physics": {
        "fr": "Prévision : physique CEI 60076-7 ({model})",
        "en": "Forecast: IEC 60076-7 physics ({model})",
    },
    "line.forecast.window": {
        "fr": "Intervalle de la prévision : seuil atteint entre {earliest} et {latest}",
        "en": "Forecast interval: threshold reached between {earliest} and {latest}",
    },
    "forecast.beyond": {"fr": "au-delà de l'horizon", "en": "beyond the horizon"},
    "line.original": {"fr": "Alerte initiale : {v}", "en": "Original alert: {v}"},
    "line.time": {"fr": "Horodatage : {v} UTC", "en": "Time: {v} UTC"},
    "line.extrapolating": {
        "fr": "Prédiction en extrapolation : hors du domaine appris par le modèle (intervalle "
        "élargi, la physique prime).",
        "en": "Prediction extrapolating: outside the model's learned domain (interval widened, "
        "the physics leads).",
    },
    "line.action": {"fr": "Action : {v}", "en": "Action: {v}"},
    "line.ack": {
        "fr": "Alerte n° {id} ; acquitter : thermowatch alerts ack {id} --by VOTRE_NOM",
        "en": "Alert #{id}; acknowledge: thermowatch alerts ack {id} --by YOUR_NAME",
    },
    "quantity.temperature_predicted": {"fr": "température prédite", "en": "predicted temperature"},
    "quantity.temperature_measured": {"fr": "température mesurée", "en": "measured temperature"},
    "quantity.anomaly": {
        "fr": "écart mesure - comportement normal",
        "en": "measured minus normal behaviour",
    },
    "quantity.forecast_crossing": {"fr": "température prévue", "en": "forecast temperature"},
    "quantity.stale_data": {
        "fr": "âge de la dernière mesure (min)",
        "en": "age of the latest reading (min)",
    },
    "quantity.clock_jump": {
        "fr": "recul de l'horloge de la source (min)",
        "en": "step back of the source's clock (min)",
    },
    # The action to take, per kind and level: what the operator on shift does next.
    "action.temperature.ALERTE": {
        "fr": "surveiller la charge, vérifier le refroidissement (ventilateurs, pompes) et "
        "préparer un délestage.",
        "en": "watch the load, check the cooling (fans, pumps) and prepare to shed load.",
    },
    "action.temperature.CRITIQUE": {
        "fr": "réduire la charge sans attendre, mettre en service tout le refroidissement "
        "disponible et prévenir le responsable d'exploitation.",
        "en": "reduce the load now, start all available cooling and inform the operations manager.",
    },
    "action.anomaly.ALERTE": {
        "fr": "la mesure dépasse le comportement normal : vérifier le refroidissement "
        "(ventilateurs, pompes, radiateurs) et le capteur de température.",
        "en": "the measurement exceeds normal behaviour: check the cooling (fans, pumps, "
        "radiators) and the temperature sensor.",
    },
    "quantity.model_degradation": {
        "fr": "erreur en service / erreur de validation du modèle",
        "en": "model error in service / validation error",
    },
    "quantity.residual_drift": {
        "fr": "décalage durable mesure - modèle (K)",
        "en": "lasting shift of measured minus model (K)",
    },
    "quantity.action_failed": {
        "fr": "échec d'une action sur le terrain (niveau de l'alerte traitée)",
        "en": "field action failed (level of the alert it answered)",
    },
    "action.action_failed.ALERTE": {
        "fr": "l'écriture automatique (OPC UA / Modbus) a échoué, rien n'a été modifié sur "
        "site : faire l'action à la main (refroidissement, consigne de charge) et vérifier "
        "la liaison (thermowatch alerts actions).",
        "en": "the automatic write (OPC UA / Modbus) failed, nothing changed on site: do the "
        "action by hand (cooling, load set-point) and check the link (thermowatch alerts "
        "actions).",
    },
    "action.action_failed.CRITIQUE": {
        "fr": "l'écriture automatique (OPC UA / Modbus) a échoué alors que la température est "
        "critique : réduire la charge et démarrer le refroidissement à la main sans attendre, "
        "prévenir le responsable d'exploitation.",
        "en": "the automatic write (OPC UA / Modbus) failed while the temperature is critical: "
        "reduce the load and start the cooling by hand now, inform the operations manager.",
    },
    "action.model_degradation.ALERTE": {
        "fr": "les prédictions ne sont plus fiables : lancer un réentraînement "
        "(thermowatch jobs run) et comparer avant de promouvoir (thermowatch model list).",
        "en": "predictions are no longer reliable: retrain (thermowatch jobs run) and compare "
        "before promoting (thermowatch model list).",
    },
    "action.residual_drift.ALERTE": {
        "fr": "le transformateur chauffe plus qu'avant à charge égale : inspecter le "
        "refroidissement (ventilateurs, pompes, radiateurs) et les capteurs ; pas de "
        "réentraînement sur cette période.",
        "en": "the transformer runs hotter than before at the same load: inspect the cooling "
        "(fans, pumps, radiators) and the sensors; no retraining on this period.",
    },
    "action.stale_data.ALERTE": {
        "fr": "la surveillance est aveugle : vérifier la chaîne d'acquisition (capteur, "
        "automate, réseau, source SCADA).",
        "en": "monitoring is blind: check the acquisition chain (sensor, PLC, network, SCADA "
        "source).",
    },
    "action.clock_jump.ALERTE": {
        "fr": "l'horloge de la source a reculé : vérifier sa synchronisation (NTP, automate) ; "
        "les alarmes restent évaluées sur les mesures reçues.",
        "en": "the source's clock stepped back: check its time synchronisation (NTP, PLC); "
        "alarms are still evaluated on the readings received.",
    },
    "action.resolved": {
        "fr": "retour à la normale, aucune action requise.",
        "en": "back to normal, no action required.",
    },
    "action.default": {
        "fr": "examiner la situation et suivre la consigne d'exploitation.",
        "en": "review the situation and follow the operating instructions.",
    },
}

#: One catalogue per area; :data:`TEXTS` is their union (keys never collide).
CATALOGUES: dict[str, dict[str, dict[str, str]]] = {"report": dict(TEXTS), "alerts": ALERT_TEXTS}
assert not set(ALERT_TEXTS) & set(TEXTS), "an alert text key is also a report text key"
TEXTS.update(ALERT_TEXTS)

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


def duration(d: timedelta, lang: str = DEFAULT_LANGUAGE) -> str:
    """``1 h 20 min`` (both languages); minutes rounded up: a deadline, not a promise."""
    minutes = max(1, int(-(-d.total_seconds() // 60)))
    h, m = divmod(minutes, 60)
    return f"{h} h {m:02d} min" if h else f"{m} min"


def join_words(items: list[str], lang: str = DEFAULT_LANGUAGE) -> str:
    """``a, b and c`` (``a, b et c`` in French)."""
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + t("list.and", lang) + items[-1]


def label(prefix: str, key: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """Translated ``prefix.key`` when it exists, else ``key`` itself (data-defined names)."""
    full = f"{prefix}.{key}"
    return t(full, lang) if full in TEXTS else key
