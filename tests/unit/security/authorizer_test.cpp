// StandardAuthorizer semantics, rule by rule, with the examples of Kafka's authorization docs:
// DENY wins, literal / wildcard / prefixed patterns, wildcard principal and host, operation
// implications, super users, allow.everyone.if.no.acl.found, and authorize_by_resource_type
// (KIP-679's "WRITE on some topic" for idempotent producers).
#include "services/security/authorizer.h"

#include <doctest/doctest.h>

using namespace eddy::security;

namespace {

constexpr auto allowed = AuthorizationResult::allowed;
constexpr auto denied = AuthorizationResult::denied;

const KafkaPrincipal alice{"User", "alice"};
const KafkaPrincipal bob{"User", "bob"};

Uuid id(uint64_t n) { return Uuid::from_words(n, 0x5eed); }

struct Fixture {
    Authorizer authz;
    uint64_t next = 1;

    Uuid add(ResourceType type, std::string name, PatternType pattern, std::string principal,
             AclOperation op, AclPermissionType perm = AclPermissionType::allow,
             std::string host = "*") {
        AclBinding b{ResourcePattern{type, std::move(name), pattern},
                     AccessControlEntry{std::move(principal), std::move(host), op, perm}};
        const Uuid u = id(next++);
        REQUIRE_FALSE(authz.add_inconsistency(u, b));
        authz.add_acl(u, b);
        return u;
    }
    AuthorizationResult topic(const KafkaPrincipal& p, AclOperation op, std::string_view name,
                              std::string_view host = "10.0.0.1") const {
        return authz.authorize(p, host, op, ResourceType::topic, name);
    }
};

}  // namespace

TEST_CASE("authorizer: no ACLs denies by default; allow.everyone.if.no.acl.found allows") {
    Fixture f;
    CHECK(f.topic(alice, AclOperation::read, "t") == denied);
    f.authz.set_config(AuthorizerConfig{{}, true});
    CHECK(f.topic(alice, AclOperation::read, "t") == allowed);
    // Once any ACL applies to the resource — even for another principal — the default no longer
    // does: alice is denied.
    f.add(ResourceType::topic, "t", PatternType::literal, "User:bob", AclOperation::read);
    CHECK(f.topic(alice, AclOperation::read, "t") == denied);
    CHECK(f.topic(bob, AclOperation::read, "t") == allowed);
    // Another topic still has no ACL.
    CHECK(f.topic(alice, AclOperation::read, "u") == allowed);
    // A prefixed ACL applies to the names it starts, and so removes the default for them.
    f.add(ResourceType::topic, "u", PatternType::prefixed, "User:bob", AclOperation::write);
    CHECK(f.topic(alice, AclOperation::read, "u-1") == denied);
    CHECK(f.topic(alice, AclOperation::read, "v") == allowed);
}

TEST_CASE("authorizer: DENY wins over ALLOW") {
    Fixture f;
    f.add(ResourceType::topic, "t", PatternType::literal, "User:alice", AclOperation::read);
    CHECK(f.topic(alice, AclOperation::read, "t") == allowed);
    // Kafka docs: "Bob is allowed from every host but 198.51.100.3" — a DENY for one host.
    f.add(ResourceType::topic, "t", PatternType::literal, "User:alice", AclOperation::read,
          AclPermissionType::deny, "198.51.100.3");
    CHECK(f.topic(alice, AclOperation::read, "t", "198.51.100.3") == denied);
    CHECK(f.topic(alice, AclOperation::read, "t", "198.51.100.4") == allowed);
    // A DENY through the wildcard principal and a prefixed pattern wins too.
    f.add(ResourceType::topic, "t", PatternType::prefixed, "User:*", AclOperation::read,
          AclPermissionType::deny);
    CHECK(f.topic(alice, AclOperation::read, "t", "198.51.100.4") == denied);
}

