#!/usr/bin/env bash
# The interleaving features have AFL++ map slots of their own
# (fuzz_target.c, reserve_feature_slots): for the same input, no edge uses
# those slots, the features fill some, and every edge counter seen both with
# and without the features reads the same (the features blur no edge).
# usage: afl_feature_map_test.sh FUZZ_EXECUTABLE SCRATCH_DIR
set -euo pipefail
exe=$1
dir=$2
mkdir -p "$dir"
# a fixed 400-byte input: long enough for switches, signals and contention
python3 -c 'import random,sys; r=random.Random(7); sys.stdout.buffer.write(bytes(r.getrandbits(8) for _ in range(400)))' >"$dir/input"
for mode in on off; do
    nofb=0
    [ "$mode" = off ] && nofb=1
    STACKRACE_FUZZ_NO_FEEDBACK=$nofb STACKRACE_FUZZ_NO_ABORT=1 AFL_QUIET=1 \
        afl-showmap -q -o "$dir/map-$mode" -- "$exe" <"$dir/input" >/dev/null 2>&1 || true
    [ -s "$dir/map-$mode" ] || { echo "FAIL: afl-showmap wrote no map (features $mode)"; exit 1; }
done
range=$(AFL_DEBUG=1 STACKRACE_FUZZ_NO_ABORT=1 "$exe" <"$dir/input" 2>&1 >/dev/null |
    sed -n 's/^stackrace: interleaving features in AFL map slots \[\([0-9]*\), \([0-9]*\))$/\1 \2/p')
[ -n "$range" ] || { echo "FAIL: the fuzz target reserved no feature slots"; exit 1; }
python3 - "$dir/map-off" "$dir/map-on" $range <<'PY'
import sys
def load(p):
    return {int(k): v for k, v in (line.strip().split(':') for line in open(p) if line.strip())}
edges, both = load(sys.argv[1]), load(sys.argv[2])
lo, hi = int(sys.argv[3]), int(sys.argv[4])
inside = lambda k: lo <= k < hi
on_slots = [k for k in edges if inside(k)]
features = [k for k in both if inside(k)]
blurred = [k for k in edges if k in both and both[k] != edges[k]]
print(f"feature slots [{lo}, {hi}): {len(features)} filled; {len(edges)} edge counters, "
      f"{len(on_slots)} in the feature slots, {len(blurred)} changed by the features")
sys.exit(1 if on_slots or not features or blurred else 0)
PY
