#!/usr/bin/env bash
# The build cost of amlsec against its stack floor (DESIGN §11: at most 1.25x): an empty crate
# with exactly amlsec's dependencies, features, lock file and release profile, and amlsec
# itself, each built from clean in release mode, with and without default features. Prints the
# seconds and the ratios. Takes a few minutes per build.
#
# Usage: tools/build_ratio.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/floor/src"
: > "$work/floor/src/lib.rs"
cp "$root/Cargo.lock" "$work/floor/Cargo.lock"
python3 - "$root/Cargo.toml" "$work/floor/Cargo.toml" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
keep = []
for section in re.split(r'(?m)^(?=\[)', text):
    name = section.split(']', 1)[0].strip('[')
    if name in ('dependencies', 'features') or name.startswith('profile.'):
        keep.append(section)
header = '[package]\nname = "floor"\nversion = "0.0.0"\nedition = "2024"\npublish = false\n\n[lib]\npath = "src/lib.rs"\n\n'
open(sys.argv[2], 'w').write(header + ''.join(keep))
PY
build() { # manifest target-dir flags...
    local manifest=$1 target=$2; shift 2
    local started=$(date +%s.%N)
    cargo build --quiet --release --manifest-path "$manifest" --target-dir "$target" "$@" >/dev/null
    echo "$(date +%s.%N) - $started" | bc
}
for features in "" "--no-default-features"; do
    floor=$(build "$work/floor/Cargo.toml" "$work/floor-target$features" $features)
    amlsec=$(build "$root/Cargo.toml" "$work/amlsec-target$features" $features)
    printf '%-24s floor %6.1f s  amlsec %6.1f s  ratio %.2f\n' "${features:-default features}" "$floor" "$amlsec" "$(echo "$amlsec / $floor" | bc -l)"
done
