// Broker configuration: properties parsing, defaults, overrides, validation errors as one line.
#include "services/config/config.h"

#include <doctest/doctest.h>

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
                                {{"node.id", "7"}, {"controller.quorum.voters", "7@h:9093"}});
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
    CHECK(BrokerConfig::load({}, {{"listeners", "PLAINTEXT://0.0.0.0:9092"}})
              .error()
              .find("advertised.listeners") != std::string::npos);
    CHECK(BrokerConfig::load({}, {{"listeners", "nonsense"}}).error() ==
          "listeners: expected NAME://host:port, got 'nonsense'");
}

TEST_CASE("what this build cannot honour is refused, never served differently") {
    // SASL client listeners are served.
    CHECK(BrokerConfig::load(
              {}, {{"listeners",
                    "PLAINTEXT://127.0.0.1:0,EXT://127.0.0.1:1,CONTROLLER://127.0.0.1:2"},
                   {"listener.security.protocol.map",
                    "PLAINTEXT:PLAINTEXT,EXT:SASL_SSL,CONTROLLER:PLAINTEXT"},
                   {"sasl.enabled.mechanisms", "PLAIN,SCRAM-SHA-512"}})
              .ok());
    // Kafka's default mechanism, GSSAPI, is refused before anything touches the disk.
    CHECK(BrokerConfig::load(
              {}, {{"listeners",
                    "PLAINTEXT://127.0.0.1:0,EXT://127.0.0.1:1,CONTROLLER://127.0.0.1:2"},
                   {"listener.security.protocol.map",
                    "PLAINTEXT:PLAINTEXT,EXT:SASL_SSL,CONTROLLER:PLAINTEXT"}})
              .error() == "listener EXT: sasl.enabled.mechanisms: unsupported mechanism 'GSSAPI' "
                          "(Eddy serves PLAIN, SCRAM-SHA-256, SCRAM-SHA-512)");
    CHECK(BrokerConfig::load({}, {{"listeners", "INTERNAL://127.0.0.1:0"}}).error() ==
          "listeners: no security protocol for listener INTERNAL in "
          "listener.security.protocol.map");
    CHECK(BrokerConfig::load({}, {{"listener.security.protocol.map", "PLAINTEXT:TLS"}}).error() ==
          "listener.security.protocol.map: unknown security protocol 'TLS'");
    // Replication factors above the broker count are checked where topics are created
    // (INVALID_REPLICATION_FACTOR; __consumer_offsets is capped at the live brokers).
    CHECK(BrokerConfig::load({}, {{"default.replication.factor", "3"}}).ok());
    CHECK(BrokerConfig::load({}, {{"offsets.topic.replication.factor", "2"}}).ok());
    // A PLAINTEXT listener under any name (names are case-insensitive, as in Kafka) is fine.
    CHECK(BrokerConfig::load(
              {}, {{"listeners", "internal://127.0.0.1:0,CONTROLLER://127.0.0.1:1"},
                   {"listener.security.protocol.map", "INTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT"}})
              .ok());
}

namespace {

// A node whose client listener is SASL_SSL and whose controller listener is `controller`
// (a protocol), with PLAIN enabled on both and `extra` on top.
eddy::Result<BrokerConfig, std::string> secure_node(
    const std::string& controller, std::vector<std::pair<std::string, std::string>> extra) {
    std::vector<std::pair<std::string, std::string>> kv = {
        {"listeners", "BROKER://127.0.0.1:1,CONTROLLER://127.0.0.1:2"},
        {"listener.security.protocol.map", "BROKER:SASL_SSL,CONTROLLER:" + controller},
        {"inter.broker.listener.name", "BROKER"},
        {"sasl.enabled.mechanisms", "PLAIN,SCRAM-SHA-512"}};
    kv.insert(kv.end(), extra.begin(), extra.end());
    return BrokerConfig::load(kv, {});
}

}  // namespace

