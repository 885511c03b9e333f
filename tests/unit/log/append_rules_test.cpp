// The topic configs that act on appends and compaction (issue #9, point 5): CreateTime bounds
// (message.timestamp.before/after/difference.max.ms) with per-record errors (KIP-467), keyless
// records on a compacted topic, max.message.bytes judged by the batch as sent, broker-side
// recompression (compression.type), segment.index.bytes, min/max.compaction.lag.ms.
#include <doctest/doctest.h>

#include <algorithm>

#include "services/log/cleaner.h"
#include "tests/unit/log/log_test_util.h"

using namespace eddy;
using namespace eddy::log;
using namespace eddy::log::test;

namespace {

const TopicPartition tp{"r", PartitionId(0)};

Bytes batch_of(const std::vector<std::pair<std::optional<std::string>, int64_t>>& records,
               record::Codec codec = record::Codec::none,
               record::TimestampType type = record::TimestampType::create_time) {
    record::BatchBuilderOptions o;
    o.compression = codec;
    o.timestamp_type = type;
    record::RecordBatchBuilder b(o);
    for (const auto& [key, ts] : records) {
        std::optional<ByteSpan> k;
        if (key) {
            k = as_bytes(*key);
        }
        b.append(record::TimestampMs(ts), k, as_bytes("v"));
    }
    return b.build();
}

// append() stamps the batch in place, so it takes a span of a named buffer.
Result<AppendInfo, LogError> append(PartitionLog& log, Bytes batch, AppendOptions o = {}) {
    return log.append(MutableByteSpan(batch), o);
}

record::Codec stored_codec(PartitionLog& log, Offset at) {
    auto batches = read_all(log, at);
    REQUIRE(!batches.empty());
    return record::RecordBatchView::parse(batches.front()).value().compression();
}

}  // namespace

TEST_CASE("log config: Kafka's topic keys that act on the log, with their broker synonyms") {
    LogConfig c;
    CHECK(!c.compression.has_value());
    CHECK(c.set("compression.type", "zstd").ok());
    CHECK(c.compression == record::Codec::zstd);
    CHECK(c.set("compression.type", "uncompressed").ok());
    CHECK(c.compression == record::Codec::none);
    CHECK(c.set("compression.type", "producer").ok());
    CHECK(!c.compression.has_value());
    CHECK(c.set("compression.type", "brotli").error() == LogError::invalid_config);
    CHECK(c.set("log.cleaner.min.compaction.lag.ms", "5000").ok());
    CHECK(c.min_compaction_lag == Duration::millis(5000));
    CHECK(c.set("max.compaction.lag.ms", "0").error() == LogError::invalid_config);
    CHECK(c.set("max.compaction.lag.ms", "60000").ok());
    // A compacted log rolls by max.compaction.lag.ms when that is sooner than segment.ms.
    CHECK(c.roll_after() == c.segment_ms);
    CHECK(c.set("cleanup.policy", "compact").ok());
    CHECK(c.roll_after() == Duration::millis(60000));
    // difference.max.ms stands in for a bound left at its default (Kafka 3.6+).
    CHECK(c.timestamp_before_bound() == Duration::max());
    CHECK(c.set("log.message.timestamp.difference.max.ms", "1000").ok());
    CHECK(c.timestamp_before_bound() == Duration::millis(1000));
    CHECK(c.set("message.timestamp.after.max.ms", "2000").ok());
    CHECK(c.timestamp_after_bound() == Duration::millis(2000));
    CHECK(c.timestamp_before_bound() == Duration::millis(1000));
    // Long.MAX_VALUE is "no bound".
    CHECK(c.set("message.timestamp.before.max.ms", "9223372036854775807").ok());
    CHECK(c.timestamp_before_max == Duration::max());
    CHECK(c.set("segment.index.bytes", "3").error() == LogError::invalid_config);
    CHECK(c.set("log.index.size.max.bytes", "4096").ok());
    CHECK(c.segment_index_bytes == 4096);
    // Keys without a meaning for the log are not LogConfig's (the broker accepts them by type).
    CHECK(c.set("preallocate", "true").error() == LogError::invalid_config);
    CHECK(c.set("compression.lz4.level", "18").error() == LogError::invalid_config);
    CHECK(c.set("compression.lz4.level", "12").ok());
    CHECK(c.level_of(record::Codec::lz4) == 12);
}

