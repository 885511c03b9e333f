// LogConfig: the per-partition log settings, under Kafka's topic-level key names (the broker-wide
// `log.*` defaults map onto the same fields, see set()). Defaults are Kafka's, except
// flush.messages: Eddy is durable by default (DESIGN.md §5), so an append is acknowledged only
// after an fsync covers it; Kafka's page-cache behaviour is one setting away.
//
//   key                        field                      Kafka default    Eddy default
//   segment.bytes              segment_bytes              1 GiB            same
//   segment.ms                 segment_ms                 7 days           same
//   segment.jitter.ms          segment_jitter             0                same
//   retention.ms (-1: none)    retention                  7 days           same
//   retention.bytes (-1: none) retention_bytes            -1               same
//   cleanup.policy             cleanup_policy             delete           same
//   delete.retention.ms        delete_retention           1 day            same
//   min.cleanable.dirty.ratio  min_cleanable_dirty_ratio  0.5              same
//   max.message.bytes          max_message_bytes          1048588          same
//   message.timestamp.type     message_timestamp_type     CreateTime       same
//   index.interval.bytes       index_interval_bytes       4096             same
//   flush.messages             flush_messages             Long.MAX (never) 1 (every append)
//   flush.ms                   flush_ms                   Long.MAX (never) same
//   compression.type           compression                producer         same
//   min.compaction.lag.ms      min_compaction_lag         0                same
//   max.compaction.lag.ms      max_compaction_lag         Long.MAX         same
//   message.timestamp.before.max.ms / .after.max.ms / .difference.max.ms
//                              timestamp_before_max etc.  Long.MAX         same
//   segment.index.bytes        segment_index_bytes        10 MiB           same
//   compression.gzip/lz4/zstd.level  gzip_level etc.      codec default    same
//   storage.quota.bytes (-1: none)   storage_quota_bytes  (not in Kafka)   -1 (Eddy only)
//
// Kafka's remaining topic keys (preallocate, file.delete.delay.ms, unclean.leader.election.enable,
// message.format.version, message.downconversion.enable, the throttled-replica lists, tiered
// storage) have no effect on a log here; set() refuses them like any
// unknown key and the broker's validation accepts them by type (services/kafka/topic_configs.h).
//
// Invariant (checked by validate()): every value is inside its limits below.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/base/result.h"
#include "core/base/time.h"
#include "core/record/record_batch.h"
#include "services/log/log_error.h"

