// Building blocks of the scenarios that run Eddy's broker and clients on simulated nodes.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "scenarios/nemesis.h"
#include "scenarios/scenario.h"
#include "services/client/client.h"
#include "services/kafka/broker.h"
#include "sim/world.h"

namespace eddy::scenarios {

// World options for a broker whose disk loses or keeps unsynced writes on crashes (drawn from
// `swarm`), with quiet logs.
sim::WorldOptions broker_world_options(Random& swarm);

// The address every scenario gives its broker node ("broker", port 9092).
inline constexpr uint16_t broker_port = 9092;

// A broker config for a node named "broker" with `overrides` (Kafka key names) on top; nullopt
// with the reason in `error` if they do not load.
Result<config::BrokerConfig, std::string> broker_node_config(
    std::vector<std::pair<std::string, std::string>> overrides);

// The body of a broker node: starts a Broker and keeps it running until the node crashes. A
// broker that does not start reports a `setup` violation. A broker with a log offline (a write
// error, a full disk) halts, as Kafka's does when its only log directory fails. With
// `started_before` (living as long as the world), a broker that started once and then fails to
// start again (an injected disk fault) crashes instead, for its supervisor to try again.
// `attach` (optional) runs after the broker is made and before it starts; what it returns (its
// admin API, say) lives as long as the broker.
using BrokerAttachment = std::function<std::shared_ptr<void>(Env&, kafka::Broker&)>;
void run_broker_node(Env& env, const config::BrokerConfig& config,
                     const kafka::BrokerOptions& options, Violation& violation,
                     bool* started_before = nullptr, const BrokerAttachment& attach = {});
// A world fiber that starts the node "broker" again, 250 ms at most after it went down (a
// failed fsync, a halt), unless a fault of `faults` keeps it down.
void spawn_broker_supervisor(sim::SimWorld& w, const FaultInjector& faults);

// The run of a one-broker scenario whose nodes are added: starts every node, the broker's
// supervisor (spawn_broker_supervisor) and a world fiber "faults" with the fault phase — 8-20 s
// of one_broker_menu faults (or the replayed schedule of `ro`), and every 0.2-2 s either a crash
// of the broker (when `crashes`, one time in five) or a clogged link of either of
// `clog_targets`, ended early once `violation` is set —, then heals every fault, switches the
// network's random faults off and calls `after_heal` (in that fiber: it may suspend for as long
// as the scenario's end needs). Runs the world until after_heal has returned, `violation` is set
// or `limit` of simulated time has passed, and hands the applied schedule to ro.faults_sink.
// True when after_heal returned.
bool run_one_broker_phases(sim::SimWorld& world, const RunOptions& ro, bool crashes,
                           const std::pair<std::string, std::string>& clog_targets,
                           const Violation& violation, const std::function<void()>& after_heal,
                           Duration limit);

// Client options for the node "broker".
client::ClientOptions broker_client_options(Duration request_timeout);

// Creates `topic` with `partitions` (replication 1), retrying until it exists. Suspends.
void create_topic_until_done(Env& env, client::Client& client, const std::string& topic,
                             int32_t partitions);

// --- Clusters of Broker nodes (controller-quorum, replication-failover) ---

// Node `id` of a cluster runs on the sim host "node-<id>", with its client listener on
// broker_port and, for a voter, its controller listener on cluster_controller_port.
std::string cluster_node_name(int id);
inline constexpr uint16_t cluster_controller_port = 9093;

// controller.quorum.voters for `voters` (ids), naming their sim hosts.
std::string cluster_quorum_voters(const std::vector<int>& voters);

// The config of cluster node `id`: node.id, process.roles (broker,controller for a voter, else
// broker), `voters` (cluster_quorum_voters), the listeners, short quorum timeouts drawn by the
// scenario (the election timeout `election`, fetch timeout twice that, request timeout and
// election backoff short too), a 2 s broker session with 250 ms heartbeats, and `overrides`
// (Kafka key names) on top.
Result<config::BrokerConfig, std::string> cluster_node_config(
    int id, bool voter, const std::string& voters, Duration election,
    const std::vector<std::pair<std::string, std::string>>& overrides);

// cluster_node_config() for every node of `ids`, those in `voters` with the controller role;
// the first that does not load fails it ("node-N: bad broker config: ...").
Result<std::map<int, config::BrokerConfig>, std::string> cluster_configs(
    const std::vector<int>& ids, const std::vector<int>& voters, Duration election,
    const std::vector<std::pair<std::string, std::string>>& overrides);

// One node of a cluster as the scenario sees it, across its incarnations.
struct ClusterNode {
    kafka::Broker* broker = nullptr;  // set while a started broker runs
    std::string start_error;          // the last failed start
    uint64_t start_failures = 0;
    // A graceful stop (rolling restart): the broker stops (controlled shutdown) and sets
    // `stopped`; the incarnation then idles until the node is crashed and started again.
    bool stop_requested = false;
    bool stopped = false;
};

// The body of a cluster node: runs a Broker until the node crashes. A broker that does not start
// (a read error, no quorum yet) is closed and started again after 200 ms, as a supervisor
// restarts a process. Call from the node's boot function with `n` living as long as the world.
void run_cluster_node(Env& env, ClusterNode& n, const config::BrokerConfig& config,
                      const kafka::BrokerOptions& options);

// Why a node is not serving, for a liveness message: "down", "starting (...)", "stopped", or
// nullopt when its broker runs.
std::optional<std::string> cluster_node_trouble(sim::SimWorld& w, int id, const ClusterNode& n);

// Faults on the nodes of a cluster, for a scenario's fault schedule (a world fiber). The methods
// that hold a fault suspend that fiber for as long and undo it after. Nodes in `held` are kept
// down by the schedule; the supervisor (spawn_cluster_supervisor) leaves them alone. Every fault
// goes through one FaultInjector (scenarios/nemesis.h): traced, recorded in a FaultSchedule, and
// replayable in place of the drawn schedule.
class ClusterFaults {
public:
    ClusterFaults(sim::SimWorld& w, std::vector<int> ids, std::set<int>& held, Random random,
                  Duration hold_max);

