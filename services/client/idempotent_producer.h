// IdempotentProducer: producing with enable.idempotence semantics (KIP-98). It gets a producer id
// (InitProducerId) and stamps every batch with (id, epoch, sequence), one sequence counter per
// partition, one batch in flight per partition. A batch whose answer is lost (a timeout, a broken
// connection, a broker restart) is sent again with the same sequence until it is acknowledged:
// the broker writes it once and answers a retry with the offsets of the first write.
//
// When the outcome of a batch stays unknown past the caller's deadline, or the broker answers
// OUT_OF_ORDER_SEQUENCE_NUMBER, UNKNOWN_PRODUCER_ID or INVALID_PRODUCER_EPOCH, the producer id is
// dropped and the next send starts a new one at sequence 0, as librdkafka does: a batch left in
// doubt may then be in the log or not (never twice), and batches of the old and the new id are
// not ordered against each other.
//
// Suspends (through Client); not safe for concurrent calls.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "services/client/client.h"

namespace eddy::client {

class IdempotentProducer {
public:
    IdempotentProducer(Env& env, Client& client) : env_(env), client_(client) {}

    // Produces `records` as one batch to one partition, exactly once while the producer id lasts,
    // with `options`' compression (acks are always all: idempotence needs them). Errors: a
    // non-retriable produce error, or REQUEST_TIMED_OUT at `deadline` (in doubt).
    Result<ProduceResult, ClientError> send(const std::string& topic, PartitionId partition,
                                            const std::vector<ProducerRecord>& records,
                                            Instant deadline, ProduceOptions options = {});

    // The current producer id (-1 before the first send or after a reset).
    ProducerId producer_id() const { return stamp_ ? stamp_->id : ProducerId(-1); }

private:
    Env& env_;
    Client& client_;
    std::optional<ProducerStamp> stamp_;
    std::map<std::pair<std::string, int32_t>, int32_t> next_sequence_;
};

}  // namespace eddy::client
