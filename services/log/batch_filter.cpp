// Record filtering for compaction. See batch_filter.h.
#include "services/log/batch_filter.h"

#include <cstring>

#include "core/record/compression.h"
#include "core/record/crc32c.h"
#include "core/record/varint.h"

namespace eddy::log {
namespace {

void put_nullable(Bytes& out, const std::optional<ByteSpan>& b) {
    if (!b) {
        record::put_varint(out, -1);
        return;
    }
    record::put_varint(out, static_cast<int32_t>(b->size()));
    out.insert(out.end(), b->begin(), b->end());
}

void encode_record(Bytes& out, const record::Record& r) {
    Bytes body;
    body.push_back(static_cast<std::byte>(r.attributes));
    record::put_varlong(body, r.timestamp_delta);
    record::put_varint(body, r.offset_delta);
    put_nullable(body, r.key);
    put_nullable(body, r.value);
    record::put_varint(body, r.headers.size());
    for (const record::Header& h : r.headers) {
        put_nullable(body, as_bytes(h.key));
        put_nullable(body, h.value);
    }
    record::put_varint(out, static_cast<int32_t>(body.size()));
    out.insert(out.end(), body.begin(), body.end());
}

}  // namespace

Result<FilteredBatch, record::BatchError> filter_batch(const record::RecordBatchView& batch,
                                                       const RecordFilter& keep,
                                                       const FilterOptions& options) {
    namespace rl = record::layout;
    TRY_ASSIGN(record::BatchRecords records, record::BatchRecords::open(batch));
    TRY_ASSIGN(std::vector<record::Record> all, records.decode_all());
    FilteredBatch out;
    std::vector<const record::Record*> kept;
    for (const record::Record& r : all) {
        if (keep(r, batch.record_offset(r))) {
            kept.push_back(&r);
            out.kept_tombstones += r.value ? 0 : 1;
        } else {
            ++out.removed;
        }
    }
    out.kept = static_cast<int32_t>(kept.size());
    ASSERT(static_cast<size_t>(out.kept + out.removed) == all.size(),
           "every record is kept or removed");
    const bool stamp = !batch.has_delete_horizon() && out.kept_tombstones > 0 &&
                       options.stamp_delete_horizon.has_value();
    out.delete_horizon = batch.has_delete_horizon() ? batch.base_timestamp()
                         : stamp                    ? *options.stamp_delete_horizon
                                                    : record::no_timestamp;
    if (out.removed == 0 && !stamp) {
        return out;
    }
    if (out.kept == 0) {
        out.rewritten = Bytes{};
        return out;
    }
    // Stamping re-bases every record's timestamp delta on the horizon. Wrapping arithmetic, as
    // the reader's (record_timestamp): any stored timestamp reads back unchanged.
    const int64_t rebase =
        stamp ? static_cast<int64_t>(static_cast<uint64_t>(batch.base_timestamp().value()) -
                                     static_cast<uint64_t>(out.delete_horizon.value()))
              : 0;
    Bytes plain;
    for (const record::Record* r : kept) {
        record::Record copy = *r;
        copy.timestamp_delta = static_cast<int64_t>(static_cast<uint64_t>(copy.timestamp_delta) +
                                                    static_cast<uint64_t>(rebase));
        encode_record(plain, copy);
    }
    Bytes region;
    if (batch.compression() == record::Codec::none) {
        region = std::move(plain);
    } else {
        auto c = record::compress(batch.compression(), plain);
        if (!c.ok()) {
            return fail(record::BatchError::decompression_failed);
        }
        region = std::move(c).value();
    }
    Bytes bytes(rl::header_bytes + region.size());
    std::memcpy(bytes.data(), batch.bytes().data(), rl::header_bytes);
    if (!region.empty()) {
        std::memcpy(bytes.data() + rl::header_bytes, region.data(), region.size());
    }
    store_be<uint32_t>(bytes.data() + rl::batch_length,
                       static_cast<uint32_t>(bytes.size() - rl::log_overhead));
    store_be<uint32_t>(bytes.data() + rl::records_count, static_cast<uint32_t>(out.kept));
    if (stamp) {
        store_be<uint16_t>(
            bytes.data() + rl::attributes,
            static_cast<uint16_t>(batch.attributes() | record::attribute_bits::delete_horizon));
        store_be<uint64_t>(bytes.data() + rl::base_timestamp,
                           static_cast<uint64_t>(out.delete_horizon.value()));
    }
    store_be<uint32_t>(bytes.data() + rl::crc,
                       record::crc32c(ByteSpan(bytes).subspan(rl::attributes)));
    ASSERT(record::RecordBatchView::parse(bytes).ok(), "a filtered batch is one batch");
    ASSERT(load_be<uint64_t>(bytes.data() + rl::base_offset) ==
                   static_cast<uint64_t>(batch.base_offset().value()) &&
               load_be<uint32_t>(bytes.data() + rl::last_offset_delta) ==
                   static_cast<uint32_t>(batch.last_offset_delta()),
           "filtering keeps the batch's offset range (compaction leaves gaps, never moves)");
    out.rewritten = std::move(bytes);
    return out;

}

}  // namespace eddy::log
