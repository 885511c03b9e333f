// Scenarios "controller-quorum" and "controller-quorum-leader-isolation": the acceptance test of
// the controller quorum. A cluster of real kafka::Broker nodes on the simulated network and
// disks — 3 or 5 broker+controller nodes (the voters of the metadata quorum) and 1-2 broker-only
// nodes (observers) — each with its own config (node.id, controller.quorum.voters naming the sim
// hosts, a PLAINTEXT and a CONTROLLER listener) and short timeouts (election 150-400 ms, fetch
// twice that, broker session 2 s). A client creates topics (and deletes some of them) through
// random nodes, retrying on errors, and records every creation acknowledged.
//
// Faults, until the fault phase ends and everything heals: a node isolated both ways (a
// minority), the nodes split into two random sides (one side may hold a majority), a node that
// hears but cannot be heard (one-way), crashes that lose unsynced writes (quorum-state included)
// and restarts, pauses, wall-clock jumps, bursts of disk read errors and failed fsyncs (a failed
// fsync crashes the node; a supervisor restarts crashed nodes), bit rot on a crashed node's
// metadata log (not its quorum-state), the vote crash: the leader is isolated, every voter that
// grants a vote in the election that follows is crashed a moment later, then the winner is
// isolated in turn, so the crashed voters and the old leader elect again — in the same epoch if a
// vote was forgotten — and the rot vote (Nemesis::rot_vote): a follower through which entries
// commit loses its log to bit rot and must then vote beside voters that lack those entries. "controller-quorum-leader-isolation" aims
// most of its faults at the leader (isolated for longer than the fetch timeout, crashed, on the
// minority side of a split). The client stays connected to every node throughout.
//
// The checkers watch every node's QuorumDriver (raft::QuorumObserver) and images:
// - `election-safety`: at most one leader per epoch, over all nodes and the whole run;
// - `state-machine-safety`: every entry any node applies at an offset is the entry every other
//   node applied there (entries compared by epoch and bytes), and snapshots installed at one
//   offset are the same image: committed metadata is never lost or changed;
// - `metadata-consistent`: the committed entries, replayed in order, decode and each record fits
//   the image of those before it (MetadataImage::inconsistency): the active controller
//   validated every write against an up-to-date image (no topic created twice);
// - `applied-monotonic`: a node's applied metadata offset never moves back within an incarnation;
// - `leaders-answer-correctly`: no replica refused a fetch response (one diverging below its high
//   watermark or inside its snapshot, or entries that cannot follow its log: the replica refuses
//   those rather than asserting, as they come from a peer);
// - `leader-has-quorum`: a leader that, at one of its timer steps, has received nothing from a
//   majority of the voters (itself included) for longer than fetch timeout + 30 ms, counted from
//   when it became leader, no longer leads (check quorum);
// - after healing, once every node is up, registered and unfenced and has applied the same
//   offset (`liveness` if that never happens), a topic created then commits and reaches every
//   node, and then: `image-convergence`: every node's image has the same topics, partitions and
//   brokers; `acked-topics`: every acknowledged creation is there unless the client deleted it;
//   `nothing-invented`: every topic there is one the client asked for.
// Planted bugs: the driver sends each step's messages before its delta is durable
// (DriverKnobs::send_before_persist) → `election-safety` (controller-quorum); a recovering voter
// compares candidates with what is left of its damaged log (QuorumKnobs::recovering_votes) →
// `state-machine-safety` (controller-quorum); check quorum disabled → `leader-has-quorum`
// (controller-quorum-leader-isolation).
#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "scenarios/kafka_nodes.h"
#include "scenarios/scenarios.h"
#include "services/raft/quorum_driver.h"
#include "sim/world.h"

