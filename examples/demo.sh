#!/usr/bin/env bash
# The main job, end to end, on the embedded SQLite store: preview, execute, an empty second
# preview, a file edit seen as a field-level update, an unconfirmed and a stale execute refused,
# verify's exit code, a task file with a typo left out with a warning (and no deletion because
# of it), then a status change delivered through the outbound queue with one failure retried, a task
# completed in the hub flowing through the queue to a real CalDAV server (Radicale on loopback,
# read back with the `caldav` client library), and the sync history.
# Usage: examples/demo.sh path/to/tasksync   (RADICALE_VENV: Radicale's virtualenv, created if
# missing; default target/radicale-venv)
set -euo pipefail
bin=$(realpath "${1:-target/debug/tasksync}")
root=$(cd "$(dirname "$0")/.." && pwd)
work="$root/demo-work"
rm -rf "$work" && mkdir -p "$work" && cp -r "$root/examples/tasks" "$work/tasks"
cd "$work"
export TASKSYNC_DB="$work/tasksync.db"
ts() { "$bin" "$@"; }
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
# Runs a command that must end with the given (non-zero) exit code.
refused() {
  local want=$1; shift
  set +e; "$@"; local got=$?; set -e
  if [ "$got" -ne "$want" ]; then echo "expected exit code $want, got $got" >&2; exit 1; fi
  echo "(exit code $got, as expected)"
}

step "1. Preview the first sync of examples/tasks into scope demo (read-only), save the plan"
ts preview --from tasks --scope demo --save plan1.json

step "2. Execute exactly that plan, atomically"
ts execute --plan plan1.json --yes

step "3. A second preview: nothing to do"
ts preview --from tasks --scope demo

step "4. Edit two files: a draft phase's title, and the pending story's title"
sed -i 's/^# Phase 2: Backend Sync Enhancement/# Phase 2: Backend Sync Hardening/' tasks/phases/phase-2-backend-sync.md
sed -i 's/^# Story 2.3: Bi-Directional Status Synchronization/# Story 2.3: Two-Way Status Sync/' tasks/story-2-3-status-sync.md
ts preview --from tasks --scope demo --save plan2.json

step "5. Executing without confirmation is refused"
refused 4 ts execute --plan plan2.json

step "6. Meanwhile another operator syncs the folder..."
echo '- [ ] Review the stale-plan refusal' >> tasks/inbox.md
ts execute --from tasks --scope demo --yes

step "7. ...so the plan previewed in step 4 is stale, and refused: nothing is written"
refused 3 ts execute --plan plan2.json --yes

step "8. Verify: the pending story's new title is not in the hub (the default policy writes only drafts), so verify exits 6"
refused 6 ts verify --from tasks --scope demo

step "9. A sync that may write every status brings the title in; verify now exits 0"
ts execute --from tasks --scope demo --all-statuses --yes
ts verify --from tasks --scope demo

step "10. A file whose status has a typo is left out with a warning naming it; the listing is then partial, so a removed file is not deleted either"
printf -- '---\nstatus: frobnicated\n---\n# A task with a typo\n' > tasks/typo.md
mv tasks/inbox.md inbox.md.aside
ts preview --from tasks --scope demo | tee preview-partial.txt
grep -q ' 0 to delete' preview-partial.txt && grep -q 'listing incomplete' preview-partial.txt \
  || { echo "a partial listing planned deletions" >&2; exit 1; }
rm tasks/typo.md && mv inbox.md.aside tasks/inbox.md

step "11. The tasks of scope demo"
ts tasks --scope demo

step "12. Start the pending story in the hub, named by its source and its id there: its new status and its sync job are one atomic write"
ts status --task files:story-2-3-status-sync --to in_progress --actor demo \
  --target files=process_step

step "13. A worker delivers it to the provider (a journal file); its folder is missing, so the first attempt fails and is retried"
ts worker --provider files=journal:outbox/pushes.db --once
ts jobs list

step "14. The folder appears; after the 1 s backoff the retry succeeds"
mkdir -p outbox
ts worker --provider files=journal:outbox/pushes.db --until-idle --metrics | grep -v '^#' | grep -E 'claimed|worker done|jobs_total'
ts jobs list

step "15. A real CalDAV server (Radicale on loopback) holds the story as a VTODO, created with the caldav client library"
export RADICALE_VENV="${RADICALE_VENV:-$root/target/radicale-venv}" RADICALE_DIR="$work/radicale"
export RADICALE_PORT RADICALE_USER=demo RADICALE_PASSWORD="demo-$RANDOM$RANDOM" RADICALE_SEED=0
# The worker and the client read the password from the environment, never from argv.
export TASKSYNC_CALDAV_PASSWORD="$RADICALE_PASSWORD"
bash "$root/scripts/radicale.sh" venv
RADICALE_PORT=$("$RADICALE_VENV/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
trap 'bash "$root/scripts/radicale.sh" stop' EXIT
bash "$root/scripts/radicale.sh" start
calendar="http://127.0.0.1:$RADICALE_PORT/demo/tasks/"
caldav() { "$RADICALE_VENV/bin/python" "$root/examples/caldav_client.py" "$@"; }
caldav seed "$calendar" demo story-2-3-status-sync "Two-Way Status Sync"

step "16. Complete the story in the hub; the calendar mirrors the folder's tasks (VTODO <external id>.ics), so a job is queued for it"
ts status --source files --task story-2-3-status-sync --to completed --actor demo \
  --target calendar=cal_dav@files

step "17. A worker delivers it to the CalDAV server (GET, then PUT with If-Match); the caldav client reads the VTODO back"
ts worker --provider "calendar=caldav:$calendar" --caldav-user demo --until-idle
ts jobs list --target calendar
caldav show "$calendar" demo story-2-3-status-sync | tee caldav.json
grep -q '"status": "COMPLETED"' caldav.json && grep -q '"percent": 100' caldav.json \
  && grep -q '"completed": "[0-9]\{8\}T[0-9]\{6\}Z"' caldav.json \
  || { echo "the VTODO is not completed on the CalDAV server" >&2; exit 1; }
echo "(the CalDAV server has STATUS:COMPLETED, COMPLETED and PERCENT-COMPLETE:100)"

step "18. Sync history: every preview and execute is a recorded run (newest first)"
ts history list --limit 10
last=$(ts history list --limit 1 --json | sed -n 's/^ *"id": "\(run-[^"]*\)".*/\1/p' | head -n 1)
step "19. The last run, with its counters and items"
ts history show "$last" --items-limit 10
