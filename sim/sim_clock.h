// SimClock: a node's clock in the simulation. Monotonic time is the world's virtual time (it
// never goes back and all nodes share its rate, so timers stay comparable). Wall time is virtual
// time plus a per-node offset and drift, and can jump: the faults that make wall-clock
// timestamps, retention and anything else misusing wall time visibly wrong.
#pragma once

#include "core/env/clock.h"
#include "core/fiber/executor.h"

namespace eddy::sim {

class SimClock final : public Clock {
public:
    // The simulation's wall clock starts at 2024-01-01T00:00:00Z.
    static constexpr WallTime epoch_start = WallTime::from_millis(1704067200000);

    explicit SimClock(const FiberExecutor& executor) : executor_(executor) {}

    Instant now() const override { return executor_.now(); }
    WallTime wall_now() const override {
        const int64_t t = executor_.now().to_nanos();
        const auto drift = static_cast<int64_t>(static_cast<double>(t) * drift_ppm_ / 1e6);
        return epoch_start + Duration::nanos(t + drift) + offset_;
    }

    // Skew: a fixed offset from true time. Jump: a step change of that offset (may go back).
    void set_offset(Duration offset) { offset_ = offset; }
    void jump(Duration by) { offset_ += by; }
    Duration offset() const { return offset_; }
    // Drift in parts per million (a fast clock is positive).
    void set_drift_ppm(double ppm) { drift_ppm_ = ppm; }

private:
    const FiberExecutor& executor_;
    Duration offset_{};
    double drift_ppm_ = 0;
};

}  // namespace eddy::sim
