// CreateAcls / DescribeAcls / DeleteAcls on the generated protocol structs, and the metadata
// records that carry the changes: per-binding errors, idempotent creation, deterministic
// listings, removal by id, and replay of untrusted records.
#include "services/security/acl_admin.h"

#include <doctest/doctest.h>

#include "core/protocol/error_codes.h"

using namespace eddy;
using namespace eddy::security;

namespace {

using Creation = protocol::CreateAclsRequest::AclCreation;
using DeleteFilter = protocol::DeleteAclsRequest::DeleteAclsFilter;

Creation creation(ResourceType type, std::string name, PatternType pattern, std::string principal,
                  AclOperation op, AclPermissionType perm = AclPermissionType::allow,
                  std::string host = "*") {
    Creation c;
    c.resource_type_ = code(type);
    c.resource_name_ = std::move(name);
    c.resource_pattern_type_ = code(pattern);
    c.principal_ = std::move(principal);
    c.host_ = std::move(host);
    c.operation_ = code(op);
    c.permission_type_ = code(perm);
    return c;
}

// Ids 1, 2, 3, … (a deterministic stand-in for Env's Random).
struct Ids {
    uint64_t next = 1;
    Uuid operator()() { return Uuid::from_words(next++, 0xac1); }
};

// Creates through the admin path and applies the records, as a controller then broker would.
protocol::CreateAclsResponse create(Authorizer& authz, Ids& ids, std::vector<Creation> cs) {
    protocol::CreateAclsRequest req;
    req.creations_ = std::move(cs);
    auto out = create_acls(authz, req, std::ref(ids));
    for (const auto& r : out.records) {
        REQUIRE_FALSE(acl_record_inconsistency(authz, AclRecord{r}));
        apply_acl_record(authz, AclRecord{r});
    }
    return out.response;
}

DeleteFilter delete_filter(ResourceType type, std::optional<std::string> name,
                           PatternType pattern) {
    DeleteFilter f;
    f.resource_type_filter_ = code(type);
    f.resource_name_filter_ = std::move(name);
    f.pattern_type_filter_ = code(pattern);
    f.principal_filter_ = std::nullopt;
    f.host_filter_ = std::nullopt;
    f.operation_ = code(AclOperation::any);
    f.permission_type_ = code(AclPermissionType::any);
    return f;
}

protocol::DescribeAclsRequest describe_all() {
    protocol::DescribeAclsRequest r;
    r.resource_type_filter_ = code(ResourceType::any);
    r.resource_name_filter_ = std::nullopt;
    r.pattern_type_filter_ = code(PatternType::any);
    r.principal_filter_ = std::nullopt;
    r.host_filter_ = std::nullopt;
    r.operation_ = code(AclOperation::any);
    r.permission_type_ = code(AclPermissionType::any);
    return r;
}

}  // namespace

