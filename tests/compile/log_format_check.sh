#!/bin/bash
# The Logger checks each printf-style format against its arguments at compile time
# (core/env/log.h). This compiles a call that matches (it must compile) and calls that do not
# (each must fail, naming log_format_does_not_match_its_arguments or the constant it needs).
# Usage: log_format_check.sh CXX SOURCE_DIR
set -u
cxx="$1"
src="$2"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/services/raft"
file="$work/services/raft/log_call.cpp"
cat >"$file" <<'CPP'
#include <cinttypes>
#include <cstddef>
#include <cstdint>
#include <string>
#include "core/env/log.h"
enum class Scoped { a };
void call(eddy::Logger& log, const std::string& s, const char* dynamic) {
    (void)s;
    (void)dynamic;
#if CASE == 0
    log.warn("%d %i %u %x %c %s %zu %" PRId64 " %.*s %p %5.2f %-8s %%", 1, 2, 3u, 4, 'c',
             s.c_str(), s.size(), int64_t{5}, 2, "ab", static_cast<const void*>(&s), 1.5, "x");
    log.info("no arguments");
#elif CASE == 1
    log.warn("%s", s);                 // a std::string, not a C string
#elif CASE == 2
    log.warn("%d %d", 1);              // too few arguments
#elif CASE == 3
    log.warn("%d", 1, 2);              // too many
#elif CASE == 4
    log.warn("%s", 5);                 // an int for %s
#elif CASE == 5
    log.warn("%d", int64_t{5});        // 64 bits for a 32-bit conversion
#elif CASE == 6
    log.warn("%zu", 5);                // 32 bits for size_t
#elif CASE == 7
    log.warn("%d", Scoped::a);         // a scoped enum
#elif CASE == 8
    log.warn("%n", static_cast<int*>(nullptr));
#elif CASE == 9
    log.warn("%f", 1);                 // an int for %f
#elif CASE == 10
    log.warn(dynamic);                 // not a constant format
#endif
}
CPP
failed=0
for c in 0 1 2 3 4 5 6 7 8 9 10; do
    if "$cxx" -std=c++20 -I"$src" -DCASE=$c -fsyntax-only "$file" 2>"$work/err"; then
        if [ $c -ne 0 ]; then
            echo "FAIL: case $c compiled: $(grep -m1 "CASE == $c" -A1 "$file" | tail -1)"
            failed=1
        fi
    else
        if [ $c -eq 0 ]; then
            echo "FAIL: the matching call did not compile:"
            head -20 "$work/err"
            failed=1
        elif ! grep -q "log_format_does_not_match_its_arguments\|not usable in a constant\|not a constant expression" "$work/err"; then
            echo "FAIL: case $c failed for another reason:"
            head -20 "$work/err"
            failed=1
        fi
    fi
done
[ $failed -eq 0 ] && echo "log format check: 1 matching call compiles, 10 mismatches refused"
exit $failed
