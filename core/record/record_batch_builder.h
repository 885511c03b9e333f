// Builds RecordBatch v2 bytes from records: what Eddy's own client sends, what the coordinators
// write (control batches), and what the tests feed the validator. The output always passes
// RecordBatchView::validate() with OffsetDeltas::consecutive.
//
// Records are encoded as they are appended (keys, values and headers are copied), so the spans
// passed to append() need not outlive the call. BaseTimestamp is the first record's timestamp,
// MaxTimestamp the largest; offset deltas run 0..n-1.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "core/base/bytes.h"
#include "core/base/ids.h"
#include "core/record/compression.h"
#include "core/record/record.h"
#include "core/record/record_batch.h"

namespace eddy::record {

struct BatchBuilderOptions {
    Codec compression = Codec::none;
    CompressOptions compress_options{};
    TimestampType timestamp_type = TimestampType::create_time;
    bool transactional = false;
    bool control = false;
    Offset base_offset{0};
    LeaderEpoch partition_leader_epoch{-1};
    ProducerId producer_id{-1};  // -1: not idempotent
    ProducerEpoch producer_epoch{-1};
    int32_t base_sequence = -1;
};

class RecordBatchBuilder {
public:
    explicit RecordBatchBuilder(BatchBuilderOptions options) : options_(options) {}

    // Adds one record. Precondition (ASSERTed): the plain records stay within
    // limits::decompressed_bytes_max, so every length fits its varint.
    void append(TimestampMs timestamp, std::optional<ByteSpan> key, std::optional<ByteSpan> value,
                std::span<const Header> headers = {});

    int32_t record_count() const { return count_; }
    // Size of the encoded, uncompressed records so far; a producer uses it to cut batches.
    size_t records_bytes() const { return records_.size(); }

    // The finished batch. Precondition (ASSERTed): at least one record was appended.
    Bytes build() const;

private:
    BatchBuilderOptions options_;
    Bytes records_;
    int32_t count_ = 0;
    TimestampMs base_timestamp_ = no_timestamp;
    TimestampMs max_timestamp_ = no_timestamp;
};

}  // namespace eddy::record
