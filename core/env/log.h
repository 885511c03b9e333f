// Logger: one line per event, stamped with the node's wall time from its Clock (never a real
// clock behind the Env's back), the level, the node and the component. Where lines go is the
// sink's business: stderr in production, nowhere or a buffer in simulation.
//
// The component is where the call is written: the directory under services/ ("raft", "kafka",
// "log", ...), "core", "runtime" (runtime/, net-posix/, storage-posix/), "sim", "scenario" or
// "test". It is found at compile time from the caller's file, so a call reads as before:
//
//     env.log.warn("fetch from %d failed: %s", leader, to_string(e));
//
// and the format is checked against the arguments at compile time too (a mismatch does not
// compile; the error names log_format_does_not_match_its_arguments). Levels are set for all
// components at once and per component ("info,raft=debug,http=warn"; parse_log_levels).
//
// Two line formats: text,
//     2026-12-05T10:53:09.123Z INFO  [node-1] raft: elected leader of epoch 4
// and JSON lines with the same fields,
//     {"time":"2026-12-05T10:53:09.123Z","level":"info","node":"node-1","component":"raft",
//      "message":"elected leader of epoch 4"}
#pragma once

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/base/result.h"
#include "core/env/clock.h"

namespace eddy {

enum class LogLevel : uint8_t { debug, info, warn, error, off };
enum class LogFormat : uint8_t { text, json };

const char* to_string(LogLevel level);                           // "debug" ... "off"
std::optional<LogLevel> parse_log_level(std::string_view name);  // any case; "warning", "trace" too
std::optional<LogFormat> parse_log_format(std::string_view name);  // "text" | "json"

// Every component a level can name, in order.
inline constexpr std::string_view log_components[] = {
    "admin", "client", "config",  "controller", "group", "http",    "kafka", "log",      "metrics",
    "net",   "raft",   "replica", "security",   "core",  "runtime", "sim",   "scenario", "test"};

namespace log_detail {

[[noreturn]] void log_format_does_not_match_its_arguments();  // not constexpr, on purpose
void log_component_unknown_add_it_to_log_components();        // not constexpr, on purpose

consteval bool known_component(std::string_view c) {
    for (std::string_view k : log_components) {
        if (k == c) {
            return true;
        }
    }
    return false;
}

// Where the last `dir/` in `path` that starts it or follows a '/' ends, or npos.
consteval size_t after_dir(std::string_view path, std::string_view dir) {
    for (size_t at = path.rfind(dir); at != std::string_view::npos;
         at = at == 0 ? std::string_view::npos : path.rfind(dir, at - 1)) {
        if (at == 0 || path[at - 1] == '/') {
            return at + dir.size();
        }
    }
    return std::string_view::npos;
}

// The top-level directory nearest the file decides (whatever directories the checkout itself
// sits in); under services/ the next directory names the component.
consteval std::string_view component_of(std::string_view file) {
    struct Marker {
        std::string_view dir;
        std::string_view component;  // empty: the directory after it
    };
    constexpr Marker markers[] = {{"services/", ""},
                                  {"core/", "core"},
                                  {"runtime/", "runtime"},
                                  {"net-posix/", "runtime"},
                                  {"storage-posix/", "runtime"},
                                  {"bench/", "runtime"},
                                  {"sim/", "sim"},
                                  {"scenarios/", "scenario"},
                                  {"tests/", "test"}};
    std::string_view c = "runtime";
    size_t best = 0;
    for (const Marker& m : markers) {
        const size_t at = after_dir(file, m.dir);
        if (at == std::string_view::npos || at < best) {
            continue;
        }
        if (m.component.empty()) {
            const std::string_view rest = file.substr(at);
            const size_t slash = rest.find('/');
            if (slash == std::string_view::npos) {
                continue;  // a file directly in some services/ directory (tests/unit/services/)
            }
            c = rest.substr(0, slash);
        } else {
            c = m.component;
        }
        best = at;
    }
    if (!known_component(c)) {
        log_component_unknown_add_it_to_log_components();
    }
    return c;
}

// What a printf conversion can take, after the default argument promotions.
struct ArgClass {
    char kind = '?';  // 'i' integer, 'f' floating, 's' C string, 'p' other pointer, '?' unusable
    size_t size = 0;  // of the promoted integer
};

template <class T>
consteval ArgClass arg_class() {
    using U = std::remove_cvref_t<T>;
    if constexpr (std::is_array_v<U> || std::is_pointer_v<U>) {
        using E = std::remove_cv_t<std::conditional_t<std::is_array_v<U>, std::remove_extent_t<U>,
                                                      std::remove_pointer_t<U>>>;
        return {std::is_same_v<E, char> ? 's' : 'p', sizeof(void*)};
    } else if constexpr (std::is_same_v<U, std::nullptr_t>) {
        return {'p', sizeof(void*)};
    } else if constexpr (std::is_integral_v<U>) {
        return {'i', sizeof(U) < sizeof(int) ? sizeof(int) : sizeof(U)};
    } else if constexpr (std::is_enum_v<U> && std::is_convertible_v<U, int>) {
        using I = std::underlying_type_t<U>;
        return {'i', sizeof(I) < sizeof(int) ? sizeof(int) : sizeof(I)};
    } else if constexpr (std::is_same_v<U, float> || std::is_same_v<U, double>) {
        return {'f', sizeof(double)};
    } else {
        return {};  // class types (std::string ...), scoped enums, long double
    }
}

// Walks a printf format and checks each conversion against the next argument: integers against
// their length modifier's size, %s against a char pointer or array, %p against a pointer, the
// floating conversions against a double, '*' widths against an int; %n and %L are refused, as is
// any argument count that does not match.
consteval void check_printf(const char* f, const ArgClass* args, size_t count) {
    size_t next = 0;
    const auto take = [&](char kind, size_t size) {
        if (next >= count) {
            log_format_does_not_match_its_arguments();
        }
        const ArgClass a = args[next++];
        const bool ok = kind == 'i'   ? a.kind == 'i' && a.size == size
                        : kind == 'p' ? a.kind == 'p' || a.kind == 's'
                                      : a.kind == kind;
        if (!ok) {
            log_format_does_not_match_its_arguments();
        }
    };
    const auto digit = [](char c) { return c >= '0' && c <= '9'; };
    for (const char* p = f; *p != '\0'; ++p) {
        if (*p != '%') {
            continue;
        }
        ++p;
        if (*p == '%') {
            continue;
        }
        while (*p == '-' || *p == '+' || *p == ' ' || *p == '#' || *p == '0' || *p == '\'') {
            ++p;
        }
        // A width, then a precision: each digits or '*' (an int argument).
        const auto width = [&] {
            if (*p == '*') {
                take('i', sizeof(int));
                ++p;
            }
            while (digit(*p)) {
                ++p;
            }
        };
        width();
        if (*p == '.') {
            ++p;
            width();
        }
        size_t size = sizeof(int);
        bool length = false;
        if (*p == 'h') {
            ++p;
            length = true;
            if (*p == 'h') {
                ++p;
            }
        } else if (*p == 'l') {
            ++p;
            length = true;
            size = sizeof(long);
            if (*p == 'l') {
                ++p;
                size = sizeof(long long);
            }
        } else if (*p == 'z' || *p == 'j' || *p == 't') {
            size = *p == 'z' ? sizeof(size_t) : *p == 'j' ? sizeof(intmax_t) : sizeof(ptrdiff_t);
            length = true;
            ++p;
        }
        switch (*p) {
            case 'd':
            case 'i':
            case 'u':
            case 'o':
            case 'x':
            case 'X':
            case 'c':
                take('i', size);
                break;
            case 's':
                if (length) {
                    log_format_does_not_match_its_arguments();
                }
                take('s', 0);
                break;
            case 'p':
                take('p', 0);
                break;
            case 'f':
            case 'F':
            case 'e':
            case 'E':
            case 'g':
            case 'G':
            case 'a':
            case 'A':
                take('f', 0);
                break;
            default:  // %n, %L..., a truncated or unknown conversion
                log_format_does_not_match_its_arguments();
        }
    }
    if (next != count) {
        log_format_does_not_match_its_arguments();
    }
}

template <class... Args>
struct FormatString {
    // Implicit, so a string literal converts at the call; __builtin_FILE() is the caller's file.
    consteval FormatString(const char* f, const char* file = __builtin_FILE())
        : format(f), component(component_of(file)) {
        const ArgClass classes[] = {arg_class<Args>()..., ArgClass{}};
        check_printf(f, classes, sizeof...(Args));
    }
    const char* format;
    std::string_view component;
};

}  // namespace log_detail

template <class... Args>
using LogFormatString = log_detail::FormatString<std::type_identity_t<Args>...>;

// A level for every component, with overrides for some.
struct LogLevels {
    LogLevels(LogLevel all = LogLevel::info) : base(all) {}  // NOLINT: implicit on purpose

