#include "sim/world.h"

namespace eddy::sim {

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
        w.executor().call_at(w.now(), [&w, &n, incarnation] {
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
          faults(w.options().buggify
                     ? FaultPoints(w.random().fork("buggify/" + n.name() + "/" +
                                                   std::to_string(number)),
                                   n.tracer_)
                     : FaultPoints()),
          log(n.clock_, *w.log_sink_, n.name(), w.options().log_level),
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
          log(clock, *w.log_sink_, "world", w.options().log_level) {}
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
      random_(seed),
      schedule_random_(random_.fork("schedule")),
      executor_(driver_, FiberExecutor::Options{
                             options.randomize_ready_order ? &schedule_random_ : nullptr,
                             256 * 1024}),
      trace_(executor_),
      network_(executor_, random_.fork("network"), trace_, options.net) {
    world_parts_ = std::make_unique<WorldEnvParts>(*this);
    auto& p = *world_parts_;
    world_env_ = std::make_unique<Env>(Env{NodeId(0), p.clock, *p.network, p.disk, p.random,
                                           p.scheduler, p.tracer, p.faults, p.log, p.process});
}

SimWorld::~SimWorld() {
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
