// Scenarios "raft-quorum" and "raft-quorum-leader-isolation": 3 or 5 voters and 0-2 observers of
// services/raft's QuorumReplica (KRaft-style Raft) on simulated nodes, talking over a message bus
// that delays, drops and partitions, while nodes crash and restart from their disks. Each node
// runs a driver as production will: after every step it takes the persist delta and applies it to
// its disk model (epoch, vote, log, snapshots) before sending anything, then hands the committed
// entries to an application model. The application's state is the list of entries it applied;
// it snapshots it every few entries (the image is that list), and a replica that falls behind a
// leader's log start installs the leader's snapshot with FetchSnapshot. Leaders propose entries
// now and then and sometimes resign gracefully (EndQuorumEpoch) before their node stops; an
// observer with an empty disk joins during the faults.
//
// Faults: message loss and delays; a node isolated both ways; a node that hears but cannot be
// heard (one-way); crashes; crashes whose disk lost the tail of the log (bit rot: a voter then
// recovers, DurableState::recovering_epoch); the rot vote (raft_rot_vote below); the leader
// isolated; the leader crashed; the leader resigning and stopping. "raft-quorum-leader-isolation" draws the leader faults much more often. Each goes
// through a FaultInjector as a kind of this scenario (raft_crash, raft_isolate, raft_lag,
// raft_resign, join) recorded with the waits it uses, so `--write-faults` then `--faults`
// replays the run exactly and `eddy sim shrink` can reduce it.
//
// Checkers, after every step of every replica:
// - `election-safety`: at most one leader per epoch;
// - `log-matching`: two logs with an entry of the same epoch at the same offset hold the same
//   entry there and agree on the epoch of the entry before it (so, by induction, on the whole
//   prefix); checked on every entry a persist delta appends;
// - `leader-completeness`: a new leader's log holds every committed entry above its snapshot;
// - `state-machine-safety`: what any replica has below its high watermark, what any application
//   is handed, and every snapshot installed or reloaded equal the committed prefix: committed
//   entries never change, snapshots included;
// - `high-watermark-monotonic`, `applied-monotonic`: neither a replica's high watermark nor its
//   application's applied offset moves back while the node runs;
// - `persist-delta`: the disk built only from persist deltas equals the replica's durable();
// - `leader-has-quorum`: a replica that has received no message from a majority of the voters
//   (itself included) for longer than fetch_timeout + 20 ms, counted from when it became leader,
//   no longer acts as leader (check quorum; a leader on the wrong side of a partition must stop
//   serving, or it would answer reads from a stale log);
// - `liveness`: after healing, an entry proposed then is committed and applied on every replica,
//   voters and observers.
// Planted bugs: votes (and pre-votes) ignore the logs → `leader-completeness` (raft-quorum); a
// recovering voter compares candidates with what is left of its log (the rot vote) →
// `leader-completeness` (raft-quorum); check quorum disabled → `leader-has-quorum`
// (raft-quorum-leader-isolation).
#include <algorithm>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "scenarios/nemesis.h"
#include "scenarios/scenarios.h"
#include "services/raft/quorum.h"
#include "sim/world.h"

