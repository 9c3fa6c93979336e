#!/usr/bin/env bash
# A fuzz target's smoke test, judged by what it found: on a buggy target
# the fuzzer must find something, on a fixed one nothing (a driver that
# never runs the target, or runs it without its checks, fails both ways).
#   libFuzzer: STACKRACE_FUZZ_NO_ABORT=1 counts findings instead of
#     aborting at the first, and the driver prints "N findings" at exit;
#   AFL++: the target aborts as in a campaign; afl-fuzz stops at the first
#     crash (AFL_BENCH_UNTIL_CRASH) and the crashes/ directory is counted.
# usage: smoke_test.sh libfuzzer|afl buggy|clean EXE SCRATCH CORPUS
set -uo pipefail
engine=$1 expect=$2 exe=$3 scratch=$4 corpus=$5
fail() { echo "FAIL: $*"; exit 1; }
case "$expect" in buggy|clean) ;; *) echo "smoke_test.sh: expect buggy or clean"; exit 2 ;; esac
rm -rf "$scratch"
mkdir -p "$scratch"
if [ "$engine" = libfuzzer ]; then
    STACKRACE_FUZZ_NO_ABORT=1 "$exe" -runs=3000 -seed=1 -max_len=512 "$scratch" "$corpus" \
        >"$scratch/log" 2>&1
    rc=$?
    cat "$scratch/log"
    [ $rc -eq 0 ] || fail "the fuzzer exited with status $rc"
    n=$(sed -n 's/^stackrace fuzz .*: \([0-9]*\) findings$/\1/p' "$scratch/log" | tail -1)
else
    # a buggy target stops at its first crash; a fixed one runs its 5 s
    secs=5
    [ "$expect" = buggy ] && secs=60
    AFL_BENCH_UNTIL_CRASH=1 AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_QUIET=1 \
        AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 \
        afl-fuzz -V "$secs" -i "$corpus" -o "$scratch/out" -- "$exe" >"$scratch/log" 2>&1
    rc=$?
    tail -20 "$scratch/log"
    [ $rc -eq 0 ] || fail "afl-fuzz exited with status $rc"
    n=$(find "$scratch/out" -path '*/crashes/id:*' -type f | wc -l)
fi
[ -n "$n" ] || fail "no findings count in the fuzzer's output"
echo "findings: $n (expected: $expect)"
if [ "$expect" = buggy ]; then
    [ "$n" -gt 0 ] || fail "nothing found on a buggy target"
else
    [ "$n" -eq 0 ] || fail "$n findings on a fixed target"
fi
