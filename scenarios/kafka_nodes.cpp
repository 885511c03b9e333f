// Building blocks of the Kafka-level scenarios (see kafka_nodes.h).
#include "scenarios/kafka_nodes.h"

#include <algorithm>
#include <utility>

namespace eddy::scenarios {

sim::WorldOptions broker_world_options(Random& swarm) {
    sim::WorldOptions wo;
    wo.log_levels = LogLevel::error;
    wo.disk.crash_keep_unsynced_p = swarm.unit() * 0.5;
    wo.disk.crash_lose_unsynced_p = swarm.unit() * 0.5;
    wo.disk.latency_min = Duration::micros(20);
    wo.disk.latency_max = Duration::micros(swarm.between(40, 400));
    return wo;
}

Result<config::BrokerConfig, std::string> broker_node_config(
    std::vector<std::pair<std::string, std::string>> overrides) {
    overrides.insert(overrides.begin(),
                     {"listeners", "PLAINTEXT://broker:9092,CONTROLLER://broker:9093"});
    return config::BrokerConfig::load({}, overrides);
}

void run_broker_node(Env& env, const config::BrokerConfig& config,
                     const kafka::BrokerOptions& options, Violation& violation,
                     bool* started_before, const BrokerAttachment& attach) {
    kafka::Broker b(env, config, options);
    const std::shared_ptr<void> attachment = attach ? attach(env, b) : nullptr;
    if (auto r = b.start(); !r.ok()) {
        if (started_before != nullptr && *started_before) {
            // It started before: an injected disk fault (a read error in recovery, a full
            // disk). A process supervisor tries again (spawn_broker_supervisor).
            env.process.crash("the broker did not start: " + r.error());
        }
        violation.report(checkers::setup, "the broker did not start: " + r.error());
        return;
    }
    if (started_before != nullptr) {
        *started_before = true;
    }
    // A write error or a full disk halts the broker itself (LogManagerOptions::on_log_failed);
    // the scenario's supervisor starts it again.
    while (true) {
        env.scheduler.sleep_for(Duration::seconds(3600));
    }
}

void spawn_broker_supervisor(sim::SimWorld& w, const FaultInjector& faults) {
    w.spawn("supervisor", [&w, &faults] {
        auto& s = w.world_env().scheduler;
        auto& n = w.node("broker");
        while (true) {
            s.sleep_for(Duration::millis(250));
            if (!n.up() && !faults.holds("broker")) {
                w.start(n);
            }
        }
    });
}

namespace {

void one_broker_fault_phase(sim::SimWorld& world, FaultInjector& faults, const RunOptions& ro,
                            bool crashes,
                            const std::pair<std::string, std::string>& clog_targets,
                            const Violation& violation) {
    auto& sched = world.world_env().scheduler;
    Random r = fault_stream(world, "faults");
    uint64_t swarm_faults = 0;
    const Instant fault_end = sched.now() + Duration::seconds(r.between(8, 20));
    const bool replaying = faults.open_phase(ro.faults.get(), one_broker_menu(crashes), "broker",
                                             fault_end, swarm_faults);
    while (!replaying && sched.now() < fault_end && violation.empty()) {
        sched.sleep_for(Duration::millis(r.between(200, 2000)));
        faults.wake(lane_main);
        if (crashes && r.chance(0.2)) {
            FaultSpec f = custom_fault("crash", {"broker"});
            f.hold = Duration::millis(r.between(20, 1000));
            faults.apply(std::move(f));
        } else {
            FaultSpec f = custom_fault("clog", {r.chance(0.5) ? clog_targets.first
                                                                : clog_targets.second});
            f.hold = Duration::millis(r.between(100, 1500));
            faults.apply(std::move(f));
        }
    }
    faults.end_phase();
    faults.heal_all();
    world.network().set_faults(sim::NetFaults{});
}

}  // namespace

bool run_one_broker_phases(sim::SimWorld& world, const RunOptions& ro, bool crashes,
                           const std::pair<std::string, std::string>& clog_targets,
                           const Violation& violation, const std::function<void()>& after_heal,
                           Duration limit) {
    for (auto* n : world.nodes()) {
        world.start(*n);
    }
    FaultInjector faults(world);
    spawn_broker_supervisor(world, faults);
    bool finished = false;
    world.spawn("faults", [&] {
        one_broker_fault_phase(world, faults, ro, crashes, clog_targets, violation);
        after_heal();
        finished = true;
    });
    world.run([&] { return finished || !violation.empty(); },
              Instant::from_nanos(limit.to_nanos()));
    if (ro.faults_sink) {
        ro.faults_sink(faults.schedule());
    }
    return finished;
}

client::ClientOptions broker_client_options(Duration request_timeout) {
    client::ClientOptions o;
    o.bootstrap.push_back(Address{"broker", broker_port});
    o.request_timeout = request_timeout;
    return o;
}

void create_topic_until_done(Env& env, client::Client& client, const std::string& topic,
                             int32_t partitions) {
    client::NewTopic t;
    t.name = topic;
    t.partitions = partitions;
    t.replication_factor = 1;
    while (true) {
        auto created = client.create_topic(t);
        if (created.ok() || created.error().code == client::error_code::topic_already_exists) {
            return;
        }
        env.scheduler.sleep_for(Duration::millis(100));
    }
}

std::string cluster_node_name(int id) { return "node-" + std::to_string(id); }

std::string cluster_quorum_voters(const std::vector<int>& voters) {
    std::string s;
    for (int id : voters) {
        s += (s.empty() ? "" : ",") + std::to_string(id) + "@" + cluster_node_name(id) + ":" +
             std::to_string(cluster_controller_port);
    }
    return s;
}

Result<config::BrokerConfig, std::string> cluster_node_config(
    int id, bool voter, const std::string& voters, Duration election,
    const std::vector<std::pair<std::string, std::string>>& overrides) {
    const std::string host = cluster_node_name(id);
    const int64_t election_ms = election.to_millis();
    std::vector<std::pair<std::string, std::string>> keys = {
        {"node.id", std::to_string(id)},
        {"process.roles", voter ? "broker,controller" : "broker"},
        {"controller.quorum.voters", voters},
        {"listeners",
         "PLAINTEXT://" + host + ":" + std::to_string(broker_port) +
             (voter ? ",CONTROLLER://" + host + ":" + std::to_string(cluster_controller_port)
                    : "")},
        {"controller.quorum.election.timeout.ms", std::to_string(election_ms)},
        {"controller.quorum.fetch.timeout.ms", std::to_string(election_ms * 2)},
        {"controller.quorum.request.timeout.ms", std::to_string(election_ms)},
        {"controller.quorum.election.backoff.max.ms", "100"},
        {"broker.session.timeout.ms", "2000"},
        {"broker.heartbeat.interval.ms", "250"}};
    keys.insert(keys.end(), overrides.begin(), overrides.end());
    return config::BrokerConfig::load({}, keys);
}

Result<std::map<int, config::BrokerConfig>, std::string> cluster_configs(
    const std::vector<int>& ids, const std::vector<int>& voters, Duration election,
    const std::vector<std::pair<std::string, std::string>>& overrides) {
    const std::string voters_config = cluster_quorum_voters(voters);
    std::map<int, config::BrokerConfig> out;
    for (int id : ids) {
        const bool voter = std::find(voters.begin(), voters.end(), id) != voters.end();
        auto config = cluster_node_config(id, voter, voters_config, election, overrides);
        if (!config.ok()) {
            return fail(cluster_node_name(id) + ": bad broker config: " + config.error());
        }
        out.emplace(id, std::move(config).value());
    }
    return out;
}

void run_cluster_node(Env& env, ClusterNode& n, const config::BrokerConfig& config,
                      const kafka::BrokerOptions& options) {
    n.stop_requested = false;
    n.stopped = false;
    while (true) {
        kafka::Broker b(env, config, options);
        struct Registration {
            ClusterNode& n;
            ~Registration() { n.broker = nullptr; }
        } registration{n};
        auto started = b.start();
        if (started.ok()) {
            n.broker = &b;
            while (!n.stop_requested) {
                env.scheduler.sleep_for(Duration::millis(20));
            }
            n.broker = nullptr;
            b.stop();
            n.stopped = true;
            while (true) {
                env.scheduler.sleep_for(Duration::seconds(3600));
            }
        }
        n.start_error = started.error();
        ++n.start_failures;
        env.scheduler.sleep_for(Duration::millis(200));
    }
}

std::optional<std::string> cluster_node_trouble(sim::SimWorld& w, int id, const ClusterNode& n) {
    if (!w.node(cluster_node_name(id)).up()) {
        return std::string("down");
    }
    if (n.stopped) {
        return std::string("stopped");
    }
    if (n.broker == nullptr) {
        return "starting(" + std::to_string(n.start_failures) + " failed starts" +
               (n.start_error.empty() ? "" : ", last: " + n.start_error) + ")";
    }
    return std::nullopt;
}

ClusterFaults::ClusterFaults(sim::SimWorld& w, std::vector<int> ids, std::set<int>& held,
                             Random random, Duration hold_max)
    : w_(w), ids_(std::move(ids)), held_(held), r_(std::move(random)), hold_max_(hold_max), inj_(w) {
    // What r_ draws is recorded as faults: a replay, which draws nothing, hashes the same.
    r_.set_tap(nullptr);
    inj_.use_lanes();
    inj_.on_held = [this](const std::string& node, bool down) {
        const int id = id_of(node);
        if (id < 0) {
            return;
        }
        if (down) {
            held_.insert(id);
        } else {
            held_.erase(id);
        }
    };
}

std::vector<std::string> ClusterFaults::names(const std::vector<int>& ids) {
    std::vector<std::string> v;
    v.reserve(ids.size());
    for (int id : ids) {
        v.push_back(cluster_node_name(id));
    }
    return v;
}

int ClusterFaults::id_of(const std::string& name) {
    constexpr std::string_view prefix = "node-";
    if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) {
        return -1;
    }
    int id = 0;
    for (size_t i = prefix.size(); i < name.size(); ++i) {
        if (name[i] < '0' || name[i] > '9') {
            return -1;
        }
        id = id * 10 + (name[i] - '0');
    }
    return id;
}

