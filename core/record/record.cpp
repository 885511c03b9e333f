// Record decoding; see record.h for the layout and the guarantees.
#include "core/record/record.h"

namespace eddy::record {
namespace {

// Smallest header on the wire: an empty key (1 byte) and a null value (1 byte).
constexpr size_t header_bytes_min = 2;

Result<int32_t, BatchError> read_varint(ByteReader& r) {
    auto v = r.varint();
    if (!v.ok()) {
        return fail(BatchError::invalid_record);
    }
    return *v;
}

// A length-prefixed field: -1 is null when `nullable`; anything else below 0, or longer than what
// remains, is invalid.
Result<std::optional<ByteSpan>, BatchError> read_field(ByteReader& r, bool nullable) {
    TRY_ASSIGN(int32_t len, read_varint(r));
    if (len == -1 && nullable) {
        return std::optional<ByteSpan>{};
    }
    if (len < 0) {
        return fail(BatchError::invalid_record);
    }
    std::optional<ByteSpan> bytes = r.take(static_cast<size_t>(len));
    if (!bytes) {
        return fail(BatchError::invalid_record);
    }
    return bytes;
}

}  // namespace

void RecordHeaders::Iterator::load() {
    if (left_ == 0) {
        return;
    }
    // The bytes were checked by RecordReader::next; a failure here is a programmer error.
    auto key = read_field(reader_, /*nullable=*/false);
    ASSERT(key.ok() && key->has_value(), "RecordHeaders over unvalidated bytes");
    auto value = read_field(reader_, /*nullable=*/true);
    ASSERT(value.ok(), "RecordHeaders over unvalidated bytes");
    current_ = Header{as_chars(**key), *value};
}

Result<Record, BatchError> RecordReader::next() {
    ASSERT(left_ > 0, "RecordReader::next past the record count");
    TRY_ASSIGN(int32_t length, read_varint(reader_));
    if (length < 0) {
        return fail(BatchError::invalid_record);
    }
    std::optional<ByteSpan> body = reader_.take(static_cast<size_t>(length));
    if (!body) {
        return fail(BatchError::invalid_record);
    }
    ByteReader r(*body);
    Record rec;
    std::optional<uint8_t> attributes = r.u8();
    if (!attributes) {
        return fail(BatchError::invalid_record);
    }
    rec.attributes = static_cast<int8_t>(*attributes);
    auto ts = r.varlong();
    if (!ts.ok()) {
        return fail(BatchError::invalid_record);
    }
    rec.timestamp_delta = *ts;
    TRY_ASSIGN(rec.offset_delta, read_varint(r));
    TRY_ASSIGN(rec.key, read_field(r, /*nullable=*/true));
    TRY_ASSIGN(rec.value, read_field(r, /*nullable=*/true));
    TRY_ASSIGN(int32_t header_count, read_varint(r));
    if (header_count < 0 || static_cast<size_t>(header_count) > r.remaining() / header_bytes_min) {
        return fail(BatchError::invalid_record);
    }
    size_t headers_begin = r.position();
    for (int32_t i = 0; i < header_count; ++i) {
        TRY_VOID(read_field(r, /*nullable=*/false));
        TRY_VOID(read_field(r, /*nullable=*/true));
    }
    // The fields must use exactly the record's declared length.
    if (!r.at_end()) {
        return fail(BatchError::invalid_record);
    }
    rec.headers = RecordHeaders(body->subspan(headers_begin), header_count);
    --left_;
    return rec;
}

Result<void, BatchError> RecordReader::finish() const {
    ASSERT(left_ == 0, "RecordReader::finish before the last record");
    if (!reader_.at_end()) {
        return fail(BatchError::invalid_record);
    }
    return {};
}

}  // namespace eddy::record