namespace eddy::scenarios {
namespace {

constexpr const char* election_safety = "election-safety";
constexpr const char* state_machine_safety = "state-machine-safety";
constexpr const char* applied_monotonic = "applied-monotonic";
// Every fetch response a replica got could follow its log (QuorumReplica::refused_responses).
constexpr const char* leaders_answer_correctly = "leaders-answer-correctly";
constexpr const char* leader_has_quorum = "leader-has-quorum";
constexpr const char* image_convergence = "image-convergence";
constexpr const char* acked_topics = "acked-topics";
constexpr const char* nothing_invented = "nothing-invented";
constexpr const char* metadata_consistent = "metadata-consistent";

// A tick of the driver (10 ms) and a few slow disk operations between the replica's own check
// and the observer seeing the step.
constexpr Duration quorum_slack = Duration::millis(30);
const std::string after_heal_topic = "after-heal";
constexpr Duration run_limit = Duration::seconds(120);  // simulated

uint64_t fnv(uint64_t h, ByteSpan b) {
    for (std::byte x : b) {
        h = (h ^ static_cast<uint64_t>(x)) * 0x100000001b3ULL;
    }
    return h;
}

// A file of a node's metadata log directory (not of one set aside as damaged).
bool metadata_file(std::string_view path) {
    constexpr std::string_view dir = "__cluster_metadata-0/";
    const size_t at = path.find(dir);
    return at != std::string_view::npos && (at == 0 || path[at - 1] == '/');
}

uint64_t entry_hash(const raft::Entry& e) {
    uint64_t h = 0xcbf29ce484222325ULL ^ static_cast<uint64_t>(static_cast<uint32_t>(e.epoch));
    return fnv(h * 0x100000001b3ULL, e.data);
}

struct Cluster;

// One node's watch on its QuorumDriver (lives as long as the cluster: across incarnations).
class Watch final : public raft::QuorumObserver {
public:
    Watch(Cluster& c, int id) : c_(c), id_(id) {}
    void opened(const raft::QuorumDriver& d) override;
    void received(const raft::QuorumDriver& d, const raft::Message& m) override;
    void settled(const raft::QuorumDriver& d, bool ticked,
                 const std::vector<raft::Message>& sent) override;
    void applied(const raft::QuorumDriver& d, int64_t base_offset,
                 const std::vector<raft::Entry>& entries) override;
    void snapshot_loaded(const raft::QuorumDriver& d, raft::SnapshotId id,
                         ByteSpan image) override;

private:
    // The active controller validated `e` against its image; it must fit the committed prefix.
    void check_records(int64_t offset, const raft::Entry& e);

    Cluster& c_;
    int id_;
};

struct NodeState : ClusterNode {
    int id = 0;
    bool voter = false;
    int64_t applied = 0;  // the driver's applied offset, this incarnation
    raft::Role role = raft::Role::unattached;
    int32_t epoch = 0;
    // Bit rot struck its metadata log and it has not started since (rotted), or it started and
    // is recovering (QuorumDriver::recovering): its log may lack committed entries.
    bool rotted = false;
    bool recovering = false;
};

// The vote crash (see the file comment): armed by the nemesis, sprung by Watch::settled.
struct VoteTrap {
    bool armed = false;
    Instant until;
    std::optional<int32_t> epoch;  // the election it watches (the latest with a vote granted)
    std::set<int> granted;          // voters that granted a vote in it
    std::set<int> crashed;          // voters crashed once its winner led
};

struct Cluster {
    sim::SimWorld* world = nullptr;
    std::vector<int> ids;  // voters first, then observers
    std::vector<int> voters;
    Duration fetch_timeout{};
    std::map<int, NodeState> nodes;
    std::map<int, std::unique_ptr<Watch>> watches;
    std::set<int> held;  // nodes the nemesis keeps down (the supervisor leaves them)
    VoteTrap trap;
    uint64_t vote_crashes = 0;
    // Checker state.
    std::map<int32_t, int> leaders;                       // epoch -> leader
    std::map<std::pair<int, int32_t>, Instant> leader_since;  // (node, epoch) -> first seen leading
    std::map<std::pair<int, int>, Instant> delivered;     // (to, from) -> last message received
    std::map<int64_t, uint64_t> committed;                // offset -> entry hash
    std::map<int64_t, uint64_t> snapshots;                // end offset -> image hash
    // The committed metadata replayed in order, each record checked against the image before it.
    controller::MetadataImage reference;
    int64_t reference_end = 0;
    // The workload.
    std::set<std::string> attempted;    // every name the client tried to create
    std::set<std::string> acked;        // acknowledged creations not deleted since
    std::set<std::string> maybe_gone;   // deletions in doubt
    uint64_t creates_acked = 0;
    uint64_t deletes_acked = 0;
    bool workload_done = false;
    bool healed = false;
    bool checked = false;
    Violation violation;

    Instant now() const { return world->now(); }
    void fail(const char* checker, std::string why) { violation.report(checker, std::move(why)); }

