#include "services/kafka/api_table.h"

#include <array>

#include "core/protocol/generated/all_messages.h"

namespace eddy::kafka {

namespace {

using protocol::ApiKey;

template <typename Req>
constexpr SupportedApi all_versions() {
    return {Req::api_key, Req::min_version, Req::max_version};
}

// Minimums: CLIENTS.md §6 (librdkafka's feature map needs Produce 3 / Fetch 4 for MsgVer2 and
// ListOffsets <= 1 for OffsetTime; kafka-python sends Metadata v0 and ListOffsets v1).
// Produce starts at 0 although v0-2 (legacy message sets) are refused per partition: librdkafka
// 2.0.2 keeps gzip/snappy/lz4 only if the Produce range overlaps [0, 0]. FindCoordinator 0 is
// what librdkafka's LZ4 and group features look for.
constexpr std::array<SupportedApi, 40> table{{
    {ApiKey::produce, 0, 9},
    {ApiKey::fetch, 4, 12},
    {ApiKey::list_offsets, 1, 7},
    {ApiKey::metadata, 0, 12},
    {ApiKey::find_coordinator, 0, 4},
    {ApiKey::api_versions, 0, 3},
    {ApiKey::create_topics, 0, 7},
    {ApiKey::delete_topics, 0, 6},
    {ApiKey::delete_records, 0, 2},
    {ApiKey::offset_for_leader_epoch, 0, 4},
    {ApiKey::describe_configs, 0, 4},
    {ApiKey::alter_configs, 0, 2},
    {ApiKey::describe_log_dirs, 0, 4},
    {ApiKey::create_partitions, 0, 3},
    {ApiKey::incremental_alter_configs, 0, 1},
    // Preferred and unclean leader elections (KIP-460), forwarded to the active controller.
    {ApiKey::elect_leaders, 0, 2},
    // Partition reassignment (KIP-455): changes forwarded to the active controller, the list
    // answered from this node's metadata image.
    all_versions<protocol::AlterPartitionReassignmentsRequest>(),
    all_versions<protocol::ListPartitionReassignmentsRequest>(),
    // v2: fenced brokers on request (KIP-1073, `eddy cluster info|health`).
    {ApiKey::describe_cluster, 0, 2},
    // Groups: CLIENTS.md §6.2 (librdkafka 2.0.2 needs JoinGroup/SyncGroup/Heartbeat/LeaveGroup
    // from 0, OffsetFetch <= 1, OffsetCommit <= 2, or it disables consumer groups).
    {ApiKey::offset_commit, 0, 9},
    {ApiKey::offset_fetch, 0, 9},
    {ApiKey::join_group, 0, 9},
    {ApiKey::heartbeat, 0, 4},
    {ApiKey::leave_group, 0, 5},
    {ApiKey::sync_group, 0, 5},
    {ApiKey::describe_groups, 0, 5},
    {ApiKey::list_groups, 0, 5},
    {ApiKey::delete_groups, 0, 2},
    {ApiKey::offset_delete, 0, 0},
    // Idempotent producers: librdkafka uses v4 (flexible from 2), kafkajs v1. No transactions
    // yet: a transactional.id gets COORDINATOR_NOT_AVAILABLE (docs/broker.md).
    {ApiKey::init_producer_id, 0, 4},
    // The controller quorum's state (kafka-metadata-quorum, `eddy cluster quorum`), forwarded to
    // the active controller.
    all_versions<protocol::DescribeQuorumRequest>(),
    // SASL (KIP-43, KIP-152): served before authentication on SASL listeners; elsewhere, or once
    // authenticated, they answer ILLEGAL_SASL_STATE as Kafka does.
    {ApiKey::sasl_handshake, 0, 1},
    {ApiKey::sasl_authenticate, 0, 2},
    // SCRAM credentials (KIP-554): changes forwarded to the active controller, the description
    // answered from this node's metadata image.
    {ApiKey::alter_user_scram_credentials, 0, 0},
    {ApiKey::describe_user_scram_credentials, 0, 0},
    // ACLs (KIP-140): Create/Delete forwarded to the active controller, which appends them to
    // the metadata log; Describe from this node's image. SECURITY_DISABLED without an authorizer.
    all_versions<protocol::CreateAclsRequest>(),
    all_versions<protocol::DescribeAclsRequest>(),
    all_versions<protocol::DeleteAclsRequest>(),
    // Client quotas (KIP-546): changes forwarded to the active controller, descriptions from
    // this node's image; enforced by every broker (quota_manager.h).
    all_versions<protocol::DescribeClientQuotasRequest>(),
    all_versions<protocol::AlterClientQuotasRequest>(),
}};

// The controller listener: what the other nodes send (the quorum's Raft traffic, broker
// registration and heartbeats, producer id blocks, partition leaders' ISR changes) and the admin
// requests brokers forward to the active controller. Every node runs the same build, so the
// ranges are the generated codecs'.
constexpr std::array<SupportedApi, 26> controller_table{{
    {ApiKey::fetch, 12, 12},  // the metadata log (Raft Fetch: KIP-595)
    // A SASL controller listener: the other nodes authenticate first (sasl.mechanism.controller
    // .protocol), as on any SASL listener.
    {ApiKey::sasl_handshake, 1, 1},
    {ApiKey::sasl_authenticate, 0, 2},
    {ApiKey::metadata, 0, 12},
    {ApiKey::api_versions, 0, 3},
    {ApiKey::create_topics, 0, 7},
    {ApiKey::delete_topics, 0, 6},
    {ApiKey::alter_configs, 0, 2},
    {ApiKey::create_partitions, 0, 3},
    {ApiKey::incremental_alter_configs, 0, 1},
    all_versions<protocol::VoteRequest>(),
    all_versions<protocol::BeginQuorumEpochRequest>(),
    all_versions<protocol::EndQuorumEpochRequest>(),
    all_versions<protocol::DescribeQuorumRequest>(),
    all_versions<protocol::BrokerRegistrationRequest>(),
    all_versions<protocol::BrokerHeartbeatRequest>(),
    all_versions<protocol::FetchSnapshotRequest>(),
    {ApiKey::describe_cluster, 0, 1},  // fenced brokers (v2) only from a broker listener (KIP-1073)
    all_versions<protocol::AllocateProducerIdsRequest>(),
    all_versions<protocol::AlterPartitionRequest>(),
    all_versions<protocol::ElectLeadersRequest>(),
    all_versions<protocol::AlterPartitionReassignmentsRequest>(),
    {ApiKey::alter_user_scram_credentials, 0, 0},
    all_versions<protocol::CreateAclsRequest>(),
    all_versions<protocol::DeleteAclsRequest>(),
    all_versions<protocol::AlterClientQuotasRequest>(),
}};

}  // namespace

std::span<const SupportedApi> supported_apis(ListenerKind kind) {
    if (kind == ListenerKind::controller) {
        return controller_table;
    }
    return table;
}

std::optional<SupportedApi> supported(ApiKey key, ListenerKind kind) {
    for (const auto& a : supported_apis(kind)) {
        if (a.key == key) {
            return a;
        }
    }
    return std::nullopt;
}

}  // namespace eddy::kafka
