#!/usr/bin/env bash
# Prints the README's code block marked `<!-- snippet: NAME -->` (the fenced block right after
# the marker line), so the install tests run the very code the README tells a user to copy.
# Fails, naming the marker, when the README has no such block.
set -euo pipefail
name=${1:?usage: snippet.sh NAME}
readme=${README:-$(cd "$(dirname "$0")/../.." && pwd)/README.md}
code=$(awk -v marker="<!-- snippet: $name -->" '
  $0 == marker { state = 1; next }
  state == 1 && /^```/ { state = 2; next }
  state == 2 && /^```/ { exit }
  state == 2 { print }
' "$readme")
if [ -z "$code" ]; then
  echo "$readme has no code block marked <!-- snippet: $name -->" >&2
  exit 1
fi
printf '%s\n' "$code"
