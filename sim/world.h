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
// pause()/resume() stop and continue the node's fibers and timers (a GC pause or SIGSTOP).
//
// Determinism: the world's StepHash takes in every scheduling decision, timer, network delivery,
// disk operation, traced event and random draw (every Random here is forked from the world's,
// which is tapped into it); its value is the run's trace hash. record_steps() writes it out step
// by step (the hash chain that `eddy sim check-determinism` compares across processes). A step
// budget (WorldOptions::stuck_steps_max) turns a livelock, virtual time standing still while
// fibers keep running, into a report (livelock_report()) instead of a hang.
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
    // Every node's log (default: nowhere). `eddy sim run --log-level` sends it to stderr; lines
    // carry the node's simulated wall time. The sink must outlive the world.
    LogSink* log_sink = nullptr;
    LogLevels log_levels = LogLevel::warn;
    LogFormat log_format = LogFormat::text;
    // A run whose virtual time stays put for this many steps is a livelock: run() stops and
    // livelock_report() names the fibers that kept running. 0: no budget.
    uint64_t stuck_steps_max = 1'000'000;
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
    StepHash& step_hash() { return step_hash_; }
    Instant now() const { return executor_.now(); }
    const WorldOptions& options() const { return options_; }

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

    // Runs until `until` returns true, virtual time passes `deadline`, nothing can happen, or
    // the step budget runs out (then, and in every later call, it returns at once).
    // Returns true if `until` became true.
    bool run(const std::function<bool()>& until, Instant deadline = Instant::max());
    // Set once the step budget ran out: where time stood still and who kept running there.
    std::optional<std::string> livelock_report() const;

    // Writes one line per step from now on: "<step> <virtual ns> <hash, 16 hex> <what>", e.g.
    // "5012 2000150000 9c0e…  resume node2/raft-tick #57". Empty sink: stop.
    void record_steps(std::function<void(std::string_view line)> sink);
    // "world", a node's name (for any of its incarnations), or "group<N>".
    std::string group_name(GroupId g) const;

    // Scenarios build their own worlds; the composition root reaches them through this hook
    // (`eddy sim run --hash-chain` attaches its recorder). Called at the end of every
    // constructor. Empty: none. Not for scenario code.
    static void set_creation_hook(std::function<void(SimWorld&)> hook);
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
    class ChainWriter;

    uint64_t seed_;
    WorldOptions options_;
    StepHash step_hash_;  // before everything that feeds it
    Random random_;
    Random schedule_random_;
    Driver driver_;
    FiberExecutor executor_;
    TraceLog trace_;
    SimNetwork network_;
    NullLogSink null_sink_;
    LogSink& log_sink() { return options_.log_sink != nullptr ? *options_.log_sink : null_sink_; }
    std::vector<std::unique_ptr<SimNode>> nodes_;
    std::unique_ptr<WorldEnvParts> world_parts_;
    std::unique_ptr<Env> world_env_;
    std::map<uint32_t, std::string> group_names_;
    std::unique_ptr<ChainWriter> chain_;
};

}  // namespace eddy::sim
