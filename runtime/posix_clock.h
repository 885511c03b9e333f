// PosixClock and StderrLogSink: the production Clock and LogSink.
//
// Monotonic time is the reactor's (CLOCK_MONOTONIC), so timers, sleeps and every Instant a fiber
// computes agree; wall time is CLOCK_REALTIME and may jump (used for Kafka timestamps, retention by
// time and log lines only, see core/env/clock.h). Both read the vDSO: no syscall.
#pragma once

#include <ctime>
#include <string_view>

#include "core/env/clock.h"
#include "core/env/log.h"
#include "runtime/reactor.h"

namespace eddy {

class PosixClock final : public Clock {
public:
    explicit PosixClock(const Reactor& reactor) : reactor_(reactor) {}
    // Does not suspend.
    Instant now() const override { return reactor_.now(); }
    // Does not suspend.
    WallTime wall_now() const override {
        timespec ts{};
        ::clock_gettime(CLOCK_REALTIME, &ts);
        return WallTime::from_nanos(static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec);
    }

private:
    const Reactor& reactor_;
};

// One write(2) per line on stderr (atomic for lines below PIPE_BUF, so lines from several
// processes sharing a terminal do not interleave). Never suspends; a failed write is dropped.
class StderrLogSink final : public LogSink {
public:
    void write(LogLevel level, std::string_view line) override;
};

}  // namespace eddy
