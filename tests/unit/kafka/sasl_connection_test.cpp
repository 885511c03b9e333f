// A broker's SASL_PLAINTEXT listener under the simulator (services/kafka/connection_auth.h):
// Eddy's client authenticating with PLAIN (SaslHandshake v1 + SaslAuthenticate) and then
// producing and fetching; wrong passwords, unknown users and unknown SCRAM users refused with
// SASL_AUTHENTICATION_FAILED and the connection closed; requests before authentication closing the
// connection; kafka-python's SaslHandshake v0 raw-token framing; the pre-authentication frame
// size limit; SaslHandshake on a PLAINTEXT listener. The audit log's authentication and
// credential lines; KIP-368 re-authentication (connections.max.reauth.ms: the lifetime sent, the
// renewal, the same principal and mechanism required, an expired session closed); SCRAM users
// from the bootstrap records (`eddy format --add-scram`).
#include <string>

#include "services/client/client.h"
#include "services/controller/bootstrap_records.h"
#include "tests/unit/kafka/kafka_test_util.h"

using namespace eddy;
using eddy::kafka::test::BrokerNode;
using eddy::kafka::test::test_config;
using eddy::kafka::test::with_broker;
using protocol::SaslAuthenticateRequest;
using protocol::SaslAuthenticateResponse;
using protocol::SaslHandshakeRequest;
using protocol::SaslHandshakeResponse;

namespace {

constexpr uint16_t sasl_port = 9094;

Bytes plain_token(const std::string& user, const std::string& password) {
    return to_bytes(std::string(1, '\0') + user + std::string(1, '\0') + password);
}

config::BrokerConfig sasl_config(std::vector<std::pair<std::string, std::string>> extra = {}) {
    std::vector<std::pair<std::string, std::string>> o = {
        {"listeners",
         "PLAINTEXT://broker:9092,SASL_PLAINTEXT://broker:9094,CONTROLLER://broker:9093"},
        {"listener.security.protocol.map",
         "PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT"},
        {"inter.broker.listener.name", "PLAINTEXT"},
        {"sasl.enabled.mechanisms", "PLAIN,SCRAM-SHA-256"},
        {"listener.name.sasl_plaintext.plain.sasl.jaas.config",
         "org.apache.kafka.common.security.plain.PlainLoginModule required "
         "user_alice=\"alice-secret\" user_bob=\"bob-secret\";"}};
    o.insert(o.end(), extra.begin(), extra.end());
    return test_config(o);
}

client::ClientOptions sasl_client(std::string user, std::string password,
                                  security::SaslMechanism m = security::SaslMechanism::plain,
                                  security::SaslRandom* random = nullptr) {
    client::ClientOptions o;
    o.bootstrap = {Address{"broker", sasl_port}};
    o.client_id = "sasl-test";
    o.request_timeout = Duration::seconds(5);
    o.retries_max = 1;
    o.sasl = client::SaslCredentials{{m, std::move(user), std::move(password)}, random};
    return o;
}

// SaslHandshake v1 + SaslAuthenticate (PLAIN) by hand on `raw`: the SaslAuthenticate answer.
std::optional<SaslAuthenticateResponse> plain_login(kafka::test::Client& raw,
                                                    const std::string& user,
                                                    const std::string& password,
                                                    int16_t authenticate_version = 2,
                                                    const std::string& mechanism = "PLAIN") {
    SaslHandshakeRequest hs;
    hs.mechanism_ = mechanism;
    auto h = raw.call<SaslHandshakeResponse>(hs, 1);
    REQUIRE(h.has_value());
    if (h->error_code_ != 0) {
        SaslAuthenticateResponse refused;
        refused.error_code_ = h->error_code_;
        return refused;
    }
    SaslAuthenticateRequest auth;
    auth.auth_bytes_ = plain_token(user, password);
    return raw.call<SaslAuthenticateResponse>(auth, authenticate_version);
}

protocol::MetadataRequest all_topics() {
    protocol::MetadataRequest req;
    req.topics_ = std::nullopt;
    return req;
}

}  // namespace