    // The node leading the highest epoch, as the drivers say now.
    std::optional<int> leader() const {
        std::optional<int> best;
        int32_t epoch = -1;
        for (const auto& [id, n] : nodes) {
            if (n.broker != nullptr && n.role == raft::Role::leader && n.epoch > epoch &&
                world->node(cluster_node_name(id)).up()) {
                best = id;
                epoch = n.epoch;
            }
        }
        return best;
    }
};

void Watch::opened(const raft::QuorumDriver& d) {
    NodeState& n = c_.nodes[id_];
    n.applied = d.applied_offset();  // a new incarnation starts from its snapshot
    n.role = d.role();
    n.epoch = d.epoch();
    n.rotted = false;
    n.recovering = d.recovering();
}

void Watch::received(const raft::QuorumDriver& d, const raft::Message& m) {
    (void)d;
    c_.delivered[{id_, m.from.value()}] = c_.now();
}

void Watch::settled(const raft::QuorumDriver& d, bool ticked,
                    const std::vector<raft::Message>& sent) {
    NodeState& n = c_.nodes[id_];
    n.role = d.role();
    n.epoch = d.epoch();
    n.recovering = d.recovering();
    const Instant now = c_.now();
    if (d.applied_offset() < n.applied) {
        c_.fail(applied_monotonic, cluster_node_name(id_) + "'s applied metadata offset moved back from " +
                                       std::to_string(n.applied) + " to " +
                                       std::to_string(d.applied_offset()));
    }
    n.applied = d.applied_offset();
    if (d.refused_responses() > 0) {
        c_.fail(leaders_answer_correctly,
                cluster_node_name(id_) + " refused a fetch response no correct leader sends");
    }
    if (d.role() == raft::Role::leader) {
        const auto [it, fresh] = c_.leaders.emplace(d.epoch(), id_);
        if (!fresh && it->second != id_) {
            c_.fail(election_safety, "two leaders in epoch " + std::to_string(d.epoch()) + ": " +
                                         cluster_node_name(it->second) + " and " + cluster_node_name(id_));
        }
        const auto since = c_.leader_since.try_emplace({id_, d.epoch()}, now).first->second;
        if (ticked) {
            size_t heard = 1;
            for (int v : c_.voters) {
                if (v == id_) {
                    continue;
                }
                const auto at = c_.delivered.find({id_, v});
                const Instant last =
                    at == c_.delivered.end() ? since : std::max(since, at->second);
                heard += now - last < c_.fetch_timeout + quorum_slack ? size_t{1} : size_t{0};
            }
            if (heard < c_.voters.size() / 2 + 1) {
                c_.fail(leader_has_quorum,
                        cluster_node_name(id_) + " still leads epoch " + std::to_string(d.epoch()) +
                            " having heard from " + std::to_string(heard) + " of " +
                            std::to_string(c_.voters.size()) +
                            " voters for over the fetch timeout");
            }
        }
    }
    // The vote crash: the voters that elected a leader go down as soon as it leads, before
    // anything else happens to them (a vote is durable before it is sent, so they must come
    // back remembering it).
    VoteTrap& t = c_.trap;
    if (!t.armed || now >= t.until) {
        return;
    }
    for (const raft::Message& m : sent) {
        const auto* v = std::get_if<raft::VoteResponse>(&m.body);
        if (v != nullptr && v->granted && !v->pre_vote && (!t.epoch || *t.epoch <= v->epoch)) {
            if (t.epoch != v->epoch) {
                t.granted.clear();
            }
            t.epoch = v->epoch;
            t.granted.insert(id_);
        }
    }
    if (d.role() != raft::Role::leader || t.epoch != d.epoch()) {
        return;
    }
    sim::SimWorld& w = *c_.world;
    for (int id : t.granted) {
        if (!t.crashed.insert(id).second) {
            continue;
        }
        c_.held.insert(id);
        ++c_.vote_crashes;
        w.spawn("vote-crash", [&w, id] {
            Random r = w.random().fork("vote-crash");
            w.world_env().scheduler.sleep_for(Duration::micros(r.between(0, 1000)));
            w.trace("fault.vote_crash", {{"node", cluster_node_name(id)}});
            w.crash(w.node(cluster_node_name(id)));
        });
    }
}

void Watch::applied(const raft::QuorumDriver& d, int64_t base_offset,
                    const std::vector<raft::Entry>& entries) {
    (void)d;
    for (size_t i = 0; i < entries.size(); ++i) {
        const int64_t o = base_offset + static_cast<int64_t>(i);
        const uint64_t h = entry_hash(entries[i]);
        const auto [it, fresh] = c_.committed.emplace(o, h);
        if (!fresh && it->second != h) {
            c_.fail(state_machine_safety,
                    cluster_node_name(id_) + " applied another entry (epoch " +
                        std::to_string(entries[i].epoch) + ") at committed metadata offset " +
                        std::to_string(o) + " than a node before it");
            return;
        }
        if (o == c_.reference_end) {
            c_.reference_end = o + 1;
            check_records(o, entries[i]);
        }
    }
}

void Watch::check_records(int64_t offset, const raft::Entry& e) {
    if (e.data.empty()) {
        return;  // a leader-change entry
    }
    auto records = controller::decode_metadata_entry(e.data);
    if (!records.ok()) {
        c_.fail(metadata_consistent, "the committed metadata entry at offset " +
                                         std::to_string(offset) + " does not decode: " +
                                         records.error());
        return;
    }
    for (const controller::MetadataRecord& r : *records) {
        if (auto why = c_.reference.inconsistency(r)) {
            c_.fail(metadata_consistent, "the committed metadata record at offset " +
                                             std::to_string(offset) +
                                             " contradicts the records before it: " + *why);
            return;
        }
        c_.reference.apply(r);
    }
}

void Watch::snapshot_loaded(const raft::QuorumDriver& d, raft::SnapshotId id, ByteSpan image) {
    (void)d;
    const uint64_t h = fnv(0xcbf29ce484222325ULL, image);
    const auto [it, fresh] = c_.snapshots.emplace(id.end_offset, h);
    if (!fresh && it->second != h) {
        c_.fail(state_machine_safety, cluster_node_name(id_) + " installed another metadata snapshot at " +
                                          std::to_string(id.end_offset) + " than a node before it");
    }
}

// The body of one node: a Broker watched through its QuorumDriver, restarted when it does not
// start (run_cluster_node).
void node_main(Env& env, Cluster& c, int id, const config::BrokerConfig& config,
               kafka::BrokerOptions options) {
    options.quorum_observer = c.watches.at(id).get();
    run_cluster_node(env, c.nodes[id], config, options);
}

client::Client make_client(Env& env, const Cluster& c, Random& r, Duration timeout) {
    client::ClientOptions o;
    o.bootstrap.push_back(Address{cluster_node_name(c.ids[r.below(c.ids.size())]), broker_port});
    o.request_timeout = timeout;
    o.retry_backoff = Duration::millis(50);
    o.retry_backoff_max = Duration::millis(400);
    return client::Client(env, o);
}

// Creates `name` through random nodes, up to `attempts` times; true once acknowledged (or
// TOPIC_ALREADY_EXISTS: the name is ours alone, so an earlier attempt of ours committed).
bool create(Env& env, Cluster& c, Random& r, const std::string& name, int attempts) {
    client::NewTopic t;
    t.name = name;
    t.partitions = static_cast<int32_t>(r.between(1, 3));
    t.replication_factor = static_cast<int16_t>(r.chance(0.7) ? 1 : 2);
    c.attempted.insert(name);
    for (int i = 0; i < attempts; ++i) {
        client::Client client = make_client(env, c, r, Duration::seconds(3));
        const auto res = client.create_topic(t);
        if (res.ok() || res.error().code == client::error_code::topic_already_exists) {
            return true;
        }
        if (res.error().code == client::error_code::invalid_replication_factor) {
            t.replication_factor = 1;  // too few unfenced brokers right now
        }
        env.scheduler.sleep_for(Duration::millis(r.between(20, 200)));
    }
    return false;
}

void workload(Env& env, Cluster& c) {
    Random r = env.random.fork("workload");
    uint64_t n = 0;
    while (!c.workload_done) {
        if (r.chance(0.2) && !c.acked.empty()) {
            auto it = c.acked.begin();
            std::advance(it, static_cast<ptrdiff_t>(r.below(c.acked.size())));
            const std::string name = *it;
            c.acked.erase(it);
            client::Client client = make_client(env, c, r, Duration::seconds(3));
            const auto res = client.delete_topic(name);
            if (res.ok()) {
                ++c.deletes_acked;
            } else {
                c.maybe_gone.insert(name);  // it may still go: no claim either way
            }
        } else {
            const std::string name = "t" + std::to_string(++n);
            if (create(env, c, r, name, 4)) {
                c.acked.insert(name);
                ++c.creates_acked;
            }
        }
        env.scheduler.sleep_for(Duration::millis(r.between(20, 300)));
    }
}

// Every node up with a started broker, every broker registered and unfenced in every image, one
// leader, and every node at the same applied offset of at least `offset`.
bool converged(const Cluster& c, int64_t offset) {
    std::optional<int64_t> applied;
    for (const auto& [id, n] : c.nodes) {
        if (n.broker == nullptr || !c.world->node(cluster_node_name(id)).up()) {
            return false;
        }
        const int64_t a = n.broker->quorum().applied_offset();
        if (a < offset || (applied && *applied != a)) {
            return false;
        }
        applied = a;
        const auto& image = n.broker->controller().image();
        for (int b : c.ids) {
            const auto* s = image.broker(b);
            if (s == nullptr || s->fenced) {
                return false;
            }
        }
    }
    return c.leader().has_value();
}

std::string describe_waiting(const Cluster& c) {
    std::string s;
    for (const auto& [id, n] : c.nodes) {
        s += " " + cluster_node_name(id) + ":";
        if (auto trouble = cluster_node_trouble(*c.world, id, n)) {
            s += *trouble;
        } else {
            const auto& q = n.broker->quorum();
            s += std::string(raft::to_string(q.role())) + "/e" + std::to_string(q.epoch()) +
                 "/applied " + std::to_string(q.applied_offset());
            int fenced = 0;
            for (int b : c.ids) {
                const auto* st = n.broker->controller().image().broker(b);
                fenced += st == nullptr || st->fenced ? 1 : 0;
            }
            s += "/fenced " + std::to_string(fenced);
        }
    }
    return s;
}

// After healing: convergence, a change made now reaches every node, then the image checks.
void check_after_heal(Env& env, Cluster& c) {
    Random r = env.random.fork("final");
    auto wait_converged = [&](int64_t offset, const char* what) {
        const Instant give_up = env.scheduler.now() + Duration::seconds(40);
        while (!converged(c, offset)) {
            if (env.scheduler.now() >= give_up || !c.violation.empty()) {
                c.fail(checkers::liveness, std::string("after healing, ") + what +
                                               " within 40 simulated seconds:" +
                                               describe_waiting(c));
                return false;
            }
            env.scheduler.sleep_for(Duration::millis(100));
        }
        return true;
    };
    if (!wait_converged(0, "the cluster did not converge")) {
        return;
    }
    if (!create(env, c, r, after_heal_topic, 20)) {
        c.fail(checkers::liveness, "after healing, creating '" + after_heal_topic +
                                       "' was not acknowledged in 20 attempts");
        return;
    }
    c.acked.insert(after_heal_topic);
    // The creation is committed; wait until every node has applied what the leader has.
    const int64_t end = c.nodes.at(*c.leader()).broker->quorum().applied_offset();
    if (!wait_converged(end, "a topic created then did not reach every node")) {
        return;
    }
    const auto& first = c.nodes.begin()->second.broker->controller().image();
    for (const auto& [id, n] : c.nodes) {
        const auto& image = n.broker->controller().image();
        if (image.topics() != first.topics() || image.brokers() != first.brokers()) {
            c.fail(image_convergence,
                   cluster_node_name(id) + "'s metadata image differs from " +
                       cluster_node_name(c.nodes.begin()->first) + "'s at the same applied offset " +
                       std::to_string(n.broker->quorum().applied_offset()));
            return;
        }
        if (image.topic(after_heal_topic) == nullptr) {
            c.fail(acked_topics, cluster_node_name(id) + " lacks '" + after_heal_topic +
                                     "', created after healing");
            return;
        }
    }
    for (const std::string& t : c.acked) {
        if (first.topic(t) == nullptr) {
            c.fail(acked_topics, "topic '" + t + "' was acknowledged as created, never deleted, "
                                 "and is missing after healing");
            return;
        }
    }
    for (const auto& [name, t] : first.topics()) {
        if (!c.attempted.contains(name) && !kafka::is_internal_topic(name)) {
            c.fail(nothing_invented, "topic '" + name + "' exists but no client created it");
            return;
        }
    }
}

enum class Fault : uint8_t {
    isolate,        // one node cut off both ways (a minority)
    split,          // two random sides; one may hold a majority
    mute,           // one node cannot be heard (one-way)
    crash,          // crash, restart after a while
    pause,          // SIGSTOP, then resume
    clock_jump,     // the wall clock steps
    disk_faults,    // read errors and failed fsyncs on one node's disk for a while
    vote_crash,     // isolate the leader; crash the voters of the next election; isolate the winner
    leader_faults,  // the leader isolated, crashed, or on the minority side
    rot_vote,       // a follower whose acknowledgement commits loses its log; then it must vote
    count,
};

class Nemesis : public ClusterFaults {
public:
    Nemesis(sim::SimWorld& w, Cluster& c, std::vector<int64_t> weights, Duration hold_max)
        : ClusterFaults(w, c.ids, c.held, w.random().fork("nemesis"), hold_max),
          c_(c),
          weights_(std::move(weights)) {
        // Its draws come from a stream seeded by the record's value.
        add_custom("vote_crash",
                   [this](const FaultSpec& f) { vote_crash(static_cast<uint64_t>(f.value)); });
        add_custom("rot_vote",
                   [this](const FaultSpec& f) { rot_vote(static_cast<uint64_t>(f.value)); });
    }

