// Simulator benchmarks' workloads (see sim_bench.cpp).
#pragma once

#include <cstdint>

#include "core/base/time.h"

namespace eddy::scenarios {

struct BenchRun {
    uint64_t steps;
    Duration simulated;
    uint64_t operations;  // round trips (busy) or heartbeats (idle)
};

BenchRun bench_busy_world(uint64_t seed, Duration simulated);
BenchRun bench_idle_world(uint64_t seed, Duration simulated);

}  // namespace eddy::scenarios
