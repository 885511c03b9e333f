// RecordBatch v2 (magic 2): a read-only view over one batch's bytes, its validation, the splitter
// for a concatenation of batches (a produce payload, a fetch response, a log segment), decoding of
// its records, and the few in-place edits a broker makes. Layout (CLIENTS.md §3; KIP-98):
//
//   0 BaseOffset int64          not covered by the CRC; the broker assigns it
//   8 BatchLength int32         bytes after this field (the batch is BatchLength + 12 bytes)
//  12 PartitionLeaderEpoch int32 not covered by the CRC; the broker sets it
//  16 Magic int8                2 (byte 16 is the magic in every message format version)
//  17 CRC uint32                CRC-32C of bytes 21..end
//  21 Attributes int16          codec (bits 0-2), timestamp type (3), transactional (4),
//                               control (5), delete horizon (6)
//  23 LastOffsetDelta int32     27 BaseTimestamp int64     35 MaxTimestamp int64
//  43 ProducerId int64          51 ProducerEpoch int16     53 BaseSequence int32
//  57 RecordsCount int32        61 Records (one compressed blob when the codec is not none)
//
// Trust levels: `RecordBatchView::parse` checks the framing (size, magic, BatchLength, codec), so
// every accessor reads inside the bytes. `validate` checks the rest (CRC, record count and, when
// asked, every record) and must pass before anything else is believed.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "core/base/bytes.h"
#include "core/base/ids.h"
#include "core/base/result.h"
#include "core/record/batch_error.h"
#include "core/record/compression.h"
#include "core/record/limits.h"
#include "core/record/record.h"

namespace eddy::record {

// A Kafka timestamp: milliseconds since the epoch, exactly as carried on the wire (-1 = none).
// Not a WallTime: wire values are arbitrary int64s, and WallTime's nanoseconds would overflow.
using TimestampMs = StrongId<struct TimestampMsTag, int64_t>;
inline constexpr TimestampMs no_timestamp{-1};

enum class TimestampType : uint8_t { create_time = 0, log_append_time = 1 };

namespace layout {
inline constexpr size_t base_offset = 0;
inline constexpr size_t batch_length = 8;
inline constexpr size_t partition_leader_epoch = 12;
inline constexpr size_t magic = 16;
inline constexpr size_t crc = 17;
inline constexpr size_t attributes = 21;
inline constexpr size_t last_offset_delta = 23;
inline constexpr size_t base_timestamp = 27;
inline constexpr size_t max_timestamp = 35;
inline constexpr size_t producer_id = 43;
inline constexpr size_t producer_epoch = 51;
inline constexpr size_t base_sequence = 53;
inline constexpr size_t records_count = 57;
inline constexpr size_t records = 61;
// BaseOffset + BatchLength: the part of a batch that BatchLength does not count.
inline constexpr size_t log_overhead = 12;
inline constexpr size_t header_bytes = records;
static_assert(header_bytes == 61, "record batch v2 overhead");
static_assert(crc + 4 == attributes, "the CRC covers everything from Attributes on");
}  // namespace layout

inline constexpr int8_t magic_v2 = 2;

namespace attribute_bits {
inline constexpr uint16_t codec_mask = 0x07;
inline constexpr uint16_t timestamp_type = 0x08;
inline constexpr uint16_t transactional = 0x10;
inline constexpr uint16_t control = 0x20;
inline constexpr uint16_t delete_horizon = 0x40;
}  // namespace attribute_bits

// How validate() treats offset deltas.
enum class OffsetDeltas : uint8_t {
    // Produce: RecordsCount > 0, LastOffsetDelta == RecordsCount - 1, deltas are exactly 0..n-1.
    consecutive,
    // The log (compaction leaves gaps and may leave a batch empty): deltas strictly increase
    // from >= 0 and stay <= LastOffsetDelta; RecordsCount <= LastOffsetDelta + 1.
    increasing,
};

struct ValidateOptions {
    // Decode (and decompress) every record. Without it only the header-level checks run.
    bool decode_records = true;
    OffsetDeltas offset_deltas = OffsetDeltas::consecutive;
    size_t decompressed_bytes_max = limits::decompressed_bytes_default;
};

// What validate() learned while decoding records (the header-only mode fills record_count only).
struct BatchSummary {
    int32_t record_count = 0;
    // Largest BaseTimestamp + timestamp_delta over the records; no_timestamp when there are none.
    TimestampMs max_record_timestamp = no_timestamp;
    // Smallest BaseTimestamp + timestamp_delta over the records; no_timestamp when there are none.
    TimestampMs min_record_timestamp = no_timestamp;
    bool any_null_key = false;
    // Size of the plain records region (after decompression).
    size_t records_bytes = 0;
};

class RecordBatchView {
public:
    // One batch exactly: `bytes` must be the whole batch and nothing more.
    // Errors: truncated, invalid_batch_length, legacy_magic, unsupported_magic,
    // unsupported_compression.
    static Result<RecordBatchView, BatchError> parse(ByteSpan bytes);

