// SimWorld: one deterministic world. One thread, one FiberExecutor in virtual time, one network
// fabric, and any number of nodes, each with its own Env (clock, disk, network view, random
// stream, tracer, fault points, logger) and its own fiber group. Everything random is derived
// from the world's seed; with the same seed and build a run is the same, event for event, which
// the trace hash shows.
//
// Node lifecycle: add_node() registers a node and its boot function; start() runs the boot
// function as the node's main fiber in a fresh incarnation. crash() is kill -9: the network
// resets the node's connections, its fibers unwind (RAII runs, no I/O), its memory goes, and its
// disk applies the crash model. restart() starts a fresh incarnation on the surviving disk.
// pause()/resume() stop and continue the node's fibers (a GC pause or SIGSTOP).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/env/env.h"
#include "core/fiber/executor.h"
#include "sim/sim_clock.h"
#include "sim/sim_disk.h"
#include "sim/sim_network.h"
#include "sim/trace_log.h"

namespace eddy::sim {

class SimWorld;

class SimNode {
public:
    using Boot = std::function<void(Env&)>;

    const std::string& name() const { return name_; }
    NodeId id() const { return id_; }
    bool up() const { return incarnation_ != nullptr; }
    bool paused() const { return paused_; }
    uint32_t incarnation_count() const { return incarnations_; }
    SimClock& clock() { return clock_; }
    SimDisk& disk() { return *disk_; }
    // The running incarnation's Env. Only while up().
    Env& env();

private:
    friend class SimWorld;
    friend class NodeProcess;
    struct Incarnation;
    SimNode(SimWorld& world, NodeId id, std::string name, Boot boot);

    SimWorld& world_;
    NodeId id_;
    std::string name_;
    Boot boot_;
    SimClock clock_;
    NodeTracer tracer_;
    std::unique_ptr<SimDisk> disk_;
    std::unique_ptr<Incarnation> incarnation_;
    uint32_t incarnations_ = 0;
    bool paused_ = false;
};

struct WorldOptions {
    NetFaults net;
    DiskFaults disk;
    bool randomize_ready_order = true;  // break ties among ready fibers with the seed
    bool buggify = true;                // code-level fault points (BUGGIFY)
    // Each node's wall clock gets an offset drawn from [-clock_skew_max, clock_skew_max] and a
    // drift drawn from [-clock_drift_ppm_max, clock_drift_ppm_max] when it is added.
    Duration clock_skew_max = Duration::seconds(2);
    double clock_drift_ppm_max = 200;
    LogLevel log_level = LogLevel::warn;
};

class SimWorld {
public:
    explicit SimWorld(uint64_t seed, WorldOptions options = {});
    ~SimWorld();
    SimWorld(const SimWorld&) = delete;
    SimWorld& operator=(const SimWorld&) = delete;

    uint64_t seed() const { return seed_; }
    Random& random() { return random_; }
    FiberExecutor& executor() { return executor_; }
    SimNetwork& network() { return network_; }
    TraceLog& trace() { return trace_; }
    Instant now() const { return executor_.now(); }
    const WorldOptions& options() const { return options_; }

    // Where log lines of every node go (default: nowhere).
    void set_log_sink(LogSink& sink) { log_sink_ = &sink; }

    SimNode& add_node(std::string name, SimNode::Boot boot);
    SimNode& node(const std::string& name);
    std::vector<SimNode*> nodes();

    void start(SimNode& n);
    void crash(SimNode& n);
    void restart(SimNode& n) {
        if (n.up()) {
            crash(n);
        }
        start(n);
    }
    void pause(SimNode& n);
    void resume(SimNode& n);

    // The scenario's own fibers ("world" group): workload drivers, fault schedules, checkers.
    // They are not part of any node and survive every crash.
    FiberRef spawn(std::string name, std::function<void()> body);
    Env& world_env() { return *world_env_; }

    // Runs until `until` returns true, virtual time passes `deadline`, or nothing can happen.
    // Returns true if `until` became true.
    bool run(const std::function<bool()>& until, Instant deadline = Instant::max());
    void trace(std::string_view kind, std::initializer_list<TraceField> fields) {
        trace_.record("world", kind, fields);
    }

private:
    friend class SimNode;
    class Driver final : public FiberExecutor::Driver {
    public:
        Instant now() const override { return now_; }
        bool poll(std::optional<Instant> deadline, bool block) override;
        Instant now_;
        Instant limit_ = Instant::max();
    };
    struct WorldEnvParts;

    uint64_t seed_;
    WorldOptions options_;
    Random random_;
    Random schedule_random_;
    Driver driver_;
    FiberExecutor executor_;
    TraceLog trace_;
    SimNetwork network_;
    NullLogSink null_sink_;
    LogSink* log_sink_ = &null_sink_;
    std::vector<std::unique_ptr<SimNode>> nodes_;
    std::unique_ptr<WorldEnvParts> world_parts_;
    std::unique_ptr<Env> world_env_;
};

}  // namespace eddy::sim
