"""The whole French/English catalogue, built explicitly.

``report.i18n.TEXTS`` holds the report's and the alerts' texts; the dashboard adds its own
(``ui.*``) to it when ``thermowatch.dashboard.texts`` is imported. A check that read ``TEXTS``
alone saw the dashboard's texts only when some earlier test happened to import the dashboard:
the checks read this union instead, whatever ran before.
"""

from __future__ import annotations

from thermowatch.dashboard.texts import UI_TEXTS
from thermowatch.report.i18n import CATALOGUES, TEXTS

#: Every text a person reads, by key: report, alerts and dashboard.
EVERY_TEXT: dict[str, dict[str, str]] = {**TEXTS, **UI_TEXTS}
#: The catalogues it is made of, by area (the dashboard's included).
EVERY_CATALOGUE: dict[str, dict[str, dict[str, str]]] = {**CATALOGUES, "dashboard": UI_TEXTS}
