// Which ACL checks each Kafka API makes: the resource type and operation Kafka's KafkaApis /
// ControllerApis authorize, when, on what scope, and the *_AUTHORIZATION_FAILED code a refusal
// answers with. Data, not code: the broker's handlers read their row so the rules live in one
// table that a test holds against every API the broker serves (services/kafka/api_table.cpp).
// Source: Kafka's KafkaApis.scala, ControllerApis.scala, AclApis.scala and ConfigHelper.scala
// (4.0) and the "Operations and Resources on Protocols" table of Kafka's security docs.
//
// Reading a row: checks are evaluated in order; a check whose `when` does not hold for the
// request is skipped; a check marked `alternative` is only evaluated when the check before it
// failed, and passing it passes both (Kafka's "CREATE on the cluster, else CREATE on each
// topic"). Resource names: the cluster's is cluster_resource_name; otherwise the topic, group,
// transactional id, token id or user principal the request names.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "core/protocol/generated/api_keys.h"
#include "services/security/acl.h"

namespace eddy::security {

// When a check applies.
enum class AclWhen : uint8_t {
    always,
    // Produce carrying transactional batches; InitProducerId with a transactional.id.
    transactional,
    // InitProducerId without a transactional.id (an idempotent producer).
    not_transactional,
    // Fetch with replica_id >= 0: a follower broker.
    from_replica,
    // Fetch with replica_id < 0: a consumer.
    from_consumer,
    // Fetch served on the controller listener: the Raft metadata log (KIP-595).
    controller_listener,
    // Metadata / CreateTopics: a topic to be created (auto-creation or explicit).
    creating_topic,
    // DescribeConfigs / AlterConfigs / IncrementalAlterConfigs: by the config resource's type —
    // BROKER and BROKER_LOGGER (and CLIENT_METRICS) check the cluster, TOPIC the topic, GROUP
    // the group.
    config_resource_broker,
    config_resource_topic,
    config_resource_group,
    // FindCoordinator: by key type (0 group, 1 transaction, 2 share group).
    coordinator_group,
    coordinator_transaction,
    coordinator_share,
    // CreateDelegationToken for an owner other than the requester (KIP-373).
    token_for_other_owner,
    // AddPartitionsToTxn v4+, which brokers send to verify a transaction (KIP-890).
    version_4_plus,
    // AddPartitionsToTxn below v4, from producers.
    below_version_4,
    // Metadata / DescribeCluster / DescribeGroups asking for authorized operations: no refusal,
    // the answer's authorized-operations bit set is computed with authorize().
    authorized_operations,
};

// What a failed check does.
enum class AclScope : uint8_t {
    request,   // the whole request is answered with error_code
    resource,  // each failing resource (topic, partition, group, config) gets error_code
    filtered,  // failing resources are left out of the answer silently (error_code is none)
};

struct AclCheck {
    AclWhen when;
    ResourceType resource_type;
    AclOperation operation;
    AclScope scope;
    int16_t error_code;
    bool alternative = false;
};

struct ApiAclRule {
    protocol::ApiKey key;
    // Empty: the API needs no ACL (ApiVersions, SASL, telemetry; or checks that are not ACLs,
    // named in `note`).
    std::span<const AclCheck> checks;
    std::string_view note;
};

// One row per ApiKey this build knows, ordered by key.
std::span<const ApiAclRule> api_acl_rules();
// The row for a key; every ApiKey value has one.
const ApiAclRule& api_acl_rule(protocol::ApiKey key);

}  // namespace eddy::security
