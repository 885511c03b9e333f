// Compaction: the latest record per key survives, older ones go, tombstones go once
// delete.retention.ms passed since the first cleaning that saw them (KIP-534 delete horizons),
// the cleaner offset is checkpointed, appends continue meanwhile, and a crash at any point of a
// cleaning pass leaves a log that is a valid compaction of the original.
#include <doctest/doctest.h>

#include <map>

#include "services/log/batch_filter.h"
#include "tests/unit/log/log_test_util.h"

using namespace eddy;
using namespace eddy::log;
using namespace eddy::log::test;

namespace {

const TopicPartition tp{"c", PartitionId(0)};

LogConfig compacted(uint64_t segment_bytes = 600) {
    LogConfig c;
    c.cleanup_policy = CleanupPolicy::compact;
    c.segment_bytes = segment_bytes;
    c.index_interval_bytes = 100;
    c.delete_retention = Duration::hours(1);
    c.min_cleanable_dirty_ratio = 0.0;
    return c;
}

struct Seen {
    Offset offset;
    std::optional<std::string> value;
};

// Every (key -> records in offset order) the log serves.
std::map<std::string, std::vector<Seen>> contents(PartitionLog& log) {
    std::map<std::string, std::vector<Seen>> out;
    for (const Bytes& b : read_all(log, log.log_start_offset())) {
        auto view = record::RecordBatchView::parse(b).value();
        REQUIRE(
            view.validate(record::ValidateOptions{true, record::OffsetDeltas::increasing}).ok());
        auto records = record::BatchRecords::open(view).value();
        for (const auto& r : records.decode_all().value()) {
            std::optional<std::string> v;
            if (r.value) {
                v = std::string(as_chars(*r.value));
            }
            out[std::string(as_chars(*r.key))].push_back({view.record_offset(r), v});
        }
    }
    return out;
}

}  // namespace

TEST_CASE("batch filter: keeps offsets and timestamps of the kept records, fresh CRC, any codec") {
    for (auto codec : {record::Codec::none, record::Codec::gzip, record::Codec::zstd}) {
        record::BatchBuilderOptions o;
        o.compression = codec;
        o.base_offset = Offset(100);
        record::RecordBatchBuilder b(o);
        for (int i = 0; i < 6; ++i) {
            std::string k = "k" + std::to_string(i % 3);
            std::string v = "v" + std::to_string(i);
            b.append(record::TimestampMs(1000 + i), as_bytes(k), as_bytes(v));
        }
        Bytes batch = b.build();
        auto view = record::RecordBatchView::parse(batch).value();
        auto f = filter_batch(
            view, [](const record::Record&, Offset off) { return off.value() % 2 == 1; });
        REQUIRE(f.ok());
        CHECK(f->kept == 3);
        CHECK(f->removed == 3);
        REQUIRE(f->rewritten.has_value());
        auto out = record::RecordBatchView::parse(*f->rewritten).value();
        CHECK(out.validate(record::ValidateOptions{true, record::OffsetDeltas::increasing}).ok());
        CHECK(out.base_offset() == Offset(100));
        CHECK(out.last_offset() == Offset(105));
        CHECK(out.compression() == codec);
        auto recs = record::BatchRecords::open(out).value();
        auto all = recs.decode_all().value();
        REQUIRE(all.size() == 3);
        for (size_t i = 0; i < all.size(); ++i) {
            CHECK(out.record_offset(all[i]) == Offset(101 + 2 * static_cast<int64_t>(i)));
            CHECK(out.record_timestamp(all[i]) ==
                  record::TimestampMs(1001 + 2 * static_cast<int64_t>(i)));
        }
        auto none = filter_batch(view, [](const record::Record&, Offset) { return false; });
        CHECK(none->rewritten->empty());
        auto every = filter_batch(view, [](const record::Record&, Offset) { return true; });
        CHECK(!every->rewritten.has_value());
    }
}

