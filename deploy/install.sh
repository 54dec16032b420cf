#!/usr/bin/env bash
# Install thermowatch on a Debian 12 server. Run as root from a checkout:
#
#   sudo deploy/install.sh [--server-name NAME] [--database-url URL]
#
# Idempotent: a second run changes nothing (it reports "0 changes"); an upgrade is the same
# command from a newer checkout (new package version -> venv reinstalled, migrations applied,
# units refreshed, services restarted). It never overwrites /etc/thermowatch/thermowatch.toml
# or the secrets in /etc/thermowatch/thermowatch.env.
#
# What it does:
#   1. apt-get install python3-venv nginx postgresql openssl (unless --no-apt)
#   2. the system user and group `thermowatch` (no login, home /var/lib/thermowatch)
#   3. directories /opt/thermowatch, /etc/thermowatch, /var/lib/thermowatch, /var/backups/thermowatch
#   4. a venv in /opt/thermowatch/venv with this checkout installed (skipped when up to date)
#   5. /etc/thermowatch/thermowatch.toml from the template, thermowatch.env with fresh secrets,
#      a self-signed TLS certificate unless one is there (replace it with your own)
#   6. the PostgreSQL role and database `thermowatch` (local cluster, or --database-url),
#      then `thermowatch db upgrade` (migrations)
#   7. systemd units (API x2, monitor x2, lifecycle scheduler and Celery worker), timers and the
#      hardening drop-in; the nginx site; the other settings (mosquitto, postgresql, redis,
#      nftables) copied to /opt/thermowatch/deploy to review
#   8. systemctl enable --now thermowatch.target (it wants every unit; the worker skips itself
#      unless THERMOWATCH_SCHEDULER_ARGS=--celery), nginx reload, `thermowatch doctor`
#
# Options for tests and image builds:
#   --root DIR      install into DIR instead of / (nothing is started)
#   --no-apt        do not call apt-get
#   --no-start      do not call systemctl or reload nginx
set -euo pipefail

ROOT=/
SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SERVER_NAME="$(hostname -f 2>/dev/null || hostname)"
DATABASE_URL=""
APT=1
START=1
PYTHON="${PYTHON:-python3}"
TW_USER=thermowatch

usage() { sed -n '2,29p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    --root) ROOT="$2"; shift 2 ;;
    --server-name) SERVER_NAME="$2"; shift 2 ;;
    --database-url) DATABASE_URL="$2"; shift 2 ;;
    --no-apt) APT=0; shift ;;
    --no-start) START=0; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "install.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
if [[ $(id -u) -ne 0 ]]; then
  echo "install.sh: run as root (it creates a system user and systemd units)" >&2
  exit 2
fi
ROOT="${ROOT%/}"
if [[ -n "$ROOT" ]]; then START=0; fi   # a staged root is not this machine: start nothing

CHANGES=0
changed() { CHANGES=$((CHANGES + 1)); echo "  changed: $*"; }
step() { echo "== $*"; }

OPT="$ROOT/opt/thermowatch"
ETC="$ROOT/etc/thermowatch"
VAR="$ROOT/var/lib/thermowatch"
BACKUPS="$ROOT/var/backups/thermowatch"
VENV="$OPT/venv"

# install_file SRC DST MODE: copy when the content or mode differs.
install_file() {
  local src="$1" dst="$2" mode="$3"
  if [[ -f "$dst" ]] && cmp -s "$src" "$dst" && [[ "$(stat -c %a "$dst")" == "$mode" ]]; then
    return 0
  fi
  install -D -m "$mode" "$src" "$dst"
  changed "$dst"
}

# ensure_dir DIR MODE OWNER: create, or fix its mode and owner.
ensure_dir() {
  local dir="$1" mode="$2" owner="$3"
  if [[ ! -d "$dir" ]]; then
    install -d -m "$mode" "$dir"
    changed "$dir"
  fi
  if [[ "$(stat -c %a "$dir")" != "$mode" ]]; then chmod "$mode" "$dir"; changed "mode of $dir"; fi
  if [[ "$(stat -c %u:%g "$dir")" != "$owner" ]]; then chown "$owner" "$dir"; changed "owner of $dir"; fi
}

