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
//
// Invariant (checked by validate()): every value is inside its limits below.
#pragma once

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

    // Sets one field from a Kafka key: the topic-level name ("segment.bytes") or the broker-wide
    // default's name ("log.segment.bytes", "log.roll.ms", "log.retention.hours",
    // "message.max.bytes", "log.flush.interval.messages", ...). Errors: invalid_config for an
    // unknown key or a value out of range; the config is unchanged then.
    Result<void, LogError> set(std::string_view key, std::string_view value);
    // Every value within its limits.
    Result<void, LogError> validate() const;

    bool durable_acks() const { return flush_messages <= 1; }
};

}  // namespace eddy::log
