#include "sim/world.h"

#include <cinttypes>
#include <cstdio>

namespace eddy::sim {
namespace {

Random tapped(uint64_t seed, StepHash& hash) {
    Random r(seed);
    r.set_tap(&hash);
    return r;
}

std::function<void(SimWorld&)>& creation_hook() {
    static std::function<void(SimWorld&)> hook;
    return hook;
}

// A hash chain line shows this much of a traced event's JSON.
constexpr size_t chain_trace_chars_max = 200;

}  // namespace

// The hash chain: one line per step. Formatting happens only here, only when recording.
class SimWorld::ChainWriter final : public StepRecorder {
public:
    ChainWriter(const SimWorld& w, std::function<void(std::string_view)> sink)
        : world_(w), sink_(std::move(sink)) {}

    void step(const StepEvent& e) override {
        char head[80];
        const int n = std::snprintf(head, sizeof head, "%" PRIu64 " %" PRId64 " %016" PRIx64 " ",
                                    e.index, world_.executor_.now().to_nanos(), e.hash);
        line_.assign(head, static_cast<size_t>(n));
        switch (e.kind) {
            case StepKind::resume:
                line_ += "resume " + world_.group_name(GroupId(static_cast<uint32_t>(e.b))) + "/";
                line_ += e.text;
                line_ += " #" + std::to_string(e.a);
                break;
            case StepKind::timer:
                line_ += "timer #" + std::to_string(e.b) + " due " + std::to_string(e.a);
                if (e.c != 0) {
                    line_ += " of " + world_.group_name(GroupId(static_cast<uint32_t>(e.c)));
                }
                break;
            case StepKind::timer_deferred:
                line_ += "defer timer #" + std::to_string(e.b) + " of " +
                         world_.group_name(GroupId(static_cast<uint32_t>(e.c))) + " (paused)";
                break;
            case StepKind::net_deliver:
            case StepKind::net_hold:
                line_ += e.kind == StepKind::net_deliver ? "net deliver " : "net hold ";
                line_ += e.text;
                line_ += "->";
                line_ += e.text2;
                line_ += " " + std::to_string(e.b) + "B conn " + std::to_string(e.a);
                break;
            case StepKind::disk_op:
                line_ += "disk ";
                line_ += e.text;
                line_ += " " + current_group() + " ";
                line_ += e.text2;
                break;
            case StepKind::trace:
                line_ += "trace ";
                line_ += e.text2.substr(0, chain_trace_chars_max);
                break;
            case StepKind::other:
                line_ += "mark ";
                line_ += e.text;
                line_ += " " + std::to_string(e.a) + " " + std::to_string(e.b) + " " +
                         std::to_string(e.c);
                break;
        }
        if (e.draws != 0) {
            line_ += " (+" + std::to_string(e.draws) + " draws)";
        }
        sink_(line_);
    }

private:
    std::string current_group() const {
        const Fiber* f = world_.executor_.current();
        return f == nullptr ? "-" : world_.group_name(f->group());
    }

    const SimWorld& world_;
    std::function<void(std::string_view)> sink_;
    std::string line_;
};

// A simulated node's Process: crash() asks the world to crash the node from outside its own
// fibers (a group cannot unwind itself), then parks until that happens.
class NodeProcess final : public Process {
public:
    NodeProcess(SimWorld& w, SimNode& n) : world_(w), node_(n) {}
    void crash(std::string_view why) override {
        node_.tracer_.event("node.crash_self", {{"why", why}});
        SimWorld& w = world_;
        SimNode& n = node_;
        const uint32_t incarnation = n.incarnation_count();
        // The world's act, owned by no group: a pause that begins meanwhile does not defer it.
        w.executor().call_at(w.now(), GroupId(), [&w, &n, incarnation] {
            if (n.up() && n.incarnation_count() == incarnation) {
                w.crash(n);
            }
        });
        while (true) {
            (void)w.executor().park(Instant::max(), false);
        }
    }

private:
    SimWorld& world_;
    SimNode& node_;
};

struct SimNode::Incarnation {
    Incarnation(SimWorld& w, SimNode& n, GroupId g, uint32_t number)
        : group(g),
          scheduler(w.executor(), g),
          network(w.network().host_view(n.name())),
          random(w.random().fork("node/" + n.name() + "/" + std::to_string(number))),
          faults(w.options().buggify ? FaultPoints(w.random().fork("buggify/" + n.name() + "/" +
                                                                   std::to_string(number)),
                                                   n.tracer_)
                                     : FaultPoints()),
          log(n.clock_, w.log_sink(), n.name(), w.options().log_levels, w.options().log_format),
          process(w, n),
          env{n.id(), n.clock_, *network, *n.disk_, random, scheduler, n.tracer_, faults, log,
              process} {}

