// Model-based property test: the partition log against a vector of batches. Random appends
// (waiting for durability or not), reads with random max bytes, truncations, rolls (segments are
// tiny), DeleteRecords, timestamp lookups, clean restarts and crashes (SimDisk's crash model: only
// synced data is guaranteed; unsynced writes may be lost or torn), on a disk whose reads sometimes
// return a flipped bit. After every step the log must
// serve exactly the model's batches; after a crash the log must be a prefix of the model that
// holds at least everything the log had called durable.
#include <doctest/doctest.h>
#include <rapidcheck.h>

#include "tests/unit/log/log_test_util.h"

using namespace eddy;
using namespace eddy::log;
using namespace eddy::log::test;

namespace {

const TopicPartition tp{"m", PartitionId(3)};

struct ModelBatch {
    Bytes bytes;  // as stored (offsets assigned)
    Offset base;
    Offset last;
    int64_t first_timestamp = 0;  // record j has first_timestamp + j
};

struct Model {
    std::vector<ModelBatch> batches;
    Offset log_start{0};
    Offset log_end{0};

    // Batches a reader can reach: those ending at or after the log start.
    std::vector<const ModelBatch*> reachable_from(Offset from) const {
        std::vector<const ModelBatch*> out;
        for (const auto& b : batches) {
            if (b.last >= from) {
                out.push_back(&b);
            }
        }
        return out;
    }
};

// rc::gen::inRange scales its range with the test size; the operation mix should not.
template <typename T>
T pick(T min, T max_exclusive) {
    return *rc::gen::resize(rc::kNominalSize, rc::gen::inRange<T>(min, max_exclusive));
}

void check_against_model(PartitionLog& log, const Model& m) {
    RC_ASSERT(!log.offline());
    RC_ASSERT(log.log_start_offset() == m.log_start);
    RC_ASSERT(log.log_end_offset() == m.log_end);
    const auto want = m.reachable_from(m.log_start);
    const auto got = read_all(log, m.log_start);
    RC_ASSERT(got.size() == want.size());
    for (size_t i = 0; i < got.size(); ++i) {
        RC_ASSERT(got[i] == want[i]->bytes);
    }
}

}  // namespace