    LogLevel base;
    std::vector<std::pair<std::string, LogLevel>> overrides;  // component, level; in spec order

    LogLevel at(std::string_view component) const;
    LogLevel lowest() const;        // the most verbose level anything logs at
    std::string to_string() const;  // the spec parse_log_levels() reads back
};

// "LEVEL[,COMPONENT=LEVEL]..." or "COMPONENT=LEVEL,..." (the base stays `base`): e.g. "warn",
// "info,raft=debug", "kafka=debug". One line naming what is wrong otherwise.
Result<LogLevels, std::string> parse_log_levels(std::string_view spec,
                                                LogLevel base = LogLevel::info);

class LogSink {
public:
    virtual ~LogSink() = default;
    virtual void write(LogLevel level, std::string_view line) = 0;
};

class NullLogSink final : public LogSink {
public:
    void write(LogLevel, std::string_view) override {}
};

class Logger {
public:
    Logger(const Clock& clock, LogSink& sink, std::string node_name, LogLevels levels = {},
           LogFormat format = LogFormat::text)
        : clock_(clock), sink_(sink), node_name_(std::move(node_name)), format_(format) {
        set_levels(std::move(levels));
    }

    void set_level(LogLevel level) { set_levels(LogLevels(level)); }
    void set_levels(LogLevels levels) {
        levels_ = std::move(levels);
        lowest_ = levels_.lowest();
    }
    const LogLevels& levels() const { return levels_; }
    void set_format(LogFormat format) { format_ = format; }