TEST_CASE("sasl: the client library authenticates with PLAIN, then produces and fetches") {
    BrokerNode bn{sasl_config()};
    with_broker(31, bn, [&](Env& env) {
        client::Client c(env, sasl_client("alice", "alice-secret"));
        REQUIRE(c.create_topic(client::NewTopic{"t", 1, -1, {}}).ok());
        client::ProducerRecord r;
        r.value = "hello";
        auto p = c.produce("t", PartitionId(0), {r}, client::ProduceOptions{});
        REQUIRE(p.ok());
        auto f = c.fetch("t", PartitionId(0), Offset(0), client::FetchOptions{});
        REQUIRE(f.ok());
        REQUIRE(f->records.size() == 1);
        CHECK(f->records[0].value == std::optional<std::string>("hello"));
        // Metadata on the SASL listener advertises the SASL listener.
        auto md = c.metadata(std::nullopt);
        REQUIRE(md.ok());
        REQUIRE(md->brokers.size() == 1);
        CHECK(md->brokers[0].address.port == sasl_port);
    });
}

TEST_CASE("sasl: wrong password, unknown user and unknown SCRAM user are refused") {
    BrokerNode bn{sasl_config()};
    with_broker(32, bn, [&](Env& env) {
        security::SaslRandomFromRandom random(env.random);
        const client::ClientOptions cases[] = {
            sasl_client("alice", "wrong"),
            sasl_client("mallory", "alice-secret"),
            sasl_client("alice", "alice-secret", security::SaslMechanism::scram_sha_256, &random),
        };
        for (const auto& o : cases) {
            client::Client c(env, o);
            auto md = c.metadata(std::nullopt);
            REQUIRE(!md.ok());
            CHECK(md.error().code == client::error_code::sasl_authentication_failed);
        }
        // By hand: the failure answer, then the connection is closed.
        kafka::test::Client raw(env, "broker", sasl_port);
        SaslHandshakeRequest hs;
        hs.mechanism_ = "PLAIN";
        auto h = raw.call<SaslHandshakeResponse>(hs, 1);
        REQUIRE(h.has_value());
        CHECK(h->error_code_ == 0);
        SaslAuthenticateRequest auth;
        auth.auth_bytes_ = plain_token("alice", "nope");
        auto a = raw.call<SaslAuthenticateResponse>(auth, 2);
        REQUIRE(a.has_value());
        CHECK(a->error_code_ == kafka_error::sasl_authentication_failed);
        CHECK(!raw.recv_raw().ok());
    });
}

TEST_CASE("sasl: only ApiVersions and SASL requests before authentication") {
    BrokerNode bn{sasl_config()};
    with_broker(33, bn, [&](Env& env) {
        {
            kafka::test::Client raw(env, "broker", sasl_port);
            auto v = raw.call<protocol::ApiVersionsResponse>(protocol::ApiVersionsRequest{}, 0);
            REQUIRE(v.has_value());
            CHECK(v->error_code_ == 0);
            REQUIRE(raw.send(all_topics(), 1).ok());
            CHECK(!raw.recv_raw().ok());  // closed without an answer
        }
        {
            // An unknown mechanism: UNSUPPORTED_SASL_MECHANISM with the enabled ones.
            kafka::test::Client raw(env, "broker", sasl_port);
            SaslHandshakeRequest hs;
            hs.mechanism_ = "GSSAPI";
            auto h = raw.call<SaslHandshakeResponse>(hs, 1);
            REQUIRE(h.has_value());
            CHECK(h->error_code_ == kafka_error::unsupported_sasl_mechanism);
            CHECK(h->mechanisms_ == std::vector<std::string>{"PLAIN", "SCRAM-SHA-256"});
        }
        {
            // sasl.server.max.receive.size (512 KiB) before authentication.
            kafka::test::Client raw(env, "broker", sasl_port);
            (void)raw.send_raw(Bytes(600 * 1024));  // may fail: the broker closes early
            CHECK(!raw.recv_raw().ok());
        }
        {
            // A SaslHandshake where no SASL is needed: ILLEGAL_SASL_STATE, as Kafka answers.
            kafka::test::Client plain(env, "broker", 9092);
            SaslHandshakeRequest hs;
            hs.mechanism_ = "PLAIN";
            auto h = plain.call<SaslHandshakeResponse>(hs, 1);
            REQUIRE(h.has_value());
            CHECK(h->error_code_ == kafka_error::illegal_sasl_state);
        }
    });
}