TEST_CASE("batch filter: stamps a KIP-534 delete horizon on a batch that keeps a tombstone") {
    for (auto codec : {record::Codec::none, record::Codec::gzip, record::Codec::zstd}) {
        CAPTURE(static_cast<int>(codec));
        record::BatchBuilderOptions o;
        o.compression = codec;
        o.base_offset = Offset(40);
        record::RecordBatchBuilder b(o);
        b.append(record::TimestampMs(1000), as_bytes(std::string("a")), as_bytes(std::string("1")));
        b.append(record::TimestampMs(900), as_bytes(std::string("b")), std::nullopt);
        b.append(record::TimestampMs(1200), as_bytes(std::string("c")), as_bytes(std::string("3")));
        Bytes batch = b.build();
        auto view = record::RecordBatchView::parse(batch).value();
        REQUIRE(!view.has_delete_horizon());
        const record::TimestampMs horizon(5'000'000);
        auto keep_all = [](const record::Record&, Offset) { return true; };
        auto f = filter_batch(view, keep_all, FilterOptions{horizon});
        REQUIRE(f.ok());
        CHECK(f->kept == 3);
        CHECK(f->kept_tombstones == 1);
        CHECK(f->delete_horizon == horizon);
        REQUIRE(f->rewritten.has_value());  // nothing removed, but stamped
        auto out = record::RecordBatchView::parse(*f->rewritten).value();
        CHECK(out.validate(record::ValidateOptions{true, record::OffsetDeltas::increasing}).ok());
        CHECK(out.has_delete_horizon());
        CHECK(out.base_timestamp() == horizon);
        CHECK(out.max_timestamp() == view.max_timestamp());
        CHECK(out.compression() == codec);
        auto all = record::BatchRecords::open(out).value().decode_all().value();
        REQUIRE(all.size() == 3);
        CHECK(out.record_timestamp(all[0]) == record::TimestampMs(1000));
        CHECK(out.record_timestamp(all[1]) == record::TimestampMs(900));
        CHECK(out.record_timestamp(all[2]) == record::TimestampMs(1200));
        CHECK(out.record_offset(all[2]) == Offset(42));
        // Stamped once: a later pass keeps the first horizon.
        auto again = filter_batch(out, keep_all, FilterOptions{record::TimestampMs(9'000'000)});
        CHECK(!again->rewritten.has_value());
        CHECK(again->delete_horizon == horizon);
        // Without a kept tombstone nothing is stamped.
        auto no_tombstone = filter_batch(
            view, [](const record::Record& r, Offset) { return r.value.has_value(); },
            FilterOptions{horizon});
        REQUIRE(no_tombstone->rewritten.has_value());
        auto plain = record::RecordBatchView::parse(*no_tombstone->rewritten).value();
        CHECK(!plain.has_delete_horizon());
        CHECK(plain.base_timestamp() == view.base_timestamp());
    }
}

TEST_CASE(
    "compaction keeps a tombstone delete.retention.ms from the first cleaning that saw it "
    "(KIP-534), whatever its timestamp") {
    LogRig rig(3);
    rig.open(manager_options(compacted()));
    rig.run([&] {
        PartitionLog& log = **rig.manager->create(tp);
        const int64_t now = rig.clock.wall_now().to_millis();
        const int64_t old = now - Duration::hours(24 * 10).to_millis();  // ten days ago
        Bytes v = make_keyed("gone", std::string("value"), old);
        Bytes t = make_keyed("gone", std::nullopt, old + 1);
        Bytes other = make_keyed("kept", std::string("x"), old + 2);
        REQUIRE(log.append(v).ok());
        REQUIRE(log.append(t).ok());
        REQUIRE(log.append(other).ok());
        REQUIRE(log.roll().ok());
        auto tombstone_batch = [&]() -> std::optional<Bytes> {
            for (const Bytes& b : read_all(log, log.log_start_offset())) {
                auto view = record::RecordBatchView::parse(b).value();
                auto all = record::BatchRecords::open(view).value().decode_all().value();
                if (!all.empty() && std::string(as_chars(*all[0].key)) == "gone") {
                    return b;
                }
            }
            return std::nullopt;
        };

        // The first pass drops the superseded value but keeps the tombstone, although its
        // timestamp is far older than delete.retention.ms (1 h), and stamps its horizon.
        const int64_t cleaned_at = rig.clock.wall_now().to_millis();
        log.set_high_watermark(log.log_end_offset());  // all committed
        auto r = Cleaner::clean(log);
        REQUIRE(r.ok());
        CHECK(r->records_removed == 1);
        CHECK(r->tombstones_removed == 0);
        auto stamped = tombstone_batch();
        REQUIRE(stamped.has_value());
        auto view = record::RecordBatchView::parse(*stamped).value();
        CHECK(view.has_delete_horizon());
        CHECK(view.base_timestamp() ==
              record::TimestampMs(cleaned_at + Duration::hours(1).to_millis()));
        auto recs = record::BatchRecords::open(view).value().decode_all().value();
        REQUIRE(recs.size() == 1);
        CHECK(!recs[0].value.has_value());
        CHECK(view.record_timestamp(recs[0]) == record::TimestampMs(old + 1));  // unchanged

        // Before the horizon nothing is due: no pass (nothing dirty either), the tombstone stays.
        rig.env->scheduler.sleep_for(Duration::minutes(59));
        CHECK(!Cleaner::tombstones_due(log));
        log.set_high_watermark(log.log_end_offset());  // all committed
        r = Cleaner::clean(log);
        REQUIRE(r.ok());
        CHECK(!r->cleaned);
        CHECK(tombstone_batch().has_value());

        // Past it, the cleaner runs although nothing new was written, and drops it.
        rig.env->scheduler.sleep_for(Duration::minutes(2));
        CHECK(Cleaner::tombstones_due(log));
        CHECK(Cleaner::dirty_ratio(log) == 0.0);
        log.set_high_watermark(log.log_end_offset());  // all committed
        r = Cleaner::clean(log);
        REQUIRE(r.ok());
        CHECK(r->cleaned);
        CHECK(r->tombstones_removed == 1);
        CHECK(!tombstone_batch().has_value());
        CHECK(!Cleaner::tombstones_due(log));
        auto seen = contents(log);
        CHECK(seen.size() == 1);
        CHECK(seen["kept"].back().value == "x");
    });
}

