// The admin API's security (services/admin): admin.listener's http:// and https:// forms and the
// admin.ssl.* keys; HTTP Basic credentials decoded strictly (basic_auth.h); a broker in the
// simulator with admin.authentication.method=BASIC and SCRAM users from its bootstrap records,
// answering 401 with a challenge, 400, 200 and — with the StandardAuthorizer — 403 by the user's
// cluster ACLs, while /v1/health and /v1/ready stay open. TLS itself is net-posix's (a real broker
// serves it in tests/integration/test_admin_api.py).
#include <doctest/doctest.h>

#include "services/admin/admin_listener.h"
#include "services/admin/admin_server.h"
#include "services/admin/basic_auth.h"
#include "services/controller/bootstrap_records.h"
#include "services/security/sasl_random.h"
#include "services/security/scram_encoding.h"
#include "tests/unit/kafka/kafka_test_util.h"

using namespace eddy;
using namespace eddy::kafka;
using namespace eddy::kafka::test;
using namespace eddy::protocol;

namespace {

std::string basic(std::string_view user_pass) {
    return "Basic " + security::base64_encode(as_bytes(user_pass));
}

http::Request get(const std::string& path, std::optional<std::string> authorization = {}) {
    http::Request r;
    r.method = "GET";
    r.target = path;
    r.path = path;
    if (authorization) {
        r.headers.emplace_back("Authorization", *authorization);
    }
    return r;
}

std::optional<std::string> header_of(const http::Response& r, std::string_view name) {
    for (const auto& [n, v] : r.headers) {
        if (n == name) {
            return v;
        }
    }
    return std::nullopt;
}

// A broker whose bootstrap records give alice (SCRAM-SHA-256) and root (SCRAM-SHA-512) passwords.
BrokerNode basic_auth_node(std::vector<std::pair<std::string, std::string>> extra) {
    extra.emplace_back("admin.authentication.method", "BASIC");
    BrokerNode bn{test_config(std::move(extra))};
    // Salts from a stream of their own: no lambda holding on to `bn`, which is returned.
    Random salts(48);
    security::SaslRandomFromRandom random(salts);
    auto records = controller::scram_bootstrap_records(
        {"SCRAM-SHA-256=[name=alice,password=alice-secret]",
         "SCRAM-SHA-512=[name=root,password=\"root:secret\"]"},
        random);
    REQUIRE(records.ok());
    bn.options.bootstrap_records = std::move(records).value();
    return bn;
}

}  // namespace

TEST_CASE("admin api: Basic credentials are decoded strictly") {
    using admin::BasicAuthError;
    auto ok = admin::parse_basic_authorization(basic("alice:s3cret"));
    REQUIRE(ok.ok());
    CHECK(ok->user == "alice");
    CHECK(ok->password == "s3cret");
    // The scheme is case-insensitive; the password may hold colons and be empty.
    auto colons = admin::parse_basic_authorization(
        "bAsIc   " + security::base64_encode(as_bytes(std::string_view("root:a:b:"))) + " ");
    REQUIRE(colons.ok());
    CHECK(colons->user == "root");
    CHECK(colons->password == "a:b:");
    auto empty = admin::parse_basic_authorization(basic("bob:"));
    REQUIRE(empty.ok());
    CHECK(empty->password.empty());
    CHECK(admin::parse_basic_authorization(basic("caf\xc3\xa9:\xe2\x82\xac")).ok());

    const auto error_of = [](std::string_view value) {
        auto r = admin::parse_basic_authorization(value);
        REQUIRE(!r.ok());
        return r.error();
    };
    CHECK(error_of("") == BasicAuthError::other_scheme);
    CHECK(error_of("Basic") == BasicAuthError::other_scheme);
    CHECK(error_of("Basic ") == BasicAuthError::other_scheme);
    CHECK(error_of("Bearer abc.def") == BasicAuthError::other_scheme);
    CHECK(error_of("BasicYWxpY2U6eA==") == BasicAuthError::other_scheme);
    CHECK(error_of("Basic YWxpY2U6eA") == BasicAuthError::malformed);     // no padding
    CHECK(error_of("Basic YWxpY2U6eA=!") == BasicAuthError::malformed);   // not base64
    CHECK(error_of("Basic YWxpY2U6eB==") == BasicAuthError::malformed);   // not canonical
    CHECK(error_of(basic("alice")) == BasicAuthError::malformed);         // no colon
    CHECK(error_of(basic("al\nice:x")) == BasicAuthError::malformed);     // a control character
    CHECK(error_of(basic(std::string("alice:x\0y", 9))) == BasicAuthError::malformed);
    CHECK(error_of("Basic " + std::string(admin::limits::basic_token_bytes_max + 4, 'A')) ==
          BasicAuthError::too_long);
    CHECK(admin::basic_challenge("eddy") == "Basic realm=\"eddy\", charset=\"UTF-8\"");
}