TEST_CASE("authorizer: literal, wildcard and prefixed patterns") {
    Fixture f;
    f.add(ResourceType::topic, "payments", PatternType::literal, "User:alice", AclOperation::write);
    f.add(ResourceType::topic, "logs-", PatternType::prefixed, "User:alice", AclOperation::read);
    f.add(ResourceType::group, "*", PatternType::literal, "User:alice", AclOperation::read);

    CHECK(f.topic(alice, AclOperation::write, "payments") == allowed);
    CHECK(f.topic(alice, AclOperation::write, "payments2") == denied);  // literal is exact
    CHECK(f.topic(alice, AclOperation::write, "payment") == denied);
    CHECK(f.topic(alice, AclOperation::read, "logs-") == allowed);  // a prefix starts itself
    CHECK(f.topic(alice, AclOperation::read, "logs-app") == allowed);
    CHECK(f.topic(alice, AclOperation::read, "logs") == denied);
    CHECK(f.topic(alice, AclOperation::read, "xlogs-app") == denied);
    // The wildcard is per resource type.
    CHECK(f.authz.authorize(alice, "h", AclOperation::read, ResourceType::group, "any-group") ==
          allowed);
    CHECK(f.topic(alice, AclOperation::read, "any-topic") == denied);
    // A PREFIXED "*" is a prefix, not a wildcard.
    f.add(ResourceType::topic, "*", PatternType::prefixed, "User:bob", AclOperation::read);
    CHECK(f.topic(bob, AclOperation::read, "orders") == denied);
    CHECK(f.topic(bob, AclOperation::read, "*orders") == allowed);
    // Several prefix lengths on one resource type.
    f.add(ResourceType::topic, "a", PatternType::prefixed, "User:bob", AclOperation::write);
    f.add(ResourceType::topic, "abc", PatternType::prefixed, "User:bob", AclOperation::write,
          AclPermissionType::deny);
    CHECK(f.topic(bob, AclOperation::write, "ab") == allowed);
    CHECK(f.topic(bob, AclOperation::write, "abcd") == denied);
}

TEST_CASE("authorizer: wildcard principal and host") {
    Fixture f;
    f.add(ResourceType::topic, "t", PatternType::literal, "User:*", AclOperation::read,
          AclPermissionType::allow, "10.0.0.1");
    CHECK(f.topic(alice, AclOperation::read, "t", "10.0.0.1") == allowed);
    CHECK(f.topic(bob, AclOperation::read, "t", "10.0.0.1") == allowed);
    CHECK(f.topic(bob, AclOperation::read, "t", "10.0.0.2") == denied);
    // "User:*" matches principals of any type, as in Kafka.
    CHECK(f.topic(KafkaPrincipal{"Group", "ops"}, AclOperation::read, "t", "10.0.0.1") == allowed);
    // A principal is its whole "type:name": same name, other type is someone else.
    f.add(ResourceType::topic, "u", PatternType::literal, "User:alice", AclOperation::read);
    CHECK(f.topic(alice, AclOperation::read, "u") == allowed);
    CHECK(f.topic(KafkaPrincipal{"Service", "alice"}, AclOperation::read, "u") == denied);
    // A name containing a colon is compared whole.
    f.add(ResourceType::topic, "v", PatternType::literal, "User:a:b", AclOperation::read);
    CHECK(f.topic(KafkaPrincipal{"User", "a:b"}, AclOperation::read, "v") == allowed);
    CHECK(f.topic(KafkaPrincipal{"User:a", "b"}, AclOperation::read, "v") == allowed);
    CHECK(f.topic(KafkaPrincipal{"User", "a"}, AclOperation::read, "v") == denied);
}