TEST_CASE("acl admin: CreateAcls validates each binding alone") {
    Authorizer authz;
    Ids ids;
    auto resp = create(
        authz, ids,
        {creation(ResourceType::topic, "t", PatternType::literal, "User:alice", AclOperation::read),
         creation(ResourceType::any, "t", PatternType::literal, "User:alice", AclOperation::read),
         creation(ResourceType::topic, "t", PatternType::match, "User:alice", AclOperation::read),
         creation(ResourceType::topic, "t", PatternType::literal, "alice", AclOperation::read),
         creation(ResourceType::topic, "t", PatternType::literal, "User:alice", AclOperation::any),
         creation(ResourceType::topic, "t", PatternType::literal, "User:alice", AclOperation::read,
                  AclPermissionType::unknown),
         creation(ResourceType::cluster, "c", PatternType::literal, "User:alice",
                  AclOperation::alter),
         creation(ResourceType::topic, "", PatternType::literal, "User:alice", AclOperation::read),
         creation(ResourceType::topic, "t", PatternType::literal, "User:alice", AclOperation::read,
                  AclPermissionType::allow, "not-an-ip"),
         creation(ResourceType::group, "g-", PatternType::prefixed, "User:bob", AclOperation::read,
                  AclPermissionType::deny, "10.0.0.1")});
    REQUIRE(resp.results_.size() == 10);
    CHECK(resp.results_[0].error_code_ == kafka_error::none);
    CHECK_FALSE(resp.results_[0].error_message_.has_value());
    for (size_t i = 1; i < 9; ++i) {
        CAPTURE(i);
        CHECK(resp.results_[i].error_code_ == kafka_error::invalid_request);
        REQUIRE(resp.results_[i].error_message_.has_value());
        CHECK_FALSE(resp.results_[i].error_message_->empty());
    }
    CHECK(*resp.results_[1].error_message_ == "Invalid resourceType ANY");
    CHECK(*resp.results_[6].error_message_ ==
          "The only valid name for the CLUSTER resource is kafka-cluster");
    CHECK(resp.results_[9].error_code_ == kafka_error::none);
    CHECK(authz.acl_count() == 2);

    // A code no enum knows reads as UNKNOWN and is refused the same way.
    Creation odd =
        creation(ResourceType::topic, "t", PatternType::literal, "User:a", AclOperation::read);
    odd.operation_ = 99;
    auto r = create(authz, ids, {odd});
    CHECK(r.results_[0].error_code_ == kafka_error::invalid_request);
    CHECK(*r.results_[0].error_message_ == "Invalid operation UNKNOWN");
}

TEST_CASE("acl admin: creating an existing ACL succeeds without a second record") {
    Authorizer authz;
    Ids ids;
    const auto c =
        creation(ResourceType::topic, "t", PatternType::literal, "User:alice", AclOperation::write);
    protocol::CreateAclsRequest req;
    req.creations_ = {c, c};
    auto out = create_acls(authz, req, std::ref(ids));
    CHECK(out.response.results_.size() == 2);
    CHECK(out.response.results_[1].error_code_ == kafka_error::none);
    REQUIRE(out.records.size() == 1);  // twice in one request: one ACL
    apply_acl_record(authz, AclRecord{out.records[0]});
    auto again = create_acls(authz, req, std::ref(ids));
    CHECK(again.records.empty());
    CHECK(again.response.results_[0].error_code_ == kafka_error::none);
}

TEST_CASE("acl admin: ids that are in use or zero are drawn again") {
    Authorizer authz;
    Ids ids;
    create(
        authz, ids,
        {creation(ResourceType::topic, "t", PatternType::literal, "User:a", AclOperation::read)});
    // A source that first repeats the id in use, then gives zero, then a fresh one.
    std::vector<Uuid> draws = {Uuid::from_words(1, 0xac1), Uuid{}, Uuid::from_words(1, 0xac1),
                               Uuid::from_words(42, 0)};
    size_t i = 0;
    protocol::CreateAclsRequest req;
    req.creations_ = {
        creation(ResourceType::topic, "u", PatternType::literal, "User:a", AclOperation::read)};
    auto out = create_acls(authz, req, [&] { return draws.at(i++); });
    REQUIRE(out.records.size() == 1);
    CHECK(out.records[0].id_ == Uuid::from_words(42, 0));
}

