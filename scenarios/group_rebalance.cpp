// Scenario "group-rebalance": one broker, one producer and several consumers in one consumer
// group (Eddy's own client: services/client GroupMember, the eager "range" protocol), all over
// the simulated network. While the producer writes to a multi-partition topic, the fault schedule
// crashes and restarts consumers, pauses them past their session timeout (they come back as
// zombies that still believe they own partitions), cuts them off from the broker, makes them
// leave and rejoin, and (in some runs) crashes the broker, whose disk may lose unsynced writes.
// Consumers "process" what they fetch and commit their positions in their generation.
//
// Checkers, on every answer the consumers get:
// - `one-owner-per-generation`: in a generation, no partition is handed to two consumers;
// - `generations-grow`: no consumer syncs a generation below one it already synced;
// - `fenced-commits-refused`: once any member synced generation G, an OffsetCommit sent with a
//   generation below G is never acknowledged;
// - `commits-never-go-back`: an acknowledged commit is never below one acknowledged before it
//   was sent, and OffsetFetch never answers below what was acknowledged before it was sent and
//   not overtaken since (a lost commit, after a broker crash, shows here); commits that overlap
//   in time may be applied in either order;
// - `reads-as-produced`: consumers only see what was produced at each offset.
// `liveness`, after healing: the group settles into a generation with every consumer in it and
// every partition assigned once, and commits reach the end of every partition; then
// `commits-processed`: every offset below a committed one was processed by some consumer.
// Planted bug: the coordinator accepts commits without checking the member or its generation
// (fenced-commits-refused).
#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "scenarios/kafka_nodes.h"
#include "scenarios/nemesis.h"
#include "scenarios/scenarios.h"
#include "services/client/group_member.h"
#include "sim/world.h"

namespace eddy::scenarios {
namespace {

using Tp = std::pair<std::string, int32_t>;

const std::string topic_name = "events";
const std::string group_name = "workers";

constexpr const char* one_owner_per_generation = "one-owner-per-generation";
constexpr const char* generations_grow = "generations-grow";
constexpr const char* fenced_commits_refused = "fenced-commits-refused";
constexpr const char* commits_never_go_back = "commits-never-go-back";
constexpr const char* reads_as_produced = "reads-as-produced";
constexpr const char* commits_processed = "commits-processed";

std::string tp_name(const Tp& tp) { return tp.first + "-" + std::to_string(tp.second); }

struct Oracle {
    int32_t partitions = 0;
    int consumers = 0;
    // generation -> consumer -> partitions it was handed
    std::map<int32_t, std::map<std::string, protocol::PartitionList>> owners;
    int32_t max_synced_generation = -1;
    std::map<std::string, int32_t> last_synced;  // consumer -> the generation it synced last
    std::map<Tp, int64_t> acked_commit;              // highest acknowledged commit
    // Every acknowledged commit per partition with when it was sent and acknowledged: two
    // commits overlapping in time (a consumer paused between sending one and reading its
    // answer) may be applied in either order, so only real-time order is demanded.
    struct AckedCommit {
        int64_t offset;
        Instant sent;
        Instant acked;
    };
    std::map<Tp, std::vector<AckedCommit>> acked_commits;

    // The highest commit acknowledged before `t` (a commit sent at `t` must not go below it).
    int64_t acked_before(const Tp& tp, Instant t) const {
        int64_t best = -1;
        const auto it = acked_commits.find(tp);
        if (it != acked_commits.end()) {
            for (const AckedCommit& c : it->second) {
                if (c.acked < t) {
                    best = std::max(best, c.offset);
                }
            }
        }
        return best;
    }
    // What OffsetFetch sent at `t` must answer at least: among the commits acknowledged before
    // `t`, those no other one followed in real time could each be the last applied; the lowest
    // of them.
    int64_t fetch_floor(const Tp& tp, Instant t) const {
        const auto it = acked_commits.find(tp);
        if (it == acked_commits.end()) {
            return -1;
        }
        std::optional<int64_t> floor;
        for (const AckedCommit& c : it->second) {
            if (c.acked >= t) {
                continue;
            }
            const bool followed = std::any_of(
                it->second.begin(), it->second.end(),
                [&](const AckedCommit& d) { return d.acked < t && d.sent > c.acked; });
            if (!followed) {
                floor = floor ? std::min(*floor, c.offset) : c.offset;
            }
        }
        return floor.value_or(-1);
    }
    std::map<Tp, std::map<int64_t, std::string>> produced;  // acknowledged records by offset
    std::map<Tp, int64_t> produced_end;              // end of acknowledged production
    std::map<Tp, std::vector<bool>> processed;
    bool producing_done = false;
    bool healed = false;
    uint64_t syncs = 0;
    uint64_t commits_acked = 0;
    uint64_t commits_refused = 0;
    uint64_t records_processed = 0;
    Violation violation;

