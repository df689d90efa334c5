#!/usr/bin/env bash
# Installs the Python package the ways a Django team adds it, each time into a new virtualenv,
# and checks what they get:
#   1. pip on Python 3.9 refuses it ("requires a different Python"), before building anything;
#   2. `pip install "./sync-python[django]"`: the checkout's folder, built in place by pip
#      through maturin (cargo reuses the checkout's target/, so it is incremental);
#   3. `pip install "tasksync[django] @ git+file://<checkout>#subdirectory=sync-python"`: pip
#      clones the committed checkout (uncommitted changes are not in it, as for any user) and
#      builds the clone with the cargo target dir target/install/cargo, so the clone's artifacts
#      never stand in for the checkout's own (at opt-level 0, to stay quick).
# After 2 and 3: check_python.py (metadata, abi3 tag, the source it was built from, a small
# sync), `manage.py check` of examples/django, and a new Django project set up with the README's
# own snippets (startproject, the settings lines, migrate, check, a sync through the ORM store).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
work=${INSTALL_WORK:-$repo/target/install}/python
python=${PYTHON:-python3}
# A Python 3.9 for the refusal check: PYTHON39, else python3.9 if it runs, else pyenv's newest 3.9.
python39=${PYTHON39:-}
if [ -z "$python39" ]; then
  if python3.9 --version >/dev/null 2>&1; then
    python39=python3.9
  else
    python39=$(ls -d "$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")"/versions/3.9*/bin/python3.9 2>/dev/null | sort -V | tail -n 1)
  fi
fi
[ -n "$python39" ] || { echo "no Python 3.9 found (set PYTHON39): the Python floor check needs one" >&2; exit 1; }
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1
rm -rf "$work" && mkdir -p "$work"
cd "$repo"

step() { printf '\n== %s (%s)\n' "$*" "$(date +%T)"; }

new_venv() { # new_venv DIR PYTHON: with the current pip (24.1 is the first to read git+file:///)
  "$2" -m venv "$1"
  "$1/bin/pip" install --quiet --upgrade pip
}

django_project() { # django_project VENV DIR
  local venv=$1 dir=$2
  mkdir -p "$dir"
  "$venv/bin/django-admin" startproject mysite "$dir"
  { echo; bash "$here/snippet.sh" django-settings; } >>"$dir/mysite/settings.py"
  (
    cd "$dir"
    "$venv/bin/python" manage.py migrate --verbosity 0
    "$venv/bin/python" manage.py check
    "$venv/bin/python" manage.py shell --command "$(bash "$here/snippet.sh" django-sync)"
    "$venv/bin/python" manage.py shell --command "
from tasksync.contrib.django.models import HubTask
titles = sorted(HubTask.objects.filter(scope='workorder-42').values_list('title', flat=True))
assert titles == ['Cut', 'Weld'], titles
print('django project: migrate, check and the README sync gave', titles)"
  )
}

installed_checks() { # installed_checks VENV [--commit SHA]
  local venv=$1
  shift
  (cd "$work" && "$venv/bin/python" "$here/check_python.py" "$@")
  (cd examples/django && TASKSYNC_SQLITE="$work/example.sqlite3" "$venv/bin/python" manage.py check)
  django_project "$venv" "$work/$(basename "$venv")-site"
}

step "pip on Python 3.9 refuses the package"
new_venv "$work/venv-py39" "$python39"
if "$work/venv-py39/bin/pip" install ./sync-python >"$work/py39.log" 2>&1; then
  cat "$work/py39.log"
  echo "FAIL: pip installed tasksync on $("$python39" --version)" >&2
  exit 1
fi
grep -q "requires a different Python" "$work/py39.log" || {
  cat "$work/py39.log"
  echo "FAIL: pip on Python 3.9 failed for another reason than the Python floor" >&2
  exit 1
}
grep "requires a different Python" "$work/py39.log"

step 'pip install "./sync-python[django]"'
new_venv "$work/venv-path" "$python"
CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$repo/target} "$work/venv-path/bin/pip" install --quiet "./sync-python[django]"
installed_checks "$work/venv-path"

commit=$(git rev-parse HEAD)
step "pip install \"tasksync[django] @ git+file://$repo#subdirectory=sync-python\" (commit $commit)"
new_venv "$work/venv-git" "$python"
# The clone builds in its own cargo target dir, with the release profile at opt-level 0 and no
# debug info (cargo's CARGO_PROFILE_RELEASE_* settings): the same install path, in a quarter of
# the compile time; the optimised build is the folder install's.
CARGO_TARGET_DIR=${INSTALL_CARGO_TARGET_DIR:-$repo/target/install/cargo} \
  CARGO_PROFILE_RELEASE_OPT_LEVEL=0 CARGO_PROFILE_RELEASE_DEBUG=false \
  "$work/venv-git/bin/pip" install --quiet "tasksync[django] @ git+file://$repo#subdirectory=sync-python"
installed_checks "$work/venv-git" --commit "$commit"
