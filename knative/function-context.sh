#!/bin/sh
# For `func build` / `func deploy` (whose build context is the function folder alone): put a wheel of the
# alphamoe library beside the function and a requirements.txt that installs it with every dependency pinned
# by hash (requirements/runtime.txt, the image's lock, plus the wheel's own hash: pip's hash-checking mode).
# Usage: knative/function-context.sh scan   (then: cd functions/scan && func build / func deploy)
set -eu
name="$1"
root="$(cd "$(dirname "$0")/.." && pwd)"
dir="$root/functions/$name"
[ -f "$dir/func.yaml" ] || { echo "no function $name in $root/functions" >&2; exit 2; }
rm -rf "$dir/vendor" && mkdir -p "$dir/vendor"
"${PYTHON:-python3}" -m pip wheel --no-deps --quiet -w "$dir/vendor" "$root"
wheel="$(cd "$dir/vendor" && ls alphamoe-*.whl)"
digest="$("${PYTHON:-python3}" -c 'import hashlib, sys; print(hashlib.sha256(open(sys.argv[1], "rb").read()).hexdigest())' "$dir/vendor/$wheel")"
{
  cat "$root/requirements/runtime.txt"
  printf './vendor/%s --hash=sha256:%s\n' "$wheel" "$digest"
} > "$dir/requirements.txt"
echo "functions/$name: vendor/$wheel + requirements.txt (hash-pinned; build-time files, not committed)"