TEST_CASE("inter-broker and controller connections: mechanism and login from Kafka's keys") {
    const std::string broker_jaas =
        "org.apache.kafka.common.security.plain.PlainLoginModule required "
        "username=\"broker\" password=\"broker-pw\" user_broker=\"broker-pw\";";
    const std::string scram_jaas =
        "org.apache.kafka.common.security.scram.ScramLoginModule required "
        "username=\"repl\" password=\"repl-pw\";";
    auto c = secure_node("SASL_PLAINTEXT",
                         {{"sasl.mechanism.inter.broker.protocol", "SCRAM-SHA-512"},
                          {"sasl.mechanism.controller.protocol", "PLAIN"},
                          {"listener.name.controller.sasl.enabled.mechanisms", "PLAIN"},
                          {"listener.name.broker.scram-sha-512.sasl.jaas.config", scram_jaas},
                          {"sasl.jaas.config", broker_jaas}});
    REQUIRE(c.ok());
    auto inter = c->inter_broker_client();
    REQUIRE(inter.ok());
    CHECK(inter->listener == "BROKER");
    CHECK(inter->protocol == SecurityProtocol::sasl_ssl);
    REQUIRE(inter->sasl.has_value());
    CHECK(inter->sasl->mechanism == eddy::security::SaslMechanism::scram_sha_512);
    CHECK(inter->sasl->username == "repl");  // the per-listener, per-mechanism line
    CHECK(inter->sasl->password == "repl-pw");
    auto ctl = c->controller_client();
    REQUIRE(ctl.ok());
    CHECK(ctl->listener == "CONTROLLER");
    CHECK(ctl->protocol == SecurityProtocol::sasl_plaintext);
    REQUIRE(ctl->sasl.has_value());
    CHECK(ctl->sasl->mechanism == eddy::security::SaslMechanism::plain);
    CHECK(ctl->sasl->username == "broker");  // the broker-wide line
    CHECK(ctl->sasl->password == "broker-pw");

    // A PLAINTEXT or SSL listener needs no login.
    auto plain = secure_node("SSL", {{"sasl.mechanism.inter.broker.protocol", "PLAIN"},
                                     {"sasl.jaas.config", broker_jaas}});
    REQUIRE(plain.ok());
    CHECK(plain->controller_client()->protocol == SecurityProtocol::ssl);
    CHECK_FALSE(plain->controller_client()->sasl.has_value());

    // Kafka's default mechanism, GSSAPI, is refused at start with the key to set.
    CHECK(secure_node("PLAINTEXT", {{"sasl.jaas.config", broker_jaas}}).error() ==
          "listener BROKER uses SASL_SSL: sasl.mechanism.inter.broker.protocol is 'GSSAPI'; "
          "Eddy's nodes authenticate with PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512");
    CHECK(secure_node("SASL_SSL", {{"sasl.mechanism.inter.broker.protocol", "PLAIN"},
                                   {"sasl.jaas.config", broker_jaas}})
              .error() ==
          "listener CONTROLLER uses SASL_SSL: sasl.mechanism.controller.protocol is 'GSSAPI'; "
          "Eddy's nodes authenticate with PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512");
    // A mechanism the listener does not enable.
    CHECK(secure_node("PLAINTEXT", {{"sasl.mechanism.inter.broker.protocol", "SCRAM-SHA-256"},
                                    {"sasl.jaas.config", broker_jaas}})
              .error() ==
          "listener BROKER uses SASL_SSL: sasl.mechanism.inter.broker.protocol SCRAM-SHA-256 is "
          "not in the listener's sasl.enabled.mechanisms");
    // No JAAS line, or one without this node's own username / password.
    CHECK(secure_node("PLAINTEXT", {{"sasl.mechanism.inter.broker.protocol", "PLAIN"}}).error() ==
          "listener BROKER uses SASL_SSL: listener.name.broker.plain.sasl.jaas.config: no JAAS "
          "line (sasl.jaas.config) with this node's username and password");
    CHECK(secure_node("PLAINTEXT",
                      {{"sasl.mechanism.inter.broker.protocol", "PLAIN"},
                       {"sasl.jaas.config",
                        "org.apache.kafka.common.security.plain.PlainLoginModule required "
                        "user_broker=\"pw\";"}})
              .error() ==
          "listener BROKER uses SASL_SSL: listener.name.broker.plain.sasl.jaas.config: the JAAS "
          "line (org.apache.kafka.common.security.plain.PlainLoginModule) has no username=\"…\" "
          "for this node's own login");
    CHECK(secure_node("PLAINTEXT",
                      {{"sasl.mechanism.inter.broker.protocol", "PLAIN"},
                       {"sasl.jaas.config",
                        "org.apache.kafka.common.security.plain.PlainLoginModule required "
                        "username=\"broker\" password=\"\";"}})
              .error()
              .find("has no password=") != std::string::npos);
    // A broker-only node dials the controllers' listener without serving it: its protocol still
    // comes from the map, and its login is checked all the same.
    auto broker_only = BrokerConfig::load(
        {{"process.roles", "broker"},
         {"node.id", "4"},
         {"controller.quorum.voters", "1@127.0.0.1:2"},
         {"listeners", "BROKER://127.0.0.1:1"},
         {"listener.security.protocol.map", "BROKER:PLAINTEXT,CONTROLLER:SASL_SSL"},
         {"sasl.mechanism.controller.protocol", "SCRAM-SHA-256"},
         {"listener.name.controller.sasl.jaas.config", scram_jaas}},
        {});
    REQUIRE(broker_only.ok());
    CHECK(broker_only->controller_client()->sasl->username == "repl");
    CHECK(BrokerConfig::load({{"process.roles", "broker"},
                              {"node.id", "4"},
                              {"controller.quorum.voters", "1@127.0.0.1:2"},
                              {"listeners", "BROKER://127.0.0.1:1"},
                              {"listener.security.protocol.map", "BROKER:PLAINTEXT"}},
                             {})
              .error() ==
          "listener CONTROLLER: no security protocol in listener.security.protocol.map");
}

