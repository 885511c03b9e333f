// TraceLog: the simulation's trace. Every event becomes one JSON line
//   {"i":seq,"t":virtual_ns,"n":"node","k":"kind",...fields}
// and a step of the executor's StepHash (the FNV-1a-64 of the line is mixed in), which also takes
// in everything untraced: scheduling, timers, deliveries, disk operations, random draws. hash() is
// that running hash, the run's trace hash: two runs of the same seed on the same build must end
// with the same one; that is the determinism test. (Without a StepHash, e.g. in a unit test's
// bare executor, hash() chains the lines' FNV alone.) Lines go to an optional sink (the
// composition root writes them to a file); sim/ itself touches no files.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "core/env/trace.h"
#include "core/fiber/executor.h"

namespace eddy::sim {

class TraceLog {
public:
    explicit TraceLog(const FiberExecutor& executor) : executor_(executor) {}

    void set_sink(std::function<void(std::string_view line)> sink) { sink_ = std::move(sink); }
    void record(std::string_view node, std::string_view kind, std::initializer_list<TraceField> fields);

    uint64_t hash() const {
        const StepHash* h = executor_.step_hash();
        return h != nullptr ? h->value() : hash_;
    }
    // Traced events so far.
    uint64_t events() const { return seq_; }

private:
    const FiberExecutor& executor_;
    std::function<void(std::string_view)> sink_;
    std::string line_;
    uint64_t seq_ = 0;
    uint64_t hash_ = 0xcbf29ce484222325ULL;
};

// A node's Tracer: stamps the node's name and forwards to the world's TraceLog.
class NodeTracer final : public Tracer {
public:
    NodeTracer(TraceLog& log, std::string node) : log_(log), node_(std::move(node)) {}
    void event(std::string_view kind, std::initializer_list<TraceField> fields) override {
        log_.record(node_, kind, fields);
    }

private:
    TraceLog& log_;
    std::string node_;
};

std::string hex64(uint64_t v);

}  // namespace eddy::sim