TEST_CASE(
    "authorizer: READ/WRITE/DELETE/ALTER imply DESCRIBE, ALTER_CONFIGS implies "
    "DESCRIBE_CONFIGS — for ALLOW only") {
    for (AclOperation op :
         {AclOperation::read, AclOperation::write, AclOperation::delete_, AclOperation::alter}) {
        Fixture f;
        f.add(ResourceType::topic, "t", PatternType::literal, "User:alice", op);
        CHECK(f.topic(alice, AclOperation::describe, "t") == allowed);
        CHECK(f.topic(alice, AclOperation::describe_configs, "t") == denied);
    }
    {
        Fixture f;
        f.add(ResourceType::topic, "t", PatternType::literal, "User:alice",
              AclOperation::alter_configs);
        CHECK(f.topic(alice, AclOperation::describe_configs, "t") == allowed);
        CHECK(f.topic(alice, AclOperation::describe, "t") == denied);
        CHECK(f.topic(alice, AclOperation::alter, "t") == denied);
    }
    {
        // Implications do not run the other way, nor between other operations.
        Fixture f;
        f.add(ResourceType::topic, "t", PatternType::literal, "User:alice", AclOperation::describe);
        CHECK(f.topic(alice, AclOperation::read, "t") == denied);
        f.add(ResourceType::topic, "t", PatternType::literal, "User:alice", AclOperation::create);
        CHECK(f.topic(alice, AclOperation::describe, "t") == allowed);  // the DESCRIBE ACL
        CHECK(f.topic(alice, AclOperation::write, "t") == denied);
    }
    {
        // A DENY READ does not deny DESCRIBE, which an ALLOW WRITE grants.
        Fixture f;
        f.add(ResourceType::topic, "t", PatternType::literal, "User:alice", AclOperation::write);
        f.add(ResourceType::topic, "t", PatternType::literal, "User:alice", AclOperation::read,
              AclPermissionType::deny);
        CHECK(f.topic(alice, AclOperation::describe, "t") == allowed);
        CHECK(f.topic(alice, AclOperation::read, "t") == denied);
        CHECK(f.topic(alice, AclOperation::write, "t") == allowed);
    }
}

TEST_CASE("authorizer: ALL allows every operation; a DENY on ALL denies every operation") {
    Fixture f;
    f.add(ResourceType::topic, "t", PatternType::literal, "User:alice", AclOperation::all);
    for (AclOperation op : {AclOperation::read, AclOperation::write, AclOperation::describe,
                            AclOperation::describe_configs, AclOperation::alter_configs,
                            AclOperation::delete_, AclOperation::create}) {
        CHECK(f.topic(alice, op, "t") == allowed);
    }
    f.add(ResourceType::topic, "t", PatternType::prefixed, "User:alice", AclOperation::all,
          AclPermissionType::deny, "10.0.0.9");
    for (AclOperation op :
         {AclOperation::read, AclOperation::describe, AclOperation::describe_configs}) {
        CHECK(f.topic(alice, op, "t", "10.0.0.9") == denied);
        CHECK(f.topic(alice, op, "t", "10.0.0.1") == allowed);
    }
}

TEST_CASE("authorizer: super users are allowed whatever the ACLs say") {
    auto users = parse_super_users(" User:admin ; ;User:ops;");
    REQUIRE(users.ok());
    CHECK(users->size() == 2);
    CHECK(users->contains("User:admin"));
    CHECK(users->contains("User:ops"));
    CHECK_FALSE(parse_super_users("User:admin;root").ok());
    CHECK(parse_super_users("").ok());

    Fixture f;
    f.authz.set_config(AuthorizerConfig{*users, false});
    f.add(ResourceType::topic, "*", PatternType::literal, "User:*", AclOperation::all,
          AclPermissionType::deny);
    CHECK(f.topic(KafkaPrincipal{"User", "admin"}, AclOperation::write, "t") == allowed);
    CHECK(f.authz.authorize(KafkaPrincipal{"User", "ops"}, "h", AclOperation::cluster_action,
                            ResourceType::cluster, cluster_resource_name) == allowed);
    CHECK(f.topic(alice, AclOperation::write, "t") == denied);
    CHECK(f.authz.is_super_user(KafkaPrincipal{"User", "admin"}));
    CHECK_FALSE(f.authz.is_super_user(KafkaPrincipal{"Group", "admin"}));
}

TEST_CASE("authorizer: the cluster resource and transactional ids") {
    Fixture f;
    f.add(ResourceType::cluster, "kafka-cluster", PatternType::literal, "User:broker",
          AclOperation::cluster_action);
    f.add(ResourceType::transactional_id, "app-", PatternType::prefixed, "User:alice",
          AclOperation::write);
    const KafkaPrincipal broker{"User", "broker"};
    CHECK(f.authz.authorize(broker, "h", AclOperation::cluster_action, ResourceType::cluster,
                            cluster_resource_name) == allowed);
    CHECK(f.authz.authorize(alice, "h", AclOperation::cluster_action, ResourceType::cluster,
                            cluster_resource_name) == denied);
    CHECK(f.authz.authorize(alice, "h", AclOperation::write, ResourceType::transactional_id,
                            "app-1") == allowed);
    // DESCRIBE on the transactional id (FindCoordinator) follows from WRITE.
    CHECK(f.authz.authorize(alice, "h", AclOperation::describe, ResourceType::transactional_id,
                            "app-1") == allowed);
    CHECK(f.authz.authorize(alice, "h", AclOperation::write, ResourceType::transactional_id,
                            "other") == denied);
}

