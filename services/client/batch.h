// Record batches on the client side: building one RecordBatch v2 from ProducerRecords (with
// core/record's RecordBatchBuilder, optionally compressed), and turning the record bytes of a
// Fetch response into ConsumerRecords. Pure functions, unit-tested without a broker.
//
// Fetched bytes are untrusted: every batch is validated (CRC, record framing, decompression with
// a cap) before its records are believed. A partial batch at the end is normal (KIP-74) and is
// dropped; control batches (transaction markers) are skipped but advance next_offset.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/base/bytes.h"
#include "core/base/result.h"
#include "services/client/client_types.h"
#include "services/client/kafka_error.h"

namespace eddy::client {

// One batch holding `records` in order. Records without a timestamp get `now_ms`.
// Precondition (ASSERTed): at least one record.
Bytes build_batch(const std::vector<ProducerRecord>& records, record::Codec codec, int64_t now_ms,
                  const std::optional<ProducerStamp>& stamp = std::nullopt);

struct DecodedRecords {
    std::vector<ConsumerRecord> records;
    // The offset after the last batch seen (or `from` if there was no whole batch).
    Offset next_offset{0};
};

// The records at offsets >= `from` in `payload` (a Fetch response's records field).
// Errors: CORRUPT_MESSAGE for a batch that fails validation or decompression.
Result<DecodedRecords, ClientError> decode_records(const std::string& topic, PartitionId partition,
                                                   ByteSpan payload, Offset from);

// Kafka's default partitioner for keyed records: murmur2(key) & 0x7fffffff modulo the count.
int32_t partition_for_key(std::string_view key, int32_t partition_count);
uint32_t murmur2(std::string_view data);

}  // namespace eddy::client