void ClusterFaults::add_custom(const std::string& kind, std::function<void(const FaultSpec&)> fn) {
    inj_.custom[kind] = [this, fn = std::move(fn)](const FaultSpec& f) {
        inner_ = true;
        fn(f);
        inner_ = false;
    };
}

void ClusterFaults::run_phase(Duration phase, const FaultSchedule* replay, const FaultMenu& menu,
                              size_t voters, const std::function<void(Instant)>& draw,
                              const sim::DiskFaults& base) {
    const Instant start = sched().now();
    const Instant end = start + phase;
    inj_.begin_phase();
    if (replay != nullptr) {
        inj_.replay_lanes(*replay);
        const Instant replay_end = Instant() + replay->phase_end;
        if (sched().now() < replay_end) {
            sched().sleep_until(replay_end);
        }
    } else {
        // The swarm: this seed's subset of the menu, drawn from a stream of its own (the
        // scenario's own loop draws what it always drew).
        // Half the seeds run the scenario's own faults alone: the faults a scenario aims (at a
        // partition leader, at the active controller) are then not drowned by the swarm's,
        // which keeps each planted bug within reach of its checker.
        Random sr = fault_stream(w_, "swarm-faults");
        const FaultMenu m = draw_menu(sr, menu);
        const Duration gap_max = Duration::millis(sr.between(500, 3000));
        if (sr.chance(0.5)) {
            inj_.spawn_swarm(sr, m, names(ids_), voters, end, hold_max_, gap_max, swarm_faults_);
        }
        draw(end);
    }
    inj_.end_phase();
    heal(base);
}