    // The scenario's own fault loop, until `end` (ClusterFaults::run_phase heals after).
    void draw_until(Instant end) {
        Scheduler& s = sched();
        while (s.now() < end && c_.violation.empty()) {
            gap(Duration::millis(r_.between(100, 1200)));
            inject(static_cast<Fault>(pick(weights_)));
        }
    }
    void run(Duration phase, const FaultSchedule* replay) {
        // The whole menu. Bit rot strikes the metadata log of a crashed node (segments,
        // indexes, snapshots, the synced end): the node sets a damaged log aside, copies it from
        // the leader, and as a voter compares candidates with the log it lost until it has
        // caught up (QuorumDriver::open). Not quorum-state: the vote has a single copy, and a
        // damaged one stops the node (tests/unit/raft/quorum_state_test.cpp).
        FaultMenu menu;
        set_rot_eligible([this](const std::string& node, std::string_view path) {
            const int id = id_of(node);
            if (!metadata_file(path) || path.ends_with("quorum-state") || !may_damage(id)) {
                return false;
            }
            c_.nodes[id].rotted = true;  // some file of it is eligible: one of them rots now
            return true;
        });
        run_phase(phase, replay, menu, c_.voters.size(),
                  [this](Instant end) { draw_until(end); }, base_disk_faults);
        w_.trace("nemesis.healed", {{"faults", faults()}});
    }
    uint64_t faults() const { return recorded_faults(); }

private:
    // Whether bit rot may strike `id`'s metadata log now: an observer, always; a voter, only
    // while the voters whose logs may lack committed entries (rotted, or recovering) stay a
    // minority with it. Committed entries are on a majority; rot on more than a minority of
    // voters can leave no voter holding some of them — data no protocol can give back, and a
    // quorum that rightly refuses to elect anyone without them.
    bool may_damage(int id) const {
        if (std::find(c_.voters.begin(), c_.voters.end(), id) == c_.voters.end()) {
            return true;
        }
        size_t damaged = 1;
        for (int v : c_.voters) {
            const NodeState& n = c_.nodes.at(v);
            damaged += v != id && (n.rotted || n.recovering) ? 1 : 0;
        }
        return damaged <= (c_.voters.size() - 1) / 2;
    }