    // Whether anything logs at `level` (some component may).
    bool enabled(LogLevel level) const { return level != LogLevel::off && level >= lowest_; }
    bool enabled(LogLevel level, std::string_view component) const {
        return enabled(level) && level >= levels_.at(component);
    }

    template <class... Args>
    void debug(LogFormatString<Args...> f, const Args&... args) {
        log(LogLevel::debug, f, args...);
    }
    template <class... Args>
    void info(LogFormatString<Args...> f, const Args&... args) {
        log(LogLevel::info, f, args...);
    }
    template <class... Args>
    void warn(LogFormatString<Args...> f, const Args&... args) {
        log(LogLevel::warn, f, args...);
    }
    template <class... Args>
    void error(LogFormatString<Args...> f, const Args&... args) {
        log(LogLevel::error, f, args...);
    }

    // An already formatted message (for callers that build one, and the tests).
    void write(LogLevel level, std::string_view component, std::string_view message);

private:
    template <class... Args>
    void log(LogLevel level, const LogFormatString<Args...>& f, const Args&... args) {
        if (enabled(level, f.component)) {
            emit(level, f.component, f.format, args...);
        }
    }
    // Not format-attributed: the format was checked at the call (FormatString).
    void emit(LogLevel level, std::string_view component, const char* format, ...);

    const Clock& clock_;
    LogSink& sink_;
    std::string node_name_;
    LogLevels levels_;
    LogLevel lowest_ = LogLevel::info;
    LogFormat format_;
};

}  // namespace eddy