TEST_CASE("SASL listeners: per-listener and per-mechanism sasl keys, JAAS lines are sensitive") {
    auto c = BrokerConfig::load(
        {{"listeners", "PLAINTEXT://127.0.0.1:0,Ext://127.0.0.1:0,CONTROLLER://127.0.0.1:1"},
         {"listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,EXT:SASL_SSL,CONTROLLER:PLAINTEXT"},
         {"sasl.enabled.mechanisms", "SCRAM-SHA-256"},
         {"sasl.jaas.config", "broker-wide"},
         {"listener.name.EXT.sasl.enabled.mechanisms", "PLAIN,SCRAM-SHA-512"},
         {"listener.name.ext.plain.sasl.jaas.config", "for plain"}},
        {});
    REQUIRE(c.ok());
    CHECK(c->listener_sasl("Ext", "sasl.enabled.mechanisms") == "PLAIN,SCRAM-SHA-512");
    CHECK(c->listener_sasl("PLAINTEXT", "sasl.enabled.mechanisms") == "SCRAM-SHA-256");
    CHECK(c->listener_sasl("EXT", "sasl.server.max.receive.size") == "524288");
    CHECK(c->listener_sasl_jaas("EXT", "PLAIN") == "for plain");
    CHECK(c->listener_sasl_jaas("EXT", "SCRAM-SHA-512") == "broker-wide");
    CHECK(is_sensitive("sasl.jaas.config"));
    CHECK(is_sensitive("listener.name.ext.plain.sasl.jaas.config"));
    CHECK_FALSE(is_sensitive("sasl.enabled.mechanisms"));
    CHECK(BrokerConfig::load({}, {{"listener.name.x.sasl.server.max.receive.size", "0"}})
              .error()
              .find("sasl.server.max.receive.size") != std::string::npos);
    CHECK_FALSE(BrokerConfig::load({}, {{"listener.name.x.a.b.sasl.jaas.config", "x"}}).ok());
}

