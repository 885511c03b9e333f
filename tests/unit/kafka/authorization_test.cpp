// Authorization wiring (services/kafka/authorization.cpp): a broker with the StandardAuthorizer in
// the simulator; an admin on the PLAINTEXT listener (User:ANONYMOUS, a super user) manages ACLs
// through CreateAcls / DeleteAcls (forwarded to the controller, appended to the metadata log),
// and requests on the SSL listener carry a TLS peer identity (handed to handle_frame as a TLS
// listener would) whose principal is User:<subject>. Also the ACL records in the metadata image
// and its snapshot, and a broker without an authorizer (SECURITY_DISABLED, nothing checked).
#include <doctest/doctest.h>

#include "services/controller/metadata_image.h"
#include "services/security/acl_admin.h"
#include "tests/unit/kafka/kafka_test_util.h"

namespace eddy::kafka {
namespace {

using namespace protocol;
using namespace test;

constexpr size_t ssl_listener = 2;  // PLAINTEXT, CONTROLLER, SSL

config::BrokerConfig acl_config(bool enabled = true) {
    std::vector<std::pair<std::string, std::string>> o = {
        {"listeners", "PLAINTEXT://broker:9092,CONTROLLER://broker:9093,SSL://broker:9094"},
        {"listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SSL:SSL"},
        {"super.users", "User:ANONYMOUS"},
        // Subjects "CN=alice,O=acme" map to "alice".
        {"ssl.principal.mapping.rules", "RULE:^CN=([^,]*),O=acme$/$1/,DEFAULT"},
    };
    if (enabled) {
        o.emplace_back("authorizer.class.name", "eddy.StandardAuthorizer");
    }
    auto c = config::BrokerConfig::load({}, o);
    REQUIRE(c.ok());
    return std::move(c).value();
}

// One request as it would arrive on the SSL listener from a client whose certificate has this
// subject; the decoded response.
template <typename Resp, typename Req>
std::optional<Resp> call_as(Broker& b, const std::string& subject, const Req& req,
                            int16_t version) {
    RequestHeader h;
    h.request_api_key_ = static_cast<int16_t>(Req::api_key);
    h.request_api_version_ = version;
    h.correlation_id_ = 7;
    h.client_id_ = "as-" + subject;
    Bytes frame;
    Writer w(frame);
    encode_request_header(w, h);
    req.encode(w, version);
    auto r = b.handle_frame(ssl_listener, MutableByteSpan(frame), "10.0.0.7", nullptr, subject);
    REQUIRE(r.ok());
    REQUIRE(r->has_value());
    auto bytes = Broker::flatten(**r);
    REQUIRE(bytes.ok());
    Reader rd(*bytes);
    auto rh = decode_response_header(rd, Resp::api_key, version);
    REQUIRE(rh.ok());
    auto resp = Resp::decode(rd, version);
    REQUIRE(resp.ok());
    return std::move(resp).value();
}

CreateAclsRequest::AclCreation acl(security::ResourceType type, const std::string& name,
                                   security::PatternType pattern, const std::string& principal,
                                   security::AclOperation op, security::AclPermissionType perm) {
    CreateAclsRequest::AclCreation c;
    c.resource_type_ = security::code(type);
    c.resource_name_ = name;
    c.resource_pattern_type_ = security::code(pattern);
    c.principal_ = principal;
    c.host_ = "*";
    c.operation_ = security::code(op);
    c.permission_type_ = security::code(perm);
    return c;
}

int16_t produce_error(const ProduceResponse& r) {
    return r.responses_.at(0).partition_responses_.at(0).error_code_;
}

int16_t fetch_error(const FetchResponse& r) {
    return r.responses_.at(0).partitions_.at(0).error_code_;
}

using security::AclOperation;
using security::AclPermissionType;
using security::PatternType;
using security::ResourceType;

TEST_CASE("kafka authorization: ACLs decide produce, fetch, metadata, groups; DENY wins") {
    BrokerNode bn{acl_config()};
    with_broker(31, bn, [&](Env& env) {
        Client admin(env);
        Broker& b = *bn.broker;
        for (const char* t : {"orders", "secret", "logs-a"}) {
            auto created = admin.call<CreateTopicsResponse>(create_topic_request(t, 1), 5);
            REQUIRE(created.has_value());
            CHECK(created->topics_.at(0).error_code_ == 0);
        }
        const std::string alice = "CN=alice,O=acme";  // User:alice
        const std::string bob = "CN=bob";              // User:CN=bob (DEFAULT rule)

        // Nothing granted yet: alice is refused (no ACL at all, allow.everyone is false).
        auto p0 = call_as<ProduceResponse>(
            b, alice, produce_request("orders", 0, make_batch({"x"})), 7);
        CHECK(produce_error(*p0) == 29);  // TOPIC_AUTHORIZATION_FAILED

        // Non-admins may not create ACLs.
        CreateAclsRequest grant_self;
        grant_self.creations_.push_back(acl(ResourceType::topic, "orders", PatternType::literal,
                                            "User:alice", AclOperation::all,
                                            AclPermissionType::allow));
        auto refused = call_as<CreateAclsResponse>(b, alice, grant_self, 3);
        CHECK(refused->results_.at(0).error_code_ == 31);  // CLUSTER_AUTHORIZATION_FAILED

        CreateAclsRequest grants;
        grants.creations_ = {
            acl(ResourceType::topic, "orders", PatternType::literal, "User:alice",
                AclOperation::write, AclPermissionType::allow),
            acl(ResourceType::topic, "orders", PatternType::literal, "User:alice",
                AclOperation::read, AclPermissionType::allow),
            // DENY wins over the ALLOW above.
            acl(ResourceType::topic, "ord", PatternType::prefixed, "User:alice",
                AclOperation::read, AclPermissionType::deny),
            // A prefixed ALLOW.
            acl(ResourceType::topic, "logs-", PatternType::prefixed, "User:alice",
                AclOperation::write, AclPermissionType::allow),
            acl(ResourceType::group, "g1", PatternType::literal, "User:alice",
                AclOperation::read, AclPermissionType::allow),
        };
        auto made = admin.call<CreateAclsResponse>(grants, 3);
        REQUIRE(made.has_value());
        REQUIRE(made->results_.size() == 5);
        for (const auto& r : made->results_) {
            CHECK(r.error_code_ == 0);
        }
        CHECK(b.controller().image().acls().acl_count() == 5);

        auto p1 = call_as<ProduceResponse>(
            b, alice, produce_request("orders", 0, make_batch({"a"})), 7);
        CHECK(produce_error(*p1) == 0);
        auto p2 = call_as<ProduceResponse>(
            b, alice, produce_request("logs-a", 0, make_batch({"a"})), 7);
        CHECK(produce_error(*p2) == 0);
        auto p3 = call_as<ProduceResponse>(
            b, alice, produce_request("secret", 0, make_batch({"a"})), 7);
        CHECK(produce_error(*p3) == 29);
        auto p4 = call_as<ProduceResponse>(
            b, bob, produce_request("orders", 0, make_batch({"a"})), 7);
        CHECK(produce_error(*p4) == 29);

        // READ is allowed literally but denied by the prefixed DENY.
        auto f1 = call_as<FetchResponse>(b, alice, fetch_request("orders", 0, 0), 11);
        CHECK(fetch_error(*f1) == 29);
        // A client claiming to be a follower needs CLUSTER_ACTION.
        auto follower = fetch_request("orders", 0, 0);
        follower.replica_id_ = 1;
        auto f2 = call_as<FetchResponse>(b, alice, follower, 11);
        CHECK(fetch_error(*f2) == 29);
        // ListOffsets needs DESCRIBE, which WRITE implies.
        auto lo = call_as<ListOffsetsResponse>(b, alice, list_offsets_request("orders", 0, -1), 5);
        CHECK(lo->topics_.at(0).partitions_.at(0).error_code_ == 0);
        CHECK(lo->topics_.at(0).partitions_.at(0).offset_ == 1);
        auto lo2 = call_as<ListOffsetsResponse>(b, alice, list_offsets_request("secret", 0, -1), 5);
        CHECK(lo2->topics_.at(0).partitions_.at(0).error_code_ == 29);

        // Metadata: every topic → only the DESCRIBE-able ones; a named one → 29; no creation
        // without CREATE.
        MetadataRequest all;
        all.topics_ = std::nullopt;
        auto md = call_as<MetadataResponse>(b, alice, all, 8);
        std::vector<std::string> names;
        for (const auto& t : md->topics_) {
            names.push_back(t.name_.value_or(""));
        }
        CHECK(names == std::vector<std::string>{"logs-a", "orders"});
        auto md_admin = admin.call<MetadataResponse>(all, 8);
        CHECK(md_admin->topics_.size() == 3);
        MetadataRequest named;
        named.topics_.emplace();
        for (const char* n : {"secret", "brand-new"}) {
            MetadataRequest::MetadataRequestTopic t;
            t.name_ = n;
            named.topics_->push_back(t);
        }
        named.allow_auto_topic_creation_ = true;
        auto md2 = call_as<MetadataResponse>(b, alice, named, 8);
        CHECK(md2->topics_.at(0).error_code_ == 29);
        CHECK(md2->topics_.at(1).error_code_ == 29);
        CHECK(b.controller().image().topic("brand-new") == nullptr);

        // Groups: READ on g1 only.
        HeartbeatRequest hb;
        hb.group_id_ = "g2";
        hb.member_id_ = "m";
        auto h2 = call_as<HeartbeatResponse>(b, alice, hb, 4);
        CHECK(h2->error_code_ == 30);  // GROUP_AUTHORIZATION_FAILED
        hb.group_id_ = "g1";
        auto h1 = call_as<HeartbeatResponse>(b, alice, hb, 4);
        CHECK(h1->error_code_ != 30);

        // Admin requests: no CREATE / DELETE / ALTER_CONFIGS for alice.
        auto ct = call_as<CreateTopicsResponse>(b, alice, create_topic_request("hers", 1), 5);
        CHECK(ct->topics_.at(0).error_code_ == 29);
        DeleteTopicsRequest dt;
        dt.topic_names_ = {"orders"};
        auto dtr = call_as<DeleteTopicsResponse>(b, alice, dt, 4);
        CHECK(dtr->responses_.at(0).error_code_ == 29);
        CHECK(b.controller().image().topic("orders") != nullptr);
        DescribeConfigsRequest dc;
        DescribeConfigsRequest::DescribeConfigsResource res;
        res.resource_type_ = 4;
        res.resource_name_ = "1";
        dc.resources_.push_back(res);
        auto dcr = call_as<DescribeConfigsResponse>(b, alice, dc, 4);
        CHECK(dcr->results_.at(0).error_code_ == 31);

        // DescribeAcls: admins only; the listing is the image's.
        DescribeAclsRequest da;
        da.resource_type_filter_ = security::code(ResourceType::any);
        da.resource_name_filter_ = std::nullopt;
        da.pattern_type_filter_ = security::code(PatternType::any);
        da.principal_filter_ = std::nullopt;
        da.host_filter_ = std::nullopt;
        da.operation_ = security::code(AclOperation::any);
        da.permission_type_ = security::code(AclPermissionType::any);
        auto dar = admin.call<DescribeAclsResponse>(da, 3);
        REQUIRE(dar.has_value());
        CHECK(dar->error_code_ == 0);
        size_t listed = 0;
        for (const auto& r : dar->resources_) {
            listed += r.acls_.size();
        }
        CHECK(listed == 5);
        auto dar2 = call_as<DescribeAclsResponse>(b, alice, da, 3);
        CHECK(dar2->error_code_ == 31);

        // Remove the DENY: alice reads.
        DeleteAclsRequest del;
        DeleteAclsRequest::DeleteAclsFilter f;
        f.resource_type_filter_ = security::code(ResourceType::topic);
        f.resource_name_filter_ = "ord";
        f.pattern_type_filter_ = security::code(PatternType::prefixed);
        f.principal_filter_ = std::nullopt;
        f.host_filter_ = std::nullopt;
        f.operation_ = security::code(AclOperation::any);
        f.permission_type_ = security::code(AclPermissionType::deny);
        del.filters_.push_back(f);
        auto dr = admin.call<DeleteAclsResponse>(del, 3);
        REQUIRE(dr.has_value());
        CHECK(dr->filter_results_.at(0).error_code_ == 0);
        CHECK(dr->filter_results_.at(0).matching_acls_.size() == 1);
        CHECK(b.controller().image().acls().acl_count() == 4);
        auto f3 = call_as<FetchResponse>(b, alice, fetch_request("orders", 0, 0), 11);
        CHECK(fetch_error(*f3) == 0);
        CHECK(record_values(*f3->responses_.at(0).partitions_.at(0).records_) ==
              std::vector<std::string>{"a"});

        // KIP-430 authorized operations: alice's bits on "orders" are WRITE and READ and the
        // DESCRIBE they imply; the cluster gives her nothing; the admin (a super user) has all.
        auto bit = [](AclOperation op) { return 1 << security::code(op); };
        MetadataRequest ops;
        ops.topics_.emplace();
        MetadataRequest::MetadataRequestTopic orders;
        orders.name_ = "orders";
        ops.topics_->push_back(orders);
        ops.include_topic_authorized_operations_ = true;
        ops.include_cluster_authorized_operations_ = true;
        auto mo = call_as<MetadataResponse>(b, alice, ops, 10);
        REQUIRE(mo.has_value());
        CHECK(mo->topics_.at(0).topic_authorized_operations_ ==
              (bit(AclOperation::read) | bit(AclOperation::write) | bit(AclOperation::describe)));
        CHECK(mo->cluster_authorized_operations_ == 0);
        auto mo_admin = admin.call<MetadataResponse>(ops, 10);
        CHECK(mo_admin->topics_.at(0).topic_authorized_operations_ ==
              (bit(AclOperation::read) | bit(AclOperation::write) | bit(AclOperation::create) |
               bit(AclOperation::delete_) | bit(AclOperation::alter) |
               bit(AclOperation::describe) | bit(AclOperation::describe_configs) |
               bit(AclOperation::alter_configs)));
        // Not asked: Kafka's "not requested" value.
        ops.include_topic_authorized_operations_ = false;
        auto mo2 = call_as<MetadataResponse>(b, alice, ops, 10);
        CHECK(mo2->topics_.at(0).topic_authorized_operations_ == INT32_MIN);
        DescribeGroupsRequest dg;
        dg.groups_ = {"g1"};
        dg.include_authorized_operations_ = true;
        auto dgr = call_as<DescribeGroupsResponse>(b, alice, dg, 5);
        REQUIRE(dgr.has_value());
        CHECK(dgr->groups_.at(0).authorized_operations_ ==
              (bit(AclOperation::read) | bit(AclOperation::describe)));
        DescribeClusterRequest dcl;
        dcl.include_cluster_authorized_operations_ = true;
        auto dclr = admin.call<DescribeClusterResponse>(dcl, 0);
        CHECK(dclr->cluster_authorized_operations_ ==
              (bit(AclOperation::create) | bit(AclOperation::cluster_action) |
               bit(AclOperation::describe_configs) | bit(AclOperation::alter_configs) |
               bit(AclOperation::idempotent_write) | bit(AclOperation::alter) |
               bit(AclOperation::describe)));
    });
}

TEST_CASE("kafka authorization: without an authorizer nothing is checked; ACL APIs disabled") {
    BrokerNode bn{acl_config(false)};
    with_broker(32, bn, [&](Env& env) {
        Client admin(env);
        auto created = admin.call<CreateTopicsResponse>(create_topic_request("open", 1), 5);
        REQUIRE(created.has_value());
        auto p = call_as<ProduceResponse>(*bn.broker, "CN=anyone",
                                          produce_request("open", 0, make_batch({"x"})), 7);
        CHECK(produce_error(*p) == 0);
        CreateAclsRequest req;
        req.creations_.push_back(acl(ResourceType::topic, "open", PatternType::literal,
                                     "User:x", AclOperation::read, AclPermissionType::allow));
        auto r = admin.call<CreateAclsResponse>(req, 3);
        REQUIRE(r.has_value());
        CHECK(r->results_.at(0).error_code_ == 54);  // SECURITY_DISABLED
    });
}

TEST_CASE("kafka authorization: a bad authorizer.class.name or mapping rule fails the start") {
    auto c = config::BrokerConfig::load(
        {}, {{"listeners", "PLAINTEXT://broker:9092,CONTROLLER://broker:9093"},
             {"authorizer.class.name", "kafka.security.authorizer.AclAuthorizer"}});
    REQUIRE(c.ok());
    sim::SimWorld w(33, quiet_world());
    std::optional<std::string> error;
    w.add_node("broker", [&](Env& env) {
        Broker b(env, *c);
        auto r = b.start();
        if (!r.ok()) {
            error = r.error();
        }
    });
    w.start(w.node("broker"));
    w.run([&] { return error.has_value(); }, Instant::from_nanos(Duration::seconds(10).to_nanos()));
    REQUIRE(error.has_value());
    CHECK(error->find("authorizer.class.name") != std::string::npos);
}

TEST_CASE("kafka authorization: the audit log has denials and admin actions, rotated by size") {
    auto c = config::BrokerConfig::load(
        {}, {{"listeners", "PLAINTEXT://broker:9092,CONTROLLER://broker:9093,SSL://broker:9094"},
             {"listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SSL:SSL"},
             {"super.users", "User:ANONYMOUS"},
             {"authorizer.class.name", "eddy.StandardAuthorizer"},
             {"audit.log.file", "audit.log"},
             {"audit.log.max.bytes", "1024"},
             {"audit.log.max.files", "2"}});
    REQUIRE(c.ok());
    BrokerNode bn{*c};
    with_broker_world(34, bn, [&](Env& env, sim::SimWorld& w) {
        Client admin(env);
        auto created = admin.call<CreateTopicsResponse>(create_topic_request("audited", 1), 5);
        REQUIRE(created.has_value());
        std::string first = read_sim_file(w.node("broker").disk(), "audit.log");
        CHECK(first.find("\"principal\":\"User:ANONYMOUS\"") != std::string::npos);
        CHECK(first.find("\"api\":\"CreateTopics\"") != std::string::npos);
        CHECK(first.find("\"resource\":\"audited\",\"operation\":\"ADMIN\",\"result\":\"OK\"") !=
              std::string::npos);
        for (int i = 0; i < 12; ++i) {
            auto p = call_as<ProduceResponse>(*bn.broker, "CN=mallory",
                                              produce_request("audited", 0, make_batch({"x"})), 7);
            CHECK(produce_error(*p) == 29);
        }
        auto& disk = w.node("broker").disk();
        const std::string current = read_sim_file(disk, "audit.log");
        const std::string older = read_sim_file(disk, "audit.log.1");
        CHECK(!current.empty());
        CHECK(current.size() <= 1024);
        CHECK(older.find("\"principal\":\"User:CN=mallory\"") != std::string::npos);
        CHECK(older.find("\"client\":\"10.0.0.7\",\"api\":\"Produce\",\"resource_type\":"
                         "\"TOPIC\",\"resource\":\"audited\",\"operation\":\"WRITE\","
                         "\"result\":\"DENIED\"}") != std::string::npos);
        auto exists = [&disk](const char* name) {
            auto e = disk.exists(name);
            return e.ok() && *e;
        };
        CHECK(exists("audit.log.2"));
        CHECK(!exists("audit.log.3"));
        CHECK(current.starts_with("{\"time\":\""));
    });
}

TEST_CASE("kafka audit log: authentication lines share the format, error only on failures") {
    const WallTime t = WallTime::from_millis(1'764'900'000'123);
    AuthenticationEvent failed{"User:alice",
                               "10.0.0.7",
                               "SASL_SSL",
                               "SCRAM-SHA-256",
                               "AUTHENTICATE",
                               "FAILED",
                               "SCRAM-SHA-256: wrong password for 'alice'"};
    CHECK(audit_line(t, failed) ==
          "{\"time\":\"2025-12-05T02:00:00.123Z\",\"principal\":\"User:alice\",\"client\":"
          "\"10.0.0.7\",\"listener\":\"SASL_SSL\",\"mechanism\":\"SCRAM-SHA-256\","
          "\"operation\":\"AUTHENTICATE\",\"result\":\"FAILED\",\"error\":\"SCRAM-SHA-256: "
          "wrong password for 'alice'\"}");
    AuthenticationEvent ok{"User:CN=bob,O=acme", "::1", "SSL", "TLS", "AUTHENTICATE", "OK", ""};
    CHECK(audit_line(t, ok) ==
          "{\"time\":\"2025-12-05T02:00:00.123Z\",\"principal\":\"User:CN=bob,O=acme\","
          "\"client\":\"::1\",\"listener\":\"SSL\",\"mechanism\":\"TLS\",\"operation\":"
          "\"AUTHENTICATE\",\"result\":\"OK\"}");
}

TEST_CASE("kafka audit log: JSON lines escape and carry a UTC time") {
    const std::string line =
        audit_line(WallTime::from_millis(1'764'900'000'123),
                   AuditEvent{"User:a\"b", "::1", "Produce", "TOPIC", "t\n", "WRITE", "DENIED"});
    CHECK(line ==
          "{\"time\":\"2025-12-05T02:00:00.123Z\",\"principal\":\"User:a\\\"b\",\"client\":\"::1\","
          "\"api\":\"Produce\",\"resource_type\":\"TOPIC\",\"resource\":\"t\\n\","
          "\"operation\":\"WRITE\",\"result\":\"DENIED\"}");
}

TEST_CASE("metadata image: ACL records apply, snapshot and compare") {
    controller::MetadataImage image;
    security::AclBinding b1{{ResourceType::topic, "t", PatternType::literal},
                            {"User:alice", "*", AclOperation::read, AclPermissionType::allow}};
    security::AclBinding b2{{ResourceType::group, "g", PatternType::prefixed},
                            {"User:*", "*", AclOperation::all, AclPermissionType::deny}};
    const Uuid id1 = Uuid::from_words(1, 1);
    const Uuid id2 = Uuid::from_words(2, 2);
    image.apply(security::acl_record(id1, b1));
    const auto held = image.acls_shared();  // a broker's copy stays as it was
    image.apply(security::acl_record(id2, b2));
    CHECK(held->acl_count() == 1);
    CHECK(image.acls().acl_count() == 2);
    // An id in use, and removing an unknown id, are inconsistencies, not crashes.
    CHECK(image.inconsistency(security::acl_record(id1, b2)).has_value());
    records::RemoveAccessControlEntryRecord unknown;
    unknown.id_ = Uuid::from_words(9, 9);
    CHECK(image.inconsistency(unknown).has_value());

    auto snap = controller::decode_image_snapshot(controller::encode_image_snapshot(image));
    REQUIRE(snap.ok());
    CHECK(*snap == image);
    CHECK(snap->acls().acl_count() == 2);
    CHECK(snap->acls().acl(id2) != nullptr);

    records::RemoveAccessControlEntryRecord rm;
    rm.id_ = id1;
    image.apply(rm);
    CHECK(image.acls().acl_count() == 1);
    CHECK(!(*snap == image));
    // Through the metadata log's record framing too.
    auto decoded = controller::decode_metadata_record(
        controller::encode_metadata_record(security::acl_record(id1, b1)));
    REQUIRE(decoded.ok());
    REQUIRE(decoded->has_value());
    CHECK(std::holds_alternative<records::AccessControlEntryRecord>(**decoded));
}

TEST_CASE("kafka authorization: the simulator's TLS identity is the SSL listener's principal") {
    // SimNetwork::set_identity: the client host presents CN=alice,O=acme on the connections it
    // opens; on the SSL listener the broker maps it (ssl.principal.mapping.rules) to User:alice,
    // and the ACLs decide. The same host on the PLAINTEXT listener stays User:ANONYMOUS.
    BrokerNode bn{acl_config()};
    with_broker_world(33, bn, [&](Env& env, sim::SimWorld& w) {
        Client admin(env);  // PLAINTEXT: User:ANONYMOUS, a super user
        REQUIRE(admin.call<CreateTopicsResponse>(create_topic_request("orders", 1), 5)
                    ->topics_.at(0)
                    .error_code_ == 0);
        {
            Client no_cert(env, "broker", 9094);  // SSL without a certificate: ANONYMOUS
            CHECK(produce_error(*no_cert.call<ProduceResponse>(
                      produce_request("orders", 0, make_batch({"a"})), 7)) == 0);
        }
        w.network().set_identity("client", std::string("CN=alice,O=acme"));
        Client alice(env, "broker", 9094);
        CHECK(produce_error(*alice.call<ProduceResponse>(
                  produce_request("orders", 0, make_batch({"b"})), 7)) == 29);
        CreateAclsRequest grant;
        grant.creations_.push_back(acl(ResourceType::topic, "orders", PatternType::literal,
                                       "User:alice", AclOperation::write,
                                       AclPermissionType::allow));
        REQUIRE(admin.call<CreateAclsResponse>(grant, 3)->results_.at(0).error_code_ == 0);
        CHECK(produce_error(*alice.call<ProduceResponse>(
                  produce_request("orders", 0, make_batch({"c"})), 7)) == 0);
        // The PLAINTEXT listener ignores the certificate: still the super user.
        Client plain(env);
        CHECK(produce_error(*plain.call<ProduceResponse>(
                  produce_request("orders", 0, make_batch({"d"})), 7)) == 0);
        w.network().set_identity("client", std::nullopt);
    });
}

}  // namespace
}  // namespace eddy::kafka