TEST_CASE("appends: CreateTime bounds refuse out-of-range records with their batch indexes") {
    LogRig rig(11);
    LogConfig config;
    config.timestamp_before_max = Duration::hours(1);
    config.timestamp_after_max = Duration::minutes(5);
    rig.open(manager_options(config));
    rig.run([&] {
        PartitionLog& log = **rig.manager->create(tp);
        const int64_t now = rig.clock.wall_now().to_millis();
        AppendRejection why;
        AppendOptions o;
        o.rejection = &why;
        // Record 1 is two hours old, record 2 ten minutes ahead; 0 and 3 are fine.
        Bytes b = batch_of(
            {{"a", now}, {"b", now - 2 * 3600 * 1000}, {"c", now + 600 * 1000}, {"d", now - 1000}});
        CHECK(log.append(b, o).error() == LogError::invalid_timestamp);
        REQUIRE(why.record_errors.size() == 2);
        CHECK(why.record_errors[0].batch_index == 1);
        CHECK(why.record_errors[1].batch_index == 2);
        CHECK(why.record_errors[0].message.find("out of range") != std::string::npos);
        CHECK(why.message.find("invalid timestamp") != std::string::npos);
        CHECK(log.log_end_offset() == Offset(0));
        Bytes ok = batch_of({{"a", now}, {"b", now - 60 * 1000}, {"c", now + 60 * 1000}});
        CHECK(log.append(ok, o).ok());
        CHECK(log.log_end_offset() == Offset(3));
        // A producer may not claim LogAppendTime.
        Bytes claims =
            batch_of({{"a", -1}}, record::Codec::none, record::TimestampType::log_append_time);
        CHECK(log.append(claims, o).error() == LogError::invalid_timestamp);
        REQUIRE(why.record_errors.size() == 1);
        CHECK(why.record_errors[0].message.find("LogAppendTime") != std::string::npos);
        // With LogAppendTime the broker's clock is the timestamp: no bound applies.
        LogConfig append_time = config;
        append_time.message_timestamp_type = record::TimestampType::log_append_time;
        REQUIRE(log.set_config(append_time).ok());
        CHECK(append(log, batch_of({{"a", now - 10 * 3600 * 1000}}), o).ok());
        // A replica keeps what its leader accepted.
        REQUIRE(log.set_config(config).ok());
        Bytes old = batch_of({{"a", now - 10 * 3600 * 1000}});
        record::set_base_offset(old, log.log_end_offset());
        AppendOptions replica;
        replica.mode = AppendMode::replica;
        CHECK(log.append(old, replica).ok());
    });
}

TEST_CASE("appends: keyless records on a compacted topic are named by index") {
    LogRig rig(12);
    LogConfig config;
    config.cleanup_policy = CleanupPolicy::compact;
    rig.open(manager_options(config));
    rig.run([&] {
        PartitionLog& log = **rig.manager->create(tp);
        const int64_t now = rig.clock.wall_now().to_millis();
        AppendRejection why;
        AppendOptions o;
        o.rejection = &why;
        for (auto codec : {record::Codec::none, record::Codec::lz4}) {
            Bytes b =
                batch_of({{"a", now}, {std::nullopt, now}, {"c", now}, {std::nullopt, now}}, codec);
            CHECK(log.append(b, o).error() == LogError::invalid_record);
            REQUIRE(why.record_errors.size() == 2);
            CHECK(why.record_errors[0].batch_index == 1);
            CHECK(why.record_errors[1].batch_index == 3);
            CHECK(why.message.find("without a key") != std::string::npos);
        }
        CHECK(log.log_end_offset() == Offset(0));
    });
}

