// The rule of `eddy sim suite --planted-bug` (scenarios/scenario.h): a seed catches a planted bug
// only when the run fails with the checker that bug targets, and each bug needs 80% of the seeds.
#include <doctest/doctest.h>

#include "scenarios/scenario.h"

namespace eddy::scenarios {
namespace {

RunResult with(Verdict v) {
    RunResult r;
    r.verdict = std::move(v);
    return r;
}

TEST_CASE("planted bug: only the targeted checker catches it") {
    Scenario s;
    s.name = "example";
    s.planted_bug_checker = "acked-survive";
    CHECK(planted_bug_caught(s, with(Verdict::violation("acked-survive", "lost offset 7"))));
    CHECK_FALSE(planted_bug_caught(s, with(Verdict::ok("all fine"))));
    CHECK_FALSE(planted_bug_caught(
        s, with(Verdict::violation(checkers::run_timeout, "did not finish in 60 s"))));
    CHECK_FALSE(planted_bug_caught(s, with(Verdict::violation(checkers::liveness, "stalled"))));
    CHECK_FALSE(planted_bug_caught(s, with(Verdict::violation("never-offline", "offline"))));
}

TEST_CASE("planted bug: a Violation keeps the first checker that reported") {
    Violation v;
    CHECK(v.empty());
    v.report("no-duplicates", "'a' twice");
    v.report("acked-in-log", "'b' missing");
    CHECK_FALSE(v.empty());
    const Verdict verdict = Verdict::violation(v);
    CHECK_FALSE(verdict.pass);
    CHECK(verdict.checker == "no-duplicates");
    CHECK(verdict.message == "'a' twice");
}

TEST_CASE("planted bug: 80% of the seeds, rounded up") {
    CHECK(planted_catches_needed(10) == 8);
    CHECK(planted_catches_needed(1) == 1);
    CHECK(planted_catches_needed(5) == 4);
    CHECK(planted_catches_needed(30) == 24);
    CHECK(planted_catches_needed(11) == 9);
}

TEST_CASE("planted bug: every scenario targets a named safety checker") {
    for (const auto& s : all_scenarios()) {
        CAPTURE(s.name);
        CHECK_FALSE(s.planted_bug_checker.empty());
        CHECK(s.planted_bug_checker != checkers::run_timeout);
        CHECK(s.planted_bug_checker != checkers::liveness);
    }
}

}  // namespace
}  // namespace eddy::scenarios
