// Idempotent producing (see idempotent_producer.h).
#include "services/client/idempotent_producer.h"

#include <limits>

namespace eddy::client {

namespace {

// The producer's sequence state is gone or out of step: start a new producer id.
bool resets_producer(int16_t code) {
    return code == error_code::out_of_order_sequence_number ||
           code == error_code::unknown_producer_id || code == error_code::invalid_producer_epoch;
}

}  // namespace

Result<ProduceResult, ClientError> IdempotentProducer::send(
    const std::string& topic, PartitionId partition, const std::vector<ProducerRecord>& records,
    Instant deadline, ProduceOptions options) {
    if (!stamp_) {
        TRY_ASSIGN(ProducerStamp s, client_.init_producer_id());
        stamp_ = s;
        next_sequence_.clear();
    }
    const auto key = std::make_pair(topic, partition.value());
    options.acks = -1;  // idempotence needs acks=all (Kafka refuses other settings)
    options.stamp = *stamp_;
    options.stamp->base_sequence = next_sequence_[key];
    Duration backoff = Duration::millis(50);
    const ProducerStamp sent = *options.stamp;
    while (true) {
        // Idempotence: a retry resends the same batch under the same producer id, epoch and
        // base sequence, which is what lets the partition leader recognise it.
        ASSERT(options.stamp->id == sent.id);
        ASSERT(options.stamp->epoch == sent.epoch);
        ASSERT(options.stamp->base_sequence == sent.base_sequence);
        ASSERT(options.stamp->base_sequence >= 0, "sequences are never negative");
        auto r = client_.produce(topic, partition, records, options);
        if (r.ok()) {

            const int64_t next = int64_t{options.stamp->base_sequence} +
                                 static_cast<int64_t>(records.size());
            next_sequence_[key] = static_cast<int32_t>(
                next % (int64_t{std::numeric_limits<int32_t>::max()} + 1));
            return r;
        }
        if (resets_producer(r.error().code) ||
            (!is_retriable(r.error().code) && r.error().code != error_code::network_exception)) {
            if (resets_producer(r.error().code)) {
                stamp_.reset();
            }
            return r;
        }
        if (env_.scheduler.now() + backoff >= deadline) {
            stamp_.reset();  // in doubt: never reuse this sequence for other records
            return fail(ClientError{error_code::request_timed_out,
                                    "produce to " + topic + "-" +
                                        std::to_string(partition.value()) + " is in doubt: " +
                                        r.error().to_string()});
        }
        env_.scheduler.sleep_for(backoff);
        backoff = std::min(backoff * 2, Duration::seconds(1));
    }
}

}  // namespace eddy::client