TEST_CASE("SSL listeners: security protocols, per-listener ssl.* overrides, sensitive keys") {
    auto c = BrokerConfig::load(
        {{"listeners",
          "PLAINTEXT://127.0.0.1:0,SSL://127.0.0.1:0,Mtls://127.0.0.1:0,CONTROLLER://127.0.0.1:1"},
         {"listener.security.protocol.map",
          "PLAINTEXT:PLAINTEXT,SSL:SSL,MTLS:SSL,CONTROLLER:PLAINTEXT"},
         {"ssl.keystore.location", "/etc/eddy/ks.pem"},
         {"ssl.key.password", "pw"},
         {"listener.name.MTLS.ssl.client.auth", "required"}},
        {{"listener.name.mtls.ssl.keystore.location", "/etc/eddy/mtls.pem"}});
    REQUIRE(c.ok());
    CHECK(c->security_protocol("PLAINTEXT") == SecurityProtocol::plaintext);
    CHECK(c->security_protocol("SSL") == SecurityProtocol::ssl);
    CHECK(c->security_protocol("mtls") == SecurityProtocol::ssl);  // case-insensitive
    const auto ssl = c->listener_ssl("SSL");
    CHECK(ssl.at("ssl.keystore.location") == "/etc/eddy/ks.pem");
    CHECK(ssl.at("ssl.client.auth") == "none");
    CHECK(ssl.at("ssl.enabled.protocols") == "TLSv1.2,TLSv1.3");
    const auto mtls = c->listener_ssl("Mtls");
    CHECK(mtls.at("ssl.keystore.location") == "/etc/eddy/mtls.pem");
    CHECK(mtls.at("ssl.client.auth") == "required");
    CHECK(mtls.at("ssl.key.password") == "pw");
    // inter.broker.listener.name (PLAINTEXT by default) names a configured listener.
    CHECK(c->inter_broker_listener() == "PLAINTEXT");
    CHECK(is_sensitive("ssl.key.password"));
    CHECK(is_sensitive("listener.name.mtls.ssl.keystore.password"));
    CHECK_FALSE(is_sensitive("ssl.keystore.location"));

    // A per-listener key is checked as the key it overrides.
    CHECK(BrokerConfig::load({}, {{"listener.name.ssl.ssl.client.auth", "maybe"}}).error() ==
          "--override: ssl.client.auth: expected one of none, requested, required, got 'maybe'");
    CHECK(BrokerConfig::load({}, {{"listener.name.ssl.no.such.key", "1"}})
              .error()
              .find("unknown configuration key 'listener.name.ssl.no.such.key'") !=
          std::string::npos);
    CHECK_FALSE(BrokerConfig::load({}, {{"ssl.keystore.type", "JKS"}}).ok());
    // No PLAINTEXT listener: the first client listener carries replication.
    auto only_ssl =
        BrokerConfig::load({}, {{"listeners", "SSL://127.0.0.1:0,CONTROLLER://127.0.0.1:1"}});
    REQUIRE(only_ssl.ok());
    CHECK(only_ssl->inter_broker_listener() == "SSL");
}

TEST_CASE("quorum keys: Kafka's defaults") {
    auto c = BrokerConfig::load({}, {});
    REQUIRE(c.ok());
    CHECK(c->get_int("controller.quorum.election.timeout.ms") == 1000);
    CHECK(c->get_int("controller.quorum.fetch.timeout.ms") == 2000);
    CHECK(c->get_int("controller.quorum.election.backoff.max.ms") == 1000);
    CHECK(c->get_int("controller.quorum.request.timeout.ms") == 2000);
    CHECK(c->get_int("broker.session.timeout.ms") == 9000);
    CHECK(c->get_int("broker.heartbeat.interval.ms") == 2000);
    CHECK(c->get("broker.rack").empty());
    CHECK(!c->is_set("broker.rack"));
    CHECK(c->has_role("broker"));
    CHECK(c->has_role("controller"));
    REQUIRE(c->quorum_voters().size() == 1);
    CHECK(c->quorum_voters()[0] == QuorumVoter{1, "127.0.0.1", 9093});
    CHECK(BrokerConfig::load({}, {{"controller.quorum.fetch.timeout.ms", "0"}}).error() ==
          "--override: controller.quorum.fetch.timeout.ms: 0 is out of range [1, 2147483647]");
}

