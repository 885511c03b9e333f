// Simulator benchmarks' workloads (see sim_bench.cpp).
#pragma once

#include <cstdint>
#include <functional>

#include "core/base/time.h"

namespace eddy::scenarios {

struct BenchRun {
    uint64_t steps;
    Duration simulated;
    uint64_t operations;  // round trips (busy) or heartbeats (idle)
};

BenchRun bench_busy_world(uint64_t seed, Duration simulated);
BenchRun bench_idle_world(uint64_t seed, Duration simulated);

// A Kafka cluster of `nodes` broker+controller nodes (real Brokers on simulated disks and
// network, no faults). Loaded: a topic with 3 partitions (RF 3, or the node count when smaller)
// takes acks=all batches from two producers (each about 100 batches of 10 x 100 B per second)
// while a consumer reads it to the end; operations count acknowledged batches. Idle: the same cluster with no client after the topic exists
// (only heartbeats, quorum fetches and replica fetch long-polls); operations count nothing.
// `simulated` starts counting once the topic exists; `measuring` is called then (the caller reads
// its wall clock: nothing here does).
BenchRun bench_kafka_cluster(uint64_t seed, int nodes, bool loaded, Duration simulated,
                             const std::function<void()>& measuring);

}  // namespace eddy::scenarios
