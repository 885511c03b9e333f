// The API → ACL table: a row for every API the broker and the controller listener serve (and for
// every key this build knows), well-formed rows, and Kafka's rules for the common APIs.
#include "services/security/api_acl_map.h"

#include <doctest/doctest.h>

#include "core/protocol/error_codes.h"
#include "services/kafka/api_table.h"

using namespace eddy;
using namespace eddy::security;
using protocol::ApiKey;

namespace {

bool has_check(ApiKey key, AclWhen when, ResourceType type, AclOperation op, AclScope scope,
               int16_t error) {
    for (const auto& c : api_acl_rule(key).checks) {
        if (c.when == when && c.resource_type == type && c.operation == op && c.scope == scope &&
            c.error_code == error) {
            return true;
        }
    }
    return false;
}

bool authorization_error(int16_t e) {
    return e == kafka_error::topic_authorization_failed ||
           e == kafka_error::group_authorization_failed ||
           e == kafka_error::cluster_authorization_failed ||
           e == kafka_error::transactional_id_authorization_failed ||
           e == kafka_error::delegation_token_authorization_failed;
}

}  // namespace

TEST_CASE("api acl map: every API either listener serves has a row") {
    for (auto kind : {kafka::ListenerKind::client, kafka::ListenerKind::controller}) {
        for (const auto& api : kafka::supported_apis(kind)) {
            CAPTURE(protocol::to_string(api.key));
            CHECK(api_acl_rule(api.key).key == api.key);
        }
    }
    // And every key the build knows, in key order.
    const auto all = protocol::all_apis();
    REQUIRE(api_acl_rules().size() == all.size());
    for (size_t i = 0; i < all.size(); ++i) {
        CHECK(api_acl_rules()[i].key == all[i].key);
    }
}

TEST_CASE("api acl map: rows are well formed") {
    for (const auto& rule : api_acl_rules()) {
        CAPTURE(protocol::to_string(rule.key));
        for (size_t i = 0; i < rule.checks.size(); ++i) {
            const AclCheck& c = rule.checks[i];
            CHECK(c.resource_type != ResourceType::any);
            CHECK(c.resource_type != ResourceType::unknown);
            CHECK(c.operation != AclOperation::any);
            CHECK(c.operation != AclOperation::unknown);
            CHECK(c.operation != AclOperation::all);
            if (c.scope == AclScope::filtered) {
                CHECK(c.error_code == kafka_error::none);
            } else {
                CHECK(authorization_error(c.error_code));
            }
            if (c.alternative) {
                REQUIRE(i > 0);  // an alternative follows the check it stands in for
                CHECK(rule.checks[i - 1].when == c.when);
            }
        }
        if (rule.checks.empty()) {
            CHECK_FALSE(rule.note.empty());  // say why no ACL is needed
        }
    }
}

TEST_CASE("api acl map: Kafka's rules for the common APIs") {
    using W = AclWhen;
    using R = ResourceType;
    using Op = AclOperation;
    using S = AclScope;
    const int16_t topic = kafka_error::topic_authorization_failed;
    const int16_t group = kafka_error::group_authorization_failed;
    const int16_t cluster = kafka_error::cluster_authorization_failed;
    const int16_t txn = kafka_error::transactional_id_authorization_failed;

    CHECK(has_check(ApiKey::produce, W::always, R::topic, Op::write, S::resource, topic));
    CHECK(has_check(ApiKey::produce, W::transactional, R::transactional_id, Op::write, S::request,
                    txn));
    CHECK(has_check(ApiKey::fetch, W::from_consumer, R::topic, Op::read, S::resource, topic));
    CHECK(has_check(ApiKey::fetch, W::from_replica, R::cluster, Op::cluster_action, S::resource,
                    topic));
    CHECK(has_check(ApiKey::fetch, W::controller_listener, R::cluster, Op::cluster_action,
                    S::request, cluster));
    CHECK(has_check(ApiKey::metadata, W::always, R::topic, Op::describe, S::resource, topic));
    CHECK(has_check(ApiKey::list_offsets, W::always, R::topic, Op::describe, S::resource, topic));
    CHECK(has_check(ApiKey::offset_commit, W::always, R::group, Op::read, S::request, group));
    CHECK(has_check(ApiKey::offset_commit, W::always, R::topic, Op::read, S::resource, topic));
    CHECK(has_check(ApiKey::create_topics, W::creating_topic, R::cluster, Op::create, S::resource,
                    topic));
    CHECK(has_check(ApiKey::delete_topics, W::always, R::topic, Op::delete_, S::resource, topic));
    CHECK(has_check(ApiKey::find_coordinator, W::coordinator_group, R::group, Op::describe,
                    S::resource, group));
    CHECK(has_check(ApiKey::find_coordinator, W::coordinator_transaction, R::transactional_id,
                    Op::describe, S::resource, txn));
    for (ApiKey k :
         {ApiKey::join_group, ApiKey::sync_group, ApiKey::heartbeat, ApiKey::leave_group}) {
        CHECK(has_check(k, W::always, R::group, Op::read, S::request, group));
    }
    CHECK(
        has_check(ApiKey::describe_groups, W::always, R::group, Op::describe, S::resource, group));
    CHECK(has_check(ApiKey::delete_groups, W::always, R::group, Op::delete_, S::resource, group));
    CHECK(has_check(ApiKey::list_groups, W::always, R::group, Op::describe, S::filtered,
                    kafka_error::none));
    CHECK(has_check(ApiKey::create_acls, W::always, R::cluster, Op::alter, S::request, cluster));
    CHECK(has_check(ApiKey::delete_acls, W::always, R::cluster, Op::alter, S::request, cluster));
    CHECK(
        has_check(ApiKey::describe_acls, W::always, R::cluster, Op::describe, S::request, cluster));
    CHECK(has_check(ApiKey::describe_configs, W::config_resource_topic, R::topic,
                    Op::describe_configs, S::resource, topic));
    CHECK(has_check(ApiKey::incremental_alter_configs, W::config_resource_broker, R::cluster,
                    Op::alter_configs, S::resource, cluster));
    CHECK(has_check(ApiKey::elect_leaders, W::always, R::cluster, Op::alter, S::request, cluster));
    CHECK(has_check(ApiKey::list_partition_reassignments, W::always, R::cluster, Op::describe,
                    S::request, cluster));
    CHECK(has_check(ApiKey::describe_client_quotas, W::always, R::cluster, Op::describe_configs,
                    S::request, cluster));
    CHECK(has_check(ApiKey::alter_user_scram_credentials, W::always, R::cluster, Op::alter,
                    S::request, cluster));
    CHECK(has_check(ApiKey::init_producer_id, W::not_transactional, R::cluster,
                    Op::idempotent_write, S::request, cluster));
    for (ApiKey k : {ApiKey::vote, ApiKey::begin_quorum_epoch, ApiKey::alter_partition,
                     ApiKey::broker_registration, ApiKey::broker_heartbeat,
                     ApiKey::allocate_producer_ids, ApiKey::fetch_snapshot}) {
        CAPTURE(protocol::to_string(k));
        CHECK(has_check(k, W::always, R::cluster, Op::cluster_action, S::request, cluster));
    }
    CHECK(api_acl_rule(ApiKey::api_versions).checks.empty());
    CHECK(api_acl_rule(ApiKey::sasl_handshake).checks.empty());
}