namespace eddy::log {

namespace limits {
// Kafka's minimum segment.bytes (a v0 record's overhead); tests use tiny segments.
inline constexpr uint64_t segment_bytes_min = 14;
// Positions in a segment are u32 in the offset index, and Kafka's segment.bytes is an int.
inline constexpr uint64_t segment_bytes_max = INT32_MAX;
inline constexpr uint64_t max_message_bytes_min = 0;
inline constexpr uint64_t max_message_bytes_max = INT32_MAX;
// Offsets in a segment are u32 relative to its base in both indexes.
inline constexpr int64_t segment_offsets_max = INT32_MAX;
}  // namespace limits

enum class CleanupPolicy : uint8_t { delete_, compact, compact_and_delete };

inline bool compacts(CleanupPolicy p) {
    return p == CleanupPolicy::compact || p == CleanupPolicy::compact_and_delete;
}
inline bool deletes(CleanupPolicy p) {
    return p == CleanupPolicy::delete_ || p == CleanupPolicy::compact_and_delete;
}

struct LogConfig {
    uint64_t segment_bytes = uint64_t{1} << 30;
    Duration segment_ms = Duration::hours(24 * 7);
    Duration segment_jitter = Duration::zero();
    std::optional<Duration> retention = Duration::hours(24 * 7);  // nullopt: keep forever
    std::optional<uint64_t> retention_bytes;                      // nullopt: no size limit
    CleanupPolicy cleanup_policy = CleanupPolicy::delete_;
    Duration delete_retention = Duration::hours(24);
    double min_cleanable_dirty_ratio = 0.5;
    uint64_t max_message_bytes = record::limits::message_bytes_default;
    record::TimestampType message_timestamp_type = record::TimestampType::create_time;
    uint64_t index_interval_bytes = 4096;
    // 1: every append waits for an fsync (group commit). N > 1: page-cache mode, acknowledged
    // once written; the flusher syncs after N records or flush_ms, whichever comes first.
    uint64_t flush_messages = 1;
    Duration flush_ms = Duration::max();
    // compression.type: nullopt is "producer" (batches are stored as sent); a codec (none for
    // "uncompressed") makes the leader recompress every batch written with another codec.
    std::optional<record::Codec> compression;
    // compression.gzip/lz4/zstd.level (KIP-390) for that recompression; nullopt: Kafka's
    // defaults (gzip 6, lz4 9, zstd 3).
    std::optional<int> gzip_level;
    std::optional<int> lz4_level;
    std::optional<int> zstd_level;
    // Compaction leaves records younger than min_compaction_lag alone, and cleans a log whose
    // oldest uncleaned record is older than max_compaction_lag whatever its dirty ratio (and rolls
    // the active segment of a compacted log by then, so it can be cleaned).
    Duration min_compaction_lag = Duration::zero();
    Duration max_compaction_lag = Duration::max();
    // CreateTime bounds (Kafka's LogValidator): a record whose timestamp is more than `before`
    // in the past or `after` in the future is refused with INVALID_TIMESTAMP. Duration::max() is
    // no bound. difference.max.ms (deprecated) stands in for a bound left at its default.
    Duration timestamp_before_max = Duration::max();
    Duration timestamp_after_max = Duration::max();
    Duration timestamp_difference_max = Duration::max();
    // The active segment rolls once its offset index (8-byte entries) or time index (12-byte
    // entries) would hold more than this many bytes.
    uint64_t segment_index_bytes = 10 * 1024 * 1024;
    // Eddy's storage quota of the whole topic on this broker: the broker refuses produce once
    // the topic's partitions here hold this many bytes (the log itself only carries it).
    std::optional<uint64_t> storage_quota_bytes;

    // Sets one field from a Kafka key: the topic-level name ("segment.bytes") or the broker-wide
    // default's name ("log.segment.bytes", "log.roll.ms", "log.retention.hours",
    // "message.max.bytes", "log.flush.interval.messages", ...). Errors: invalid_config for an
    // unknown key or a value out of range; the config is unchanged then.
    Result<void, LogError> set(std::string_view key, std::string_view value);
    // Every value within its limits.
    Result<void, LogError> validate() const;

    bool durable_acks() const { return flush_messages <= 1; }
    Duration timestamp_before_bound() const {
        return timestamp_before_max != Duration::max() ? timestamp_before_max
                                                       : timestamp_difference_max;
    }
    Duration timestamp_after_bound() const {
        return timestamp_after_max != Duration::max() ? timestamp_after_max
                                                      : timestamp_difference_max;
    }
    // The level set for `codec`, if any.
    std::optional<int> level_of(record::Codec codec) const {
        switch (codec) {
            case record::Codec::gzip:
                return gzip_level;
            case record::Codec::lz4:
                return lz4_level.value_or(9);  // Kafka's default (LZ4 HC); the codec's is fast
            case record::Codec::zstd:
                return zstd_level;
            case record::Codec::none:
            case record::Codec::snappy:
                return std::nullopt;
        }
        return std::nullopt;
    }
    // segment.ms, shortened to max.compaction.lag.ms for compacted logs (Kafka's maxSegmentMs).
    Duration roll_after() const {
        return compacts(cleanup_policy) ? std::min(segment_ms, max_compaction_lag) : segment_ms;
    }
};

}  // namespace eddy::log