    void fail(const char* checker, std::string why) { violation.report(checker, std::move(why)); }
};

client::ClientOptions client_options() { return broker_client_options(Duration::seconds(5)); }

struct ConsumerKnobs {
    Duration session_timeout;
    Duration rebalance_timeout;
    Duration commit_interval_max;
    bool static_membership = false;
};

void on_synced(Oracle& o, const std::string& name, const client::GroupMember& m) {
    const int32_t g = m.generation();
    // Judged per member: a consumer paused between the broker's answer and reading it (a
    // zombie) reads an older generation's sync after a newer one completed, legitimately (the
    // broker answered while that generation was current; its commits are then fenced, which
    // fenced-commits-refused checks). Seen once pauses stopped everything on a node.
    auto [last, first] = o.last_synced.try_emplace(name, g);
    if (!first && g < last->second) {
        o.fail(generations_grow, name + " synced generation " + std::to_string(g) +
                                     " after it had synced generation " +
                                     std::to_string(last->second));
        return;
    }
    last->second = g;
    o.max_synced_generation = std::max(o.max_synced_generation, g);
    ++o.syncs;
    auto& gen = o.owners[g];
    gen[name] = m.assignment();
    std::set<Tp> mine(m.assignment().begin(), m.assignment().end());
    for (const auto& [other, theirs] : gen) {
        if (other == name) {
            continue;
        }
        for (const auto& tp : theirs) {
            if (mine.contains(tp)) {
                o.fail(one_owner_per_generation, "generation " + std::to_string(g) + " hands " +
                                                     tp_name(tp) + " to both " + name + " and " +
                                                     other);
                return;
            }
        }
    }
}

// One consumer process: join, resume from the committed offsets, fetch and process, commit in
// its generation, heartbeat; start over whenever the generation ends.
void consumer_main(Env& env, Oracle& o, const std::string& name, const ConsumerKnobs& k) {
    Random r = env.random.fork("consumer");
    client::Client client(env, client_options());
    client::GroupMemberOptions mo;
    mo.group_id = group_name;
    mo.topics = {topic_name};
    mo.session_timeout = k.session_timeout;
    mo.rebalance_timeout = k.rebalance_timeout;
    mo.heartbeat_interval = k.session_timeout / 3;
    if (k.static_membership) {
        mo.group_instance_id = name;
    }
    client::GroupMember member(env, client, mo);
    std::map<Tp, int64_t> positions;
    bool need_positions = false;
    Instant next_commit;

    auto commit = [&] {
        std::vector<client::CommittedOffset> offsets;
        for (const auto& [tp, pos] : positions) {
            offsets.push_back({tp.first, PartitionId(tp.second), Offset(pos)});
        }
        if (offsets.empty()) {
            return;
        }
        const int32_t fenced_below = o.max_synced_generation;
        const int32_t generation = member.generation();
        const Instant sent = env.scheduler.now();
        auto done = member.commit(offsets);
        if (!done.ok()) {
            ++o.commits_refused;
            return;
        }
        if (generation < fenced_below) {
            o.fail(fenced_commits_refused, name + "'s commit in generation " +
                                               std::to_string(generation) +
                                               " was accepted after generation " +
                                               std::to_string(fenced_below) + " had completed");
            return;
        }
        ++o.commits_acked;
        const Instant acked = env.scheduler.now();
        for (const auto& [tp, pos] : positions) {
            const int64_t before = o.acked_before(tp, sent);
            if (pos < before) {
                o.fail(commits_never_go_back,
                       "the committed offset of " + tp_name(tp) + " went back from " +
                           std::to_string(before) + " to " + std::to_string(pos) + " (" + name +
                           ", generation " + std::to_string(generation) +
                           ", sent after the commit of " + std::to_string(before) +
                           " was acknowledged)");
                return;
            }
            o.acked_commits[tp].push_back({pos, sent, acked});
            auto& best = o.acked_commit[tp];
            best = std::max(best, pos);
        }
    };

    while (o.violation.empty()) {
        if (!member.active()) {
            // The eager protocol: commit what was processed, give every partition up, rejoin.
            commit();
            positions.clear();
            auto joined = member.join(env.scheduler.now() + Duration::seconds(30));
            if (!joined.ok()) {
                env.scheduler.sleep_for(Duration::millis(200));
                continue;
            }
            on_synced(o, name, member);
            env.tracer.event("group.synced", {{"consumer", name},
                                              {"generation", member.generation()},
                                              {"partitions", member.assignment().size()}});
            need_positions = true;
            next_commit = env.scheduler.now() +
                          Duration::micros(r.between(0, k.commit_interval_max.to_micros()));
        }
        if (need_positions) {
            // Resume from the committed offsets, which must include every commit acknowledged
            // before the question was sent.
            std::map<Tp, int64_t> floor;
            for (const auto& tp : member.assignment()) {
                floor[tp] = o.fetch_floor(tp, env.scheduler.now());
            }
            auto committed = client.committed_offsets(group_name);
            if (!committed.ok()) {
                (void)member.heartbeat_if_due();
                env.scheduler.sleep_for(Duration::millis(50));
                continue;
            }
            need_positions = false;
            for (const auto& tp : member.assignment()) {
                positions[tp] = 0;  // auto.offset.reset=earliest
            }
            for (const auto& c : *committed) {
                const Tp tp{c.topic, c.partition.value()};
                if (positions.contains(tp)) {
                    positions[tp] = c.offset.value();
                }
            }
            for (const auto& [tp, low] : floor) {
                if (positions[tp] < low) {
                    o.fail(commits_never_go_back, "OffsetFetch answered " +
                                                      std::to_string(positions[tp]) + " for " +
                                                      tp_name(tp) + " after a commit of " +
                                                      std::to_string(low) + " was acknowledged");
                }
            }
        }
        if (positions.empty()) {
            env.scheduler.sleep_for(Duration::millis(50));
        }
        for (auto& [tp, pos] : positions) {
            client::FetchOptions fo;
            fo.max_wait = Duration::millis(r.between(5, 60));
            auto got = client.fetch(tp.first, PartitionId(tp.second), Offset(pos), fo);
            if (!got.ok()) {
                break;
            }
            for (const auto& rec : got->records) {
                const int64_t at = rec.offset.value();
                const auto& known = o.produced[tp];
                if (auto it = known.find(at); it != known.end() && rec.value != it->second) {
                    o.fail(reads_as_produced, name + " read a record at " + tp_name(tp) +
                                                  " offset " + std::to_string(at) +
                                                  " that was not produced there");
                }
                auto& seen = o.processed[tp];
                if (seen.size() <= static_cast<size_t>(at)) {
                    seen.resize(static_cast<size_t>(at) + 1, false);
                }
                seen[static_cast<size_t>(at)] = true;
                ++o.records_processed;
            }
            pos = got->next_offset.value();
        }
        if (env.scheduler.now() >= next_commit) {
            commit();
            next_commit = env.scheduler.now() +
                          Duration::micros(r.between(0, k.commit_interval_max.to_micros()));
        }
        (void)member.heartbeat_if_due();
        if (r.chance(0.002)) {
            // A consumer that closes and comes back: LeaveGroup, then join again later.
            commit();
            (void)member.leave();
            positions.clear();
            env.scheduler.sleep_for(Duration::millis(r.between(10, 2000)));
        }
    }
}

void producer_main(Env& env, Oracle& o) {
    Random r = env.random.fork("producer");
    client::Client client(env, client_options());
    create_topic_until_done(env, client, topic_name, o.partitions);
    uint64_t seq = 0;
    while (!o.producing_done) {
        const int32_t p = static_cast<int32_t>(r.between(0, o.partitions - 1));
        const Tp tp{topic_name, p};
        std::vector<client::ProducerRecord> records(static_cast<size_t>(r.between(1, 20)));
        for (auto& rec : records) {
            rec.value = "v" + std::to_string(++seq);
            rec.timestamp_ms = 1'700'000'000'000;
        }
        auto sent = client.produce(topic_name, PartitionId(p), records, client::ProduceOptions{});
        if (sent.ok() && sent->base_offset) {
            int64_t at = sent->base_offset->value();
            for (const auto& rec : records) {
                o.produced[tp][at++] = *rec.value;
            }
            o.produced_end[tp] = std::max(o.produced_end[tp], at);
        }
        env.scheduler.sleep_for(Duration::millis(r.between(5, 120)));
    }
    while (true) {
        env.scheduler.sleep_for(Duration::seconds(3600));
    }
}

// Every consumer, then every partition's committed offset at its end: the liveness goal.
bool settled(const Oracle& o) {
    if (!o.producing_done) {
        return false;
    }
    for (int32_t p = 0; p < o.partitions; ++p) {
        const Tp tp{topic_name, p};
        const auto end = o.produced_end.find(tp);
        const auto committed = o.acked_commit.find(tp);
        const int64_t want = end == o.produced_end.end() ? 0 : end->second;
        if (want > 0 && (committed == o.acked_commit.end() || committed->second < want)) {
            return false;
        }
    }
    const auto last = o.owners.find(o.max_synced_generation);
    return last != o.owners.end() && static_cast<int>(last->second.size()) == o.consumers;
}

Violation check_final(const Oracle& o) {
    Violation v;
    const auto& last = o.owners.at(o.max_synced_generation);
    std::set<Tp> covered;
    for (const auto& [name, list] : last) {
        covered.insert(list.begin(), list.end());
    }
    if (static_cast<int32_t>(covered.size()) != o.partitions) {
        v.report(checkers::liveness, "the final generation " +
                                         std::to_string(o.max_synced_generation) + " assigns " +
                                         std::to_string(covered.size()) + " of " +
                                         std::to_string(o.partitions) + " partitions");
        return v;
    }
    for (const auto& [tp, committed] : o.acked_commit) {
        const auto it = o.processed.find(tp);
        for (int64_t at = 0; at < committed; ++at) {
            if (it == o.processed.end() || static_cast<size_t>(at) >= it->second.size() ||
                !it->second[static_cast<size_t>(at)]) {
                v.report(commits_processed, tp_name(tp) + " offset " + std::to_string(at) +
                                                " is below the committed offset " +
                                                std::to_string(committed) +
                                                " but no consumer processed it");
                return v;
            }
        }
    }
    return v;
}

RunResult run_group_rebalance(const RunOptions& ro) {
    Random swarm = Random(ro.seed).fork("swarm");
    sim::WorldOptions wo = broker_world_options(swarm);
    ro.route_logs(wo);
    sim::SimWorld world(ro.seed, wo);
    if (ro.trace_sink) {
        world.trace().set_sink(ro.trace_sink);
    }

    Oracle oracle;
    oracle.partitions = static_cast<int32_t>(swarm.between(2, 6));
    // A replayed schedule may name fewer consumers (eddy sim shrink).
    oracle.consumers = static_cast<int>(
        schedule_size(ro.faults.get(), "consumers", swarm.between(2, 4), 1, 4));
    ConsumerKnobs knobs;
    knobs.session_timeout = Duration::millis(swarm.between(1000, 3000));
    knobs.rebalance_timeout = Duration::millis(swarm.between(1500, 4000));
    knobs.commit_interval_max = Duration::millis(swarm.between(20, 800));
    knobs.static_membership = swarm.chance(0.3);
    const bool broker_crashes = swarm.chance(0.4);
    const bool cuts = swarm.chance(0.5);

    auto config = broker_node_config(
        {{"group.initial.rebalance.delay.ms", std::to_string(swarm.between(0, 600))},
             {"group.min.session.timeout.ms", "500"},
             {"offsets.topic.num.partitions", std::to_string(swarm.between(1, 3))}});
    if (!config.ok()) {
        return finish(world,
                      Verdict::violation(checkers::setup, "bad broker config: " + config.error()));
    }
    kafka::BrokerOptions bo;
    bool broker_started = false;  // a later start that fails is a disk fault, not the setup
    bo.group_knobs.accept_fenced_commits = ro.planted("accept-fenced-commit");
    world.add_node("broker",
                   [&](Env& env) {
                       run_broker_node(env, *config, bo, oracle.violation, &broker_started);
                   });
    world.add_node("producer", [&](Env& env) { producer_main(env, oracle); });
    std::vector<std::string> consumers;
    for (int i = 1; i <= oracle.consumers; ++i) {
        const std::string name = "consumer-" + std::to_string(i);
        consumers.push_back(name);
        world.add_node(name, [&oracle, &knobs, name](Env& env) {
            consumer_main(env, oracle, name, knobs);
        });
    }
    for (auto* n : world.nodes()) {
        world.start(*n);
    }

    bool done = false;
    FaultInjector faults(world);  // every fault traced, recorded, replayable (--faults)
    faults.set_size("consumers", oracle.consumers);
    uint64_t swarm_faults = 0;
    spawn_broker_supervisor(world, faults);
    world.spawn("faults", [&] {
        auto& sched = world.world_env().scheduler;
        Random r = fault_stream(world, "faults");  // recorded as faults, not hashed
        const Instant fault_end = sched.now() + Duration::seconds(r.between(15, 30));
        // The swarm on the broker: its disk (errors, full, slow), pauses, clock steps, clogs
        // and, in the runs that crash it, crashes. No bit rot: one broker holds the only copy
        // of the offsets (see one_broker_menu). One broker: the consumers' cuts below
        // are the partitions.
        const bool replaying = faults.open_phase(ro.faults.get(), one_broker_menu(broker_crashes),
                                                 "broker", fault_end, swarm_faults);
        while (!replaying && sched.now() < fault_end && oracle.violation.empty()) {
            sched.sleep_for(Duration::millis(r.between(200, 2500)));
            faults.wake(lane_main);
            const std::string victim = consumers[r.below(consumers.size())];
            const int kind = static_cast<int>(r.between(0, 9));
            FaultSpec f = custom_fault("pause", {victim});
            if (kind < 4) {
                // A zombie: paused for up to three session timeouts.
                f.hold = Duration::micros(r.between(knobs.session_timeout.to_micros() / 3,
                                                    3 * knobs.session_timeout.to_micros()));
            } else if (kind < 7) {
                f.kind = "crash";
                f.hold = Duration::millis(r.between(50, 3000));
            } else if (kind < 9 && cuts) {
                f.kind = "partition";
                f.side_b = {"broker"};
                f.hold = Duration::micros(r.between(100'000, 2 * knobs.session_timeout.to_micros()));
            } else if (broker_crashes) {
                f.kind = "crash";
                f.side_a = {"broker"};
                f.hold = Duration::millis(r.between(50, 1500));
            } else {
                continue;
            }
            faults.apply(std::move(f));
        }
        // Heal: everyone up and connected; then stop producing and let the group settle.
        faults.end_phase();
        faults.heal_all();
        oracle.healed = true;
        sched.sleep_for(Duration::seconds(2));
        oracle.producing_done = true;
        const Instant give_up = sched.now() + Duration::seconds(90);
        while (sched.now() < give_up && oracle.violation.empty() && !settled(oracle)) {
            sched.sleep_for(Duration::millis(250));
        }
        done = true;
    });
    world.run([&] { return done || !oracle.violation.empty(); },
              Instant::from_nanos(Duration::seconds(200).to_nanos()));
    if (ro.faults_sink) {
        ro.faults_sink(faults.schedule());
    }

    Verdict v = Verdict::ok(std::to_string(oracle.syncs) + " syncs up to generation " +
                            std::to_string(oracle.max_synced_generation) + ", " +
                            std::to_string(oracle.commits_acked) + " commits acknowledged, " +
                            std::to_string(oracle.commits_refused) + " refused, " +
                            std::to_string(oracle.records_processed) + " records processed");
    if (!oracle.violation.empty()) {
        v = Verdict::violation(oracle.violation);
    } else if (!done) {
        v = Verdict::violation(checkers::run_timeout,
                               "the run did not finish within 200 simulated seconds");
    } else if (!settled(oracle)) {
        v = Verdict::violation(checkers::liveness,
                               "after healing the group did not settle: generation " +
                                   std::to_string(oracle.max_synced_generation) +
                                   " or the committed offsets never reached the end of the log");
    } else if (Violation why = check_final(oracle); !why.empty()) {
        v = Verdict::violation(why);
    }
    return finish(world, v);
}

}  // namespace

Scenario group_rebalance_scenario() {
    return {"group-rebalance",
            "a consumer group under consumer crashes, pauses past the session timeout (zombies), "
            "network cuts, leaves and broker crashes: one owner per partition per generation, "
            "generations only grow, fenced commits refused, committed offsets never go back",
            run_group_rebalance};
}

}  // namespace eddy::scenarios
