// Configuration from environment variables (runtime/env_config.h): the names Kafka's container
// image maps (`_` `.`, `__` `_`, `___` `-`, lower case), KAFKA_ and EDDY_ in that order so EDDY_
// wins, variables that name no key reported, Kafka's image's own variables skipped, and the
// precedence of the layers when BrokerConfig::load applies them (file < environment < override).
#include "runtime/env_config.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace eddy {
namespace {

TEST_CASE("environment names: Kafka's image's mapping") {
    CHECK(config_key_from_env_name("KAFKA_LOG_DIRS") == "log.dirs");
    CHECK(config_key_from_env_name("EDDY_LOG_DIRS") == "log.dirs");
    CHECK(config_key_from_env_name("KAFKA_ABC__DEF") == "abc_def");
    CHECK(config_key_from_env_name("KAFKA_ABC___DEF") == "abc-def");
    CHECK(config_key_from_env_name("EDDY_LISTENER_NAME_INTERNAL_SSL_KEYSTORE_LOCATION") ==
          "listener.name.internal.ssl.keystore.location");
    CHECK(config_key_from_env_name("EDDY_Num_Partitions") == "num.partitions");
    // Not ours, or malformed: no key.
    CHECK_FALSE(config_key_from_env_name("LOG_DIRS").has_value());
    CHECK_FALSE(config_key_from_env_name("KAFKA_").has_value());
    CHECK_FALSE(config_key_from_env_name("EDDY__LOG").has_value());
    CHECK_FALSE(config_key_from_env_name("EDDY_LOG_").has_value());
    CHECK_FALSE(config_key_from_env_name("EDDY_A____B").has_value());
    CHECK_FALSE(config_key_from_env_name("kafka_log_dirs").has_value());
}

TEST_CASE("environment: one source per variable, EDDY_ after KAFKA_, unknown names reported") {
    const EnvConfig c = config_from_environment({
        "PATH=/usr/bin",
        "EDDY_NUM_PARTITIONS=4",
        "KAFKA_NUM_PARTITIONS=3",
        "KAFKA_LOG_DIRS=/data=with=equals",
        "KAFKA_HEAP_OPTS=-Xmx1G",       // Kafka's image's own: skipped silently
        "EDDY_BROKERS=127.0.0.1:9092",  // the client commands' own: skipped silently
        "EDDY_SERVICE_HOST=10.0.0.1",   // a Kubernetes service link: reported
        "EDDY_A____B=1",                // malformed: reported
        "NO_EQUALS_SIGN",
    });
    REQUIRE(c.sources.size() == 3);
    CHECK(c.sources[0].origin == "environment variable KAFKA_LOG_DIRS");
    CHECK(c.sources[0].pairs ==
          std::vector<std::pair<std::string, std::string>>{{"log.dirs", "/data=with=equals"}});
    CHECK(c.sources[1].origin == "environment variable KAFKA_NUM_PARTITIONS");
    CHECK(c.sources[2].origin == "environment variable EDDY_NUM_PARTITIONS");
    CHECK(c.ignored == std::vector<std::string>{"EDDY_A____B (not a key name)",
                                                "EDDY_SERVICE_HOST (service.host)"});
}

TEST_CASE("environment between the file and the overrides; errors name the variable") {
    auto env =
        config_from_environment({"EDDY_NUM_PARTITIONS=4", "KAFKA_NUM_PARTITIONS=3",
                                 "KAFKA_LOG_RETENTION_MS=5000", "EDDY_MESSAGE_MAX_BYTES=2000000"});
    std::vector<config::ConfigSource> sources = {
        {"config file", {{"num.partitions", "2"}, {"log.retention.ms", "1000"}}}};
    sources.insert(sources.end(), env.sources.begin(), env.sources.end());
    sources.push_back({"--override", {{"message.max.bytes", "3000000"}}});
    auto c = config::BrokerConfig::load(sources);
    REQUIRE(c.ok());
    CHECK(c->get_int("num.partitions") == 4);
    CHECK(c->get_int("log.retention.ms") == 5000);
    CHECK(c->get_int("message.max.bytes") == 3000000);
    CHECK(c->is_set("num.partitions"));

    auto bad = config_from_environment({"EDDY_NUM_PARTITIONS=zero"});
    CHECK(config::BrokerConfig::load(bad.sources).error() ==
          "environment variable EDDY_NUM_PARTITIONS: num.partitions: expected an integer, got "
          "'zero'");
}

}  // namespace
}  // namespace eddy
