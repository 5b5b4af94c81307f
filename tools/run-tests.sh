#!/usr/bin/env bash
# Run Staffeln's whole test suite on this machine, from nothing:
#
#   lint, unit, functional (SQLite, MariaDB, PostgreSQL, Redis, RabbitMQ,
#   the simulated cloud over HTTP), the contract tests against the simulator
#   and the real cloud, the integration tests against the real cloud, and
#   the browser tests of the Horizon plugin against the real cloud.
#
# It installs what it needs (a virtualenv in .venv, the database servers'
# Python drivers; for the devstack plugin's tests, uwsgi from the
# distribution and a virtualenv of its python3 in .venv-distro) within the
# upper constraints of ../shared/realcloud/uc-2026.1.txt (or
# $TOX_CONSTRAINTS_FILE), starts the
# loopback services that are not running, and
# starts the real Keystone/Nova/Cinder of ../shared/realcloud (or
# $REALCLOUD_UP) for the integration and browser tiers, stopping it again
# on exit. The browser tier alone installs the distribution's chromium and
# chromium-driver, and Horizon (the ``dashboard`` extra) and Selenium
# (browser-requirements.txt) in the virtualenv.
#
# usage: tools/run-tests.sh [lint|unit|functional|integration|browser ...]
#        (default: all tiers, in that order)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
TOP=$PWD
VENV=${STAFFELN_VENV:-$TOP/.venv}
REALCLOUD_UP=${REALCLOUD_UP:-$TOP/../shared/realcloud/up.sh}
CONSTRAINTS=${TOX_CONSTRAINTS_FILE:-$TOP/../shared/realcloud/uc-2026.1.txt}
export STAFFELN_TEST_DISTRO_VENV=${STAFFELN_TEST_DISTRO_VENV:-$TOP/.venv-distro}
DISTRO_VENV=$STAFFELN_TEST_DISTRO_VENV
export REALCLOUD_DIR=${REALCLOUD_DIR:-/tmp/realcloud}
TIERS=("$@")
[ ${#TIERS[@]} -gt 0 ] || TIERS=(lint unit functional integration browser)
T0=$(date +%s)
say() { printf '\n=== [%4ss] %s\n' "$(( $(date +%s) - T0 ))" "$*"; }
wants() { local t; for t in "${TIERS[@]}"; do [ "$t" = "$1" ] && return 0; done; return 1; }

# ------------------------------------------------------------ real cloud
realcloud_pid=
realcloud_started=
start_realcloud() {  # in the background: it takes a minute or two
  [ -f "$REALCLOUD_UP" ] || { echo "no real cloud script at $REALCLOUD_UP"; return 1; }
  (
    for attempt in 1 2; do
      bash "$REALCLOUD_UP" reset >/dev/null 2>&1 || true
      # mariadb-install-db runs as the system's mysql user: let it write.
      mkdir -p "$REALCLOUD_DIR/mysql" && chmod 777 "$REALCLOUD_DIR/mysql"
      if bash "$REALCLOUD_UP" up; then exit 0; fi
      echo "real cloud did not start (attempt $attempt)"
    done
    exit 1
  ) >"$TOP/.realcloud-up.log" 2>&1 &
  realcloud_pid=$!
  realcloud_started=1
}
stop_realcloud() {
  [ -n "$realcloud_started" ] || return 0
  kill "$realcloud_pid" 2>/dev/null || true
  bash "$REALCLOUD_UP" down >/dev/null 2>&1 || true
}
realcloud_state=
realcloud_ready() {  # waits for the start once; true when the cloud is up
  if [ -z "$realcloud_state" ]; then
    if wait "$realcloud_pid"; then realcloud_state=up; else realcloud_state=down; fi
  fi
  [ "$realcloud_state" = up ]
}
trap stop_realcloud EXIT
if wants integration || wants browser; then start_realcloud; fi

# ------------------------------------------------------------ services
say "loopback services"
port_open() { (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null; }
ensure() {  # name port start-command...
  local name=$1 port=$2; shift 2
  port_open "$port" && return 0
  echo "starting $name"
  "$@" >/dev/null 2>&1 || true
  for _ in $(seq 1 60); do port_open "$port" && return 0; sleep 1; done
  echo "$name is not listening on 127.0.0.1:$port"; return 1
}
ensure PostgreSQL 5432 bash -c 'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start'
ensure MariaDB 3306 start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
ensure Redis 6379 redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" \
  --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log
ensure RabbitMQ 5672 rabbitmq-server -detached

# ------------------------------------------------------------ virtualenv
# Dependencies are installed within the OpenStack release's upper
# constraints, as tox does (TOX_CONSTRAINTS_FILE names another file).
say "virtualenv $VENV (constraints: $CONSTRAINTS)"
[ -f "$CONSTRAINTS" ] || { echo "no constraints file at $CONSTRAINTS"; exit 1; }
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
pip_install() {  # quietly; pip's output is shown only when it fails
  local log; log=$(mktemp)
  if ! "$VENV/bin/pip" install "$@" >"$log" 2>&1; then
    cat "$log"; rm -f "$log"; echo "pip install $* failed"; return 1
  fi
  rm -f "$log"
}
pip_install -U pip
pip_install -c "$CONSTRAINTS" \
  -r requirements.txt -r test-requirements.txt -r doc/requirements.txt
pip_install --no-deps -e .
PY=$VENV/bin/python

if wants functional; then
  # The devstack plugin's tests run staffeln-api as devstack does: the
  # distribution's uwsgi and python3 plugin, loading a virtualenv of the
  # distribution's python3 (--venv) that holds Staffeln.
  say "uwsgi and a virtualenv of the distribution's python3 ($DISTRO_VENV)"
  if ! command -v uwsgi >/dev/null || [ ! -x /usr/bin/python3 ] || \
      ! /usr/bin/python3 -c 'import ensurepip' 2>/dev/null || \
      ! ls /usr/lib/uwsgi/plugins/python3*_plugin.so >/dev/null 2>&1; then
    SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
    $SUDO apt-get install -y -q uwsgi uwsgi-plugin-python3 python3-venv >/dev/null \
      || { $SUDO apt-get update -q >/dev/null && \
           $SUDO apt-get install -y -q uwsgi uwsgi-plugin-python3 python3-venv >/dev/null; }
  fi
  [ -x "$DISTRO_VENV/bin/python" ] || /usr/bin/python3 -m venv "$DISTRO_VENV"
  VENV=$DISTRO_VENV pip_install -c "$CONSTRAINTS" -r requirements.txt
  VENV=$DISTRO_VENV pip_install --no-deps -e .
fi

PASSED=0; FAILED=0; SKIPPED=0
run_stestr() {  # path [stestr option] [env...]: fails when a test fails or none ran
  local path=$1 rc=0 out opts=(); shift
  case "${1:-}" in --*) opts+=("$1"); shift ;; esac
  out=$(mktemp)
  env "$@" "$PY" -m stestr --test-path "$path" run "${opts[@]}" 2>&1 | tee "$out" || rc=$?
  count() { sed -n "s/^ - $1: \([0-9]*\)$/\1/p" "$out" | tail -1; }
  PASSED=$(( PASSED + $(count Passed || echo 0) + 0 ))
  FAILED=$(( FAILED + $(count Failed || echo 0) + 0 ))
  SKIPPED=$(( SKIPPED + $(count Skipped || echo 0) + 0 ))
  rm -f "$out"
  return "$rc"
}

failed=()

if wants lint; then
  say "lint: flake8, bashate, docs, release notes, config and policy samples, alert rules"
  "$VENV/bin/flake8" staffeln tools || failed+=(flake8)
  "$VENV/bin/bashate" devstack/plugin.sh devstack/lib/staffeln devstack/settings \
    devstack/override-defaults staffeln/tests/functional/devstack/phases.sh \
    staffeln/tests/functional/devstack/fakes/* || failed+=(bashate)
  "$VENV/bin/sphinx-build" -q -E -W --keep-going -b html doc/source doc/build/html \
    || failed+=(docs)
  "$VENV/bin/sphinx-build" -q -E -W --keep-going -b html releasenotes/source \
    releasenotes/build/html || failed+=(releasenotes)
  "$VENV/bin/oslo-config-generator" --config-file etc/staffeln/staffeln-config-generator.conf \
    || failed+=(genconfig)
  "$VENV/bin/oslopolicy-sample-generator" --config-file etc/staffeln/staffeln-policy-generator.conf \
    || failed+=(genpolicy)
  # The shipped Prometheus alert rules and their unit tests: promtool
  # comes with the distribution's prometheus package.
  if ! command -v promtool >/dev/null; then
    SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
    $SUDO apt-get install -y -q prometheus >/dev/null \
      || { $SUDO apt-get update -q >/dev/null && \
           $SUDO apt-get install -y -q prometheus >/dev/null; } \
      || failed+=(promtool-install)
  fi
  (cd etc/staffeln/prometheus && promtool check rules staffeln-alerts.yaml \
    && promtool test rules staffeln-alerts-tests.yaml) || failed+=(alert-rules)
fi
wants unit && { say unit; run_stestr staffeln/tests/unit || failed+=(unit); }
if wants functional; then
  say "functional (SQLite, MariaDB, PostgreSQL, simulated cloud)"
  run_stestr staffeln/tests/functional || failed+=(functional)
  say "contract (simulated cloud)"
  run_stestr staffeln/tests/contract || failed+=(contract-sim)
fi
if wants integration; then
  say "waiting for the real cloud"
  if realcloud_ready; then
    say "contract (simulated and real cloud)"
    # One test at a time: the real cloud is one small machine's worth.
    run_stestr staffeln/tests/contract --concurrency=1 STAFFELN_REALCLOUD=1 || failed+=(contract-real)
    say "integration (real cloud)"
    run_stestr staffeln/tests/integration --concurrency=1 STAFFELN_REALCLOUD=1 || failed+=(integration)
  else
    cat "$TOP/.realcloud-up.log"; failed+=(realcloud-start)
  fi
fi

if wants browser; then
  # The Horizon plugin in headless Chromium: the distribution's browser and
  # driver (Selenium is given the driver's path and downloads nothing),
  # Horizon from PyPI within the constraints.
  B0=$(date +%s)
  say "browser: chromium, chromium-driver, Horizon and Selenium"
  if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
    SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
    $SUDO apt-get install -y -q chromium chromium-driver >/dev/null \
      || { $SUDO apt-get update -q >/dev/null && \
           $SUDO apt-get install -y -q chromium chromium-driver >/dev/null; } \
      || failed+=(chromium-install)
  fi
  pip_install -c "$CONSTRAINTS" -r browser-requirements.txt -e ".[dashboard]" \
    || failed+=(browser-install)
  say "waiting for the real cloud"
  if realcloud_ready; then
    say "browser (Horizon in headless Chromium, real cloud)"
    run_stestr staffeln/tests/browser --concurrency=1 STAFFELN_REALCLOUD=1 \
      STAFFELN_BROWSER_SCREENSHOTS="$TOP/doc/build/browser-screenshots" \
      || failed+=(browser)
    echo "screenshots: $TOP/doc/build/browser-screenshots"
  else
    cat "$TOP/.realcloud-up.log"; failed+=(realcloud-start)
  fi
  say "browser tier took $(( $(date +%s) - B0 ))s"
fi

say "done"
if [ ${#failed[@]} -gt 0 ]; then
  echo "failed tiers: ${failed[*]}"
  echo "$PASSED passed, $(( FAILED > 0 ? FAILED : 1 )) failed, $SKIPPED skipped"
  exit 1
fi
echo "all tiers passed: ${TIERS[*]}"
echo "$PASSED passed, $FAILED failed, $SKIPPED skipped"
