// LogError names and the BatchError mapping. See log_error.h.
#include "services/log/log_error.h"

namespace eddy::log {

std::string_view to_string(LogError e) {
    switch (e) {
        case LogError::corrupt_message:
            return "record batch is corrupt (CRC or framing)";
        case LogError::invalid_record:
            return "record batch is invalid";
        case LogError::unsupported_compression:
            return "unsupported compression codec";
        case LogError::message_too_large:
            return "record batch is larger than max.message.bytes";
        case LogError::invalid_timestamp:
            return "record timestamp out of range";
        case LogError::record_list_too_large:
            return "append is larger than segment.bytes";
        case LogError::invalid_offsets:
            return "replica append with offsets not above the log end";
        case LogError::out_of_order_sequence:
            return "out of order sequence number from an idempotent producer";
        case LogError::invalid_producer_epoch:
            return "producer epoch is older than the producer's current one";
        case LogError::unknown_producer_id:
            return "no state for this producer id (expired or removed with the log head)";
        case LogError::offset_out_of_range:
            return "offset out of range";
        case LogError::io_error:
            return "disk I/O error";
        case LogError::no_space:
            return "disk full";
        case LogError::corrupt_data:
            return "stored data failed its checksum";
        case LogError::offline:
            return "partition log is offline";
        case LogError::truncated:
            return "appended data was truncated before it became durable";
        case LogError::closed:
            return "partition log is closed";
        case LogError::timed_out:
            return "the write was not durable before the deadline";
        case LogError::not_found:
            return "no such partition log";
        case LogError::already_exists:
            return "partition log already exists";
        case LogError::invalid_config:
            return "invalid log configuration";
    }
    return "unknown log error";
}

LogError from_batch_error(record::BatchError e) {
    switch (e) {
        case record::BatchError::truncated:
        case record::BatchError::invalid_batch_length:
        case record::BatchError::corrupt_message:
        case record::BatchError::decompression_failed:
            return LogError::corrupt_message;
        // Kafka answers INVALID_RECORD to a Produce v3+ carrying magic 0/1.
        case record::BatchError::legacy_magic:
        case record::BatchError::unsupported_magic:
        case record::BatchError::invalid_record_count:
        case record::BatchError::invalid_record:
            return LogError::invalid_record;
        case record::BatchError::unsupported_compression:
            return LogError::unsupported_compression;
        // A batch that decompresses past the cap is too large to accept.
        case record::BatchError::decompressed_too_large:
            return LogError::message_too_large;
    }
    return LogError::invalid_record;
}

}  // namespace eddy::log
