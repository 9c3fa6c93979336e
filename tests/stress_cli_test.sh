#!/usr/bin/env bash
# stress_cli_test.sh — the native engine's command line: help, bad input
# (one line, exit 2), the JSON report, a clean run in both delivery modes
# and the seed's unlocked sampler caught.
#
# usage: stress_cli_test.sh STACKRACE_BINARY [SANITIZERS]
set -euo pipefail
SR=$1
SANITIZE=${2:-}
OUT=$(mktemp) ERR=$(mktemp)
trap 'rm -f "$OUT" "$ERR"' EXIT
n=0
ok() { n=$((n + 1)); echo "ok - $*"; }
fail() {
    echo "FAIL - $*"
    echo "--- stdout"; head -c 3000 "$OUT"; echo "--- stderr"; head -c 3000 "$ERR"
    exit 1
}
run() { # run WANT_RC ARGS...
    local want=$1; shift
    set +e; timeout 120 "$SR" "$@" >"$OUT" 2>"$ERR"; local rc=$?; set -e
    [[ $rc == "$want" ]] || fail "stackrace $* exited $rc, not $want"
}

run 0 stress --help
grep -q -- '--variant' "$OUT" || fail "stress --help names --variant"
ok "stress --help"

for bad in "--threads 0" "--threads 17" "--hz x" "--seconds -1" "--samples 0" "--samples" "--variant maybe" \
           "--walker nope" "--shapes some" "--shapes call,nope" "--shapes ," "--seed" "--frobnicate"; do
    # shellcheck disable=SC2086
    run 2 stress $bad
    [[ $(wc -l <"$ERR") == 1 ]] && grep -q '^stackrace: stress: ' "$ERR" ||
        fail "stress $bad: one line on stderr"
done
ok "bad arguments: one line, exit 2"

check_json() { # check_json PYTHON-CONDITION
    python3 - "$OUT" "$1" <<'PYEOF' || fail "JSON: $1"
import json, sys
r = json.load(open(sys.argv[1]))
for k in ("samples", "validated", "wrong", "declined", "faults", "findings", "samples_per_sec"):
    assert k in r, k
assert eval(sys.argv[2], {}, {"r": r}), r
PYEOF
}

# the frame-pointer shapes but the tail call, whose jump no frame-pointer
# walker can see (the sweep below shows that blind spot caught)
FP_NO_TAIL=call,leaf,large,alloca,saved,recurse,leaf-packed,leaf-leave
for mode in "" --remote; do
    # shellcheck disable=SC2086
    run 0 stress --walker fp --barriers $mode --shapes "$FP_NO_TAIL" --threads 2 --samples 20000 --seconds 120 --json
    check_json 'r["wrong"] == 0 and r["findings"] == 0 and r["validated"] > 1000 and r["scanner"]["installed"] > 0'
    ok "fp, barriers, ${mode:-same-thread}: clean"
done

if [[ $SANITIZE != *thread* ]]; then
    run 0 stress --shapes "$FP_NO_TAIL" --threads 2 --samples 10000 --seconds 120 --json
    check_json 'r["aim"] == "on" and r["paths"]["aimed"] > 100'
    run 0 stress --shapes "$FP_NO_TAIL" --threads 2 --samples 10000 --seconds 120 --no-aim --json
    check_json 'r["aim"] == "--no-aim" and r["paths"]["aimed"] == 0'
    ok "aimed samples at entries and rets by default; --no-aim turns them off"
fi

run 1 stress --barriers --variant unlocked --threads 2 --samples 30000 --seconds 120 --json
check_json 'r["wrong"] > 0 and any("missed barrier" in f["message"] for f in r["finding_list"]) and r["findings"] > 0'
ok "unlocked: the missed barrier is found"

run 2 stress --walker glibc --remote
grep -q 'cannot walk another thread' "$ERR" || fail "a live walker refuses --remote"
ok "a live walker cannot walk remotely"

run 0 walkers --json
python3 - "$OUT" <<'PYEOF' || fail "walkers --json"
import json, sys
r = json.load(open(sys.argv[1]))
names = {w["name"]: w for w in r["walkers"]}
for n in ("fp", "libunwind", "libunwind-step", "libunwind-remote", "llvm-libunwind", "libgcc", "glibc"):
    assert n in names, n
    assert names[n]["available"] or names[n]["why"], n
