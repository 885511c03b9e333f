// ProducerStateTable: what one partition remembers of each idempotent producer (KIP-98), so that a
// retried batch is not written twice and a lost batch is noticed. Kafka's rules:
//
// - A batch carries (ProducerId, ProducerEpoch, BaseSequence); the partition keeps, per producer,
//   its epoch and the metadata of its last 5 batches (first/last sequence, first/last offset).
// - An epoch below the producer's current one: INVALID_PRODUCER_EPOCH.
// - A new epoch (or a producer never seen) starts at sequence 0. A producer we have no state for
//   that sends another sequence gets UNKNOWN_PRODUCER_ID (its state expired or was removed with
//   the log's head); the client then starts over (KIP-360). Answering OUT_OF_ORDER_SEQUENCE here
//   instead breaks librdkafka (redpanda-data/redpanda#22670).
// - A batch equal to one of the last 5 (same first and last sequence) is a retry: it is answered
//   with the offsets it got the first time and not written again.
// - Otherwise the first sequence must follow the last one (wrapping at INT32_MAX), else
//   OUT_OF_ORDER_SEQUENCE_NUMBER.
//
// The table is rebuilt at open from a snapshot (Kafka's ProducerSnapshot format, written at a
// clean close) plus the batches after it. A snapshot keeps only each producer's last batch, as
// Kafka's does. Producers idle for producer.id.expiration.ms are forgotten, and so are producers
// whose batches all fell below the log start offset.
//
// Pure: no I/O, no clock (time comes in as arguments); deterministic (ordered maps).
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>

#include "core/base/bytes.h"
#include "core/base/ids.h"
#include "core/base/result.h"
#include "core/record/record_batch.h"
#include "services/log/log_error.h"

namespace eddy::log {

// What an idempotent batch says about its producer.
struct ProducerAppend {
    ProducerId producer_id{-1};
    ProducerEpoch epoch{-1};
    int32_t first_sequence = -1;
    int32_t last_offset_delta = 0;
    int32_t last_sequence() const;  // first + delta, wrapping past INT32_MAX to 0
};

// One remembered batch.
struct ProducerBatch {
    int32_t first_sequence = 0;
    int32_t last_sequence = 0;
    Offset first_offset;
    Offset last_offset;
};

struct ProducerEntry {
    ProducerEpoch epoch{-1};
    std::deque<ProducerBatch> batches;  // oldest first, at most batches_retained
    record::TimestampMs last_timestamp = record::no_timestamp;
};

class ProducerStateTable {
public:
    static constexpr size_t batches_retained = 5;  // Kafka's NUM_BATCHES_TO_RETAIN

    // The append's fate: nullopt to write it; a batch when it is a retry of that batch; or
    // invalid_producer_epoch / out_of_order_sequence / unknown_producer_id.
    Result<std::optional<ProducerBatch>, LogError> check(const ProducerAppend& a) const;
    // Remembers a batch that was written (or replicated, or found at recovery: no check).
    void record(const ProducerAppend& a, Offset first_offset, Offset last_offset,
                record::TimestampMs timestamp);

    // Forgets producers whose last batch is below `log_start` (its batches are gone).
    void truncate_head(Offset log_start);
    // Forgets producers whose last batch is at or above `log_end` (truncated away); their
    // earlier batches are rebuilt by the caller if it needs them.
    void truncate_tail(Offset log_end);
    // Forgets producers whose last write (batch timestamp) is older than now - expiration.
    void expire(record::TimestampMs now, int64_t expiration_ms);
    void clear() { producers_.clear(); }

    const std::map<ProducerId, ProducerEntry>& producers() const { return producers_; }

    // Kafka's producer snapshot file: version 1, CRC-32C of what follows it, the entries.
    Bytes encode_snapshot() const;
    // Replaces the table with a snapshot's; corrupt_data when the bytes do not decode or the CRC
    // does not match (the caller then rebuilds from the log).
    Result<void, LogError> load_snapshot(ByteSpan bytes);

private:
    std::map<ProducerId, ProducerEntry> producers_;
};

}  // namespace eddy::log
