#!/usr/bin/env bash
# Configures a CMake build folder the same way for tools/build.sh and tools/test.sh, so that
# either may run first, or alone, in the same folder: a folder that is already configured keeps
# the generator it has (CMake refuses to switch generators in place), a new one gets Ninja when
# it is installed (tools/install-deps.sh installs it), else CMake's default.
# Usage: bash tools/configure.sh DIR [CMAKE ARGS...]   e.g. bash tools/configure.sh build -DCMAKE_BUILD_TYPE=Release
# (DIR is relative to the current directory; the source is always this repository.)
set -euo pipefail
if [ $# -lt 1 ]; then
    echo "usage: bash tools/configure.sh DIR [CMAKE ARGS...]" >&2
    exit 2
fi
dir=$(realpath -m "$1")
shift
cd "$(dirname "$0")/.."
generator=()
if [ -f "$dir/CMakeCache.txt" ]; then
    # Already configured: keep its generator (named again, so a mismatch cannot happen).
    existing=$(sed -n 's/^CMAKE_GENERATOR:INTERNAL=//p' "$dir/CMakeCache.txt")
    if [ -n "$existing" ]; then
        generator=(-G "$existing")
    fi
elif command -v ninja > /dev/null; then
    generator=(-G Ninja)
fi
cmake -S . -B "$dir" "${generator[@]}" "$@" > /dev/null
