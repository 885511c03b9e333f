// Building and decoding record batches for the client.
#include "services/client/batch.h"

#include <optional>

#include "core/base/assert.h"
#include "core/record/record_batch.h"
#include "core/record/record_batch_builder.h"

namespace eddy::client {

Bytes build_batch(const std::vector<ProducerRecord>& records, record::Codec codec,
                  int64_t now_ms, const std::optional<ProducerStamp>& stamp) {
    ASSERT(!records.empty(), "a batch needs a record");
    record::BatchBuilderOptions o;
    o.compression = codec;
    if (stamp) {
        o.producer_id = stamp->id;
        o.producer_epoch = stamp->epoch;
        o.base_sequence = stamp->base_sequence;
    }
    ASSERT(!stamp || stamp->base_sequence >= 0, "an idempotent batch carries a sequence");
    record::RecordBatchBuilder b(o);

    std::vector<record::Header> headers;
    for (const ProducerRecord& r : records) {
        headers.clear();
        for (const RecordHeader& h : r.headers) {
            std::optional<ByteSpan> v;
            if (h.value) {
                v = as_bytes(*h.value);
            }
            headers.push_back(record::Header{h.key, v});
        }
        std::optional<ByteSpan> key;
        std::optional<ByteSpan> value;
        if (r.key) {
            key = as_bytes(*r.key);
        }
        if (r.value) {
            value = as_bytes(*r.value);
        }
        const int64_t ts = r.timestamp_ms >= 0 ? r.timestamp_ms : now_ms;
        b.append(record::TimestampMs(ts), key, value, headers);
    }
    return b.build();
}

Result<DecodedRecords, ClientError> decode_records(const std::string& topic, PartitionId partition,
                                                   ByteSpan payload, Offset from) {
    auto corrupt = [&](record::BatchError e) {
        return ClientError{error_code::corrupt_message,
                           "bad record batch from " + topic + "-" +
                               std::to_string(partition.value()) + ": " +
                               std::string(record::to_string(e))};
    };
    DecodedRecords out;
    out.next_offset = from;
    auto batches = record::split_batches(payload, record::PartialTail::ignore);
    if (!batches.ok()) {
        return fail(corrupt(batches.error()));
    }
    for (const record::RecordBatchView& batch : *batches) {
        record::ValidateOptions vo;
        vo.offset_deltas = record::OffsetDeltas::increasing;  // compacted logs have gaps
        if (auto v = batch.validate(vo); !v.ok()) {
            return fail(corrupt(v.error()));
        }
        if (batch.last_offset() + 1 > out.next_offset) {
            out.next_offset = batch.last_offset() + 1;
        }
        if (batch.is_control()) {
            continue;
        }
        auto plain = record::BatchRecords::open(batch);
        if (!plain.ok()) {
            return fail(corrupt(plain.error()));
        }
        auto records = plain->decode_all();
        if (!records.ok()) {
            return fail(corrupt(records.error()));
        }
        for (const record::Record& r : *records) {
            const Offset offset = batch.record_offset(r);
            if (offset < from) {
                continue;
            }
            ASSERT(offset >= from, "records before the fetch offset are skipped");
            ConsumerRecord c;
            c.topic = topic;
            c.partition = partition;
            c.offset = offset;
            c.timestamp_ms = batch.record_timestamp(r).value();
            c.log_append_time = batch.timestamp_type() == record::TimestampType::log_append_time;
            if (r.key) {
                c.key = std::string(as_chars(*r.key));
            }
            if (r.value) {
                c.value = std::string(as_chars(*r.value));
            }
            for (const record::Header& h : r.headers) {
                RecordHeader rh;
                rh.key = std::string(h.key);
                if (h.value) {
                    rh.value = std::string(as_chars(*h.value));
                }
                c.headers.push_back(std::move(rh));
            }
            out.records.push_back(std::move(c));
        }
    }
    ASSERT(out.next_offset >= from, "a fetch never moves the position back");
    return out;
}

uint32_t murmur2(std::string_view data) {
    // Kafka's Utils.murmur2 (seed 0x9747b28c), on unsigned arithmetic.
    constexpr uint32_t seed = 0x9747b28c;
    constexpr uint32_t m = 0x5bd1e995;
    constexpr int r = 24;
    const auto length = static_cast<uint32_t>(data.size());
    uint32_t h = seed ^ length;
    const size_t length4 = data.size() / 4;
    auto byte = [&](size_t i) { return static_cast<uint32_t>(static_cast<uint8_t>(data[i])); };
    for (size_t i = 0; i < length4; ++i) {
        const size_t i4 = i * 4;
        uint32_t k = byte(i4) | (byte(i4 + 1) << 8) | (byte(i4 + 2) << 16) | (byte(i4 + 3) << 24);
        k *= m;
        k ^= k >> r;
        k *= m;
        h *= m;
        h ^= k;
    }
    const size_t tail = data.size() & ~size_t{3};
    switch (data.size() % 4) {
        case 3:
            h ^= byte(tail + 2) << 16;
            [[fallthrough]];
        case 2:
            h ^= byte(tail + 1) << 8;
            [[fallthrough]];
        case 1:
            h ^= byte(tail);
            h *= m;
            break;
        default:
            break;
    }
    h ^= h >> 13;
    h *= m;
    h ^= h >> 15;
    return h;
}

int32_t partition_for_key(std::string_view key, int32_t partition_count) {
    ASSERT(partition_count > 0);
    return static_cast<int32_t>((murmur2(key) & 0x7fffffffU) %
                                static_cast<uint32_t>(partition_count));
}

}  // namespace eddy::client