    // The fault phase, `phase` long: the scenario's own fault loop `draw` (called with the end
    // of the phase; it returns once past it) and, next to it, the swarm: faults drawn from a
    // per-seed subset of `menu` (see draw_menu), each in its own fiber, so faults overlap.
    // With `replay` set, that schedule runs instead of both, lane by lane (FaultInjector::
    // replay_lanes): the run's own schedule replays the drawn run exactly. The loop sleeps
    // between faults through gap(), and builds its faults with spec() (custom ones record what
    // they use: custom_seed() for their own draws). Then everything heals (disks back
    // at `base`). Suspends. `voters`: the first ids that form the quorum (majority/minority).
    void run_phase(Duration phase, const FaultSchedule* replay, const FaultMenu& menu,
                   size_t voters, const std::function<void(Instant)>& draw,
                   const sim::DiskFaults& base);
    // The faults applied so far, and the phase (for `--write-faults`); a phase a violation cut
    // short ends now.
    FaultSchedule schedule() const { return inj_.schedule(); }
    uint64_t swarm_faults() const { return swarm_faults_; }
    // The faults recorded so far (the scenario's and the swarm's, wakes not counted): the same
    // in a drawn run and in its replay.
    uint64_t recorded_faults() const { return inj_.faults(); }
    // Records the size `key` the run uses (FaultSchedule::size).
    void set_size(const std::string& key, int64_t n) { inj_.set_size(key, n); }
    // A scenario fault kind: recorded as one fault; `fn` runs it (and holds it) with the
    // cluster's helpers, whose own faults are then not recorded.
    void add_custom(const std::string& kind, std::function<void(const FaultSpec&)> fn);
    // Which stored files of a node bit rot may strike (FaultInjector::rot_eligible).
    // Rot strikes crashed nodes only (FaultInjector::rot_crashes).
    void set_rot_eligible(std::function<bool(const std::string& node, std::string_view path)> f) {
        inj_.rot_eligible = std::move(f);
        inj_.rot_crashes = true;
    }
    // Node names of ids.
    static std::vector<std::string> names(const std::vector<int>& ids);
    // The id of a node name ("node-3" -> 3), -1 if it is not a cluster node.
    static int id_of(const std::string& name);

