// The fault schedule's text (scenarios/nemesis.h), which `eddy sim run --write-faults` writes and
// `--faults` and `eddy sim shrink` read back: a replay is faithful only if every field survives
// the round trip exactly (nanosecond times, lanes, own fibers, aims, wakes, sizes), and files
// written before lanes and sizes existed still read.
#include <doctest/doctest.h>

#include "scenarios/nemesis.h"

namespace eddy::scenarios {
namespace {

FaultSchedule example() {
    FaultSchedule s;
    s.phase_start = Duration::millis(2000);
    s.phase_end = Duration::nanos(25'865'352'528);
    s.size = {{"nodes", 5}, {"producers", 3}};
    FaultSpec disk;
    disk.at = Duration::nanos(2'936'000'001);
    disk.kind = "disk";
    disk.side_a = {"node-1"};
    disk.hold = Duration::nanos(1'050'478'895);
    disk.value = 39317;
    disk.mode = "read_errors";
    disk.lane = lane_main;
    disk.own = true;
    FaultSpec cut;
    cut.at = Duration::micros(4'370'478);
    cut.kind = "partition";
    cut.side_a = {"node-1", "node-2"};
    cut.side_b = {"node-3"};
    cut.hold = Duration::nanos(2'313'795'010);
    cut.lane = lane_swarm;
    cut.aim = "leader";
    FaultSpec wake;
    wake.at = Duration::micros(5'000'000);
    wake.kind = wake_kind;
    wake.lane = lane_swarm;
    s.faults = {disk, cut, wake};
    return s;
}

TEST_CASE("fault schedule: the text round-trips every field exactly") {
    const FaultSchedule s = example();
    const std::string text = s.to_text();
    CHECK(text.find("size nodes=5 producers=3\n") != std::string::npos);
    CHECK(text.find("at_us=2936000.001 ") != std::string::npos);
    CHECK(text.find("hold_us=1050478.895 ") != std::string::npos);
    CHECK(text.find("lane=main own=1") != std::string::npos);
    auto parsed = FaultSchedule::parse(text);
    REQUIRE(parsed.ok());
    const FaultSchedule& p = parsed.value();
    CHECK(p.to_text() == text);
    CHECK(p.phase_end == s.phase_end);
    CHECK(p.size == s.size);
    REQUIRE(p.faults.size() == 3);
    CHECK(p.faults[0].at == s.faults[0].at);
    CHECK(p.faults[0].hold == s.faults[0].hold);
    CHECK(p.faults[0].own);
    CHECK(p.faults[1].side_a == s.faults[1].side_a);
    CHECK(p.faults[1].aim == "leader");
    CHECK(!p.faults[1].own);
    CHECK(p.faults[2].kind == wake_kind);
    CHECK(p.fault_count() == 2);
}

TEST_CASE("fault schedule: lines without lanes or sizes still read") {
    auto parsed = FaultSchedule::parse(
        "phase start_us=0 end_us=3288119\n"
        "fault at_us=145355 kind=crash a=broker b=- hold_us=86546 value=0 mode=-\n");
    REQUIRE(parsed.ok());
    const FaultSchedule& p = parsed.value();
    CHECK(p.size.empty());
    REQUIRE(p.faults.size() == 1);
    CHECK(p.faults[0].lane.empty());
    CHECK(p.faults[0].hold == Duration::micros(86546));
}

TEST_CASE("fault schedule: malformed sizes and times are refused") {
    CHECK(!FaultSchedule::parse("phase start_us=0 end_us=1\nsize nodes=x\n").ok());
    CHECK(!FaultSchedule::parse("phase start_us=0 end_us=1\nsize nodes=-1\n").ok());
    CHECK(!FaultSchedule::parse("phase start_us=0 end_us=1.2345\n").ok());
    CHECK(!FaultSchedule::parse(
               "phase start_us=0 end_us=1\nfault at_us=1.x kind=crash hold_us=0 value=0\n")
               .ok());
}

TEST_CASE("fault schedule: a size named by the replay, kept within what the scenario allows") {
    FaultSchedule s;
    CHECK(schedule_size(nullptr, "nodes", 5, 3, 5) == 5);
    CHECK(schedule_size(&s, "nodes", 5, 3, 5) == 5);
    s.size["nodes"] = 4;
    CHECK(schedule_size(&s, "nodes", 5, 3, 5) == 4);
    s.size["nodes"] = 1;
    CHECK(schedule_size(&s, "nodes", 5, 3, 5) == 3);
    s.size["nodes"] = 9;
    CHECK(schedule_size(&s, "nodes", 5, 3, 5) == 5);
}

}  // namespace
}  // namespace eddy::scenarios
