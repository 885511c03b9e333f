#!/usr/bin/env bash
# The whole test suite, from a fresh Debian bookworm machine:
#  1. installs the packages (tools/install-deps.sh),
#  2. Release build, then ctest: unit tests and properties, fuzz corpora replayed, the simulation
#     seed sweep with the determinism check, planted bugs, the layering lint,
#  3. a bounded libFuzzer campaign: clang build of the fuzz targets, each run for
#     $EDDY_FUZZ_SECONDS (default 10) from its corpus in tests/fuzz/corpus (tools/fuzz.sh),
#  4. ASan + UBSan build, then its unit tests and a shorter seed sweep.
# Set EDDY_SKIP_FUZZ=1 / EDDY_SKIP_SANITIZERS=1 to skip step 3 / 4 while iterating. build/ is the
# folder tools/build.sh uses too (same generator and options, tools/configure.sh), so either script
# may come first.
# Usage: bash tools/test.sh   (from anywhere; needs root or sudo for apt-get)
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)

echo "== dependencies"
bash tools/install-deps.sh

echo "== release build"
bash tools/configure.sh build -DCMAKE_BUILD_TYPE=Release
cmake --build build -j"$jobs"

echo "== tests (release)"
(cd build && ctest --output-on-failure -j"$jobs")

if [ "${EDDY_SKIP_FUZZ:-0}" != 1 ]; then
    echo "== fuzz campaign (libFuzzer, clang)"
    bash tools/fuzz.sh campaign
fi

if [ "${EDDY_SKIP_SANITIZERS:-0}" != 1 ]; then
    echo "== sanitizer build (ASan + UBSan)"
    bash tools/configure.sh build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DEDDY_SANITIZE=ON \
        -DEDDY_SIM_SEEDS=1-12
    cmake --build build-asan -j"$jobs"
    echo "== tests (sanitizers)"
    (cd build-asan && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure -j"$jobs")
fi