TEST_CASE("sasl: SaslHandshake v0 switches to raw tokens (kafka-python)") {
    BrokerNode bn{sasl_config()};
    with_broker(34, bn, [&](Env& env) {
        {
            kafka::test::Client raw(env, "broker", sasl_port);
            SaslHandshakeRequest hs;
            hs.mechanism_ = "PLAIN";
            auto h = raw.call<SaslHandshakeResponse>(hs, 0);
            REQUIRE(h.has_value());
            CHECK(h->error_code_ == 0);
            REQUIRE(raw.send_raw(plain_token("alice", "alice-secret")).ok());
            auto answer = raw.recv_raw();
            REQUIRE(answer.ok());
            CHECK(answer->empty());  // PLAIN's success: an empty raw frame
            auto md = raw.call<protocol::MetadataResponse>(all_topics(), 1);
            REQUIRE(md.has_value());
            CHECK(md->brokers_.size() == 1);
        }
        {
            kafka::test::Client raw(env, "broker", sasl_port);
            SaslHandshakeRequest hs;
            hs.mechanism_ = "PLAIN";
            REQUIRE(raw.call<SaslHandshakeResponse>(hs, 0).has_value());
            REQUIRE(raw.send_raw(plain_token("alice", "wrong")).ok());
            CHECK(!raw.recv_raw().ok());  // raw tokens carry no error: closed
        }
    });
}

TEST_CASE("sasl: SCRAM credentials set through the metadata log authenticate, and go away") {
    BrokerNode bn{sasl_config()};
    with_broker(35, bn, [&](Env& env) {
        security::SaslRandomFromRandom random(env.random);
        client::ClientOptions admin_options;
        admin_options.bootstrap = {Address{"broker", 9092}};
        admin_options.request_timeout = Duration::seconds(5);
        admin_options.retries_max = 1;
        client::Client admin(env, admin_options);
        REQUIRE(admin.set_scram_credential("carol", security::ScramMechanism::sha256, "pw-256",
                                           4096, random)
                    .ok());
        // Bounds and absent credentials, as Kafka answers them.
        auto few = admin.set_scram_credential("carol", security::ScramMechanism::sha512, "x", 100,
                                              random);
        REQUIRE(!few.ok());
        CHECK(few.error().code == kafka_error::unacceptable_credential);
        auto none = admin.delete_scram_credential("carol", security::ScramMechanism::sha512);
        REQUIRE(!none.ok());
        CHECK(none.error().code == kafka_error::resource_not_found);
        auto listed = admin.list_scram_credentials();
        REQUIRE(listed.ok());
        REQUIRE(listed->size() == 1);
        CHECK(listed->at(0).user == "carol");
        REQUIRE(listed->at(0).credentials.size() == 1);
        CHECK(listed->at(0).credentials[0].second == 4096);

        {
            client::Client c(env, sasl_client("carol", "pw-256",
                                              security::SaslMechanism::scram_sha_256, &random));
            CHECK(c.metadata(std::nullopt).ok());
        }
        {
            client::Client c(env, sasl_client("carol", "wrong",
                                              security::SaslMechanism::scram_sha_256, &random));
            auto md = c.metadata(std::nullopt);
            REQUIRE(!md.ok());
            CHECK(md.error().code == kafka_error::sasl_authentication_failed);
        }
        REQUIRE(admin.delete_scram_credential("carol", security::ScramMechanism::sha256).ok());
        {
            client::Client c(env, sasl_client("carol", "pw-256",
                                              security::SaslMechanism::scram_sha_256, &random));
            auto md = c.metadata(std::nullopt);
            REQUIRE(!md.ok());
            CHECK(md.error().code == kafka_error::sasl_authentication_failed);
        }
    });
}

