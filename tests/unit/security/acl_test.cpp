// The ACL model: Kafka's wire codes, binding validation, host syntax, and the DescribeAcls /
// DeleteAcls filter semantics (ANY compares names exactly, MATCH finds the patterns that would
// apply to a name).
#include "services/security/acl.h"

#include <doctest/doctest.h>

using namespace eddy::security;

namespace {

AclBinding binding(ResourceType type, std::string name, PatternType pattern,
                   std::string principal = "User:alice", std::string host = "*",
                   AclOperation op = AclOperation::read,
                   AclPermissionType perm = AclPermissionType::allow) {
    return AclBinding{ResourcePattern{type, std::move(name), pattern},
                      AccessControlEntry{std::move(principal), std::move(host), op, perm}};
}

ResourcePatternFilter pattern_filter(ResourceType type, std::optional<std::string> name,
                                     PatternType pattern) {
    return ResourcePatternFilter{type, std::move(name), pattern};
}

}  // namespace

TEST_CASE("acl: enum codes are Kafka's") {
    CHECK(code(ResourceType::unknown) == 0);
    CHECK(code(ResourceType::any) == 1);
    CHECK(code(ResourceType::topic) == 2);
    CHECK(code(ResourceType::group) == 3);
    CHECK(code(ResourceType::cluster) == 4);
    CHECK(code(ResourceType::transactional_id) == 5);
    CHECK(code(ResourceType::delegation_token) == 6);
    CHECK(code(ResourceType::user) == 7);
    CHECK(code(PatternType::any) == 1);
    CHECK(code(PatternType::match) == 2);
    CHECK(code(PatternType::literal) == 3);
    CHECK(code(PatternType::prefixed) == 4);
    CHECK(code(AclOperation::all) == 2);
    CHECK(code(AclOperation::read) == 3);
    CHECK(code(AclOperation::write) == 4);
    CHECK(code(AclOperation::create) == 5);
    CHECK(code(AclOperation::delete_) == 6);
    CHECK(code(AclOperation::alter) == 7);
    CHECK(code(AclOperation::describe) == 8);
    CHECK(code(AclOperation::cluster_action) == 9);
    CHECK(code(AclOperation::describe_configs) == 10);
    CHECK(code(AclOperation::alter_configs) == 11);
    CHECK(code(AclOperation::idempotent_write) == 12);
    CHECK(code(AclOperation::create_tokens) == 13);
    CHECK(code(AclOperation::describe_tokens) == 14);
    CHECK(code(AclPermissionType::any) == 1);
    CHECK(code(AclPermissionType::deny) == 2);
    CHECK(code(AclPermissionType::allow) == 3);
}

TEST_CASE("acl: codes outside the enums read as UNKNOWN, as Kafka's fromCode") {
    CHECK(resource_type_from_code(2) == ResourceType::topic);
    CHECK(resource_type_from_code(8) == ResourceType::unknown);
    CHECK(resource_type_from_code(-1) == ResourceType::unknown);
    CHECK(pattern_type_from_code(4) == PatternType::prefixed);
    CHECK(pattern_type_from_code(5) == PatternType::unknown);
    CHECK(operation_from_code(14) == AclOperation::describe_tokens);
    CHECK(operation_from_code(15) == AclOperation::unknown);
    CHECK(operation_from_code(-128) == AclOperation::unknown);
    CHECK(permission_type_from_code(3) == AclPermissionType::allow);
    CHECK(permission_type_from_code(4) == AclPermissionType::unknown);
    CHECK(std::string(to_string(AclOperation::describe_configs)) == "DESCRIBE_CONFIGS");
    CHECK(std::string(to_string(ResourceType::transactional_id)) == "TRANSACTIONAL_ID");
}

TEST_CASE("acl: binding validation refuses filter-only values, bad names, principals and hosts") {
    CHECK_FALSE(binding_invalid(binding(ResourceType::topic, "t", PatternType::literal)));
    CHECK_FALSE(binding_invalid(binding(ResourceType::topic, "t-", PatternType::prefixed)));
    CHECK_FALSE(
        binding_invalid(binding(ResourceType::cluster, "kafka-cluster", PatternType::literal,
                                "User:*", "10.0.0.1", AclOperation::all, AclPermissionType::deny)));

    auto why = binding_invalid(binding(ResourceType::any, "t", PatternType::literal));
    REQUIRE(why);
    CHECK(*why == "Invalid resourceType ANY");
    CHECK(binding_invalid(binding(ResourceType::unknown, "t", PatternType::literal)));
    why = binding_invalid(binding(ResourceType::topic, "t", PatternType::match));
    REQUIRE(why);
    CHECK(*why == "Invalid patternType MATCH");
    CHECK(binding_invalid(binding(ResourceType::topic, "t", PatternType::any)));
    CHECK(binding_invalid(binding(ResourceType::topic, "t", PatternType::unknown)));
    why = binding_invalid(
        binding(ResourceType::topic, "t", PatternType::literal, "User:a", "*", AclOperation::any));
    REQUIRE(why);
    CHECK(*why == "Invalid operation ANY");
    why = binding_invalid(binding(ResourceType::topic, "t", PatternType::literal, "User:a", "*",
                                  AclOperation::read, AclPermissionType::any));
    REQUIRE(why);
    CHECK(*why == "Invalid permissionType ANY");
    why = binding_invalid(binding(ResourceType::topic, "", PatternType::literal));
    REQUIRE(why);
    CHECK(*why == "Resource name should not be empty");
    why = binding_invalid(binding(ResourceType::cluster, "other", PatternType::literal));
    REQUIRE(why);
    CHECK(*why == "The only valid name for the CLUSTER resource is kafka-cluster");
    why = binding_invalid(binding(ResourceType::topic, "t", PatternType::literal, "alice"));
    REQUIRE(why);
    CHECK(why->find("Could not parse principal") == 0);
    why = binding_invalid(
        binding(ResourceType::topic, "t", PatternType::literal, "User:a", "broker.example.com"));
    REQUIRE(why);
    CHECK(why->find("Invalid host") == 0);
}

