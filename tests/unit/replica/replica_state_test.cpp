// ReplicaState: the high-watermark and ISR rules of one partition on one broker.
#include "services/replica/replica_state.h"

#include <doctest/doctest.h>
#include <rapidcheck.h>

#include <algorithm>

#include "core/base/random.h"
#include "core/protocol/error_codes.h"

namespace eddy::replica {
namespace {

Instant at(int64_t ms) { return Instant::from_nanos(Duration::millis(ms).to_nanos()); }

const Duration lag = Duration::seconds(10);
const auto anyone = [](int32_t) { return true; };

Assignment three(int32_t leader, std::vector<int32_t> isr, int32_t epoch = 1, int32_t pe = 1) {
    return Assignment{{1, 2, 3}, std::move(isr), leader, epoch, pe};
}

}  // namespace

TEST_CASE("replica state: the high watermark is the smallest end in the ISR") {
    ReplicaState s(1);
    CHECK(s.apply(three(1, {1, 2, 3}), Offset(0), Offset(0), at(0)));
    CHECK(s.is_leader());
    s.set_local_end(Offset(10));
    CHECK_FALSE(s.advance_high_watermark());  // followers not heard from: nothing moves
    CHECK(s.high_watermark() == Offset(0));
    CHECK(s.follower_fetched(2, Offset(7), Offset(10), at(1)));
    CHECK_FALSE(s.advance_high_watermark());  // 3 still unknown
    CHECK(s.follower_fetched(3, Offset(4), Offset(10), at(1)));
    CHECK(s.advance_high_watermark());
    CHECK(s.high_watermark() == Offset(4));
    CHECK(s.follower_fetched(3, Offset(10), Offset(10), at(2)));
    CHECK(s.advance_high_watermark());
    CHECK(s.high_watermark() == Offset(7));
    // The leader's own end bounds it too (its durable offset in durable mode).
    CHECK(s.follower_fetched(2, Offset(10), Offset(10), at(3)));
    s.set_local_end(Offset(9));  // never lowers what it reported
    CHECK(s.advance_high_watermark());
    CHECK(s.high_watermark() == Offset(10));
}

TEST_CASE("replica state: the high watermark never goes back while leading") {
    ReplicaState s(1);
    s.apply(three(1, {1, 2}), Offset(0), Offset(0), at(0));
    s.set_local_end(Offset(10));
    s.follower_fetched(2, Offset(8), Offset(10), at(1));
    CHECK(s.advance_high_watermark());
    CHECK(s.high_watermark() == Offset(8));
    // 3 joins the ISR (the controller committed it) while behind: nothing moves back.
    s.apply(three(1, {1, 2, 3}, 1, 2), Offset(10), Offset(8), at(2));
    s.follower_fetched(3, Offset(2), Offset(10), at(2));
    CHECK_FALSE(s.advance_high_watermark());
    CHECK(s.high_watermark() == Offset(8));
}

TEST_CASE("replica state: a new leader starts from its own high watermark and knows no follower") {
    ReplicaState s(2);
    CHECK_FALSE(s.apply(three(1, {1, 2, 3}), Offset(0), Offset(0), at(0)));
    CHECK(s.role() == Role::follower);
    s.set_follower_high_watermark(Offset(6), Offset(9));
    CHECK(s.high_watermark() == Offset(6));
    s.set_follower_high_watermark(Offset(12), Offset(9));
    CHECK(s.high_watermark() == Offset(9));  // never above what it has
    CHECK(s.apply(three(2, {2, 3}, 2, 2), Offset(9), Offset(6), at(5)));
    CHECK(s.leader_epoch_start() == Offset(9));
    CHECK(s.high_watermark() == Offset(6));
    s.set_local_end(Offset(9));
    CHECK_FALSE(s.advance_high_watermark());  // 3 not heard from in this epoch
    s.follower_fetched(3, Offset(9), Offset(9), at(6));
    CHECK(s.advance_high_watermark());
    CHECK(s.high_watermark() == Offset(9));
}

TEST_CASE("replica state: a follower behind for replica.lag.time.max.ms leaves the ISR") {
    ReplicaState s(1);
    s.apply(three(1, {1, 2, 3}), Offset(0), Offset(0), at(0));
    s.set_local_end(Offset(100));
    s.follower_fetched(2, Offset(100), Offset(100), at(1000));
    s.follower_fetched(3, Offset(50), Offset(100), at(1000));
    CHECK_FALSE(s.wanted_isr(at(9000), lag, anyone));  // 3 not yet behind for 10 s
    // 3 keeps fetching but never reaches the leader's end of its previous fetch.
    s.set_local_end(Offset(200));
    s.follower_fetched(3, Offset(60), Offset(200), at(10500));
    s.follower_fetched(2, Offset(200), Offset(200), at(10500));
    auto w = s.wanted_isr(at(10500), lag, anyone);
    REQUIRE(w);
    CHECK(*w == std::vector<int32_t>{1, 2});
    // A change in flight blocks another; the maximal ISR still counts 3 for the watermark.
    s.isr_change_sent(*w);
    CHECK_FALSE(s.wanted_isr(at(10600), lag, anyone));
    CHECK(s.maximal_isr() == std::vector<int32_t>{1, 2, 3});
    s.isr_change_done(three(1, {1, 2}, 1, 2));
    CHECK(s.assignment().isr == std::vector<int32_t>{1, 2});
    CHECK(s.assignment().partition_epoch == 2);
    CHECK(s.high_watermark() == Offset(200));  // 3 no longer holds it back
    // The image catches up with the same state later: nothing changes, nothing asserts.
    CHECK_FALSE(s.apply(three(1, {1, 2}, 1, 2), Offset(200), Offset(200), at(10700)));
    // An older image (before the change) arriving late is ignored.
    CHECK_FALSE(s.apply(three(1, {1, 2, 3}, 1, 1), Offset(200), Offset(200), at(10800)));
    CHECK(s.assignment().isr == std::vector<int32_t>{1, 2});
}

TEST_CASE("replica state: a completed reassignment drops an ISR change naming a removed replica") {
    // Replicas [1,2,3,4] while 4 is being removed and 3 added; the AlterPartition that put 3 in
    // the ISR also completed the reassignment, but its answer carries no replica list, so the
    // leader, still counting 4 as a replica, asks for 4 back in the ISR. Once the image shows 4
    // gone, that change (which the controller refuses) no longer holds the watermark back
    // (replication-reassign seed 2: the watermark stuck at the end 4's log had when deleted).
    ReplicaState s(1);
    CHECK(s.apply(Assignment{{1, 2, 3, 4}, {1, 2, 4}, 1, 1, 1}, Offset(0), Offset(0), at(0)));
    s.set_local_end(Offset(100));
    s.follower_fetched(2, Offset(100), Offset(100), at(1));
    s.follower_fetched(3, Offset(100), Offset(100), at(1));
    s.follower_fetched(4, Offset(40), Offset(100), at(1));
    s.isr_change_sent({1, 2, 4, 3});
    s.isr_change_done(Assignment{{}, {1, 2, 3}, 1, 1, 2});  // completed: 4 left the ISR
    CHECK(s.assignment().isr == std::vector<int32_t>{1, 2, 3});
    s.follower_fetched(4, Offset(100), Offset(100), at(2));
    auto w = s.wanted_isr(at(2), lag, anyone);
    REQUIRE(w);  // 4 caught up and is still a replica as far as this leader knows
    s.isr_change_sent(*w);
    s.set_local_end(Offset(150));
    s.follower_fetched(2, Offset(150), Offset(150), at(3));
    s.follower_fetched(3, Offset(150), Offset(150), at(3));
    // The image: replicas [1,2,3] at the partition epoch of the completing change.
    CHECK_FALSE(s.apply(Assignment{{1, 2, 3}, {1, 2, 3}, 1, 1, 2}, Offset(150), Offset(100), at(4)));
    CHECK(s.maximal_isr() == std::vector<int32_t>{1, 2, 3});
    CHECK(s.high_watermark() == Offset(150));
}

TEST_CASE("replica state: a follower that reached the high watermark and the epoch start rejoins") {
    ReplicaState s(1);
    s.apply(three(1, {1, 2}), Offset(20), Offset(20), at(0));
    s.set_local_end(Offset(30));
    s.follower_fetched(2, Offset(30), Offset(30), at(1));
    s.advance_high_watermark();
    CHECK(s.high_watermark() == Offset(30));
    s.follower_fetched(3, Offset(25), Offset(30), at(1));
    CHECK_FALSE(s.wanted_isr(at(2), lag, anyone));  // below the high watermark
    s.follower_fetched(3, Offset(30), Offset(30), at(3));
    CHECK_FALSE(s.wanted_isr(at(3), lag, [](int32_t id) { return id != 3; }));  // fenced (KIP-841)
    auto w = s.wanted_isr(at(3), lag, anyone);
    REQUIRE(w);
    CHECK(*w == std::vector<int32_t>{1, 2, 3});
    // Definitely not applied (INELIGIBLE_REPLICA): nothing changes and it may be asked again.
    s.isr_change_sent(*w);
    s.isr_change_done(fail(kafka_error::ineligible_replica));
    CHECK(s.assignment().isr == std::vector<int32_t>{1, 2});
    CHECK_FALSE(s.isr_change_in_flight());
    CHECK(s.wanted_isr(at(4), lag, anyone));
}

TEST_CASE("replica state: a change whose outcome is unknown stays in flight until the image says") {
    // Leader 1 with ISR {1}; 2 has caught up and 1 asks for {1, 2}.
    ReplicaState s(1);
    s.apply(three(1, {1}, 1, 5), Offset(10), Offset(10), at(0));
    s.set_local_end(Offset(10));
    s.follower_fetched(2, Offset(10), Offset(10), at(1));
    auto w = s.wanted_isr(at(1), lag, anyone);
    REQUIRE(w);
    CHECK(*w == std::vector<int32_t>{1, 2});
    s.isr_change_sent(*w);
    // The controller committed it, then fenced 1 and made 2 leader; the answer shows the later
    // state. 1 must not fall back to {1}: 2 may lead without what 1 writes now.
    s.isr_change_done(Assignment{{1, 2, 3}, {2}, 2, 2, 7});
    CHECK(s.isr_change_in_flight());
    CHECK(s.maximal_isr() == std::vector<int32_t>{1, 2});
    s.set_local_end(Offset(15));
    CHECK_FALSE(s.advance_high_watermark());  // 2 stopped fetching at 10
    CHECK(s.high_watermark() == Offset(10));
    CHECK_FALSE(s.wanted_isr(at(2), lag, anyone));  // nothing to send: it was answered
    // The image makes it a follower.
    CHECK_FALSE(s.apply(Assignment{{1, 2, 3}, {2}, 2, 2, 7}, Offset(15), Offset(10), at(3)));
    CHECK_FALSE(s.isr_change_in_flight());

    // No answer at all (the controller unreachable): the same change is sent again, and the
    // image past its partition epoch settles it.
    ReplicaState t(1);
    t.apply(three(1, {1}, 1, 5), Offset(10), Offset(10), at(0));
    t.follower_fetched(2, Offset(10), Offset(10), at(1));
    w = t.wanted_isr(at(1), lag, anyone);
    REQUIRE(w);
    t.isr_change_sent(*w);
    t.isr_change_done(fail(kafka_error::request_timed_out));
    CHECK(t.isr_change_in_flight());
    CHECK(t.maximal_isr() == std::vector<int32_t>{1, 2});
    const auto again = t.wanted_isr(at(2), lag, anyone);
    REQUIRE(again);
    CHECK(*again == *w);
    t.isr_change_sent(*again);
    t.isr_change_done(fail(kafka_error::invalid_update_version));  // the first one was applied
    CHECK(t.isr_change_in_flight());
    CHECK_FALSE(t.wanted_isr(at(3), lag, anyone) == std::nullopt);  // asked until the image says
    t.apply(three(1, {1, 2}, 1, 6), Offset(10), Offset(10), at(4));
    CHECK_FALSE(t.isr_change_in_flight());
    CHECK(t.assignment().isr == std::vector<int32_t>{1, 2});
}

TEST_CASE("replica state: fetches from outside the replicas are refused") {
    ReplicaState s(1);
    s.apply(three(1, {1, 2, 3}), Offset(0), Offset(0), at(0));
    CHECK_FALSE(s.follower_fetched(7, Offset(0), Offset(0), at(1)));
}

TEST_CASE("property: the high watermark never passes an ISR member's end and never goes back") {
    const bool ok = rc::check("replica state under random fetches and ISR changes", [] {
        Random rng(*rc::gen::arbitrary<uint64_t>());
        ReplicaState s(1);
        int32_t pe = 1;
        Assignment a{{1, 2, 3}, {1, 2, 3}, 1, 1, pe};
        s.apply(a, Offset(0), Offset(0), at(0));
        // The controller's ISR: any member of it may be elected, so the watermark must never
        // pass its end, whatever the leader heard back.
        std::vector<int32_t> controller_isr = a.isr;
        bool image_behind = false;  // a committed change the leader has not heard of
        int64_t leader_end = 0;
        std::map<int32_t, int64_t> ends{{2, 0}, {3, 0}};
        std::map<int32_t, bool> heard{{2, false}, {3, false}};
        Offset last_hw = s.high_watermark();
        int64_t now = 0;
        const int steps = *rc::gen::inRange(1, 300);
        for (int i = 0; i < steps; ++i) {
            now += static_cast<int64_t>(rng.below(2000));
            switch (rng.below(4)) {
                case 0:
                    leader_end += static_cast<int64_t>(rng.below(10));
                    s.set_local_end(Offset(leader_end));
                    break;
                case 1: {
                    const auto f = static_cast<int32_t>(2 + rng.below(2));
                    ends[f] = std::min<int64_t>(
                        leader_end, ends[f] + static_cast<int64_t>(rng.below(12)));
                    heard[f] = true;
                    RC_ASSERT(s.follower_fetched(f, Offset(ends[f]), Offset(leader_end), at(now)));
                    break;
                }
                case 2:
                    if (auto w = s.wanted_isr(at(now), lag, anyone)) {
                        RC_ASSERT(std::find(w->begin(), w->end(), 1) != w->end());
                        s.isr_change_sent(*w);
                        // The controller applies it unless its view moved on (the image is
                        // behind: a stale partition epoch).
                        const bool stale = image_behind;
                        const bool applied = !stale && rng.chance(0.7);
                        if (applied) {
                            controller_isr = *w;
                            ++pe;
                        }
                        Assignment c = s.assignment();
                        c.isr = controller_isr;
                        c.partition_epoch = pe;
                        switch (rng.below(3)) {
                            case 0:
                                s.isr_change_done(
                                    applied ? Result<Assignment, int16_t>(c)
                                            : fail(stale ? kafka_error::invalid_update_version
                                                         : kafka_error::ineligible_replica));
                                break;
                            case 1:  // the answer is lost
                                s.isr_change_done(fail(kafka_error::request_timed_out));
                                image_behind = image_behind || applied;
                                break;
                            default:  // the answer shows a later leadership's state
                                c.leader = 2;
                                ++c.leader_epoch;
                                s.isr_change_done(c);
                                image_behind = image_behind || applied;
                                break;
                        }
                    }
                    break;
                case 3:
                    // The image catches up with the controller.
                    if (image_behind) {
                        Assignment c = s.assignment();
                        c.isr = controller_isr;
                        c.partition_epoch = pe;
                        s.apply(c, Offset(leader_end), s.high_watermark(), at(now));
                        image_behind = false;
                    }
                    break;
                default:
                    break;
            }
            s.advance_high_watermark();
            const Offset hw = s.high_watermark();
            RC_ASSERT(hw >= last_hw);
            RC_ASSERT(hw <= Offset(leader_end) || hw == Offset(0));
            if (hw > last_hw) {
                // It moved: every member of the ISR it was computed over has it, and so does
                // every member of the controller's (the ones that may be elected next).
                for (int32_t r : s.maximal_isr()) {
                    if (r != 1) {
                        RC_ASSERT(heard[r]);
                        RC_ASSERT(Offset(ends[r]) >= hw);
                    }
                }
                for (int32_t r : controller_isr) {
                    if (r != 1) {
                        RC_ASSERT(Offset(ends[r]) >= hw);
                    }
                }
            }
            last_hw = hw;
        }
    });
    CHECK(ok);
}

}  // namespace eddy::replica
