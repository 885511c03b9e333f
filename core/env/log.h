// Logger: one line per message, stamped with the node's wall time from its Clock (never a real
// clock behind the Env's back) and the node id. Where lines go is the sink's business: stderr in
// production, nowhere or a buffer in simulation.
#pragma once

#include <cstdarg>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/env/clock.h"

namespace eddy {

enum class LogLevel : uint8_t { debug, info, warn, error };

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
    Logger(const Clock& clock, LogSink& sink, std::string node_name, LogLevel level = LogLevel::info)
        : clock_(clock), sink_(sink), node_name_(std::move(node_name)), level_(level) {}

    void set_level(LogLevel level) { level_ = level; }
    bool enabled(LogLevel level) const { return level >= level_; }

    void debug(const char* fmt, ...) __attribute__((format(printf, 2, 3)));
    void info(const char* fmt, ...) __attribute__((format(printf, 2, 3)));
    void warn(const char* fmt, ...) __attribute__((format(printf, 2, 3)));
    void error(const char* fmt, ...) __attribute__((format(printf, 2, 3)));

private:
    void vlog(LogLevel level, const char* fmt, va_list args);

    const Clock& clock_;
    LogSink& sink_;
    std::string node_name_;
    LogLevel level_;
};

}  // namespace eddy
