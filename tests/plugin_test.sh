#!/usr/bin/env bash
# plugin_test.sh — loading plug-ins: a well-formed one is hunted, replayed
# and listed through every way of naming it; each malformed one is refused
# with its own one-line message and exit status 2.
#
# usage: plugin_test.sh STACKRACE PLUGIN_DIR SCRATCH_DIR
#   PLUGIN_DIR holds tiny-<kind>.so, built from tests/plugins/tiny.c
set -euo pipefail
SR=$1
P=$2
SCRATCH=$3
rm -rf "$SCRATCH" && mkdir -p "$SCRATCH" && cd "$SCRATCH"
unset STACKRACE_PLUGIN
OUT=$SCRATCH/.out ERR=$SCRATCH/.err
n=0

fail() {
    echo "FAIL - $*"
    echo "  --- stdout ---"; sed 's/^/  | /' "$OUT"
    echo "  --- stderr ---"; sed 's/^/  | /' "$ERR"
    exit 1
}
ok() { n=$((n + 1)); echo "ok - $*"; }
run() { # run WANT_STATUS ARGS...
    local want=$1 rc
    shift
    set +e
    "$SR" "$@" >"$OUT" 2>"$ERR"
    rc=$?
    set -e
    [[ $rc -eq $want ]] || fail "stackrace $*: exit status $rc, want $want"
}
refused() { # refused KIND MESSAGE-REGEX: `--plugin tiny-KIND.so list` is refused
    run 2 --plugin "$P/tiny-$1.so" list
    [[ $(wc -l <"$ERR") -eq 1 ]] || fail "$1: want exactly one line on stderr"
    grep -Eq "^stackrace: $P/tiny-$1.so: $2" "$ERR" || fail "$1: message does not match '$2'"
    [[ ! -s $OUT ]] || fail "$1: printed a target list anyway"
    ok "$1 refused: $(cat "$ERR")"
}

# ---- the malformed ones
refused ABI "built for plug-in ABI [0-9]+, this stackrace loads ABI [0-9]+; rebuild it"
refused LAYOUT "built with other stackrace headers \(structure sizes differ\)"
refused NO_ENTRY "not a stackrace plug-in \(no stackrace_plugin_v1 entry point"
refused NULL_ENTRY "its entry point returned NULL"
refused NO_SETUP "a target has no setup function: tiny@racy"
refused DUPLICATE_BUILTIN "target 'go-stkbar@3f22ade' is already registered \(built in\)"
refused DUPLICATE_SELF "target 'tiny@racy' is defined twice"
refused MISSING_API "cannot load it as a shared object \(undefined symbol: sr_no_such_function\)"

run 2 --plugin "$P/does-not-exist.so" list
grep -q "^stackrace: cannot open plug-in $P/does-not-exist.so: No such file or directory$" "$ERR" ||
    fail "missing file: wrong message"
ok "a missing file: $(cat "$ERR")"
printf 'not an object\n' >"$SCRATCH/text.so"
run 2 --plugin "$SCRATCH/text.so" list
grep -q "^stackrace: $SCRATCH/text.so: cannot load it as a shared object (.*)$" "$ERR" ||
    fail "text file: wrong message"
ok "a text file: $(cat "$ERR")"
run 2 --plugin "$SCRATCH" list
grep -q "is not a file" "$ERR" || fail "directory: wrong message"
ok "a directory: $(cat "$ERR")"
run 2 list --plugin
grep -q "^stackrace: --plugin needs the path" "$ERR" || fail "--plugin without a value"
ok "--plugin without a path: $(cat "$ERR")"
cp "$P/tiny-good.so" "$SCRATCH/tiny-copy.so"
run 2 --plugin "$P/tiny-good.so" --plugin "$SCRATCH/tiny-copy.so" list
grep -q "target 'tiny@racy' is already registered ($P/tiny-good.so)" "$ERR" ||
    fail "two plug-ins with one target name: wrong message"