TEST_CASE("appends: max.message.bytes measures the batch as sent; a well-compressed one passes") {
    LogRig rig(13);
    LogConfig config;
    config.max_message_bytes = 4096;
    rig.open(manager_options(config));
    rig.run([&] {
        PartitionLog& log = **rig.manager->create(tp);
        const int64_t now = rig.clock.wall_now().to_millis();
        // 100 records of 1000 zero bytes: ~100 KB plain (25 x max.message.bytes, past the old
        // 2 x cap), well under 4 KB with zstd.
        record::BatchBuilderOptions bo;
        bo.compression = record::Codec::zstd;
        record::RecordBatchBuilder b(bo);
        const Bytes zeros(1000);
        for (int i = 0; i < 100; ++i) {
            b.append(record::TimestampMs(now), as_bytes("k"), zeros);
        }
        Bytes squeezed = b.build();
        REQUIRE(squeezed.size() < 4096);
        AppendRejection why;
        AppendOptions o;
        o.rejection = &why;
        CHECK(log.append(squeezed, o).ok());
        // The same records uncompressed are refused, and the message says what was measured.
        Bytes plain = make_batch(100, 1000, now);
        CHECK(log.append(plain, o).error() == LogError::message_too_large);
        CHECK(why.message.find("as sent, compressed") != std::string::npos);
        CHECK(why.message.find(std::to_string(plain.size()) + " bytes") != std::string::npos);
        CHECK(why.message.find("max.message.bytes=4096") != std::string::npos);
        // Eddy's bomb guard: past 64 x max.message.bytes (here the 2 MiB floor) of plain records
        // the batch is too large, and the message says so.
        record::RecordBatchBuilder bomb(bo);
        const Bytes big_zeros(1 << 20);
        for (int i = 0; i < 3; ++i) {
            bomb.append(record::TimestampMs(now), as_bytes("k"), big_zeros);
        }
        Bytes boom = bomb.build();
        REQUIRE(boom.size() < 4096);
        CHECK(log.append(boom, o).error() == LogError::message_too_large);
        CHECK(why.message.find("decompresses to more than") != std::string::npos);
        // With compression.type=uncompressed the batch is measured again after recompression.
        LogConfig plain_topic = log.config();
        REQUIRE(plain_topic.set("compression.type", "uncompressed").ok());
        REQUIRE(log.set_config(plain_topic).ok());
        CHECK(log.append(squeezed, o).error() == LogError::message_too_large);
        CHECK(why.message.find("recompressed to none") != std::string::npos);
    });
}

TEST_CASE("appends: compression.type recompresses batches on the leader, producer keeps them") {
    LogRig rig(14);
    rig.open(manager_options());
    rig.run([&] {
        PartitionLog& log = **rig.manager->create(tp);
        const int64_t now = rig.clock.wall_now().to_millis();
        // producer: as sent.
        REQUIRE(append(log, make_batch(5, 100, now, 1, "k", record::Codec::snappy)).ok());
        CHECK(stored_codec(log, Offset(0)) == record::Codec::snappy);
        LogConfig c = log.config();
        REQUIRE(c.set("compression.type", "gzip").ok());
        REQUIRE(log.set_config(c).ok());
        Bytes sent = make_batch(5, 100, now, 2, "k", record::Codec::none);
        auto info = log.append(sent);
        REQUIRE(info.ok());
        CHECK(info->base_offset == Offset(5));
        CHECK(stored_codec(log, Offset(5)) == record::Codec::gzip);
        // The records are the ones sent, at the offsets assigned.
        auto stored = read_all(log, Offset(5));
        auto view = record::RecordBatchView::parse(stored.front()).value();
        CHECK(view.validate().ok());
        CHECK(view.base_offset() == Offset(5));
        CHECK(view.record_count() == 5);
        auto want =
            record::BatchRecords::open(record::RecordBatchView::parse(sent).value()).value();
        auto got = record::BatchRecords::open(view).value();
        CHECK(std::equal(want.bytes().begin(), want.bytes().end(), got.bytes().begin(),
                         got.bytes().end()));
        // A batch already in the topic's codec is written as sent.
        REQUIRE(append(log, make_batch(2, 10, now, 3, "k", record::Codec::gzip)).ok());
        CHECK(stored_codec(log, Offset(10)) == record::Codec::gzip);
        // The codec's level (KIP-390) applies: gzip level 1 and 9 both read back, 9 no larger.
        c.gzip_level = 1;
        REQUIRE(log.set_config(c).ok());
        REQUIRE(append(log, make_batch(20, 200, now, 5, "k", record::Codec::none)).ok());
        c.gzip_level = 9;
        REQUIRE(log.set_config(c).ok());
        REQUIRE(append(log, make_batch(20, 200, now, 5, "k", record::Codec::none)).ok());
        auto levels = read_all(log, Offset(12));
        REQUIRE(levels.size() == 2);
        CHECK(record::RecordBatchView::parse(levels[0]).value().compression() ==
              record::Codec::gzip);
        CHECK(levels[1].size() <= levels[0].size());
        CHECK(record::RecordBatchView::parse(levels[1]).value().validate().ok());
        CHECK(c.set("compression.gzip.level", "0").error() == LogError::invalid_config);
        CHECK(c.set("compression.zstd.level", "-5").ok());
        CHECK(c.level_of(record::Codec::zstd) == -5);
        CHECK(c.level_of(record::Codec::lz4) == 9);
        // uncompressed: compressed batches are stored plain.
        REQUIRE(c.set("compression.type", "uncompressed").ok());
        REQUIRE(log.set_config(c).ok());
        REQUIRE(append(log, make_batch(3, 100, now, 4, "k", record::Codec::zstd)).ok());
        CHECK(stored_codec(log, Offset(52)) == record::Codec::none);
        // The log reads back intact after a restart.
        CHECK(log.verify().ok());
    });
}