    ByteSpan bytes() const { return bytes_; }
    Offset base_offset() const;
    int32_t batch_length() const;
    LeaderEpoch partition_leader_epoch() const;
    int8_t magic() const;
    uint32_t crc() const;
    uint16_t attributes() const;
    Codec compression() const;
    TimestampType timestamp_type() const;
    bool is_transactional() const;
    bool is_control() const;
    bool has_delete_horizon() const;
    int32_t last_offset_delta() const;
    // base_offset + last_offset_delta (wrapping like Java's long arithmetic on garbage input).
    Offset last_offset() const;
    TimestampMs base_timestamp() const;
    TimestampMs max_timestamp() const;
    ProducerId producer_id() const;
    ProducerEpoch producer_epoch() const;
    int32_t base_sequence() const;
    int32_t record_count() const;
    // The records region as stored: compressed when compression() is not none.
    ByteSpan records_bytes() const { return bytes_.subspan(layout::records); }

    // CRC-32C of bytes 21..end, to compare with crc().
    uint32_t compute_crc() const;

    // Everything parse() does not check: CRC, record count against LastOffsetDelta and the bytes,
    // and with decode_records every record (after decompression). Errors: corrupt_message,
    // invalid_record_count, invalid_record, decompression_failed, decompressed_too_large.
    Result<BatchSummary, BatchError> validate(const ValidateOptions& options = {}) const;

    // The absolute offset and timestamp of a record of this batch. With LogAppendTime every record
    // carries the batch's MaxTimestamp (the broker's append time), as Kafka's readers do.
    Offset record_offset(const Record& r) const;
    TimestampMs record_timestamp(const Record& r) const;

private:
    explicit RecordBatchView(ByteSpan bytes) : bytes_(bytes) {}
    ByteSpan bytes_;
};

// Size of the batch that starts at `bytes` (BatchLength + 12), after checking that its header is a
// v2 header and that `bytes` holds all of it. Same errors as parse().
Result<size_t, BatchError> batch_size_at(ByteSpan bytes);

// What to do with a batch cut short at the end of a payload. Fetch responses may end with a
// partial batch (KIP-74: a broker cuts at max_bytes); produce payloads and log reads may not.
enum class PartialTail : uint8_t { reject, ignore };

// Split a concatenation of batches. Each view has passed parse(), not validate(). With
// PartialTail::ignore a truncated last batch is dropped silently; any other error still fails.
Result<std::vector<RecordBatchView>, BatchError> split_batches(
    ByteSpan payload, PartialTail partial_tail = PartialTail::reject);

// The plain records of one batch: the batch's own bytes when it is uncompressed, or an owned,
// decompressed copy (at most `decompressed_bytes_max` bytes).
class BatchRecords {
public:
    // Errors: decompression_failed, decompressed_too_large.
    static Result<BatchRecords, BatchError> open(
        const RecordBatchView& batch,
        size_t decompressed_bytes_max = limits::decompressed_bytes_default);

    ByteSpan bytes() const { return compressed_ ? ByteSpan(owned_) : span_; }
    int32_t count() const { return count_; }
    // A reader over the records; precondition: the batch's record count is not negative
    // (validate() checks it).
    RecordReader reader() const;
    // Every record (views into bytes()); errors: invalid_record.
    Result<std::vector<Record>, BatchError> decode_all() const;

private:
    BatchRecords() = default;
    bool compressed_ = false;
    Bytes owned_;    // compressed_
    ByteSpan span_;  // !compressed_
    int32_t count_ = 0;
};

// The same batch with its records region written with `codec` instead (Kafka's broker-side
// compression.type): header fields kept, the codec bits, BatchLength and CRC recomputed. The
// records themselves are not re-encoded: the plain records region is the same for every codec.
// Call it only after validate() passed. Errors: decompression_failed (also when the target
// codec refuses the input), decompressed_too_large.
Result<Bytes, BatchError> recompress(const RecordBatchView& batch, Codec codec,
                                     size_t decompressed_bytes_max,
                                     std::optional<int> level = std::nullopt);

// In-place edits of one batch: `batch` must be exactly a batch that passes parse() (ASSERTed).
// These are the only bytes a broker changes in a stored batch (DESIGN.md §5).

// BaseOffset is outside the CRC: no recomputation.
void set_base_offset(MutableByteSpan batch, Offset base_offset);
// PartitionLeaderEpoch is outside the CRC: no recomputation.
void set_partition_leader_epoch(MutableByteSpan batch, LeaderEpoch epoch);
// Sets the timestamp-type bit and MaxTimestamp, and recomputes the CRC when anything changed.
// The broker uses it with LogAppendTime (max = its clock) and, like Kafka's LogValidator, with
// CreateTime to correct MaxTimestamp to the records' real maximum. Call it only after validate()
// passed: recomputing the CRC of corrupt bytes would make them look intact.
void set_max_timestamp(MutableByteSpan batch, TimestampType type, TimestampMs max_timestamp);
// LogAppendTime stamping: set_max_timestamp(batch, log_append_time, now).
void stamp_log_append_time(MutableByteSpan batch, TimestampMs now);

}  // namespace eddy::record