TEST_CASE("sasl: the audit log has a line per authentication attempt and credential change") {
    BrokerNode bn{sasl_config({{"audit.log.file", "audit.log"}})};
    kafka::test::with_broker_world(36, bn, [&](Env& env, sim::SimWorld& w) {
        security::SaslRandomFromRandom random(env.random);
        {
            client::Client bad(env, sasl_client("alice", "wrong"));
            CHECK(!bad.metadata(std::nullopt).ok());
        }
        {
            client::Client good(env, sasl_client("alice", "alice-secret"));
            CHECK(good.metadata(std::nullopt).ok());
        }
        client::ClientOptions admin_options;
        admin_options.bootstrap = {Address{"broker", 9092}};
        admin_options.request_timeout = Duration::seconds(5);
        admin_options.retries_max = 1;
        client::Client admin(env, admin_options);
        REQUIRE(
            admin
                .set_scram_credential("carol", security::ScramMechanism::sha256, "pw", 4096, random)
                .ok());
        {
            client::Client scram(
                env, sasl_client("carol", "nope", security::SaslMechanism::scram_sha_256, &random));
            CHECK(!scram.metadata(std::nullopt).ok());
        }
        const std::string audit = kafka::test::read_sim_file(w.node("broker").disk(), "audit.log");
        const std::string host = "client";  // the simulated client node's address
        CHECK(
            audit.find("\"principal\":\"User:alice\",\"client\":\"" + host +
                       "\",\"listener\":"
                       "\"SASL_PLAINTEXT\",\"mechanism\":\"PLAIN\",\"operation\":\"AUTHENTICATE\","
                       "\"result\":\"FAILED\",\"error\":\"PLAIN: bad credentials for 'alice'\"}") !=
            std::string::npos);
        CHECK(
            audit.find("\"principal\":\"User:alice\",\"client\":\"" + host +
                       "\",\"listener\":"
                       "\"SASL_PLAINTEXT\",\"mechanism\":\"PLAIN\",\"operation\":\"AUTHENTICATE\","
                       "\"result\":\"OK\"}") != std::string::npos);
        CHECK(audit.find("\"api\":\"AlterUserScramCredentials\",\"resource_type\":\"USER\","
                         "\"resource\":\"carol: upsert SCRAM-SHA-256 iterations=4096\","
                         "\"operation\":\"ADMIN\",\"result\":\"OK\"}") != std::string::npos);
        CHECK(audit.find("\"principal\":\"User:carol\",\"client\":\"" + host +
                         "\",\"listener\":"
                         "\"SASL_PLAINTEXT\",\"mechanism\":\"SCRAM-SHA-256\",\"operation\":"
                         "\"AUTHENTICATE\",\"result\":\"FAILED\"") != std::string::npos);
    });
}

TEST_CASE(
    "sasl: connections.max.reauth.ms gives sessions a lifetime; re-authentication renews it") {
    BrokerNode bn{
        sasl_config({{"connections.max.reauth.ms", "1000"}, {"audit.log.file", "audit.log"}})};
    kafka::test::with_broker_world(37, bn, [&](Env& env, sim::SimWorld& w) {
        {
            kafka::test::Client raw(env, "broker", sasl_port);
            auto a = plain_login(raw, "alice", "alice-secret");
            REQUIRE(a.has_value());
            CHECK(a->error_code_ == 0);
            CHECK(a->session_lifetime_ms_ == 1000);
            CHECK(raw.call<protocol::MetadataResponse>(all_topics(), 1).has_value());
            (void)env.scheduler.sleep_for(Duration::millis(600));
            // Re-authentication on the authenticated connection: same user, a new lifetime.
            auto again = plain_login(raw, "alice", "alice-secret");
            REQUIRE(again.has_value());
            CHECK(again->error_code_ == 0);
            CHECK(again->session_lifetime_ms_ == 1000);
            (void)env.scheduler.sleep_for(Duration::millis(600));
            const std::string audit =
                kafka::test::read_sim_file(w.node("broker").disk(), "audit.log");
            CHECK(audit.find("\"principal\":\"User:alice\",\"client\":\"client\",\"listener\":"
                             "\"SASL_PLAINTEXT\",\"mechanism\":\"PLAIN\",\"operation\":"
                             "\"REAUTHENTICATE\",\"result\":\"OK\"}") != std::string::npos);
            // 1.2 s after the first login, 0.6 s after the second: still served.
            CHECK(raw.call<protocol::MetadataResponse>(all_topics(), 1).has_value());
            (void)env.scheduler.sleep_for(Duration::millis(500));
            // Expired: the next request closes the connection without an answer.
            REQUIRE(raw.send(all_topics(), 1).ok());
            CHECK(!raw.recv_raw().ok());
        }
        {
            // Re-authenticating as someone else: refused, and the connection is closed.
            kafka::test::Client raw(env, "broker", sasl_port);
            auto a = plain_login(raw, "alice", "alice-secret");
            REQUIRE(a.has_value());
            CHECK(a->error_code_ == 0);
            auto other = plain_login(raw, "bob", "bob-secret");
            REQUIRE(other.has_value());
            CHECK(other->error_code_ == kafka_error::sasl_authentication_failed);
            CHECK(!raw.recv_raw().ok());
        }
        {
            // Re-authenticating with another mechanism: refused, and closed.
            kafka::test::Client raw(env, "broker", sasl_port);
            auto a = plain_login(raw, "alice", "alice-secret");
            REQUIRE(a.has_value());
            CHECK(a->error_code_ == 0);
            // Kafka answers the handshake, then refuses the SaslAuthenticate.
            auto other = plain_login(raw, "alice", "alice-secret", 2, "SCRAM-SHA-256");
            REQUIRE(other.has_value());
            CHECK(other->error_code_ == kafka_error::sasl_authentication_failed);
            CHECK(other->error_message_.value_or("").find("re-authentication of mechanism "
                                                          "'PLAIN'") != std::string::npos);
            CHECK(!raw.recv_raw().ok());
        }
        {
            // A client that cannot hear the lifetime (SaslAuthenticate v0) keeps its session.
            kafka::test::Client raw(env, "broker", sasl_port);
            auto a = plain_login(raw, "alice", "alice-secret", 0);
            REQUIRE(a.has_value());
            CHECK(a->error_code_ == 0);
            (void)env.scheduler.sleep_for(Duration::millis(1500));
            CHECK(raw.call<protocol::MetadataResponse>(all_topics(), 1).has_value());
        }
    });
}

