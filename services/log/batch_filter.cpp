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
                                                       const RecordFilter& keep) {
    namespace rl = record::layout;
    TRY_ASSIGN(record::BatchRecords records, record::BatchRecords::open(batch));
    TRY_ASSIGN(std::vector<record::Record> all, records.decode_all());
    FilteredBatch out;
    Bytes plain;
    for (const record::Record& r : all) {
        if (keep(r, batch.record_offset(r))) {
            encode_record(plain, r);
            ++out.kept;
        } else {
            ++out.removed;
        }
    }
    if (out.removed == 0) {
        return out;
    }
    if (out.kept == 0) {
        out.rewritten = Bytes{};
        return out;
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
    store_be<uint32_t>(bytes.data() + rl::crc,
                       record::crc32c(ByteSpan(bytes).subspan(rl::attributes)));
    ASSERT(record::RecordBatchView::parse(bytes).ok(), "a filtered batch is one batch");
    out.rewritten = std::move(bytes);
    return out;
}

}  // namespace eddy::log