assert names["fp"]["available"] and names["fp"]["kind"] == "view"
PYEOF
run 0 walkers
grep -q '^fp .*available' "$OUT" || fail "walkers: text"
ok "walkers lists every walker, available or why not"
if grep -q '^libunwind .*available' <("$SR" walkers); then
    # exit 1 or 0: its async-signal-safety findings, where the check is built in
    set +e; "$SR" stress --walker libunwind-step:cache=thread --seconds 0.2 --threads 1 --json \
        >"$OUT" 2>"$ERR"; rc=$?; set -e
    [[ $rc == 0 || $rc == 1 ]] || fail "stress --walker libunwind-step:cache=thread exited $rc"
    check_json 'r["walker"] == "libunwind-step"'
fi
run 2 stress --walker fp:cache=thread --seconds 0.2
grep -q "no walker 'fp:cache=thread'" "$ERR" || fail "fp:cache=thread: no such walker"
ok "W:cache=thread names a policy walker's per-thread caches, and only there"

# the sweep judges prologues exactly: the frame-pointer walker, which looks
# at the interrupted instruction where rbp is the caller's, is exact there and
# in bodies (tests/plugin_walker_test.sh shows one that does not look caught)
if [[ $SANITIZE == *thread* ]]; then
    run 2 sweep --walker fp --calls 40
    grep -q 'not in a ThreadSanitizer build' "$ERR" || fail "sweep under TSan: says why not"
    ok "sweep refuses a ThreadSanitizer build, and says why"
else
run 0 sweep --walker fp --calls 40 --json
python3 - "$OUT" <<'PYEOF' || fail "sweep fp"
import json, sys
r = json.load(open(sys.argv[1]))
reg = r["regions"]
assert r["instructions"] > 1000, r["instructions"]
assert reg["prologue"]["exact"] > 0.99 * sum(reg["prologue"].values()), reg["prologue"]
assert reg["body"]["exact"] > 0.99 * sum(reg["body"].values()), reg["body"]
assert set(r["total"]) == {"exact", "declined", "stopped", "lost", "wrong", "fault"}, r["total"]
PYEOF
ok "sweep: the frame-pointer walker is exact in prologues and bodies"
run 0 sweep --walker fp --shapes "$FP_NO_TAIL" --calls 150 --json
python3 - "$OUT" <<'PYEOF' || fail "sweep fp, no tail call"
import json, sys
r = json.load(open(sys.argv[1]))
sig, t = r["regions"]["signal frame"], r["total"]
# everywhere, gcc builds too: barrier.c keeps the frame pointer of the
# barrier functions the thread runs itself (gcc 12 dropped it, and fp was
# graded wrong inside barrier_install and barrier_remove)
assert sum(sig.values()) > 100 and t["exact"] == sum(t.values()), r
PYEOF
ok "sweep: off the tail call, the frame-pointer walker is exact everywhere, signal frames included (the first trap's too)"
run 0 sweep --walker fp --shapes call,tail,leaf --calls 40 --json
python3 - "$OUT" <<'PYEOF' || fail "sweep fp, tail call"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["total"]["wrong"] > 0 and r["first_wrong"]["epilogue"].startswith("wrong at tail+"), r
PYEOF
ok "sweep: the frame-pointer walker's one blind spot, a tail call's jump, is seen"
run 0 sweep --walker fp --shapes call,tail,leaf --calls 40 --json --per-pc
PC=$(python3 - "$OUT" <<'PYEOF'
import json, sys
r = json.load(open(sys.argv[1]))
bad = [e for e in r["per_pc"] if e["verdicts"]["wrong"] + e["verdicts"]["lost"]]
assert bad and all("first_error" in e for e in bad), bad[:3]
assert not any("first_error" in e for e in r["per_pc"] if e not in bad)
ev = bad[0]["first_error"]
assert ev["verdict"] in ("wrong", "lost") and ev["truth"] and ev["truth"] != ev["walk"], ev
assert len(ev["bytes"].split()) == 16 and len(ev["bytes_before"].split()) == 16, ev
assert ev["stop"]["why"] in ("end of stack", "unreadable memory", "depth limit"), ev  # fp says
assert all(not e["pc"].startswith("0x") for e in r["per_pc"]), "a PC named by its address"
print(bad[0]["pc"])
PYEOF
) || fail "sweep --per-pc evidence"
run 0 sweep --walker fp --shapes call,tail,leaf --calls 40 --explain "$PC"
grep -q "^$PC (0x[0-9a-f]*), .* region: .*wrong [1-9]" "$OUT" && grep -q "the first error" "$OUT" &&
    grep -q "^    walk " "$OUT" && grep -q "code at the PC: " "$OUT" || fail "sweep --explain $PC"
