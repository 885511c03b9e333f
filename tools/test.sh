#!/usr/bin/env bash
# The whole test suite, from a fresh Debian bookworm machine:
#  1. installs the packages (tools/install-deps.sh),
#  2. Release build, then ctest: unit tests and properties, fuzz corpora replayed, the simulation
#     seed sweep with the determinism check, planted bugs, the layering lint,
#  3. one clang build with ASan + UBSan + libFuzzer coverage in build-fuzz/ (tools/fuzz.sh), then
#     a bounded libFuzzer campaign: each fuzz target for $EDDY_FUZZ_SECONDS (default 10) from
#     its corpus in tests/fuzz/corpus,
#  4. ctest in that same build: the unit tests, the integration tests and a shorter seed sweep
#     (one run per seed; the Release sweep checks determinism) under the sanitizers; benchmarks
#     and the tests labelled release run in step 2 only.
# Set EDDY_SKIP_FUZZ=1 / EDDY_SKIP_SANITIZERS=1 to skip the campaign / the sanitizer tests while
# iterating (both: no clang build). build/ is the
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

if [ "${EDDY_SKIP_FUZZ:-0}" != 1 ] || [ "${EDDY_SKIP_SANITIZERS:-0}" != 1 ]; then
    # One clang build with ASan + UBSan + libFuzzer coverage serves both the fuzz campaign and
    # the sanitizer run of the tests (a second sanitizer build would cost CI ten minutes).
    echo "== sanitizer build (clang: ASan + UBSan + fuzzer coverage, build-fuzz/)"
    bash tools/fuzz.sh build-all
fi

if [ "${EDDY_SKIP_FUZZ:-0}" != 1 ]; then
    echo "== fuzz campaign (libFuzzer)"
    bash tools/fuzz.sh run
fi

if [ "${EDDY_SKIP_SANITIZERS:-0}" != 1 ]; then
    echo "== tests (sanitizers)"
    # -LE: benchmarks (speed under ASan means nothing) and the simulator-product tests labelled
    # release (tests/CMakeLists.txt) run in the Release pass only.
    (cd build-fuzz && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure -j"$jobs" -LE 'bench|release')
fi