TEST_CASE("admin api: admin.listener schemes and the admin.ssl.* keys") {
    auto plain = admin::parse_admin_listener("127.0.0.1:9644");
    REQUIRE(plain.ok());
    CHECK(!plain->tls);
    CHECK(plain->address == Address{"127.0.0.1", 9644});
    auto http = admin::parse_admin_listener("HTTP://[::1]:80");
    REQUIRE(http.ok());
    CHECK(!http->tls);
    CHECK(http->address == Address{"::1", 80});
    auto https = admin::parse_admin_listener("https://0.0.0.0:9644");
    REQUIRE(https.ok());
    CHECK(https->tls);
    CHECK(std::string(https->scheme()) == "https");
    for (const char* bad : {"9644", ":9644", "https://", "ftp://h:1", "h:99999", "https://h:1/x",
                            "h:1x"}) {
        auto r = admin::parse_admin_listener(bad);
        CHECK_MESSAGE(!r.ok(), bad);
        if (!r.ok()) {
            CHECK(r.error().find("admin.listener") == 0);
        }
    }

    // admin.ssl.* override ssl.*, checked as the keys they override; secrets stay hidden.
    auto c = config::BrokerConfig::load(
        {}, {{"ssl.keystore.location", "/broker.pem"},
             {"ssl.truststore.location", "/ca.pem"},
             {"admin.ssl.keystore.location", "/admin.pem"},
             {"admin.ssl.client.auth", "required"},
             {"admin.ssl.key.password", "hush"}});
    REQUIRE(c.ok());
    const auto ssl = c->admin_ssl();
    CHECK(ssl.at("ssl.keystore.location") == "/admin.pem");
    CHECK(ssl.at("ssl.truststore.location") == "/ca.pem");
    CHECK(ssl.at("ssl.client.auth") == "required");
    CHECK(ssl.at("ssl.key.password") == "hush");
    CHECK(c->listener_ssl("PLAINTEXT").at("ssl.keystore.location") == "/broker.pem");
    CHECK(config::is_sensitive("admin.ssl.key.password"));
    CHECK(!config::is_sensitive("admin.ssl.keystore.location"));
    CHECK(config::is_broker_key("admin.ssl.truststore.type"));
    CHECK(!config::is_broker_key("admin.ssl.nonsense"));
    CHECK(!config::is_broker_key("admin.sasl.enabled.mechanisms"));
    auto bad_auth = config::BrokerConfig::load({}, {{"admin.ssl.client.auth", "sometimes"}});
    REQUIRE(!bad_auth.ok());
    CHECK(bad_auth.error() ==
          "--override: ssl.client.auth: expected one of none, requested, required, got "
          "'sometimes'");
    CHECK(!config::BrokerConfig::load({}, {{"admin.authentication.method", "basic"}}).ok());
    CHECK(config::BrokerConfig::load({}, {{"admin.authentication.method", "BASIC"}}).ok());
}

TEST_CASE("admin api: HTTP Basic authentication against the SCRAM users") {
    BrokerNode bn = basic_auth_node({});
    with_broker(5, bn, [&](Env& env) {
        auto l = env.network.listen({"client", 9644});
        REQUIRE(l.ok());
        admin::AdminServer admin(env, std::move(l).value(), *bn.broker);
        const http::RequestInfo from{1, Address{"10.0.0.9", 40000}};

        // Probes need no credentials.
        CHECK(admin.handle(get("/v1/health"), from).status == 200);
        CHECK(admin.handle(get("/v1/ready"), from).status == 200);

        for (const char* path : {"/metrics", "/v1/cluster", "/v1/config", "/nope"}) {
            const http::Response r = admin.handle(get(path), from);
            CHECK_MESSAGE(r.status == 401, path);
            CHECK(header_of(r, "WWW-Authenticate") == admin::basic_challenge("eddy"));
        }
        const http::Response ok = admin.handle(get("/metrics", basic("alice:alice-secret")), from);
        CHECK(ok.status == 200);
        CHECK(ok.body.find("kafka_server_replicamanager_partitioncount") != std::string::npos);
        CHECK(admin.handle(get("/v1/config", basic("root:root:secret")), from).status == 200);
        CHECK(admin.handle(get("/nope", basic("root:root:secret")), from).status == 404);
        const uint64_t derived = admin.password_derivations();
        // A scraper's every request after the first is answered from the cache.
        for (int i = 0; i < 5; ++i) {
            CHECK(admin.handle(get("/metrics", basic("alice:alice-secret")), from).status == 200);
        }
        CHECK(admin.password_derivations() == derived);

        const http::Response wrong = admin.handle(get("/metrics", basic("alice:nope")), from);
        CHECK(wrong.status == 401);
        CHECK(header_of(wrong, "WWW-Authenticate").has_value());
        CHECK(wrong.body.find("nope") == std::string::npos);
        CHECK(admin.handle(get("/metrics", basic("mallory:alice-secret")), from).status == 401);
        CHECK(admin.handle(get("/metrics", "Bearer abc"), from).status == 401);
        CHECK(admin.handle(get("/metrics", "Basic !!!!"), from).status == 400);
        CHECK(admin.handle(get("/metrics", basic("alice")), from).status == 400);
        CHECK(admin.handle(get("/metrics", "Basic " + std::string(100000, 'A')), from).status ==
              400);
    });
}

