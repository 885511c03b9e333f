// Scenarios "replication-failover", "replication-failover-epochs" and "replication-failover-hw":
// issue 11's acceptance test of partition replication. A cluster of 3-5 real kafka::Broker nodes,
// each broker and controller (the metadata quorum's voters), with short timeouts (election
// 150-400 ms, broker session 2 s, replica.lag.time.max.ms 1-2 s, replica fetch wait and backoff
// 100 ms, replica socket timeout 1.5 s), small segments (16-128 KiB) and the default durability
// (flush.messages=1: a write counts once synced). One topic with 2-4 partitions, replication
// factor 3 and min.insync.replicas=2.
//
// Workload: producers writing unique values — one or two idempotent ones (acks=all,
// client::IdempotentProducer), a plain acks=all one and an acks=1 one — each recording every
// acknowledged (partition, offset, values) and leaving a partition alone for a second after a send
// to it failed (Kafka's partitioner prefers available partitions); a consumer group of 1-3
// members (client::GroupMember, the eager range protocol) that fetch their partitions with the
// leader epoch their metadata names (KIP-320: only that epoch's leader answers), commit their
// positions, and now and then seek back to read a stretch again.
//
// Faults, until the fault phase (15-25 s) ends and everything heals: one node isolated; the nodes
// split in two random sides (one may hold a majority); crashes that lose unsynced writes, and
// restarts; pauses; wall-clock jumps; bursts of disk read errors and failed fsyncs (a failed fsync
// crashes the node; a supervisor restarts crashed nodes); faults aimed at a partition leader: cut
// off from the other nodes (clients still reach it) or on the minority side until it is fenced,
// paused past the broker session, crashed, or cut off for a moment and then crashed and kept down
// while another replica leads; rolling restarts (one node at a time, mostly a graceful stop with
// controlled shutdown, back in the ISR of its partitions before the next); and on half of the
// seeds every node crashing at the same instant, at least once (with flush.messages=1 an
// acknowledged acks=all write survives even that: docs/durability.md).
//
// Checkers, while the workload runs (on every fetch answer a consumer gets):
// - `nothing-above-hw`: no record at or above the answer's high watermark is returned;
// - `hw-monotonic`: the high watermarks one consumer sees from one leader epoch never go back.
//   Across epochs they may: a new leader starts from its follower high watermark, which lags the
//   old leader's (Kafka's does too), so what is promised across a failover is `consumed-stays`;
// - `consumed-stays`: an offset a consumer has read never holds another value later, and after
//   healing still holds it (what was below a high watermark never changes or vanishes);
// - `one-owner-per-generation`: no partition is handed to two members in one generation.
// After healing (producers keep going 3 s and until each has an acknowledgement again, then stop):
// `liveness` if a pending produce does not complete, a producer had no acknowledgement since
// healing, the cluster does not reach — every node serving, every partition with a leader and its
// full ISR in every node's image, every replica's log end at the leader's and the high watermark
// there — or the group does not consume every partition to its high watermark; before a liveness
// failure is reported the replicas are compared. Then:
// - `replicas-agree`: every follower's log, read directly through its node's LogManager, holds the
//   leader's value at every offset below where the leader last accepted its fetch (its log passed
//   the epoch check there) and below the high watermark — once caught up, every offset of every
//   replica;
// - `acked-writes-survive`: every acknowledged acks=all write is read back (Fetch from the leader,
//   up to the high watermark) at the offsets its acknowledgement named;
// - `no-duplicates`: no value of an idempotent producer is in the log twice;
// - `nothing-invented`: every value in the log is one a producer sent;
// - `consumed-stays` (above), over the whole log (checked before acked-writes-survive).
// Planted bugs (replica::ReplicaKnobs), one scenario each, whose fault weights aim at what the bug
// needs: acks=all answered once the leader has the write (ack_before_replication) →
// `acked-writes-survive` ("replication-failover"); the leader never answers a diverging epoch, so
// a deposed leader keeps its uncommitted tail and appends after it
// (truncate_without_epoch_check) → `replicas-agree` ("replication-failover-epochs": mostly leaders
// cut off then crashed, which come back once the new leader has outgrown their tail); the high
// watermark ignores the followers (hw_from_leader_alone) → `consumed-stays`
// ("replication-failover-hw": mostly leaders cut off while consumers still read from them).
// "replication-reassign" (4-5 nodes) adds a client moving random partitions to a
// random 3 of the nodes, and cancelling, all through the fault phase; liveness then also needs
// every reassignment complete and no copy left on a node that is no longer a replica. Its planted
// bug counts the new replicas in sync before they copied anything
// (controller::ReassignmentKnobs::in_sync_before_copied), so leadership may move to an empty
// replica → `consumed-stays` (offsets consumers read now hold other values; acked-writes-survive
// would judge it too, after healing).
#include "scenarios/replication_failover.h"

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/protocol/generated/alter_partition_reassignments.h"
#include "scenarios/kafka_nodes.h"
#include "scenarios/scenarios.h"
#include "services/client/broker_connection.h"
#include "services/client/group_member.h"
#include "services/client/idempotent_producer.h"
#include "sim/world.h"