std::vector<int> ClusterFaults::others(int id) const {
    std::vector<int> v;
    for (int x : ids_) {
        if (x != id) {
            v.push_back(x);
        }
    }
    return v;
}

void ClusterFaults::isolate_any(bool one_way) {
    const int v = any();
    split_for({v}, others(v), hold(), one_way);
}

void ClusterFaults::crash_any() {
    const int v = any();
    crash_for(v, r_.duration_between(Duration::millis(10), hold_max_));
}

void ClusterFaults::pause_any(Duration pause_max) {
    const int v = any();
    pause_for(v, r_.duration_between(Duration::millis(10), pause_max));
}

void ClusterFaults::disk_faults_any() {
    const int v = any();
    disk_faults_for(v, hold());
}

size_t ClusterFaults::pick(const std::vector<int64_t>& weights) {
    int64_t total = 0;
    for (int64_t x : weights) {
        total += x;
    }
    ASSERT(total > 0, "some fault must be possible");
    auto at = static_cast<int64_t>(r_.below(static_cast<uint64_t>(total)));
    size_t k = 0;
    while (at >= weights[k]) {
        at -= weights[k++];
    }
    return k;
}

std::pair<std::vector<int>, std::vector<int>> ClusterFaults::minority_with(int id, size_t voters) {
    std::vector<int> small = {id};
    std::vector<int> rest;
    for (int x : others(id)) {
        (small.size() < (voters - 1) / 2 && r_.chance(0.5) ? small : rest).push_back(x);
    }
    return {small, rest};
}