namespace eddy::scenarios {
namespace {

using raft::Entry;
using raft::Message;
using raft::QuorumReplica;
using raft::SnapshotId;

constexpr const char* election_safety = "election-safety";
constexpr const char* log_matching = "log-matching";
constexpr const char* leader_completeness = "leader-completeness";
constexpr const char* state_machine_safety = "state-machine-safety";
constexpr const char* high_watermark_monotonic = "high-watermark-monotonic";
constexpr const char* applied_monotonic = "applied-monotonic";
constexpr const char* persist_delta = "persist-delta";
constexpr const char* leader_has_quorum = "leader-has-quorum";

constexpr Duration quorum_slack = Duration::millis(20);  // 4 steps of a replica's loop

// The application's snapshot image: its applied entries, each as epoch, length, data.
Bytes encode(const std::vector<Entry>& entries, int64_t end) {
    Bytes b;
    for (int64_t o = 0; o < end; ++o) {
        const Entry& e = entries[static_cast<size_t>(o)];
        const size_t at = b.size();
        b.resize(at + 8 + e.data.size());
        store_be<uint32_t>(b.data() + at, static_cast<uint32_t>(e.epoch));
        store_be<uint32_t>(b.data() + at + 4, static_cast<uint32_t>(e.data.size()));
        std::copy(e.data.begin(), e.data.end(), b.begin() + static_cast<ptrdiff_t>(at + 8));
    }
    return b;
}

std::optional<std::vector<Entry>> decode(const Bytes& b) {
    std::vector<Entry> entries;
    for (size_t at = 0; at < b.size();) {
        if (b.size() - at < 8) {
            return std::nullopt;
        }
        const auto epoch = static_cast<int32_t>(load_be<uint32_t>(b.data() + at));
        const size_t n = load_be<uint32_t>(b.data() + at + 4);
        if (b.size() - at - 8 < n) {
            return std::nullopt;
        }
        const auto first = b.begin() + static_cast<ptrdiff_t>(at + 8);
        entries.push_back(Entry{epoch, Bytes(first, first + static_cast<ptrdiff_t>(n))});
        at += 8 + n;
    }
    return entries;
}

// What a node keeps across crashes: the replica's durable state, built only from persist deltas,
// and the application's snapshots, which it serves when it leads. Like Kafka, it keeps a snapshot
// for a while after a newer one (snapshot_retention): a lagging replica may be downloading it,
// and must not have it deleted under it at every newer snapshot (with only the two latest kept,
// seed 350 had slow downloads start over forever).
constexpr Duration snapshot_retention = Duration::seconds(5);

struct Disk : raft::SnapshotSource {
    struct Snapshot {
        Bytes image;
        Instant taken;
    };
    raft::DurableState state;
    std::map<SnapshotId, Snapshot> snapshots;

    std::optional<int64_t> size(SnapshotId id) const override {
        const auto it = snapshots.find(id);
        return it == snapshots.end()
                   ? std::nullopt
                   : std::optional<int64_t>(static_cast<int64_t>(it->second.image.size()));
    }
    Bytes read(SnapshotId id, int64_t position, int64_t length) const override {
        const Bytes& b = snapshots.at(id).image;
        return Bytes(b.begin() + position, b.begin() + position + length);
    }
    void keep(SnapshotId id, Bytes image, Instant now) {
        snapshots[id] = Snapshot{std::move(image), now};
        std::erase_if(snapshots, [&](const auto& s) {
            return s.first < id && now - s.second.taken > snapshot_retention;
        });
    }
};

struct InFlight {
    Instant at;
    uint64_t seq = 0;
    Message message;
};

struct Cluster {
    std::vector<NodeId> voters;
    std::vector<NodeId> replicas;  // voters, then observers
    raft::QuorumConfig config;
    std::map<NodeId, Disk> disks;
    std::map<NodeId, QuorumReplica*> live;  // replicas of running nodes
    std::vector<InFlight> bus;
    uint64_t next_seq = 0;
    std::set<std::pair<int32_t, int32_t>> blocked;  // (from, to)
    double drop_p = 0;
    Duration latency_max = Duration::millis(10);
    int64_t snapshot_every = 50;      // the applications snapshot after this many entries
    std::optional<NodeId> resigning;  // the faults ask this leader to resign
    // Checker state.
    std::map<int32_t, NodeId> leaders;  // epoch -> leader
    std::map<std::pair<NodeId, int32_t>, Instant> leader_since;
    std::map<std::pair<NodeId, NodeId>, Instant> delivered;  // (to, from) -> last delivery
    std::vector<Entry> committed;
    std::map<std::pair<int64_t, int32_t>, std::pair<Bytes, int32_t>>
        entries;  // -> data, prev epoch
    uint64_t proposals = 0;
    uint64_t installs = 0;
    uint64_t resigns = 0;
    bool healed = false;
    std::optional<int64_t> heal_marker;  // offset of the first entry proposed after healing
    Violation violation;

    void fail(const char* checker, std::string why) { violation.report(checker, std::move(why)); }

    std::optional<NodeId> leader() const {
        for (const auto& [id, r] : live) {
            if (r->role() == raft::Role::leader) {
                return id;
            }
        }
        return std::nullopt;
    }

