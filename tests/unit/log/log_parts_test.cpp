// The log's small parts: config keys, checkpoint formats and atomic writes, the leader epoch
// cache, the sparse indexes and their sanity checks, segment file names.
#include <doctest/doctest.h>

#include "services/log/checkpoint.h"
#include "services/log/leader_epoch_cache.h"
#include "services/log/log_config.h"
#include "services/log/segment_index.h"
#include "tests/unit/log/log_test_util.h"

using namespace eddy;
using namespace eddy::log;

TEST_CASE("log config: Kafka keys, broker defaults, bad values refused and nothing changed") {
    LogConfig c;
    CHECK(c.durable_acks());
    CHECK(c.set("segment.bytes", "1048576").ok());
    CHECK(c.segment_bytes == 1048576);
    CHECK(c.set("log.segment.bytes", "2048").ok());
    CHECK(c.segment_bytes == 2048);
    CHECK(c.set("log.roll.hours", "2").ok());
    CHECK(c.segment_ms == Duration::hours(2));
    CHECK(c.set("retention.ms", "-1").ok());
    CHECK(!c.retention.has_value());
    CHECK(c.set("log.retention.hours", "1").ok());
    CHECK(c.retention == Duration::hours(1));
    CHECK(c.set("retention.bytes", "100").ok());
    CHECK(c.retention_bytes == 100u);
    CHECK(c.set("cleanup.policy", "compact,delete").ok());
    CHECK(c.cleanup_policy == CleanupPolicy::compact_and_delete);
    CHECK(c.set("message.timestamp.type", "LogAppendTime").ok());
    CHECK(c.message_timestamp_type == record::TimestampType::log_append_time);
    CHECK(c.set("flush.messages", "9223372036854775807").ok());  // Kafka's default
    CHECK(!c.durable_acks());
    CHECK(c.set("flush.ms", "9223372036854775807").ok());
    CHECK(c.flush_ms == Duration::max());
    CHECK(c.set("min.cleanable.dirty.ratio", "0.25").ok());
    CHECK(c.min_cleanable_dirty_ratio == 0.25);
    const LogConfig before = c;
    CHECK(c.set("segment.bytes", "10").error() == LogError::invalid_config);  // below the minimum
    CHECK(c.set("segment.bytes", "x").error() == LogError::invalid_config);
    CHECK(c.set("cleanup.policy", "keep").error() == LogError::invalid_config);
    CHECK(c.set("min.cleanable.dirty.ratio", "1.5").error() == LogError::invalid_config);
    CHECK(c.set("no.such.key", "1").error() == LogError::invalid_config);
    CHECK(c.segment_bytes == before.segment_bytes);
}

TEST_CASE("offset checkpoint: Kafka's text format round trip and strict parsing") {
    OffsetCheckpoint entries;
    entries[TopicPartition{"a-b", PartitionId(0)}] = Offset(42);
    entries[TopicPartition{"a", PartitionId(12)}] = Offset(0);
    const std::string text = format_offset_checkpoint(entries);
    CHECK(text == "0\n2\na 12 0\na-b 0 42\n");
    CHECK(parse_offset_checkpoint(text) == entries);
    CHECK(!parse_offset_checkpoint("0\n2\na 12 0\n").has_value());  // count mismatch
    CHECK(!parse_offset_checkpoint("1\n0\n").has_value());          // version
    CHECK(!parse_offset_checkpoint("0\n1\na 12 x\n").has_value());  // offset
    CHECK(!parse_offset_checkpoint("0\n1\na 12 5").has_value());    // no final newline
    CHECK(parse_offset_checkpoint("0\n0\n")->empty());
}

TEST_CASE("leader epoch cache: assign, truncate both ends, end offsets, checkpoint format") {
    LeaderEpochCache c;
    CHECK(c.assign(LeaderEpoch(0), Offset(0)));
    CHECK(!c.assign(LeaderEpoch(0), Offset(5)));  // same epoch: nothing new
    CHECK(c.assign(LeaderEpoch(2), Offset(10)));
    CHECK(c.assign(LeaderEpoch(5), Offset(20)));
    CHECK(c.to_checkpoint() == "0\n3\n0 0\n2 10\n5 20\n");
    CHECK(c.end_offset_for(LeaderEpoch(0), Offset(30)).end_offset == Offset(10));
    CHECK(c.end_offset_for(LeaderEpoch(1), Offset(30)).epoch == LeaderEpoch(0));
    CHECK(c.end_offset_for(LeaderEpoch(1), Offset(30)).end_offset == Offset(10));
    CHECK(c.end_offset_for(LeaderEpoch(5), Offset(30)).end_offset == Offset(30));
    CHECK(c.end_offset_for(LeaderEpoch(-1), Offset(30)).end_offset == Offset(-1));
    auto parsed = LeaderEpochCache::from_checkpoint(c.to_checkpoint());
    REQUIRE(parsed.has_value());
    CHECK(parsed->entries() == c.entries());
    CHECK(!LeaderEpochCache::from_checkpoint("0\n2\n5 20\n2 10\n").has_value());  // decreasing
    CHECK(c.truncate_from_end(Offset(20)));
    CHECK(c.latest()->epoch == LeaderEpoch(2));
    CHECK(c.truncate_from_start(Offset(12)));
    REQUIRE(c.entries().size() == 1);
    CHECK(c.entries()[0].start_offset == Offset(12));
    CHECK(c.entries()[0].epoch == LeaderEpoch(2));
    // A new epoch starting where the previous one started replaces it.
    CHECK(c.assign(LeaderEpoch(3), Offset(12)));
    REQUIRE(c.entries().size() == 1);
    CHECK(c.latest()->epoch == LeaderEpoch(3));
}

