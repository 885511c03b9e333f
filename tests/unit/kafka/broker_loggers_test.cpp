// BROKER_LOGGER configs (KIP-412): what DescribeConfigs lists and how IncrementalAlterConfigs
// changes the levels, all or none per resource. The broker's handling over the wire is
// tests/integration/test_logging.py's.
#include <doctest/doctest.h>

#include "services/kafka/broker_loggers.h"
#include "services/kafka/errors.h"

namespace eddy::kafka {
namespace {

using Config = protocol::IncrementalAlterConfigsRequest::AlterableConfig;

Config op(std::string name, int8_t operation, std::optional<std::string> value = std::nullopt) {
    Config c;
    c.name_ = std::move(name);
    c.config_operation_ = operation;
    c.value_ = std::move(value);
    return c;
}

TEST_CASE("broker loggers: root then every component, with the level each logs at") {
    auto levels = parse_log_levels("warn,raft=debug");
    REQUIRE(levels.ok());
    const auto entries = describe_broker_loggers(*levels);
    REQUIRE(entries.size() == 1 + std::size(log_components));
    CHECK(entries[0].name == "root");
    CHECK(entries[0].value == "WARN");
    for (const auto& e : entries) {
        CHECK(e.source == config_source::dynamic_broker_logger);
        CHECK(e.value == (e.name == "raft" ? "DEBUG" : "WARN"));
    }
}

TEST_CASE("broker loggers: SET and DELETE apply together, or nothing does") {
    LogLevels levels(LogLevel::info);
    auto r = alter_broker_loggers(levels, {op("Raft", 0, "debug"), op("root", 0, "WARN"),
                                           op("kafka", 0, "TRACE")});
    CHECK(r.error_code == error::none);
    CHECK(levels.to_string() == "warn,raft=debug,kafka=debug");

    r = alter_broker_loggers(levels, {op("raft", 1)});  // back to root's level
    CHECK(r.error_code == error::none);
    CHECK(levels.to_string() == "warn,kafka=debug");

    const std::string before = levels.to_string();
    for (const auto& bad : std::vector<std::vector<Config>>{
             {op("kafka", 0, "error"), op("kafkaa", 0, "debug")},  // an unknown logger
             {op("raft", 0, "loud")},                              // an unknown level
             {op("raft", 0, std::nullopt)},                        // SET without a value
             {op("root", 1)},                                      // root stays
             {op("raft", 2, "debug")}}) {                          // APPEND
        r = alter_broker_loggers(levels, bad);
        CHECK(r.error_code != error::none);
        CHECK(r.error_message.has_value());
        CHECK(levels.to_string() == before);
    }
    CHECK(alter_broker_loggers(levels, {op("raft", 3, "x")}).error_code == error::invalid_request);
    CHECK(alter_broker_loggers(levels, {op("x", 0, "info")}).error_code == error::invalid_config);
}

}  // namespace
}  // namespace eddy::kafka