    // The faults every cluster scenario injects, each on a random node and held for a random
    // while (up to hold_max): isolated both ways, or unable to be heard (one way); two random
    // sides (either may hold a majority); crashed (losing unsynced writes) and started again;
    // paused for up to `pause_max`; its wall clock stepped; its disk failing reads and fsyncs.
    void isolate_any(bool one_way = false);
    void split_any() { random_split_for(hold()); }
    void crash_any();
    void pause_any(Duration pause_max);
    void clock_jump_any() { clock_jump(any()); }
    void disk_faults_any();
    // A random while a fault is held: 100 ms to hold_max.
    Duration hold() { return r_.duration_between(Duration::millis(100), hold_max_); }
    // The scenario's fault loop sleeps `d` between two faults (its lane's wake is recorded).
    void gap(Duration d) {
        sched().sleep_for(d);
        inj_.wake(lane_main);
        aim_.clear();
    }
    // The next fault the loop injects is aimed at `aim` (FaultSpec::aim): e.g. "leader".
    void aim_next(std::string aim) { aim_ = std::move(aim); }
    // A seed for a custom fault's own draws (recorded as its `value`).
    int64_t custom_seed() { return static_cast<int64_t>(r_.next() >> 1); }

    // A random node.
    int any() { return ids_[r_.below(ids_.size())]; }
    // Every node but `id`.
    std::vector<int> others(int id) const;
    // A random index of `weights`, in proportion to them (one at least must be positive).
    size_t pick(const std::vector<int64_t>& weights);
    // Two sides: `id` with up to (voters - 1) / 2 random others (a minority of `voters`), and
    // the rest.
    std::pair<std::vector<int>, std::vector<int>> minority_with(int id, size_t voters);
    // Cuts every node of `a` off from every node of `b` (both ways unless `one_way`); clients
    // still reach every node.
    void split(const std::vector<int>& a, const std::vector<int>& b, bool one_way = false);
    // split(), held for `d`, then the network heals.
    void split_for(const std::vector<int>& a, const std::vector<int>& b, Duration d,
                   bool one_way = false);
    // The nodes on two random sides (either may hold a majority), for `d`.
    void random_split_for(Duration d);
    // Crashes `id` (if up), keeps it down for `d`, starts it again.
    void crash_for(int id, Duration d);
    // Pauses `id` (if up and running) for `d`.
    void pause_for(int id, Duration d);
    // Steps `id`'s wall clock by up to 30 s either way.
    void clock_jump(int id);
    // Read errors (up to 5%) and failed fsyncs (up to 2%, crashing the node) on `id`'s disk for
    // `d`.
    void disk_faults_for(int id, Duration d);
    // Everything back: the network whole, every disk at `base`, every node up and resumed.
    void heal(const sim::DiskFaults& base);

protected:
    bool rec() const { return !inner_; }
    // A fault of `kind` on `a`, aimed as aim_next() said (outside a custom fault).
    FaultSpec spec(const char* kind, std::vector<std::string> a);

    Scheduler& sched() { return w_.world_env().scheduler; }
    sim::SimNode& node(int id) { return w_.node(cluster_node_name(id)); }

    sim::SimWorld& w_;
    std::vector<int> ids_;
    std::set<int>& held_;
    Random r_;
    Duration hold_max_;
    FaultInjector inj_;
    bool inner_ = false;  // inside a custom fault: its steps are not recorded
    std::string aim_;     // what the next fault aims at
    uint64_t swarm_faults_ = 0;
};

// The supervisor, a world fiber: every 250 ms it starts the nodes of `ids` that are down and not
// in `held` (a node that crashed itself on a failed fsync, or halted on a failed log directory,
// comes back as a process would under systemd).
void spawn_cluster_supervisor(sim::SimWorld& w, std::vector<int> ids, const std::set<int>& held);

// The partition of a segment file's path ("<dir>/<topic>-<p>/<offset>.log"), or nullopt for
// any other file.
std::optional<log::TopicPartition> segment_partition(std::string_view path);

}  // namespace eddy::scenarios
