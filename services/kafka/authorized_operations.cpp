// KIP-430's authorized operations: the bitset (bit = AclOperation code) of the operations the
// request's principal may perform on a resource, among those Kafka defines for its type
// (AclEntry.supportedOperations). Metadata (topics, and the cluster for v8-10), DescribeCluster
// and DescribeGroups answer it when the request asks. Checked quietly: a missing operation is
// not a denial to log or audit. Without an authorizer every supported operation is set.
#include "services/kafka/broker.h"

namespace eddy::kafka {

namespace {

using security::AclOperation;
using security::ResourceType;

std::vector<AclOperation> supported_operations(ResourceType type) {
    switch (type) {
        case ResourceType::topic:
            return {AclOperation::read,   AclOperation::write,    AclOperation::create,
                    AclOperation::delete_, AclOperation::alter,   AclOperation::describe,
                    AclOperation::describe_configs, AclOperation::alter_configs};
        case ResourceType::group:
            return {AclOperation::read, AclOperation::describe, AclOperation::delete_};
        case ResourceType::cluster:
            return {AclOperation::create,          AclOperation::cluster_action,
                    AclOperation::describe_configs, AclOperation::alter_configs,
                    AclOperation::idempotent_write, AclOperation::alter,
                    AclOperation::describe};
        case ResourceType::transactional_id:
            return {AclOperation::describe, AclOperation::write};
        case ResourceType::delegation_token:
            return {AclOperation::describe};
        case ResourceType::user:
            return {AclOperation::create_tokens, AclOperation::describe_tokens};
        case ResourceType::unknown:
        case ResourceType::any:
            return {};
    }
    return {};
}

}  // namespace

int32_t Broker::authorized_operations(const RequestContext& ctx, ResourceType type,
                                      std::string_view name) {
    uint32_t bits = 0;
    for (const AclOperation op : supported_operations(type)) {
        if (allowed(ctx, op, type, name, /*filtering=*/true)) {
            bits |= 1u << security::code(op);
        }
    }
    return static_cast<int32_t>(bits);
}

}  // namespace eddy::kafka