TEST_CASE("acl admin: DescribeAcls groups by pattern in a deterministic order") {
    Authorizer authz;
    Ids ids;
    // Created in a scrambled order.
    create(
        authz, ids,
        {creation(ResourceType::topic, "b", PatternType::literal, "User:zed", AclOperation::read),
         creation(ResourceType::group, "g", PatternType::literal, "User:alice", AclOperation::read),
         creation(ResourceType::topic, "a", PatternType::prefixed, "User:alice",
                  AclOperation::write),
         creation(ResourceType::topic, "b", PatternType::literal, "User:alice", AclOperation::read),
         creation(ResourceType::topic, "a", PatternType::literal, "User:alice",
                  AclOperation::read)});
    auto resp = describe_acls(authz, describe_all());
    CHECK(resp.error_code_ == kafka_error::none);
    CHECK_FALSE(resp.error_message_.has_value());
    REQUIRE(resp.resources_.size() == 4);
    // TOPIC (2) before GROUP (3); by name; LITERAL (3) before PREFIXED (4).
    CHECK(resp.resources_[0].resource_name_ == "a");
    CHECK(resp.resources_[0].pattern_type_ == code(PatternType::literal));
    CHECK(resp.resources_[1].resource_name_ == "a");
    CHECK(resp.resources_[1].pattern_type_ == code(PatternType::prefixed));
    CHECK(resp.resources_[2].resource_name_ == "b");
    REQUIRE(resp.resources_[2].acls_.size() == 2);
    CHECK(resp.resources_[2].acls_[0].principal_ == "User:alice");
    CHECK(resp.resources_[2].acls_[1].principal_ == "User:zed");
    CHECK(resp.resources_[3].resource_type_ == code(ResourceType::group));

    // MATCH on a name: the literal and the prefix that apply to "ab", not "b".
    auto req = describe_all();
    req.resource_type_filter_ = code(ResourceType::topic);
    req.pattern_type_filter_ = code(PatternType::match);
    req.resource_name_filter_ = "ab";
    resp = describe_acls(authz, req);
    REQUIRE(resp.resources_.size() == 1);
    CHECK(resp.resources_[0].resource_name_ == "a");
    CHECK(resp.resources_[0].pattern_type_ == code(PatternType::prefixed));

    // Filters on the entry.
    req = describe_all();
    req.principal_filter_ = "User:zed";
    resp = describe_acls(authz, req);
    REQUIRE(resp.resources_.size() == 1);
    CHECK(resp.resources_[0].acls_.size() == 1);

    // UNKNOWN in the filter: INVALID_REQUEST.
    req = describe_all();
    req.operation_ = code(AclOperation::unknown);
    resp = describe_acls(authz, req);
    CHECK(resp.error_code_ == kafka_error::invalid_request);
    CHECK(resp.resources_.empty());
    req = describe_all();
    req.resource_type_filter_ = 42;
    CHECK(describe_acls(authz, req).error_code_ == kafka_error::invalid_request);
}

TEST_CASE("acl admin: DeleteAcls lists matches per filter and removes each id once") {
    Authorizer authz;
    Ids ids;
    create(authz, ids,
           {creation(ResourceType::topic, "pay", PatternType::literal, "User:alice",
                     AclOperation::read),
            creation(ResourceType::topic, "pa", PatternType::prefixed, "User:bob",
                     AclOperation::write),
            creation(ResourceType::topic, "*", PatternType::literal, "User:carol",
                     AclOperation::describe),
            creation(ResourceType::group, "pay", PatternType::literal, "User:alice",
                     AclOperation::read)});
    protocol::DeleteAclsRequest req;
    req.filters_ = {
        delete_filter(ResourceType::topic, "pay", PatternType::match),         // pay, pa, *
        delete_filter(ResourceType::topic, "pay", PatternType::literal),       // pay again
        delete_filter(ResourceType::unknown, std::nullopt, PatternType::any),  // refused
        delete_filter(ResourceType::topic, "zzz", PatternType::literal),       // nothing
    };
    auto out = delete_acls(authz, req);
    REQUIRE(out.response.filter_results_.size() == 4);
    const auto& first = out.response.filter_results_[0];
    CHECK(first.error_code_ == kafka_error::none);
    REQUIRE(first.matching_acls_.size() == 3);
    CHECK(first.matching_acls_[0].resource_name_ == "*");  // "*" < "pa" < "pay"
    CHECK(first.matching_acls_[1].resource_name_ == "pa");
    CHECK(first.matching_acls_[2].resource_name_ == "pay");
    CHECK(first.matching_acls_[2].principal_ == "User:alice");
    CHECK(first.matching_acls_[2].operation_ == code(AclOperation::read));
    CHECK(out.response.filter_results_[1].matching_acls_.size() == 1);
    CHECK(out.response.filter_results_[2].error_code_ == kafka_error::invalid_request);
    CHECK(*out.response.filter_results_[2].error_message_ == "Unknown patternFilter.");
    CHECK(out.response.filter_results_[3].matching_acls_.empty());
    REQUIRE(out.records.size() == 3);

    // Nothing changes until the records are applied.
    CHECK(authz.acl_count() == 4);
    for (const auto& r : out.records) {
        REQUIRE_FALSE(acl_record_inconsistency(authz, AclRecord{r}));
        apply_acl_record(authz, AclRecord{r});
    }
    CHECK(authz.acl_count() == 1);
    CHECK(authz.acls(match_all_filter())[0].first.pattern.resource_type == ResourceType::group);
    // Removing the same id twice is an inconsistency, never a crash.
    CHECK(acl_record_inconsistency(authz, AclRecord{out.records[0]}));
}