run 2 sweep --walker fp --shapes call,leaf --calls 5 --explain nowhere+0x1
grep -q "^stackrace: sweep: --explain: no instruction 'nowhere+0x1'" "$ERR" || fail "--explain nowhere"
ok "sweep: an erring PC keeps its evidence (--per-pc, --explain); an unknown PC is exit 2"
run 0 sweep --walker libgcc --calls 20 --json
python3 - "$OUT" <<'PYEOF' || fail "sweep libgcc"
import json, sys
r = json.load(open(sys.argv[1]))
t = r["total"]
# every instruction exact, in every region the calls reach (epilogues and
# leaves as well as prologues and bodies)
assert r["instructions"] > 500 and t["exact"] == r["instructions"], t
for region in ("prologue", "body", "epilogue", "leaf"):
    assert r["regions"][region]["exact"] > 0, (region, r["regions"][region])
PYEOF
ok "sweep: libgcc is exact at every instruction, in every region"
# the tracer stops the child at rt_sigreturn alone (a seccomp filter) or,
# without it, at every system call: the same verdicts at every PC
run 0 sweep --walker fp --calls 20 --json --per-pc
mv "$OUT" "$OUT.filtered"
set +e; STACKRACE_SWEEP_NO_SECCOMP=1 timeout 120 "$SR" sweep --walker fp --calls 20 --json --per-pc \
    >"$OUT" 2>"$ERR"; rc=$?; set -e
[[ $rc == 0 ]] || fail "sweep without its seccomp filter exited $rc"
python3 - "$OUT.filtered" "$OUT" <<'PYEOF' || fail "sweep: filtered and unfiltered tracer differ"
import json, re, sys
# two processes: the addresses outside the named objects differ (ASLR)
a, b = (json.loads(re.sub(r"0x[0-9a-f]{9,}", "0x?", open(f).read())) for f in sys.argv[1:3])
for r in (a, b):
    r.pop("seconds")
    r["per_pc"] = sorted(r["per_pc"], key=lambda e: e["pc"])
assert a["instructions"] > 1000 and a == b, [k for k in a if a[k] != b[k]]
PYEOF
rm -f "$OUT.filtered"
ok "sweep: the seccomp-filtered tracer gives the verdicts of the one that stops at every call"
if grep -q '^libunwind-remote .*available' <("$SR" walkers); then
    # through the trampoline and barrier_pop, where a walk reads the rig's own
    # code: the accessor once let 0xffffffffffffffff through (its bound
    # wrapped) and crashed in libunwind's local accessor, told as a fault.
    # Exact, or stopped at the trampoline's return address in barrier_pop's
    # frame: the trampoline has no unwind information (a gcc build's rbp
    # chain ends there; clang's lets libunwind's guess go on)
    run 0 sweep --walker libunwind-remote --calls 40 --json
    python3 - "$OUT" <<'PYEOF' || fail "sweep libunwind-remote"
import json, sys
r = json.load(open(sys.argv[1]))
tr = r["regions"]["trampoline"]
assert tr["exact"] > 0 and tr["exact"] + tr["stopped"] == sum(tr.values()), tr
assert r["faults"] == 0 and r["total"]["fault"] == 0, r["total"]
PYEOF
    ok "sweep: libunwind-remote through the trampoline: exact or stopped, never a fault"
fi
fi
run 2 sweep --walker fp --calls 0
run 2 sweep --frobnicate
ok "sweep: bad arguments"

if [[ $SANITIZE == *thread* ]]; then
    run 2 bench-walkers --reps 50
    ok "bench-walkers refuses a ThreadSanitizer build"
else
run 0 bench-walkers --reps 50 --json
python3 - "$OUT" <<'PYEOF' || fail "bench-walkers"
import json, sys
r = json.load(open(sys.argv[1]))
fp = [w for w in r["walkers"] if w["name"] == "fp"][0]
assert fp["walk"] == "exact" and fp["frames"] > 10 and fp["ns_per_frame"] > 0, fp
PYEOF
ok "bench-walkers"
fi

run 0 stress --shapes "$FP_NO_TAIL" --seconds 1 --threads 1
grep -q '^stress fp: ' "$ERR" || fail "a progress line on stderr"
grep -q 'validated' "$OUT" || fail "a text summary"
ok "text report and progress"
echo "$n checks passed"