TEST_CASE("acl: hosts are * or IP addresses") {
    CHECK(valid_acl_host("*"));
    CHECK(valid_acl_host("127.0.0.1"));
    CHECK(valid_acl_host("255.255.255.255"));
    CHECK(valid_acl_host("::1"));
    CHECK(valid_acl_host("::"));
    CHECK(valid_acl_host("fe80::1:2"));
    CHECK(valid_acl_host("2001:db8:0:0:0:0:2:1"));
    CHECK(valid_acl_host("::ffff:10.1.2.3"));
    CHECK_FALSE(valid_acl_host(""));
    CHECK_FALSE(valid_acl_host("**"));
    CHECK_FALSE(valid_acl_host("256.0.0.1"));
    CHECK_FALSE(valid_acl_host("1.2.3"));
    CHECK_FALSE(valid_acl_host("1.2.3.4.5"));
    CHECK_FALSE(valid_acl_host("1.2.3.4 "));
    CHECK_FALSE(valid_acl_host("localhost"));
    CHECK_FALSE(valid_acl_host("1::2::3"));
    CHECK_FALSE(valid_acl_host("1:2:3:4:5:6:7:8:9"));
    CHECK_FALSE(valid_acl_host("12345::"));
    CHECK_FALSE(valid_acl_host("fe80::1%eth0"));
}

TEST_CASE("acl: resource pattern filters — ANY, exact pattern types and MATCH") {
    const ResourcePattern literal{ResourceType::topic, "payments", PatternType::literal};
    const ResourcePattern wildcard{ResourceType::topic, "*", PatternType::literal};
    const ResourcePattern prefixed{ResourceType::topic, "pay", PatternType::prefixed};
    const ResourcePattern other_prefix{ResourceType::topic, "orders", PatternType::prefixed};
    const ResourcePattern group{ResourceType::group, "payments", PatternType::literal};

    // ANY type, null name, ANY pattern: everything.
    const auto all = pattern_filter(ResourceType::any, std::nullopt, PatternType::any);
    CHECK(all.matches(literal));
    CHECK(all.matches(prefixed));
    CHECK(all.matches(group));

    // ANY pattern type with a name: the stored name must equal it, whatever its pattern type.
    const auto any_named = pattern_filter(ResourceType::topic, "pay", PatternType::any);
    CHECK(any_named.matches(prefixed));
    CHECK_FALSE(any_named.matches(literal));
    CHECK_FALSE(any_named.matches(wildcard));

    // An exact pattern type: only that type, name equal.
    const auto lit = pattern_filter(ResourceType::topic, "payments", PatternType::literal);
    CHECK(lit.matches(literal));
    CHECK_FALSE(lit.matches(wildcard));
    CHECK_FALSE(lit.matches(prefixed));
    CHECK_FALSE(lit.matches(group));

    // MATCH: the literal name, the wildcard, and every prefix that starts the name.
    const auto match = pattern_filter(ResourceType::topic, "payments", PatternType::match);
    CHECK(match.matches(literal));
    CHECK(match.matches(wildcard));
    CHECK(match.matches(prefixed));
    CHECK_FALSE(match.matches(other_prefix));
    CHECK_FALSE(match.matches(group));
    // MATCH without a name is every pattern of the type.
    const auto match_all = pattern_filter(ResourceType::topic, std::nullopt, PatternType::match);
    CHECK(match_all.matches(other_prefix));

    CHECK(pattern_filter(ResourceType::unknown, std::nullopt, PatternType::any).is_unknown());
    CHECK(pattern_filter(ResourceType::any, std::nullopt, PatternType::unknown).is_unknown());
    CHECK_FALSE(all.is_unknown());
}

TEST_CASE("acl: entry filters — null and ANY match anything, the rest compare exactly") {
    const AccessControlEntry e{"User:alice", "10.0.0.1", AclOperation::read,
                               AclPermissionType::allow};
    AccessControlEntryFilter f{std::nullopt, std::nullopt, AclOperation::any,
                               AclPermissionType::any};
    CHECK(f.matches(e));
    f.principal = "User:alice";
    CHECK(f.matches(e));
    f.principal = "User:*";  // a filter's wildcard is literal text, as in Kafka
    CHECK_FALSE(f.matches(e));
    f.principal = std::nullopt;
    f.host = "*";
    CHECK_FALSE(f.matches(e));
    f.host = "10.0.0.1";
    CHECK(f.matches(e));
    f.operation = AclOperation::describe;  // no implications in filters
    CHECK_FALSE(f.matches(e));
    f.operation = AclOperation::read;
    f.permission = AclPermissionType::deny;
    CHECK_FALSE(f.matches(e));
    f.permission = AclPermissionType::allow;
    CHECK(f.matches(e));
    f.operation = AclOperation::unknown;
    CHECK(f.is_unknown());
    CHECK(
        match_all_filter().matches(binding(ResourceType::user, "User:bob", PatternType::prefixed)));
}
