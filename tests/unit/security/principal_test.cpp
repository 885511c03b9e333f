// Principals: parsing "type:name", the default principal builder per security protocol, and
// ssl.principal.mapping.rules with the examples of Kafka's security docs (KIP-371).
#include "services/security/principal.h"

#include <doctest/doctest.h>

#include "services/security/principal_mapping.h"

using namespace eddy::security;

namespace {

std::string map_or_error(const SslPrincipalMapper& m, std::string_view dn) {
    auto r = m.map(dn);
    return r.ok() ? r.value() : "error: " + r.error();
}

SslPrincipalMapper rules(std::string_view text) {
    auto m = SslPrincipalMapper::parse(text);
    REQUIRE_MESSAGE(m.ok(), (m.ok() ? "" : m.error()));
    return m.value();
}

}  // namespace

TEST_CASE("principal: parse splits at the first colon") {
    auto p = parse_principal("User:alice");
    REQUIRE(p.ok());
    CHECK(p->type == "User");
    CHECK(p->name == "alice");
    CHECK(p->to_string() == "User:alice");
    p = parse_principal("User:CN=a,O=b:c");
    REQUIRE(p.ok());
    CHECK(p->name == "CN=a,O=b:c");
    p = parse_principal("User:");
    REQUIRE(p.ok());
    CHECK(p->name.empty());
    CHECK_FALSE(parse_principal("alice").ok());
    CHECK_FALSE(parse_principal("").ok());
    CHECK(anonymous_principal().to_string() == "User:ANONYMOUS");
}

TEST_CASE("principal: the default builder per security protocol") {
    const SslPrincipalMapper default_rules;
    AuthenticatedSession s;
    s.protocol = SecurityProtocol::plaintext;
    CHECK(build_principal(s, default_rules)->to_string() == "User:ANONYMOUS");

    s.protocol = SecurityProtocol::sasl_plaintext;
    CHECK_FALSE(build_principal(s, default_rules).ok());
    s.sasl_authorization_id = "alice";
    CHECK(build_principal(s, default_rules)->to_string() == "User:alice");
    s.protocol = SecurityProtocol::sasl_ssl;
    s.ssl_peer_subject = "CN=ignored";  // SASL wins over the certificate
    CHECK(build_principal(s, default_rules)->to_string() == "User:alice");

    s = AuthenticatedSession{};
    s.protocol = SecurityProtocol::ssl;
    CHECK(build_principal(s, default_rules)->to_string() == "User:ANONYMOUS");  // no cert
    s.ssl_peer_subject = "CN=alice,OU=eng,O=acme";
    CHECK(build_principal(s, default_rules)->to_string() == "User:CN=alice,OU=eng,O=acme");
    const auto cn = rules("RULE:^CN=([^,]*),.*$/$1/");
    CHECK(build_principal(s, cn)->to_string() == "User:alice");
    const auto none = rules("RULE:^CN=bob,.*$/bob/");
    CHECK_FALSE(build_principal(s, none).ok());  // no rule matched: authentication fails
}

TEST_CASE("principal mapping: Kafka's documented rules") {
    const auto m = rules(
        "RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/,\n"
        "RULE:^CN=(.*?),OU=(.*?),O=(.*?),L=(.*?),ST=(.*?),C=(.*?)$/$1@$2/L,\n"
        "RULE:^.*[Cc][Nn]=([a-zA-Z0-9.]*).*$/$1/L,\n"
        "DEFAULT");
    CHECK(m.describe().size() == 4);
    CHECK(map_or_error(m,
                       "CN=serviceuser,OU=ServiceUsers,O=Unknown,L=Unknown,ST=Unknown,"
                       "C=Unknown") == "serviceuser");
    CHECK(map_or_error(m, "CN=adminUser,OU=Admin,O=Unknown,L=Unknown,ST=Unknown,C=Unknown") ==
          "adminuser@admin");
    CHECK(map_or_error(m, "OU=x,cn=Kafka.Client") == "kafka.client");
    CHECK(map_or_error(m, "O=nothing") == "O=nothing");  // DEFAULT
}

