#!/usr/bin/env bash
# Installs the npm package the ways an Express team adds it, each time into a new project, and
# checks what they get:
#   1. `npm pack` in sync-node (its pack step packs the addon there, or builds one with cargo),
#      then `npm install <tarball> express zod@3`: the tarball must carry the addon; the
#      README's Express app (its snippet, extracted by snippet.sh) serves a sync over HTTP
#      (check-express.mjs) and sync-folder.mjs syncs Markdown files into a SQLite file; the
#      same package without this machine's addon stops its install step with a message;
#   2. `npm install <checkout>/sync-node`: npm links the checkout as it is; sync-folder.mjs;
#   3. a clean clone of the committed checkout, which has no addon: with cargo missing from
#      PATH the install stops with the install step's message; with cargo the install step
#      builds the addon (release profile at opt-level 0, cargo target dir target/install/cargo);
#      sync-folder.mjs.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
work=${INSTALL_WORK:-$repo/target/install}/node
npm=${NPM:-npm}
export npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false
rm -rf "$work" && mkdir -p "$work"
# The apps live outside the checkout, as a user's do.
apps=$(mktemp -d "${TMPDIR:-/tmp}/tasksync-apps.XXXXXX")
trap 'rm -rf "$apps"' EXIT

step() { printf '\n== %s (%s)\n' "$*" "$(date +%T)"; }

new_project() { # new_project DIR: an empty ESM app
  mkdir -p "$1"
  printf '{ "name": "%s", "private": true, "type": "module" }\n' "$(basename "$1")" >"$1/package.json"
  cp "$here/sync-folder.mjs" "$here/check-express.mjs" "$1/"
}

sync_folder() { # sync_folder APP
  (cd "$1" && node sync-folder.mjs "$here/tasks" "$1/folder.db")
}

step "npm pack in sync-node, npm install <tarball> express zod@3"
(cd "$repo/sync-node" && "$npm" pack --silent --pack-destination "$work" >"$work/pack.txt")
tarball="$work/$(tail -n 1 "$work/pack.txt")"
addon=$(node "$repo/sync-node/scripts/install.mjs" --name)
tar -tzf "$tarball" >"$work/tarball.txt"
grep -qx "package/$addon" "$work/tarball.txt" || {
  cat "$work/tarball.txt"
  echo "FAIL: $tarball does not carry $addon" >&2
  exit 1
}
echo "$(basename "$tarball") carries $addon"
app="$apps/app-tarball"
new_project "$app"
bash "$here/snippet.sh" express-app >"$app/app.mjs"
(cd "$app" && "$npm" install --silent "$tarball" express zod@3)
test ! -L "$app/node_modules/tasksync" && test -f "$app/node_modules/tasksync/$addon"
(cd "$app" && node check-express.mjs)
sync_folder "$app"
# What the install step of a tarball says on a machine it carries no addon for: the same
# package without this machine's addon (a tarball has no Rust sources to build one from).
other="$apps/other-platform/node_modules/tasksync"
mkdir -p "$other" && cp -R "$app/node_modules/tasksync/." "$other" && rm "$other/$addon"
if INIT_CWD="$apps/other-platform" node "$other/scripts/install.mjs" 2>"$work/other-platform.log"; then
  echo "FAIL: the install step accepted a tarball without $addon" >&2
  exit 1
fi
grep -q "^tasksync: this package has no native addon for this machine ($addon; it carries none) and no Rust sources" "$work/other-platform.log" || {
  cat "$work/other-platform.log"
  echo "FAIL: the install step of a tarball without $addon did not say so" >&2
  exit 1
}
cat "$work/other-platform.log"

step "npm install $repo/sync-node (a link to the checkout)"
app="$apps/app-folder"
new_project "$app"
(cd "$app" && "$npm" install --silent "$repo/sync-node")
test "$(readlink -f "$app/node_modules/tasksync")" = "$repo/sync-node"
sync_folder "$app"

commit=$(git -C "$repo" rev-parse HEAD)
# The clone is kept between runs and reset to the commit (unchanged files keep their times, so
# cargo rebuilds only what changed); `git clean -fdx` removes the addon a last run built.
clone=${INSTALL_WORK:-$repo/target/install}/node-clone
step "a clean clone at $commit: npm install <clone>/sync-node without cargo, then with it"
if [ -d "$clone/.git" ]; then
  git -C "$clone" fetch --quiet origin HEAD
else
  git clone --quiet --no-checkout "$repo" "$clone"
fi
git -C "$clone" checkout --quiet --force --detach "$commit"
git -C "$clone" clean --quiet -fdx
test ! -e "$clone/sync-node/$addon"
app="$apps/app-clone"
new_project "$app"
no_cargo=$(dirname "$(command -v node)"):/usr/bin:/bin
if (cd "$app" && PATH=$no_cargo CARGO= "$npm" install "$clone/sync-node") >"$work/no-cargo.log" 2>&1; then
  cat "$work/no-cargo.log"
  echo "FAIL: npm installed the clone without cargo and without an addon" >&2
  exit 1
fi
grep -q "tasksync: the native addon $addon is not built in $clone/sync-node, and building it needs Rust" "$work/no-cargo.log" || {
  cat "$work/no-cargo.log"
  echo "FAIL: the install without cargo did not say what is missing" >&2
  exit 1
}
grep "tasksync:" "$work/no-cargo.log"
test ! -e "$clone/sync-node/$addon"
# Built like the Python clone: own cargo target dir, release profile at opt-level 0.
(cd "$app" && CARGO_TARGET_DIR=${INSTALL_CARGO_TARGET_DIR:-$repo/target/install/cargo} \
  CARGO_PROFILE_RELEASE_OPT_LEVEL=0 CARGO_PROFILE_RELEASE_DEBUG=false \
  "$npm" install --foreground-scripts "$clone/sync-node")
test -f "$clone/sync-node/$addon" || { echo "FAIL: the install step built no $addon" >&2; exit 1; }
sync_folder "$app"
