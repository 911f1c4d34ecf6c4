#!/bin/sh
# Make a function folder self-sufficient for `func build` (whose build context is that folder alone):
# put a wheel of the alphamoe library beside the function and a requirements.txt that installs it.
# Usage: knative/function-context.sh scan   (then: cd functions/scan && func build / func deploy)
set -eu
name="$1"
root="$(cd "$(dirname "$0")/.." && pwd)"
dir="$root/functions/$name"
[ -f "$dir/func.yaml" ] || { echo "no function $name in $root/functions" >&2; exit 2; }
rm -rf "$dir/vendor" && mkdir -p "$dir/vendor"
"${PYTHON:-python3}" -m pip wheel --no-deps --quiet -w "$dir/vendor" "$root"
wheel="$(cd "$dir/vendor" && ls alphamoe-*.whl)"
printf './vendor/%s\n' "$wheel" > "$dir/requirements.txt"
echo "functions/$name: vendor/$wheel + requirements.txt (build-time files; not committed)"