TEST_CASE("offset index: floor lookups, truncation, encoding and the sanity check") {
    OffsetIndex idx;
    idx.append({4, 100});
    idx.append({9, 300});
    idx.append({20, 900});
    CHECK(idx.floor_position(0) == 0);
    CHECK(idx.floor_position(3) == 0);
    CHECK(idx.floor_position(4) == 100);
    CHECK(idx.floor_position(15) == 300);
    CHECK(idx.floor_position(1000) == 900);
    const Bytes enc = idx.encode();
    CHECK(enc.size() == 3 * index_format::offset_entry_bytes);
    auto back = OffsetIndex::decode(enc, 1000);
    REQUIRE(back.has_value());
    CHECK(back->entries().size() == 3);
    CHECK(!OffsetIndex::decode(enc, 900).has_value());  // a position past the log
    Bytes torn(enc.begin(), enc.end() - 3);
    CHECK(!OffsetIndex::decode(torn, 1000).has_value());
    Bytes zeros(16);  // a torn sector reads as zeros
    CHECK(!OffsetIndex::decode(zeros, 1000).has_value());
    idx.truncate_to_position(300);
    CHECK(idx.entries().size() == 1);
}

TEST_CASE("time index: entries only when the timestamp grows; the last entry below a target") {
    TimeIndex t;
    CHECK(t.maybe_append({record::TimestampMs(100), 3}));
    CHECK(!t.maybe_append({record::TimestampMs(100), 5}));
    CHECK(!t.maybe_append({record::TimestampMs(90), 6}));
    CHECK(t.maybe_append({record::TimestampMs(200), 8}));
    CHECK(!t.last_below(record::TimestampMs(100)).has_value());
    CHECK(t.last_below(record::TimestampMs(101))->relative_offset == 3);
    CHECK(t.last_below(record::TimestampMs(1000))->relative_offset == 8);
    auto back = TimeIndex::decode(t.encode(), 9);
    REQUIRE(back.has_value());
    CHECK(back->entries().size() == 2);
    CHECK(!TimeIndex::decode(t.encode(), 8).has_value());  // an offset past the segment
    t.truncate_to_offset(8);
    CHECK(t.entries().size() == 1);
}

TEST_CASE("file names: 20-digit segment names, partition directories") {
    CHECK(offset_file_stem(Offset(42)) == "00000000000000000042");
    auto p = parse_segment_file_name("00000000000000000042.timeindex.swap");
    REQUIRE(p.has_value());
    CHECK(p->base_offset == Offset(42));
    CHECK(p->suffix == ".timeindex.swap");
    CHECK(!parse_segment_file_name("0000000000000000004x.log").has_value());
    CHECK(!parse_segment_file_name("leader-epoch-checkpoint").has_value());
    auto tp = parse_partition_dir("my-topic-12");
    REQUIRE(tp.has_value());
    CHECK(tp->topic == "my-topic");
    CHECK(tp->partition == PartitionId(12));
    CHECK(!parse_partition_dir("t-01").has_value());
    CHECK(!parse_partition_dir("t-0.3-delete").has_value());
    CHECK(!parse_partition_dir("recovery-point-offset-checkpoint").has_value());
    CHECK(!parse_partition_dir("bad/name-0").has_value());
}

TEST_CASE("checkpoint files are replaced atomically and read stably despite read flips") {
    sim::DiskFaults faults;
    faults.read_bit_flip_p = 0.1;
    log::test::LogRig rig(9, faults);
    rig.run([&] {
        Env& env = *rig.env;
        REQUIRE(env.disk.make_directory("d").ok());
        REQUIRE(env.disk.sync_directory("").ok());
        REQUIRE(write_file_atomic(env, "d", "cp", as_bytes("0\n0\n")).ok());
        REQUIRE(write_file_atomic(env, "d", "cp", as_bytes("0\n1\nt 0 7\n")).ok());
        for (int i = 0; i < 50; ++i) {
            auto got = read_file_stable(env.disk, "d/cp", 1024);
            REQUIRE(got.ok());
            REQUIRE(got->has_value());
            CHECK(as_chars(**got) == "0\n1\nt 0 7\n");
        }
        CHECK(!env.disk.exists("d/cp.tmp").value());
        auto missing = read_file_stable(env.disk, "d/none", 1024);
        REQUIRE(missing.ok());
        CHECK(!missing->has_value());
    });
    rig.crash();
    REQUIRE(rig.disk.contents("d/cp").has_value());
    CHECK(as_chars(*rig.disk.contents("d/cp")) == "0\n1\nt 0 7\n");
}

