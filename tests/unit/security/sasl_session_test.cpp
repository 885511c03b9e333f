// The per-connection SASL session (services/security/sasl_server_session.h) and its Kafka
// responses (sasl_protocol.h): handshakes, PLAIN and SCRAM logins, the client state machine
// against the session, errors and their codes, token limits and failed attempts.
#include <doctest/doctest.h>

#include "core/protocol/error_codes.h"
#include "services/security/sasl_protocol.h"
#include "services/security/scram.h"
#include "services/security/scram_client.h"
#include "services/security/scram_encoding.h"
#include "tests/unit/security/sasl_test_util.h"

using namespace eddy;
using namespace eddy::security;

namespace {

struct Broker {
    Random random{42};
    SaslRandomFromRandom sasl_random{random};
    InMemoryScramCredentialStore store;
    SaslServerConfig config;

    explicit Broker(std::string_view mechanisms = "PLAIN,SCRAM-SHA-256,SCRAM-SHA-512") {
        auto enabled = parse_sasl_enabled_mechanisms(mechanisms);
        REQUIRE(enabled.ok());
        config.enabled_mechanisms = *enabled;
        config.scram_credentials = &store;
        config.scram_fake = make_scram_fake_credentials(sasl_random);
        auto jaas = parse_jaas_entry(test::kafka_doc_plain_jaas);
        REQUIRE(jaas.ok());
        auto users = PlainUserTable::from_jaas(*jaas);
        REQUIRE(users.ok());
        config.plain_users = std::move(users).value();
        for (const ScramMechanism m : {ScramMechanism::sha256, ScramMechanism::sha512}) {
            auto c = derive_scram_credential(m, "alice-secret", as_bytes("alice salt"), 4096);
            REQUIRE(c.ok());
            store.put("alice", m, std::move(c).value());
        }
        REQUIRE(validate_sasl_server_config(config).ok());
    }
};

// A full SCRAM login of `user` through the session with Eddy's own client.
Result<std::string, std::string> scram_login(SaslServerSession& session, ScramMechanism m,
                                             const std::string& user, const std::string& password) {
    auto hs = session.handshake(scram_mechanism_name(m));
    if (hs.error) {
        return fail(std::string("handshake"));
    }
    ScramClientExchange client(m, user, password, "clientnonce");
    auto first = session.authenticate(as_bytes(client.client_first()));
    if (first.error || first.complete) {
        return fail(first.error_message);
    }
    auto client_final = client.receive_server_first(as_chars(first.challenge));
    if (!client_final.ok()) {
        return fail(client_final.error());
    }
    auto last = session.authenticate(as_bytes(*client_final));
    if (last.error) {
        return fail(last.error_message);
    }
    auto verdict = client.receive_server_final(as_chars(last.challenge));
    if (!verdict.ok()) {
        return fail(verdict.error());
    }
    return session.principal();
}

}  // namespace

TEST_SUITE_BEGIN("security");

TEST_CASE("sasl: sasl.enabled.mechanisms") {
    auto m = parse_sasl_enabled_mechanisms(" SCRAM-SHA-512 , PLAIN");
    REQUIRE(m.ok());
    CHECK(*m == std::vector{SaslMechanism::scram_sha_512, SaslMechanism::plain});
    CHECK(parse_sasl_enabled_mechanisms("GSSAPI").error() ==
          "sasl.enabled.mechanisms: unsupported mechanism 'GSSAPI' (Eddy serves PLAIN, "
          "SCRAM-SHA-256, SCRAM-SHA-512)");
    CHECK(parse_sasl_enabled_mechanisms("plain").error().find("unsupported mechanism 'plain'") !=
          std::string::npos);
    CHECK(parse_sasl_enabled_mechanisms("PLAIN,PLAIN").error() ==
          "sasl.enabled.mechanisms: 'PLAIN' listed twice");
    CHECK(parse_sasl_enabled_mechanisms("").error() ==
          "sasl.enabled.mechanisms: empty mechanism name in ''");
    CHECK(parse_sasl_enabled_mechanisms("PLAIN,").error() ==
          "sasl.enabled.mechanisms: empty mechanism name in 'PLAIN,'");

    SaslServerConfig c;
    c.enabled_mechanisms = {SaslMechanism::scram_sha_256};
    CHECK(validate_sasl_server_config(c).error() ==
          "SCRAM-SHA-256 is enabled but no SCRAM credential store is configured");
    InMemoryScramCredentialStore store;
    c.scram_credentials = &store;
    CHECK(validate_sasl_server_config(c).error() ==
          "SCRAM fake-credential key unset or iterations out of bounds");
}