TEST_CASE(
    "the cleaner offset is checkpointed: a restart does not clean the log again, a "
    "truncation lowers it, an entry past the log end is reset") {
    LogRig rig(5);
    rig.open(manager_options(compacted()));
    const std::string checkpoint = "data/cleaner-offset-checkpoint";
    Offset cleaned_to;
    rig.run([&] {
        PartitionLog& log = **rig.manager->create(tp);
        for (int i = 0; i < 40; ++i) {
            Bytes b = make_keyed("k" + std::to_string(i % 5), "v" + std::to_string(i), i);
            REQUIRE(log.append(b).ok());
        }
        REQUIRE(log.roll().ok());
        CHECK(log.cleaner_offset() == Offset(0));
        CHECK(Cleaner::dirty_ratio(log) == 1.0);
        log.set_high_watermark(log.log_end_offset());  // all committed
        REQUIRE(rig.manager->run_cleaner_once().ok());
        cleaned_to = log.segment_base_offsets().back();
        CHECK(log.cleaner_offset() == cleaned_to);
        CHECK(Cleaner::dirty_ratio(log) == 0.0);
    });
    auto text = rig.disk.contents(checkpoint);
    REQUIRE(text.has_value());
    CHECK(std::string(as_chars(*text)) == "0\n1\nc 0 " + std::to_string(cleaned_to.value()) + "\n");

    rig.reopen(manager_options(compacted()));
    rig.run([&] {
        PartitionLog& log = *rig.manager->get(tp);
        CHECK(log.cleaner_offset() == cleaned_to);
        CHECK(Cleaner::dirty_ratio(log) == 0.0);  // not "everything is dirty" after a restart
        const uint64_t writes = rig.counting.writes;
        log.set_high_watermark(log.log_end_offset());  // all committed
        auto r = Cleaner::clean(log, /*force=*/true);
        REQUIRE(r.ok());
        CHECK(!r->cleaned);
        CHECK(rig.counting.writes == writes);  // nothing rewritten

        // New data: only it is dirty; the pass moves the offset past it.
        for (int i = 0; i < 10; ++i) {
            Bytes b = make_keyed("k" + std::to_string(i % 5), "w" + std::to_string(i), 100 + i);
            REQUIRE(log.append(b).ok());
        }
        REQUIRE(log.roll().ok());
        CHECK(Cleaner::dirty_ratio(log) > 0.0);
        CHECK(Cleaner::dirty_ratio(log) < 1.0);
        log.set_high_watermark(log.log_end_offset());  // all committed
        REQUIRE(rig.manager->run_cleaner_once().ok());
        CHECK(log.cleaner_offset() == log.segment_base_offsets().back());
        auto seen = contents(log);
        for (int k = 0; k < 5; ++k) {
            CHECK(seen["k" + std::to_string(k)].back().value == "w" + std::to_string(5 + k));
        }

        // Truncation below the cleaner offset lowers it, and the checkpoint with it.
        REQUIRE(log.truncate_to(Offset(3)).ok());
        CHECK(log.cleaner_offset() <= Offset(3));
    });
    text = rig.disk.contents(checkpoint);
    REQUIRE(text.has_value());
    {
        auto parsed = parse_offset_checkpoint(as_chars(*text));
        REQUIRE(parsed.has_value());
        CHECK(parsed->at(tp) <= Offset(3));
    }

    // An entry past the log end (the log lost data the checkpoint did not hear of) is reset to
    // the log start: the log is cleaned whole again.
    rig.run([&] { REQUIRE(rig.manager->close().ok()); });
    rig.run([&] {
        const std::string bogus = "0\n1\nc 0 999999\n";
        REQUIRE(
            write_file_atomic(*rig.env, "data", "cleaner-offset-checkpoint", as_bytes(bogus)).ok());
    });
    rig.executor.kill_group(rig.group);
    rig.manager.reset();
    rig.new_incarnation();
    rig.open(manager_options(compacted()));
    rig.run([&] {
        PartitionLog& log = *rig.manager->get(tp);
        CHECK(log.cleaner_offset() == log.log_start_offset());
    });
}