TEST_CASE("controller.quorum.voters parses as id@host:port and normalizes") {
    auto v = parse_quorum_voters(" 3@Node-C.example:9093, 1@[::1]:9094 ,2@10.0.0.2:19093");
    REQUIRE(v.ok());
    REQUIRE(v->size() == 3);
    CHECK((*v)[0] == QuorumVoter{3, "node-c.example", 9093});
    CHECK((*v)[1] == QuorumVoter{1, "::1", 9094});
    CHECK(normalized_quorum_voters(*v) == "1@[::1]:9094,2@10.0.0.2:19093,3@node-c.example:9093");
    const char* bad[][2] = {
        {"", "controller.quorum.voters: at least one voter (id@host:port) is required"},
        {"1@h", "controller.quorum.voters: expected id@host:port, got '1@h'"},
        {"h:9093", "controller.quorum.voters: expected id@host:port, got 'h:9093'"},
        {"x@h:9093", "controller.quorum.voters: bad node id in 'x@h:9093'"},
        {"-1@h:9093", "controller.quorum.voters: bad node id in '-1@h:9093'"},
        {"1@:9093", "controller.quorum.voters: missing host in '1@:9093'"},
        {"1@h:0", "controller.quorum.voters: bad port in '1@h:0'"},
        {"1@h:99999", "controller.quorum.voters: bad port in '1@h:99999'"},
        {"1@h:1,1@g:2", "controller.quorum.voters: node id 1 appears twice"},
    };
    for (const auto& entry : bad) {
        const auto& text = entry[0];  // clang 14 cannot capture structured bindings
        const auto& why = entry[1];
        CAPTURE(text);
        auto r = parse_quorum_voters(text);
        REQUIRE(!r.ok());
        CHECK(r.error() == why);
        // And load() says the same.
        CHECK(BrokerConfig::load({}, {{"controller.quorum.voters", text}}).error() == why);
    }
}

TEST_CASE("roles and voters must agree, as in Kafka") {
    const std::pair<std::string, std::string> three = {"controller.quorum.voters",
                                                       "1@a:9093,2@b:9093,3@c:9093"};
    // Several voters: node.id is required.
    CHECK(BrokerConfig::load({three}, {}).error() ==
          "node.id: required when controller.quorum.voters lists more than one voter (each node "
          "sets its own)");
    CHECK(BrokerConfig::load({three}, {{"node.id", "2"}}).ok());
    // A controller must be a voter, with a controller listener.
    CHECK(BrokerConfig::load({three}, {{"node.id", "4"}}).error() ==
          "node.id 4 has the controller role but is not among controller.quorum.voters (1, 2, 3)");
    CHECK(BrokerConfig::load({three}, {{"node.id", "2"}, {"listeners", "PLAINTEXT://h:9092"}})
              .error() ==
          "listeners: the controller role needs a listener named in controller.listener.names "
          "(CONTROLLER)");
    // A broker-only node is neither a voter nor on a controller listener.
    const std::pair<std::string, std::string> broker = {"process.roles", "broker"};
    const std::pair<std::string, std::string> plain = {"listeners", "PLAINTEXT://h:9092"};
    CHECK(BrokerConfig::load({three, broker, plain}, {{"node.id", "4"}}).ok());
    CHECK(BrokerConfig::load({three, broker, plain}, {{"node.id", "3"}}).error() ==
          "node.id 3 is among controller.quorum.voters but process.roles has no controller");
    CHECK(BrokerConfig::load({three, broker}, {{"node.id", "4"}}).error() ==
          "listeners: a broker-only node must not listen on a controller listener "
          "(controller.listener.names=CONTROLLER)");
    // A controller-only node needs no client listener.
    auto controller = BrokerConfig::load(
        {three, {"process.roles", "controller"}, {"listeners", "CONTROLLER://c:9093"}},
        {{"node.id", "3"}});
    REQUIRE(controller.ok());
    CHECK(!controller->has_role("broker"));
}