TEST_CASE("sasl: PLAIN login, and the responses a client sees") {
    Broker b;
    SaslServerSession s(b.config, b.sasl_random);
    auto hs = s.handshake("PLAIN");
    CHECK(!hs.error);
    CHECK(hs.enabled_mechanisms ==
          std::vector<std::string>{"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"});
    auto hs_response = make_sasl_handshake_response(hs);
    CHECK(hs_response.error_code_ == kafka_error::none);
    CHECK(hs_response.mechanisms_ == hs.enabled_mechanisms);
    CHECK(s.state() == SaslServerSession::State::awaiting_token);

    auto out = s.authenticate(test::plain_token("alice", "alice-secret"));
    CHECK(out.complete);
    CHECK(!out.error);
    CHECK(out.challenge.empty());
    CHECK(s.authenticated());
    CHECK(s.principal() == "alice");
    CHECK(s.mechanism() == SaslMechanism::plain);
    auto response = make_sasl_authenticate_response(out);
    CHECK(response.error_code_ == kafka_error::none);
    CHECK(!response.error_message_.has_value());
    CHECK(response.auth_bytes_.empty());
    CHECK(response.session_lifetime_ms_ == 0);

    // Authenticated: a further token or handshake is out of order.
    auto again = s.authenticate(test::plain_token("alice", "alice-secret"));
    REQUIRE(again.error.has_value());
    CHECK(*again.error == SaslError::illegal_state);
    CHECK(again.close_connection);
    CHECK(make_sasl_authenticate_response(again).error_code_ == kafka_error::illegal_sasl_state);
    CHECK(s.state() == SaslServerSession::State::closed);
}

TEST_CASE("sasl: PLAIN failures do not tell unknown users from wrong passwords") {
    Broker b;
    for (const auto& creds : std::vector<std::pair<std::string, std::string>>{
             {"alice", "wrong"}, {"mallory", "alice-secret"}}) {
        SaslServerSession s(b.config, b.sasl_random);
        REQUIRE(!s.handshake("PLAIN").error);
        auto out = s.authenticate(test::plain_token(creds.first, creds.second));
        REQUIRE(out.error.has_value());
        CHECK(*out.error == SaslError::authentication_failed);
        CHECK(out.error_message == "Authentication failed: Invalid username or password");
        CHECK(out.log_detail == "PLAIN: bad credentials for '" + creds.first + "'");
        CHECK(out.close_connection);
        CHECK(s.failed_attempts() == 1);
        CHECK(!s.authenticated());
        auto response = make_sasl_authenticate_response(out);
        CHECK(response.error_code_ == kafka_error::sasl_authentication_failed);
        CHECK(response.error_message_ == out.error_message);
    }
    SaslServerSession s(b.config, b.sasl_random);
    REQUIRE(!s.handshake("PLAIN").error);
    auto malformed = s.authenticate(as_bytes("no nuls here"));
    REQUIRE(malformed.error.has_value());
    CHECK(malformed.error_message ==
          "Authentication failed: PLAIN message needs authzid, user name and password "
          "separated by NUL");
}

TEST_CASE("sasl: handshake errors and out-of-order requests") {
    Broker b("SCRAM-SHA-512");
    {
        SaslServerSession s(b.config, b.sasl_random);
        auto hs = s.handshake("PLAIN");  // known to Eddy but not enabled here
        REQUIRE(hs.error.has_value());
        CHECK(*hs.error == SaslError::unsupported_mechanism);
        CHECK(hs.close_connection);
        auto r = make_sasl_handshake_response(hs);
        CHECK(r.error_code_ == kafka_error::unsupported_sasl_mechanism);
        CHECK(r.mechanisms_ == std::vector<std::string>{"SCRAM-SHA-512"});
    }
    {
        SaslServerSession s(b.config, b.sasl_random);
        CHECK(*s.handshake("GSSAPI").error == SaslError::unsupported_mechanism);
    }
    {
        SaslServerSession s(b.config, b.sasl_random);
        auto out = s.authenticate(test::plain_token("alice", "alice-secret"));
        REQUIRE(out.error.has_value());
        CHECK(*out.error == SaslError::illegal_state);
        CHECK(out.close_connection);
        CHECK(s.failed_attempts() == 0);
    }
    {
        SaslServerSession s(b.config, b.sasl_random);
        REQUIRE(!s.handshake("SCRAM-SHA-512").error);
        auto second = s.handshake("SCRAM-SHA-512");
        REQUIRE(second.error.has_value());
        CHECK(*second.error == SaslError::illegal_state);
        CHECK(make_sasl_handshake_response(second).error_code_ == kafka_error::illegal_sasl_state);
    }
}