TEST_CASE("property: the partition log equals a vector of batches, across restarts and crashes") {
    const bool ok = rc::check("log vs model", [] {
        const uint64_t seed = *rc::gen::arbitrary<uint64_t>();
        sim::DiskFaults faults;
        faults.latency_max = Duration::micros(*rc::gen::element(0, 0, 40));
        faults.crash_keep_unsynced_p = *rc::gen::element(0.0, 0.5, 1.0);
        faults.crash_lose_unsynced_p =
            faults.crash_keep_unsynced_p == 1.0 ? 0.0 : *rc::gen::element(0.0, 0.5);
        faults.crash_tear_p = *rc::gen::element(0.0, 0.5, 1.0);
        // Transient read faults: recovery and reads must see through them.
        faults.read_bit_flip_p = *rc::gen::element(0.0, 0.0, 0.02);
        LogConfig config;
        config.segment_bytes = *rc::gen::inRange<uint64_t>(150, 3000);
        config.index_interval_bytes = *rc::gen::inRange<uint64_t>(0, 600);
        config.flush_messages = *rc::gen::element<uint64_t>(1, 1, 6);
        LogRig rig(seed, faults);
        const auto options = manager_options(config);
        rig.open(options);
        rig.run([&] { RC_ASSERT(rig.manager->create(tp).ok()); });
        auto log = [&]() -> PartitionLog& { return *rig.manager->get(tp); };
        Model m;
        bool lost_unsynced = false;
        int crashes = 0;
        const int steps = pick(1, 70);
        for (int step = 0; step < steps; ++step) {
            const int op = pick(0, 100);
            if (op < 40) {  // append, waiting for the sync or not
                const int n = *rc::gen::inRange(1, 6);
                const size_t value = *rc::gen::inRange<size_t>(0, 300);
                const int64_t ts = *rc::gen::inRange<int64_t>(0, 100000);
                const bool wait = *rc::gen::arbitrary<bool>();
                rig.run([&] {
                    Bytes b = make_batch(n, value, ts, static_cast<uint64_t>(step));
                    auto r = wait ? log().append(b) : log().append_nowait(b);
                    if (b.size() > config.segment_bytes) {
                        RC_ASSERT(r.error() == LogError::record_list_too_large);
                        return;
                    }
                    RC_ASSERT(r.ok());
                    RC_ASSERT(r->base_offset == m.log_end);
                    if (wait && config.durable_acks()) {
                        RC_ASSERT(log().durable_offset() > r->last_offset);
                    }
                    m.batches.push_back({b, r->base_offset, r->last_offset, ts});
                    m.log_end = r->last_offset + 1;
                });
            } else if (op < 52) {  // read from any offset with a random byte budget
                if (m.log_end == m.log_start) {
                    continue;
                }
                const int64_t from =
                    *rc::gen::inRange<int64_t>(m.log_start.value(), m.log_end.value() + 1);
                const uint64_t max_bytes = *rc::gen::inRange<uint64_t>(1, 3000);
                rig.run([&] {
                    auto r =
                        log().read_copy(Offset(from), ReadOptions{max_bytes, ReadBound::log_end});
                    RC_ASSERT(r.ok());
                    const auto want = m.reachable_from(Offset(from));
                    size_t expected = 0;
                    uint64_t total = 0;
                    while (expected < want.size() &&
                           (expected == 0 || total + want[expected]->bytes.size() <= max_bytes)) {
                        total += want[expected]->bytes.size();
                        ++expected;
                    }
                    RC_ASSERT(r->batches.size() == expected);
                    size_t at = 0;
                    for (size_t i = 0; i < expected; ++i) {
                        const Bytes& w = want[i]->bytes;
                        RC_ASSERT(std::equal(w.begin(), w.end(),
                                             r->data.begin() + static_cast<std::ptrdiff_t>(at)));
                        at += w.size();
                    }
                });
            } else if (op < 60) {  // truncate (replication), keeping at least the first batch
                const auto reach = m.reachable_from(m.log_start);
                if (reach.empty()) {
                    continue;
                }
                const int64_t lo = reach.front()->last.value() + 1;
                const int64_t to = *rc::gen::inRange<int64_t>(lo, m.log_end.value() + 1);
                rig.run([&] { RC_ASSERT(log().truncate_to(Offset(to)).ok()); });
                while (!m.batches.empty() && m.batches.back().last >= Offset(to)) {
                    m.batches.pop_back();
                }
                m.log_end = m.batches.back().last + 1;
            } else if (op < 66) {
                rig.run([&] { RC_ASSERT(log().roll().ok()); });
            } else if (op < 72) {  // DeleteRecords
                const int64_t to =
                    *rc::gen::inRange<int64_t>(m.log_start.value(), m.log_end.value() + 1);
                rig.run([&] { RC_ASSERT(log().delete_records_before(Offset(to)).ok()); });
                m.log_start = std::max(m.log_start, Offset(to));
            } else if (op < 80) {  // ListOffsets by timestamp
                const int64_t target = *rc::gen::inRange<int64_t>(0, 100010);
                std::optional<Offset> want;
                for (const auto& b : m.batches) {
                    const int64_t n = b.last - b.base + 1;
                    for (int64_t j = 0; j < n && !want; ++j) {
                        if (b.base + j >= m.log_start && b.first_timestamp + j >= target) {
                            want = b.base + j;
                        }
                    }
                    if (want) {
                        break;
                    }
                }
                rig.run([&] {
                    auto r = log().offset_for_timestamp(record::TimestampMs(target));
                    RC_ASSERT(r.ok());
                    RC_ASSERT(r->has_value() == want.has_value());
                    if (want) {
                        RC_ASSERT((*r)->offset == *want);
                    }
                });
            } else if (op < 88) {  // clean restart
                rig.reopen(options);
            } else {  // crash: only what the log called durable must survive
                // Straight from the state, without running the node: the flusher may still
                // owe a sync for the last appends, which the crash then may lose.
                const Offset durable = log().durable_offset();
                const Offset end_before = m.log_end;
                rig.crash();
                rig.open(options);
                rig.run([&] {
                    RC_ASSERT(!log().offline());
                    const Offset end = log().log_end_offset();
                    RC_ASSERT(end >= durable);
                    size_t kept = 0;
                    while (kept < m.batches.size() && m.batches[kept].last < end) {
                        ++kept;
                    }
                    m.batches.resize(kept);
                    const Offset model_end =
                        m.batches.empty() ? m.log_start : m.batches.back().last + 1;
                    RC_ASSERT(end == std::max(model_end, m.log_start));
                    lost_unsynced = lost_unsynced || end < end_before;
                    ++crashes;
                    m.log_end = end;
                });
            }
            rig.run([&] { check_against_model(log(), m); });
        }
        rig.run([&] { RC_ASSERT(rig.manager->close().ok()); });
        RC_CLASSIFY(crashes > 0, "crashed");
        RC_CLASSIFY(lost_unsynced, "a crash lost unsynced batches");
    });
    CHECK(ok);
}
