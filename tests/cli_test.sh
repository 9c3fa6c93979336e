#!/usr/bin/env bash
# cli_test.sh — end-to-end checks of the stackrace command line.
#
# usage: cli_test.sh STACKRACE_BINARY SCRATCH_DIR
#
# Prints one line per check ("ok - ..."); on the first failure prints
# "FAIL - ..." with the command, its exit status and its output, and exits 1.
# SCRATCH_DIR is wiped and recreated; every command runs with it as the
# working directory, so nothing (e.g. the default ./findings) lands elsewhere.
set -euo pipefail

if [[ $# -ne 2 ]]; then
    echo "usage: $0 STACKRACE_BINARY SCRATCH_DIR" >&2
    exit 2
fi
SR=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
SCRATCH=$2
[[ -x $SR ]] || { echo "FAIL - $SR is not an executable" >&2; exit 1; }
command -v python3 >/dev/null || { echo "FAIL - python3 is required" >&2; exit 1; }

rm -rf "$SCRATCH"
mkdir -p "$SCRATCH"
SCRATCH=$(cd "$SCRATCH" && pwd)
cd "$SCRATCH"

BUGGY='go-stkbar@f90b48e~1'
FIXED='go-stkbar@3f22ade'
TIMEOUT=${STACKRACE_CLI_TIMEOUT:-300}   # per command; a hang is a failure
OUT=$SCRATCH/.out
ERR=$SCRATCH/.err
RC=0
LAST_CMD=''
NCHECKS=0
START=$SECONDS

ok() {
    NCHECKS=$((NCHECKS + 1))
    echo "ok - $*"
}

# fail MESSAGE: report the last command and its output, then stop.
fail() {
    {
        echo "FAIL - $*"
        if [[ -n $LAST_CMD ]]; then
            echo "  command: $LAST_CMD"
            echo "  exit status: $RC"
            echo "  --- stdout (first 40 lines) ---"
            head -n 40 "$OUT" 2>/dev/null | sed 's/^/  | /' || true
            echo "  --- stderr (first 40 lines) ---"
            head -n 40 "$ERR" 2>/dev/null | sed 's/^/  | /' || true
        fi
    } >&2
    exit 1
}

# run CMD...: runs stackrace with CMD as its arguments; stdout -> $OUT,
# stderr -> $ERR, exit status -> $RC. Fails on anything resembling a crash,
# whatever the exit status.
run() {
    LAST_CMD="stackrace $(printf '%q ' "$@")"
    set +e
    timeout "$TIMEOUT" "$SR" "$@" >"$OUT" 2>"$ERR"
    RC=$?
    set -e
    if [[ $RC -eq 124 ]]; then
        fail "timed out after ${TIMEOUT}s"
    fi
    if [[ $RC -ge 128 ]]; then
        fail "killed by signal $((RC - 128))"
    fi
    if grep -aqE 'Sanitizer|runtime error:|Segmentation|core dumped|Aborted|Assertion .* failed|stack smashing' "$OUT" "$ERR"; then
        fail "output looks like a crash"
    fi
    if compgen -G "$SCRATCH/core*" >/dev/null; then
        fail "a core file appeared in $SCRATCH"
    fi
}

expect_rc() { # expect_rc WANT WHAT
    [[ $RC -eq $1 ]] || fail "$2: expected exit status $1, got $RC"
}

# usage_error WHAT CMD...: exit status 2 and exactly one stderr line that
# starts with "stackrace: ".
usage_error() {
    local what=$1
    shift
    run "$@"
    expect_rc 2 "$what"
    local lines
    lines=$(awk 'END { print NR }' "$ERR")
    [[ $lines -eq 1 ]] || fail "$what: expected exactly one line on stderr, got $lines"
    [[ $(head -c 11 "$ERR") == 'stackrace: ' ]] || fail "$what: stderr does not start with 'stackrace: '"
    ok "$what -> 2: $(head -n 1 "$ERR")"
}

stderr_has() { # stderr_has WORD WHAT
    grep -aqi -- "$1" "$ERR" || fail "$2: expected '$1' in the error message"
}

# json_get FILE KEY: prints the value of KEY in the JSON object in FILE
# (strings raw, everything else as JSON).
json_get() {
    python3 - "$1" "$2" <<'EOF'
import json, sys
v = json.load(open(sys.argv[1]))[sys.argv[2]]
print(v if isinstance(v, str) else json.dumps(v))
EOF
}

# ---------------------------------------------------------------- help

run --help
expect_rc 0 "stackrace --help"
grep -q 'usage:' "$OUT" || fail "stackrace --help: no 'usage:' on stdout"
ok "stackrace --help"
for cmd in list hunt replay minimize; do
    run "$cmd" --help
    expect_rc 0 "stackrace $cmd --help"
    grep -q 'usage:' "$OUT" || fail "stackrace $cmd --help: no 'usage:' on stdout"
    ok "stackrace $cmd --help"
done
run
expect_rc 2 "stackrace (no command)"
grep -q 'usage:' "$ERR" || fail "stackrace (no command): no 'usage:' on stderr"
ok "stackrace (no command) -> 2 with usage on stderr"

# ---------------------------------------------------------------- list

run list
expect_rc 0 "list"
for t in go-stkbar@87f97c7 'go-stkbar@f90b48e~1' go-stkbar@f90b48e go-stkbar@3f22ade; do
    awk -v t="$t" '$1 == t { found = 1 } END { exit !found }' "$OUT" || fail "list: target $t missing"
done
n=$(grep -c '^go-stkbar@' "$OUT" || true)
[[ $n -eq 4 ]] || fail "list: expected 4 go-stkbar@ targets, got $n"
ok "list shows the four go-stkbar@ targets"

run list --json
expect_rc 0 "list --json"
python3 -c 'import json,sys; json.load(sys.stdin)' <"$OUT" || fail "list --json: not valid JSON"
python3 - "$OUT" <<'EOF' || fail "list --json: wrong contents"
import json, sys
names = [t["name"] for t in json.load(open(sys.argv[1]))]
want = {"go-stkbar@87f97c7", "go-stkbar@f90b48e~1", "go-stkbar@f90b48e", "go-stkbar@3f22ade"}
missing = want - set(names)
assert not missing, missing
EOF
ok "list --json is valid JSON with the four targets"

# ---------------------------------------------------------------- a finding

HUNT1=$SCRATCH/hunt1
run hunt "$BUGGY" --seed 1 --execs 100000 --out "$HUNT1" --json
expect_rc 1 "hunt $BUGGY --seed 1"
cp "$OUT" "$SCRATCH/hunt1.json"
python3 -c 'import json,sys; json.load(sys.stdin)' <"$OUT" || fail "hunt --json: not valid JSON"
[[ $(json_get "$OUT" found) == true ]] || fail "hunt $BUGGY: \"found\" is not true"
FILE=$(json_get "$OUT" finding)
[[ -f $FILE ]] || fail "hunt $BUGGY: finding '$FILE' does not exist"
ok "hunt $BUGGY --seed 1 -> 1, finding $(basename "$FILE")"
LEN=$(wc -c <"$FILE")
LEN=$((LEN + 0))

# ---------------------------------------------------------------- bad input

usage_error "unknown command" frobnicate
usage_error "list with an unknown argument" list --bogus
usage_error "hunt with an unknown target" hunt no-such-target@0 --execs 10
usage_error "hunt with no target" hunt
usage_error "hunt with only flags" hunt --execs 10 --json
H=(hunt "$BUGGY" --out "$SCRATCH/badflags")
usage_error "hunt --time -1" "${H[@]}" --time -1
usage_error "hunt --time abc" "${H[@]}" --time abc
usage_error "hunt --time 0" "${H[@]}" --time 0
usage_error "hunt --execs 0" "${H[@]}" --execs 0
usage_error "hunt --execs -5" "${H[@]}" --execs -5
usage_error "hunt --jobs 0" "${H[@]}" --jobs 0 --execs 10
usage_error "hunt --jobs 257" "${H[@]}" --jobs 257 --execs 10
usage_error "hunt --depth 99" "${H[@]}" --depth 99 --execs 10
usage_error "hunt --depth 0" "${H[@]}" --depth 0 --execs 10
usage_error "hunt --strategy foo" "${H[@]}" --strategy foo --execs 10
usage_error "hunt --delivery foo" "${H[@]}" --delivery foo --execs 10
usage_error "hunt --mutators 0" "${H[@]}" --mutators 0 --execs 10
usage_error "hunt --mutators 9" "${H[@]}" --mutators 9 --execs 10
usage_error "hunt --barrier-spacing 7" "${H[@]}" --barrier-spacing 7 --execs 10
usage_error "hunt --seed -3" "${H[@]}" --seed -3 --execs 10
usage_error "hunt --seed 12x" "${H[@]}" --seed 12x --execs 10
usage_error "hunt --seed ' 1'" "${H[@]}" --seed ' 1' --execs 10
: > "$SCRATCH/not-a-dir"
usage_error "hunt --out naming a regular file" hunt "$BUGGY" --out "$SCRATCH/not-a-dir" --execs 10
usage_error "hunt with an unknown flag" "${H[@]}" --bogus 1 --execs 10
usage_error "hunt with an unknown valueless flag" "${H[@]}" --execs 10 --bogus
stderr_has "unknown option" "hunt with an unknown valueless flag"
usage_error "hunt --execs missing its value" "${H[@]}" --execs
usage_error "hunt --seed missing its value" "${H[@]}" --execs 10 --seed
usage_error "hunt with a stray argument" "${H[@]}" --execs 10 extra
[[ ! -e $SCRATCH/findings ]] || fail "a rejected hunt created ./findings"

usage_error "replay with no file" replay
usage_error "replay with an unknown option" replay "$FILE" --bogus
usage_error "replay --svg missing its value" replay "$FILE" --svg
usage_error "replay of a missing file" replay "$SCRATCH/does-not-exist.sched"
: >"$SCRATCH/empty.sched"
usage_error "replay of an empty file" replay "$SCRATCH/empty.sched"
usage_error "replay of a directory" replay "$SCRATCH"
cp "$(command -v ls)" "$SCRATCH/ls.bin"
usage_error "replay of a foreign binary (ls)" replay "$SCRATCH/ls.bin"
printf 'hello, this is not a schedule\nsecond line\n' >"$SCRATCH/text.txt"
usage_error "replay of a text file" replay "$SCRATCH/text.txt"

for n in 1 8 12 20 $((LEN - 1)); do
    head -c "$n" "$FILE" >"$SCRATCH/trunc-$n.sched"
    usage_error "replay of the finding truncated to $n of $LEN bytes" replay "$SCRATCH/trunc-$n.sched"
done

# crafted files: byte edits, and re-encodings with python's zlib.crc32 (the
# same IEEE CRC-32 the format uses)
craft() { # craft IN OUT KIND [ARG]
    python3 - "$@" <<'EOF'
import struct, sys, zlib
src, dst, kind = sys.argv[1], sys.argv[2], sys.argv[3]
arg = sys.argv[4] if len(sys.argv) > 4 else None
b = bytearray(open(src, "rb").read())
assert b[:8] == b"SRSCHED\n"
nlen = b[12]
name = bytes(b[13:13 + nlen])
off = 13 + nlen                      # scenario
scen = bytes(b[off:off + 32])
plen, crc = struct.unpack_from("<II", b, off + 32)
payload = bytes(b[off + 40:])
assert len(payload) == plen

def encode(version, flags, name, scen, payload):
    head = b"SRSCHED\n" + struct.pack("<HHB", version, flags, len(name)) + name + scen
    head += struct.pack("<I", len(payload))
    crc = zlib.crc32(payload, zlib.crc32(head)) & 0xffffffff
    return head + struct.pack("<I", crc) + payload

version, flags = struct.unpack_from("<HH", b, 8)
if kind == "same":          # re-encoding the file unchanged must give it back
    out = encode(version, flags, name, scen, payload)
    assert out == bytes(b), "re-encoding differs from the original"
elif kind == "flip-payload":
    assert plen > 0
    b[-1] ^= 0x01
    out = b
elif kind == "flip-header":  # a byte of the scenario (mutators)
    b[off] ^= 0x02
    out = b
elif kind == "version":      # version field only; CRC left as is
    struct.pack_into("<H", b, 8, int(arg))
    out = b
elif kind == "target":       # another target name, CRC recomputed
    out = encode(version, flags, arg.encode(), scen, payload)
elif kind == "mutators":     # an invalid scenario, CRC recomputed
    scen = struct.pack("<I", int(arg)) + scen[4:]
    out = encode(version, flags, name, scen, payload)
else:
    raise SystemExit("unknown kind " + kind)
open(dst, "wb").write(out)
EOF
}

craft "$FILE" "$SCRATCH/same.sched" same || fail "could not re-encode the finding (the format differs from schedfile.h)"
cmp -s "$FILE" "$SCRATCH/same.sched" || fail "re-encoding of the finding differs"
ok "the finding re-encodes byte-identically from schedfile.h's layout"

craft "$FILE" "$SCRATCH/flip-payload.sched" flip-payload || fail "craft flip-payload"
usage_error "replay with a payload byte flipped" replay "$SCRATCH/flip-payload.sched"
stderr_has checksum "payload byte flipped"
craft "$FILE" "$SCRATCH/flip-header.sched" flip-header || fail "craft flip-header"
usage_error "replay with a header byte flipped" replay "$SCRATCH/flip-header.sched"
stderr_has checksum "header byte flipped"
craft "$FILE" "$SCRATCH/version2.sched" version 2 || fail "craft version"
usage_error "replay of a version-2 schedule" replay "$SCRATCH/version2.sched"
stderr_has version "version-2 schedule"
craft "$FILE" "$SCRATCH/unknown-target.sched" target no-such-target@0 || fail "craft target"
usage_error "replay of a schedule naming an unknown target" replay "$SCRATCH/unknown-target.sched"
stderr_has no-such-target@0 "schedule naming an unknown target"
craft "$FILE" "$SCRATCH/bad-scenario.sched" mutators 0 || fail "craft mutators"
usage_error "replay of a schedule with an invalid scenario" replay "$SCRATCH/bad-scenario.sched"
usage_error "replay --target with an unknown target" replay "$FILE" --target no-such-target@0
usage_error "minimize without -o" minimize "$FILE"
usage_error "minimize -o missing its value" minimize "$FILE" -o
usage_error "minimize of a missing file" minimize "$SCRATCH/does-not-exist.sched" -o "$SCRATCH/x.sched"
usage_error "minimize of a corrupt file" minimize "$SCRATCH/flip-payload.sched" -o "$SCRATCH/x.sched"
[[ ! -e $SCRATCH/x.sched ]] || fail "a rejected minimize wrote its output"

# ---------------------------------------------------------------- determinism

: >"$SCRATCH/replays.jsonl"
for i in $(seq 1 100); do
    run replay "$FILE" --json
    expect_rc 1 "replay #$i of the finding"
    cat "$OUT" >>"$SCRATCH/replays.jsonl"
done
python3 - "$SCRATCH/replays.jsonl" <<'EOF' || fail "replay --json x100: not deterministic (see $SCRATCH/replays.jsonl)"
import json, sys
runs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
assert len(runs) == 100, len(runs)
hashes = {r["trace_hash"] for r in runs}
sigs = {r["signature"] for r in runs}
assert len(hashes) == 1, hashes
assert len(sigs) == 1 and None not in sigs, sigs
assert all(r["failed"] is True for r in runs)
EOF
SIG=$(json_get "$OUT" signature)
ok "replay --json x100: all exit 1, one trace_hash ($(json_get "$OUT" trace_hash)), signature $SIG"

run replay "$FILE" --narrative
expect_rc 1 "replay --narrative"
cp "$OUT" "$SCRATCH/narrative1.txt"
[[ -s $SCRATCH/narrative1.txt ]] || fail "replay --narrative printed nothing"
run replay "$FILE" --narrative
expect_rc 1 "replay --narrative (second)"
cmp -s "$OUT" "$SCRATCH/narrative1.txt" || fail "replay --narrative twice: outputs differ"
ok "replay --narrative twice: byte-identical"

# ---------------------------------------------------------------- minimize

MIN=$SCRATCH/min.sched
run minimize "$FILE" -o "$MIN"
expect_rc 0 "minimize"
[[ -f $MIN ]] || fail "minimize: $MIN not written"
# it shrank: fewer decisions (the line says "decisions A -> B"), fewer bytes
read -r D0 D1 < <(sed -n 's/.*: decisions \([0-9]*\) -> \([0-9]*\),.*/\1 \2/p' "$OUT" "$ERR")
[[ -n ${D1:-} && $D1 -lt $D0 ]] || fail "minimize did not shrink: decisions ${D0:-?} -> ${D1:-?}"
[[ $(stat -c %s "$MIN") -lt $(stat -c %s "$FILE") ]] || fail "minimize: $MIN is not smaller than $FILE"
run replay "$MIN" --json
expect_rc 1 "replay of the minimized schedule"
MSIG=$(json_get "$OUT" signature)
[[ $MSIG == "$SIG" ]] || fail "minimized schedule replays to $MSIG, not $SIG"
ok "minimize -> 0; decisions $D0 -> $D1; the minimized schedule replays to the same signature"

# ---------------------------------------------------------------- fixed variant

run replay "$FILE" --target "$FIXED"
expect_rc 0 "replay of the $BUGGY finding against $FIXED (the fix)"
ok "replay --target $FIXED -> 0 (the fix replays clean)"

# ---------------------------------------------------------------- svg

SVG=$SCRATCH/out.svg
run replay "$FILE" --svg "$SVG"
expect_rc 1 "replay --svg"
[[ -s $SVG ]] || fail "replay --svg: $SVG not written"
[[ $(head -c 4 "$SVG") == '<svg' ]] || fail "replay --svg: $SVG does not start with <svg"
python3 -c 'import sys, xml.etree.ElementTree as E; E.parse(sys.argv[1])' "$SVG" ||
    fail "replay --svg: $SVG is not well-formed XML"
ok "replay --svg writes well-formed SVG"
usage_error "replay --svg into a missing directory" replay "$FILE" --svg "$SCRATCH/no/such/dir/x.svg"

# ---------------------------------------------------------------- hunts

run hunt "$FIXED" --execs 20000 --seed 1 --json --out "$SCRATCH/hunt-fixed"
expect_rc 0 "hunt $FIXED --execs 20000"
[[ $(json_get "$OUT" found) == false ]] || fail "hunt $FIXED: \"found\" is not false"
ok "hunt $FIXED --execs 20000 -> 0, found false"

run hunt "$BUGGY" --execs 100000 --seed 2 --json --keep-going --out "$SCRATCH/hunt-kg"
expect_rc 1 "hunt $BUGGY --keep-going"
cp "$OUT" "$SCRATCH/hunt-kg.json"
python3 - "$OUT" <<'EOF' || fail "hunt --keep-going: findings missing on disk"
import json, os, sys
j = json.load(open(sys.argv[1]))
assert j["found"] is True
fs = j["findings"]
assert fs, "no findings listed"
fatal = [f for f in fs if f["fatal"]]
assert j["finding"] == (fatal or fs)[0]["file"], "the top level is not the first fatal finding"
assert j["check"] == (fatal or fs)[0]["check"]
for f in fs:
    assert os.path.isfile(f["file"]), f["file"]
assert len({f["signature"] for f in fs}) == len(fs), "duplicate signatures"
EOF
ok "hunt $BUGGY --keep-going -> 1, $(python3 -c 'import json,sys; print(len(json.load(sys.stdin)["findings"]))' <"$OUT") finding(s), all on disk"

# ---------------------------------------------------------------- races

# The race detector is on by default: the seed's unlocked traceback races
# with the GC on the barrier list; the races are findings that do not end
# the hunt, which goes on to the fatal one and stops there.
python3 - "$SCRATCH/hunt1.json" <<'EOF' || fail "hunt $BUGGY --seed 1: races or stop rule wrong (see $SCRATCH/hunt1.json)"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["races"] is True
fs = j["findings"]
races = [f for f in fs if f["check"] == "data-race"]
assert any("stkbar" in f["message"] and "gentraceback" in f["message"] for f in races), fs
assert all(not f["fatal"] and "unordered" in f["detail"] for f in races), races
assert fs[-1]["fatal"] and fs[-1]["check"] == "target-assert", fs[-1]
assert sum(f["fatal"] for f in fs) == 1, "the hunt went on after its fatal finding"
assert j["first_fatal_seconds"] is not None and j["first_fatal_execs"] >= j["first_finding_execs"]
EOF
ok "hunt $BUGGY: races on the barrier list reported as found; the hunt stops at the fatal finding"

run hunt "$BUGGY" --seed 1 --execs 100000 --out "$SCRATCH/hunt-norace" --json --no-races
expect_rc 1 "hunt $BUGGY --no-races"
python3 - "$OUT" <<'EOF' || fail "hunt --no-races: data races reported anyway"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["races"] is False
assert [f["check"] for f in j["findings"]] == ["target-assert"], j["findings"]
EOF
ok "hunt $BUGGY --no-races: only the fatal finding"

# has_sig JSON_FILE SIGNATURE: the replay's findings include SIGNATURE
has_sig() {
    python3 -c 'import json,sys; sys.exit(sys.argv[2] not in [f["signature"] for f in json.load(open(sys.argv[1]))["findings"]])' "$1" "$2"
}
RACE=$(python3 -c 'import json,sys; print([f["file"] for f in json.load(open(sys.argv[1]))["findings"] if f["check"] == "data-race"][0])' "$SCRATCH/hunt1.json")
RSIG=$(basename "$RACE" .sched)
run replay "$RACE" --json
has_sig "$OUT" "$RSIG" || fail "replay of $RSIG: the race did not come back"
HASH=$(json_get "$OUT" trace_hash)
run replay "$RACE" --json --no-races
python3 -c 'import json,sys; sys.exit(any(f["check"] == "data-race" for f in json.load(open(sys.argv[1]))["findings"]))' "$OUT" ||
    fail "replay --no-races of $RSIG: a data race was reported"
[[ $(json_get "$OUT" trace_hash) == "$HASH" ]] || fail "replay --no-races of $RSIG: another execution (trace hash)"
ok "replay of a race finding: the race comes back; --no-races: gone, same trace hash"
run replay "$RACE" --narrative
grep -q "FINDING (data-race): " "$OUT" || fail "replay --narrative of $RSIG: no data-race step"
grep -Eq "^ +[^ ].* by .* at step [0-9]+ in .*; .* by .* at step [0-9]+ in .*, unordered" "$OUT" ||
    fail "replay --narrative of $RSIG: the race's two accesses are not told"
ok "replay --narrative tells the race with both accesses (actor, step, function)"
run minimize "$RACE" -o "$SCRATCH/race-min.sched"
expect_rc 0 "minimize of a race finding"
run replay "$SCRATCH/race-min.sched" --json
expect_rc 1 "replay of the minimized race finding"
has_sig "$OUT" "$RSIG" || fail "replay of the minimized $RSIG: another finding came back"
ok "minimize of a race finding: its replay reports the same race"
usage_error "hunt --races (races are on by default)" hunt "$BUGGY" --execs 10 --races
stderr_has "unknown option" "hunt --races"

# ---------------------------------------------------------------- raw inputs

python3 - "$SCRATCH" <<'EOF'
import random, sys
r = random.Random(20240601)
for i, n in enumerate([0, 1, 3, 4, 5, 16, 64, 256, 1000, 4096, 65536]):
    data = bytes(r.getrandbits(8) for _ in range(n))
    if data[:8] == b"SRSCHED\n":
        data = b"x" + data[1:]
    open(f"{sys.argv[1]}/raw-{i}.bin", "wb").write(data)
EOF
for raw in "$SCRATCH"/raw-*.bin; do
    run replay --target "$BUGGY" "$raw"
    [[ $RC -eq 0 || $RC -eq 1 ]] || fail "raw input $(basename "$raw") ($(wc -c <"$raw") bytes): exit status $RC, want 0 or 1"
    ok "replay --target $BUGGY of raw $(basename "$raw") ($(wc -c <"$raw") bytes) -> $RC"
done
cp "$SCRATCH/raw-7.bin" "$SCRATCH/raw-copy.bin"
run replay --target "$BUGGY" "$SCRATCH/raw-copy.bin" --json
RAW1=$(json_get "$OUT" trace_hash)
run replay --target "$BUGGY" "$SCRATCH/raw-copy.bin" --json
[[ $(json_get "$OUT" trace_hash) == "$RAW1" ]] || fail "raw input replays differ"
ok "raw input replays deterministically"

LAST_CMD=''
echo "all $NCHECKS checks passed in $((SECONDS - START)) s"