    void inject(Fault f) {
        switch (f) {
            case Fault::isolate:
                isolate_any();
                break;
            case Fault::split:
                split_any();
                break;
            case Fault::mute:
                isolate_any(true);
                break;
            case Fault::crash:
                crash_any();
                break;
            case Fault::pause:
                pause_any(hold_max_ / 2);
                break;
            case Fault::clock_jump:
                clock_jump_any();
                break;
            case Fault::disk_faults:
                disk_faults_any();
                break;
            case Fault::vote_crash: {
                FaultSpec v = spec("vote_crash", {});
                v.value = custom_seed();
                inj_.apply(std::move(v));
                break;
            }
            case Fault::rot_vote: {
                FaultSpec v = spec("rot_vote", {});
                v.value = custom_seed();
                inj_.apply(std::move(v));
                break;
            }
            case Fault::leader_faults:
                leader_fault();
                break;
            case Fault::count:
                break;
        }
    }

    void vote_crash(uint64_t seed) {
        Random r(seed);
        const auto leader = c_.leader();
        if (!leader) {
            return;
        }
        w_.trace("fault.vote_crash_begin", {{"node", cluster_node_name(*leader)}});
        split({*leader}, others(*leader));
        c_.trap = VoteTrap{};
        c_.trap.armed = true;
        c_.trap.until = sched().now() + c_.fetch_timeout * 4;
        // Wait for the election the isolation causes, and for its winner.
        std::optional<int> winner;
        while (sched().now() < c_.trap.until && c_.violation.empty()) {
            sched().sleep_for(Duration::millis(5));
            if (c_.trap.epoch) {
                for (const auto& [id, n] : c_.nodes) {
                    if (n.role == raft::Role::leader && n.epoch == *c_.trap.epoch &&
                        node(id).up()) {
                        winner = id;
                    }
                }
                if (winner) {
                    break;
                }
            }
        }
        c_.trap.armed = false;
        sched().sleep_for(Duration::millis(r.between(5, 50)));
        w_.network().heal_all();
        if (winner) {
            split({*winner}, others(*winner));
        }
        // The crashed voters come back, knowing what their disks kept.
        sched().sleep_for(Duration::millis(r.between(20, 300)));
        for (int id : c_.trap.crashed) {
            c_.held.erase(id);
            if (!node(id).up()) {
                w_.start(node(id));
            }
        }
        sched().sleep_for(c_.fetch_timeout * r.between(2, 5));
        w_.network().heal_all();
    }