    GroupId group;
    Scheduler scheduler;
    std::unique_ptr<Network> network;
    Random random;
    FaultPoints faults;
    Logger log;
    NodeProcess process;
    Env env;
};

SimNode::SimNode(SimWorld& world, NodeId id, std::string name, Boot boot)
    : world_(world),
      id_(id),
      name_(std::move(name)),
      boot_(std::move(boot)),
      clock_(world.executor()),
      tracer_(world.trace(), name_),
      disk_(std::make_unique<SimDisk>(world.executor(), world.random().fork("disk/" + name_),
                                      tracer_, world.options().disk)) {}

Env& SimNode::env() {
    ASSERT(up(), "env() of a node that is down");
    return incarnation_->env;
}

struct SimWorld::WorldEnvParts {
    WorldEnvParts(SimWorld& w)
        : clock(w.executor()),
          tracer(w.trace(), "world"),
          disk(w.executor(), w.random().fork("disk/world"), tracer),
          network(w.network().host_view("world")),
          random(w.random().fork("world")),
          scheduler(w.executor(), w.executor().new_group()),
          log(clock, w.log_sink(), "world", w.options().log_levels, w.options().log_format) {}
    // The world's own fibers are the test harness: a crash request there is a harness bug.
    struct HarnessProcess final : Process {
        void crash(std::string_view why) override {
            (void)why;
            UNREACHABLE("the simulation harness asked to crash itself");
        }
    } process;
    SimClock clock;
    NodeTracer tracer;
    SimDisk disk;
    std::unique_ptr<Network> network;
    Random random;
    Scheduler scheduler;
    FaultPoints faults;
    Logger log;
};

bool SimWorld::Driver::poll(std::optional<Instant> deadline, bool block) {
    if (!block) {
        return true;
    }
    if (!deadline) {
        return false;  // nothing is ready and no timer is pending: the world is quiescent
    }
    if (*deadline > limit_) {
        now_ = std::max(now_, limit_);
        return false;
    }
    now_ = std::max(now_, *deadline);
    return true;
}

SimWorld::SimWorld(uint64_t seed, WorldOptions options)
    : seed_(seed),
      options_(options),
      random_(tapped(seed, step_hash_)),
      schedule_random_(random_.fork("schedule")),
      executor_(driver_, FiberExecutor::Options{
                             options.randomize_ready_order ? &schedule_random_ : nullptr,
                             256 * 1024, &step_hash_, options.stuck_steps_max}),
      trace_(executor_),
      network_(executor_, random_.fork("network"), trace_, options.net) {
    world_parts_ = std::make_unique<WorldEnvParts>(*this);
    auto& p = *world_parts_;
    world_env_ = std::make_unique<Env>(Env{NodeId(0), p.clock, *p.network, p.disk, p.random,
                                           p.scheduler, p.tracer, p.faults, p.log, p.process});
    group_names_[p.scheduler.group().value()] = "world";
    if (creation_hook()) {
        creation_hook()(*this);
    }
}

void SimWorld::set_creation_hook(std::function<void(SimWorld&)> hook) {
    creation_hook() = std::move(hook);
}

void SimWorld::record_steps(std::function<void(std::string_view line)> sink) {
    step_hash_.set_recorder(nullptr);
    chain_.reset();
    if (sink) {
        chain_ = std::make_unique<ChainWriter>(*this, std::move(sink));
        step_hash_.set_recorder(chain_.get());
    }
}

std::string SimWorld::group_name(GroupId g) const {
    if (auto it = group_names_.find(g.value()); it != group_names_.end()) {
        return it->second;
    }
    return "group" + std::to_string(g.value());
}

std::optional<std::string> SimWorld::livelock_report() const {
    const auto& l = executor_.livelock();
    if (!l) {
        return std::nullopt;
    }
    char buf[160];
    std::snprintf(buf, sizeof buf,
                  "virtual time stood still at %.6f s for %" PRIu64
                  " steps; in the last %" PRIu64 " (%" PRIu64 " of them timers) these ran most:",
                  static_cast<double>(l->at.to_nanos()) / 1e9, l->steps, l->watched, l->timers);
    std::string out = buf;
    for (size_t i = 0; i < l->top.size(); ++i) {
        const auto& s = l->top[i];
        out += (i == 0 ? " " : ", ") + group_name(s.group) + "/" + s.name + " #" +
               std::to_string(s.fiber_id) + " (" + std::to_string(s.resumes) + " resumes)";
    }
    if (l->top.empty()) {
        out += " no fiber (timers only)";
    }
    return out;
}

SimWorld::~SimWorld() {
    // Teardown is not part of the run: the chain ends with the run's last step.
    step_hash_.set_recorder(nullptr);
    // Unwind every node's fibers before their Envs go away, then the world's own.
    for (auto& n : nodes_) {
        if (n->incarnation_) {
            executor_.kill_group(n->incarnation_->group);
            n->incarnation_.reset();
        }
    }
    executor_.kill_group(world_parts_->scheduler.group());
}

SimNode& SimWorld::add_node(std::string name, SimNode::Boot boot) {
    const auto id = NodeId(static_cast<int32_t>(nodes_.size() + 1));
    nodes_.push_back(std::unique_ptr<SimNode>(new SimNode(*this, id, std::move(name), std::move(boot))));
    SimNode& n = *nodes_.back();
    Random r = random_.fork("clock/" + n.name());
    n.clock_.set_offset(r.duration_between(Duration::zero() - options_.clock_skew_max,
                                           options_.clock_skew_max));
    n.clock_.set_drift_ppm((r.unit() * 2 - 1) * options_.clock_drift_ppm_max);
    trace_.record(n.name(), "fault.clock_skew", {{"offset_ns", n.clock_.offset().to_nanos()}});
    return n;
}

SimNode& SimWorld::node(const std::string& name) {
    for (auto& n : nodes_) {
        if (n->name() == name) {
            return *n;
        }
    }
    UNREACHABLE("no such node");
}

std::vector<SimNode*> SimWorld::nodes() {
    std::vector<SimNode*> out;
    out.reserve(nodes_.size());
    for (auto& n : nodes_) {
        out.push_back(n.get());
    }
    return out;
}

void SimWorld::start(SimNode& n) {
    ASSERT(!n.up(), "start() of a node that is up");
    const uint32_t number = ++n.incarnations_;
    n.incarnation_ = std::make_unique<SimNode::Incarnation>(*this, n, executor_.new_group(), number);
    group_names_[n.incarnation_->group.value()] = n.name();
    n.paused_ = false;
    trace_.record(n.name(), "node.start", {{"incarnation", number}});
    Env& env = n.incarnation_->env;
    n.incarnation_->scheduler.spawn("main", [&n, &env] { n.boot_(env); });
}

void SimWorld::crash(SimNode& n) {
    if (!n.up()) {
        return;
    }
    trace_.record(n.name(), "fault.crash", {{"incarnation", n.incarnations_}});
    network_.host_crashed(n.name());
    executor_.kill_group(n.incarnation_->group);
    n.incarnation_.reset();
    n.paused_ = false;
    n.disk_->crash();
}

void SimWorld::pause(SimNode& n) {
    if (!n.up() || n.paused_) {
        return;
    }
    n.paused_ = true;
    trace_.record(n.name(), "fault.pause", {});
    executor_.pause_group(n.incarnation_->group);
}

void SimWorld::resume(SimNode& n) {
    if (!n.up() || !n.paused_) {
        return;
    }
    n.paused_ = false;
    trace_.record(n.name(), "fault.resume", {});
    executor_.resume_group(n.incarnation_->group);
}

FiberRef SimWorld::spawn(std::string name, std::function<void()> body) {
    return world_parts_->scheduler.spawn(std::move(name), std::move(body));
}

bool SimWorld::run(const std::function<bool()>& until, Instant deadline) {
    driver_.limit_ = deadline;
    executor_.run(until);
    driver_.limit_ = Instant::max();
    return until && until();
}

}  // namespace eddy::sim