TEST_CASE("admin api: unauthenticated clients cannot make it derive passwords without bound") {
    BrokerNode bn = basic_auth_node({});
    with_broker(6, bn, [&](Env& env) {
        auto l = env.network.listen({"client", 9644});
        REQUIRE(l.ok());
        security::PasswordVerifierOptions o;
        o.derivations_per_second = 5;
        o.burst = 5;
        admin::AdminServer admin(env, std::move(l).value(), *bn.broker, {}, o);
        // The right password first, so that it is cached.
        CHECK(admin.handle(get("/metrics", basic("alice:alice-secret"))).status == 200);
        int throttled = 0;
        for (int i = 0; i < 50; ++i) {
            const http::Response r =
                admin.handle(get("/metrics", basic("alice:guess" + std::to_string(i))));
            if (r.status == 429) {
                ++throttled;
                CHECK(header_of(r, "Retry-After") == "1");
            } else {
                CHECK(r.status == 401);
            }
        }
        CHECK(throttled >= 45);
        CHECK(admin.password_derivations() <= 6);
        // The scraper with the right password is not locked out.
        CHECK(admin.handle(get("/metrics", basic("alice:alice-secret"))).status == 200);
    });
}

TEST_CASE("admin api: with an authorizer, DESCRIBE or DESCRIBE_CONFIGS on the cluster") {
    BrokerNode bn = basic_auth_node({{"authorizer.class.name", "eddy.StandardAuthorizer"},
                                     {"super.users", "User:ANONYMOUS;User:root"}});
    with_broker(7, bn, [&](Env& env) {
        auto l = env.network.listen({"client", 9644});
        REQUIRE(l.ok());
        admin::AdminServer admin(env, std::move(l).value(), *bn.broker);
        const auto alice = basic("alice:alice-secret");

        CHECK(admin.handle(get("/metrics", alice)).status == 403);
        CHECK(admin.handle(get("/v1/ready")).status == 200);
        CHECK(admin.handle(get("/v1/config", basic("root:root:secret"))).status == 200);

        // An ALLOW DESCRIBE on the cluster for alice (by the super user ANONYMOUS).
        CreateAclsRequest grant;
        CreateAclsRequest::AclCreation a;
        a.resource_type_ = security::code(security::ResourceType::cluster);
        a.resource_name_ = std::string(security::cluster_resource_name);
        a.resource_pattern_type_ = security::code(security::PatternType::literal);
        a.principal_ = "User:alice";
        a.host_ = "*";
        a.operation_ = security::code(security::AclOperation::describe);
        a.permission_type_ = security::code(security::AclPermissionType::allow);
        grant.creations_.push_back(a);
        Client c(env);
        auto made = c.call<CreateAclsResponse>(grant, 3);
        REQUIRE(made.has_value());
        REQUIRE(made->results_.at(0).error_code_ == 0);
        REQUIRE(await(env, [&] { return bn.broker->metadata_image() &&
                                        bn.broker->controller().image().acls().acl_count() == 1; }));

        CHECK(admin.handle(get("/metrics", alice)).status == 200);
        CHECK(admin.handle(get("/v1/cluster", alice)).status == 200);
        const http::Response config = admin.handle(get("/v1/config", alice));
        CHECK(config.status == 403);
        CHECK(config.body.find("DESCRIBE_CONFIGS") != std::string::npos);
    });
}
