#!/usr/bin/env bash
# Regenerate docs/report-first-page.png: the first page of the French report on the bundled
# sample (one year), as headless Chromium renders report.html. Run from the repository root.
set -euo pipefail
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export THERMOWATCH_HOME="$work/home"
(cd "$work" && "$OLDPWD/.venv/bin/thermowatch" sample --out DATASET_TRANSFO.xlsx --days 365 \
  && "$OLDPWD/.venv/bin/thermowatch" train DATASET_TRANSFO.xlsx)
chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1200,1650 \
  --user-data-dir="$work/profile" --screenshot="$PWD/docs/report-first-page.png" \
  "file://$work/resultats/report.html"
