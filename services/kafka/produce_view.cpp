// ProduceRequestView::decode — field for field what the generated ProduceRequest::decode does
// (core/protocol/generated/codec_keys_00_09.cpp), with the records read as spans.
#include "services/kafka/produce_view.h"

#include "core/base/assert.h"
#include "core/protocol/generated/produce.h"

namespace eddy::kafka {

using protocol::DecodeError;

Result<ProduceRequestView, DecodeError> ProduceRequestView::decode(protocol::Reader& r,
                                                                   MutableByteSpan frame,
                                                                   int16_t version) {
    if (version < protocol::ProduceRequest::min_version ||
        version > protocol::ProduceRequest::max_version) {
        return fail(DecodeError::unsupported_version);
    }
    const bool flexible = version >= 9;
    // The Reader hands out const spans into `frame`; the same bytes, writable.
    auto writable = [&frame](ByteSpan s) {
        const auto at = static_cast<size_t>(s.data() - frame.data());
        ASSERT(s.data() >= frame.data(), "the reader reads the frame");
        ASSERT(at + s.size() <= frame.size(), "the reader reads the frame");
        return frame.subspan(at, s.size());
    };
    ProduceRequestView m;
    if (version >= 3) {
        TRY_ASSIGN(m.transactional_id, r.read_nullable_string(flexible, true));
    }
    TRY_ASSIGN(m.acks, r.read_int16());
    TRY_ASSIGN(m.timeout_ms, r.read_int32());
    // Minimum element sizes as in the generated codec: they bound the count by the bytes left.
    TRY_ASSIGN(const int32_t topics_n, r.read_array_length(flexible, false, 3));
    m.topics.reserve(static_cast<size_t>(topics_n));
    for (int32_t t = 0; t < topics_n; ++t) {
        Topic topic;
        TRY_ASSIGN(topic.name, r.read_string(flexible));
        TRY_ASSIGN(const int32_t partitions_n, r.read_array_length(flexible, false, 6));
        topic.partitions.reserve(static_cast<size_t>(partitions_n));
        for (int32_t p = 0; p < partitions_n; ++p) {
            Partition partition;
            TRY_ASSIGN(partition.index, r.read_int32());
            TRY_ASSIGN(auto records, r.read_nullable_bytes_view(flexible, true));
            if (records) {
                partition.records = writable(*records);
            }
            if (flexible) {
                TRY_VOID(r.skip_tagged_fields());
            }
            topic.partitions.push_back(partition);
        }
        if (flexible) {
            TRY_VOID(r.skip_tagged_fields());
        }
        m.topics.push_back(std::move(topic));
    }
    if (flexible) {
        TRY_VOID(r.skip_tagged_fields());
    }
    return m;
}

}  // namespace eddy::kafka
