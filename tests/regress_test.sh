#!/usr/bin/env bash
# Replays corpus/regress: every reproducer against its target (its signature
# must come back, in the very execution pinned in <target>/trace-hashes) and
# against the fixed target (it must replay clean).
# usage: regress_test.sh [--update] STACKRACE CORPUS_REGRESS_DIR
#   --update: rewrite each trace-hashes file from this build's replays (after a
#   deliberate change of what executions do; say why in the commit)
set -euo pipefail
update=0
[[ ${1:-} == --update ]] && { update=1; shift; }
sr=$1
dir=$2
n=0
for tdir in "$dir"/*/; do
    target=$(basename "$tdir")
    fixed=$(cat "$tdir/fixed-by")
    pinned=$tdir/trace-hashes
    [[ $update == 1 ]] && : >"$pinned"
    [[ -f $pinned ]] || { echo "FAIL $tdir: no trace-hashes (regress_test.sh --update writes it)"; exit 1; }
    for f in "$tdir"*.sched; do
        sig=$(basename "$f" .sched)
        set +e
        out=$("$sr" replay "$f" --json)
        rc=$?
        set -e
        [[ $rc -eq 1 ]] || { echo "FAIL $f: replay exited $rc, expected 1"; exit 1; }
        python3 -c 'import json,sys; d=json.loads(sys.argv[1]); sys.exit(0 if sys.argv[2] in [f["signature"] for f in d["findings"]] else 1)' "$out" "$sig" ||
            { echo "FAIL $f: $sig did not come back: $out"; exit 1; }
        hash=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["trace_hash"])' "$out")
        if [[ $update == 1 ]]; then
            echo "$sig $hash" >>"$pinned"
        else
            want=$(awk -v s="$sig" '$1 == s {print $2}' "$pinned")
            [[ $hash == "$want" ]] ||
                { echo "FAIL $f: trace hash $hash, pinned ${want:-(none)}: another execution"; exit 1; }
        fi
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