TEST_CASE("compaction keeps the latest record per key and drops old tombstones") {
    LogRig rig(2);
    rig.open(manager_options(compacted()));
    rig.run([&] {
        PartitionLog& log = **rig.manager->create(tp);
        // A null key is refused on a compacted topic.
        Bytes nokey = make_batch(1, 10, 0);
        CHECK(log.append(nokey).error() == LogError::invalid_record);
        const int64_t now = rig.clock.wall_now().to_millis();
        std::map<std::string, std::optional<std::string>> latest;
        for (int i = 0; i < 60; ++i) {
            std::string key = "key" + std::to_string(i % 7);
            std::optional<std::string> value = "value" + std::to_string(i);
            if (i % 11 == 10) {
                value = std::nullopt;  // tombstone
            }
            Bytes b = make_keyed(key, value, now + i);
            REQUIRE(log.append(b).ok());
            latest[key] = value;
        }
        const Offset end = log.log_end_offset();
        const uint64_t before = log.size_bytes();
        // Nothing is committed yet (the high watermark is at the log start): nothing is cleaned,
        // since a follower might still truncate what lies above it.
        log.set_high_watermark(log.log_start_offset());
        auto none = Cleaner::clean(log, /*force=*/true);
        REQUIRE(none.ok());
        CHECK(none->records_removed == 0);
        CHECK(log.size_bytes() == before);
        log.set_high_watermark(log.log_end_offset());  // all committed
        auto r = Cleaner::clean(log);
        REQUIRE(r.ok());
        CHECK(r->cleaned);
        CHECK(r->records_removed > 0);
        CHECK(log.size_bytes() < before);
        CHECK(log.log_end_offset() == end);
        auto seen = contents(log);
        // Every key's latest record is there; in the cleaned part at most one record a key.
        const Offset active_base = log.segment_base_offsets().back();
        for (const auto& [key, value] : latest) {
            REQUIRE(seen.contains(key));
            CHECK(seen[key].back().value == value);
            int cleaned = 0;
            for (const Seen& s : seen[key]) {
                cleaned += s.offset < active_base ? 1 : 0;
            }
            CHECK(cleaned <= 1);
        }
        // Tombstones stay until delete.retention.ms has passed...
        rig.env->scheduler.sleep_for(Duration::hours(2));
        Bytes filler = make_keyed("filler", std::string("x"), now);
        REQUIRE(log.append(filler).ok());
        REQUIRE(log.roll().ok());
        log.set_high_watermark(log.log_end_offset());  // all committed
        r = Cleaner::clean(log, /*force=*/true);
        REQUIRE(r.ok());
        CHECK(r->tombstones_removed > 0);
        // Tombstones that were in the active segment during the first pass were first seen by
        // this one (KIP-534): they stay another delete.retention.ms.
        rig.env->scheduler.sleep_for(Duration::hours(2));
        log.set_high_watermark(log.log_end_offset());  // all committed
        r = Cleaner::clean(log);
        REQUIRE(r.ok());
        seen = contents(log);
        for (const auto& [key, value] : latest) {
            if (!value) {
                CHECK(!seen.contains(key));  // ...then they go
            } else {
                CHECK(seen[key].back().value == value);
            }
        }
        // Offsets still increase, reads from any offset work, the end is unchanged.
        for (int64_t o = log.log_start_offset().value(); o < log.log_end_offset().value(); ++o) {
            CHECK(log.read(Offset(o), ReadOptions{1, ReadBound::log_end}).ok());
        }
        auto ts = log.offset_for_timestamp(record::TimestampMs(now + 59));
        REQUIRE(ts.ok());
    });
    // The cleaned log survives a restart.
    rig.reopen(manager_options(compacted()));
    rig.run([&] { CHECK(!rig.manager->get(tp)->offline()); });
}