ok "two plug-ins defining one target: $(cat "$ERR")"
ln -sf "$P/tiny-good.so" "$SCRATCH/tiny-link.so"
STACKRACE_PLUGIN="$P/tiny-good.so" run 0 --plugin "$P/tiny-good.so" --plugin "$SCRATCH/tiny-link.so" list
[[ $(grep -c '^tiny@' "$OUT") -eq 2 ]] || fail "one plug-in named three ways: its targets not listed once"
ok "one plug-in named three ways (STACKRACE_PLUGIN, --plugin, a link) is loaded once"
STACKRACE_PLUGIN="$P/tiny-ABI.so" run 2 list
grep -q "(from STACKRACE_PLUGIN)$" "$ERR" || fail "STACKRACE_PLUGIN: the error does not say where the path came from"
ok "a bad plug-in from STACKRACE_PLUGIN: $(cat "$ERR")"

# ---- the well-formed one, however it is named
run 0 --plugin "$P/tiny-good.so" list --json
python3 - "$OUT" "$P/tiny-good.so" <<'EOF' || fail "list --json: the plug-in's targets are missing"
import json, sys
ts = {t["name"]: t["origin"] for t in json.load(open(sys.argv[1]))}
assert ts.get("tiny@racy") == sys.argv[2] and ts.get("tiny@locked") == sys.argv[2], ts
assert ts.get("go-stkbar@3f22ade") == "built in", ts
EOF
ok "list --json shows the plug-in's targets and where they came from"
cp "$P/tiny-good.so" "$SCRATCH/tiny.so"
run 0 --plugin tiny.so list
grep -q "^tiny@racy" "$OUT" || fail "a path without a slash is not read as a file here"
ok "--plugin tiny.so (no slash) is the file here, not a library search"
run 0 --no-builtins --plugin "$P/tiny-good.so" list
[[ $(wc -l <"$OUT") -eq 2 ]] || fail "--no-builtins: want only the plug-in's two targets"
ok "--no-builtins leaves only the plug-in's targets"

run 1 hunt tiny@racy --plugin "$P/tiny-good.so" --execs 2000 --seed 1 --json --out "$SCRATCH/f"
RACE=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["findings"][0]["file"])' "$OUT")
[[ $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["check"])' "$OUT") == data-race ]] ||
    fail "hunt tiny@racy: want a data race"
ok "hunt tiny@racy (--plugin after the command) -> 1, a data race"
STACKRACE_PLUGIN="$P/tiny-good.so" run 0 hunt tiny@locked --execs 2000 --seed 1 --out "$SCRATCH/f"
ok "hunt tiny@locked (STACKRACE_PLUGIN) -> 0"
run 2 replay "$RACE"
grep -q "unknown target 'tiny@racy' .*--plugin" "$ERR" || fail "replay without the plug-in: no hint"
ok "replay of a plug-in's finding without the plug-in -> 2: $(cat "$ERR")"
run 1 --plugin "$P/tiny-good.so" replay "$RACE" --narrative
grep -q "FINDING (data-race)" "$OUT" || fail "replay --narrative: the race is not told"
ok "replay of the plug-in's finding with --plugin -> 1, the race told"
run 0 --plugin "$P/tiny-good.so" replay "$RACE" --target tiny@locked
ok "the plug-in's finding replays clean on its locked twin"
run 0 --plugin "$P/tiny-good.so" minimize "$RACE" -o "$SCRATCH/min.sched"
ok "minimize of the plug-in's finding -> 0"
run 1 --plugin "$P/tiny-good.so" hunt tiny@racy --execs 2000 --seed 1 --out "$SCRATCH/g"
grep -q "replay: stackrace --plugin $P/tiny-good.so replay " "$OUT" ||
    fail "hunt: the replay command does not load the plug-in"
ok "hunt prints a replay command that loads the plug-in"

echo "all $n plug-in checks passed"
