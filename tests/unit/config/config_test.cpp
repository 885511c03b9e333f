// Broker configuration: properties parsing, defaults, overrides, validation errors as one line.
#include <doctest/doctest.h>

#include "services/config/config.h"

using namespace eddy::config;

TEST_CASE("properties text: comments, separators, continuations") {
    auto r = parse_properties(
        "# a comment\n! another\n\nnode.id=3\nlog.dirs : /var/eddy\nlisteners=PLAINTEXT://a:1,\\\n"
        "   CONTROLLER://a:2\n");
    REQUIRE(r.ok());
    REQUIRE(r->size() == 3);
    CHECK((*r)[0] == std::pair<std::string, std::string>{"node.id", "3"});
    CHECK((*r)[1].second == "/var/eddy");
    CHECK((*r)[2].second == "PLAINTEXT://a:1,CONTROLLER://a:2");
    auto bad = parse_properties("node.id=1\njust words\n");
    REQUIRE(!bad.ok());
    CHECK(bad.error() == "line 2: expected key=value, got 'just words'");
}

TEST_CASE("defaults give the single-node broker") {
    auto c = BrokerConfig::load({}, {});
    REQUIRE(c.ok());
    CHECK(c->node_id() == 1);
    CHECK(c->log_dir() == "./eddy-data");
    REQUIRE(c->listeners().size() == 2);
    CHECK(c->listeners()[0].port == 9092);
    REQUIRE(c->advertised_listeners().size() == 1);
    CHECK(c->advertised_listeners()[0].name == "PLAINTEXT");
    CHECK(c->get_int("log.retention.ms") == 168LL * 3600 * 1000);
    CHECK(c->get_bool("auto.create.topics.enable"));
    CHECK(!c->is_set("node.id"));
}

TEST_CASE("overrides beat the file; derived retention follows Kafka's precedence") {
    auto c = BrokerConfig::load({{"node.id", "2"}, {"log.retention.minutes", "5"}},
                                {{"node.id", "7"}});
    REQUIRE(c.ok());
    CHECK(c->node_id() == 7);
    CHECK(c->is_set("node.id"));
    CHECK(c->get_int("log.retention.ms") == 5 * 60 * 1000);
}

TEST_CASE("invalid configuration is one clear line") {
    CHECK(BrokerConfig::load({{"no.such.key", "1"}}, {}).error() ==
          "config file: unknown configuration key 'no.such.key'");
    CHECK(BrokerConfig::load({}, {{"num.partitions", "zero"}}).error() ==
          "--override: num.partitions: expected an integer, got 'zero'");
    CHECK(BrokerConfig::load({}, {{"num.partitions", "0"}}).error() ==
          "--override: num.partitions: 0 is out of range [1, 2147483647]");
    CHECK(BrokerConfig::load({}, {{"log.cleanup.policy", "shred"}}).error() ==
          "--override: log.cleanup.policy: unknown cleanup policy 'shred'");
    CHECK(BrokerConfig::load({}, {{"listeners", "PLAINTEXT://0.0.0.0:9092"}}).error().find(
              "advertised.listeners") != std::string::npos);
    CHECK(BrokerConfig::load({}, {{"listeners", "nonsense"}}).error() ==
          "listeners: expected NAME://host:port, got 'nonsense'");
}

TEST_CASE("what one PLAINTEXT node cannot honour is refused, never served differently") {
    CHECK(BrokerConfig::load({}, {{"listeners", "SSL://127.0.0.1:0"}}).error() ==
          "listeners: SSL uses security protocol SSL, which Eddy does not support yet (PLAINTEXT "
          "only)");
    CHECK(BrokerConfig::load(
              {}, {{"listeners", "PLAINTEXT://127.0.0.1:0,EXT://127.0.0.1:1"},
                   {"listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,EXT:SASL_SSL"}})
              .error() ==
          "listeners: EXT uses security protocol SASL_SSL, which Eddy does not support yet "
          "(PLAINTEXT only)");
    CHECK(BrokerConfig::load({}, {{"listeners", "INTERNAL://127.0.0.1:0"}}).error() ==
          "listeners: no security protocol for listener INTERNAL in "
          "listener.security.protocol.map");
    CHECK(BrokerConfig::load({}, {{"listener.security.protocol.map", "PLAINTEXT:TLS"}}).error() ==
          "listener.security.protocol.map: unknown security protocol 'TLS'");
    CHECK(BrokerConfig::load({}, {{"default.replication.factor", "3"}}).error() ==
          "default.replication.factor is 3, but an Eddy cluster has one broker (set it to 1)");
    CHECK(
        BrokerConfig::load({}, {{"offsets.topic.replication.factor", "2"}}).error() ==
        "offsets.topic.replication.factor is 2, but an Eddy cluster has one broker (set it to 1)");
    // A PLAINTEXT listener under any name (names are case-insensitive, as in Kafka) is fine.
    CHECK(BrokerConfig::load(
              {}, {{"listeners", "internal://127.0.0.1:0,CONTROLLER://127.0.0.1:1"},
                   {"listener.security.protocol.map", "INTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT"}})
              .ok());
}
