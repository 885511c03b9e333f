// GroupManager (services/kafka/group_manager.h) against a real partition log, with the broker's
// part played by the test: which leader epoch this broker leads `__consumer_offsets-0` in, and
// whether an append reaches the ISR. What a coordinator serves must be what the log commits:
// not the records of an append that failed after it was written (a deposed leader's, which its
// next leader truncates), and not a state loaded in an earlier leadership (another leader wrote
// in between). Both were seen in the replication-failover scenario as one generation handed out
// twice.
#include "services/kafka/group_manager.h"

#include <doctest/doctest.h>

#include <memory>
#include <optional>

#include "tests/unit/log/log_test_util.h"

using namespace eddy;
using namespace eddy::kafka;

namespace {

const log::TopicPartition offsets_tp{offsets_topic, PartitionId(0)};

// This node's view of partition 0: the epoch it leads in (nullopt: it does not) and whether an
// append reaches the ISR (false: written here, then REQUEST_TIMED_OUT).
struct Leadership {
    std::optional<int32_t> epoch = 0;
    bool replicated = true;
};

std::unique_ptr<GroupManager> make_manager(log::test::LogRig& rig, Leadership& lead) {
    group::GroupConfig gc;
    return std::make_unique<GroupManager>(
        *rig.env, gc, 1,
        [&rig, &lead](int32_t) {
            GroupManager::Led led;
            if (lead.epoch) {
                led.log = rig.manager->get_shared(offsets_tp);
                led.leader_epoch = *lead.epoch;
            }
            return led;
        },
        [] { return true; },
        [&rig, &lead](int32_t, MutableByteSpan batch) {
            auto r = rig.manager->get(offsets_tp)->append(batch);
            return r.ok() && lead.replicated;
        });
}

protocol::OffsetCommitRequest commit(int64_t offset) {
    protocol::OffsetCommitRequest r;
    r.group_id_ = "g";
    r.generation_id_or_member_epoch_ = -1;  // an admin commit: the group has no members
    r.member_id_ = "";
    protocol::OffsetCommitRequest::OffsetCommitRequestTopic t;
    t.name_ = "t";
    protocol::OffsetCommitRequest::OffsetCommitRequestPartition p;
    p.partition_index_ = 0;
    p.committed_offset_ = offset;
    t.partitions_.push_back(p);
    r.topics_.push_back(t);
    return r;
}

// The committed offset of t-0 as the coordinator answers it, or the call's error.
Result<int64_t, int16_t> fetched(GroupManager& m) {
    protocol::OffsetFetchRequest r;
    r.group_id_ = "g";
    protocol::OffsetFetchRequest::OffsetFetchRequestTopic t;
    t.name_ = "t";
    t.partition_indexes_ = {0};
    r.topics_ = std::vector<protocol::OffsetFetchRequest::OffsetFetchRequestTopic>{t};
    auto resp = m.call("g", [&](group::GroupCoordinator& c, group::Now, group::Effects&) {
        return c.offset_fetch(r, 7);
    });
    if (!resp.ok()) {
        return fail(resp.error());
    }
    return resp->topics_.at(0).partitions_.at(0).committed_offset_;
}

int16_t committed(GroupManager& m, int64_t offset) {
    auto resp = m.call("g", [&](group::GroupCoordinator& c, group::Now n, group::Effects& fx) {
        return c.offset_commit(commit(offset), 8, n, fx);
    });
    return resp.ok() ? resp->topics_.at(0).partitions_.at(0).error_code_ : resp.error();
}

}  // namespace

TEST_CASE("group manager: an append that did not reach the ISR is not reloaded from the log") {
    log::test::LogRig rig(21);
    rig.open(log::test::manager_options());
    Leadership lead;
    rig.run([&] {
        REQUIRE(rig.manager->create(offsets_tp).ok());
        auto m = make_manager(rig, lead);
        m->start(true);
        CHECK(committed(*m, 42) == 0);
        lead.replicated = false;  // the ISR is gone: written here, never committed
        CHECK(committed(*m, 99) == kafka_error::coordinator_not_available);
        CHECK(rig.manager->get(offsets_tp)->log_end_offset() == Offset(2));
        // The coordinator reloads from the log, without the failed append's records.
        auto after = fetched(*m);
        REQUIRE(after.ok());
        CHECK(*after == 42);
        m->stop();
    });
}

TEST_CASE("group manager: a broker that leads the partition again reloads its coordinator") {
    log::test::LogRig rig(23);
    rig.open(log::test::manager_options());
    Leadership lead;
    Leadership other;  // another broker leading the same log (it replicated it) meanwhile
    other.epoch = 1;
    rig.run([&] {
        REQUIRE(rig.manager->create(offsets_tp).ok());
        auto m = make_manager(rig, lead);
        m->start(true);
        CHECK(committed(*m, 42) == 0);
        // Leadership moves away and the other leader commits 77; then it comes back.
        lead.epoch.reset();
        auto o = make_manager(rig, other);
        o->start(true);
        CHECK(committed(*o, 77) == 0);
        o->stop();
        lead.epoch = 2;
        auto after = fetched(*m);
        REQUIRE(after.ok());
        CHECK(*after == 77);  // not the 42 its coordinator held from epoch 0
        m->stop();
    });
}
