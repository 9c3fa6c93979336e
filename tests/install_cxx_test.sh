#!/usr/bin/env bash
# The installed headers from C++: each builds standalone as C++17, and a
# plug-in written in C++17 builds against them and loads. Without a C++
# compiler the test is skipped (exit status 77: ctest says so), never
# passed.
# usage: install_cxx_test.sh BUILD_DIR SOURCE_DIR SCRATCH_DIR
set -euo pipefail
build=$1 src=$2 scratch=$3
fail() { echo "FAIL - $*"; exit 1; }
cxx=${CXX:-}
[ -n "$cxx" ] || cxx=$(command -v c++ || command -v clang++ || command -v g++ || true)
if [ -z "$cxx" ]; then
    echo "skipped: no C++ compiler (c++, clang++ or g++; scripts/setup installs g++)"
    exit 77
fi
rm -rf "$scratch" && mkdir -p "$scratch"
prefix=$scratch/prefix
cmake --install "$build" --prefix "$prefix" >"$scratch/install.log" ||
    fail "cmake --install (see $scratch/install.log)"
for h in model.h plugin.h native.h; do
    "$cxx" -std=c++17 -Wall -Wextra -Werror -pedantic -fsyntax-only -x c++ \
        -include "$prefix/include/stackrace/$h" /dev/null || fail "$h in C++17"
done
echo "ok - installed headers build standalone as C++17 ($cxx)"
"$cxx" -std=c++17 -Wall -Wextra -Werror -pedantic -fPIC -shared -I"$prefix/include" \
    -o "$scratch/cxx.so" "$src/tests/plugins/cxx.cc" || fail "a C++ plug-in does not build"
env -u STACKRACE_PLUGIN "$prefix/bin/stackrace" --plugin "$scratch/cxx.so" list | grep -q '^cxx@counter' ||
    fail "the C++ plug-in's target is not listed"
echo "ok - a plug-in written in C++17 builds and loads"
