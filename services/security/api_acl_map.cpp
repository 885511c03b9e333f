#include "services/security/api_acl_map.h"

#include <array>

#include "core/base/assert.h"
#include "core/protocol/error_codes.h"

namespace eddy::security {

namespace {

using protocol::ApiKey;
using W = AclWhen;
using R = ResourceType;
using Op = AclOperation;
using S = AclScope;

constexpr int16_t topic_denied = kafka_error::topic_authorization_failed;             // 29
constexpr int16_t group_denied = kafka_error::group_authorization_failed;             // 30
constexpr int16_t cluster_denied = kafka_error::cluster_authorization_failed;         // 31
constexpr int16_t txn_denied = kafka_error::transactional_id_authorization_failed;    // 53
constexpr int16_t token_denied = kafka_error::delegation_token_authorization_failed;  // 65
constexpr int16_t silent = kafka_error::none;

static_assert(topic_denied == 29 && group_denied == 30 && cluster_denied == 31);
static_assert(txn_denied == 53 && token_denied == 65);

// Kafka's authorizeClusterOperation: the whole request fails with CLUSTER_AUTHORIZATION_FAILED.
constexpr AclCheck on_cluster(Op op) {
    return {W::always, R::cluster, op, S::request, cluster_denied};
}
// The alternative to the check before it.
constexpr AclCheck otherwise(AclCheck c) {
    c.alternative = true;
    return c;
}

constexpr AclCheck cluster_action[] = {on_cluster(Op::cluster_action)};
constexpr AclCheck cluster_alter[] = {on_cluster(Op::alter)};
constexpr AclCheck cluster_describe[] = {on_cluster(Op::describe)};
constexpr AclCheck cluster_describe_configs[] = {on_cluster(Op::describe_configs)};
constexpr AclCheck cluster_alter_configs[] = {on_cluster(Op::alter_configs)};
constexpr AclCheck group_read[] = {{W::always, R::group, Op::read, S::request, group_denied}};
constexpr AclCheck groups_describe[] = {
    {W::always, R::group, Op::describe, S::resource, group_denied}};

constexpr AclCheck produce[] = {
    {W::transactional, R::transactional_id, Op::write, S::request, txn_denied},
    {W::always, R::topic, Op::write, S::resource, topic_denied},
};
constexpr AclCheck fetch[] = {
    // A follower's Fetch needs CLUSTER_ACTION; Kafka answers each partition
    // TOPIC_AUTHORIZATION_FAILED (not CLUSTER_…) when it lacks it.
    {W::from_replica, R::cluster, Op::cluster_action, S::resource, topic_denied},
    {W::from_consumer, R::topic, Op::read, S::resource, topic_denied},
    {W::controller_listener, R::cluster, Op::cluster_action, S::request, cluster_denied},
};
constexpr AclCheck topic_describe[] = {
    {W::always, R::topic, Op::describe, S::resource, topic_denied}};
constexpr AclCheck metadata[] = {
    {W::always, R::topic, Op::describe, S::resource, topic_denied},
    {W::creating_topic, R::cluster, Op::create, S::resource, topic_denied},
    otherwise({W::creating_topic, R::topic, Op::create, S::resource, topic_denied}),
    {W::authorized_operations, R::cluster, Op::describe, S::filtered, silent},
};
constexpr AclCheck offset_commit[] = {
    {W::always, R::group, Op::read, S::request, group_denied},
    {W::always, R::topic, Op::read, S::resource, topic_denied},
};
constexpr AclCheck offset_fetch[] = {
    {W::always, R::group, Op::describe, S::resource, group_denied},
    {W::always, R::topic, Op::describe, S::resource, topic_denied},
};
constexpr AclCheck find_coordinator[] = {
    {W::coordinator_group, R::group, Op::describe, S::resource, group_denied},
    {W::coordinator_transaction, R::transactional_id, Op::describe, S::resource, txn_denied},
    {W::coordinator_share, R::cluster, Op::cluster_action, S::request, cluster_denied},
};
constexpr AclCheck list_groups[] = {
    {W::always, R::cluster, Op::describe, S::filtered, silent},
    otherwise({W::always, R::group, Op::describe, S::filtered, silent}),
};
constexpr AclCheck create_topics[] = {
    {W::creating_topic, R::cluster, Op::create, S::resource, topic_denied},
    otherwise({W::creating_topic, R::topic, Op::create, S::resource, topic_denied}),
    // Decides whether the created topic's configs are returned (topic_config_error_code).
    {W::always, R::topic, Op::describe_configs, S::resource, topic_denied},
};
constexpr AclCheck delete_topics[] = {
    {W::always, R::cluster, Op::delete_, S::resource, topic_denied},
    otherwise({W::always, R::topic, Op::delete_, S::resource, topic_denied}),
};
constexpr AclCheck topic_delete[] = {{W::always, R::topic, Op::delete_, S::resource, topic_denied}};
constexpr AclCheck init_producer_id[] = {
    {W::transactional, R::transactional_id, Op::write, S::request, txn_denied},
    {W::not_transactional, R::cluster, Op::idempotent_write, S::request, cluster_denied},
    // KIP-679: WRITE on any topic (Authorizer::authorize_by_resource_type) stands in.
    otherwise({W::not_transactional, R::topic, Op::write, S::request, cluster_denied}),
};
constexpr AclCheck offset_for_leader_epoch[] = {
    {W::always, R::cluster, Op::cluster_action, S::resource, topic_denied},
    // KIP-320: consumers check for truncation with DESCRIBE on the topic.
    otherwise({W::always, R::topic, Op::describe, S::resource, topic_denied}),
};
constexpr AclCheck add_partitions_to_txn[] = {
    {W::version_4_plus, R::cluster, Op::cluster_action, S::request, cluster_denied},
    {W::below_version_4, R::transactional_id, Op::write, S::request, txn_denied},
    {W::below_version_4, R::topic, Op::write, S::resource, topic_denied},
};
constexpr AclCheck add_offsets_to_txn[] = {
    {W::always, R::transactional_id, Op::write, S::request, txn_denied},
    {W::always, R::group, Op::read, S::request, group_denied},
};
constexpr AclCheck end_txn[] = {
    {W::always, R::transactional_id, Op::write, S::request, txn_denied}};
constexpr AclCheck write_txn_markers[] = {
    {W::always, R::cluster, Op::alter, S::request, cluster_denied},
    otherwise(on_cluster(Op::cluster_action)),
};
constexpr AclCheck txn_offset_commit[] = {
    {W::always, R::transactional_id, Op::write, S::request, txn_denied},
    {W::always, R::group, Op::read, S::request, group_denied},
    {W::always, R::topic, Op::read, S::resource, topic_denied},
};
constexpr AclCheck describe_configs[] = {
    {W::config_resource_broker, R::cluster, Op::describe_configs, S::resource, cluster_denied},
    {W::config_resource_topic, R::topic, Op::describe_configs, S::resource, topic_denied},
    {W::config_resource_group, R::group, Op::describe_configs, S::resource, group_denied},
};
constexpr AclCheck alter_configs[] = {
    {W::config_resource_broker, R::cluster, Op::alter_configs, S::resource, cluster_denied},
    {W::config_resource_topic, R::topic, Op::alter_configs, S::resource, topic_denied},
    {W::config_resource_group, R::group, Op::alter_configs, S::resource, group_denied},
};
constexpr AclCheck create_partitions[] = {
    {W::always, R::topic, Op::alter, S::resource, topic_denied}};
constexpr AclCheck create_delegation_token[] = {
    {W::token_for_other_owner, R::user, Op::create_tokens, S::request, token_denied}};
constexpr AclCheck describe_delegation_token[] = {
    {W::always, R::delegation_token, Op::describe, S::filtered, silent},
    otherwise({W::always, R::user, Op::describe_tokens, S::filtered, silent}),
};
constexpr AclCheck delete_groups[] = {
    {W::always, R::group, Op::delete_, S::resource, group_denied}};
constexpr AclCheck offset_delete[] = {
    {W::always, R::group, Op::delete_, S::request, group_denied},
    {W::always, R::topic, Op::read, S::resource, topic_denied},
};
constexpr AclCheck describe_cluster[] = {
    {W::authorized_operations, R::cluster, Op::describe, S::filtered, silent}};
constexpr AclCheck topic_read[] = {{W::always, R::topic, Op::read, S::resource, topic_denied}};
constexpr AclCheck describe_transactions[] = {
    {W::always, R::transactional_id, Op::describe, S::resource, txn_denied},
    {W::always, R::topic, Op::describe, S::filtered, silent},
};
constexpr AclCheck list_transactions[] = {
    {W::always, R::transactional_id, Op::describe, S::filtered, silent}};
constexpr AclCheck share_fetch[] = {
    {W::always, R::group, Op::read, S::request, group_denied},
    {W::always, R::topic, Op::read, S::resource, topic_denied},
};

constexpr std::span<const AclCheck> none{};

constexpr std::array<ApiAclRule, 88> rules{{
    {ApiKey::produce, produce, "transactional batches need WRITE on the transactional.id"},
    {ApiKey::fetch, fetch, ""},
    {ApiKey::list_offsets, topic_describe, ""},
    {ApiKey::metadata, metadata,
     "topics not authorized for DESCRIBE are left out when all topics are listed"},
    {ApiKey::leader_and_isr, cluster_action, "ZooKeeper-era inter-broker API"},
    {ApiKey::stop_replica, cluster_action, "ZooKeeper-era inter-broker API"},
    {ApiKey::update_metadata, cluster_action, "ZooKeeper-era inter-broker API"},
    {ApiKey::controlled_shutdown, cluster_action, "ZooKeeper-era inter-broker API"},
    {ApiKey::offset_commit, offset_commit, ""},
    {ApiKey::offset_fetch, offset_fetch,
     "topics not authorized for DESCRIBE are left out when all of a group's offsets are asked"},
    {ApiKey::find_coordinator, find_coordinator, ""},
    {ApiKey::join_group, group_read, ""},
    {ApiKey::heartbeat, group_read, ""},
    {ApiKey::leave_group, group_read, ""},
    {ApiKey::sync_group, group_read, ""},
    {ApiKey::describe_groups, groups_describe, ""},
    {ApiKey::list_groups, list_groups, "DESCRIBE on the cluster lists every group"},
    {ApiKey::sasl_handshake, none, "before authentication"},
    {ApiKey::api_versions, none, "before authentication"},
    {ApiKey::create_topics, create_topics, ""},
    {ApiKey::delete_topics, delete_topics,
     "a topic named by id also needs DESCRIBE on it, else UNKNOWN_TOPIC_ID"},
    {ApiKey::delete_records, topic_delete, ""},
    {ApiKey::init_producer_id, init_producer_id, ""},
    {ApiKey::offset_for_leader_epoch, offset_for_leader_epoch, ""},
    {ApiKey::add_partitions_to_txn, add_partitions_to_txn, ""},
    {ApiKey::add_offsets_to_txn, add_offsets_to_txn, ""},
    {ApiKey::end_txn, end_txn, ""},
    {ApiKey::write_txn_markers, write_txn_markers, ""},
    {ApiKey::txn_offset_commit, txn_offset_commit, ""},
    {ApiKey::describe_acls, cluster_describe, ""},
    {ApiKey::create_acls, cluster_alter, ""},
    {ApiKey::delete_acls, cluster_alter, ""},
    {ApiKey::describe_configs, describe_configs, ""},
    {ApiKey::alter_configs, alter_configs, ""},
    {ApiKey::alter_replica_log_dirs, cluster_alter, ""},
    {ApiKey::describe_log_dirs, cluster_describe, ""},
    {ApiKey::sasl_authenticate, none, "before authentication"},
    {ApiKey::create_partitions, create_partitions, ""},
    {ApiKey::create_delegation_token, create_delegation_token,
     "refused on unauthenticated or token-authenticated connections "
     "(DELEGATION_TOKEN_REQUEST_NOT_ALLOWED)"},
    {ApiKey::renew_delegation_token, none,
     "not an ACL: only the token's owner or a renewer (DELEGATION_TOKEN_OWNER_MISMATCH)"},
    {ApiKey::expire_delegation_token, none,
     "not an ACL: only the token's owner or a renewer (DELEGATION_TOKEN_OWNER_MISMATCH)"},
    {ApiKey::describe_delegation_token, describe_delegation_token,
     "owners and renewers also see their own tokens"},
    {ApiKey::delete_groups, delete_groups, ""},
    {ApiKey::elect_leaders, cluster_alter, ""},
    {ApiKey::incremental_alter_configs, alter_configs, ""},
    {ApiKey::alter_partition_reassignments, cluster_alter, ""},
    {ApiKey::list_partition_reassignments, cluster_describe, ""},
    {ApiKey::offset_delete, offset_delete, ""},
    {ApiKey::describe_client_quotas, cluster_describe_configs, ""},
    {ApiKey::alter_client_quotas, cluster_alter_configs, ""},
    {ApiKey::describe_user_scram_credentials, cluster_describe, ""},
    {ApiKey::alter_user_scram_credentials, cluster_alter, ""},
    {ApiKey::vote, cluster_action, ""},
    {ApiKey::begin_quorum_epoch, cluster_action, ""},
    {ApiKey::end_quorum_epoch, cluster_action, ""},
    {ApiKey::describe_quorum, cluster_describe, ""},
    {ApiKey::alter_partition, cluster_action, ""},
    {ApiKey::update_features, cluster_alter, ""},
    {ApiKey::envelope, cluster_action, ""},
    {ApiKey::fetch_snapshot, cluster_action, ""},
    {ApiKey::describe_cluster, describe_cluster,
     "no ACL needed; DESCRIBE on the cluster only for the authorized operations"},
    {ApiKey::describe_producers, topic_read, ""},
    {ApiKey::broker_registration, cluster_action, ""},
    {ApiKey::broker_heartbeat, cluster_action, ""},
    {ApiKey::unregister_broker, cluster_alter, ""},
    {ApiKey::describe_transactions, describe_transactions, ""},
    {ApiKey::list_transactions, list_transactions, ""},
    {ApiKey::allocate_producer_ids, cluster_action, ""},
    {ApiKey::consumer_group_heartbeat, group_read, ""},
    {ApiKey::consumer_group_describe, groups_describe, ""},
    {ApiKey::controller_registration, cluster_action, ""},
    {ApiKey::get_telemetry_subscriptions, none, "KIP-714 client telemetry"},
    {ApiKey::push_telemetry, none, "KIP-714 client telemetry"},
    {ApiKey::assign_replicas_to_dirs, cluster_action, ""},
    {ApiKey::list_client_metrics_resources, cluster_describe_configs, ""},
    {ApiKey::describe_topic_partitions, topic_describe,
     "topics not authorized for DESCRIBE are left out when all topics are listed"},
    {ApiKey::share_group_heartbeat, group_read, ""},
    {ApiKey::share_group_describe, groups_describe, ""},
    {ApiKey::share_fetch, share_fetch, ""},
    {ApiKey::share_acknowledge, share_fetch, ""},
    {ApiKey::add_raft_voter, cluster_alter, ""},
    {ApiKey::remove_raft_voter, cluster_alter, ""},
    {ApiKey::update_raft_voter, cluster_action, ""},
    {ApiKey::initialize_share_group_state, cluster_action, "share-group state (KIP-932)"},
    {ApiKey::read_share_group_state, cluster_action, "share-group state (KIP-932)"},
    {ApiKey::write_share_group_state, cluster_action, "share-group state (KIP-932)"},
    {ApiKey::delete_share_group_state, cluster_action, "share-group state (KIP-932)"},
    {ApiKey::read_share_group_state_summary, cluster_action, "share-group state (KIP-932)"},
}};

// The table is indexed by key: row i is ApiKey i.
constexpr bool rows_in_key_order() {
    for (size_t i = 0; i < rules.size(); ++i) {
        if (static_cast<size_t>(rules[i].key) != i) {
            return false;
        }
    }
    return true;
}
static_assert(rows_in_key_order(), "api_acl_map rows must be ordered by ApiKey without gaps");

}  // namespace

std::span<const ApiAclRule> api_acl_rules() { return rules; }

const ApiAclRule& api_acl_rule(ApiKey key) {
    const auto i = static_cast<size_t>(key);
    ASSERT(i < rules.size(), "an ApiKey without an ACL rule");
    ASSERT(rules[i].key == key);
    return rules[i];
}

}  // namespace eddy::security