TEST_CASE("compaction runs while appends continue") {
    sim::DiskFaults faults;
    faults.latency_max = Duration::micros(300);
    LogRig rig(4, faults);
    rig.open(manager_options(compacted(2000)));
    rig.run([&] {
        PartitionLog& log = **rig.manager->create(tp);
        for (int i = 0; i < 200; ++i) {
            Bytes b = make_keyed("k" + std::to_string(i % 10), "v" + std::to_string(i), i);
            REQUIRE(log.append(b).ok());
        }
        int appended_during = 0;
        bool cleaning = true;
        FiberRef appender = rig.env->scheduler.spawn("appender", [&] {
            for (int i = 0; cleaning; ++i) {
                Bytes b = make_keyed("z" + std::to_string(i % 5), "w", i);
                REQUIRE(log.append(b).ok());
                ++appended_during;
            }
        });
        log.set_high_watermark(log.log_end_offset());  // all committed
        auto r = Cleaner::clean(log);
        cleaning = false;
        (void)appender.join();
        REQUIRE(r.ok());
        CHECK(r->cleaned);
        CHECK(appended_during > 0);
        auto seen = contents(log);
        for (int k = 0; k < 10; ++k) {
            CHECK(seen["k" + std::to_string(k)].back().value == "v" + std::to_string(190 + k));
        }
    });
}

TEST_CASE("a crash at any point of a compaction leaves a valid compaction of the log") {
    for (uint64_t seed = 1; seed <= 40; ++seed) {
        CAPTURE(seed);
        sim::DiskFaults faults;
        faults.latency_min = Duration::micros(10);
        faults.latency_max = Duration::micros(100);
        faults.crash_keep_unsynced_p = 0.3;
        LogRig rig(seed, faults);
        rig.open(manager_options(compacted()));
        std::map<std::string, std::string> latest;
        std::map<std::pair<std::string, int64_t>, std::string> all;  // (key, offset) -> value
        rig.run([&] {
            PartitionLog& log = **rig.manager->create(tp);
            for (int i = 0; i < 80; ++i) {
                std::string k = "key" + std::to_string((i * 7 + static_cast<int>(seed)) % 9);
                std::string v = "v" + std::to_string(i);
                Bytes b = make_keyed(k, v, i);
                auto info = log.append(b);
                REQUIRE(info.ok());
                latest[k] = v;
                all[{k, info->base_offset.value()}] = v;
            }
            REQUIRE(rig.manager->checkpoint_recovery_points().ok());
        });
        // Clean, and crash after a seed-chosen number of scheduler steps.
        const uint64_t crash_after = rig.executor.steps() + 5 + (seed * 37) % 400;
        bool cleaned = false;
        rig.executor.spawn(rig.group, "clean", [&] {
            rig.manager->get(tp)->set_high_watermark(rig.manager->get(tp)->log_end_offset());  // all committed
            (void)Cleaner::clean(*rig.manager->get(tp), true);
            cleaned = true;
        });
        rig.executor.run([&] { return cleaned || rig.executor.steps() >= crash_after; });
        rig.crash();
        rig.open(manager_options(compacted()));
        rig.run([&] {
            PartitionLog& log = *rig.manager->get(tp);
            REQUIRE(!log.offline());
            CHECK(log.log_end_offset() == Offset(80));
            auto seen = contents(log);
            for (const auto& [k, v] : latest) {
                REQUIRE(seen.contains(k));
                CHECK(seen[k].back().value == v);
            }
            for (const auto& [k, records] : seen) {
                Offset prev(-1);
                for (const Seen& s : records) {
                    CHECK(s.offset > prev);
                    prev = s.offset;
                    auto it = all.find({k, s.offset.value()});
                    REQUIRE(it != all.end());  // nothing invented
                    CHECK(s.value == it->second);
                }
            }
        });
    }
}