TEST_CASE("authorizer: removing ACLs restores earlier decisions and the index stays exact") {
    Fixture f;
    const Uuid deny = f.add(ResourceType::topic, "p", PatternType::prefixed, "User:alice",
                            AclOperation::read, AclPermissionType::deny);
    const Uuid allow =
        f.add(ResourceType::topic, "pay", PatternType::literal, "User:alice", AclOperation::read);
    CHECK(f.topic(alice, AclOperation::read, "pay") == denied);
    f.authz.remove_acl(deny);
    CHECK(f.topic(alice, AclOperation::read, "pay") == allowed);
    CHECK(f.authz.acl(deny) == nullptr);
    f.authz.remove_acl(allow);
    CHECK(f.authz.acl_count() == 0);
    f.authz.set_config(AuthorizerConfig{{}, true});
    CHECK(f.topic(alice, AclOperation::read, "pay") == allowed);  // nothing applies any more
}

TEST_CASE(
    "authorizer: add_inconsistency refuses zero ids, reused ids, duplicates and bad "
    "bindings") {
    Fixture f;
    const Uuid u =
        f.add(ResourceType::topic, "t", PatternType::literal, "User:alice", AclOperation::read);
    const AclBinding b = *f.authz.acl(u);
    CHECK(f.authz.add_inconsistency(Uuid{}, b));
    CHECK(f.authz.add_inconsistency(
        u, AclBinding{b.pattern, {"User:bob", "*", b.entry.operation, b.entry.permission}}));
    CHECK(f.authz.add_inconsistency(id(999), b));  // identical binding
    CHECK(f.authz.id_of(b) == u);
    AclBinding bad = b;
    bad.pattern.pattern_type = PatternType::match;
    CHECK(f.authz.add_inconsistency(id(999), bad));
}

TEST_CASE("authorizer: authorize_by_resource_type (KIP-679)") {
    SUBCASE("no ACLs: denied, unless allow.everyone.if.no.acl.found") {
        Fixture f;
        CHECK(f.authz.authorize_by_resource_type(alice, "h", AclOperation::write,
                                                 ResourceType::topic) == denied);
        f.authz.set_config(AuthorizerConfig{{}, true});
        CHECK(f.authz.authorize_by_resource_type(alice, "h", AclOperation::write,
                                                 ResourceType::topic) == allowed);
    }
    SUBCASE("an ALLOW on any topic name is enough") {
        Fixture f;
        f.add(ResourceType::topic, "orders", PatternType::literal, "User:alice",
              AclOperation::write);
        CHECK(f.authz.authorize_by_resource_type(alice, "h", AclOperation::write,
                                                 ResourceType::topic) == allowed);
        CHECK(f.authz.authorize_by_resource_type(bob, "h", AclOperation::write,
                                                 ResourceType::topic) == denied);
        // No implications: READ is not WRITE, and WRITE does not grant DESCRIBE here.
        CHECK(f.authz.authorize_by_resource_type(alice, "h", AclOperation::read,
                                                 ResourceType::topic) == denied);
        CHECK(f.authz.authorize_by_resource_type(alice, "h", AclOperation::describe,
                                                 ResourceType::topic) == denied);
    }
    SUBCASE("a literal allow is cancelled by a literal or covering prefixed deny") {
        Fixture f;
        f.add(ResourceType::topic, "orders", PatternType::literal, "User:alice",
              AclOperation::write);
        f.add(ResourceType::topic, "orders", PatternType::literal, "User:alice",
              AclOperation::write, AclPermissionType::deny);
        CHECK(f.authz.authorize_by_resource_type(alice, "h", AclOperation::write,
                                                 ResourceType::topic) == denied);
        f.add(ResourceType::topic, "ord-", PatternType::prefixed, "User:alice",
              AclOperation::write);
        CHECK(f.authz.authorize_by_resource_type(alice, "h", AclOperation::write,
                                                 ResourceType::topic) == allowed);
        f.add(ResourceType::topic, "or", PatternType::prefixed, "User:*", AclOperation::all,
              AclPermissionType::deny);
        CHECK(f.authz.authorize_by_resource_type(alice, "h", AclOperation::write,
                                                 ResourceType::topic) == denied);
    }
    SUBCASE("a wildcard allow allows; a wildcard deny denies outright") {
        Fixture f;
        f.add(ResourceType::topic, "*", PatternType::literal, "User:*", AclOperation::write);
        CHECK(f.authz.authorize_by_resource_type(bob, "h", AclOperation::write,
                                                 ResourceType::topic) == allowed);
        f.add(ResourceType::topic, "*", PatternType::literal, "User:bob", AclOperation::write,
              AclPermissionType::deny, "10.9.9.9");
        CHECK(f.authz.authorize_by_resource_type(bob, "10.9.9.9", AclOperation::write,
                                                 ResourceType::topic) == denied);
        CHECK(f.authz.authorize_by_resource_type(bob, "10.9.9.8", AclOperation::write,
                                                 ResourceType::topic) == allowed);
    }
    SUBCASE("super users are allowed despite denies") {
        Fixture f;
        f.authz.set_config(AuthorizerConfig{{"User:admin"}, false});
        f.add(ResourceType::topic, "*", PatternType::literal, "User:*", AclOperation::all,
              AclPermissionType::deny);
        CHECK(f.authz.authorize_by_resource_type(KafkaPrincipal{"User", "admin"}, "h",
                                                 AclOperation::write,
                                                 ResourceType::topic) == allowed);
    }
}

