// Kafka error code names (Apache Kafka's org.apache.kafka.common.protocol.Errors) and the
// retriable subset.
#include "services/client/kafka_error.h"

#include <array>

namespace eddy::client {
namespace {

// Index = code + 1 (code -1 is UNKNOWN_SERVER_ERROR).
constexpr std::array<const char*, 122> names = {
    "UNKNOWN_SERVER_ERROR", "NONE", "OFFSET_OUT_OF_RANGE", "CORRUPT_MESSAGE",
    "UNKNOWN_TOPIC_OR_PARTITION", "INVALID_FETCH_SIZE", "LEADER_NOT_AVAILABLE",
    "NOT_LEADER_OR_FOLLOWER", "REQUEST_TIMED_OUT", "BROKER_NOT_AVAILABLE",
    "REPLICA_NOT_AVAILABLE", "MESSAGE_TOO_LARGE", "STALE_CONTROLLER_EPOCH",
    "OFFSET_METADATA_TOO_LARGE", "NETWORK_EXCEPTION", "COORDINATOR_LOAD_IN_PROGRESS",
    "COORDINATOR_NOT_AVAILABLE", "NOT_COORDINATOR", "INVALID_TOPIC_EXCEPTION",
    "RECORD_LIST_TOO_LARGE", "NOT_ENOUGH_REPLICAS", "NOT_ENOUGH_REPLICAS_AFTER_APPEND",
    "INVALID_REQUIRED_ACKS", "ILLEGAL_GENERATION", "INCONSISTENT_GROUP_PROTOCOL",
    "INVALID_GROUP_ID", "UNKNOWN_MEMBER_ID", "INVALID_SESSION_TIMEOUT", "REBALANCE_IN_PROGRESS",
    "INVALID_COMMIT_OFFSET_SIZE", "TOPIC_AUTHORIZATION_FAILED", "GROUP_AUTHORIZATION_FAILED",
    "CLUSTER_AUTHORIZATION_FAILED", "INVALID_TIMESTAMP", "UNSUPPORTED_SASL_MECHANISM",
    "ILLEGAL_SASL_STATE", "UNSUPPORTED_VERSION", "TOPIC_ALREADY_EXISTS", "INVALID_PARTITIONS",
    "INVALID_REPLICATION_FACTOR", "INVALID_REPLICA_ASSIGNMENT", "INVALID_CONFIG",
    "NOT_CONTROLLER", "INVALID_REQUEST", "UNSUPPORTED_FOR_MESSAGE_FORMAT", "POLICY_VIOLATION",
    "OUT_OF_ORDER_SEQUENCE_NUMBER", "DUPLICATE_SEQUENCE_NUMBER", "INVALID_PRODUCER_EPOCH",
    "INVALID_TXN_STATE", "INVALID_PRODUCER_ID_MAPPING", "INVALID_TRANSACTION_TIMEOUT",
    "CONCURRENT_TRANSACTIONS", "TRANSACTION_COORDINATOR_FENCED",
    "TRANSACTIONAL_ID_AUTHORIZATION_FAILED", "SECURITY_DISABLED", "OPERATION_NOT_ATTEMPTED",
    "KAFKA_STORAGE_ERROR", "LOG_DIR_NOT_FOUND", "SASL_AUTHENTICATION_FAILED",
    "UNKNOWN_PRODUCER_ID", "REASSIGNMENT_IN_PROGRESS", "DELEGATION_TOKEN_AUTH_DISABLED",
    "DELEGATION_TOKEN_NOT_FOUND", "DELEGATION_TOKEN_OWNER_MISMATCH",
    "DELEGATION_TOKEN_REQUEST_NOT_ALLOWED", "DELEGATION_TOKEN_AUTHORIZATION_FAILED",
    "DELEGATION_TOKEN_EXPIRED", "INVALID_PRINCIPAL_TYPE", "NON_EMPTY_GROUP",
    "GROUP_ID_NOT_FOUND", "FETCH_SESSION_ID_NOT_FOUND", "INVALID_FETCH_SESSION_EPOCH",
    "LISTENER_NOT_FOUND", "TOPIC_DELETION_DISABLED", "FENCED_LEADER_EPOCH",
    "UNKNOWN_LEADER_EPOCH", "UNSUPPORTED_COMPRESSION_TYPE", "STALE_BROKER_EPOCH",
    "OFFSET_NOT_AVAILABLE", "MEMBER_ID_REQUIRED", "PREFERRED_LEADER_NOT_AVAILABLE",
    "GROUP_MAX_SIZE_REACHED", "FENCED_INSTANCE_ID", "ELIGIBLE_LEADERS_NOT_AVAILABLE",
    "ELECTION_NOT_NEEDED", "NO_REASSIGNMENT_IN_PROGRESS", "GROUP_SUBSCRIBED_TO_TOPIC",
    "INVALID_RECORD", "UNSTABLE_OFFSET_COMMIT", "THROTTLING_QUOTA_EXCEEDED", "PRODUCER_FENCED",
    "RESOURCE_NOT_FOUND", "DUPLICATE_RESOURCE", "UNACCEPTABLE_CREDENTIAL",
    "INCONSISTENT_VOTER_SET", "INVALID_UPDATE_VERSION", "FEATURE_UPDATE_FAILED",
    "PRINCIPAL_DESERIALIZATION_FAILURE", "SNAPSHOT_NOT_FOUND", "POSITION_OUT_OF_RANGE",
    "UNKNOWN_TOPIC_ID", "DUPLICATE_BROKER_REGISTRATION", "BROKER_ID_NOT_REGISTERED",
    "INCONSISTENT_TOPIC_ID", "INCONSISTENT_CLUSTER_ID", "TRANSACTIONAL_ID_NOT_FOUND",
    "FETCH_SESSION_TOPIC_ID_ERROR", "INELIGIBLE_REPLICA", "NEW_LEADER_ELECTED",
    "OFFSET_MOVED_TO_TIERED_STORAGE", "FENCED_MEMBER_EPOCH", "UNRELEASED_INSTANCE_ID",
    "UNSUPPORTED_ASSIGNOR", "STALE_MEMBER_EPOCH", "MISMATCHED_ENDPOINT_TYPE",
    "UNSUPPORTED_ENDPOINT_TYPE", "UNKNOWN_CONTROLLER_ID", "UNKNOWN_SUBSCRIPTION_ID",
    "TELEMETRY_TOO_LARGE", "INVALID_REGISTRATION", "TRANSACTION_ABORTABLE",
};
static_assert(names.size() == 122, "codes -1..120");

}  // namespace

const char* error_name(int16_t code) {
    const int i = code + 1;
    if (i < 0 || static_cast<size_t>(i) >= names.size()) {
        return "UNKNOWN_ERROR_CODE";
    }
    return names[static_cast<size_t>(i)];
}

bool is_retriable(int16_t code) {
    switch (code) {
        case 2:    // CORRUPT_MESSAGE (a bad transfer; the batch is re-sent)
        case 3:    // UNKNOWN_TOPIC_OR_PARTITION (metadata may lag a create)
        case 5:    // LEADER_NOT_AVAILABLE
        case 6:    // NOT_LEADER_OR_FOLLOWER
        case 7:    // REQUEST_TIMED_OUT
        case 8:    // BROKER_NOT_AVAILABLE
        case 9:    // REPLICA_NOT_AVAILABLE
        case 13:   // NETWORK_EXCEPTION
        case 14:   // COORDINATOR_LOAD_IN_PROGRESS
        case 15:   // COORDINATOR_NOT_AVAILABLE
        case 16:   // NOT_COORDINATOR
        case 19:   // NOT_ENOUGH_REPLICAS
        case 20:   // NOT_ENOUGH_REPLICAS_AFTER_APPEND
        case 41:   // NOT_CONTROLLER
        case 56:   // KAFKA_STORAGE_ERROR
        case 74:   // FENCED_LEADER_EPOCH
        case 75:   // UNKNOWN_LEADER_EPOCH
        case 78:   // OFFSET_NOT_AVAILABLE
        case 83:   // ELIGIBLE_LEADERS_NOT_AVAILABLE
        case 89:   // THROTTLING_QUOTA_EXCEEDED
        case 100:  // UNKNOWN_TOPIC_ID
            return true;
        default:
            return false;
    }
}

std::string ClientError::to_string() const {
    std::string out;
    if (!message.empty()) {
        out = message;
        out += " (";
        out += error_name(code);
        out += ")";
        return out;
    }
    out = error_name(code);
    return out;
}

ClientError topic_error(int16_t code, const std::string& name,
                        const std::optional<std::string>& broker_message) {
    std::string m = "topic '" + name + "'";
    if (code == error_code::topic_already_exists) {
        m += " already exists";
    } else if (code == error_code::unknown_topic_or_partition ||
               code == error_code::unknown_topic_id) {
        m += " does not exist";
    } else if (broker_message && !broker_message->empty()) {
        m += ": ";
        m += *broker_message;
    }
    return ClientError{code, std::move(m)};
}

}  // namespace eddy::client
