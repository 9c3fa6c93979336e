#!/usr/bin/env bash
# install_test.sh — the package, as a plug-in author meets it: install this
# build into a scratch prefix, check the installed headers standalone (C11,
# C17, -Wall -Wextra -Werror -pedantic; C++: install_cxx_test.sh), build the example plug-in
# (examples/hijack) out of the tree with find_package(stackrace) and again
# with pkg-config, build the Go target's unchanged sources as a plug-in,
# and hunt each with the installed stackrace.
#
# usage: install_test.sh BUILD_DIR SOURCE_DIR SCRATCH_DIR [FIXED_SECONDS]
#   FIXED_SECONDS: how long the fixed example is hunted (default 5)
set -euo pipefail
build=$1
src=$2
scratch=$3
fixed_secs=${4:-5}
rm -rf "$scratch" && mkdir -p "$scratch"
prefix=$scratch/prefix
unset STACKRACE_PLUGIN
n=0
ok() { n=$((n + 1)); echo "ok - $*"; }
fail() { echo "FAIL - $*"; exit 1; }
cc=${CC:-cc}

cmake --install "$build" --prefix "$prefix" >"$scratch/install.log" ||
    fail "cmake --install (see $scratch/install.log)"
sr=$prefix/bin/stackrace
for f in bin/stackrace include/stackrace/model.h include/stackrace/plugin.h include/stackrace/native.h \
    lib/libstackrace.so lib/cmake/stackrace/stackrace-config.cmake lib/pkgconfig/stackrace.pc; do
    [ -e "$prefix/$f" ] || fail "not installed: $f"
done
ok "cmake --install: the command, headers, libstackrace.so, CMake package, pkg-config file"

# ---- the headers, standalone
for h in model.h plugin.h native.h; do
    for std in c11 c17; do
        "$cc" -std=$std -Wall -Wextra -Werror -pedantic -fsyntax-only -x c \
            -include "$prefix/include/stackrace/$h" /dev/null || fail "$h in $std"
    done
done
ok "installed headers build standalone: C11, C17 (C++: tests/install_cxx_test.sh)"

# ---- the example, with find_package(stackrace)
cmake -S "$src/examples/hijack" -B "$scratch/hijack" -DCMAKE_PREFIX_PATH="$prefix" \
    -DCMAKE_C_COMPILER="$cc" >"$scratch/hijack-configure.log" 2>&1 ||
    fail "configuring the example (see $scratch/hijack-configure.log)"
cmake --build "$scratch/hijack" >"$scratch/hijack-build.log" 2>&1 ||
    fail "building the example (see $scratch/hijack-build.log)"
plugin=$scratch/hijack/example-hijack.so
[ -f "$plugin" ] || fail "no $plugin"
ok "examples/hijack builds against the installed package (find_package)"

hunt() { # hunt WANT_STATUS JSON_OUT ARGS...
    local want=$1 out=$2 rc
    shift 2
    set +e
    "$sr" "$@" --json >"$out"
    rc=$?
    set -e
    [ "$rc" -eq "$want" ] || fail "stackrace $*: exit status $rc, want $want"
}
hunt 1 "$scratch/buggy.json" --plugin "$plugin" hunt example-hijack@buggy --time 10 --seed 1 \
    --out "$scratch/f"
python3 - "$scratch/buggy.json" <<'EOF' || fail "example-hijack@buggy: no wrong walk found"
import json, sys
j = json.load(open(sys.argv[1]))
fatal = [f for f in j["findings"] if f["fatal"]]
assert fatal and fatal[0]["check"] == "walk-oracle" and fatal[0]["seconds"] < 10, j["findings"]
EOF
ok "example-hijack@buggy: the walker's wrong frame found in $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["first_fatal_seconds"])' "$scratch/buggy.json") s"
hunt 0 "$scratch/fixed.json" --plugin "$plugin" hunt example-hijack@fixed --time "$fixed_secs" \
    --seed 1 --out "$scratch/f"
python3 - "$scratch/fixed.json" <<'EOF' || fail "example-hijack@fixed: its walker never walked"
import json, sys
j = json.load(open(sys.argv[1]))
assert not j["findings"] and j["walks_complete"] > 1000, j
print("  %d execs, %d complete walks, %d declined" % (j["execs"], j["walks_complete"], j["walks_declined"]))
EOF
ok "example-hijack@fixed: clean for $fixed_secs s"

# ---- the example, with pkg-config
export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
if command -v pkg-config >/dev/null; then
    flags=$(pkg-config --cflags --libs stackrace)