    // `e` is committed at offset `o`: it must match what is known committed there, or extend it.
    void check_committed(int64_t o, const Entry& e, const std::string& who) {
        const auto at = static_cast<size_t>(o);
        if (at < committed.size()) {
            if (!(committed[at] == e)) {
                fail(state_machine_safety, who + " has another entry at committed offset " +
                                               std::to_string(o) + " (epoch " +
                                               std::to_string(e.epoch) + " vs " +
                                               std::to_string(committed[at].epoch) + ")");
            }
        } else if (at == committed.size()) {
            committed.push_back(e);
        } else {
            fail(state_machine_safety,
                 who + " committed offset " + std::to_string(o) + " with a gap below it");
        }
    }
};

std::string name(NodeId id) { return "replica " + std::to_string(id.value()); }

// The application: the entries it applied, from offset 0.
struct App {
    std::vector<Entry> applied;
    int64_t end() const { return static_cast<int64_t>(applied.size()); }
};

void check_snapshot(Cluster& c, NodeId id, SnapshotId sid, const Bytes& image, App& app,
                    const char* how) {
    const auto entries = decode(image);
    if (!entries || static_cast<int64_t>(entries->size()) != sid.end_offset) {
        c.fail(state_machine_safety, name(id) + " " + how + " a malformed snapshot");
        return;
    }
    for (size_t o = 0; o < entries->size() && c.violation.empty(); ++o) {
        c.check_committed(static_cast<int64_t>(o), (*entries)[o], name(id) + "'s snapshot");
    }
    app.applied = *entries;
}

// Log matching, on what a delta appends (`after`: the disk once it is applied): one (data,
// previous epoch) per (offset, epoch).
void check_appended(Cluster& c, NodeId id, const raft::PersistDelta& d,
                    const raft::DurableState& after) {
    const int64_t start = after.snapshot.end_offset;
    int32_t prev = d.append_from > start
                       ? after.log[static_cast<size_t>(d.append_from - start - 1)].epoch
                       : after.snapshot.epoch;
    for (size_t i = 0; i < d.appended.size(); ++i) {
        const Entry& e = d.appended[i];
        const int64_t o = d.append_from + static_cast<int64_t>(i);
        auto [it, fresh] = c.entries.try_emplace({o, e.epoch}, e.data, prev);
        if (!fresh && (it->second.first != e.data || it->second.second != prev)) {
            c.fail(log_matching, name(id) + " holds another entry of epoch " +
                                     std::to_string(e.epoch) + " at offset " + std::to_string(o));
            return;
        }
        prev = e.epoch;
    }
}

void observe(Cluster& c, const QuorumReplica& r, Instant now, int64_t& last_hw) {
    const NodeId id = r.id();
    if (r.role() == raft::Role::leader) {
        auto [it, fresh] = c.leaders.emplace(r.epoch(), id);
        if (!fresh && it->second != id) {
            c.fail(election_safety, "two leaders in epoch " + std::to_string(r.epoch()) + ": " +
                                        std::to_string(it->second.value()) + " and " +
                                        std::to_string(id.value()));
            return;
        }
        const auto [since, new_leader] = c.leader_since.try_emplace({id, r.epoch()}, now);
        if (new_leader) {
            const int64_t end = static_cast<int64_t>(c.committed.size());
            if (r.end_offset() < end) {
                c.fail(leader_completeness, "the leader of epoch " + std::to_string(r.epoch()) +
                                                " (" + std::to_string(id.value()) + ") ends at " +
                                                std::to_string(r.end_offset()) + ", below " +
                                                std::to_string(end) + " committed entries");
                return;
            }
            for (int64_t o = r.log_start_offset(); o < end; ++o) {
                if (!(r.entry(o) == c.committed[static_cast<size_t>(o)])) {
                    c.fail(leader_completeness, "the leader of epoch " + std::to_string(r.epoch()) +
                                                    " (" + std::to_string(id.value()) +
                                                    ") lacks committed entry " + std::to_string(o));
                    return;
                }
            }
        }
        size_t heard = 1;
        for (NodeId v : c.voters) {
            const auto d = c.delivered.find({id, v});
            const Instant last =
                std::max(since->second, d == c.delivered.end() ? since->second : d->second);
            heard += v != id && now - last < c.config.fetch_timeout + quorum_slack ? size_t{1}
                                                                                   : size_t{0};
        }
        if (heard < c.voters.size() / 2 + 1) {
            c.fail(leader_has_quorum,
                   "replica " + std::to_string(id.value()) + " still leads epoch " +
                       std::to_string(r.epoch()) + " having heard from " + std::to_string(heard) +
                       " of " + std::to_string(c.voters.size()) + " voters for over fetch_timeout");
            return;
        }
    }
    if (r.high_watermark() < last_hw) {
        c.fail(high_watermark_monotonic, name(id) + "'s high watermark moved back from " +
                                             std::to_string(last_hw) + " to " +
                                             std::to_string(r.high_watermark()));
        return;
    }
    for (int64_t o = std::max(last_hw, r.log_start_offset()); o < r.high_watermark(); ++o) {
        c.check_committed(o, r.entry(o), name(id));
    }
    last_hw = r.high_watermark();
}

Bytes bytes_of(const std::string& s) {
    return Bytes(reinterpret_cast<const std::byte*>(s.data()),
                 reinterpret_cast<const std::byte*>(s.data()) + s.size());
}

// One step's aftermath, as a driver does it: persist, check, apply the committed entries.
void persist_and_apply(Env& env, Cluster& c, QuorumReplica& replica, Disk& disk, App& app) {
    const NodeId id = replica.id();
    raft::PersistDelta d = replica.take_persist();
    if (d.snapshot_installed) {
        const int64_t applied = app.end();
        check_snapshot(c, id, d.snapshot_installed->id, d.snapshot_installed->image, app,
                       "installed");
        if (app.end() < applied) {
            c.fail(applied_monotonic, name(id) + " installed a snapshot below what it applied");
        }
        disk.keep(d.snapshot_installed->id, d.snapshot_installed->image, env.scheduler.now());
        c.installs += 1;
        env.tracer.event(
            "raft.snapshot_installed",
            {{"node", id.value()}, {"end_offset", d.snapshot_installed->id.end_offset}});
    }
    apply(d, disk.state);
    if (!d.appended.empty()) {
        check_appended(c, id, d, disk.state);
    }
    if (!(disk.state == replica.durable())) {
        c.fail(persist_delta, name(id) +
                                  "'s disk, built from its persist deltas, differs from "
                                  "its durable state");
    }
    const raft::CommittedEntries committed = replica.take_committed();
    if (committed.base_offset != app.end() && !committed.entries.empty()) {
        c.fail(applied_monotonic, name(id) + " was handed entries from " +
                                      std::to_string(committed.base_offset) + " having applied " +
                                      std::to_string(app.end()));
        return;
    }
    for (const Entry& e : committed.entries) {
        c.check_committed(app.end(), e, name(id) + "'s application");
        app.applied.push_back(e);
    }
}

void replica_main(Env& env, Cluster& c, NodeId id, raft::QuorumKnobs knobs) {
    Random r = env.random.fork("replica");
    Disk& disk = c.disks[id];
    // The application restarts from its snapshot.
    App app;
    if (disk.state.snapshot.end_offset > 0) {
        check_snapshot(c, id, disk.state.snapshot, disk.snapshots.at(disk.state.snapshot).image,
                       app, "reloaded");
    }
    QuorumReplica replica(id, c.config, disk.state, env.random.fork("raft"), env.scheduler.now(),
                          &disk, knobs);
    struct Registration {
        Cluster& c;
        NodeId id;
        ~Registration() {
            // A crash resets the node's connections: what was on its way to it is lost.
            c.live.erase(id);
            std::erase_if(c.bus, [this](const InFlight& f) { return f.message.to == id; });
        }
    } registration{c, id};
    c.live[id] = &replica;
    int64_t last_hw = 0;  // a restart forgets the high watermark
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
            c.delivered[{id, f.message.from}] = now;
            if (const auto* vote = std::get_if<raft::VoteResponse>(&f.message.body)) {
                // As services/raft/quorum_driver.cpp traces it, for eddy sim viz elections.
                env.tracer.event("raft.vote", {{"node", id.value()},
                                               {"from", f.message.from.value()},
                                               {"epoch", vote->epoch},
                                               {"granted", vote->granted},
                                               {"pre_vote", vote->pre_vote}});
            }
            replica.receive(f.message, now, out);
        }
        replica.tick(now, out);
        if (replica.role() == raft::Role::leader && c.resigning == id) {
            c.resigning.reset();
            c.resigns += replica.resign(now, out) ? uint64_t{1} : uint64_t{0};
            env.tracer.event("raft.resign", {{"node", id.value()}, {"epoch", replica.epoch()}});
        }
        if (replica.role() == raft::Role::leader && r.chance(0.2)) {
            auto at = replica.propose(bytes_of("e" + std::to_string(++c.proposals)), now, out);
            if (at && c.healed && !c.heal_marker) {
                c.heal_marker = *at;
            }
        }
        persist_and_apply(env, c, replica, disk, app);  // before anything is sent
        if (app.end() - replica.log_start_offset() >= c.snapshot_every) {
            disk.keep(SnapshotId{app.end(), app.applied.back().epoch},
                      encode(app.applied, app.end()), now);
            replica.snapshot_taken(app.end());
            persist_and_apply(env, c, replica, disk, app);
        }
        if (replica.role() != traced_role || replica.epoch() != traced_epoch) {
            traced_role = replica.role();
            traced_epoch = replica.epoch();
            env.tracer.event("raft.role", {{"node", id.value()},
                                           {"epoch", traced_epoch},
                                           {"role", std::string(raft::to_string(traced_role))},
                                           {"end_offset", replica.end_offset()},
                                           {"high_watermark", replica.high_watermark()}});
        }
        if (c.violation.empty()) {
            observe(c, replica, now, last_hw);
        }
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
    for (NodeId v : c.replicas) {
        auto it = c.live.find(v);
        if (it == c.live.end() || it->second->high_watermark() <= *c.heal_marker) {
            return false;
        }
    }
    return true;
}

enum class Fault : uint8_t {
    crash,
    isolate,
    mute,
    isolate_leader,
    crash_leader,
    resign_leader,
    lag_then_restart_others,  // a voter falls behind, rejoins, and all the others power-cycle
    rot,                      // a crash whose disk lost the tail of the log (bit rot found)
    rot_vote,                 // a voter that helped commit loses its log, then must vote
};

RunResult run_raft_quorum(const RunOptions& ro, bool leader_faults) {
    Random swarm = Random(ro.seed).fork("swarm");
    // Declared before the world: replicas unregister from it when the world unwinds them.
    Cluster c;
    sim::WorldOptions wo;
    wo.log_levels = LogLevel::error;
    ro.route_logs(wo);
    sim::SimWorld world(ro.seed, wo);
    if (ro.trace_sink) {
        world.trace().set_sink(ro.trace_sink);
    }
    const int n = swarm.chance(0.5) ? 3 : 5;
    const int observers = static_cast<int>(swarm.below(3));
    for (int i = 1; i <= n + observers + 1; ++i) {
        (i <= n ? c.voters : c.replicas).push_back(NodeId(i));
    }
    c.replicas.insert(c.replicas.begin(), c.voters.begin(), c.voters.end());
    const NodeId newcomer = c.replicas.back();  // joins later with an empty disk
    c.drop_p = swarm.chance(0.5) ? swarm.unit() * 0.1 : 0;
    c.latency_max = Duration::millis(swarm.between(2, 40));
    c.snapshot_every = swarm.between(10, 200);
    c.config.voters = c.voters;
    c.config.election_timeout = Duration::millis(swarm.between(150, 500));
    c.config.fetch_timeout = c.config.election_timeout * 2;
    c.config.request_timeout = Duration::millis(200);
    c.config.fetch_interval = Duration::millis(20);
    c.config.election_backoff = Duration::millis(swarm.between(10, 100));
    c.config.snapshot_chunk_bytes = swarm.between(256, 8192);
    raft::QuorumKnobs knobs;
    knobs.vote_ignores_log = ro.planted("vote-ignores-log");
    knobs.check_quorum_disabled = ro.planted("check-quorum-disabled");
    knobs.recovering_votes = ro.planted("recovering-votes");
    // Fault weights, in the order of `Fault`.
    const std::vector<int64_t> weights =
        leader_faults ? std::vector<int64_t>{1, 1, 1, 6, 1, 1, 1, 0, 0}
        : knobs.recovering_votes ? std::vector<int64_t>{1, 1, 1, 1, 1, 1, 1, 1, 8}
                                 : std::vector<int64_t>{2, 2, 2, 2, 2, 1, 4, 2, 1};

    auto node_of = [&](NodeId id) -> sim::SimNode& {
        return world.node("replica-" + std::to_string(id.value()));
    };
    for (NodeId id : c.replicas) {
        world.add_node("replica-" + std::to_string(id.value()),
                       [&c, id, knobs](Env& env) { replica_main(env, c, id, knobs); });
    }
    for (NodeId id : c.replicas) {
        if (id != newcomer) {
            world.start(node_of(id));
        }
    }
    bool done = false;
    // Every fault goes through the injector as a kind of this scenario whose record holds what
    // it uses (its victim, and its waits drawn before it starts in the order the loop always
    // drew them), so a run replayed from its own schedule (--faults) is the drawn run again.
    FaultInjector faults(world);
    const auto name_of = [](NodeId id) { return "replica-" + std::to_string(id.value()); };
    const auto victim_of = [](const FaultSpec& f) {
        return NodeId(std::stoi(f.side_a.at(0).substr(std::string_view("replica-").size())));
    };
    const auto crash = [&](NodeId v) {
        if (node_of(v).up()) {
            world.crash(node_of(v));
        }
    };
    const auto start = [&](NodeId v) {
        if (!node_of(v).up()) {
            world.start(node_of(v));
        }
    };
    const auto isolate = [&](NodeId victim, bool both_ways) {
        for (NodeId other : c.replicas) {
            c.blocked.insert({victim.value(), other.value()});
            if (both_ways) {
                c.blocked.insert({other.value(), victim.value()});
            }
        }
    };
    auto& sched_ = world.world_env().scheduler;
    // The newcomer starts with an empty disk.
    faults.custom["join"] = [&](const FaultSpec& f) {
        world.trace("fault.join", {{"node", victim_of(f).value()}});
        start(victim_of(f));
    };
    // Crashed, started again after hold.
    faults.custom["raft_crash"] = [&](const FaultSpec& f) {
        world.trace("fault.crash", {{"node", victim_of(f).value()}});
        crash(victim_of(f));
        sched_.sleep_for(f.hold);
        start(victim_of(f));
    };
    // Crashed with bit rot found in its log at restart: the entries from value per mille of the
    // way between the snapshot and the end are gone, as QuorumDriver::open finds them (the
    // synced end unknown too when value >= 1000). A voter then recovers from its epoch and the
    // end it had synced, as the driver marks it (DurableState::recovering_epoch); an observer
    // just fetches again. Started again after hold.
    // Rot strikes a voter only while the voters whose logs may lack committed entries (those
    // recovering) stay a minority with it: committed entries are on a majority, and rot on more
    // than a minority could leave no voter holding some of them (lost data, and a quorum that
    // rightly elects no one without it).
    const auto may_damage = [&](NodeId v) {
        if (std::find(c.voters.begin(), c.voters.end(), v) == c.voters.end()) {
            return true;
        }
        size_t damaged = 1;
        for (NodeId o : c.voters) {
            damaged += o != v && c.disks[o].state.recovering_epoch ? size_t{1} : size_t{0};
        }
        return damaged <= (c.voters.size() - 1) / 2;
    };
    faults.custom["raft_rot"] = [&](const FaultSpec& f) {
        const NodeId v = victim_of(f);
        world.trace("fault.rot", {{"node", v.value()}});
        crash(v);
        if (!may_damage(v)) {
            sched_.sleep_for(f.hold);  // a crash like any other
            start(v);
            return;
        }
        raft::DurableState& d = c.disks[v].state;
        const auto kept = static_cast<size_t>(static_cast<int64_t>(d.log.size()) *
                                              (f.value % 1000) / 1000);
        const int64_t synced_end = d.snapshot.end_offset + static_cast<int64_t>(d.log.size());
        if (kept < d.log.size()) {
            d.log.resize(kept);
            const bool voter = std::find(c.voters.begin(), c.voters.end(), v) != c.voters.end();
            if (voter && !d.recovering_epoch) {
                d.recovering_epoch = d.epoch;
                if (f.value < 1000) {
                    d.recovering_end = synced_end;
                }
            }
        }
        sched_.sleep_for(f.hold);
        start(v);
    };
    // The rot vote, drawn from a stream seeded by value: the leader commits through one voter
    // (and just enough others) while the rest are cut off for hold and fall behind; then the
    // leader and its committers crash, the voter's disk loses its whole log past the snapshot
    // (marked recovering, as the driver marks it), and it comes back beside the voters that
    // fell behind, which hold a majority only with its vote; the others return after a while.
    // Comparing candidates with what is left of its log would elect one that lacks committed
    // entries (`leader-completeness`).
    faults.custom["raft_rot_vote"] = [&](const FaultSpec& f) {
        Random r(static_cast<uint64_t>(f.value));
        const auto leader = c.leader();
        if (!leader) {
            return;
        }
        std::vector<NodeId> rest;
        for (NodeId v : c.voters) {
            if (v != *leader) {
                rest.push_back(v);
            }
        }
        for (size_t i = rest.size(); i > 1; --i) {
            std::swap(rest[i - 1], rest[r.below(i)]);
        }
        const NodeId victim = rest.front();
        const size_t committers = c.voters.size() / 2 + 1 - 2;
        std::vector<NodeId> down(rest.begin() + 1,
                                 rest.begin() + 1 + static_cast<ptrdiff_t>(committers));
        down.push_back(*leader);
        const std::vector<NodeId> laggards(rest.begin() + 1 + static_cast<ptrdiff_t>(committers),
                                           rest.end());
        world.trace("fault.rot_vote", {{"leader", leader->value()}, {"node", victim.value()}});
        for (NodeId l : laggards) {
            isolate(l, true);
        }
        sched_.sleep_for(f.hold);
        c.blocked.clear();
        for (NodeId id : down) {
            crash(id);
        }
        crash(victim);
        raft::DurableState& d = c.disks[victim].state;
        if (!d.log.empty() && may_damage(victim)) {
            const int64_t synced_end = d.snapshot.end_offset + static_cast<int64_t>(d.log.size());
            d.log.clear();
            if (!d.recovering_epoch) {
                d.recovering_epoch = d.epoch;
                d.recovering_end = synced_end;
            }
        }
        start(victim);
        sched_.sleep_for(c.config.fetch_timeout * r.between(3, 6));
        for (NodeId id : down) {
            start(id);
        }
    };
    // Cut off from every replica for hold: both ways (value 1), or unheard (value 0: mute).
    faults.custom["raft_isolate"] = [&](const FaultSpec& f) {
        world.trace(f.value == 1 ? "fault.isolate" : "fault.mute", {{"node", victim_of(f).value()}});
        isolate(victim_of(f), f.value == 1);
        sched_.sleep_for(f.hold);
        c.blocked.clear();
        world.trace("fault.heal_all", {});
    };
    // A voter cut off for hold falls behind; value / 10000 ms later every other voter crashes
    // at once (a rack's power), and comes back value % 10000 ms after.
    faults.custom["raft_lag"] = [&](const FaultSpec& f) {
        const NodeId victim = victim_of(f);
        world.trace("fault.isolate", {{"node", victim.value()}});
        isolate(victim, true);
        sched_.sleep_for(f.hold);
        c.blocked.clear();
        world.trace("fault.heal_all", {});
        sched_.sleep_for(Duration::millis(f.value / 10000));
        std::vector<NodeId> down;
        for (NodeId v : c.voters) {
            if (v != victim && node_of(v).up()) {
                world.trace("fault.crash", {{"node", v.value()}});
                crash(v);
                down.push_back(v);
            }
        }
        sched_.sleep_for(Duration::millis(f.value % 10000));
        for (NodeId v : down) {
            start(v);
        }
    };
    // A graceful shutdown: resign, EndQuorumEpoch goes out for hold, stop, restart after value
    // ms.
    faults.custom["raft_resign"] = [&](const FaultSpec& f) {
        const NodeId victim = victim_of(f);
        world.trace("fault.resign", {{"node", victim.value()}});
        c.resigning = victim;
        sched_.sleep_for(f.hold);
        c.resigning.reset();
        crash(victim);
        sched_.sleep_for(Duration::millis(f.value));
        start(victim);
    };
    world.spawn("faults", [&] {
        auto& sched = world.world_env().scheduler;
        // Recorded as faults, not hashed: a replay draws none of the loop's numbers.
        Random r = fault_stream(world, "faults");
        const Instant fault_end = sched.now() + Duration::seconds(r.between(10, 25));
        const Instant newcomer_at = sched.now() + Duration::millis(r.between(3000, 9000));
        const auto ms = [&r](int64_t lo, int64_t hi) { return Duration::millis(r.between(lo, hi)); };
        const auto fault = [&](const char* kind, NodeId victim, Duration hold, int64_t value) {
            FaultSpec f = custom_fault(kind, {name_of(victim)});
            f.hold = hold;
            f.value = value;
            faults.apply(std::move(f));
        };
        int64_t total = 0;
        for (int64_t w : weights) {
            total += w;
        }
        faults.use_lanes();
        faults.begin_phase();
        if (ro.faults != nullptr) {
            faults.replay_lanes(*ro.faults);
            if (sched.now() < Instant() + ro.faults->phase_end) {
                sched.sleep_until(Instant() + ro.faults->phase_end);
            }
        }
        while (ro.faults == nullptr && sched.now() < fault_end && c.violation.empty()) {
            sched.sleep_for(ms(50, 1500));
            faults.wake(lane_main);
            if (!node_of(newcomer).up() && sched.now() >= newcomer_at) {
                faults.apply(custom_fault("join", {name_of(newcomer)}));
            }
            int64_t pick = static_cast<int64_t>(r.below(static_cast<uint64_t>(total)));
            size_t kind = 0;
            while (pick >= weights[kind]) {
                pick -= weights[kind++];
            }
            NodeId victim = c.replicas[r.below(c.replicas.size())];
            const auto f = static_cast<Fault>(kind);
            if (f == Fault::isolate_leader || f == Fault::crash_leader ||
                f == Fault::resign_leader) {
                const auto leader = c.leader();
                if (!leader) {
                    continue;
                }
                victim = *leader;
            }
            if (!node_of(victim).up()) {
                continue;
            }
            switch (static_cast<Fault>(kind)) {
                case Fault::crash:
                case Fault::crash_leader:
                    fault("raft_crash", victim, ms(10, 2000), 0);
                    break;
                case Fault::isolate:
                case Fault::isolate_leader:
                    fault("raft_isolate", victim, ms(100, 3000), 1);
                    break;
                case Fault::mute:
                    // One-way: the victim hears the others but cannot answer.
                    fault("raft_isolate", victim, ms(100, 3000), 0);
                    break;
                case Fault::lag_then_restart_others: {
                    victim = c.voters[r.below(c.voters.size())];
                    const Duration cut = ms(500, 3000);
                    const int64_t before = r.between(0, 100);
                    const int64_t down = r.between(10, 500);
                    fault("raft_lag", victim, cut, before * 10000 + down);
                    break;
                }
                case Fault::rot_vote:
                    fault("raft_rot_vote", victim, ms(300, 1500),
                          static_cast<int64_t>(r.next() >> 1));
                    break;
                case Fault::rot:
                    fault("raft_rot", victim, ms(10, 2000),
                          r.between(0, 999) + (r.chance(0.2) ? 1000 : 0));
                    break;
                case Fault::resign_leader: {
                    const Duration resigning = ms(20, 200);
                    fault("raft_resign", victim, resigning, r.between(100, 1500));
                    break;
                }
            }
        }
        faults.end_phase();
        c.blocked.clear();
        c.drop_p = 0;
        for (NodeId id : c.replicas) {
            if (!node_of(id).up()) {
                world.start(node_of(id));
            }
        }
        c.healed = true;
        const Instant give_up = sched.now() + Duration::seconds(30);
        while (sched.now() < give_up && c.violation.empty() && !settled(c)) {
            sched.sleep_for(Duration::millis(50));
        }
        done = true;
    });
    world.run([&] { return done || !c.violation.empty(); },
              Instant::from_nanos(Duration::seconds(120).to_nanos()));
    if (ro.faults_sink) {
        ro.faults_sink(faults.schedule());
    }

    int32_t max_epoch = 0;
    for (const auto& [epoch, leader] : c.leaders) {
        max_epoch = std::max(max_epoch, epoch);
    }
    Verdict v = Verdict::ok(
        std::to_string(n) + " voters, " + std::to_string(c.replicas.size() - c.voters.size()) +
        " observers, " + std::to_string(c.leaders.size()) + " leaders up to epoch " +
        std::to_string(max_epoch) + ", " + std::to_string(c.resigns) + " resigned, " +
        std::to_string(c.committed.size()) + " entries committed, " + std::to_string(c.installs) +
        " snapshots installed");
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
            "KRaft-style quorum (pre-vote, observers, snapshots, graceful resigns) under message "
            "loss, delays, partitions and crashes: one leader per epoch, matching logs, leaders "
            "hold every committed entry, committed entries and snapshots never change",
            [](const RunOptions& ro) { return run_raft_quorum(ro, false); }};
}

Scenario raft_quorum_leader_isolation_scenario() {
    return {"raft-quorum-leader-isolation",
            "raft-quorum with its faults aimed at the leader (isolated, crashed, resigning): "
            "a leader cut off from a majority stops leading (check quorum)",
            [](const RunOptions& ro) { return run_raft_quorum(ro, true); }};
}

}  // namespace eddy::scenarios