TEST_CASE("sasl: SCRAM logins through the session with Eddy's client") {
    Broker b;
    for (const ScramMechanism m : {ScramMechanism::sha256, ScramMechanism::sha512}) {
        SaslServerSession ok(b.config, b.sasl_random);
        auto who = scram_login(ok, m, "alice", "alice-secret");
        REQUIRE(who.ok());
        CHECK(*who == "alice");
        CHECK(ok.mechanism() == (m == ScramMechanism::sha256 ? SaslMechanism::scram_sha_256
                                                             : SaslMechanism::scram_sha_512));

        const std::string expected =
            "Authentication failed during authentication due to invalid credentials with SASL "
            "mechanism " +
            std::string(scram_mechanism_name(m));
        SaslServerSession wrong(b.config, b.sasl_random);
        auto w = scram_login(wrong, m, "alice", "nope");
        REQUIRE(!w.ok());
        CHECK(w.error() == expected);
        CHECK(wrong.failed_attempts() == 1);
        CHECK(wrong.state() == SaslServerSession::State::closed);
        SaslServerSession unknown(b.config, b.sasl_random);
        auto u = scram_login(unknown, m, "mallory", "alice-secret");
        REQUIRE(!u.ok());
        CHECK(u.error() == expected);
    }
}

TEST_CASE("sasl: SCRAM failure details, nonces and the e= challenge") {
    Broker b;
    SaslServerSession s(b.config, b.sasl_random);
    REQUIRE(!s.handshake("SCRAM-SHA-256").error);
    auto first = s.authenticate(as_bytes("n,,n=alice,r=abc"));
    REQUIRE(!first.error);
    CHECK(!first.complete);
    CHECK(s.state() == SaslServerSession::State::authenticating);
    // The server nonce is drawn from the session's random source: 32 base64 characters.
    auto attrs = split_scram_attributes(as_chars(first.challenge));
    REQUIRE(attrs.has_value());
    CHECK((*attrs)[0].value.size() == 3 + 32);
    CHECK(make_sasl_authenticate_response(first).auth_bytes_ == first.challenge);

    auto bad = s.authenticate(as_bytes("c=biws,r=abc,p=AAAA"));
    REQUIRE(bad.error.has_value());
    CHECK(as_chars(bad.challenge) == "e=other-error");
    CHECK(bad.error_message == "Authentication failed: SCRAM-SHA-256 other-error");
    CHECK(bad.log_detail == "SCRAM-SHA-256: nonce does not match the server-first nonce");

    SaslServerSession s2(b.config, b.sasl_random);
    REQUIRE(!s2.handshake("SCRAM-SHA-256").error);
    auto second_first = s2.authenticate(as_bytes("n,,n=alice,r=abc"));
    CHECK(second_first.challenge != first.challenge);  // a fresh server nonce per exchange
}

TEST_CASE("sasl: token size limit and failed attempts before closing") {
    Broker b;
    b.config.token_bytes_max = 64;
    b.config.failed_attempts_max = 3;
    SaslServerSession s(b.config, b.sasl_random);
    CHECK(s.token_bytes_max() == 64);
    REQUIRE(!s.handshake("PLAIN").error);
    auto big = s.authenticate(Bytes(65));
    REQUIRE(big.error.has_value());
    CHECK(*big.error == SaslError::authentication_failed);
    CHECK(big.error_message == "SASL token of 65 bytes exceeds 64");
    CHECK(!big.close_connection);
    CHECK(s.failed_attempts() == 1);
    CHECK(s.state() == SaslServerSession::State::awaiting_handshake);

    REQUIRE(!s.handshake("SCRAM-SHA-512").error);
    CHECK(s.authenticate(as_bytes("garbage")).error.has_value());
    CHECK(s.failed_attempts() == 2);
    REQUIRE(!s.handshake("PLAIN").error);
    auto third = s.authenticate(test::plain_token("alice", "bad"));
    CHECK(third.close_connection);
    CHECK(s.failed_attempts() == 3);
    CHECK(s.state() == SaslServerSession::State::closed);

    // Within the limit, after failures, a right password still works.
    SaslServerSession t(b.config, b.sasl_random);
    REQUIRE(!t.handshake("PLAIN").error);
    REQUIRE(t.authenticate(test::plain_token("alice", "x")).error.has_value());
    REQUIRE(!t.handshake("PLAIN").error);
    CHECK(t.authenticate(test::plain_token("alice", "alice-secret")).complete);
    CHECK(t.principal() == "alice");
    CHECK(t.failed_attempts() == 1);
}

TEST_CASE("sasl: token framing after each handshake version") {
    CHECK(sasl_framing_after_handshake(0) == SaslTokenFraming::raw);
    CHECK(sasl_framing_after_handshake(1) == SaslTokenFraming::sasl_authenticate);
    CHECK(sasl_error_code(SaslError::unsupported_mechanism) == 33);
    CHECK(sasl_error_code(SaslError::illegal_state) == 34);
    CHECK(sasl_error_code(SaslError::authentication_failed) == 58);
}

TEST_SUITE_END();
