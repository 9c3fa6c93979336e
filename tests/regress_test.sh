#!/usr/bin/env bash
# Replays corpus/regress: every reproducer against its target (its signature
# must come back) and against the fixed target (it must replay clean).
# usage: regress_test.sh STACKRACE CORPUS_REGRESS_DIR
set -euo pipefail
sr=$1
dir=$2
n=0
for tdir in "$dir"/*/; do
    target=$(basename "$tdir")
    fixed=$(cat "$tdir/fixed-by")
    for f in "$tdir"*.sched; do
        sig=$(basename "$f" .sched)
        set +e
        out=$("$sr" replay "$f" --json)
        rc=$?
        set -e
        [[ $rc -eq 1 ]] || { echo "FAIL $f: replay exited $rc, expected 1"; exit 1; }
        python3 -c 'import json,sys; d=json.loads(sys.argv[1]); sys.exit(0 if sys.argv[2] in [f["signature"] for f in d["findings"]] else 1)' "$out" "$sig" ||
            { echo "FAIL $f: $sig did not come back: $out"; exit 1; }
        set +e
        "$sr" replay "$f" --target "$fixed" >/dev/null
        rc=$?
        set -e
        [[ $rc -eq 0 ]] || { echo "FAIL $f: replay against $fixed exited $rc, expected 0"; exit 1; }
        echo "ok $target/$sig (clean on $fixed)"
        n=$((n + 1))
    done
done
[[ $n -gt 0 ]] || { echo "FAIL: no reproducers in $dir"; exit 1; }
echo "regress: $n reproducers"
