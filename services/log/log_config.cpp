// Kafka config keys → LogConfig. See log_config.h.
#include "services/log/log_config.h"

#include <charconv>

namespace eddy::log {
namespace {

std::optional<int64_t> parse_long(std::string_view s) {
    int64_t v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || end != s.data() + s.size()) {
        return std::nullopt;
    }
    return v;
}

std::optional<double> parse_double(std::string_view s) {
    double v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || end != s.data() + s.size()) {
        return std::nullopt;
    }
    return v;
}

// Kafka's Long.MAX_VALUE ms (its "never") and anything past Duration::max() saturate.
Duration saturating_millis(int64_t ms, int64_t unit_ms) {
    const int64_t cap = Duration::max().to_millis();
    if (ms > cap / unit_ms) {
        return Duration::max();
    }
    return Duration::millis(ms * unit_ms);
}

}  // namespace

Result<void, LogError> LogConfig::set(std::string_view key, std::string_view value) {
    LogConfig next = *this;
    auto as_long = parse_long(value);
    auto need_long = [&](int64_t min) -> Result<int64_t, LogError> {
        if (!as_long || *as_long < min) {
            return fail(LogError::invalid_config);
        }
        return *as_long;
    };
    // Time keys with a unit (log.retention.hours etc.).
    auto set_time = [&](Duration& field, int64_t unit_ms) -> Result<void, LogError> {
        TRY_ASSIGN(int64_t v, need_long(0));
        field = saturating_millis(v, unit_ms);
        return {};
    };
    auto set_retention = [&](int64_t unit_ms) -> Result<void, LogError> {
        TRY_ASSIGN(int64_t v, need_long(-1));
        next.retention = v < 0 ? std::nullopt : std::optional(saturating_millis(v, unit_ms));
        return {};
    };

    if (key == "segment.bytes" || key == "log.segment.bytes") {
        TRY_ASSIGN(int64_t v, need_long(0));
        next.segment_bytes = static_cast<uint64_t>(v);
    } else if (key == "segment.ms" || key == "log.roll.ms") {
        TRY_VOID(set_time(next.segment_ms, 1));
    } else if (key == "log.roll.hours") {
        TRY_VOID(set_time(next.segment_ms, 3600 * 1000));
    } else if (key == "segment.jitter.ms" || key == "log.roll.jitter.ms") {
        TRY_VOID(set_time(next.segment_jitter, 1));
    } else if (key == "log.roll.jitter.hours") {
        TRY_VOID(set_time(next.segment_jitter, 3600 * 1000));
    } else if (key == "retention.ms" || key == "log.retention.ms") {
        TRY_VOID(set_retention(1));
    } else if (key == "log.retention.minutes") {
        TRY_VOID(set_retention(60 * 1000));
    } else if (key == "log.retention.hours") {
        TRY_VOID(set_retention(3600 * 1000));
    } else if (key == "retention.bytes" || key == "log.retention.bytes") {
        TRY_ASSIGN(int64_t v, need_long(-1));
        next.retention_bytes =
            v < 0 ? std::nullopt : std::optional<uint64_t>(static_cast<uint64_t>(v));
    } else if (key == "storage.quota.bytes" || key == "log.storage.quota.bytes") {
        TRY_ASSIGN(int64_t v, need_long(-1));
        next.storage_quota_bytes =
            v < 0 ? std::nullopt : std::optional<uint64_t>(static_cast<uint64_t>(v));
    } else if (key == "cleanup.policy" || key == "log.cleanup.policy") {
        if (value == "delete") {
            next.cleanup_policy = CleanupPolicy::delete_;
        } else if (value == "compact") {
            next.cleanup_policy = CleanupPolicy::compact;
        } else if (value == "compact,delete" || value == "delete,compact") {
            next.cleanup_policy = CleanupPolicy::compact_and_delete;
        } else {
            return fail(LogError::invalid_config);
        }
    } else if (key == "delete.retention.ms" || key == "log.cleaner.delete.retention.ms") {
        TRY_VOID(set_time(next.delete_retention, 1));
    } else if (key == "min.cleanable.dirty.ratio" || key == "log.cleaner.min.cleanable.ratio") {
        auto v = parse_double(value);
        if (!v || !(*v >= 0.0 && *v <= 1.0)) {
            return fail(LogError::invalid_config);
        }
        next.min_cleanable_dirty_ratio = *v;
    } else if (key == "max.message.bytes" || key == "message.max.bytes") {
        TRY_ASSIGN(int64_t v, need_long(0));
        next.max_message_bytes = static_cast<uint64_t>(v);
    } else if (key == "message.timestamp.type" || key == "log.message.timestamp.type") {
        if (value == "CreateTime") {
            next.message_timestamp_type = record::TimestampType::create_time;
        } else if (value == "LogAppendTime") {
            next.message_timestamp_type = record::TimestampType::log_append_time;
        } else {
            return fail(LogError::invalid_config);
        }
    } else if (key == "index.interval.bytes" || key == "log.index.interval.bytes") {
        TRY_ASSIGN(int64_t v, need_long(0));
        next.index_interval_bytes = static_cast<uint64_t>(v);
    } else if (key == "flush.messages" || key == "log.flush.interval.messages") {
        TRY_ASSIGN(int64_t v, need_long(1));
        next.flush_messages = static_cast<uint64_t>(v);
    } else if (key == "flush.ms" || key == "log.flush.interval.ms") {
        TRY_VOID(set_time(next.flush_ms, 1));
    } else if (key == "compression.type") {
        if (value == "producer") {
            next.compression = std::nullopt;
        } else if (value == "uncompressed") {
            next.compression = record::Codec::none;
        } else if (value == "gzip") {
            next.compression = record::Codec::gzip;
        } else if (value == "snappy") {
            next.compression = record::Codec::snappy;
        } else if (value == "lz4") {
            next.compression = record::Codec::lz4;
        } else if (value == "zstd") {
            next.compression = record::Codec::zstd;
        } else {
            return fail(LogError::invalid_config);
        }
    } else if (key == "min.compaction.lag.ms" || key == "log.cleaner.min.compaction.lag.ms") {
        TRY_VOID(set_time(next.min_compaction_lag, 1));
    } else if (key == "max.compaction.lag.ms" || key == "log.cleaner.max.compaction.lag.ms") {
        TRY_ASSIGN(int64_t v, need_long(1));
        next.max_compaction_lag = saturating_millis(v, 1);
    } else if (key == "message.timestamp.before.max.ms" ||
               key == "log.message.timestamp.before.max.ms") {
        TRY_VOID(set_time(next.timestamp_before_max, 1));
    } else if (key == "message.timestamp.after.max.ms" ||
               key == "log.message.timestamp.after.max.ms") {
        TRY_VOID(set_time(next.timestamp_after_max, 1));
    } else if (key == "message.timestamp.difference.max.ms" ||
               key == "log.message.timestamp.difference.max.ms") {
        TRY_VOID(set_time(next.timestamp_difference_max, 1));
    } else if (key == "compression.gzip.level") {
        // Kafka: 1-9, or -1 for zlib's default.
        TRY_ASSIGN(int64_t v, need_long(-1));
        if (v == 0 || v > 9) {
            return fail(LogError::invalid_config);
        }
        next.gzip_level = static_cast<int>(v);
    } else if (key == "compression.lz4.level") {
        TRY_ASSIGN(int64_t v, need_long(1));
        if (v > 17) {
            return fail(LogError::invalid_config);
        }
        next.lz4_level = static_cast<int>(v);
    } else if (key == "compression.zstd.level") {
        TRY_ASSIGN(int64_t v, need_long(-131072));
        if (v > 22) {
            return fail(LogError::invalid_config);
        }
        next.zstd_level = static_cast<int>(v);
    } else if (key == "segment.index.bytes" || key == "log.index.size.max.bytes") {
        TRY_ASSIGN(int64_t v, need_long(4));
        next.segment_index_bytes = static_cast<uint64_t>(v);
    } else {
        return fail(LogError::invalid_config);
    }
    TRY_VOID(next.validate());
    *this = next;
    return {};
}

Result<void, LogError> LogConfig::validate() const {
    const bool ok =
        segment_bytes >= limits::segment_bytes_min && segment_bytes <= limits::segment_bytes_max &&
        segment_ms > Duration::zero() && segment_jitter >= Duration::zero() &&
        (!retention || *retention >= Duration::zero()) && delete_retention >= Duration::zero() &&
        min_cleanable_dirty_ratio >= 0.0 && min_cleanable_dirty_ratio <= 1.0 &&
        max_message_bytes <= limits::max_message_bytes_max &&
        index_interval_bytes <= limits::segment_bytes_max && flush_messages >= 1 &&
        flush_ms >= Duration::zero() && min_compaction_lag >= Duration::zero() &&
        max_compaction_lag > Duration::zero() && timestamp_before_max >= Duration::zero() &&
        timestamp_after_max >= Duration::zero() && timestamp_difference_max >= Duration::zero() &&
        segment_index_bytes >= 4 && segment_index_bytes <= limits::segment_bytes_max;
    if (!ok) {
        return fail(LogError::invalid_config);
    }
    return {};
}

}  // namespace eddy::log