namespace eddy::scenarios {
namespace {

using namespace replication;

// Simulated time a run may take: the fault phase, then a minute at most for each wait after it.
constexpr Duration run_limit = Duration::seconds(200);

// Which planted bug the variant hunts (scenarios/planted_bugs.h): it shapes the fault mix.
enum class Planted : uint8_t {
    ack_before_replication,
    truncate_without_epoch_check,
    hw_from_leader_alone,
    in_sync_before_copied,
};

enum class ProducerKind : uint8_t { idempotent, acks_all, acks_one };

void idle(Env& env) {
    while (true) {
        env.scheduler.sleep_for(Duration::seconds(3600));
    }
}

// --- Producers ---

void producer_main(Env& env, Cluster& c, const std::string& name, ProducerKind kind) {
    Random r = env.random.fork("producer");
    client::Client client(env, client_options(c, r, Duration::seconds(r.between(2, 4))));
    client::IdempotentProducer idempotent(env, client);
    while (!c.topic_ready) {
        env.scheduler.sleep_for(Duration::millis(50));
    }
    uint64_t n = 0;
    // A partition whose send failed is left alone for a while, as Kafka's partitioner prefers
    // available partitions: one offline partition does not stall the whole producer.
    std::vector<Instant> avoid_until(static_cast<size_t>(c.partitions));
    while (!c.producing_done) {
        std::vector<int32_t> available;
        for (int32_t q = 0; q < c.partitions; ++q) {
            if (avoid_until[static_cast<size_t>(q)] <= env.scheduler.now()) {
                available.push_back(q);
            }
        }
        const int32_t p = available.empty() ? static_cast<int32_t>(r.between(0, c.partitions - 1))
                                            : available[r.below(available.size())];
        std::vector<client::ProducerRecord> records(static_cast<size_t>(r.between(1, 4)));
        std::vector<std::string> values;
        for (auto& rec : records) {
            rec.value = name + "-" + std::to_string(++n);
            c.sent[*rec.value] = Sent{name, kind == ProducerKind::idempotent};
            values.push_back(*rec.value);
        }
        ++c.in_flight;
        Result<client::ProduceResult, client::ClientError> res =
            fail(client::ClientError{client::error_code::unknown_server_error, ""});
        if (kind == ProducerKind::idempotent) {
            res = idempotent.send(topic_name, PartitionId(p), records,
                                  env.scheduler.now() + Duration::seconds(r.between(2, 5)));
        } else {
            client::ProduceOptions o;
            o.acks = kind == ProducerKind::acks_one ? int16_t{1} : int16_t{-1};
            res = client.produce(topic_name, PartitionId(p), records, o);
        }
        --c.in_flight;
        if (res.ok() && res->base_offset) {
            c.acked.push_back({name, p, res->base_offset->value(), std::move(values),
                               kind != ProducerKind::acks_one});
            if (c.healed) {
                ++c.acked_after_heal[name];
            }
        } else {
            ++c.in_doubt;
            avoid_until[static_cast<size_t>(p)] = env.scheduler.now() + Duration::seconds(1);
        }
        env.scheduler.sleep_for(Duration::micros(r.between(0, 30'000)));
    }
    idle(env);
}

// --- Consumers ---

void on_synced(Cluster& c, const std::string& name, const client::GroupMember& m) {
    const int32_t g = m.generation();
    c.max_generation = std::max(c.max_generation, g);
    auto& gen = c.owners[g];
    gen[name] = m.assignment();
    for (const auto& [other, theirs] : gen) {
        if (other == name) {
            continue;
        }
        for (const auto& tp : theirs) {
            if (std::find(m.assignment().begin(), m.assignment().end(), tp) !=
                m.assignment().end()) {
                c.fail(one_owner_per_generation, "generation " + std::to_string(g) + " hands " +
                                                     tp.first + "-" + std::to_string(tp.second) +
                                                     " to both " + name + " and " + other);
            }
        }
    }
}

// The checks on one fetch answer from the leader of `epoch`.
void observe(Cluster& c, const std::string& who, int32_t p, int32_t epoch,
             const client::FetchResult& got) {
    ++c.fetches;
    const int64_t hw = got.high_watermark.value();
    const auto [seen, fresh] = c.hw_seen.try_emplace({who, p, epoch}, hw);
    if (!fresh) {
        if (hw < seen->second) {
            c.fail(hw_monotonic, who + " saw the high watermark of " + tp_name(p) +
                                     " in leader epoch " + std::to_string(epoch) +
                                     " go back from " + std::to_string(seen->second) + " to " +
                                     std::to_string(hw));
        }
        seen->second = std::max(seen->second, hw);
    }
    for (const auto& rec : got.records) {
        const int64_t at = rec.offset.value();
        const std::string value = rec.value.value_or("");
        if (at >= hw) {
            c.fail(nothing_above_hw, who + " was served " + tp_name(p) + " offset " +
                                         std::to_string(at) + " with the high watermark at " +
                                         std::to_string(hw) + " (leader epoch " +
                                         std::to_string(epoch) + ")");
        }
        const auto [it, first] = c.consumed[p].try_emplace(at, value);
        if (!first && it->second != value) {
            c.fail(consumed_stays, who + " read '" + value + "' at " + tp_name(p) + " offset " +
                                       std::to_string(at) + ", where '" + it->second +
                                       "' was read before (leader epoch " + std::to_string(epoch) +
                                       ")");
        }
        ++c.records_consumed;
    }
}

// One group member: join, resume from the committed offsets, fetch each assigned partition with
// the leader epoch its metadata names, commit the positions in its generation, heartbeat; start
// over whenever the generation ends.
void consumer_main(Env& env, Cluster& c, const std::string& name, Duration session) {
    Random r = env.random.fork("consumer");
    client::ClientOptions co = client_options(c, r, Duration::seconds(2));
    co.retries_max = 3;
    client::Client client(env, co);
    client::GroupMemberOptions mo;
    mo.group_id = group_name;
    mo.topics = {topic_name};
    mo.session_timeout = session;
    mo.rebalance_timeout = session * 2;
    mo.heartbeat_interval = session / 3;
    client::GroupMember member(env, client, mo);
    std::map<int32_t, int64_t> positions;
    std::map<int32_t, int32_t> epochs;  // the leader epoch each partition is fetched with
    Instant next_commit;
    while (!c.topic_ready) {
        env.scheduler.sleep_for(Duration::millis(50));
    }
    auto commit = [&] {
        std::vector<client::CommittedOffset> offsets;
        for (const auto& [p, pos] : positions) {
            offsets.push_back({topic_name, PartitionId(p), Offset(pos)});
        }
        if (!offsets.empty()) {
            (void)member.commit(offsets);
        }
    };
    while (c.violation.empty()) {
        if (!member.active()) {
            commit();
            positions.clear();
            if (auto j = member.join(env.scheduler.now() + Duration::seconds(10)); !j.ok()) {
                env.scheduler.sleep_for(Duration::millis(200));
                continue;
            }
            on_synced(c, name, member);
            for (const auto& tp : member.assignment()) {
                positions[tp.second] = 0;  // auto.offset.reset=earliest
            }
            if (auto committed = client.committed_offsets(group_name); committed.ok()) {
                for (const auto& co2 : *committed) {
                    if (co2.topic == topic_name && positions.contains(co2.partition.value()) &&
                        co2.offset.value() >= 0) {
                        positions[co2.partition.value()] = co2.offset.value();
                    }
                }
            }
            next_commit = env.scheduler.now() + Duration::millis(r.between(50, 500));
        }
        if (positions.empty()) {
            (void)member.heartbeat_if_due();
            env.scheduler.sleep_for(Duration::millis(50));
            continue;
        }
        for (auto& [p, pos] : positions) {
            if (!epochs.contains(p)) {
                auto md = client.topic(topic_name);
                if (!md.ok()) {
                    break;
                }
                for (const auto& pm : md->partitions) {
                    epochs[pm.id.value()] = pm.leader_epoch.value();
                }
                if (!epochs.contains(p)) {
                    break;
                }
            }
            client::FetchOptions fo;
            fo.max_wait = Duration::millis(r.between(5, 60));
            fo.current_leader_epoch = LeaderEpoch(epochs[p]);
            auto got = client.fetch(topic_name, PartitionId(p), Offset(pos), fo);
            if (!got.ok()) {
                if (got.error().code == client::error_code::offset_out_of_range) {
                    pos = 0;  // auto.offset.reset=earliest; consumed-stays judges what follows
                }
                epochs.erase(p);  // FENCED/UNKNOWN_LEADER_EPOCH, a new leader: ask again
                continue;
            }
            observe(c, name, p, epochs[p], *got);
            pos = got->next_offset.value();
            if (r.chance(0.02)) {
                // Read a stretch again: what was read must still be there.
                pos = std::max<int64_t>(0, pos - r.between(1, 50));
            }
        }
        if (env.scheduler.now() >= next_commit) {
            commit();
            next_commit = env.scheduler.now() + Duration::millis(r.between(50, 500));
        }
        (void)member.heartbeat_if_due();
    }
    idle(env);
}

// --- Reassignments ---

// replication-reassign: every 0.2-1.5 s during the fault phase, moves a random partition to a
// random 3 of the nodes (a reordering when there are only 3; 90% of the time, with more nodes, 3
// that leave out its current leader, as when a broker is drained) or cancels its reassignment,
// through a random node (forwarded to the active controller). Answers are not judged here: under
// faults many are NOT_CONTROLLER or time out; what must hold is what the checkers check, and that
// every reassignment completes after healing (liveness).
void reassigner_main(Env& env, Cluster& c) {
    Random r = env.random.fork("reassigner");
    while (!c.topic_ready) {
        env.scheduler.sleep_for(Duration::millis(50));
    }
    while (!c.healed) {
        env.scheduler.sleep_for(Duration::millis(r.between(200, 1500)));
        if (c.healed) {
            break;
        }
        protocol::AlterPartitionReassignmentsRequest req;
        req.timeout_ms_ = 3000;
        protocol::AlterPartitionReassignmentsRequest::ReassignableTopic t;
        t.name_ = topic_name;
        protocol::AlterPartitionReassignmentsRequest::ReassignablePartition part;
        part.partition_index_ = static_cast<int32_t>(r.between(0, c.partitions - 1));
        if (!r.chance(0.15)) {
            std::vector<int> ids = c.ids;
            const auto* topic = c.topic();
            if (ids.size() > 3 && topic != nullptr && r.chance(0.9)) {
                const auto current = topic->partitions.find(part.partition_index_);
                if (current != topic->partitions.end()) {
                    std::erase(ids, current->second.leader);  // drain the leader's broker
                }
            }
            for (size_t i = ids.size() - 1; i > 0; --i) {
                std::swap(ids[i], ids[r.below(i + 1)]);
            }
            part.replicas_.emplace(ids.begin(), ids.begin() + 3);
        }
        t.partitions_.push_back(std::move(part));
        req.topics_.push_back(std::move(t));
        const int via = c.ids[r.below(c.ids.size())];
        const Instant deadline = env.scheduler.now() + Duration::seconds(3);
        auto conn = client::BrokerConnection::open(env, Address{cluster_node_name(via), broker_port},
                                                   "reassigner", deadline);
        if (!conn.ok()) {
            continue;
        }
        auto resp = (*conn)->call<protocol::AlterPartitionReassignmentsResponse>(req, deadline);
        if (resp.ok() && resp->error_code_ == 0 && !resp->responses_.empty() &&
            !resp->responses_[0].partitions_.empty() &&
            resp->responses_[0].partitions_[0].error_code_ == 0) {
            ++c.reassignments;
        }
    }
    idle(env);
}

// --- Faults ---

enum class Fault : uint8_t {
    isolate,           // one node cut off both ways
    split,             // two random sides
    crash,             // crash (losing unsynced writes), restart after a while
    pause,             // SIGSTOP, then resume; past the broker session when long
    clock_jump,        // the wall clock steps
    disk_faults,       // read errors and failed fsyncs for a while
    leader_isolate,    // a partition leader cut off from the other nodes until it is fenced
    leader_minority,   // a partition leader on the minority side of a split until it is fenced
    leader_cut_crash,  // a partition leader cut off for a moment, then crashed for a while
    leader_crash,      // a partition leader crashed
    leader_pause,      // a partition leader paused past the broker session
    rolling_restart,   // every node in turn, back in sync before the next
    crash_all,         // every node at the same instant
    count,
};

class Nemesis : public ClusterFaults {
public:
    Nemesis(sim::SimWorld& w, Cluster& c, std::vector<int64_t> weights, Duration hold_max,
            bool crash_all)
        : ClusterFaults(w, c.ids, c.held, w.random().fork("nemesis"), hold_max),
          c_(c),
          weights_(std::move(weights)),
          crash_all_(crash_all) {
        ASSERT(weights_.size() == static_cast<size_t>(Fault::count));
        // Each custom fault's record holds what it uses: the leader, how long it is cut off
        // (hold) and kept down (value, µs); the rolling restart's own draws (value: a seed).
        add_custom("leader_cut_crash", [this](const FaultSpec& f) {
            leader_cut_crash(id_of(f.side_a.at(0)), f.hold, Duration::micros(f.value));
        });
        add_custom("rolling_restart",
                   [this](const FaultSpec& f) { rolling_restart(static_cast<uint64_t>(f.value)); });
    }

    void run(Duration phase, const FaultSchedule* replay, const FaultMenu& menu) {
        run_phase(
            phase, replay, menu, ids_.size(),
            [this, phase](Instant end) {
                const Instant middle = end - phase / 2;
                while (sched().now() < end && c_.violation.empty()) {
                    gap(Duration::millis(r_.between(100, 1000)));
                    // The seeds that crash everything at once do it at least once, by the
                    // middle.
                    inject(crash_all_ && crash_alls_ == 0 && sched().now() >= middle
                               ? Fault::crash_all
                               : static_cast<Fault>(pick(weights_)));
                }
            },
            base_disk_faults);
        w_.trace("nemesis.healed", {{"faults", faults()}});
    }
    uint64_t faults() const { return recorded_faults(); }
    // Counted from the record (a replay injects them without the loop that counts).
    uint64_t crash_alls() const {
        const auto s = schedule();
        return static_cast<uint64_t>(std::count_if(s.faults.begin(), s.faults.end(),
                                                   [](const FaultSpec& f) {
                                                       return f.aim == "crash_all";
                                                   }));
    }
    uint64_t rolling_restarts() const { return rolling_restarts_; }

    sim::DiskFaults base_disk_faults;

private:
    // Long enough that the controller fences the node (broker session 2 s) and moves leadership.
    Duration past_session() { return Duration::millis(2500) + hold(); }

    // The leader of a random partition, if one is known; the next fault aims at it (traced as
    // fault.leader when it begins).
    std::optional<int> some_leader() {
        const auto* t = c_.topic();
        if (t == nullptr || t->partitions.empty()) {
            return std::nullopt;
        }
        auto it = t->partitions.begin();
        std::advance(it, static_cast<ptrdiff_t>(r_.below(t->partitions.size())));
        if (it->second.leader < 0) {
            return std::nullopt;
        }
        aim_next("leader");
        return it->second.leader;
    }

    void inject(Fault f) {
        switch (f) {
            case Fault::isolate:
                isolate_any();
                break;
            case Fault::split:
                split_any();
                break;
            case Fault::crash:
                crash_any();
                break;
            case Fault::pause:
                pause_any(hold_max_ + hold_max_);  // past the broker session when long
                break;
            case Fault::clock_jump:
                clock_jump_any();
                break;
            case Fault::disk_faults:
                disk_faults_any();
                break;
            case Fault::leader_isolate:
                // Clients still reach it: it keeps taking writes no follower copies.
                if (const auto l = some_leader()) {
                    split_for({*l}, others(*l), past_session());
                }
                break;
            case Fault::leader_minority:
                if (const auto l = some_leader()) {
                    leader_minority(*l);
                }
                break;
            case Fault::leader_cut_crash:
                if (const auto l = some_leader()) {
                    FaultSpec cut = spec("leader_cut_crash", {cluster_node_name(*l)});
                    cut.hold = r_.duration_between(Duration::millis(200), Duration::millis(1500));
                    cut.value = past_session().to_micros();
                    inj_.apply(std::move(cut));
                }
                break;
            case Fault::leader_crash:
                if (const auto l = some_leader()) {
                    crash_for(*l, hold());
                }
                break;
            case Fault::leader_pause:
                if (const auto l = some_leader()) {
                    pause_for(*l, past_session());
                }
                break;
            case Fault::rolling_restart: {
                FaultSpec rr = spec("rolling_restart", {});
                rr.value = custom_seed();
                inj_.apply(std::move(rr));
                break;
            }
            case Fault::crash_all:
                crash_all();
                break;
            case Fault::count:
                break;
        }
    }

    // The leader and up to a minority with it on one side of a split, until it is fenced.
    void leader_minority(int leader) {
        const auto [small, rest] = minority_with(leader, ids_.size());
        split_for(small, rest, past_session());
    }

    // Cut off for a moment (writes pile up that no follower has), then the machine dies and
    // stays down while another replica leads and takes writes of its own.
    void leader_cut_crash(int leader, Duration cut_for, Duration down_for) {
        FaultSpec cut;
        cut.kind = "partition";
        cut.side_a = {cluster_node_name(leader)};
        cut.side_b = names(others(leader));
        const uint64_t token = inj_.begin(cut, rec());
        sched().sleep_for(cut_for);
        FaultSpec down;
        down.kind = "crash";
        down.side_a = {cluster_node_name(leader)};
        const uint64_t down_token = inj_.begin(down, rec());
        inj_.undo(cut, token);
        sched().sleep_for(down_for);
        inj_.undo(down, down_token);
    }

    // Serving, and in the ISR of every partition it replicates, in the freshest image.
    bool in_every_isr(int id) const {
        const auto* t = c_.topic();
        if (t == nullptr || !c_.serving(id)) {
            return false;
        }
        return std::all_of(t->partitions.begin(), t->partitions.end(), [id](const auto& kv) {
            return !replica::contains(kv.second.replicas, id) ||
                   replica::contains(kv.second.isr, id);
        });
    }

    void rolling_restart(uint64_t seed) {
        Random r(seed);
        ++rolling_restarts_;
        w_.trace("fault.rolling_restart", {});
        for (int id : ids_) {
            auto& n = node(id);
            if (!n.up() || !c_.violation.empty()) {
                continue;
            }
            ClusterNode& cn = c_.nodes.at(id);
            held_.insert(id);
            if (r.chance(0.7) && cn.broker != nullptr) {
                // Graceful: controlled shutdown moves its leaderships away first.
                cn.stop_requested = true;
                const Instant give_up = sched().now() + Duration::seconds(8);
                while (!cn.stopped && n.up() && sched().now() < give_up) {
                    sched().sleep_for(Duration::millis(20));
                }
            }
            if (n.up()) {
                w_.crash(n);
            }
            sched().sleep_for(Duration::millis(r.between(50, 500)));
            held_.erase(id);
            if (!n.up()) {
                w_.start(n);
            }
            const Instant give_up = sched().now() + Duration::seconds(10);
            while (!in_every_isr(id) && sched().now() < give_up) {
                sched().sleep_for(Duration::millis(50));
            }
        }
    }

    void crash_all() {
        ++crash_alls_;
        aim_next("crash_all");  // traced as fault.crash_all
        FaultSpec f = spec("crash", names(ids_));
        f.hold = Duration::millis(r_.between(10, 1000));
        inj_.apply(std::move(f), rec());
    }

    Cluster& c_;
    std::vector<int64_t> weights_;
    bool crash_all_;
    uint64_t crash_alls_ = 0;
    uint64_t rolling_restarts_ = 0;
};

// Creates the topic (RF 3, min.insync.replicas=2) through random nodes until it exists.
void create_topic(Env& env, Cluster& c) {
    Random r = env.random.fork("admin");
    client::NewTopic t;
    t.name = topic_name;
    t.partitions = c.partitions;
    t.replication_factor = 3;
    t.configs = {{"min.insync.replicas", "2"}};
    while (true) {
        client::Client client(env, client_options(c, r, Duration::seconds(3)));
        const auto res = client.create_topic(t);
        if (res.ok() || res.error().code == client::error_code::topic_already_exists) {
            return;
        }
        env.scheduler.sleep_for(Duration::millis(100));
    }
}

RunResult run_replication_failover(const RunOptions& ro, Planted planted) {
    Random swarm = Random(ro.seed).fork("swarm");
    Cluster c;  // before the world: the nodes' fibers refer to it until they unwind
    sim::WorldOptions wo = broker_world_options(swarm);
    ro.route_logs(wo);
    sim::SimWorld world(ro.seed, wo);
    if (ro.trace_sink) {
        world.trace().set_sink(ro.trace_sink);
    }
    c.world = &world;
    const bool reassigning = planted == Planted::in_sync_before_copied;
    // Reassignment moves data only with more nodes than replicas.
    // A replayed schedule may name a smaller cluster or fewer clients (eddy sim shrink): at
    // least 3 nodes (RF 3; 4 to move replicas), 1 producer, 1 consumer.
    const FaultSchedule* replay = ro.faults.get();
    const int nodes = static_cast<int>(schedule_size(
        replay, "nodes",
        !reassigning && swarm.chance(0.5) ? 3 : static_cast<int>(swarm.between(4, 5)),
        reassigning ? 4 : 3, 5));
    c.partitions = static_cast<int32_t>(swarm.between(2, 4));
    c.consumers =
        static_cast<int>(schedule_size(replay, "consumers", swarm.between(1, 3), 1, 3));
    const Duration election = Duration::millis(swarm.between(150, 400));
    const int64_t lag_ms = swarm.between(1000, 2000);
    const Duration session = Duration::millis(swarm.between(1000, 3000));
    const bool crash_all = swarm.chance(0.5);
    for (int id = 1; id <= nodes; ++id) {
        c.ids.push_back(id);
        c.nodes[id] = ClusterNode{};
    }
    kafka::BrokerOptions bo;
    bo.replica_knobs.ack_before_replication = ro.planted("ack-before-replicate");
    bo.replica_knobs.truncate_without_epoch_check = ro.planted("truncate-without-epoch");
    bo.replica_knobs.hw_from_leader_alone = ro.planted("hw-from-leader-alone");
    bo.reassignment_knobs.in_sync_before_copied = ro.planted("in-sync-before-copied");
    bo.metadata_snapshot_every = swarm.between(50, 500);
    bo.verify_logs_on_open = true;  // a crashed node's disk may rot (see the fault menu below)
    // One set of keys for every node (the group coordinator's partition count must agree).
    const std::vector<std::pair<std::string, std::string>> keys = {
        {"replica.lag.time.max.ms", std::to_string(lag_ms)},
        {"replica.fetch.wait.max.ms", "100"},
        {"replica.fetch.backoff.ms", "100"},
        {"replica.socket.timeout.ms", "1500"},
        {"num.partitions", "1"},
        {"default.replication.factor", "3"},
        {"offsets.topic.replication.factor", "3"},
        {"offsets.topic.num.partitions", std::to_string(swarm.between(1, 3))},
        {"group.initial.rebalance.delay.ms", std::to_string(swarm.between(0, 300))},
        {"group.min.session.timeout.ms", "500"},
        {"log.segment.bytes", std::to_string(swarm.between(16, 128) * 1024)}};
    auto loaded = cluster_configs(c.ids, c.ids, election, keys);
    if (!loaded.ok()) {
        return finish(world, Verdict::violation(checkers::setup, loaded.error()));
    }
    const std::map<int, config::BrokerConfig> configs = std::move(loaded).value();
    for (int id : c.ids) {
        world.add_node(cluster_node_name(id), [&c, &configs, id, bo](Env& env) {
            run_cluster_node(env, c.nodes.at(id), configs.at(id), bo);
        });
    }
    // Producers: at least one idempotent, one plain acks=all and one acks=1.
    std::vector<std::pair<std::string, ProducerKind>> producers = {
        {"idem-1", ProducerKind::idempotent},
        {"all-1", ProducerKind::acks_all},
        {"one-1", ProducerKind::acks_one}};
    if (swarm.chance(0.5)) {
        producers.emplace_back("idem-2", ProducerKind::idempotent);
    }
    const auto producer_count = static_cast<size_t>(schedule_size(
        replay, "producers", static_cast<int64_t>(producers.size()), 1,
        static_cast<int64_t>(producers.size())));
    producers.resize(producer_count);
    for (const auto& [name, kind] : producers) {
        c.producers.push_back(name);
        const ProducerKind k = kind;
        const std::string n = name;
        world.add_node(n, [&c, n, k](Env& env) { producer_main(env, c, n, k); });
    }
    for (int i = 1; i <= c.consumers; ++i) {
        const std::string name = "consumer-" + std::to_string(i);
        world.add_node(name,
                       [&c, name, session](Env& env) { consumer_main(env, c, name, session); });
    }
    if (reassigning) {
        world.add_node("reassigner", [&c](Env& env) { reassigner_main(env, c); });
    }
    world.add_node("admin", [&c](Env& env) {
        create_topic(env, c);
        c.topic_ready = true;
        while (!c.healed) {
            env.scheduler.sleep_for(Duration::millis(50));
        }
        check_after_heal(env, c);
        c.checked = true;
        idle(env);
    });
    for (auto* n : world.nodes()) {
        world.start(*n);
    }
    // Fault weights, in the order of `Fault`. The variants aim at what their bug needs: a
    // deposed leader with a tail no follower has, which the new leader has outgrown by the time
    // it comes back (epochs); consumers reading from a leader cut off from its followers (hw).
    std::vector<int64_t> weights;
    switch (planted) {
        case Planted::ack_before_replication:
            weights = {1, 1, 1, 1, 1, 1, 3, 1, 1, 1, 1, 1, crash_all ? 1 : 0};
            break;
        case Planted::truncate_without_epoch_check:
            weights = {0, 0, 1, 0, 1, 0, 0, 0, 6, 2, 2, 0, 0};
            break;
        case Planted::hw_from_leader_alone:
            weights = {0, 0, 1, 0, 1, 0, 5, 2, 1, 1, 1, 0, 0};
            break;
        case Planted::in_sync_before_copied:
            // Fewer faults: reassignments must get far enough to move leadership.
            weights = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0};
            break;
    }
    Nemesis nemesis(world, c, weights, Duration::millis(swarm.between(1500, 4000)),
                    crash_all && planted == Planted::ack_before_replication);
    nemesis.base_disk_faults = wo.disk;
    nemesis.set_size("nodes", nodes);
    nemesis.set_size("producers", static_cast<int64_t>(producers.size()));
    nemesis.set_size("consumers", c.consumers);
    // The whole menu. Bit rot strikes the segments of a crashed node's replicas of the topic,
    // once the controller has left them out of the ISR: the node finds the damage when it starts
    // again (every segment CRC-checked on open; past the recovery point it cannot tell rot from
    // a torn write and cuts the tail, as Kafka would) and copies the log again from the leader.
    FaultMenu menu;
    nemesis.set_rot_eligible([&c](const std::string& node, std::string_view path) {
        const int id = ClusterFaults::id_of(node);
        if (id < 0 || c.world->node(node).up()) {
            return false;
        }
        const auto tp = segment_partition(path);
        if (!tp || tp->topic != topic_name) {
            return false;
        }
        const controller::TopicState* t = c.topic();
        if (t == nullptr) {
            return false;
        }
        const auto it = t->partitions.find(tp->partition.value());
        if (it == t->partitions.end()) {
            return false;
        }
        // Only a replica the controller has already left out of the ISR (the node is down, so
        // it cannot rejoin meanwhile): it can be elected again only after copying the leader's
        // log, so whatever the damage costs it (the damaged log set aside, or a tail past the
        // recovery point cut as if torn) comes back from the leader. Rot of an in-sync replica
        // could be of the only in-sync copy, which no system can give back.
        const auto& ps = it->second;
        return std::find(ps.replicas.begin(), ps.replicas.end(), id) != ps.replicas.end() &&
               std::find(ps.isr.begin(), ps.isr.end(), id) == ps.isr.end();
    });
    spawn_cluster_supervisor(world, c.ids, c.held);
    world.spawn("faults", [&] {
        auto& s = world.world_env().scheduler;
        Random r = world.random().fork("faults");
        while (!c.topic_ready) {
            s.sleep_for(Duration::millis(50));
        }
        s.sleep_for(Duration::seconds(1));  // the workload gets going
        nemesis.run(Duration::seconds(r.between(15, 25)), ro.faults.get(), menu);
        c.healed = true;
    });
    world.run([&] { return c.checked || !c.violation.empty(); }, Instant() + run_limit);
    if (ro.faults_sink) {
        ro.faults_sink(nemesis.schedule());
    }

    uint64_t acked_all = 0;
    for (const Acked& a : c.acked) {
        acked_all += a.acks_all ? 1 : 0;
    }
    Verdict v = Verdict::ok(
        std::to_string(nodes) + " nodes, " + std::to_string(c.partitions) + " partitions, " +
        std::to_string(nemesis.faults()) + " faults (" + std::to_string(nemesis.crash_alls()) +
        " crash-alls, " + std::to_string(nemesis.rolling_restarts()) + " rolling restarts), " +
        std::to_string(c.acked.size()) + " batches acknowledged (" + std::to_string(acked_all) +
        " acks=all), " + std::to_string(c.in_doubt) + " in doubt, " +
        std::to_string(c.records_consumed) + " records consumed in " + std::to_string(c.fetches) +
        " fetches, generation " + std::to_string(c.max_generation) +
        (reassigning ? ", " + std::to_string(c.reassignments) + " reassignments accepted" : ""));
    return finish(world, judge(c.violation, c.checked, run_limit, std::move(v)));
}

Scenario variant(std::string name, std::string description, Planted planted) {
    return {std::move(name), std::move(description),
            [planted](const RunOptions& ro) { return run_replication_failover(ro, planted); }};
}

}  // namespace

Scenario replication_failover_scenario() {
    return variant("replication-failover",
                   "3-5 broker+controller nodes replicating a topic (RF 3, min.insync.replicas=2) "
                   "under partitions, leader faults, crashes losing unsynced writes (every node at "
                   "once on some seeds), pauses, clock jumps, disk faults and rolling restarts, "
                   "with idempotent, acks=all and acks=1 producers and a consumer group: "
                   "acknowledged acks=all writes survive, replicas agree, consumers never see "
                   "above the high watermark or a consumed offset change",
                   Planted::ack_before_replication);
}

Scenario replication_failover_epochs_scenario() {
    return variant("replication-failover-epochs",
                   "replication-failover with most faults cutting partition leaders off, then "
                   "crashing them: a deposed leader's uncommitted tail is truncated at the "
                   "diverging epoch before it copies again, so the replicas agree",
                   Planted::truncate_without_epoch_check);
}

Scenario replication_reassign_scenario() {
    return variant("replication-reassign",
                   "replication-failover on 4-5 nodes while partitions are moved to other "
                   "brokers and reassignments cancelled: new replicas join the ISR before the old "
                   "ones leave, so acknowledged writes survive and every reassignment completes "
                   "after healing",
                   Planted::in_sync_before_copied);
}

Scenario replication_failover_hw_scenario() {
    return variant("replication-failover-hw",
                   "replication-failover with most faults cutting partition leaders off while "
                   "consumers still read from them: the high watermark waits for the ISR, so "
                   "nothing consumed vanishes",
                   Planted::hw_from_leader_alone);
}

}  // namespace eddy::scenarios