    // The rot vote: the leader L commits through a follower V and just enough others (the rest
    // are cut off and fall behind); V crashes and bit rot strikes its metadata log; L and those
    // others go down with what they committed; the network heals and V comes back beside the
    // nodes that fell behind. A voter that compared candidates with what is left of its log
    // would elect one of them, and the entries L committed would be replaced
    // (`state-machine-safety`); a recovering one waits for L or the others to return.
    void rot_vote(uint64_t seed) {
        Random r(seed);
        const auto leader = c_.leader();
        if (!leader || c_.voters.size() < 3 || !node(*leader).up()) {
            return;
        }
        std::vector<int> followers;
        for (int v : c_.voters) {
            if (v != *leader && node(v).up()) {
                followers.push_back(v);
            }
        }
        if (followers.empty()) {
            return;
        }
        const int victim = followers[r.below(followers.size())];
        std::vector<int> rest;  // the other voters: some commit with L and V, the others lag
        for (int v : c_.voters) {
            if (v != *leader && v != victim) {
                rest.push_back(v);
            }
        }
        for (size_t i = rest.size(); i > 1; --i) {
            std::swap(rest[i - 1], rest[r.below(i)]);
        }
        const size_t with_leader = c_.voters.size() / 2 + 1 - 2;
        const std::vector<int> committers(rest.begin(),
                                          rest.begin() + static_cast<ptrdiff_t>(with_leader));
        const std::vector<int> laggards(rest.begin() + static_cast<ptrdiff_t>(with_leader),
                                        rest.end());
        w_.trace("fault.rot_vote_begin", {{"leader", cluster_node_name(*leader)},
                                          {"victim", cluster_node_name(victim)}});
        std::vector<int> others_of_laggards;
        for (int id : c_.ids) {
            if (std::find(laggards.begin(), laggards.end(), id) == laggards.end()) {
                others_of_laggards.push_back(id);
            }
        }
        split(laggards, others_of_laggards);
        // Entries commit through the victim: wait for a few (the client keeps writing), up to
        // a few seconds.
        const size_t committed = c_.committed.size();
        const Instant give_up = sched().now() + Duration::seconds(3);
        while (sched().now() < give_up && c_.committed.size() < committed + 3 &&
               c_.violation.empty()) {
            sched().sleep_for(Duration::millis(50));
        }
        sched().sleep_for(Duration::millis(r.between(0, 200)));
        c_.held.insert(victim);
        if (node(victim).up()) {
            w_.crash(node(victim));
        }
        // (Not while another voter's log may lack committed entries: see may_damage.)
        const bool may = may_damage(victim);
        const auto rotted = node(victim).disk().rot_at_rest([may](std::string_view path) {
            return may && metadata_file(path) && path.ends_with(".log");
        });
        c_.nodes[victim].rotted = c_.nodes[victim].rotted || rotted.has_value();
        w_.trace("fault.rot_vote", {{"node", cluster_node_name(victim)},
                                    {"path", rotted.value_or("")}});
        std::vector<int> down = committers;
        down.push_back(*leader);
        for (int id : down) {
            c_.held.insert(id);
            if (node(id).up()) {
                w_.crash(node(id));
            }
        }
        w_.network().heal_all();
        c_.held.erase(victim);
        w_.start(node(victim));
        // The victim and the laggards alone: a majority only with the victim's vote.
        sched().sleep_for(c_.fetch_timeout * r.between(3, 6));
        for (int id : down) {
            c_.held.erase(id);
            if (!node(id).up()) {
                w_.start(node(id));
            }
        }
        sched().sleep_for(c_.fetch_timeout * 2);
    }

