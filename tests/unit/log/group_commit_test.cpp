// Durability: group commit shares syncs between concurrent appenders, an append returns only
// after a sync covering it, page-cache mode syncs by flush.messages / flush.ms, and a failed sync
// crashes the node (never retried).
#include <doctest/doctest.h>

#include "tests/unit/log/log_test_util.h"

using namespace eddy;
using namespace eddy::log;
using namespace eddy::log::test;

namespace {
const TopicPartition tp{"t", PartitionId(0)};
}

TEST_CASE("group commit: N concurrent appenders share far fewer syncs than appends") {
    sim::DiskFaults faults;
    faults.latency_max = Duration::micros(5);  // writes: the page cache
    LogRig rig(7, faults);
    rig.counting.sync_latency = Duration::millis(2);  // fsync: the device
    rig.open(manager_options());
    PartitionLog* log = nullptr;
    rig.run([&] { log = *rig.manager->create(tp); });
    const uint64_t syncs_before = rig.counting.file_syncs;
    constexpr int appenders = 16;
    constexpr int per_appender = 50;
    int done = 0;
    int acked_durable = 0;
    rig.run([&] {
        std::vector<FiberRef> fibers;
        for (int a = 0; a < appenders; ++a) {
            fibers.push_back(rig.env->scheduler.spawn("appender", [&, a] {
                for (int i = 0; i < per_appender; ++i) {
                    Bytes b = make_batch(2, 200, i, static_cast<uint64_t>(a));
                    auto r = log->append(b);
                    REQUIRE(r.ok());
                    // Acknowledged only once a sync covers it.
                    if (log->durable_offset() > r->last_offset) {
                        ++acked_durable;
                    }
                }
                ++done;
            }));
        }
        for (auto& f : fibers) {
            (void)f.join();
        }
    });
    const uint64_t syncs = rig.counting.file_syncs - syncs_before;
    MESSAGE("appends=" << appenders * per_appender << " syncs=" << syncs);
    CHECK(done == appenders);
    CHECK(acked_durable == appenders * per_appender);
    CHECK(log->stats().appends == appenders * per_appender);
    CHECK(syncs * 5 < static_cast<uint64_t>(appenders * per_appender));
    CHECK(log->log_end_offset() == Offset(2 * appenders * per_appender));
}

TEST_CASE("group commit: durability survives a crash right after the acknowledgement") {
    sim::DiskFaults faults;
    faults.crash_keep_unsynced_p = 0;  // the crash drops every unsynced write
    faults.crash_lose_unsynced_p = 1;
    faults.latency_max = Duration::micros(100);
    LogRig rig(3, faults);
    rig.open(manager_options());
    std::vector<Bytes> acked;
    rig.run([&] {
        PartitionLog* log = *rig.manager->create(tp);
        for (int i = 0; i < 30; ++i) {
            Bytes b = make_batch(1, 100, i);
            REQUIRE(log->append(b).ok());
            acked.push_back(b);
        }
    });
    rig.crash();
    rig.open(manager_options());
    rig.run([&] {
        auto got = read_all(*rig.manager->get(tp), Offset(0));
        REQUIRE(got.size() == acked.size());
        for (size_t i = 0; i < got.size(); ++i) {
            CHECK(got[i] == acked[i]);
        }
    });
}

TEST_CASE("page-cache mode: acknowledged before the sync; syncs after flush.messages or flush.ms") {
    LogRig rig(5);
    LogConfig c;
    c.flush_messages = 10;
    c.flush_ms = Duration::millis(500);
    rig.open(manager_options(c));
    rig.run([&] {
        PartitionLog* log = *rig.manager->create(tp);
        for (int i = 0; i < 9; ++i) {
            Bytes b = make_batch(1, 10, i);
            REQUIRE(log->append(b).ok());
        }
        rig.env->scheduler.yield();
        CHECK(log->durable_offset() == Offset(0));  // 9 records: below flush.messages
        Bytes b = make_batch(1, 10, 9);
        REQUIRE(log->append(b).ok());
        rig.env->scheduler.sleep_for(Duration::millis(1));
        CHECK(log->durable_offset() == Offset(10));  // the 10th record triggered a sync
        Bytes b2 = make_batch(1, 10, 10);
        REQUIRE(log->append(b2).ok());
        rig.env->scheduler.sleep_for(Duration::millis(100));
        CHECK(log->durable_offset() == Offset(10));
        rig.env->scheduler.sleep_for(Duration::millis(500));
        CHECK(log->durable_offset() == Offset(11));  // flush.ms passed
    });
}

TEST_CASE("a failed sync crashes the node; recovery keeps what was synced") {
    LogRig rig(11);
    rig.open(manager_options());
    rig.run([&] {
        PartitionLog* log = *rig.manager->create(tp);
        Bytes b = make_batch(1, 10, 0);
        REQUIRE(log->append(b).ok());
    });
    sim::DiskFaults f;
    f.sync_error_p = 1.0;
    rig.disk.set_faults(f);
    const bool finished = rig.run([&] {
        Bytes b = make_batch(1, 10, 1);
        (void)rig.manager->get(tp)->append(b);
    });
    CHECK(!finished);  // the append never returned: the node died first
    CHECK(rig.process.crashed);
    CHECK(rig.process.reason.find(".log") != std::string::npos);
    rig.disk.set_faults(sim::DiskFaults{});
    rig.crash();
    rig.open(manager_options());
    rig.run([&] {
        PartitionLog* log = rig.manager->get(tp);
        CHECK(log->log_end_offset() >= Offset(1));
        CHECK(read_all(*log, Offset(0)).size() ==
              static_cast<size_t>(log->log_end_offset().value()));
    });
}