TEST_CASE("principal mapping: case, back references, escapes and literal dollars") {
    CHECK(map_or_error(rules("RULE:^CN=(.*)$/$1/U"), "CN=alice") == "ALICE");
    CHECK(map_or_error(rules("RULE:^CN=(.*)$/$1/L"), "CN=ALICE") == "alice");
    // $4 with three groups stays literal text (Kafka's escapeLiteralBackReferences).
    CHECK(map_or_error(rules("RULE:^(a)(b)(c)$/$1@$4/"), "abc") == "a@$4");
    // $12 with two groups is group 1 followed by a literal 2 (Java's greedy group reading).
    CHECK(map_or_error(rules("RULE:^(a)(b)$/$12/"), "ab") == "a2");
    // $0 is the whole match.
    CHECK(map_or_error(rules("RULE:^CN=.*$/[$0]/"), "CN=x") == "[CN=x]");
    // Escaped slash in the pattern, escaped dollar and comma in the replacement.
    CHECK(map_or_error(rules("RULE:^CN=([^\\/]*)\\/(.*)$/$2\\$\\,$1/"), "CN=a/b") == "b$,a");
    // A pattern may contain commas (the splitter is not fooled).
    CHECK(map_or_error(rules("RULE:^CN=([^,]*),O=(.*)$/$2-$1/, DEFAULT"), "CN=a,O=b") == "b-a");
    // The pattern must match the whole subject.
    CHECK(map_or_error(rules("RULE:CN=a/x/"), "CN=ab").find("error:") == 0);
    // Rules are tried in order.
    CHECK(map_or_error(rules("RULE:^CN=a$/first/, RULE:^CN=a$/second/"), "CN=a") == "first");
}

TEST_CASE("principal mapping: separators, empty items and errors") {
    CHECK(rules("").describe().empty());
    CHECK(map_or_error(rules(""), "CN=a").find("error:") == 0);  // no rules: nothing matches
    CHECK(rules(" , DEFAULT ,, ").describe() == std::vector<std::string>{"DEFAULT"});
    // A bare newline separates rules too (an Eddy extension).
    CHECK(rules("RULE:^CN=a$/A/\nDEFAULT").describe().size() == 2);
    CHECK(rules("RULE:^x$/y/L").describe() == std::vector<std::string>{"RULE:^x$/y/L"});

    CHECK_FALSE(SslPrincipalMapper::parse("DEFAULTX").ok());
    CHECK_FALSE(SslPrincipalMapper::parse("RULE:abc/def").ok());  // no closing slash
    CHECK_FALSE(SslPrincipalMapper::parse("RULE:a/b/ L").ok());   // junk after the rule
    CHECK_FALSE(SslPrincipalMapper::parse("RULE:a/b/X").ok());
    CHECK_FALSE(SslPrincipalMapper::parse("RULES:a/b/").ok());
    CHECK_FALSE(SslPrincipalMapper::parse("RULE:(/b/").ok());         // bad regex
    CHECK_FALSE(SslPrincipalMapper::parse("RULE:^(a)\\1$/x/").ok());  // back-reference
    CHECK_FALSE(SslPrincipalMapper::parse("RULE:(a)/$x/").ok());      // bad group reference
    CHECK_FALSE(SslPrincipalMapper::parse("RULE:(a)/${name}/").ok());
    CHECK_FALSE(SslPrincipalMapper::parse("RULE:(a)/x$/").ok());
    CHECK_FALSE(SslPrincipalMapper::parse("RULE:a\\").ok());
    CHECK_FALSE(
        SslPrincipalMapper::parse(std::string(limits::principal_mapping_rules_chars_max + 1, ' '))
            .ok());
    // Counted repetitions: libstdc++ copies the repeated part that many times, and a count too
    // long for a long overflows inside it (found by fuzz_acl_admin).
    CHECK(SslPrincipalMapper::parse("RULE:^CN=([a-z]{1,64}),O=x{2}$/$1/").ok());
    CHECK(SslPrincipalMapper::parse("RULE:^a\\{99999}$/x/").ok());  // an escaped brace
    for (const char* bad : {"RULE:a{6666666666666666666}/x/", "RULE:a{1,1001}/x/",
                            "RULE:((a{100}){100}){100}/x/"}) {
        auto r = SslPrincipalMapper::parse(bad);
        REQUIRE_FALSE(r.ok());
        CHECK_MESSAGE(r.error().find("repetition count") != std::string::npos, r.error());
    }
    auto backref = SslPrincipalMapper::parse("RULE:^(a)\\6666666666666666666666$/x/");
    REQUIRE_FALSE(backref.ok());
    CHECK(backref.error().find("back-reference") != std::string::npos);
    auto e = SslPrincipalMapper::parse("DEFAULT, RULE:oops");
    REQUIRE_FALSE(e.ok());
    CHECK(e.error().find("RULE:oops") != std::string::npos);
}

TEST_CASE("principal mapping: subjects are bounded") {
    const auto m = rules("RULE:^CN=(.*?),(.*)$/$1/, DEFAULT");
    const std::string longest =
        "CN=" + std::string(limits::certificate_subject_max - 5, 'x') + ",O";
    REQUIRE(longest.size() == limits::certificate_subject_max);
    CHECK(map_or_error(m, longest).size() == limits::certificate_subject_max - 5);
    CHECK(map_or_error(m, longest + "x").find("error:") == 0);
}
