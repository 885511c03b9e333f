// RecordBatch v2 encoding. See record_batch_builder.h.
#include "core/record/record_batch_builder.h"

#include <algorithm>
#include <cstring>

#include "core/record/crc32c.h"
#include "core/record/varint.h"

namespace eddy::record {
namespace {

int32_t checked_length(size_t n) {
    ASSERT(n <= limits::decompressed_bytes_max, "record field larger than a batch may be");
    return static_cast<int32_t>(n);
}

void put_bytes(Bytes& out, ByteSpan b) { out.insert(out.end(), b.begin(), b.end()); }

void put_nullable(Bytes& out, const std::optional<ByteSpan>& b) {
    if (!b) {
        put_varint(out, -1);
        return;
    }
    put_varint(out, checked_length(b->size()));
    put_bytes(out, *b);
}

template <typename T>
void store_at(Bytes& out, size_t at, T v) {
    store_be<std::make_unsigned_t<T>>(out.data() + at, static_cast<std::make_unsigned_t<T>>(v));
}

}  // namespace

void RecordBatchBuilder::append(TimestampMs timestamp, std::optional<ByteSpan> key,
                                std::optional<ByteSpan> value, std::span<const Header> headers) {
    if (count_ == 0) {
        base_timestamp_ = timestamp;
        max_timestamp_ = timestamp;
    }
    max_timestamp_ = std::max(max_timestamp_, timestamp);
    // Wrapping subtraction: the delta of extreme timestamps is still well defined on the wire.
    auto delta = static_cast<int64_t>(static_cast<uint64_t>(timestamp.value()) -
                                      static_cast<uint64_t>(base_timestamp_.value()));

    Bytes body;
    body.push_back(std::byte{0});  // record attributes: unused
    put_varlong(body, delta);
    put_varint(body, count_);  // offset delta
    put_nullable(body, key);
    put_nullable(body, value);
    put_varint(body, checked_length(headers.size()));
    for (const Header& h : headers) {
        put_nullable(body, as_bytes(h.key));
        put_nullable(body, h.value);
    }
    put_varint(records_, checked_length(body.size()));
    put_bytes(records_, body);
    checked_length(records_.size());
    ++count_;
}

Bytes RecordBatchBuilder::build() const {
    ASSERT(count_ > 0, "a record batch needs at least one record");
    Bytes compressed;
    ByteSpan records = records_;
    if (options_.compression != Codec::none) {
        auto c = compress(options_.compression, records_, options_.compress_options);
        ASSERT(c.ok(), "compress of at most limits::decompressed_bytes_max bytes");
        compressed = std::move(c).value();
        records = compressed;
    }

    // Sized once and copied (rather than inserted): g++ 12 at -O3 misreports vector::insert into
    // a just-sized vector as out of bounds (-Warray-bounds).
    Bytes out(layout::header_bytes + records.size());
    std::copy(records.begin(), records.end(), out.begin() + layout::header_bytes);
    uint16_t attributes = static_cast<uint16_t>(options_.compression);
    if (options_.timestamp_type == TimestampType::log_append_time) {
        attributes |= attribute_bits::timestamp_type;
    }
    if (options_.transactional) {
        attributes |= attribute_bits::transactional;
    }
    if (options_.control) {
        attributes |= attribute_bits::control;
    }
    store_at<int64_t>(out, layout::base_offset, options_.base_offset.value());
    store_at<int32_t>(out, layout::batch_length, checked_length(out.size() - layout::log_overhead));
    store_at<int32_t>(out, layout::partition_leader_epoch, options_.partition_leader_epoch.value());
    store_at<int8_t>(out, layout::magic, magic_v2);
    store_at<uint16_t>(out, layout::attributes, attributes);
    store_at<int32_t>(out, layout::last_offset_delta, count_ - 1);
    store_at<int64_t>(out, layout::base_timestamp, base_timestamp_.value());
    store_at<int64_t>(out, layout::max_timestamp, max_timestamp_.value());
    store_at<int64_t>(out, layout::producer_id, options_.producer_id.value());
    store_at<int16_t>(out, layout::producer_epoch, options_.producer_epoch.value());
    store_at<int32_t>(out, layout::base_sequence, options_.base_sequence);
    store_at<int32_t>(out, layout::records_count, count_);
    store_at<uint32_t>(out, layout::crc, crc32c(ByteSpan(out).subspan(layout::attributes)));
    return out;
}

}  // namespace eddy::record