TEST_CASE("acl admin: records round trip and untrusted records are checked") {
    Authorizer authz;
    Ids ids;
    create(authz, ids,
           {creation(ResourceType::transactional_id, "app-", PatternType::prefixed, "User:a",
                     AclOperation::write, AclPermissionType::allow, "10.1.1.1"),
            creation(ResourceType::cluster, "kafka-cluster", PatternType::literal, "User:b",
                     AclOperation::idempotent_write)});
    const auto snapshot = acl_snapshot_records(authz);
    REQUIRE(snapshot.size() == 2);
    Authorizer rebuilt;
    for (const auto& r : snapshot) {
        REQUIRE_FALSE(acl_record_inconsistency(rebuilt, AclRecord{r}));
        apply_acl_record(rebuilt, AclRecord{r});
    }
    CHECK(rebuilt.acls_by_id() == authz.acls_by_id());
    CHECK(acl_record(snapshot[0].id_, binding_of(snapshot[0])) == snapshot[0]);

    // A record with an id in use, a filter-only value, or a zero id is refused.
    CHECK(acl_record_inconsistency(rebuilt, AclRecord{snapshot[0]}));
    auto bad = snapshot[0];
    bad.id_ = Uuid::from_words(777, 1);
    bad.pattern_type_ = code(PatternType::match);
    CHECK(acl_record_inconsistency(rebuilt, AclRecord{bad}));
    bad = snapshot[0];
    bad.id_ = Uuid{};
    CHECK(acl_record_inconsistency(rebuilt, AclRecord{bad}));
    protocol::records::RemoveAccessControlEntryRecord unknown;
    unknown.id_ = Uuid::from_words(12345, 6);
    CHECK(acl_record_inconsistency(rebuilt, AclRecord{unknown}));
}

TEST_CASE("acl admin: without an authorizer every answer is SECURITY_DISABLED") {
    protocol::CreateAclsRequest c;
    c.creations_.resize(2);
    auto cr = create_acls_security_disabled(c);
    REQUIRE(cr.results_.size() == 2);
    CHECK(cr.results_[1].error_code_ == kafka_error::security_disabled);
    CHECK(describe_acls_security_disabled().error_code_ == kafka_error::security_disabled);
    protocol::DeleteAclsRequest d;
    d.filters_.resize(3);
    auto dr = delete_acls_security_disabled(d);
    REQUIRE(dr.filter_results_.size() == 3);
    CHECK(dr.filter_results_[2].error_code_ == kafka_error::security_disabled);
}

TEST_CASE("acl admin: the records survive the metadata codec") {
    Authorizer authz;
    Ids ids;
    protocol::CreateAclsRequest req;
    req.creations_ = {creation(ResourceType::user, "User:svc", PatternType::literal, "User:ops",
                               AclOperation::create_tokens, AclPermissionType::allow, "::1")};
    auto out = create_acls(authz, req, std::ref(ids));
    REQUIRE(out.records.size() == 1);
    Bytes buf;
    protocol::Writer w(buf);
    out.records[0].encode(w, 0);
    protocol::Reader r{ByteSpan(buf)};
    auto back = protocol::records::AccessControlEntryRecord::decode(r, 0);
    REQUIRE(back.ok());
    CHECK(*back == out.records[0]);
    CHECK(binding_of(*back).entry.host == "::1");
    CHECK(binding_of(*back).pattern.resource_type == ResourceType::user);
}