TEST_CASE(
    "sasl: without connections.max.reauth.ms no lifetime, and a second handshake is refused") {
    BrokerNode bn{sasl_config()};
    with_broker(38, bn, [&](Env& env) {
        kafka::test::Client raw(env, "broker", sasl_port);
        auto a = plain_login(raw, "alice", "alice-secret");
        REQUIRE(a.has_value());
        CHECK(a->error_code_ == 0);
        CHECK(a->session_lifetime_ms_ == 0);
        SaslHandshakeRequest hs;
        hs.mechanism_ = "PLAIN";
        auto h = raw.call<SaslHandshakeResponse>(hs, 1);
        REQUIRE(h.has_value());
        CHECK(h->error_code_ == kafka_error::illegal_sasl_state);
        CHECK(raw.call<protocol::MetadataResponse>(all_topics(), 1).has_value());
    });
}

TEST_CASE("sasl: a SCRAM credential from the bootstrap records logs in at the first start") {
    BrokerNode bn{sasl_config()};
    bn.prepare = [&bn](Env& env) {
        // What `eddy format --add-scram` leaves in the data directory, and `eddy broker` reads.
        security::SaslRandomFromRandom random(env.random);
        auto records = controller::scram_bootstrap_records(
            {"SCRAM-SHA-256=[name=admin,password=admin-secret]",
             "SCRAM-SHA-512=[name=admin,password=\"admin,512]\",iterations=8192]"},
            random);
        REQUIRE(records.ok());
        auto written = controller::write_bootstrap_records(env, "", *records);
        REQUIRE(written.ok());
        auto read = controller::read_bootstrap_records(env, "");
        REQUIRE(read.ok());
        CHECK(read->size() == 2);
        bn.options.bootstrap_records = std::move(read).value();
    };
    with_broker(39, bn, [&](Env& env) {
        security::SaslRandomFromRandom random(env.random);
        {
            client::Client c(env, sasl_client("admin", "admin-secret",
                                              security::SaslMechanism::scram_sha_256, &random));
            CHECK(c.metadata(std::nullopt).ok());
            auto listed = c.list_scram_credentials();
            REQUIRE(listed.ok());
            REQUIRE(listed->size() == 1);
            CHECK(listed->at(0).user == "admin");
            REQUIRE(listed->at(0).credentials.size() == 2);
        }
        {
            client::Client c(env, sasl_client("admin", "wrong",
                                              security::SaslMechanism::scram_sha_256, &random));
            CHECK(!c.metadata(std::nullopt).ok());
        }
    });
}
