#!/usr/bin/env bash
# Staffeln's main job on its embedded defaults (SQLite under a state_path,
# a local lock, reports to the log) against the bundled simulated cloud:
# a few projects with opted-in and other servers. Installs Staffeln into
# .venv if needed, runs one whole cycle with `staffeln-manage run-once`,
# prints what it backed up, then shows the plan for the next cycle.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
VENV=${STAFFELN_VENV:-$PWD/.venv}
# The same upper constraints as tox and tools/run-tests.sh.
CONSTRAINTS=${TOX_CONSTRAINTS_FILE:-$PWD/../shared/realcloud/uc-2026.1.txt}
if [ ! -x "$VENV/bin/staffeln-manage" ]; then
  [ -f "$CONSTRAINTS" ] || {
    echo "no constraints file at $CONSTRAINTS: set TOX_CONSTRAINTS_FILE" >&2
    exit 1
  }
  echo "Installing Staffeln into $VENV ..."
  # Quietly: pip's and the build's chatter goes to a log, shown on failure.
  INSTALL_LOG=$VENV-install.log
  if ! {
    python3 -m venv "$VENV" &&
      "$VENV/bin/pip" install -U pip &&
      "$VENV/bin/pip" install -c "$CONSTRAINTS" .
  } >"$INSTALL_LOG" 2>&1; then
    cat "$INSTALL_LOG" >&2
    echo "installing Staffeln failed (log: $INSTALL_LOG)" >&2
    exit 1
  fi
fi
WORK=$(mktemp -d)
PORT=$("$VENV/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$VENV/bin/python" -m staffeln.tests.simcloud --port "$PORT" --seed demo --realtime \
  --backup-duration 2 >"$WORK/simcloud.log" 2>&1 &
SIM=$!
trap 'kill $SIM 2>/dev/null; rm -rf "$WORK"' EXIT
for _ in $(seq 1 50); do
  curl -sf "http://127.0.0.1:$PORT/identity/v3" >/dev/null && break; sleep 0.2
done
cat >"$WORK/staffeln.conf" <<CONF
[DEFAULT]
state_path = $WORK/state
log_file = $WORK/staffeln.log
[openstack]
auth_type = password
auth_url = http://127.0.0.1:$PORT/identity/v3
username = staffeln
password = secret
project_name = service
user_domain_name = Default
project_domain_name = Default
region_name = RegionOne
[conductor]
run_once_poll_interval = 1
[notification]
# No sender: each project's digest is written to the log, after every cycle.
report_period = 0s
CONF
M=("$VENV/bin/staffeln-manage" --config-file "$WORK/staffeln.conf")
"${M[@]}" db upgrade
echo
echo "\$ staffeln-manage run-once"
"${M[@]}" run-once || echo "(run-once exited $?)"
echo
echo "The first digest, as written to the log (no sender is configured):"
awk '/Digest of project/ {p = 1} p' "$WORK/staffeln.log" | sed 's/^.*INFO /INFO /' | head -24
echo
echo "\$ staffeln-manage plan"
"${M[@]}" plan