else
    flags="-I$prefix/include -fPIC -fvisibility=hidden -L$prefix/lib -Wl,-rpath,$prefix/lib -lstackrace"
fi
# shellcheck disable=SC2086
"$cc" -std=c11 -Wall -Wextra -Werror -shared -Wl,-z,defs -o "$scratch/hijack-pc.so" \
    "$src/examples/hijack/hijack.c" $flags || fail "building the example with pkg-config's flags"
hunt 1 "$scratch/buggy-pc.json" --plugin "$scratch/hijack-pc.so" hunt example-hijack@buggy \
    --time 10 --seed 1 --out "$scratch/f"
ok "the example built with $(command -v pkg-config >/dev/null && echo pkg-config || echo "the .pc file's flags") is found too"

# ---- the plug-in docs/plugging-in.md walks through, as the page shows it
python3 - "$src/docs/plugging-in.md" "$scratch/counter.c" <<'EOF'
import re, sys
blocks = re.findall(r"```c\n(.*?)```", open(sys.argv[1]).read(), re.S)
assert blocks, "no C block in docs/plugging-in.md"
open(sys.argv[2], "w").write(blocks[0])
EOF
# shellcheck disable=SC2086
"$cc" -std=c11 -Wall -Wextra -Werror -shared -Wl,-z,defs -o "$scratch/counter.so" \
    "$scratch/counter.c" $flags || fail "docs/plugging-in.md's plug-in does not build"
hunt 1 "$scratch/counter.json" --plugin "$scratch/counter.so" hunt counter@racy --execs 2000 \
    --seed 1 --out "$scratch/f"
python3 - "$scratch/counter.json" <<'EOF' || fail "counter@racy: not the race on count (see $scratch/counter.json)"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["check"] == "data-race" and "count" in r["message"], (r["check"], r["message"])
EOF
hunt 0 "$scratch/counter-locked.json" --plugin "$scratch/counter.so" hunt counter@locked \
    --execs 2000 --seed 1 --out "$scratch/f"
ok "docs/plugging-in.md's plug-in builds as shown: counter@racy found, counter@locked clean"

# ---- the walker docs/plugging-in.md shows, as the page shows it: built
# against the installed header alone, clean under barriers
python3 - "$src/docs/plugging-in.md" "$scratch/mine.c" <<'EOF'
import re, sys
blocks = re.findall(r"```c\n(.*?)```", open(sys.argv[1]).read(), re.S)
assert len(blocks) > 1 and "SR_WALKER_PLUGIN" in blocks[1], "no walker C block in docs/plugging-in.md"
open(sys.argv[2], "w").write(blocks[1])
EOF
"$cc" -std=c11 -Wall -Wextra -Werror -shared -fPIC -Wl,-z,defs -I"$prefix/include" \
    -o "$scratch/mine.so" "$scratch/mine.c" || fail "docs/plugging-in.md's walker does not build"
"$sr" --plugin "$scratch/mine.so" stress --walker mine --barriers \
    --shapes call,leaf,large,alloca,saved,recurse --threads 2 --samples 20000 --seconds 120 --json \
    >"$scratch/mine.json" || fail "docs/plugging-in.md's walker: stress exited $?"
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["wrong"]==0 and r["validated"]>0, r' \
    "$scratch/mine.json" || fail "docs/plugging-in.md's walker is not clean"
ok "docs/plugging-in.md's walker builds as shown and is clean under barriers"

# ---- the Go target, unchanged, as a plug-in
# shellcheck disable=SC2086
"$cc" -std=c11 -Wall -Wextra -Werror -shared -Wl,-z,defs -o "$scratch/go-stkbar.so" \
    "$src"/targets/go/{funcs,proc,mstkbar,mgcmark,traceback,variants,plugin}.c $flags ||
    fail "the Go target does not build as a plug-in"
hunt 1 "$scratch/go.json" --no-builtins --plugin "$scratch/go-stkbar.so" hunt 'go-stkbar@f90b48e~1' \
    --seed 149 --out "$scratch/f"
python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); assert [f["message"] for f in j["findings"] if f["fatal"]] == ["missed stack barrier"], j' \
    "$scratch/go.json" || fail "the Go plug-in does not find missed stack barrier"
hunt 0 "$scratch/go-fixed.json" --no-builtins --plugin "$scratch/go-stkbar.so" hunt go-stkbar@3f22ade \
    --execs 20000 --seed 1 --out "$scratch/f"
ok "the Go target's sources, built out of the tree as a plug-in: f90b48e~1 found, 3f22ade clean"

echo "all $n install checks passed"
