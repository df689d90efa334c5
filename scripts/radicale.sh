#!/usr/bin/env bash
# A real CalDAV server (Radicale, from PyPI) on loopback, for the provider tests and the demo.
#
#   scripts/radicale.sh venv    create the virtualenv (Radicale + the `caldav` client) if missing
#   scripts/radicale.sh start   start Radicale, create the calendar, seed the demo VTODOs
#   scripts/radicale.sh stop    stop the Radicale this script started
#
# Settings (environment, with defaults):
#   RADICALE_VENV      target/radicale-venv        where the virtualenv lives
#   RADICALE_DIR       target/radicale             storage, config, users file, pid and log
#   RADICALE_PORT      5232                        loopback port
#   RADICALE_USER      demo                        account (htpasswd, plain)
#   RADICALE_PASSWORD  demo-password
#   RADICALE_CALENDAR  tasks                       calendar collection created at start
#   RADICALE_SEED      1                           1: PUT demo-1.ics .. demo-3.ics (NEEDS-ACTION)
#
# After `start` the calendar home is http://127.0.0.1:$RADICALE_PORT/$RADICALE_USER/ and a
# CalDavProvider is `CalDavProvider::with_password(home, user, password)` with scope
# `$RADICALE_CALENDAR` and external ids `$RADICALE_CALENDAR/demo-1.ics`, ...
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
VENV="${RADICALE_VENV:-$ROOT/target/radicale-venv}"
DIR="${RADICALE_DIR:-$ROOT/target/radicale}"
PORT="${RADICALE_PORT:-5232}"
USER_NAME="${RADICALE_USER:-demo}"
PASSWORD="${RADICALE_PASSWORD:-demo-password}"
CALENDAR="${RADICALE_CALENDAR:-tasks}"
SEED="${RADICALE_SEED:-1}"
BASE="http://127.0.0.1:$PORT"

venv() {
    if [ -x "$VENV/bin/radicale" ] && "$VENV/bin/python" -c 'import caldav' 2>/dev/null; then
        return
    fi
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check 'radicale>=3.2,<4' 'caldav>=1.3'
}

put_todo() { # name uid summary
    local body
    body="$(printf 'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//tasksync//demo//EN\r\nBEGIN:VTODO\r\nUID:%s\r\nDTSTAMP:20260101T090000Z\r\nSUMMARY:%s\r\nSTATUS:NEEDS-ACTION\r\nPERCENT-COMPLETE:0\r\nX-TASKSYNC-NOTE:kept as is\r\nEND:VTODO\r\nEND:VCALENDAR\r\n' "$2" "$3")"
    curl -fsS -u "$USER_NAME:$PASSWORD" -X PUT -H 'Content-Type: text/calendar; charset=utf-8' \
        --data-binary "$body" "$BASE/$USER_NAME/$CALENDAR/$1" >/dev/null
}

start() {
    venv
    mkdir -p "$DIR/collections"
    if [ -f "$DIR/pid" ] && kill -0 "$(cat "$DIR/pid")" 2>/dev/null; then
        echo "radicale already running (pid $(cat "$DIR/pid"))"
        return
    fi
    printf '%s:%s\n' "$USER_NAME" "$PASSWORD" >"$DIR/users"
    cat >"$DIR/config" <<CONF
[server]
hosts = 127.0.0.1:$PORT
[auth]
type = htpasswd
htpasswd_filename = $DIR/users
htpasswd_encryption = plain
# No delay after a failed login: the tests present a stale password on purpose.
delay = 0
[rights]
type = owner_only
[storage]
filesystem_folder = $DIR/collections
[logging]
level = warning
CONF
    "$VENV/bin/radicale" --config "$DIR/config" >"$DIR/log" 2>&1 &
    echo $! >"$DIR/pid"
    for _ in $(seq 1 100); do
        if curl -s -o /dev/null "$BASE/"; then break; fi
        if ! kill -0 "$(cat "$DIR/pid")" 2>/dev/null; then
            echo "radicale exited; log:" >&2
            cat "$DIR/log" >&2
            exit 1
        fi
        sleep 0.1
    done
    curl -fsS -o /dev/null -u "$USER_NAME:$PASSWORD" -X MKCALENDAR "$BASE/$USER_NAME/$CALENDAR/" \
        || curl -fsS -o /dev/null -u "$USER_NAME:$PASSWORD" -X PROPFIND -H 'Depth: 0' "$BASE/$USER_NAME/$CALENDAR/"
    if [ "$SEED" = 1 ]; then
        put_todo demo-1.ics demo-1 'Write the quarterly report'
        put_todo demo-2.ics demo-2 'Review the pull request'
        put_todo demo-3.ics demo-3 'Book the team offsite'
    fi
    echo "radicale on $BASE/$USER_NAME/ (calendar $CALENDAR, pid $(cat "$DIR/pid"))"
}

stop() {
    if [ -f "$DIR/pid" ]; then
        local pid
        pid="$(cat "$DIR/pid")"
        kill "$pid" 2>/dev/null || true
        # Wait (up to 5 s) until it has exited, so the port and the storage are free afterwards.
        for _ in $(seq 1 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        rm -f "$DIR/pid"
    fi
}

case "${1:-}" in
    venv) venv ;;
    start) start ;;
    stop) stop ;;
    *) echo "usage: $0 venv|start|stop" >&2; exit 2 ;;
esac
