// Fuzz target: RecordBatch v2 framing, validation and record decoding, including decompression.
//
// The input is a payload of concatenated batches (what a produce request carries). Every batch the
// splitter returns goes through both validation modes, header-only and deep, and its records are
// decoded and their headers walked. Invariants checked (a failure aborts, which the fuzzer
// reports):
//   * deep validation passing implies header-only validation passes, with the same record count;
//   * a valid batch stays valid after the broker's edits (base offset, leader epoch,
//   LogAppendTime);
//   * decoding never yields more than the record count, nor more bytes than the cap.
// Random mutations almost never keep the CRC right, which would stop the fuzzer at the checksum;
// so each batch whose CRC is wrong is also exercised with its CRC repaired, letting mutations reach
// the record and codec decoders.
#include "core/record/record_batch.h"

#include <cstddef>
#include <cstdint>

#include "core/base/assert.h"
#include "core/record/crc32c.h"

using namespace eddy;
using namespace eddy::record;

namespace {

// Small enough that a decompression bomb cannot hide behind it, large enough for real batches.
constexpr size_t cap = size_t{1} << 20;

volatile int64_t sink;

void touch_accessors(const RecordBatchView& b) {
    // Unsigned sum: the values are untrusted and may overflow int64.
    const auto u = [](auto v) { return static_cast<uint64_t>(v); };
    const uint64_t x =
        u(b.base_offset().value()) + u(b.batch_length()) + u(b.partition_leader_epoch().value()) +
        u(b.magic()) + u(b.crc()) + u(b.attributes()) + u(static_cast<int>(b.compression())) +
        u(static_cast<int>(b.timestamp_type())) + u(b.is_transactional()) + u(b.is_control()) +
        u(b.has_delete_horizon()) + u(b.last_offset_delta()) + u(b.last_offset().value()) +
        u(b.base_timestamp().value()) + u(b.max_timestamp().value()) + u(b.producer_id().value()) +
        u(b.producer_epoch().value()) + u(b.base_sequence()) + u(b.record_count()) +
        u(b.records_bytes().size());
    sink = static_cast<int64_t>(x);
}

void decode_records(const RecordBatchView& b) {
    auto records = BatchRecords::open(b, cap);
    if (!records.ok()) {
        return;
    }
    ASSERT(records->bytes().size() <= cap);
    RecordReader reader = records->reader();
    int32_t n = 0;
    while (!reader.done()) {
        auto r = reader.next();
        if (!r.ok()) {
            return;
        }
        ++n;
        uint64_t x = static_cast<uint64_t>(b.record_offset(*r).value()) +
                     static_cast<uint64_t>(b.record_timestamp(*r).value()) +
                     (r->key ? r->key->size() : 1) + (r->value ? r->value->size() : 1);
        int32_t headers = 0;
        for (const Header& h : r->headers) {
            x += h.key.size() + (h.value ? h.value->size() : 1);
            ++headers;
        }
        ASSERT(headers == r->headers.size());
        sink = static_cast<int64_t>(x);
    }
    ASSERT(n == b.record_count());
    (void)reader.finish();
}

void check_edits_keep_valid(const RecordBatchView& b, const ValidateOptions& options) {
    Bytes copy(b.bytes().begin(), b.bytes().end());
    set_base_offset(copy, Offset(1234567));
    set_partition_leader_epoch(copy, LeaderEpoch(7));
    stamp_log_append_time(copy, TimestampMs(1700000000000));
    auto edited = RecordBatchView::parse(copy);
    ASSERT(edited.ok(), "edited batch no longer parses");
    ASSERT(edited->validate(options).ok(), "edited batch no longer validates");
    ASSERT(edited->base_offset() == Offset(1234567));
    ASSERT(edited->max_timestamp() == TimestampMs(1700000000000));
}

void exercise(const RecordBatchView& b) {
    touch_accessors(b);
    for (OffsetDeltas mode : {OffsetDeltas::consecutive, OffsetDeltas::increasing}) {
        ValidateOptions shallow{
            .decode_records = false, .offset_deltas = mode, .decompressed_bytes_max = cap};
        ValidateOptions deep{
            .decode_records = true, .offset_deltas = mode, .decompressed_bytes_max = cap};
        auto s = b.validate(shallow);
        auto d = b.validate(deep);
        if (d.ok()) {
            ASSERT(s.ok(), "deep validation passed where header-only failed");
            ASSERT(d->record_count == s->record_count);
            ASSERT(d->records_bytes <= cap);
            check_edits_keep_valid(b, deep);
        }
    }
    decode_records(b);
}

void exercise_with_crc_repaired(const RecordBatchView& b) {
    exercise(b);
    if (b.compute_crc() == b.crc()) {
        return;
    }
    Bytes copy(b.bytes().begin(), b.bytes().end());
    store_be<uint32_t>(copy.data() + layout::crc, b.compute_crc());
    auto repaired = RecordBatchView::parse(copy);
    ASSERT(repaired.ok(), "the CRC is not part of the framing");
    ASSERT(repaired->compute_crc() == repaired->crc());
    exercise(*repaired);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    ByteSpan in(reinterpret_cast<const std::byte*>(data), size);
    auto strict = split_batches(in, PartialTail::reject);
    auto lenient = split_batches(in, PartialTail::ignore);
    if (strict.ok()) {
        ASSERT(lenient.ok() && lenient->size() == strict->size());
        for (const RecordBatchView& b : *strict) {
            exercise_with_crc_repaired(b);
        }
    } else if (lenient.ok()) {
        ASSERT(strict.error() == BatchError::truncated);
        for (const RecordBatchView& b : *lenient) {
            touch_accessors(b);
        }
    }
    auto one = RecordBatchView::parse(in);
    if (one.ok()) {
        ASSERT(strict.ok() && strict->size() == 1);
    }
    return 0;
}
