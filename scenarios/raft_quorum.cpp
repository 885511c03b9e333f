// Scenario "raft-quorum": 3 or 5 voters of services/raft's QuorumReplica (KRaft-style Raft) on
// simulated nodes, talking over a message bus that delays, drops and partitions, while nodes
// crash and restart from what they persisted (epoch, vote, log). Leaders propose entries now and
// then.
//
// Checkers, after every step of every replica:
// - `election-safety`: at most one leader per epoch;
// - `leader-completeness`: a new leader's log holds every committed entry;
// - `state-machine-safety`: the entries below any replica's high watermark are the committed
//   entries (what any replica ever had below its high watermark never changes);
// - `high-watermark-monotonic`: a replica's high watermark never moves back while it runs.
// `liveness`: after healing, an entry proposed then is committed and every replica's high
// watermark reaches it.
// Planted bug: votes are granted without comparing logs (leader-completeness).
#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "scenarios/scenarios.h"
#include "services/raft/quorum.h"
#include "sim/world.h"

namespace eddy::scenarios {
namespace {

using raft::Message;
using raft::QuorumReplica;

constexpr const char* election_safety = "election-safety";
constexpr const char* leader_completeness = "leader-completeness";
constexpr const char* state_machine_safety = "state-machine-safety";
constexpr const char* high_watermark_monotonic = "high-watermark-monotonic";

struct InFlight {
    Instant at;
    uint64_t seq = 0;
    Message message;
};

struct Cluster {
    std::vector<NodeId> voters;
    std::map<NodeId, raft::DurableState> disks;  // what each replica persisted
    std::map<NodeId, QuorumReplica*> live;        // replicas of running nodes
    std::vector<InFlight> bus;
    uint64_t next_seq = 0;
    std::set<std::pair<int32_t, int32_t>> blocked;  // (from, to)
    double drop_p = 0;
    Duration latency_max = Duration::millis(10);
    // Checker state.
    std::map<int32_t, NodeId> leaders;  // epoch -> leader
    std::vector<raft::Entry> committed;
    std::map<NodeId, int64_t> last_hw;
    uint64_t proposals = 0;
    bool healed = false;
    std::optional<int64_t> heal_marker;  // offset of the first entry proposed after healing
    Violation violation;

