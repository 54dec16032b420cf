"""The dashboard's texts, in French and English, added to the one catalogue
(:data:`thermowatch.report.i18n.TEXTS`) so that :func:`~thermowatch.report.i18n.t` formats them
like every other text a person reads. Keys start with ``ui.``.
"""

from __future__ import annotations

from thermowatch.report.i18n import TEXTS

UI_TEXTS: dict[str, dict[str, str]] = {
    # --- frame --------------------------------------------------------------------------
    "ui.app": {"fr": "thermowatch — supervision", "en": "thermowatch — monitoring"},
    "ui.nav.fleet": {"fr": "Parc", "en": "Fleet"},
    "ui.nav.alerts": {"fr": "Alertes", "en": "Alerts"},
    "ui.nav.models": {"fr": "Modèles", "en": "Models"},
    "ui.nav.logout": {"fr": "Se déconnecter", "en": "Sign out"},
    "ui.nav.lang": {"fr": "English", "en": "Français"},
    "ui.nav.skip": {"fr": "Aller au contenu", "en": "Skip to content"},
    "ui.nav.main": {"fr": "Navigation principale", "en": "Main navigation"},
    "ui.nav.account": {"fr": "Compte et langue", "en": "Account and language"},
    "ui.signed_in_as": {"fr": "{name} ({role})", "en": "{name} ({role})"},
    "ui.live.on": {"fr": "En direct", "en": "Live"},
    "ui.live.off": {"fr": "Connexion perdue — nouvel essai…", "en": "Connection lost — retrying…"},
    "ui.new_alert": {"fr": "Nouvelle alerte", "en": "New alert"},
    "ui.none": {"fr": "—", "en": "—"},
    "ui.colon": {"fr": " : ", "en": ": "},
    "ui.role.reader": {"fr": "lecteur", "en": "reader"},
    "ui.role.operator": {"fr": "opérateur", "en": "operator"},
    "ui.role.admin": {"fr": "administrateur", "en": "administrator"},
    # --- sign-in ------------------------------------------------------------------------
    "ui.login.title": {"fr": "Connexion", "en": "Sign in"},
    "ui.login.name": {"fr": "Identifiant", "en": "User name"},
    "ui.login.password": {"fr": "Mot de passe", "en": "Password"},
    "ui.login.submit": {"fr": "Se connecter", "en": "Sign in"},
    "ui.login.failed": {
        "fr": "Identifiant ou mot de passe incorrect.",
        "en": "Wrong user name or password.",
    },
    "ui.login.locked": {
        "fr": "Trop d'essais : réessayez dans quelques minutes.",
        "en": "Too many attempts: try again in a few minutes.",
    },
    "ui.login.expired": {
        "fr": "Votre session a expiré : reconnectez-vous.",
        "en": "Your session has expired: sign in again.",
    },
    "ui.csrf": {
        "fr": "Ce formulaire n'a pas de jeton de sécurité valide : rechargez la page et réessayez.",
        "en": "This form has no valid security token: reload the page and try again.",
    },
    "ui.forbidden": {
        "fr": "Cette action demande le rôle {role} ; votre rôle est {yours}.",
        "en": "This action needs the {role} role; your role is {yours}.",
    },
    "ui.not_found": {"fr": "{what} n'existe pas.", "en": "{what} does not exist."},
    "ui.bad_input": {"fr": "Saisie refusée : {why}", "en": "Input refused: {why}"},
    "ui.back": {"fr": "Retour", "en": "Back"},
    # --- levels -------------------------------------------------------------------------
    "ui.level.NORMAL": {"fr": "Normal", "en": "Normal"},
    "ui.level.ALERTE": {"fr": "Alerte", "en": "Alert"},
    "ui.level.CRITIQUE": {"fr": "Critique", "en": "Critical"},
    "ui.level.STALE": {"fr": "Muet", "en": "Stale"},
    "ui.level.UNKNOWN": {"fr": "Inconnu", "en": "Unknown"},
    # --- fleet --------------------------------------------------------------------------
    "ui.fleet.title": {"fr": "Parc de transformateurs", "en": "Transformer fleet"},
    "ui.fleet.count": {
        "fr": "{n} transformateurs — {red} critiques, {orange} en alerte, {stale} muets",
        "en": "{n} transformers — {red} critical, {orange} in alert, {stale} stale",
    },
    "ui.fleet.search": {"fr": "Rechercher (code, nom, site)", "en": "Search (code, name, site)"},
    "ui.fleet.filter_level": {"fr": "Niveau", "en": "Level"},
    "ui.fleet.all": {"fr": "Tous", "en": "All"},
    "ui.fleet.id": {"fr": "Code", "en": "Code"},
    "ui.fleet.name": {"fr": "Nom", "en": "Name"},
    "ui.fleet.site": {"fr": "Site", "en": "Site"},
    "ui.fleet.level": {"fr": "Niveau", "en": "Level"},
    "ui.fleet.measured": {"fr": "Mesurée [°C]", "en": "Measured [°C]"},
    "ui.fleet.predicted": {"fr": "Prédite [°C]", "en": "Predicted [°C]"},
    "ui.extrapolating": {"fr": "extrapolation", "en": "extrapolating"},
    "ui.extrapolating.hint": {
        "fr": "hors du domaine appris par le modèle : intervalle élargi, la physique prime",
        "en": "outside the model's learned domain: interval widened, the physics leads",
    },
    "ui.fleet.crossing": {"fr": "Franchissement prévu", "en": "Forecast crossing"},
    "ui.fleet.alerts": {"fr": "Alertes ouvertes", "en": "Open alerts"},
    "ui.fleet.age": {"fr": "Dernière mesure", "en": "Last reading"},
    "ui.fleet.model": {"fr": "Modèle", "en": "Model"},
    "ui.fleet.crossings_hint": {
        "fr": "Franchissement prévu : premier seuil atteint par la dernière prévision du "
        "traitement en direct (refaite à chaque mesure).",
        "en": "Forecast crossing: the first threshold reached by the latest forecast of the "
        "live pipeline (made again at every reading).",
    },
    "ui.fleet.crossing_issued": {
        "fr": "prévision faite à partir de la mesure de {at}",
        "en": "forecast made from the reading of {at}",
    },
    "ui.fleet.empty": {
        "fr": "Aucun transformateur dans la base.",
        "en": "No transformer in the store.",
    },
    "ui.fleet.sort_hint": {
        "fr": "Cliquez un en-tête pour trier.",
        "en": "Click a heading to sort.",
    },
    "ui.age.never": {"fr": "jamais", "en": "never"},
    "ui.age.s": {"fr": "il y a {n} s", "en": "{n} s ago"},
    "ui.age.min": {"fr": "il y a {n} min", "en": "{n} min ago"},
    "ui.age.h": {"fr": "il y a {n} h", "en": "{n} h ago"},
    "ui.age.d": {"fr": "il y a {n} j", "en": "{n} d ago"},
    "ui.age.mo": {"fr": "il y a {n} mois", "en": "{n} months ago"},
    "ui.age.y": {"fr": "il y a {n} ans", "en": "{n} years ago"},
    "ui.model.version": {"fr": "version du {at}", "en": "version of {at}"},
    "ui.model.hash": {"fr": "Identifiant complet : {id}", "en": "Full identifier: {id}"},
    # --- transformer --------------------------------------------------------------------
    "ui.tr.title": {"fr": "Transformateur {id}", "en": "Transformer {id}"},
    "ui.tr.chart": {
        "fr": "Température mesurée et prédite",
        "en": "Measured and predicted temperature",
    },
    "ui.tr.window": {"fr": "Fenêtre", "en": "Window"},
    "ui.win.6h": {"fr": "6 h", "en": "6 h"},
    "ui.win.24h": {"fr": "24 h", "en": "24 h"},
    "ui.win.7d": {"fr": "7 j", "en": "7 d"},
    "ui.win.30d": {"fr": "30 j", "en": "30 d"},
    "ui.win.1y": {"fr": "1 an", "en": "1 y"},
    "ui.tr.measured": {"fr": "Mesurée", "en": "Measured"},
    "ui.tr.predicted": {"fr": "Prédite", "en": "Predicted"},
    "ui.tr.interval_low": {"fr": "Intervalle bas", "en": "Interval low"},
    "ui.tr.interval_high": {"fr": "Intervalle haut", "en": "Interval high"},
    "ui.tr.forecast": {"fr": "Prévision", "en": "Forecast"},
    "ui.tr.threshold_alert": {"fr": "Seuil d'alerte", "en": "Alert threshold"},
    "ui.tr.threshold_critical": {"fr": "Seuil critique", "en": "Critical threshold"},
    "ui.tr.points": {
        "fr": "Tracés : {measured} mesures (sur {raw} dans la fenêtre ; min/max par intervalle,"
        " pics conservés) et {predicted} prédictions.",
        "en": "Drawn: {measured} readings (of {raw} in the window; min/max per bucket, peaks"
        " kept) and {predicted} predictions.",
    },
    "ui.tr.time": {"fr": "Heure ({tz})", "en": "Time ({tz})"},
    "ui.tr.temperature": {"fr": "Température [°C]", "en": "Temperature [°C]"},
    "ui.tr.forecast_low": {"fr": "Prévision basse", "en": "Forecast low"},
    "ui.tr.forecast_high": {"fr": "Prévision haute", "en": "Forecast high"},
    "ui.tr.current": {"fr": "Courant [A]", "en": "Current [A]"},
    "ui.tr.drivers": {
        "fr": "Charge et température ambiante (même axe de temps)",
        "en": "Load and ambient temperature (same time axis)",
    },
    "ui.tr.history_at": {
        "fr": "Pas de mesure récente : la fenêtre {window} montrée est celle qui précède la"
        " dernière mesure, du {at}.",
        "en": "No recent reading: the {window} window shown is the one before the last"
        " reading, of {at}.",
    },
    "ui.tr.never": {
        "fr": "Aucune mesure enregistrée pour ce transformateur.",
        "en": "No reading stored for this transformer.",
    },
    "ui.tr.problem.no_spec": {
        "fr": "aucune plaque signalétique thermique (spécification ou modèle type) n'est"
        " enregistrée pour ce transformateur.",
        "en": "no thermal nameplate (spec or preset) is stored for this transformer.",
    },
    "ui.tr.problem.no_recent": {
        "fr": "aucune mesure dans les dernières 24 h.",
        "en": "no reading in the last 24 h.",
    },
    "ui.tr.problem.no_load": {
        "fr": "pas de charge : il faut un courant mesuré et le courant assigné de la plaque.",
        "en": "no load: a measured current and the nameplate's rated current are needed.",
    },
    "ui.tr.whatif_bad": {
        "fr": "la charge doit être un nombre entre 0 et 3 pu, la durée entre 0 et 48 h.",
        "en": "the load must be a number from 0 to 3 pu, the duration from 0 to 48 h.",
    },
    "ui.tr.past_limit": {
        "fr": "Déjà au-delà de la limite : {parts}. Aucune surcharge admissible avant"
        " refroidissement.",
        "en": "Already past the limit: {parts}. No overload is permissible until it cools.",
    },
    "ui.tr.past_limit_part": {
        "fr": "{what} {now} °C > {limit} °C",
        "en": "{what} {now} °C > {limit} °C",
    },
    "ui.tr.no_data": {
        "fr": "Aucune mesure dans cette fenêtre.",
        "en": "No reading in this window.",
    },
    "ui.tr.now": {"fr": "Maintenant", "en": "Now"},
    "ui.tr.hot_spot": {"fr": "Point chaud", "en": "Hot spot"},
    "ui.tr.top_oil": {"fr": "Huile (sommet)", "en": "Top oil"},
    "ui.tr.load": {"fr": "Charge [pu]", "en": "Load [pu]"},
    "ui.tr.ambient": {"fr": "Ambiante [°C]", "en": "Ambient [°C]"},
    "ui.tr.ageing": {"fr": "Vieillissement de l'isolation", "en": "Insulation ageing"},
    "ui.tr.ageing_rate": {"fr": "Vitesse de vieillissement actuelle", "en": "Ageing rate now"},
    "ui.tr.loss_window": {
        "fr": "Perte de vie sur la fenêtre [jours]",
        "en": "Loss of life over the window [days]",
    },
    "ui.tr.loss_total": {
        "fr": "Perte de vie depuis la mise en service [jours]",
        "en": "Loss of life since commissioning [days]",
    },
    "ui.tr.loss_total_note": {
        "fr": "depuis le {since} (point chaud mesuré ; {hours} h comptées sur les moyennes horaires conservées)",
        "en": "since {since} (measured hot spot; {hours} h counted from the hourly means kept)",
    },
    "ui.tr.hot_spot_source.measured": {
        "fr": "point chaud mesuré",
        "en": "measured hot spot",
    },
    "ui.tr.hot_spot_source.physics": {
        "fr": "point chaud calculé (CEI 60076-7) depuis la charge et l'ambiante",
        "en": "hot spot computed (IEC 60076-7) from load and ambient",
    },
    "ui.tr.capability": {"fr": "Capacité de surcharge", "en": "Overload capability"},
    "ui.tr.capability_note": {
        "fr": (
            "Physique CEI 60076-7 depuis les températures mesurées maintenant (l'état simulé"
            " pour celles qui ne le sont pas), ambiante constante à"
            " {ambient} °C ; limites : point chaud {hs} °C, huile {oil} °C."
        ),
        "en": (
            "IEC 60076-7 physics from the temperatures measured now (the simulated state for"
            " those not measured), ambient held at {ambient} °C;"
            " limits: hot spot {hs} °C, top oil {oil} °C."
        ),
    },
    "ui.tr.duration": {"fr": "Durée", "en": "Duration"},
    "ui.tr.max_load": {"fr": "Charge admissible [pu]", "en": "Permissible load [pu]"},
    "ui.tr.whatif": {"fr": "Et si…", "en": "What if…"},
    "ui.tr.whatif_load": {"fr": "Charge [pu]", "en": "Load [pu]"},
    "ui.tr.whatif_hours": {"fr": "Durée [h]", "en": "Duration [h]"},
    "ui.tr.whatif_run": {"fr": "Calculer", "en": "Compute"},
    "ui.tr.whatif_result": {
        "fr": (
            "Charge {load} pu pendant {hours} h : point chaud max {hs} °C, huile max {oil} °C."
            " {limit}"
        ),
        "en": (
            "Load {load} pu for {hours} h: hot spot up to {hs} °C, top oil up to {oil} °C. {limit}"
        ),
    },
    "ui.tr.whatif_reaches": {
        "fr": "Limite atteinte après {minutes} min.",
        "en": "Limit reached after {minutes} min.",
    },
    "ui.tr.whatif_safe": {
        "fr": "Les limites ne sont pas atteintes.",
        "en": "The limits are not reached.",
    },
    "ui.tr.forecast_title": {"fr": "Prévision 24 h", "en": "24 h forecast"},
    "ui.tr.forecast_physics": {
        "fr": (
            "Prévision physique (CEI 60076-7) : charge et ambiante des dernières 24 h répétées,"
            " depuis l'état actuel ; intervalle ± 2 × l'erreur récente du modèle (le modèle"
            " servi n'a pas de prévision apprise)."
        ),
        "en": (
            "Physics forecast (IEC 60076-7): load and ambient of the last 24 h repeated, from"
            " the current state; interval ± 2 × the model's recent error (the served model has"
            " no learned forecast)."
        ),
    },
    "ui.tr.forecast_learned": {
        "fr": (
            "Prévision apprise du modèle servi, à partir de l'historique mesuré ; intervalle à"
            " 90 % calibré sur ses erreurs passées."
        ),
        "en": (
            "Learned forecast of the served model, from the measured history; 90 % interval"
            " calibrated on its past errors."
        ),
    },
    "ui.tr.crossing": {
        "fr": "Franchissement du seuil {level} prévu à {at}.",
        "en": "{level} threshold crossing expected at {at}.",
    },
    "ui.tr.above_now": {
        "fr": "Déjà au-dessus du seuil {level}.",
        "en": "Already above the {level} threshold.",
    },
    "ui.banner.critical": {
        "fr": "{n} alarme(s) critique(s) non acquittée(s)",
        "en": "{n} unacknowledged critical alarm(s)",
    },
    "ui.tr.level_now": {"fr": "Niveau", "en": "Level"},
    "ui.tr.level_source.measured": {"fr": "mesuré", "en": "measured"},
    "ui.tr.level_source.predicted": {"fr": "prédit", "en": "predicted"},
    "ui.tr.level_source.none": {"fr": "aucune donnée", "en": "no data"},
    "ui.tr.thresholds_rule": {"fr": "Seuils : {rule}", "en": "Thresholds: {rule}"},
    "ui.tr.no_crossing": {
        "fr": "Aucun franchissement de seuil prévu dans les 24 h.",
        "en": "No threshold crossing expected within 24 h.",
    },
    "ui.tr.no_physics": {
        "fr": "Calcul impossible : {why}",
        "en": "Cannot compute: {why}",
    },
    "ui.tr.quality": {"fr": "Qualité des données", "en": "Data quality"},
    "ui.tr.quality_good": {"fr": "Bonnes", "en": "Good"},
    "ui.tr.quality_suspect": {"fr": "Suspectes", "en": "Suspect"},
    "ui.tr.quality_bad": {"fr": "Invalides", "en": "Invalid"},
    "ui.tr.stale": {
        "fr": "Dernière mesure le {at} ({age}) : données muettes.",
        "en": "Last reading on {at} ({age}): stale data.",
    },
    "ui.tr.fresh": {"fr": "Dernière mesure {age}.", "en": "Last reading {age}."},
    "ui.tr.model": {"fr": "Modèle en service", "en": "Model in service"},
    "ui.tr.model_error": {
        "fr": "Erreur récente (EQM, {n} points) : {rmse} K",
        "en": "Recent error (RMSE, {n} points): {rmse} K",
    },
    "ui.tr.no_model": {"fr": "Aucun modèle servi.", "en": "No model served."},
    "ui.tr.identity": {"fr": "Nom et site", "en": "Name and site"},
    "ui.tr.identity_save": {"fr": "Enregistrer", "en": "Save"},
    "ui.tr.open_alerts": {"fr": "Alertes ouvertes", "en": "Open alerts"},
    # --- alerts -------------------------------------------------------------------------
    "ui.al.title": {"fr": "Alertes", "en": "Alerts"},
    "ui.al.state": {"fr": "État", "en": "State"},
    "ui.al.state.active": {"fr": "En cours", "en": "Active"},
    "ui.al.state.open": {"fr": "Ouvertes", "en": "Open"},
    "ui.al.state.acknowledged": {"fr": "Acquittées", "en": "Acknowledged"},
    "ui.al.state.resolved": {"fr": "Résolues", "en": "Resolved"},
    "ui.al.state.returned": {"fr": "Revenues à la normale", "en": "Returned to normal"},
    "ui.al.state.shelved": {"fr": "Mises en attente", "en": "Shelved"},
    "ui.al.state.all": {"fr": "Toutes", "en": "All"},
    "ui.al.kind": {"fr": "Type", "en": "Kind"},
    "ui.al.transformer": {"fr": "Transformateur", "en": "Transformer"},
    "ui.al.filter": {"fr": "Filtrer", "en": "Filter"},
    "ui.al.raised": {"fr": "Levée", "en": "Raised"},
    "ui.al.message": {"fr": "Message", "en": "Message"},
    "ui.al.ack": {"fr": "Acquitter", "en": "Acknowledge"},
    "ui.al.comment": {"fr": "Commentaire", "en": "Comment"},
    "ui.al.acked_by": {"fr": "Acquittée par {by} le {at}", "en": "Acknowledged by {by} on {at}"},
    "ui.al.resolved_by": {"fr": "Résolue le {at}", "en": "Resolved on {at}"},
    "ui.al.deliveries": {"fr": "Envois", "en": "Deliveries"},
    "ui.al.attempt_ok": {"fr": "réussi", "en": "delivered"},
    "ui.al.attempt_failed": {"fr": "échec", "en": "failed"},
    "ui.al.no_delivery": {"fr": "aucun envoi", "en": "no delivery"},
    "ui.al.empty": {"fr": "Aucune alerte.", "en": "No alert."},
    "ui.al.phase": {"fr": "Phase de déploiement : {phase}", "en": "Deployment phase: {phase}"},
    "ui.al.phase_unknown": {"fr": "non enregistrée", "en": "not recorded"},
    "ui.al.actions": {"fr": "Actions proposées", "en": "Proposed actions"},
    "ui.al.approve": {"fr": "Approuver", "en": "Approve"},
    "ui.al.reject": {"fr": "Rejeter", "en": "Reject"},
    "ui.al.no_actions": {"fr": "Aucune action en attente.", "en": "No pending action."},
    "ui.al.acked": {"fr": "Alerte {id} acquittée.", "en": "Alert {id} acknowledged."},
    "ui.al.shelve": {"fr": "Mettre en attente", "en": "Shelve"},
    "ui.al.unshelve": {"fr": "Remettre en service", "en": "Unshelve"},
    "ui.al.shelve_for": {"fr": "Durée", "en": "For"},
    "ui.al.minutes": {"fr": "{n} min", "en": "{n} min"},
    "ui.al.reason": {"fr": "Motif", "en": "Reason"},
    "ui.al.shelved_by": {
        "fr": "En attente jusqu'au {at}, par {by} : {reason}",
        "en": "Shelved until {at} by {by}: {reason}",
    },
    "ui.al.done_shelve": {"fr": "Alerte {id} mise en attente.", "en": "Alert {id} shelved."},
    "ui.al.done_unshelve": {"fr": "Alerte {id} remise en service.", "en": "Alert {id} unshelved."},
    "ui.al.kind.temperature_predicted": {
        "fr": "température prédite",
        "en": "predicted temperature",
    },
    "ui.al.kind.temperature_measured": {"fr": "température mesurée", "en": "measured temperature"},
    "ui.al.kind.anomaly": {"fr": "anomalie", "en": "anomaly"},
    "ui.al.kind.stale_data": {"fr": "données muettes", "en": "stale data"},
    "ui.al.kind.model_degradation": {"fr": "modèle dégradé", "en": "model degraded"},
    "ui.al.kind.forecast_crossing": {"fr": "franchissement prévu", "en": "forecast crossing"},
    "ui.al.kind.residual_drift": {"fr": "dérive des écarts", "en": "residual drift"},
    "ui.al.kind.action_failed": {"fr": "action échouée", "en": "action failed"},
    "ui.al.kind.top_oil_high": {"fr": "huile trop chaude", "en": "top oil too hot"},
    "ui.al.status.pending": {"fr": "en attente", "en": "pending"},
    "ui.al.status.sent": {"fr": "envoyé", "en": "sent"},
    "ui.al.status.failed": {"fr": "échec", "en": "failed"},
    "ui.al.comment_by": {"fr": "Commentaire de {by}", "en": "Comment by {by}"},
    "ui.al.alert_ref": {"fr": "alerte {id}", "en": "alert {id}"},
    "ui.al.decided": {"fr": "Action {id} : {status}.", "en": "Action {id}: {status}."},
    # --- models -------------------------------------------------------------------------
    "ui.mo.title": {"fr": "Modèles", "en": "Models"},
    "ui.mo.id": {"fr": "Version", "en": "Version"},
    "ui.mo.status": {"fr": "Statut", "en": "Status"},
    "ui.mo.created": {"fr": "Créé le", "en": "Created"},
    "ui.mo.validation": {"fr": "Erreur de validation", "en": "Validation error"},
    "ui.mo.live": {"fr": "Erreur en service (24 h)", "en": "Live error (24 h)"},
    "ui.mo.served": {"fr": "Servi", "en": "Served"},
    "ui.mo.status.champion": {"fr": "en service", "en": "champion"},
    "ui.mo.status.challenger": {"fr": "candidat", "en": "challenger"},
    "ui.mo.status.retired": {"fr": "retiré", "en": "retired"},
    "ui.mo.status.pending_approval": {"fr": "en attente d'approbation", "en": "awaiting approval"},
    "ui.mo.empty": {"fr": "Aucun modèle enregistré.", "en": "No model registered."},
    "ui.mo.readonly": {
        "fr": "Approuver, refuser ou remettre en service un modèle : rôle administrateur.",
        "en": "Approving, rejecting or putting a model back in service: admin role.",
    },
    "ui.mo.actions": {"fr": "Actions", "en": "Actions"},
    "ui.mo.approve": {"fr": "Approuver la promotion", "en": "Approve the promotion"},
    "ui.mo.reject": {"fr": "Refuser", "en": "Reject"},
    "ui.mo.reason": {"fr": "Motif", "en": "Reason"},
    "ui.mo.rollback": {"fr": "Remettre en service", "en": "Put back in service"},
    "ui.mo.done_approve": {
        "fr": "Promotion approuvée : le modèle est en service.",
        "en": "Promotion approved: the model is in service.",
    },
    "ui.mo.done_reject": {
        "fr": "Promotion refusée : le modèle est retiré.",
        "en": "Promotion rejected: the model is retired.",
    },
    "ui.mo.done_rollback": {
        "fr": "Retour arrière fait : ce modèle est de nouveau en service.",
        "en": "Rolled back: this model is in service again.",
    },
}

TEXTS.update(UI_TEXTS)
