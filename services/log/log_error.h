// LogError: every way a partition log operation can fail, as one small enum owned by services/log.
// The broker maps it to a Kafka error code in exactly one exhaustive switch (services/kafka); the
// intended mapping is written next to each value and in README.md.
//
// Input errors (the batch is refused, nothing was written) are separate from storage errors (the
// disk failed; the partition may be offline) so the produce path never answers "definitely
// failed" for a write that may have landed.
#pragma once

#include <cstdint>
#include <string_view>

#include "core/record/batch_error.h"

namespace eddy::log {

enum class LogError : uint8_t {
    // --- The batch is refused; nothing was written. ---
    corrupt_message,          // CRC-32C mismatch or broken framing → CORRUPT_MESSAGE (2)
    invalid_record,           // record count/deltas/records malformed, legacy magic, a null key
                              // on a compacted topic → INVALID_RECORD (87)
    unsupported_compression,  // codec 5-7 → UNSUPPORTED_COMPRESSION_TYPE (76)
    message_too_large,        // one batch over max.message.bytes, or it decompresses past the cap
                              // → MESSAGE_TOO_LARGE (10)
    record_list_too_large,  // the append is larger than segment.bytes → RECORD_LIST_TOO_LARGE (18)
    invalid_timestamp,      // a record's timestamp outside message.timestamp.before/after.max.ms,
                            // or a producer claiming LogAppendTime → INVALID_TIMESTAMP (32)
    invalid_offsets,        // replica append: offsets not above the log end or not increasing
                            // → UNKNOWN_SERVER_ERROR (-1); a replication bug, logged
    // Idempotent producers (producer_state.h).
    out_of_order_sequence,   // a sequence gap → OUT_OF_ORDER_SEQUENCE_NUMBER (45)
    invalid_producer_epoch,  // an epoch older than the producer's → INVALID_PRODUCER_EPOCH (47)
    unknown_producer_id,     // no state for a producer past sequence 0 → UNKNOWN_PRODUCER_ID (59)
    // --- Reads and offset queries. ---
    offset_out_of_range,  // below the log start offset or above the log end → OFFSET_OUT_OF_RANGE
                          // (1)
    // --- Storage. The write may or may not have landed; retriable for the client. ---
    io_error,      // the disk refused a read or write → KAFKA_STORAGE_ERROR (56)
    no_space,      // disk full → KAFKA_STORAGE_ERROR (56)
    corrupt_data,  // stored data fails its checksum on every re-read → KAFKA_STORAGE_ERROR (56)
    offline,       // the partition was taken offline (corruption found, or an earlier storage
                   // failure) → KAFKA_STORAGE_ERROR (56)
    truncated,     // the appended data was truncated (replication) before it became durable
                   // → NOT_LEADER_OR_FOLLOWER (6), retriable
    closed,        // the log is closing or was deleted → NOT_LEADER_OR_FOLLOWER (6)
    timed_out,     // the durability wait ended at its deadline; the write is in the log and
                   // may still become durable → REQUEST_TIMED_OUT (7), retriable
    // --- LogManager. ---
    not_found,       // no such partition log → UNKNOWN_TOPIC_OR_PARTITION (3)
    already_exists,  // create of a log that exists → TOPIC_ALREADY_EXISTS (36)
    invalid_config,  // a config key or value is not acceptable → INVALID_CONFIG (40)
};

std::string_view to_string(LogError e);

// The one mapping from a record-batch validation failure to a log error.
LogError from_batch_error(record::BatchError e);

}  // namespace eddy::log
