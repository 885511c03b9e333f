// The replication-failover scenarios' shared parts (replication_failover.cpp runs the cluster,
// the workload and the faults; replication_checks.cpp judges after healing): the checker names,
// what the workload records, and the cluster as the checkers see it.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "core/protocol/consumer_protocol.h"
#include "scenarios/kafka_nodes.h"
#include "services/client/client.h"

namespace eddy::scenarios::replication {

inline const std::string topic_name = "orders";
inline const std::string group_name = "readers";

inline constexpr const char* acked_writes_survive = "acked-writes-survive";
inline constexpr const char* replicas_agree = "replicas-agree";
inline constexpr const char* hw_monotonic = "hw-monotonic";
inline constexpr const char* nothing_above_hw = "nothing-above-hw";
inline constexpr const char* consumed_stays = "consumed-stays";
inline constexpr const char* no_duplicates = "no-duplicates";
inline constexpr const char* nothing_invented = "nothing-invented";
inline constexpr const char* one_owner_per_generation = "one-owner-per-generation";

// One acknowledged batch: its values at offset, offset + 1, ...
struct Acked {
    std::string producer;
    int32_t partition = 0;
    int64_t offset = 0;  // the batch's first record
    std::vector<std::string> values;
    bool acks_all = false;
};

// What every value was sent as.
struct Sent {
    std::string producer;
    bool idempotent = false;
};

// The cluster as the scenario sees it across node incarnations, what the workload recorded, and
// the checkers' state (all on the world's one thread).
struct Cluster {
    sim::SimWorld* world = nullptr;
    std::vector<int> ids;
    std::map<int, ClusterNode> nodes;
    std::set<int> held;  // nodes the nemesis keeps down (the supervisor leaves them)
    int32_t partitions = 0;
    bool topic_ready = false;
    // Producers.
    std::vector<std::string> producers;
    std::map<std::string, Sent> sent;
    std::vector<Acked> acked;
    std::map<std::string, uint64_t> acked_after_heal;
    int in_flight = 0;
    uint64_t in_doubt = 0;
    // Consumers.
    int consumers = 0;
    std::map<int32_t, std::map<int64_t, std::string>> consumed;  // partition -> offset -> value
    // (consumer, partition, leader epoch) -> the highest high watermark it saw. Per consumer:
    // two consumers' answers may arrive in another order than they were made.
    std::map<std::tuple<std::string, int32_t, int32_t>, int64_t> hw_seen;
    std::map<int32_t, std::map<std::string, protocol::PartitionList>> owners;  // by generation
    int32_t max_generation = -1;
    uint64_t fetches = 0;
    uint64_t records_consumed = 0;
    uint64_t reassignments = 0;  // accepted (replication-reassign)
    // Phases.
    bool producing_done = false;
    bool healed = false;
    bool checked = false;
    Violation violation;

    void fail(const char* checker, std::string why) { violation.report(checker, std::move(why)); }
    bool serving(int id) const {
        const ClusterNode& n = nodes.at(id);
        return n.broker != nullptr && world->node(cluster_node_name(id)).up();
    }
    // The topic as the running node furthest along the metadata log has it (nullptr: none has).
    const controller::TopicState* topic() const {
        const controller::TopicState* best = nullptr;
        int64_t applied = -1;
        for (const auto& [id, n] : nodes) {
            if (serving(id) && n.broker->quorum().applied_offset() > applied) {
                applied = n.broker->quorum().applied_offset();
                best = n.broker->controller().image().topic(topic_name);
            }
        }
        return best;
    }
};

// "orders-<p>".
std::string tp_name(int32_t p);
// Client options bootstrapping from every node (starting from a random one).
client::ClientOptions client_options(const Cluster& c, Random& r, Duration timeout);

// The final phase, once the nemesis has healed everything: producers finish, the cluster catches
// up, the group consumes to the end, then the after-healing checkers (see
// replication_failover.cpp's file comment). Suspends; call from a client node's fiber.
void check_after_heal(Env& env, Cluster& c);

}  // namespace eddy::scenarios::replication
