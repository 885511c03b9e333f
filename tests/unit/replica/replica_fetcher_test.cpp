// ReplicaFetcher's answer to OFFSET_OUT_OF_RANGE: the leader's log start and high watermark are a
// peer's word, believed only when a real leader could have sent them.
#include "services/replica/replica_fetcher.h"

#include <doctest/doctest.h>
#include <rapidcheck.h>

#include <cstdint>

namespace eddy::replica {

using Kind = OutOfRangeAction::Kind;

TEST_CASE("replica fetcher: behind the leader's log start, the log restarts at it") {
    const auto a = on_offset_out_of_range(100, 150, Offset(0), Offset(40));
    CHECK(a.kind == Kind::restart_at);
    CHECK(a.offset == Offset(100));
}

TEST_CASE("replica fetcher: above the leader's high watermark, truncate to it, not below own start") {
    auto a = on_offset_out_of_range(0, 50, Offset(0), Offset(80));
    CHECK(a.kind == Kind::truncate_to);
    CHECK(a.offset == Offset(50));
    a = on_offset_out_of_range(0, 50, Offset(60), Offset(80));
    CHECK(a.kind == Kind::truncate_to);
    CHECK(a.offset == Offset(60));
}

TEST_CASE("replica fetcher: an impossible log start from the leader is not believed") {
    // Above the leader's own high watermark, negative, or at the end of the offset space.
    CHECK(on_offset_out_of_range(INT64_MAX, 10, Offset(0), Offset(5)).kind == Kind::back_off);
    CHECK(on_offset_out_of_range(INT64_MAX, -1, Offset(0), Offset(5)).kind == Kind::back_off);
    CHECK(on_offset_out_of_range(-7, 10, Offset(0), Offset(5)).kind == Kind::back_off);
    CHECK(on_offset_out_of_range(20, 10, Offset(0), Offset(5)).kind == Kind::back_off);
    // Nothing to do when this replica is neither behind the start nor ahead of the watermark.
    CHECK(on_offset_out_of_range(0, 10, Offset(0), Offset(5)).kind == Kind::back_off);
}

TEST_CASE("replica fetcher: whatever the leader says, the log never moves outside what it could hold") {
    const bool ok = rc::check("restart only at a start the leader could have; truncate only inside this log", [] {
        const int64_t leader_start = *rc::gen::arbitrary<int64_t>();
        const int64_t leader_hw = *rc::gen::arbitrary<int64_t>();
        const int64_t my_start = *rc::gen::inRange<int64_t>(0, 1'000'000);
        const int64_t my_end = my_start + *rc::gen::inRange<int64_t>(0, 1'000'000);
        const auto a = on_offset_out_of_range(leader_start, leader_hw, Offset(my_start), Offset(my_end));
        switch (a.kind) {
        case Kind::restart_at:
            RC_ASSERT(a.offset.value() >= 0);
            RC_ASSERT(a.offset.value() <= leader_hw);
            RC_ASSERT(a.offset.value() > my_end);
            break;
        case Kind::truncate_to:
            RC_ASSERT(a.offset.value() >= my_start);
            RC_ASSERT(a.offset.value() < my_end);
            break;
        case Kind::back_off:
            break;
        }
    });
    CHECK(ok);
}

}  // namespace eddy::replica