    void fail(const char* checker, std::string why) { violation.report(checker, std::move(why)); }
};

void observe(Cluster& c, const QuorumReplica& r) {
    const int32_t id = r.id().value();
    if (r.role() == raft::Role::leader) {
        auto [it, fresh] = c.leaders.emplace(r.epoch(), r.id());
        if (!fresh && it->second != r.id()) {
            c.fail(election_safety, "two leaders in epoch " + std::to_string(r.epoch()) + ": " +
                                        std::to_string(it->second.value()) + " and " +
                                        std::to_string(id));
            return;
        }
        if (fresh) {
            const auto& log = r.durable().log;
            for (size_t o = 0; o < c.committed.size(); ++o) {
                if (o >= log.size() || !(log[o] == c.committed[o])) {
                    c.fail(leader_completeness, "the leader of epoch " + std::to_string(r.epoch()) +
                                                    " (" + std::to_string(id) +
                                                    ") lacks committed entry " + std::to_string(o));
                    return;
                }
            }
        }
    }
    auto& last = c.last_hw[r.id()];
    if (r.high_watermark() < last) {
        c.fail(high_watermark_monotonic,
               "replica " + std::to_string(id) + "'s high watermark moved back from " +
                   std::to_string(last) + " to " + std::to_string(r.high_watermark()));
        return;
    }
    last = r.high_watermark();
    for (int64_t o = 0; o < r.high_watermark(); ++o) {
        const auto& e = r.entry(o);
        if (static_cast<size_t>(o) < c.committed.size()) {
            if (!(e == c.committed[static_cast<size_t>(o)])) {
                c.fail(state_machine_safety,
                       "replica " + std::to_string(id) + " has another entry at committed offset " +
                           std::to_string(o) + " (epoch " + std::to_string(e.epoch) + " vs " +
                           std::to_string(c.committed[static_cast<size_t>(o)].epoch) + ")");
                return;
            }
        } else {
            c.committed.push_back(e);
        }
    }
}

void replica_main(Env& env, Cluster& c, NodeId id, const raft::QuorumConfig& config,
                  raft::QuorumKnobs knobs) {
    Random r = env.random.fork("replica");
    QuorumReplica replica(id, config, c.disks[id], env.random.fork("raft"), env.scheduler.now(),
                          nullptr, knobs);
    struct Registration {
        Cluster& c;
        NodeId id;
        ~Registration() { c.live.erase(id); }
    } registration{c, id};
    c.live[id] = &replica;
    c.last_hw[id] = 0;  // a restart forgets the high watermark
    std::vector<Message> out;
    raft::Role traced_role = replica.role();
    int32_t traced_epoch = -1;
    while (true) {
        const Instant now = env.scheduler.now();
        out.clear();
        // Deliver what is due, oldest first.
        std::vector<InFlight> due;
        auto keep = std::partition(c.bus.begin(), c.bus.end(), [&](const InFlight& f) {
            return !(f.message.to == id && f.at <= now);
        });
        due.assign(keep, c.bus.end());
        c.bus.erase(keep, c.bus.end());
        std::sort(due.begin(), due.end(), [](const InFlight& a, const InFlight& b) {
            return std::tie(a.at, a.seq) < std::tie(b.at, b.seq);
        });
        for (const InFlight& f : due) {
            replica.receive(f.message, now, out);
        }
        replica.tick(now, out);
        if (replica.role() == raft::Role::leader && r.chance(0.2)) {
            const std::string data = "e" + std::to_string(++c.proposals);
            auto at = replica.propose(Bytes(reinterpret_cast<const std::byte*>(data.data()),
                                            reinterpret_cast<const std::byte*>(data.data()) +
                                                data.size()),
                                      now, out);
            if (at && c.healed && !c.heal_marker) {
                c.heal_marker = *at;
            }
        }
        c.disks[id] = replica.durable();  // persisted before anything is sent
        if (replica.role() != traced_role || replica.epoch() != traced_epoch) {
            traced_role = replica.role();
            traced_epoch = replica.epoch();
            env.tracer.event("raft.role", {{"node", id.value()},
                                           {"epoch", traced_epoch},
                                           {"role", std::string(raft::to_string(traced_role))},
                                           {"end_offset", replica.end_offset()},
                                           {"high_watermark", replica.high_watermark()}});
        }
        observe(c, replica);
        for (Message& m : out) {
            if (c.blocked.contains({m.from.value(), m.to.value()}) || r.chance(c.drop_p)) {
                continue;
            }
            const Instant at = now + Duration::micros(r.between(500, c.latency_max.to_micros()));
            c.bus.push_back({at, c.next_seq++, std::move(m)});
        }
        env.scheduler.sleep_for(Duration::millis(5));
    }
}

bool settled(const Cluster& c) {
    if (!c.heal_marker || static_cast<int64_t>(c.committed.size()) <= *c.heal_marker) {
        return false;
    }
    for (NodeId v : c.voters) {
        auto it = c.live.find(v);
        if (it == c.live.end() || it->second->high_watermark() <= *c.heal_marker) {
            return false;
        }
    }
    return true;
}

RunResult run_raft_quorum(const RunOptions& ro) {
    Random swarm = Random(ro.seed).fork("swarm");
    // Declared before the world: replicas unregister from it when the world unwinds them.
    Cluster c;
    sim::WorldOptions wo;
    wo.log_level = LogLevel::error;
    sim::SimWorld world(ro.seed, wo);
    if (ro.trace_sink) {
        world.trace().set_sink(ro.trace_sink);
    }
    const int n = swarm.chance(0.5) ? 3 : 5;
    for (int i = 1; i <= n; ++i) {
        c.voters.push_back(NodeId(i));
    }
    c.drop_p = swarm.chance(0.5) ? swarm.unit() * 0.1 : 0;
    c.latency_max = Duration::millis(swarm.between(2, 40));
    raft::QuorumConfig config;
    config.voters = c.voters;
    config.election_timeout = Duration::millis(swarm.between(150, 500));
    config.fetch_timeout = config.election_timeout * 2;
    config.request_timeout = Duration::millis(200);
    config.fetch_interval = Duration::millis(20);
    raft::QuorumKnobs knobs;
    knobs.vote_ignores_log = ro.planted_bug;

    for (NodeId v : c.voters) {
        world.add_node("voter-" + std::to_string(v.value()), [&c, v, &config, knobs](Env& env) {
            replica_main(env, c, v, config, knobs);
        });
    }
    for (auto* node : world.nodes()) {
        world.start(*node);
    }
    bool done = false;
    world.spawn("faults", [&] {
        auto& sched = world.world_env().scheduler;
        Random r = world.random().fork("faults");
        const Instant fault_end = sched.now() + Duration::seconds(r.between(10, 25));
        while (sched.now() < fault_end && c.violation.empty()) {
            sched.sleep_for(Duration::millis(r.between(50, 1500)));
            const NodeId victim = c.voters[r.below(c.voters.size())];
            sim::SimNode& node = world.node("voter-" + std::to_string(victim.value()));
            switch (r.below(3)) {
                case 0: {
                    world.trace("fault.crash", {{"node", victim.value()}});
                    world.crash(node);
                    sched.sleep_for(Duration::millis(r.between(10, 2000)));
                    world.start(node);
                    break;
                }
                case 1: {
                    world.trace("fault.isolate", {{"node", victim.value()}});
                    for (NodeId other : c.voters) {
                        c.blocked.insert({victim.value(), other.value()});
                        c.blocked.insert({other.value(), victim.value()});
                    }
                    sched.sleep_for(Duration::millis(r.between(100, 3000)));
                    c.blocked.clear();
                    break;
                }
                default: {
                    // One-way: the victim hears the others but cannot answer.
                    world.trace("fault.mute", {{"node", victim.value()}});
                    for (NodeId other : c.voters) {
                        c.blocked.insert({victim.value(), other.value()});
                    }
                    sched.sleep_for(Duration::millis(r.between(100, 3000)));
                    c.blocked.clear();
                    break;
                }
            }
        }
        c.blocked.clear();
        c.drop_p = 0;
        c.healed = true;
        const Instant give_up = sched.now() + Duration::seconds(30);
        while (sched.now() < give_up && c.violation.empty() && !settled(c)) {
            sched.sleep_for(Duration::millis(50));
        }
        done = true;
    });
    world.run([&] { return done || !c.violation.empty(); },
              Instant::from_nanos(Duration::seconds(120).to_nanos()));

    int32_t max_epoch = 0;
    for (const auto& [epoch, leader] : c.leaders) {
        max_epoch = std::max(max_epoch, epoch);
    }
    Verdict v = Verdict::ok(std::to_string(n) + " voters, " + std::to_string(c.leaders.size()) +
                            " leaders up to epoch " + std::to_string(max_epoch) + ", " +
                            std::to_string(c.committed.size()) + " entries committed");
    if (!c.violation.empty()) {
        v = Verdict::violation(c.violation);
    } else if (!settled(c)) {
        v = Verdict::violation(checkers::liveness,
                               "after healing no entry proposed then was committed on every "
                               "replica within 30 simulated seconds");
    }
    return finish(world, v);
}

}  // namespace

Scenario raft_quorum_scenario() {
    return {"raft-quorum",
            "KRaft-style quorum under message loss, delays, partitions and crashes: one leader per "
            "epoch, leaders hold every committed entry, committed entries never change",
            run_raft_quorum, leader_completeness};
}

}  // namespace eddy::scenarios