TEST_CASE("log manager: create, list, remove (crash-safe), and reopen in directory order") {
    log::test::LogRig rig(13);
    rig.open(log::test::manager_options());
    rig.run([&] {
        for (const char* t : {"b", "a", "c-d"}) {
            REQUIRE(rig.manager->create(TopicPartition{t, PartitionId(0)}).ok());
        }
        CHECK(rig.manager->create(TopicPartition{"a", PartitionId(0)}).error() ==
              LogError::already_exists);
        CHECK(rig.manager->create(TopicPartition{"bad/topic", PartitionId(0)}).error() ==
              LogError::invalid_config);
        Bytes batch = log::test::make_batch(1, 10, 0);
        REQUIRE(rig.manager->get(TopicPartition{"a", PartitionId(0)})->append(batch).ok());
        REQUIRE(rig.manager->remove(TopicPartition{"b", PartitionId(0)}).ok());
        CHECK(rig.manager->remove(TopicPartition{"b", PartitionId(0)}).error() ==
              LogError::not_found);
    });
    rig.crash();
    rig.open(log::test::manager_options());
    rig.run([&] {
        auto parts = rig.manager->partitions();
        REQUIRE(parts.size() == 2);
        CHECK(parts[0].topic == "a");
        CHECK(parts[1].topic == "c-d");
        CHECK(rig.manager->get(TopicPartition{"a", PartitionId(0)})->log_end_offset() == Offset(1));
        CHECK(!rig.disk.exists("data/b-0").value());
    });
    // A deletion interrupted after the rename is finished at the next open.
    rig.run([&] {
        REQUIRE(rig.disk.rename("data/a-0", "data/a-0.9-delete").ok());
        REQUIRE(rig.disk.sync_directory("data").ok());
    });
    rig.crash();
    rig.open(log::test::manager_options());
    rig.run([&] {
        CHECK(rig.manager->partitions().size() == 1);
        CHECK(!rig.disk.exists("data/a-0.9-delete").value());
    });
}

TEST_CASE("log manager: high watermarks survive a restart in replication-offset-checkpoint") {
    log::test::LogRig rig(17);
    rig.open(log::test::manager_options());
    const TopicPartition tp{"hw", PartitionId(0)};
    rig.run([&] {
        REQUIRE(rig.manager->create(tp).ok());
        auto* l = rig.manager->get(tp);
        for (int i = 0; i < 5; ++i) {
            Bytes batch = log::test::make_batch(2, 10, i);
            REQUIRE(l->append(batch).ok());
        }
        l->set_high_watermark(Offset(4));  // replication says only 4 are committed
    });
    rig.reopen(log::test::manager_options());
    rig.run([&] {
        auto* l = rig.manager->get(tp);
        CHECK(l->log_end_offset() == Offset(10));
        CHECK(l->high_watermark() == Offset(4));  // not the log end: the rest is not committed
        auto text = rig.disk.contents("data/replication-offset-checkpoint");
        REQUIRE(text.has_value());
        CHECK(std::string(as_chars(*text)).find("hw 0 4") != std::string::npos);
        // Without the file (a data directory from before replication): everything recovered
        // counts as committed.
        REQUIRE(rig.disk.remove("data/replication-offset-checkpoint").ok());
    });
    rig.crash();
    rig.open(log::test::manager_options());
    rig.run([&] { CHECK(rig.manager->get(tp)->high_watermark() == Offset(10)); });
}

TEST_CASE("log manager: a log created since the last high-watermark checkpoint reopens with "
          "nothing committed") {
    log::test::LogRig rig(19);
    rig.open(log::test::manager_options());  // writes the checkpoint, naming no log yet
    const TopicPartition tp{"new", PartitionId(0)};
    rig.run([&] {
        REQUIRE(rig.manager->create(tp).ok());
        auto* l = rig.manager->get(tp);
        for (int i = 0; i < 3; ++i) {
            Bytes batch = log::test::make_batch(2, 10, i);
            REQUIRE(l->append(batch).ok());
        }
    });
    rig.crash();  // before any checkpoint names the new log
    rig.open(log::test::manager_options());
    rig.run([&] {
        auto* l = rig.manager->get(tp);
        CHECK(l->log_end_offset() == Offset(6));
        // Not the log end: the replicas may not have had any of it (replication-failover).
        CHECK(l->high_watermark() == Offset(0));
    });
}