FaultSpec ClusterFaults::spec(const char* kind, std::vector<std::string> a) {
    FaultSpec f;
    f.kind = kind;
    f.side_a = std::move(a);
    if (rec()) {
        f.aim = std::exchange(aim_, {});
    }
    return f;
}

void ClusterFaults::split(const std::vector<int>& a, const std::vector<int>& b, bool one_way) {
    // Healed by heal_all (the caller's): traced, recorded only as its custom fault.
    FaultSpec f = spec("partition", names(a));
    f.side_b = names(b);
    f.value = one_way ? 1 : 0;
    (void)inj_.begin(f, rec());
}

void ClusterFaults::split_for(const std::vector<int>& a, const std::vector<int>& b, Duration d,
                              bool one_way) {
    FaultSpec f = spec("partition", names(a));
    f.side_b = names(b);
    f.hold = d;
    f.value = one_way ? 1 : 0;
    inj_.apply(std::move(f), rec());
}

void ClusterFaults::random_split_for(Duration d) {
    std::vector<int> a;
    std::vector<int> b;
    for (int x : ids_) {
        (r_.chance(0.5) ? a : b).push_back(x);
    }
    split_for(a, b, d);
}

void ClusterFaults::crash_for(int id, Duration d) {
    if (!node(id).up()) {
        return;
    }
    FaultSpec f = spec("crash", {cluster_node_name(id)});
    f.hold = d;
    inj_.apply(std::move(f), rec());
}

void ClusterFaults::pause_for(int id, Duration d) {
    auto& n = node(id);
    if (n.up() && !n.paused()) {
        FaultSpec f = spec("pause", {n.name()});
        f.hold = d;
        inj_.apply(std::move(f), rec());
    }
}

void ClusterFaults::clock_jump(int id) {
    FaultSpec f = spec("clock", {cluster_node_name(id)});
    f.value = r_.duration_between(Duration::seconds(-30), Duration::seconds(30)).to_millis();
    inj_.apply(std::move(f), rec());
}

void ClusterFaults::disk_faults_for(int id, Duration d) {
    // Read errors (up to 5%) in a window of their own, failed fsyncs (up to 2%) in this one.
    FaultSpec reads = spec("disk", {cluster_node_name(id)});
    reads.mode = "read_errors";
    reads.hold = d;
    reads.value = static_cast<int64_t>(r_.unit() * 50'000);
    FaultSpec syncs = reads;
    syncs.mode = "sync_errors";
    syncs.value = static_cast<int64_t>(r_.unit() * 20'000);
    syncs.aim.clear();
    if (rec()) {
        inj_.spawn(std::move(reads));
    }
    inj_.apply(std::move(syncs), rec());
}

void ClusterFaults::heal(const sim::DiskFaults& base) {
    inj_.heal_all();
    for (int id : ids_) {
        auto& n = node(id);
        n.disk().set_faults(base);
        held_.erase(id);
        if (!n.up()) {
            w_.start(n);
        } else if (n.paused()) {
            w_.resume(n);
        }
    }
}

void spawn_cluster_supervisor(sim::SimWorld& w, std::vector<int> ids, const std::set<int>& held) {
    w.spawn("supervisor", [&w, ids = std::move(ids), &held] {
        auto& s = w.world_env().scheduler;
        while (true) {
            s.sleep_for(Duration::millis(250));
            for (int id : ids) {
                auto& n = w.node(cluster_node_name(id));
                if (!n.up() && !held.contains(id)) {
                    w.start(n);
                }
            }
        }
    });
}

std::optional<log::TopicPartition> segment_partition(std::string_view path) {
    const size_t slash = path.rfind('/');
    if (slash == std::string_view::npos) {
        return std::nullopt;
    }
    const std::string_view file = path.substr(slash + 1);
    const auto seg = log::parse_segment_file_name(file);
    if (!seg || seg->suffix != log::file_names::log_suffix) {
        return std::nullopt;
    }
    const std::string_view dir = path.substr(0, slash);
    const size_t up = dir.rfind('/');
    return log::parse_partition_dir(up == std::string_view::npos ? dir : dir.substr(up + 1));
}

}  // namespace eddy::scenarios
