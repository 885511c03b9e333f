// JAAS config parsing (services/security/jaas_config.h) with the examples of Kafka's security
// documentation, quoting and escapes, and one-line errors for malformed entries.
#include "services/security/jaas_config.h"

#include <doctest/doctest.h>

#include "tests/unit/security/sasl_test_util.h"

using namespace eddy::security;

TEST_SUITE_BEGIN("security");

TEST_CASE("jaas: Kafka's documented PLAIN broker entry") {
    auto e = parse_jaas_entry(
        "org.apache.kafka.common.security.plain.PlainLoginModule required \\\n"
        "    username=\"admin\" \\\n"
        "    password=\"admin-secret\" \\\n"
        "    user_admin=\"admin-secret\" \\\n"
        "    user_alice=\"alice-secret\";");
    // The backslashes are a properties-file line continuation, not JAAS; the properties reader
    // removes them. Here they are stray characters.
    REQUIRE(!e.ok());
    CHECK(e.error() == "unexpected character '\\x5c' at offset 65");

    auto ok = parse_jaas_entry(eddy::security::test::kafka_doc_plain_jaas);
    REQUIRE(ok.ok());
    CHECK(ok->login_module == plain_login_module);
    CHECK(ok->flag == JaasControlFlag::required);
    const std::map<std::string, std::string> expected{{"password", "admin-secret"},
                                                      {"user_admin", "admin-secret"},
                                                      {"user_alice", "alice-secret"},
                                                      {"username", "admin"}};
    CHECK(ok->options == expected);
}

TEST_CASE("jaas: Kafka's documented SCRAM entries, clients and brokers") {
    auto client = parse_jaas_entry(
        "org.apache.kafka.common.security.scram.ScramLoginModule required\n"
        "    username=\"alice\"\n    password=\"alice-secret\";\n");
    REQUIRE(client.ok());
    CHECK(client->login_module == scram_login_module);
    CHECK(client->options.size() == 2);
    CHECK(client->options.at("username") == "alice");
    CHECK(client->options.at("password") == "alice-secret");

    // No options at all is allowed (a SCRAM broker listener that only verifies).
    auto bare =
        parse_jaas_entry("org.apache.kafka.common.security.scram.ScramLoginModule required;");
    REQUIRE(bare.ok());
    CHECK(bare->options.empty());
}

TEST_CASE("jaas: flags, words, quotes, escapes and comments") {
    auto e = parse_jaas_entry(
        "/* leading */ com.example.Module$Inner OPTIONAL // flag in any case\n"
        "  plain_word=abc.DEF-1_$ single='it s' esc=\"a\\\"b\\\\c\\n\\t\\101\\7\\q\" "
        "'quoted key'=\"\" utf8=\"p\xc3\xa4ss\" ;");
    REQUIRE(e.ok());
    CHECK(e->login_module == "com.example.Module$Inner");
    CHECK(e->flag == JaasControlFlag::optional);
    CHECK(e->options.at("plain_word") == "abc.DEF-1_$");
    CHECK(e->options.at("single") == "it s");
    CHECK(e->options.at("esc") == std::string("a\"b\\c\n\tA\x07q"));
    CHECK(e->options.at("quoted key").empty());
    CHECK(e->options.at("utf8") == "p\xc3\xa4ss");
    CHECK(jaas_control_flag_name(e->flag) == "optional");

    const std::vector<std::pair<std::string, JaasControlFlag>> flags{
        {"required", JaasControlFlag::required},
        {"Requisite", JaasControlFlag::requisite},
        {"SUFFICIENT", JaasControlFlag::sufficient},
        {"optional", JaasControlFlag::optional}};
    for (const auto& f : flags) {
        auto r = parse_jaas_entry("M " + f.first + ";");
        REQUIRE(r.ok());
        CHECK(r->flag == f.second);
    }
}

TEST_CASE("jaas: several entries, and exactly one for sasl.jaas.config") {
    const std::string two = "A required k=v; B sufficient;";
    auto all = parse_jaas_config(two);
    REQUIRE(all.ok());
    REQUIRE(all->size() == 2);
    CHECK((*all)[0].login_module == "A");
    CHECK((*all)[0].options.at("k") == "v");
    CHECK((*all)[1].flag == JaasControlFlag::sufficient);
    auto one = parse_jaas_entry(two);
    REQUIRE(!one.ok());
    CHECK(one.error() == "JAAS config holds 2 login modules, sasl.jaas.config takes exactly one");
}

TEST_CASE("jaas: malformed entries give one-line errors") {
    const std::vector<std::pair<std::string, std::string>> cases{
        {"", "JAAS config has no login module"},
        {"  // only a comment\n", "JAAS config has no login module"},
        {"M required k=\"v\"", "JAAS entry 'M' is not terminated by ';'"},
        {"M required", "JAAS entry 'M' is not terminated by ';'"},
        {"M", "expected a control flag after 'M' at offset 1"},
        {"M ;", "expected a control flag after 'M' at offset 2"},
        {"M mandatory;",
         "control flag 'mandatory' is not required, requisite, sufficient or optional at offset 2"},
        {"M required k;", "expected '=' after option 'k' at offset 12"},
        {"M required k=;", "value not specified for option 'k' at offset 13"},
        {"M required k=\"v;", "unterminated quoted string at offset 13"},
        {"M required k=\"v\nw\";", "unterminated quoted string at offset 13"},
        {"M required k=\"v\\", "unterminated quoted string at offset 13"},
        {"M required /* open", "unterminated /* comment at offset 11"},
        {"M required k=v k=w;", "option 'k' given twice at offset 15"},
        {"M required k=v = ;", "expected an option name or ';' at offset 15"},
        {"\"M\" required;", "expected a login module class name at offset 0"},
        {"M required k=v;;", "expected a login module class name at offset 15"},
        {std::string("M required k=v\x01;"), "unexpected character '\\x01' at offset 14"},
        {"M required k=(v);", "unexpected character '(' at offset 13"},
        {"M required \"a\\nb\";", "expected '=' after option 'a\\x0ab' at offset 17"},
        {"M required \"\"=v;", "empty option name at offset 11"},
    };
    for (const auto& c : cases) {
        CAPTURE(c.first);
        auto r = parse_jaas_config(c.first);
        REQUIRE(!r.ok());
        CHECK(r.error() == c.second);
        CHECK(r.error().find('\n') == std::string::npos);
    }
    CHECK(parse_jaas_config(std::string(limits::jaas_config_bytes_max + 1, ' ')).error() ==
          "JAAS config of 1048577 bytes (at most 1048576)");
}

TEST_SUITE_END();