TEST_CASE("appends: segment.index.bytes rolls the segment once an index is full") {
    LogRig rig(15);
    LogConfig config;
    config.index_interval_bytes = 0;  // an index entry for every batch
    config.segment_index_bytes = 24;  // 3 offset entries, 2 time entries
    rig.open(manager_options(config));
    rig.run([&] {
        PartitionLog& log = **rig.manager->create(tp);
        const int64_t now = rig.clock.wall_now().to_millis();
        for (int i = 0; i < 9; ++i) {
            REQUIRE(append(log, make_batch(1, 10, now + i)).ok());
        }
        // At most three offset entries a segment: nine one-batch appends need three or more.
        CHECK(log.segment_count() >= 3);
        const auto bases = log.segment_base_offsets();
        for (size_t i = 1; i < bases.size(); ++i) {
            CHECK(bases[i].value() - bases[i - 1].value() <= 3);
        }
    });
}

TEST_CASE("compaction: min.compaction.lag.ms leaves young records, max.compaction.lag.ms forces") {
    LogRig rig(16);
    LogConfig config;
    config.cleanup_policy = CleanupPolicy::compact;
    config.segment_bytes = 400;
    config.min_cleanable_dirty_ratio = 0.0;
    config.min_compaction_lag = Duration::hours(1);
    rig.open(manager_options(config));
    rig.run([&] {
        PartitionLog& log = **rig.manager->create(tp);
        auto now = [&] { return rig.clock.wall_now().to_millis(); };
        for (int i = 0; i < 30; ++i) {
            REQUIRE(append(log, make_keyed("k" + std::to_string(i % 3), "v", now())).ok());
        }
        REQUIRE(log.roll().ok());
        // Every record is younger than the lag: nothing is cleaned.
        log.set_high_watermark(log.log_end_offset());  // all committed
        auto r = Cleaner::clean(log, /*force=*/true);
        REQUIRE(r.ok());
        CHECK(!r->cleaned);
        rig.env->scheduler.sleep_for(Duration::minutes(61));
        log.set_high_watermark(log.log_end_offset());  // all committed
        r = Cleaner::clean(log, /*force=*/true);
        REQUIRE(r.ok());
        CHECK(r->cleaned);
        CHECK(r->records_removed > 0);

        // max.compaction.lag.ms: a log whose dirty ratio is below the minimum is cleaned anyway
        // once a dirty segment is older than the lag.
        LogConfig c = log.config();
        c.min_compaction_lag = Duration::zero();
        c.min_cleanable_dirty_ratio = 0.99;
        c.max_compaction_lag = Duration::hours(2);
        REQUIRE(log.set_config(c).ok());
        for (int i = 0; i < 4; ++i) {
            REQUIRE(append(log, make_keyed("k" + std::to_string(i % 3), "w", now())).ok());
        }
        REQUIRE(log.roll().ok());
        REQUIRE(Cleaner::dirty_ratio(log) < 0.99);
        CHECK(!Cleaner::compaction_overdue(log, now()));
        log.set_high_watermark(log.log_end_offset());  // all committed
        r = Cleaner::clean(log);
        REQUIRE(r.ok());
        CHECK(!r->cleaned);
        rig.env->scheduler.sleep_for(Duration::hours(3));
        CHECK(Cleaner::compaction_overdue(log, now()));
        log.set_high_watermark(log.log_end_offset());  // all committed
        r = Cleaner::clean(log);
        REQUIRE(r.ok());
        CHECK(r->cleaned);
    });
}
