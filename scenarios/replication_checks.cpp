// The replication-failover scenarios' judgement after healing (see replication_failover.cpp's
// file comment for the checkers): waits for the producers, the replicas and the group, compares
// the replicas' logs directly, and reads every partition back from its leader.
#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "scenarios/replication_failover.h"
#include "services/client/batch.h"
#include "sim/world.h"

namespace eddy::scenarios::replication {

std::string tp_name(int32_t p) { return topic_name + "-" + std::to_string(p); }

client::ClientOptions client_options(const Cluster& c, Random& r, Duration timeout) {
    client::ClientOptions o;
    std::vector<int> ids = c.ids;
    // Each client starts from another node.
    std::rotate(ids.begin(), ids.begin() + static_cast<ptrdiff_t>(r.below(ids.size())), ids.end());
    for (int id : ids) {
        o.bootstrap.push_back(Address{cluster_node_name(id), broker_port});
    }
    o.request_timeout = timeout;
    o.retry_backoff = Duration::millis(50);
    o.retry_backoff_max = Duration::millis(400);
    return o;
}

namespace {

// Why the cluster is not yet caught up (nullopt once it is): every node serving, every
// partition with a leader and its full ISR in every node's image, no reassignment in progress and
// no copy left on a node that is not a replica, the leader leading it in that epoch, every
// replica's log ending where the leader's does, and the high watermark there.
std::optional<std::string> not_caught_up(const Cluster& c) {
    std::string why;
    for (const auto& [id, n] : c.nodes) {
        if (auto t = cluster_node_trouble(*c.world, id, n)) {
            why += " " + cluster_node_name(id) + ":" + *t;
        }
    }
    if (!why.empty()) {
        return why;
    }
    const controller::TopicState* first = nullptr;
    for (const auto& [id, n] : c.nodes) {
        const auto* t = n.broker->controller().image().topic(topic_name);
        if (t == nullptr) {
            return " " + cluster_node_name(id) + " has no topic " + topic_name;
        }
        if (first != nullptr && t->partitions != first->partitions) {
            return " the images differ (" + cluster_node_name(id) + " at metadata offset " +
                   std::to_string(n.broker->quorum().applied_offset()) + ")";
        }
        first = t;
    }
    for (const auto& [p, ps] : first->partitions) {
        const log::TopicPartition tp{topic_name, PartitionId(p)};
        std::string s = " " + tp_name(p) + ": leader " + std::to_string(ps.leader) + " epoch " +
                        std::to_string(ps.leader_epoch) + " ISR " + std::to_string(ps.isr.size()) +
                        "/" + std::to_string(ps.replicas.size());
        if (ps.leader < 0 || ps.isr.size() != ps.replicas.size()) {
            return s;
        }
        if (ps.reassigning()) {
            return s + " (still reassigning: " + std::to_string(ps.adding.size()) + " adding, " +
                   std::to_string(ps.removing.size()) + " removing)";
        }
        for (const auto& [id, n] : c.nodes) {
            if (!replica::contains(ps.replicas, id) && n.broker->logs().get(tp) != nullptr) {
                return s + " " + cluster_node_name(id) + " still holds a copy, not a replica";
            }
        }
        kafka::Broker& leader = *c.nodes.at(ps.leader).broker;
        const auto view = leader.replicas().view(tp);
        const auto* l = leader.logs().get(tp);
        if (!view || view->role != replica::Role::leader ||
            view->assignment.leader_epoch != ps.leader_epoch || l == nullptr) {
            return s + " (not leading it yet)";
        }
        const Offset end = l->log_end_offset();
        if (l->high_watermark() != end) {
            return s + " high watermark " + std::to_string(l->high_watermark().value()) + " of " +
                   std::to_string(end.value());
        }
        for (int32_t r : ps.replicas) {
            const auto* rl = c.nodes.at(r).broker->logs().get(tp);
            if (rl == nullptr || rl->log_end_offset() != end) {
                return s + " " + cluster_node_name(r) + "'s log ends at " +
                       (rl == nullptr ? std::string("(none)")
                                      : std::to_string(rl->log_end_offset().value())) +
                       ", the leader's at " + std::to_string(end.value());
            }
        }
    }
    return std::nullopt;
}

// Every partition consumed by the group up to the leader's high watermark.
bool consumed_to_end(const Cluster& c) {
    const auto* t = c.topic();
    if (t == nullptr) {
        return false;
    }
    for (const auto& [p, ps] : t->partitions) {
        const auto* l = c.nodes.at(ps.leader).broker->logs().get({topic_name, PartitionId(p)});
        const auto it = c.consumed.find(p);
        const size_t have = it == c.consumed.end() ? 0 : it->second.size();
        if (l == nullptr || have < static_cast<size_t>(l->high_watermark().value())) {
            return false;
        }
    }
    return true;
}

using LogValues = std::map<int64_t, std::string>;  // offset -> value

// Reads `tp` whole on node `id`, directly from its log, in a fiber of that node (the log's disk
// suspends there). nullopt if it could not be read.
std::optional<LogValues> read_replica(Cluster& c, int id, const log::TopicPartition& tp) {
    sim::SimNode& node = c.world->node(cluster_node_name(id));
    std::optional<LogValues> out;
    bool done = false;
    auto reader = node.env().scheduler.spawn("read-replica", [&] {
        std::shared_ptr<log::PartitionLog> l = c.nodes.at(id).broker->logs().get_shared(tp);
        if (l == nullptr) {
            done = true;
            return;
        }
        LogValues values;
        Offset at = l->log_start_offset();
        while (at < l->log_end_offset()) {
            log::ReadOptions ro;
            ro.bound = log::ReadBound::log_end;
            auto r = l->read_copy(at, ro);
            if (!r.ok()) {
                done = true;
                return;
            }
            auto d = client::decode_records(tp.topic, tp.partition, r->data, at);
            if (!d.ok() || d->next_offset <= at) {
                done = true;
                return;
            }
            for (const auto& rec : d->records) {
                values[rec.offset.value()] = rec.value.value_or("");
            }
            at = d->next_offset;
        }
        out = std::move(values);
        done = true;
    });
    (void)reader;
    while (!done) {
        c.world->world_env().scheduler.sleep_for(Duration::millis(1));
    }
    return out;
}

// `replicas-agree`: every follower's log, below the offset its leader last accepted its fetch at
// (the epoch check passed there: KIP-320) and below the leader's high watermark, holds the
// leader's values. Once the replicas have caught up, that is every offset of every replica; it
// is checked too when they have not (a follower that kept a tail no leader has may be why).
void check_replicas(Cluster& c) {
    const auto* t = c.topic();
    if (t == nullptr) {
        return;
    }
    const auto partitions = t->partitions;  // the reads below suspend
    for (const auto& entry : partitions) {
        const int32_t p = entry.first;
        const int32_t leader = entry.second.leader;
        if (leader < 0 || !c.serving(leader)) {
            continue;
        }
        const log::TopicPartition tp{topic_name, PartitionId(p)};
        const auto view = c.nodes.at(leader).broker->replicas().view(tp);
        if (!view || view->role != replica::Role::leader) {
            continue;
        }
        const auto leader_values = read_replica(c, leader, tp);
        if (!leader_values) {
            continue;  // liveness judges
        }
        for (const auto& follower : view->follower_log_ends) {
            const int r = follower.first;
            const Offset fetched = follower.second;
            const int64_t bound = std::min(fetched, view->high_watermark).value();
            const auto values = c.serving(r) ? read_replica(c, r, tp) : std::nullopt;
            if (!values) {
                continue;
            }
            const auto differs = [&](int64_t at, const std::string* mine,
                                     const std::string* leaders) {
                const auto show = [](const std::string* v) {
                    return v == nullptr ? std::string("nothing") : "'" + *v + "'";
                };
                c.fail(replicas_agree,
                       cluster_node_name(r) + " holds " + show(mine) + " at " + tp_name(p) +
                           " offset " + std::to_string(at) + ", its leader " +
                           cluster_node_name(leader) + " (epoch " +
                           std::to_string(view->assignment.leader_epoch) + ") " + show(leaders) +
                           "; the leader accepted its fetch at " + std::to_string(fetched.value()) +
                           ", high watermark " + std::to_string(view->high_watermark.value()));
            };
            for (const auto& [at, v] : *values) {
                if (at >= bound) {
                    break;
                }
                const auto it = leader_values->find(at);
                if (it == leader_values->end() || it->second != v) {
                    differs(at, &v, it == leader_values->end() ? nullptr : &it->second);
                    return;
                }
            }
            for (const auto& [at, v] : *leader_values) {
                if (at >= bound) {
                    break;
                }
                if (!values->contains(at)) {
                    differs(at, nullptr, &v);
                    return;
                }
            }
        }
    }
}

// Reads every partition back from its leader (Fetch, up to the high watermark) and checks it
// against what was acknowledged, sent and consumed.
void check_read_back(Env& env, Cluster& c) {
    Random r = env.random.fork("read-back");
    client::ClientOptions co = client_options(c, r, Duration::seconds(20));
    client::Client client(env, co);
    std::map<int32_t, LogValues> logs;
    std::map<std::string, std::pair<int32_t, int64_t>> where;  // value -> (partition, offset)
    for (int32_t p = 0; p < c.partitions; ++p) {
        const auto* t = c.topic();
        const auto& ps = t->partitions.at(p);
        const int64_t hw = c.nodes.at(ps.leader)
                               .broker->logs()
                               .get({topic_name, PartitionId(p)})
                               ->high_watermark()
                               .value();
        int64_t at = 0;
        while (at < hw) {
            client::FetchOptions fo;
            fo.max_wait = Duration::millis(10);
            auto got = client.fetch(topic_name, PartitionId(p), Offset(at), fo);
            if (!got.ok() || (got->records.empty() && got->next_offset.value() <= at)) {
                c.fail(checkers::liveness,
                       "after healing, reading " + tp_name(p) + " at " + std::to_string(at) +
                           " (high watermark " + std::to_string(hw) +
                           "): " + (got.ok() ? std::string("nothing") : got.error().to_string()));
                return;
            }
            for (const auto& rec : got->records) {
                const std::string v = rec.value.value_or("");
                const int64_t o = rec.offset.value();
                logs[p][o] = v;
                const auto s = c.sent.find(v);
                if (s == c.sent.end()) {
                    c.fail(nothing_invented, tp_name(p) + " offset " + std::to_string(o) +
                                                 " holds '" + v + "', which no producer sent");
                    return;
                }
                const auto [w, fresh] = where.try_emplace(v, p, o);
                if (!fresh && s->second.idempotent) {
                    c.fail(no_duplicates, "'" + v + "' (idempotent " + s->second.producer +
                                              ") is in the log twice: " + tp_name(w->second.first) +
                                              " offset " + std::to_string(w->second.second) +
                                              " and " + tp_name(p) + " offset " +
                                              std::to_string(o));
                    return;
                }
            }
            at = got->next_offset.value();
        }
    }
    for (const auto& [p, read] : c.consumed) {
        const auto& log = logs[p];
        for (const auto& [o, v] : read) {
            const auto it = log.find(o);
            if (it == log.end() || it->second != v) {
                c.fail(consumed_stays,
                       "'" + v + "', consumed at " + tp_name(p) + " offset " + std::to_string(o) +
                           ", is " +
                           (it == log.end() ? "gone" : "replaced by '" + it->second + "'") +
                           " after healing");
                return;
            }
        }
    }
    for (const Acked& a : c.acked) {
        if (!a.acks_all) {
            continue;  // acks=1 promises nothing across a failover
        }
        for (size_t i = 0; i < a.values.size(); ++i) {
            const int64_t o = a.offset + static_cast<int64_t>(i);
            const auto& log = logs[a.partition];
            const auto it = log.find(o);
            if (it == log.end() || it->second != a.values[i]) {
                c.fail(acked_writes_survive,
                       "acknowledged acks=all '" + a.values[i] + "' (" + a.producer + ") at " +
                           tp_name(a.partition) + " offset " + std::to_string(o) + " is " +
                           (it == log.end() ? "gone" : "replaced by '" + it->second + "'"));
                return;
            }
        }
    }
}

}  // namespace

void check_after_heal(Env& env, Cluster& c) {
    auto& s = env.scheduler;
    // No progress is reported as `liveness` only once the replicas are known to agree: a
    // replica that kept a tail its leader does not have may be why nothing moves.
    const auto stalled = [&c](std::string why) {
        check_replicas(c);
        c.fail(checkers::liveness, "after healing, " + why);
    };
    // Producers keep going on the healed cluster for 3 s, and until each has had an
    // acknowledgement again.
    s.sleep_for(Duration::seconds(3));
    const Instant acked_by = s.now() + Duration::seconds(30);
    const auto all_acked = [&c] {
        return std::all_of(c.producers.begin(), c.producers.end(),
                           [&c](const std::string& p) { return c.acked_after_heal[p] > 0; });
    };
    while (!all_acked() && s.now() < acked_by && c.violation.empty()) {
        s.sleep_for(Duration::millis(100));
    }
    c.producing_done = true;
    const Instant give_up = s.now() + Duration::seconds(20);
    while (c.in_flight > 0 && s.now() < give_up && c.violation.empty()) {
        s.sleep_for(Duration::millis(50));
    }
    if (c.in_flight > 0) {
        return stalled(std::to_string(c.in_flight) +
                       " produce requests did not complete within 20 s");
    }
    for (const std::string& p : c.producers) {
        if (c.acked_after_heal[p] == 0) {
            return stalled(p + " had nothing acknowledged within 33 s");
        }
    }
    const Instant converge_by = s.now() + Duration::seconds(60);
    std::optional<std::string> waiting;
    while ((waiting = not_caught_up(c)) && s.now() < converge_by && c.violation.empty()) {
        s.sleep_for(Duration::millis(100));
    }
    if (waiting) {
        return stalled("the replicas did not catch up within 60 s:" + *waiting);
    }
    check_replicas(c);
    const Instant consumed_by = s.now() + Duration::seconds(30);
    while (!consumed_to_end(c) && s.now() < consumed_by && c.violation.empty()) {
        s.sleep_for(Duration::millis(100));
    }
    if (!consumed_to_end(c)) {
        return stalled(
            "the group did not consume every partition to its high watermark within "
            "30 s (generation " +
            std::to_string(c.max_generation) + ")");
    }
    if (c.violation.empty()) {
        check_read_back(env, c);
    }
}

}  // namespace eddy::scenarios::replication
