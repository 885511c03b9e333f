// Logger's lines, level names and the level spec. See log.h.
#include "core/env/log.h"

#include <algorithm>
#include <cinttypes>
#include <cstdarg>

#include "core/base/ascii.h"
#include "core/base/json_text.h"

namespace eddy {

namespace log_detail {
// Reached only from a consteval check that failed, which does not compile; never called.
void log_format_does_not_match_its_arguments() { __builtin_trap(); }
void log_component_unknown_add_it_to_log_components() {}
}  // namespace log_detail

namespace {

const char* text_level(LogLevel l) {
    switch (l) {
        case LogLevel::debug:
            return "DEBUG";
        case LogLevel::info:
            return "INFO";
        case LogLevel::warn:
            return "WARN";
        case LogLevel::error:
            return "ERROR";
        case LogLevel::off:
            break;
    }
    return "OFF";
}

}  // namespace

const char* to_string(LogLevel level) {
    switch (level) {
        case LogLevel::debug:
            return "debug";
        case LogLevel::info:
            return "info";
        case LogLevel::warn:
            return "warn";
        case LogLevel::error:
            return "error";
        case LogLevel::off:
            break;
    }
    return "off";
}

std::optional<LogLevel> parse_log_level(std::string_view name) {
    const std::string n = ascii_lower(trim_whitespace(name));
    if (n == "debug" ||
        n == "trace") {  // trace: log4j's, for Kafka habits; Eddy has no finer level
        return LogLevel::debug;
    }
    if (n == "info") {
        return LogLevel::info;
    }
    if (n == "warn" || n == "warning") {
        return LogLevel::warn;
    }
    if (n == "error" || n == "fatal") {
        return LogLevel::error;
    }
    if (n == "off") {
        return LogLevel::off;
    }
    return std::nullopt;
}

std::optional<LogFormat> parse_log_format(std::string_view name) {
    const std::string n = ascii_lower(trim_whitespace(name));
    if (n == "text") {
        return LogFormat::text;
    }
    if (n == "json") {
        return LogFormat::json;
    }
    return std::nullopt;
}

LogLevel LogLevels::at(std::string_view component) const {
    for (const auto& [c, level] : overrides) {
        if (c == component) {
            return level;
        }
    }
    return base;
}

LogLevel LogLevels::lowest() const {
    LogLevel low = base;
    for (const auto& o : overrides) {
        low = std::min(low, o.second);
    }
    return low;
}

std::string LogLevels::to_string() const {
    std::string out = eddy::to_string(base);
    for (const auto& [c, level] : overrides) {
        out += "," + c + "=" + eddy::to_string(level);
    }
    return out;
}

Result<LogLevels, std::string> parse_log_levels(std::string_view spec, LogLevel base) {
    LogLevels levels(base);
    bool base_seen = false;
    const std::string_view whole = spec;
    while (true) {
        const size_t comma = spec.find(',');
        const std::string_view item = trim_whitespace(spec.substr(0, comma));
        if (item.empty()) {
            return fail("log level '" + std::string(whole) + "': an empty item");
        }
        const size_t eq = item.find('=');
        const std::string_view name = eq == std::string_view::npos ? item : item.substr(eq + 1);
        const auto level = parse_log_level(name);
        if (!level) {
            return fail("log level '" + std::string(whole) + "': '" +
                        std::string(trim_whitespace(name)) +
                        "' is not debug, info, warn, error or off");
        }
        if (eq == std::string_view::npos) {
            if (base_seen) {
                return fail("log level '" + std::string(whole) + "': two levels for everything");
            }
            base_seen = true;
            levels.base = *level;
        } else {
            const std::string component = ascii_lower(trim_whitespace(item.substr(0, eq)));
            const bool known = std::find(std::begin(log_components), std::end(log_components),
                                         component) != std::end(log_components);
            if (!known) {
                std::string all;
                for (std::string_view k : log_components) {
                    all += (all.empty() ? "" : ", ") + std::string(k);
                }
                return fail("log level '" + std::string(whole) + "': no component '" + component +
                            "' (components: " + all + ")");
            }
            auto it = std::find_if(levels.overrides.begin(), levels.overrides.end(),
                                   [&](const auto& o) { return o.first == component; });
            if (it != levels.overrides.end()) {
                it->second = *level;  // the last one said wins, as with repeated config keys
            } else {
                levels.overrides.emplace_back(component, *level);
            }
        }
        if (comma == std::string_view::npos) {
            break;
        }
        spec.remove_prefix(comma + 1);
    }
    return levels;
}

void Logger::emit(LogLevel level, std::string_view component, const char* format, ...) {
    char msg[2048];
    va_list args;
    va_start(args, format);
    const int n = std::vsnprintf(msg, sizeof msg, format, args);
    va_end(args);
    const size_t len = n < 0 ? 0 : std::min<size_t>(sizeof msg - 1, static_cast<size_t>(n));
    write(level, component, std::string_view(msg, len));
}

void Logger::write(LogLevel level, std::string_view component, std::string_view message) {
    if (!enabled(level, component)) {
        return;
    }
    std::string line;
    line.reserve(message.size() + 96);
    const std::string time = utc_rfc3339(clock_.wall_now());
    if (format_ == LogFormat::json) {
        line = "{\"time\":\"" + time + "\",\"level\":\"" + to_string(level) + "\",\"node\":";
        append_json_string(line, node_name_);
        line += ",\"component\":";
        append_json_string(line, component);
        line += ",\"message\":";
        append_json_string(line, message);
        line += '}';
    } else {
        char head[96];
        const int h =
            std::snprintf(head, sizeof head, "%s %-5s [", time.c_str(), text_level(level));
        line.append(head, h < 0 ? 0 : std::min<size_t>(sizeof head - 1, static_cast<size_t>(h)));
        line += node_name_;
        line += "] ";
        line += component;
        line += ": ";
        // One event, one line: line breaks and other control characters in a message (a
        // client's string, an error text) are escaped, so nothing a client sends can forge a
        // line or drive the terminal.
        for (char c : message) {
            const auto u = static_cast<unsigned char>(c);
            if (c == '\n') {
                line += "\\n";
            } else if (c == '\r') {
                line += "\\r";
            } else if ((u < 0x20 && c != '\t') || u == 0x7F) {
                char esc[8];
                std::snprintf(esc, sizeof esc, "\\x%02x", u);
                line += esc;
            } else {
                line.push_back(c);
            }
        }
    }
    sink_.write(level, line);
}

}  // namespace eddy
