// RecordBatch v2 view, validation, splitting and in-place edits. See record_batch.h.
#include "core/record/record_batch.h"

#include <cstring>

#include "core/record/crc32c.h"

namespace eddy::record {
namespace {

// Smallest legal BatchLength: the header after the BatchLength field.
constexpr int32_t batch_length_min =
    static_cast<int32_t>(layout::header_bytes - layout::log_overhead);

template <typename T>
T load(ByteSpan b, size_t at) {
    using U = std::make_unsigned_t<T>;
    ASSERT(at + sizeof(T) <= b.size());
    return static_cast<T>(load_be<U>(b.data() + at));
}

template <typename T>
void store(MutableByteSpan b, size_t at, T v) {
    using U = std::make_unsigned_t<T>;
    ASSERT(at + sizeof(T) <= b.size());
    store_be<U>(b.data() + at, static_cast<U>(v));
}

// int64 addition that wraps instead of overflowing, for sums of untrusted wire values.
int64_t add_wrapping(int64_t a, int64_t b) {
    return static_cast<int64_t>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
}

bool codec_known(uint16_t attributes) {
    return (attributes & attribute_bits::codec_mask) <= static_cast<uint16_t>(Codec::zstd);
}

uint32_t crc_of(ByteSpan batch) { return crc32c(batch.subspan(layout::attributes)); }

// The edits take exactly one batch: the CRC is computed to the end of the span.
void assert_one_batch(ByteSpan batch) {
    ASSERT(RecordBatchView::parse(batch).ok(), "in-place edit of bytes that are not one v2 batch");
}

}  // namespace

Result<size_t, BatchError> batch_size_at(ByteSpan bytes) {
    if (bytes.size() <= layout::magic) {
        return fail(BatchError::truncated);
    }
    auto magic = static_cast<int8_t>(bytes[layout::magic]);
    if (magic == 0 || magic == 1) {
        return fail(BatchError::legacy_magic);
    }
    if (magic != magic_v2) {
        return fail(BatchError::unsupported_magic);
    }
    int32_t length = load<int32_t>(bytes, layout::batch_length);
    if (length < batch_length_min) {
        return fail(BatchError::invalid_batch_length);
    }
    size_t size = static_cast<size_t>(length) + layout::log_overhead;
    if (bytes.size() < size) {
        return fail(BatchError::truncated);
    }
    if (!codec_known(load<uint16_t>(bytes, layout::attributes))) {
        return fail(BatchError::unsupported_compression);
    }
    return size;
}

Result<RecordBatchView, BatchError> RecordBatchView::parse(ByteSpan bytes) {
    TRY_ASSIGN(size_t size, batch_size_at(bytes));
    if (size != bytes.size()) {
        return fail(BatchError::invalid_batch_length);
    }
    return RecordBatchView(bytes);
}

Result<std::vector<RecordBatchView>, BatchError> split_batches(ByteSpan payload,
                                                               PartialTail partial_tail) {
    std::vector<RecordBatchView> batches;
    while (!payload.empty()) {
        auto size = batch_size_at(payload);
        if (!size.ok()) {
            // A batch whose header is complete but whose body is cut, or whose header is cut
            // before its magic or length.
            bool cut = size.error() == BatchError::truncated;
            if (cut && partial_tail == PartialTail::ignore) {
                break;
            }
            return fail(size.error());
        }
        batches.push_back(RecordBatchView::parse(payload.first(*size)).value());
        payload = payload.subspan(*size);
    }
    return batches;
}

Offset RecordBatchView::base_offset() const {
    return Offset(load<int64_t>(bytes_, layout::base_offset));
}
int32_t RecordBatchView::batch_length() const {
    return load<int32_t>(bytes_, layout::batch_length);
}
LeaderEpoch RecordBatchView::partition_leader_epoch() const {
    return LeaderEpoch(load<int32_t>(bytes_, layout::partition_leader_epoch));
}
int8_t RecordBatchView::magic() const { return load<int8_t>(bytes_, layout::magic); }
uint32_t RecordBatchView::crc() const { return load<uint32_t>(bytes_, layout::crc); }
uint16_t RecordBatchView::attributes() const { return load<uint16_t>(bytes_, layout::attributes); }
Codec RecordBatchView::compression() const {
    return static_cast<Codec>(attributes() & attribute_bits::codec_mask);  // parse() checked it
}
TimestampType RecordBatchView::timestamp_type() const {
    return (attributes() & attribute_bits::timestamp_type) != 0 ? TimestampType::log_append_time
                                                                : TimestampType::create_time;
}
bool RecordBatchView::is_transactional() const {
    return (attributes() & attribute_bits::transactional) != 0;
}
bool RecordBatchView::is_control() const { return (attributes() & attribute_bits::control) != 0; }
bool RecordBatchView::has_delete_horizon() const {
    return (attributes() & attribute_bits::delete_horizon) != 0;
}
int32_t RecordBatchView::last_offset_delta() const {
    return load<int32_t>(bytes_, layout::last_offset_delta);
}
Offset RecordBatchView::last_offset() const {
    return Offset(add_wrapping(base_offset().value(), last_offset_delta()));
}
TimestampMs RecordBatchView::base_timestamp() const {
    return TimestampMs(load<int64_t>(bytes_, layout::base_timestamp));
}
TimestampMs RecordBatchView::max_timestamp() const {
    return TimestampMs(load<int64_t>(bytes_, layout::max_timestamp));
}
ProducerId RecordBatchView::producer_id() const {
    return ProducerId(load<int64_t>(bytes_, layout::producer_id));
}
ProducerEpoch RecordBatchView::producer_epoch() const {
    return ProducerEpoch(load<int16_t>(bytes_, layout::producer_epoch));
}
int32_t RecordBatchView::base_sequence() const {
    return load<int32_t>(bytes_, layout::base_sequence);
}
int32_t RecordBatchView::record_count() const {
    return load<int32_t>(bytes_, layout::records_count);
}

uint32_t RecordBatchView::compute_crc() const { return crc_of(bytes_); }

Offset RecordBatchView::record_offset(const Record& r) const {
    return Offset(add_wrapping(base_offset().value(), r.offset_delta));
}

TimestampMs RecordBatchView::record_timestamp(const Record& r) const {
    if (timestamp_type() == TimestampType::log_append_time) {
        return max_timestamp();
    }
    return TimestampMs(add_wrapping(base_timestamp().value(), r.timestamp_delta));
}

Result<BatchSummary, BatchError> RecordBatchView::validate(const ValidateOptions& options) const {
    if (compute_crc() != crc()) {
        return fail(BatchError::corrupt_message);
    }
    int32_t count = record_count();
    int32_t last_delta = last_offset_delta();
    if (count < 0 || last_delta < 0) {
        return fail(BatchError::invalid_record_count);
    }
    // Kafka's produce rule (LogValidator): a batch carries at least one record and its offset
    // range is exactly its record count. The log allows gaps and empty batches (compaction).
    switch (options.offset_deltas) {
        case OffsetDeltas::consecutive:
            if (count == 0 || last_delta != count - 1) {
                return fail(BatchError::invalid_record_count);
            }
            break;
        case OffsetDeltas::increasing:
            if (count - 1 > last_delta) {
                return fail(BatchError::invalid_record_count);
            }
            // Offsets as stored (a leader's batch on a follower, a log read back): they must
            // be offsets at all, and the last one must exist. A producer's base offset is
            // ignored (the leader assigns offsets), so only here.
            if (base_offset().value() < 0 || base_offset().value() > INT64_MAX - last_delta) {
                return fail(BatchError::invalid_record_count);
            }
            break;
    }
    // Every record takes at least record_bytes_min bytes of the plain records region.
    size_t plain_max =
        compression() == Codec::none ? records_bytes().size() : options.decompressed_bytes_max;
    if (static_cast<size_t>(count) > plain_max / limits::record_bytes_min) {
        return fail(BatchError::invalid_record_count);
    }

    BatchSummary summary;
    summary.record_count = count;
    if (!options.decode_records) {
        return summary;
    }
    TRY_ASSIGN(BatchRecords records, BatchRecords::open(*this, options.decompressed_bytes_max));
    summary.records_bytes = records.bytes().size();
    RecordReader reader = records.reader();
    int64_t prev_delta = -1;
    for (int32_t i = 0; !reader.done(); ++i) {
        TRY_ASSIGN(Record r, reader.next());
        bool delta_ok = options.offset_deltas == OffsetDeltas::consecutive
                            ? r.offset_delta == i
                            : r.offset_delta > prev_delta && r.offset_delta <= last_delta;
        if (!delta_ok) {
            return fail(BatchError::invalid_record);
        }
        prev_delta = r.offset_delta;
        TimestampMs ts(add_wrapping(base_timestamp().value(), r.timestamp_delta));
        // Not `max == no_timestamp`: -1 is also a timestamp a record may carry.
        if (i == 0 || ts > summary.max_record_timestamp) {
            summary.max_record_timestamp = ts;
        }
        if (i == 0 || ts < summary.min_record_timestamp) {
            summary.min_record_timestamp = ts;
        }
        summary.any_null_key = summary.any_null_key || !r.key.has_value();
    }
    TRY_VOID(reader.finish());
    return summary;
}

Result<BatchRecords, BatchError> BatchRecords::open(const RecordBatchView& batch,
                                                    size_t decompressed_bytes_max) {
    BatchRecords out;
    out.count_ = batch.record_count();
    if (batch.compression() == Codec::none) {
        out.span_ = batch.records_bytes();
    } else {
        auto plain = decompress(batch.compression(), batch.records_bytes(), decompressed_bytes_max);
        if (!plain.ok()) {
            switch (plain.error()) {
                case CompressionError::output_too_large:
                    return fail(BatchError::decompressed_too_large);
                case CompressionError::corrupt:
                case CompressionError::input_too_large:
                    return fail(BatchError::decompression_failed);
                case CompressionError::unsupported_codec:
                    return fail(BatchError::unsupported_compression);
            }
        }
        out.compressed_ = true;
        out.owned_ = std::move(plain).value();
    }
    if (out.count_ < 0 ||
        static_cast<size_t>(out.count_) > out.bytes().size() / limits::record_bytes_min) {
        return fail(BatchError::invalid_record_count);
    }
    return out;
}

RecordReader BatchRecords::reader() const { return RecordReader(bytes(), count_); }

Result<std::vector<Record>, BatchError> BatchRecords::decode_all() const {
    std::vector<Record> out;
    out.reserve(static_cast<size_t>(count_));  // bounded by bytes().size() / 7 in open()
    RecordReader reader = this->reader();
    while (!reader.done()) {
        TRY_ASSIGN(Record r, reader.next());
        out.push_back(r);
    }
    TRY_VOID(reader.finish());
    return out;
}

void set_base_offset(MutableByteSpan batch, Offset base_offset) {
    assert_one_batch(batch);
    store<int64_t>(batch, layout::base_offset, base_offset.value());
}

void set_partition_leader_epoch(MutableByteSpan batch, LeaderEpoch epoch) {
    assert_one_batch(batch);
    store<int32_t>(batch, layout::partition_leader_epoch, epoch.value());
}

Result<Bytes, BatchError> recompress(const RecordBatchView& batch, Codec codec,
                                     size_t decompressed_bytes_max, std::optional<int> level) {
    TRY_ASSIGN(BatchRecords records, BatchRecords::open(batch, decompressed_bytes_max));
    Bytes region;
    if (codec == Codec::none) {
        region.assign(records.bytes().begin(), records.bytes().end());
    } else {
        auto c = compress(codec, records.bytes(), {}, level);
        if (!c.ok()) {
            return fail(BatchError::decompression_failed);
        }
        region = std::move(c).value();
    }
    Bytes out(layout::header_bytes + region.size());
    std::memcpy(out.data(), batch.bytes().data(), layout::header_bytes);
    if (!region.empty()) {
        std::memcpy(out.data() + layout::header_bytes, region.data(), region.size());
    }
    const auto attrs = static_cast<uint16_t>((batch.attributes() & ~attribute_bits::codec_mask) |
                                             static_cast<uint16_t>(codec));
    MutableByteSpan span(out);
    store<uint16_t>(span, layout::attributes, attrs);
    store<uint32_t>(span, layout::batch_length,
                    static_cast<uint32_t>(out.size() - layout::log_overhead));
    store<uint32_t>(span, layout::crc, crc_of(span));
    ASSERT(RecordBatchView::parse(out).ok(), "a recompressed batch is one batch");
    return out;
}

void set_max_timestamp(MutableByteSpan batch, TimestampType type, TimestampMs max_timestamp) {
    assert_one_batch(batch);
    uint16_t attrs = load<uint16_t>(batch, layout::attributes);
    uint16_t new_attrs = type == TimestampType::log_append_time
                             ? static_cast<uint16_t>(attrs | attribute_bits::timestamp_type)
                             : static_cast<uint16_t>(attrs & ~attribute_bits::timestamp_type);
    if (new_attrs == attrs &&
        load<int64_t>(batch, layout::max_timestamp) == max_timestamp.value()) {
        return;
    }
    store<uint16_t>(batch, layout::attributes, new_attrs);
    store<int64_t>(batch, layout::max_timestamp, max_timestamp.value());
    store<uint32_t>(batch, layout::crc, crc_of(batch));
}

void stamp_log_append_time(MutableByteSpan batch, TimestampMs now) {
    set_max_timestamp(batch, TimestampType::log_append_time, now);
}

}  // namespace eddy::record