TEST_CASE(
    "authorizer: idempotent producers need IDEMPOTENT_WRITE on the cluster or WRITE on "
    "some topic") {
    Fixture f;
    CHECK(f.authz.authorize_idempotent_producer(alice, "h") == denied);
    f.add(ResourceType::cluster, "kafka-cluster", PatternType::literal, "User:alice",
          AclOperation::idempotent_write);
    CHECK(f.authz.authorize_idempotent_producer(alice, "h") == allowed);
    CHECK(f.authz.authorize_idempotent_producer(bob, "h") == denied);
    f.add(ResourceType::topic, "events-", PatternType::prefixed, "User:bob", AclOperation::write);
    CHECK(f.authz.authorize_idempotent_producer(bob, "h") == allowed);
    // READ on a topic is not enough.
    const KafkaPrincipal carol{"User", "carol"};
    f.add(ResourceType::topic, "events-", PatternType::prefixed, "User:carol", AclOperation::read);
    CHECK(f.authz.authorize_idempotent_producer(carol, "h") == denied);
}

TEST_CASE("authorizer: authorized operations bit sets hold the allowed supported operations") {
    Fixture f;
    f.add(ResourceType::topic, "t", PatternType::literal, "User:alice", AclOperation::read);
    f.add(ResourceType::topic, "t", PatternType::literal, "User:alice",
          AclOperation::alter_configs);
    const int32_t bits = f.authz.authorized_operations(alice, "h", ResourceType::topic, "t");
    // READ (3), DESCRIBE (8) implied by READ, ALTER_CONFIGS (11), DESCRIBE_CONFIGS (10).
    CHECK(bits == ((1 << 3) | (1 << 8) | (1 << 10) | (1 << 11)));
    CHECK(f.authz.authorized_operations(bob, "h", ResourceType::topic, "t") == 0);

    f.add(ResourceType::group, "g", PatternType::literal, "User:alice", AclOperation::all);
    // ALL grants every operation a group supports, and no others (no WRITE, bit 4).
    CHECK(f.authz.authorized_operations(alice, "h", ResourceType::group, "g") ==
          ((1 << 3) | (1 << 8) | (1 << 6) | (1 << 10) | (1 << 11)));
    f.authz.set_config(AuthorizerConfig{{"User:root"}, false});
    CHECK(f.authz.authorized_operations(KafkaPrincipal{"User", "root"}, "h", ResourceType::cluster,
                                        cluster_resource_name) ==
          ((1 << 5) | (1 << 9) | (1 << 10) | (1 << 11) | (1 << 12) | (1 << 7) | (1 << 8)));
}