    void leader_fault() {
        const auto leader = c_.leader();
        if (!leader) {
            return;
        }
        // Long enough that check quorum must have deposed it.
        const Duration d = c_.fetch_timeout * 2 + hold();
        aim_next("leader");
        switch (r_.below(3)) {
            case 0:
                split_for({*leader}, others(*leader), d);
                break;
            case 1: {
                const auto [small, rest] = minority_with(*leader, c_.voters.size());
                split_for(small, rest, d);
                break;
            }
            default:
                crash_for(*leader, hold());
                break;
        }
    }

public:
    sim::DiskFaults base_disk_faults;

private:
    Cluster& c_;
    std::vector<int64_t> weights_;
};

RunResult run_controller_quorum(const RunOptions& ro, bool leader_faults) {
    Random swarm = Random(ro.seed).fork("swarm");
    Cluster c;  // before the world: the nodes' brokers hold its watches until they unwind
    sim::WorldOptions wo = broker_world_options(swarm);
    ro.route_logs(wo);
    sim::SimWorld world(ro.seed, wo);
    if (ro.trace_sink) {
        world.trace().set_sink(ro.trace_sink);
    }
    c.world = &world;
    // A replayed schedule may name a smaller cluster (eddy sim shrink): 3-5 voters, 1-2
    // observers.
    const int voters =
        static_cast<int>(schedule_size(ro.faults.get(), "voters", swarm.chance(0.7) ? 3 : 5, 3, 5));
    const int observers = static_cast<int>(
        schedule_size(ro.faults.get(), "observers", swarm.between(1, 2), 1, 2));
    const int64_t election_ms = swarm.between(150, 400);
    c.fetch_timeout = Duration::millis(election_ms * 2);
    for (int id = 1; id <= voters + observers; ++id) {
        c.ids.push_back(id);
        if (id <= voters) {
            c.voters.push_back(id);
        }
        NodeState& n = c.nodes[id];
        n.id = id;
        n.voter = id <= voters;
        c.watches[id] = std::make_unique<Watch>(c, id);
    }
    kafka::BrokerOptions bo;
    bo.quorum_driver_knobs.send_before_persist = ro.planted("vote-before-sync");
    bo.quorum_knobs.check_quorum_disabled = ro.planted("check-quorum-disabled");
    bo.quorum_knobs.recovering_votes = ro.planted("recovering-votes");
    bo.metadata_snapshot_every = swarm.between(20, 200);
    auto loaded = cluster_configs(c.ids, c.voters, Duration::millis(election_ms),
                                  {{"num.partitions", "1"}, {"default.replication.factor", "1"}});
    if (!loaded.ok()) {
        return finish(world, Verdict::violation(checkers::setup, loaded.error()));
    }
    const std::map<int, config::BrokerConfig> configs = std::move(loaded).value();
    for (int id : c.ids) {
        world.add_node(cluster_node_name(id), [&c, &configs, id, bo](Env& env) {
            node_main(env, c, id, configs.at(id), bo);
        });
    }
    world.add_node("client", [&c](Env& env) {
        workload(env, c);
        while (!c.healed) {
            env.scheduler.sleep_for(Duration::millis(50));
        }
        check_after_heal(env, c);
        c.checked = true;
        while (true) {
            env.scheduler.sleep_for(Duration::seconds(3600));
        }
    });
    for (auto* n : world.nodes()) {
        world.start(*n);
    }
    // Fault weights, in the order of `Fault`.
    const std::vector<int64_t> weights =
        leader_faults ? std::vector<int64_t>{1, 1, 1, 1, 1, 1, 1, 0, 8, 0}
        : ro.planted("recovering-votes") ? std::vector<int64_t>{1, 1, 1, 1, 1, 1, 1, 1, 0, 8}
                                         : std::vector<int64_t>{2, 2, 1, 2, 1, 1, 2, 7, 0, 2};
    Nemesis nemesis(world, c, weights, Duration::millis(swarm.between(800, 2500)));
    nemesis.base_disk_faults = wo.disk;
    nemesis.set_size("voters", voters);
    nemesis.set_size("observers", observers);
    spawn_cluster_supervisor(world, c.ids, c.held);
    world.spawn("faults", [&] {
        auto& s = world.world_env().scheduler;
        Random r = world.random().fork("faults");
        s.sleep_for(Duration::seconds(2));  // the cluster forms
        nemesis.run(Duration::seconds(r.between(10, 16)), ro.faults.get());
        c.workload_done = true;
        c.healed = true;
    });
    world.run([&] { return c.checked || !c.violation.empty(); },
              Instant() + run_limit);
    if (ro.faults_sink) {
        ro.faults_sink(nemesis.schedule());
    }

    int32_t max_epoch = 0;
    for (const auto& [epoch, leader] : c.leaders) {
        max_epoch = std::max(max_epoch, epoch);
    }
    Verdict v = Verdict::ok(
        std::to_string(voters) + " voters, " + std::to_string(observers) + " observers, " +
        std::to_string(c.leaders.size()) + " leaders up to epoch " + std::to_string(max_epoch) +
        ", " + std::to_string(nemesis.faults()) + " faults (" + std::to_string(c.vote_crashes) +
        " vote crashes), " + std::to_string(c.committed.size()) + " entries committed, " +
        std::to_string(c.creates_acked) + " topics created, " + std::to_string(c.deletes_acked) +
        " deleted");
    return finish(world, judge(c.violation, c.checked, run_limit, std::move(v)));
}

}  // namespace

Scenario controller_quorum_scenario() {
    return {"controller-quorum",
            "a cluster of 3-5 broker+controller nodes and 1-2 observers (real Brokers) under "
            "partitions, crashes losing unsynced writes, pauses, clock jumps and disk faults, "
            "while a client creates and deletes topics: one leader per epoch, committed metadata "
            "never changes, images converge, acknowledged topics survive",
            [](const RunOptions& ro) { return run_controller_quorum(ro, false); }};
}

Scenario controller_quorum_leader_isolation_scenario() {
    return {"controller-quorum-leader-isolation",
            "controller-quorum with its faults aimed at the active controller (isolated, on the "
            "minority side, crashed): a leader cut off from a majority stops leading",
            [](const RunOptions& ro) { return run_controller_quorum(ro, true); }};
}

}  // namespace eddy::scenarios
