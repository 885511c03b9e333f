// --add-scram values (Kafka's kafka-storage syntax) and the credentials they make: accepted forms,
// one-line refusals, and a given salt or salted password giving exactly Kafka's credential.
#include "services/controller/bootstrap_records.h"

#include <doctest/doctest.h>

#include "services/security/scram.h"
#include "services/security/scram_encoding.h"

using namespace eddy;
using namespace eddy::controller;

TEST_CASE("--add-scram: Kafka's forms parse") {
    auto a = parse_add_scram("SCRAM-SHA-256=[name=admin,password=admin-secret]");
    REQUIRE(a.ok());
    CHECK(a->mechanism == security::ScramMechanism::sha256);
    CHECK(a->name == "admin");
    CHECK(a->password == std::optional<std::string>("admin-secret"));
    CHECK(a->iterations == 4096);
    CHECK(!a->salt.has_value());

    // Quoted values may hold ',' ']' and '='; keys in any order.
    auto b = parse_add_scram(
        "SCRAM-SHA-512=[iterations=8192,password=\"a,b]=c\",name=\"alice\",salt=\"c2FsdA==\"]");
    REQUIRE(b.ok());
    CHECK(b->mechanism == security::ScramMechanism::sha512);
    CHECK(b->name == "alice");
    CHECK(b->password == std::optional<std::string>("a,b]=c"));
    CHECK(b->iterations == 8192);
    REQUIRE(b->salt.has_value());
    CHECK(as_chars(*b->salt) == "salt");

    auto c = parse_add_scram(
        "SCRAM-SHA-256=[name=bob,salt=\"c2FsdA==\",saltedpassword="
        "\"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\"]");
    REQUIRE(c.ok());
    REQUIRE(c->salted_password.has_value());
    CHECK(c->salted_password->size() == 32);
}

TEST_CASE("--add-scram: bad values are refused with one line") {
    const std::pair<const char*, const char*> cases[] = {
        {"admin", "no '='"},
        {"SCRAM-SHA-1=[name=a,password=b]", "unknown SCRAM mechanism 'SCRAM-SHA-1'"},
        {"PLAIN=[name=a,password=b]", "unknown SCRAM mechanism"},
        {"SCRAM-SHA-256=name=a,password=b", "must be in [ ]"},
        {"SCRAM-SHA-256=[name=a,password=b", "must be in [ ]"},
        {"SCRAM-SHA-256=[password=b]", "no name"},
        {"SCRAM-SHA-256=[name=,password=b]", "name is empty"},
        {"SCRAM-SHA-256=[name=a]", "either password or saltedpassword"},
        {"SCRAM-SHA-256=[name=a,password=b,saltedpassword=\"AAAA\",salt=\"AAAA\"]",
         "either password or saltedpassword"},
        {"SCRAM-SHA-256=[name=a,saltedpassword=\"AAAA\"]", "needs the salt"},
        {"SCRAM-SHA-256=[name=a,password=b,iterations=100]",
         "iterations must be a number from 4096"},
        {"SCRAM-SHA-256=[name=a,password=b,iterations=20000]", "to 16384"},
        {"SCRAM-SHA-256=[name=a,password=b,iterations=4k]", "not '4k'"},
        {"SCRAM-SHA-256=[name=a,password=b,salt=\"not base64!\"]", "salt is not"},
        {"SCRAM-SHA-256=[name=a,password=b,colour=red]", "unknown key 'colour'"},
        {"SCRAM-SHA-256=[name=a,name=b,password=c]", "name is given twice"},
        {"SCRAM-SHA-256=[name=a,password=\"b]", "no closing"},
        {"SCRAM-SHA-256=[name=a,password=\"b\"x]", "text after the quoted value"},
        {"SCRAM-SHA-256=[name=a,password=b,]", "nothing after it"},
        {"SCRAM-SHA-256=[name=a,password]", "is not KEY=VALUE"},
    };
    for (const auto& c : cases) {
        auto r = parse_add_scram(c.first);
        REQUIRE_MESSAGE(!r.ok(), c.first);
        CHECK_MESSAGE(r.error().find(c.second) != std::string::npos, c.first, " -> ", r.error());
        CHECK(r.error().find('\n') == std::string::npos);
    }
    // The password is never echoed.
    auto r = parse_add_scram("SCRAM-SHA-256=[name=a,password=s3cret,iterations=1]");
    REQUIRE(!r.ok());
    CHECK(r.error().find("s3cret") == std::string::npos);
}

TEST_CASE("--add-scram: the credential is Kafka's; salts are fresh unless given") {
    Random seed(3);
    security::SaslRandomFromRandom random(seed);
    auto given = parse_add_scram("SCRAM-SHA-256=[name=a,password=pw,salt=\"c2FsdA==\"]");
    REQUIRE(given.ok());
    auto record = scram_bootstrap_record(*given, random);
    REQUIRE(record.ok());
    auto expected = security::derive_scram_credential(security::ScramMechanism::sha256, "pw",
                                                      as_bytes("salt"), 4096);
    REQUIRE(expected.ok());
    CHECK(record->name_ == "a");
    CHECK(record->mechanism_ == scram_mechanism_code(security::ScramMechanism::sha256));
    CHECK(record->salt_ == expected->salt);
    CHECK(record->stored_key_ == expected->stored_key);
    CHECK(record->server_key_ == expected->server_key);
    CHECK(record->iterations_ == 4096);

    // The same credential from the salted password alone.
    const Bytes salted = security::scram_salted_password(security::ScramMechanism::sha256, "pw",
                                                         as_bytes("salt"), 4096);
    auto from_salted = parse_add_scram("SCRAM-SHA-256=[name=a,salt=\"c2FsdA==\",saltedpassword=\"" +
                                       security::base64_encode(salted) + "\"]");
    REQUIRE(from_salted.ok());
    auto record2 = scram_bootstrap_record(*from_salted, random);
    REQUIRE(record2.ok());
    CHECK(record2->stored_key_ == expected->stored_key);

    auto fresh = parse_add_scram("SCRAM-SHA-256=[name=a,password=pw]");
    REQUIRE(fresh.ok());
    auto r1 = scram_bootstrap_record(*fresh, random);
    auto r2 = scram_bootstrap_record(*fresh, random);
    REQUIRE(r1.ok());
    REQUIRE(r2.ok());
    CHECK(r1->salt_.size() == security::limits::scram_salt_bytes);
    CHECK(r1->salt_ != r2->salt_);

    // Several values: in order; the same user and mechanism twice is refused.
    auto both = scram_bootstrap_records(
        {"SCRAM-SHA-256=[name=a,password=x]", "SCRAM-SHA-512=[name=a,password=y]"}, random);
    REQUIRE(both.ok());
    CHECK(both->size() == 2);
    auto twice = scram_bootstrap_records(
        {"SCRAM-SHA-256=[name=a,password=x]", "SCRAM-SHA-256=[name=a,password=y]"}, random);
    REQUIRE(!twice.ok());
    CHECK(twice.error() == "--add-scram #2: a second credential for 'a' with SCRAM-SHA-256");
    auto bad = scram_bootstrap_records({"SCRAM-SHA-256=[name=a]"}, random);
    REQUIRE(!bad.ok());
    CHECK(bad.error().starts_with("--add-scram #1: "));
}
