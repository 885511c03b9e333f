// Logger: level specs, per-component levels, the text and JSON line formats, and the escaping
// that keeps one event on one line whatever a client put in a message. The compile-time format
// check is tested by tests/compile/log_format_check.sh (a mismatch must not compile).
#include "core/env/log.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "core/base/json_text.h"

namespace eddy {
namespace {

// Where the call is written decides the component (this file: tests/unit/core/ is "core").
static_assert(log_detail::component_of("services/raft/quorum_driver.cpp") == "raft");
static_assert(log_detail::component_of("/work/main/services/kafka/broker.cpp") == "kafka");
static_assert(log_detail::component_of("/srv/services/weird/eddy/core/env/env.cpp") == "core");
static_assert(log_detail::component_of("tests/unit/services/http_server_test.cpp") == "test");
static_assert(log_detail::component_of("runtime/main/broker_cmd.cpp") == "runtime");
static_assert(log_detail::component_of("net-posix/tls_connection.cpp") == "runtime");
static_assert(log_detail::component_of("/home/tests/eddy/runtime/posix_env.cpp") == "runtime");
static_assert(log_detail::component_of("scenarios/admin_metrics.cpp") == "scenario");
static_assert(log_detail::component_of("sim/world.cpp") == "sim");

class FixedClock final : public Clock {
public:
    Instant now() const override { return Instant::from_nanos(0); }
    WallTime wall_now() const override { return WallTime::from_millis(1'764'931'989'123); }
};

class CaptureSink final : public LogSink {
public:
    void write(LogLevel level, std::string_view line) override {
        levels.push_back(level);
        lines.emplace_back(line);
    }
    std::vector<LogLevel> levels;
    std::vector<std::string> lines;
};

LogLevels levels_of(std::string_view spec) {
    auto r = parse_log_levels(spec);
    REQUIRE_MESSAGE(r.ok(), r.error());
    return std::move(r).value();
}

TEST_CASE("log level specs: a level for all, overrides per component, clear refusals") {
    CHECK(levels_of("warn").base == LogLevel::warn);
    CHECK(levels_of("warn").overrides.empty());

    const LogLevels l = levels_of(" info , RAFT=Debug,http=error ");
    CHECK(l.base == LogLevel::info);
    CHECK(l.at("raft") == LogLevel::debug);
    CHECK(l.at("http") == LogLevel::error);
    CHECK(l.at("kafka") == LogLevel::info);
    CHECK(l.lowest() == LogLevel::debug);
    CHECK(l.to_string() == "info,raft=debug,http=error");
    CHECK(levels_of(l.to_string()).to_string() == l.to_string());

    // Overrides alone keep the base; the last word on a component wins; Kafka's level names too.
    CHECK(levels_of("kafka=debug").base == LogLevel::info);
    CHECK(levels_of("kafka=debug,kafka=warn").at("kafka") == LogLevel::warn);
    CHECK(levels_of("TRACE").base == LogLevel::debug);
    CHECK(levels_of("WARNING").base == LogLevel::warn);
    CHECK(levels_of("off").lowest() == LogLevel::off);

    for (const char* bad : {"", "loud", "info,", ",info", "info,warn", "raft=", "kafkaa=debug",
                            "=debug", "info;raft=debug"}) {
        CAPTURE(bad);
        const auto r = parse_log_levels(bad);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().find("log level '") == 0);
    }
    CHECK(parse_log_levels("kafkaa=debug").error().find("components: admin, client") !=
          std::string::npos);
}

TEST_CASE("text lines: time, level, node, component, message; levels per component") {
    FixedClock clock;
    CaptureSink sink;
    Logger log(clock, sink, "node-1", levels_of("warn,core=debug"));

    log.debug("offset %lld of %s", static_cast<long long>(42), "t-0");
    REQUIRE(sink.lines.size() == 1);
    CHECK(sink.lines[0] == "2025-12-05T10:53:09.123Z DEBUG [node-1] core: offset 42 of t-0");
    CHECK(sink.levels[0] == LogLevel::debug);

    log.write(LogLevel::info, "raft", "not shown: raft logs at warn");
    log.write(LogLevel::warn, "raft", "shown");
    CHECK(sink.lines.size() == 2);
    CHECK(sink.lines.back() == "2025-12-05T10:53:09.123Z WARN  [node-1] raft: shown");

    CHECK(log.enabled(LogLevel::debug));  // core may
    CHECK_FALSE(log.enabled(LogLevel::debug, "raft"));
    log.set_levels(levels_of("debug,core=error"));
    log.warn("not shown: core logs at error");
    log.error("shown %d", 1);
    CHECK(sink.lines.size() == 3);
    log.set_level(LogLevel::off);
    log.error("nothing at off");
    log.write(LogLevel::error, "kafka", "nothing at off");
    CHECK(sink.lines.size() == 3);
    CHECK_FALSE(log.enabled(LogLevel::error));
}

TEST_CASE("one event, one line: control characters a client sent are escaped") {
    FixedClock clock;
    CaptureSink sink;
    Logger log(clock, sink, "n");
    log.warn("client id '%s'", "evil\nFAKE 2025 ERROR [n] core: forged\r\x1b[31m\ttab\x7f");
    REQUIRE(sink.lines.size() == 1);
    CHECK(sink.lines[0] ==
          "2025-12-05T10:53:09.123Z WARN  [n] core: client id "
          "'evil\\nFAKE 2025 ERROR [n] core: forged\\r\\x1b[31m\ttab\\x7f'");
    CHECK(sink.lines[0].find('\n') == std::string::npos);
}

TEST_CASE("JSON lines: the same fields, valid JSON whatever the message holds") {
    FixedClock clock;
    CaptureSink sink;
    Logger log(clock, sink, "node-\"2\"", LogLevel::info, LogFormat::json);
    log.info("topic %s: \"%s\" \\ %d", "t", "q\n", 7);
    REQUIRE(sink.lines.size() == 1);
    CHECK(sink.lines[0] ==
          "{\"time\":\"2025-12-05T10:53:09.123Z\",\"level\":\"info\",\"node\":\"node-\\\"2\\\"\","
          "\"component\":\"core\",\"message\":\"topic t: \\\"q\\n\\\" \\\\ 7\"}");
    log.write(LogLevel::error, "kafka", std::string("bad \xff\xfe utf-8 \xc3\xa9", 15));
    CHECK(sink.lines.back() ==
          "{\"time\":\"2025-12-05T10:53:09.123Z\",\"level\":\"error\",\"node\":\"node-\\\"2\\\"\","
          "\"component\":\"kafka\",\"message\":\"bad \\ufffd\\ufffd utf-8 \xc3\xa9\"}");
}

TEST_CASE("append_json_string: escapes, UTF-8 kept, anything else replaced") {
    const auto js = [](std::string_view s) {
        std::string out;
        append_json_string(out, s);
        return out;
    };
    CHECK(js("plain") == "\"plain\"");
    CHECK(js(std::string_view("a\0b", 3)) == "\"a\\u0000b\"");
    CHECK(js("\x7f") == "\"\\u007f\"");
    CHECK(js("\n\r\t\x1b") == "\"\\n\\r\\t\\u001b\"");
    CHECK(js("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80") == "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"");
    CHECK(js("\xc0\xaf") == "\"\\ufffd\\ufffd\"");                        // overlong '/'
    CHECK(js("\xed\xa0\x80") == "\"\\ufffd\\ufffd\\ufffd\"");             // a surrogate
    CHECK(js("\xf4\x90\x80\x80") == "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");  // above U+10FFFF
    CHECK(js("\xe2\x82") == "\"\\ufffd\\ufffd\"");                        // cut short
    CHECK(utc_rfc3339(WallTime::from_millis(0)) == "1970-01-01T00:00:00.000Z");
    CHECK(utc_rfc3339(WallTime::from_millis(-1)) == "1969-12-31T23:59:59.999Z");
}

}  // namespace
}  // namespace eddy