# ---------------------------------------------------------------------------- 1. packages
step "packages"
if [[ $APT -eq 1 ]]; then
  need=()
  for p in python3-venv nginx postgresql openssl; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
  done
  if [[ ${#need[@]} -gt 0 ]]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"
    changed "packages ${need[*]}"
  fi
fi

# ------------------------------------------------------------------------------- 2. user
step "user $TW_USER"
prefix_args=()
if [[ -n "$ROOT" ]]; then
  prefix_args=(--prefix "$ROOT")
  mkdir -p "$ROOT/etc"
  for f in passwd group shadow gshadow; do [[ -e "$ROOT/etc/$f" ]] || install -m 0640 /dev/null "$ROOT/etc/$f"; done
fi
if ! grep -q "^$TW_USER:" "$ROOT/etc/group"; then
  groupadd "${prefix_args[@]}" --system "$TW_USER"
  changed "group $TW_USER"
fi
if ! grep -q "^$TW_USER:" "$ROOT/etc/passwd"; then
  useradd "${prefix_args[@]}" --system --gid "$TW_USER" --home-dir /var/lib/thermowatch \
    --no-create-home --shell /usr/sbin/nologin --comment "thermowatch service" "$TW_USER"
  changed "user $TW_USER"
fi
TW_UID=$(awk -F: -v u="$TW_USER" '$1 == u {print $3}' "$ROOT/etc/passwd")
TW_GID=$(awk -F: -v u="$TW_USER" '$1 == u {print $3}' "$ROOT/etc/group")

# ------------------------------------------------------------------------ 3. directories
step "directories"
ensure_dir "$OPT" 755 0:0
ensure_dir "$ETC" 750 "0:$TW_GID"
ensure_dir "$ETC/tls" 750 "0:$TW_GID"
ensure_dir "$VAR" 750 "$TW_UID:$TW_GID"
ensure_dir "$VAR/models" 750 "$TW_UID:$TW_GID"
ensure_dir "$VAR/spool" 750 "$TW_UID:$TW_GID"
ensure_dir "$BACKUPS" 750 "$TW_UID:$TW_GID"

# ------------------------------------------------------------------------------ 4. venv
step "virtualenv $VENV"
# The stamp is a digest of what gets installed: same checkout -> nothing to do.
stamp=$(cd "$SRC" && cat pyproject.toml $(find src -type f -name '*.py' -o -type f -name '*.toml' \
  -o -type f -name '*.mako' -o -type f -name '*.ini' | LC_ALL=C sort) | sha256sum | cut -c1-64)
if [[ ! -x "$VENV/bin/python" ]]; then
  "$PYTHON" -m venv "$VENV"
  changed "venv $VENV"
fi
if [[ "$(cat "$VENV/.thermowatch-stamp" 2>/dev/null)" != "$stamp" ]]; then
  # A fresh copy of the tree: pip's build must not write into the checkout.
  build=$(mktemp -d)
  (cd "$SRC" && tar -cf - pyproject.toml README.md src) | tar -xf - -C "$build"
  "$VENV/bin/python" -m pip install --quiet --upgrade "$build[deploy]" \
    2> >(grep -v "^WARNING: Location" >&2)
  rm -rf "$build"
  echo "$stamp" > "$VENV/.thermowatch-stamp"
  changed "thermowatch installed in $VENV"
fi
install_file "$SRC/deploy/gunicorn.conf.py" "$OPT/gunicorn.conf.py" 644

# ----------------------------------------------------------------------- 5. configuration
step "configuration $ETC"
if [[ ! -f "$ETC/thermowatch.toml" ]]; then
  install -m 0640 -o 0 -g "$TW_GID" "$SRC/deploy/thermowatch.toml.template" "$ETC/thermowatch.toml"
  changed "$ETC/thermowatch.toml"
fi
random_secret() { openssl rand -hex 32; }
if [[ ! -f "$ETC/thermowatch.env" ]]; then
  if [[ -z "$DATABASE_URL" ]]; then
    DATABASE_URL="postgresql+psycopg://thermowatch:$(random_secret)@localhost/thermowatch"
  fi
  tmp=$(mktemp)
  sed -e "s#@DATABASE_URL@#${DATABASE_URL}#" -e "s#@JWT_SECRET@#$(random_secret)#" \
    -e "s#@BACKUP_KEY@#$(random_secret)#" \
    "$SRC/deploy/thermowatch.env.template" > "$tmp"
  install -m 0640 -o 0 -g "$TW_GID" "$tmp" "$ETC/thermowatch.env"
  rm -f "$tmp"
  changed "$ETC/thermowatch.env (new secrets)"
fi
# The URL in force is the one in the env file (kept across runs).
DATABASE_URL=$(sed -n 's/^THERMOWATCH_DATABASE_URL=//p' "$ETC/thermowatch.env")
if [[ ! -f "$ETC/tls/thermowatch.crt" ]]; then
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 825 \
    -subj "/CN=$SERVER_NAME" -addext "subjectAltName=DNS:$SERVER_NAME" \
    -keyout "$ETC/tls/thermowatch.key" -out "$ETC/tls/thermowatch.crt" 2>/dev/null
  chmod 0640 "$ETC/tls/thermowatch.key"
  chgrp "$TW_GID" "$ETC/tls/thermowatch.key"
  changed "self-signed certificate for $SERVER_NAME (replace it with your own)"
fi

# --------------------------------------------------------------------------- 6. database
step "database"
if [[ "$DATABASE_URL" == postgresql* ]]; then
  # Role and database on the PostgreSQL the URL names, created by its superuser
  # (the local `postgres` account, or PGHOST/PGPORT/PGUSER for another cluster).
  read -r db_user db_pass db_name < <("$VENV/bin/python" - "$DATABASE_URL" <<'EOF'
import sys
from sqlalchemy.engine import make_url
u = make_url(sys.argv[1])
print(u.username or "thermowatch", u.password or "", u.database or "thermowatch")
EOF
)
  psql_admin() {
    if [[ -n "${PGHOST:-}" ]]; then psql -X -q -v ON_ERROR_STOP=1 -d postgres "$@"
    else runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -d postgres "$@"; fi
  }
  if [[ -z "$(psql_admin -tAc "SELECT 1 FROM pg_roles WHERE rolname = '$db_user'")" ]]; then
    psql_admin -c "CREATE ROLE \"$db_user\" LOGIN PASSWORD '$db_pass'"
    changed "PostgreSQL role $db_user"
  fi
  if [[ -z "$(psql_admin -tAc "SELECT 1 FROM pg_database WHERE datname = '$db_name'")" ]]; then
    psql_admin -c "CREATE DATABASE \"$db_name\" OWNER \"$db_user\""
    changed "PostgreSQL database $db_name"
  fi
fi
before=$(THERMOWATCH_DATABASE_URL="$DATABASE_URL" "$VENV/bin/python" -c \
  'from thermowatch.store.engine import make_engine; from thermowatch.store.migrate import current_revision; print(current_revision(make_engine()))')
(cd "$VAR" && THERMOWATCH_DATABASE_URL="$DATABASE_URL" "$VENV/bin/thermowatch" db upgrade >/dev/null)
after=$(THERMOWATCH_DATABASE_URL="$DATABASE_URL" "$VENV/bin/python" -c \
  'from thermowatch.store.engine import make_engine; from thermowatch.store.migrate import current_revision; print(current_revision(make_engine()))')
[[ "$before" == "$after" ]] || changed "database migrated $before -> $after"
if [[ "$DATABASE_URL" == sqlite:///* ]]; then
  db_file="${DATABASE_URL#sqlite:///}"
  [[ "$db_file" == /* ]] || db_file="$VAR/$db_file"
  [[ "$(stat -c %u "$db_file")" == "$TW_UID" ]] || { chown "$TW_UID:$TW_GID" "$db_file"*; changed "owner of $db_file"; }
fi

# ------------------------------------------------------------------------ 7. units, sites
step "systemd units, nginx site, service settings"
for f in "$SRC"/deploy/systemd/*.service "$SRC"/deploy/systemd/*.timer "$SRC"/deploy/systemd/*.target; do
  install_file "$f" "$ROOT/etc/systemd/system/$(basename "$f")" 644
done
install_file "$SRC/deploy/systemd/thermowatch-.service.d/hardening.conf" \
  "$ROOT/etc/systemd/system/thermowatch-.service.d/hardening.conf" 644
site=$(mktemp)
sed -e "s#@SERVER_NAME@#$SERVER_NAME#g" -e "s#@HTTP_PORT@#80#g" -e "s#@HTTPS_PORT@#443#g" \
  -e "s#@TLS_CERT@#/etc/thermowatch/tls/thermowatch.crt#g" \
  -e "s#@TLS_KEY@#/etc/thermowatch/tls/thermowatch.key#g" -e "s#@LOG_DIR@#/var/log/nginx#g" \
  -e "s#^@UPSTREAM_SERVERS@#    server 127.0.0.1:8001 max_fails=1 fail_timeout=5s;\n    server 127.0.0.1:8002 max_fails=1 fail_timeout=5s;#" \
  "$SRC/deploy/nginx/thermowatch.conf.template" > "$site"
install_file "$site" "$ROOT/etc/nginx/sites-available/thermowatch.conf" 644
rm -f "$site"
if [[ "$(readlink "$ROOT/etc/nginx/sites-enabled/thermowatch.conf" 2>/dev/null)" != /etc/nginx/sites-available/thermowatch.conf ]]; then
  mkdir -p "$ROOT/etc/nginx/sites-enabled"
  ln -sfn /etc/nginx/sites-available/thermowatch.conf "$ROOT/etc/nginx/sites-enabled/thermowatch.conf"
  changed "nginx site enabled"
fi
# Shared services' settings: review, then enable by hand (docs: installation).
for d in mosquitto postgresql redis nftables prometheus grafana; do
  for f in "$SRC/deploy/$d"/*; do install_file "$f" "$OPT/deploy/$d/$(basename "$f")" 644; done
done

# ------------------------------------------------------------------------------- 8. start
step "start"
if [[ $START -eq 1 && -d /run/systemd/system ]]; then
  systemctl daemon-reload
  systemctl enable --quiet thermowatch.target
  if [[ $CHANGES -gt 0 ]]; then systemctl restart thermowatch.target; else systemctl start thermowatch.target; fi
  nginx -t -q && systemctl reload nginx
  "$VENV/bin/thermowatch" doctor --config "$ETC/thermowatch.toml" || true
else
  echo "  (nothing started: --root, --no-start, or no systemd running)"
fi
echo "install.sh: $CHANGES changes"
