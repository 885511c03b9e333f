#include "services/kafka/errors.h"

namespace eddy::kafka {

int16_t error_code(log::LogError e) {
    using L = log::LogError;
    switch (e) {
        case L::corrupt_message:
            return error::corrupt_message;
        case L::invalid_record:
            return error::invalid_record;
        case L::unsupported_compression:
            return error::unsupported_compression_type;
        case L::message_too_large:
            return error::message_too_large;
        case L::record_list_too_large:
            return error::record_list_too_large;
        case L::invalid_timestamp:
            return error::invalid_timestamp;
        case L::invalid_offsets:
            return error::unknown_server_error;
        case L::out_of_order_sequence:
            return error::out_of_order_sequence_number;
        case L::invalid_producer_epoch:
            return error::invalid_producer_epoch;
        case L::unknown_producer_id:
            return error::unknown_producer_id;
        case L::offset_out_of_range:
            return error::offset_out_of_range;
        case L::io_error:
        case L::no_space:
        case L::corrupt_data:
        case L::offline:
            return error::kafka_storage_error;
        case L::truncated:
        case L::closed:
            return error::not_leader_or_follower;
        case L::timed_out:
            // Written, not yet durable: Kafka's answer when acks are not in by timeout_ms. The
            // client may retry (an idempotent producer's retry is deduplicated).
            return error::request_timed_out;
        case L::not_found:
            return error::unknown_topic_or_partition;
        case L::already_exists:
            return error::topic_already_exists;
        case L::invalid_config:
            return error::invalid_config;
    }
    return error::unknown_server_error;
}

}  // namespace eddy::kafka
