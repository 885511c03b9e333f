#!/usr/bin/env bash
# libFuzzer campaigns over the targets in tests/fuzz/*.cpp (tests/fuzz/README.md).
#
#   tools/fuzz.sh build                  clang build of every fuzz_<target> in build-fuzz/
#   tools/fuzz.sh build-all              the same folder, everything (eddy, eddy_tests, ...):
#                                        tools/test.sh runs the sanitizer ctest there
#   tools/fuzz.sh run [SECONDS] [TARGET...]
#                                        each target for SECONDS (default $EDDY_FUZZ_SECONDS or
#                                        10) from its corpus tests/fuzz/corpus/<target>; new
#                                        inputs go to build-fuzz/new-corpus/<target>, crashes to
#                                        build-fuzz/artifacts/; the repo corpus is not changed
#   tools/fuzz.sh merge [TARGET...]      merges build-fuzz/new-corpus/<target> into
#                                        tests/fuzz/corpus/<target> (only inputs that add
#                                        coverage), to be committed
#   tools/fuzz.sh campaign               build, then run (what tools/test.sh does)
#
# The build is ASan + UBSan + libFuzzer coverage at -O1 with line tables only: the cheapest that
# still finds and explains memory errors. A crash, sanitizer report, timeout (-timeout, default
# 60 s per input) or out-of-memory (-rss_limit_mb=4096) fails `run` and names the artifact; replay
# it with build-fuzz/tests/fuzz_<target> <artifact> (or build/tests/replay_<target> <artifact>).
set -euo pipefail
cd "$(dirname "$0")/.."

build_dir=build-fuzz
targets() {
    if [ $# -gt 0 ]; then
        printf '%s\n' "$@"
    else
        for f in tests/fuzz/*.cpp; do
            n=$(basename "$f" .cpp)
            [ "$n" = replay_main ] || echo "$n"
        done
    fi
}

configure() {
    local launcher=()
    if command -v ccache > /dev/null; then
        launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
    fi
    CC=clang CXX=clang++ bash tools/configure.sh "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only" -DEDDY_FUZZ=ON \
        -DEDDY_SIM_SEEDS=1-5 -DEDDY_SIM_DETERMINISM=OFF "${launcher[@]}"
}

build() {
    configure
    local t=()
    for n in $(targets); do
        t+=("fuzz_$n")
    done
    cmake --build "$build_dir" -j"$(nproc)" --target "${t[@]}"
}

# Everything: the fuzz targets and the whole project (eddy, eddy_tests, ...) with the same
# sanitizers, so one clang build serves the campaign and the sanitizer run of ctest.
build_all() {
    configure
    cmake --build "$build_dir" -j"$(nproc)"
}

run() {
    local seconds=${1:-${EDDY_FUZZ_SECONDS:-10}}
    [ $# -gt 0 ] && shift
    mkdir -p "$build_dir/artifacts"
    local failed=()
    for n in $(targets "$@"); do
        local new="$build_dir/new-corpus/$n"
        mkdir -p "$new"
        echo "-- fuzz_$n: ${seconds}s"
        # The new-inputs directory comes first: libFuzzer writes what it finds there.
        if ! ASAN_OPTIONS=detect_leaks=0 "$build_dir/tests/fuzz_$n" -max_total_time="$seconds" \
            -timeout=60 -rss_limit_mb=4096 -print_final_stats=1 \
            -artifact_prefix="$build_dir/artifacts/$n-" "$new" "tests/fuzz/corpus/$n" \
            > "$build_dir/artifacts/$n.log" 2>&1; then
            tail -n 60 "$build_dir/artifacts/$n.log"
            failed+=("$n")
        else
            grep -E '^stat::(number_of_executed_units|new_units_added)' \
                "$build_dir/artifacts/$n.log" | tr '\n' ' '
            echo
        fi
    done
    if [ ${#failed[@]} -gt 0 ]; then
        echo "fuzz campaign failed: ${failed[*]} (inputs in $build_dir/artifacts/)" >&2
        return 1
    fi
}

merge() {
    for n in $(targets "$@"); do
        local new="$build_dir/new-corpus/$n"
        [ -d "$new" ] || continue
        ASAN_OPTIONS=detect_leaks=0 "$build_dir/tests/fuzz_$n" -merge=1 -rss_limit_mb=4096 \
            "tests/fuzz/corpus/$n" "$new"
    done
}

cmd=${1:-campaign}
[ $# -gt 0 ] && shift
case "$cmd" in
    build) build ;;
    build-all) build_all ;;
    run) run "$@" ;;
    merge) merge "$@" ;;
    campaign)
        build
        run "$@"
        ;;
    *)
        echo "usage: $0 build | build-all | run [SECONDS] [TARGET...] | merge [TARGET...] | campaign" >&2
        exit 2
        ;;
esac
