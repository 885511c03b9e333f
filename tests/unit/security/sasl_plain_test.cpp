// SASL PLAIN (services/security/sasl_plain.h): RFC 4616 message parsing, limits, the user table
// from a JAAS entry.
#include "services/security/sasl_plain.h"

#include <doctest/doctest.h>

#include "services/security/sasl_text.h"
#include "tests/unit/security/sasl_test_util.h"

using namespace eddy;
using namespace eddy::security;

namespace {

Result<PlainToken, std::string> parse(std::string_view s) { return parse_plain_token(as_bytes(s)); }

}  // namespace

TEST_SUITE_BEGIN("security");

TEST_CASE("plain: message parsing") {
    using namespace std::string_literals;
    auto t = parse("\0alice\0alice-secret"s);
    REQUIRE(t.ok());
    CHECK(t->authzid.empty());
    CHECK(t->username == "alice");
    CHECK(t->password == "alice-secret");
    // kafka-python sends the user name as authzid too.
    auto same = parse("alice\0alice\0pw"s);
    REQUIRE(same.ok());
    CHECK(same->authzid == "alice");

    const std::vector<std::pair<std::string, std::string>> bad{
        {"", "PLAIN message needs authzid, user name and password separated by NUL"},
        {"alice", "PLAIN message needs authzid, user name and password separated by NUL"},
        {"\0alice"s, "PLAIN message needs authzid, user name and password separated by NUL"},
        {"\0alice\0pw\0"s, "PLAIN message has more than three fields"},
        {"\0\0pw"s, "PLAIN user name not specified"},
        {"\0alice\0"s, "PLAIN password not specified"},
        {"bob\0alice\0pw"s, "PLAIN authorization id differs from the user name"},
        {"\0"s + std::string(256, 'u') + "\0pw"s, "PLAIN field longer than 255 bytes"},
        {"\0u\0"s + std::string(256, 'p'), "PLAIN field longer than 255 bytes"},
    };
    for (const auto& c : bad) {
        auto r = parse(c.first);
        REQUIRE(!r.ok());
        CHECK(r.error() == c.second);
    }
    CHECK(parse("\0u\0"s + std::string(255, 'p')).ok());
}

TEST_CASE("plain: users from the PlainLoginModule entry") {
    auto entry = parse_jaas_entry(test::kafka_doc_plain_jaas);
    REQUIRE(entry.ok());
    auto table = PlainUserTable::from_jaas(*entry);
    REQUIRE(table.ok());
    CHECK(table->size() == 2);
    CHECK(table->verify("alice", "alice-secret"));
    CHECK(table->verify("admin", "admin-secret"));
    CHECK(!table->verify("alice", "admin-secret"));
    CHECK(!table->verify("alice", "alice-secre"));
    CHECK(!table->verify("alice", "alice-secret "));
    CHECK(!table->verify("mallory", "alice-secret"));
    CHECK(!table->verify("username", "admin"));  // the broker's own login is not a user

    auto scram = parse_jaas_entry(
        "org.apache.kafka.common.security.scram.ScramLoginModule required user_a=\"b\";");
    REQUIRE(scram.ok());
    CHECK(PlainUserTable::from_jaas(*scram).error() ==
          "login module 'org.apache.kafka.common.security.scram.ScramLoginModule' is not "
          "org.apache.kafka.common.security.plain.PlainLoginModule");
    auto nameless = parse_jaas_entry(
        "org.apache.kafka.common.security.plain.PlainLoginModule required user_=\"b\";");
    REQUIRE(nameless.ok());
    CHECK(PlainUserTable::from_jaas(*nameless).error() == "JAAS option 'user_' names no user");
    auto empty_password = parse_jaas_entry(
        "org.apache.kafka.common.security.plain.PlainLoginModule required user_bob=\"\";");
    REQUIRE(empty_password.ok());
    CHECK(PlainUserTable::from_jaas(*empty_password).error() ==
          "PLAIN user 'bob': name and password must be 1..255 bytes");
}

TEST_CASE("sasl: untrusted text is quoted on one bounded line") {
    CHECK(printable_text("alice") == "alice");
    CHECK(printable_text("a\nb\\c\x7f\xc3") == "a\\x0ab\\x5cc\\x7f\\xc3");
    const std::string long_name(100, 'u');
    CHECK(printable_text(long_name) == std::string(64, 'u') + "...");
}

TEST_SUITE_END();
