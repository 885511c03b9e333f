// Why a record batch was refused. One enum for framing, checksum, record and codec failures so a
// caller maps it to a Kafka error code in one exhaustive switch (STYLE.md "Errors"). The intended
// mapping is in README.md; services/kafka owns the actual switch.
#pragma once

#include <cstdint>
#include <string_view>

namespace eddy::record {

enum class BatchError : uint8_t {
    truncated,                // fewer bytes than the header or BatchLength needs
    invalid_batch_length,     // BatchLength smaller than a v2 header, or not matching the bytes
    legacy_magic,             // magic 0 or 1: a v0/v1 message set; Eddy takes RecordBatch v2 only
    unsupported_magic,        // magic above 2 (or negative)
    unsupported_compression,  // attributes codec 5-7
    corrupt_message,          // CRC-32C mismatch
    invalid_record_count,     // RecordsCount negative, more than the bytes can hold, or not
                              // agreeing with LastOffsetDelta
    invalid_record,           // a record's framing: varints, lengths, offset deltas, leftovers
    decompression_failed,     // the codec rejected the records blob
    decompressed_too_large,   // the records blob decompresses past the caller's cap
};

// A sentence for logs and KIP-467 error messages.
constexpr std::string_view to_string(BatchError e) {
    switch (e) {
        case BatchError::truncated:
            return "record batch is truncated";
        case BatchError::invalid_batch_length:
            return "record batch length is invalid";
        case BatchError::legacy_magic:
            return "message format v0/v1 (magic 0/1) is not supported; use RecordBatch v2";
        case BatchError::unsupported_magic:
            return "record batch magic is not 2";
        case BatchError::unsupported_compression:
            return "unknown compression codec";
        case BatchError::corrupt_message:
            return "record batch CRC-32C mismatch";
        case BatchError::invalid_record_count:
            return "record count is invalid";
        case BatchError::invalid_record:
            return "record is malformed";
        case BatchError::decompression_failed:
            return "record batch does not decompress";
        case BatchError::decompressed_too_large:
            return "record batch decompresses beyond the allowed size";
    }
    return "unknown record batch error";
}

}  // namespace eddy::record
