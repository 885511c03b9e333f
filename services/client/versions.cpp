// Client version ranges and the negotiation itself.
#include "services/client/versions.h"

#include <algorithm>

namespace eddy::client {

using protocol::ApiKey;

std::optional<VersionRange> client_versions(ApiKey key) {
    struct Row {
        ApiKey key;
        VersionRange range;
    };
    // A table, not a switch: -Wswitch-enum wants every one of ~80 keys named.
    static constexpr Row rows[] = {
        {ApiKey::api_versions, {0, 3}},
        {ApiKey::metadata, {1, 12}},      // v1: null topics = all topics
        {ApiKey::produce, {3, 11}},       // v3: record batch v2
        {ApiKey::fetch, {4, 12}},         // v4: record batch v2; v13+: topics by id only
        {ApiKey::list_offsets, {1, 10}},  // v1: one offset per partition
        {ApiKey::create_topics, {2, 7}},
        {ApiKey::delete_topics, {1, 6}},
        {ApiKey::create_partitions, {0, 3}},
        {ApiKey::describe_configs, {1, 4}},  // v1: config sources
        {ApiKey::alter_configs, {0, 2}},
        {ApiKey::incremental_alter_configs, {0, 1}},
        {ApiKey::describe_cluster, {0, 2}},  // v2: fenced brokers (KIP-1073)
        {ApiKey::find_coordinator, {0, 3}},  // v4: batched keys
        {ApiKey::list_groups, {0, 4}},
        {ApiKey::describe_groups, {0, 5}},
        {ApiKey::offset_fetch, {2, 7}},  // v2: all topics; v8: batched groups
        {ApiKey::offset_commit, {2, 9}},  // v2: generation -1 admin commits (eddy group)
        {ApiKey::delete_groups, {0, 2}},
        // ACLs (`eddy acl`): v2 is flexible; v1 added pattern types (KIP-290).
        {ApiKey::create_acls, {1, 3}},
        {ApiKey::describe_acls, {1, 3}},
        {ApiKey::delete_acls, {1, 3}},
        {ApiKey::offset_delete, {0, 0}},
        {ApiKey::join_group, {0, 9}},   // v4: MEMBER_ID_REQUIRED; v5: static membership
        {ApiKey::sync_group, {0, 5}},
        {ApiKey::heartbeat, {0, 4}},
        {ApiKey::leave_group, {0, 5}},  // v3: members by batch
        {ApiKey::init_producer_id, {0, 4}},
        {ApiKey::sasl_handshake, {1, 1}},     // v1: tokens in SaslAuthenticate (KIP-152)
        {ApiKey::sasl_authenticate, {0, 2}},
        {ApiKey::alter_user_scram_credentials, {0, 0}},
        {ApiKey::describe_user_scram_credentials, {0, 0}},
        {ApiKey::alter_client_quotas, {0, 1}},
        {ApiKey::describe_client_quotas, {0, 1}},
        // The controller quorum (services/raft/raft_wire.h), and what a broker's
        // ControllerChannel sends the active controller: registration, heartbeats, producer id
        // blocks, ISR changes. ControllerChannel reaches a remote controller only through these.
        {ApiKey::vote, {0, 2}},  // v2: pre-vote (KIP-996)
        {ApiKey::begin_quorum_epoch, {0, 1}},
        {ApiKey::end_quorum_epoch, {0, 1}},
        {ApiKey::fetch_snapshot, {0, 1}},
        {ApiKey::describe_quorum, {0, 2}},
        {ApiKey::broker_registration, {0, 4}},
        {ApiKey::broker_heartbeat, {0, 1}},
        {ApiKey::allocate_producer_ids, {0, 0}},
        {ApiKey::elect_leaders, {0, 2}},
        {ApiKey::alter_partition_reassignments, {0, 0}},  // v1: replication factor changes
        {ApiKey::list_partition_reassignments, {0, 0}},
        {ApiKey::alter_partition, {0, 3}},  // v2: topic ids; v3: ISR members' broker epochs
    };
    VersionRange r;
    bool found = false;
    for (const Row& row : rows) {
        if (row.key == key) {
            r = row.range;
            found = true;
        }
    }
    if (!found) {
        return std::nullopt;
    }
    // Never speak a version the codecs mark unstable upstream.
    const protocol::ApiInfo& info = protocol::api_info(key);
    const int16_t codec_max = info.latest_version_unstable
                                  ? static_cast<int16_t>(info.max_version - 1)
                                  : info.max_version;
    r.max = std::min(r.max, codec_max);
    return r;
}

VersionTable VersionTable::negotiate(const BrokerVersions& broker) {
    VersionTable t;
    for (const auto& [raw_key, theirs] : broker) {
        const auto key = protocol::api_key_from_int(raw_key);
        if (!key) {
            continue;
        }
        const auto ours = client_versions(*key);
        if (!ours) {
            continue;
        }
        const int16_t hi = std::min(ours->max, theirs.max);
        const int16_t lo = std::max(ours->min, theirs.min);
        if (hi >= lo) {
            t.versions_[raw_key] = hi;
        }
    }
    return t;
}

std::optional<int16_t> VersionTable::version(ApiKey key) const {
    const auto it = versions_.find(static_cast<int16_t>(key));
    if (it == versions_.end()) {
        return std::nullopt;
    }
    return it->second;
}

}  // namespace eddy::client
