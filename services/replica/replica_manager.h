// ReplicaManager: the partitions this broker replicates, leader or follower (Kafka's
// ReplicaManager). For each it keeps a ReplicaState (the high-watermark and ISR rules) beside the
// partition log and carries out what the state concludes:
//
// - Leader: every produce, group-coordinator write and follower fetch reports progress here; the
//   high watermark is recomputed and mirrored into the log (reads bound by it), and whoever waits
//   for it (acks=all produces, long polls) is woken. A fiber checks the ISR every
//   replica.lag.time.max.ms / 2 and sends the controller an AlterPartition when a follower fell
//   behind or caught up (one in flight per partition).
// - Follower: a ReplicaFetcher per leader broker copies the leader's batches with Kafka's Fetch
//   (replica id, current leader epoch, last fetched epoch), truncating first where the leader says
//   the logs diverge.
//
// The metadata publisher calls apply() whenever the image changes; the image is the only source
// of leadership and ISR (an AlterPartition answer is applied at once too, as Kafka does, because
// the image follows it).
//
// Concurrency: all on the node's fibers. Methods that suspend say so.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/base/result.h"
#include "core/env/env.h"
#include "core/fiber/sync.h"
#include "services/client/broker_connection.h"
#include "services/log/log_manager.h"
#include "services/replica/replica_state.h"

namespace eddy::replica {

class ReplicaFetcher;

struct ReplicaOptions {
    int32_t node_id = 0;
    // replica.lag.time.max.ms: a follower not caught up for this long leaves the ISR.
    Duration lag_time_max = Duration::seconds(30);
    // replica.fetch.wait.max.ms, replica.fetch.max.bytes, replica.fetch.response.max.bytes,
    // replica.fetch.backoff.ms, replica.socket.timeout.ms.
    Duration fetch_wait_max = Duration::millis(500);
    int32_t fetch_partition_max_bytes = 1024 * 1024;
    int32_t fetch_response_max_bytes = 10 * 1024 * 1024;
    Duration fetch_backoff = Duration::seconds(1);
    Duration socket_timeout = Duration::seconds(30);
    // The login for the leaders' inter-broker listener when it is SASL_PLAINTEXT / SASL_SSL
    // (config::BrokerConfig::inter_broker_client); nullopt: the fetchers do not authenticate.
    std::optional<client::SaslCredentials> sasl;
};

// One ISR change a leader asks the controller for.
struct IsrChange {
    log::TopicPartition tp;
    Assignment now;             // the leader's view: its leader and partition epochs
    std::vector<int32_t> isr;  // the ISR it asks for
};

// What the broker around the manager provides.
struct ReplicaHooks {
    // Where broker `id` serves replica fetches (its registered listener), if known.
    std::function<std::optional<Address>(int32_t id)> address_of;
    // Sends one AlterPartition for these partitions to the active controller and returns, for
    // each in order, the committed state or a Kafka error code. Suspends.
    std::function<std::vector<Result<Assignment, int16_t>>(const std::vector<IsrChange>& changes)>
        alter_isr;
    // KIP-841: whether broker `id` may join an ISR (registered, unfenced, not shutting down).
    std::function<bool(int32_t id)> may_join;
    // New data or a new high watermark somewhere (wakes long-polling fetches).
    std::function<void()> data_changed;
};

// Planted bugs for the replication scenario's checkers (never set outside scenarios).
struct ReplicaKnobs {
    bool ack_before_replication = false;   // acks=all answers once the leader has it
    // The leader never answers a diverging epoch: a follower keeps a tail the leader does not
    // have and appends after it.
    bool truncate_without_epoch_check = false;
    bool hw_from_leader_alone = false;     // the high watermark ignores the followers
    // Not a bug: leaders never ask for ISR changes (tests that send AlterPartition themselves).
    bool no_isr_changes = false;
};

// The leader's answer to one follower's fetch position (Fetch with a replica id).
struct FollowerFetchCheck {
    int16_t error = 0;
    // Set when the follower's log diverges from the leader's: it must truncate to end_offset (of
    // epoch) and fetch again; nothing is read.
    std::optional<std::pair<int32_t, int64_t>> diverging;  // (epoch, end offset)
};

class ReplicaManager {
public:
    ReplicaManager(Env& env, ReplicaOptions options, log::LogManager& logs, ReplicaHooks hooks,
                   ReplicaKnobs knobs = {});
    ~ReplicaManager();
    ReplicaManager(const ReplicaManager&) = delete;
    ReplicaManager& operator=(const ReplicaManager&) = delete;

    void start();
    // Stops the fetchers and the ISR fiber; wakes every waiter. Suspends.
    void stop();

    // The image's decision for every partition this node replicates (its log must exist). A
    // partition missing from `assignments` is forgotten. Does not suspend.
    void apply(const std::map<log::TopicPartition, Assignment>& assignments);

    // --- Leader side ---

    // Kafka's leader-epoch check of a request (Fetch, ListOffsets, OffsetForLeaderEpoch):
    // `current` -1 skips it; below ours FENCED_LEADER_EPOCH, above UNKNOWN_LEADER_EPOCH.
    int16_t check_leader_epoch(const log::TopicPartition& tp, int32_t current) const;
    // The leader epoch this node leads `tp` with, or nullopt.
    std::optional<int32_t> leader_epoch(const log::TopicPartition& tp) const;
    // The ISR size acks=all checks against min.insync.replicas (the committed ISR).
    size_t isr_size(const log::TopicPartition& tp) const;
    // The leader appended (produce, group coordinator): recompute the high watermark. Does not
    // suspend.
    void appended(const log::TopicPartition& tp);
    // acks=all: waits until the high watermark passes `last_offset`. Errors (Kafka codes):
    // REQUEST_TIMED_OUT at the deadline, NOT_LEADER_OR_FOLLOWER when leadership moved meanwhile
    // (the write may or may not survive: both are retriable for the producer). Suspends.
    int16_t wait_replicated(const log::TopicPartition& tp, Offset last_offset, int32_t epoch,
                            Instant deadline);
    // A follower's Fetch position: checks the epochs, records its progress (which may advance
    // the high watermark). Does not suspend.
    FollowerFetchCheck follower_fetch(const log::TopicPartition& tp, int32_t replica,
                                      Offset fetch_offset, int32_t current_leader_epoch,
                                      int32_t last_fetched_epoch);

    // --- For operators and tests ---
    struct PartitionView {
        Role role = Role::none;
        Assignment assignment;
        Offset high_watermark;
        bool isr_change_in_flight = false;
        // Leader: each follower's last fetch offset in this leader epoch (those that fetched).
        // Its log below that offset passed the epoch check, so it matches the leader's.
        std::map<int32_t, Offset> follower_log_ends;
    };
    std::optional<PartitionView> view(const log::TopicPartition& tp) const;
    const ReplicaOptions& options() const { return options_; }
    const ReplicaKnobs& knobs() const { return knobs_; }

private:
    friend class ReplicaFetcher;
    struct Partition {
        std::shared_ptr<log::PartitionLog> log;
        ReplicaState state;
        explicit Partition(int32_t self) : state(self) {}
    };

    Partition* find(const log::TopicPartition& tp);
    const Partition* find(const log::TopicPartition& tp) const;
    // Recomputes the leader's high watermark from its own end and the followers'; mirrors it into
    // the log and wakes waiters when it moved.
    void update_high_watermark(const log::TopicPartition& tp, Partition& p);
    // The leader's acknowledgeable end: durable offset (flush.messages=1) or log end.
    static Offset local_end(const log::PartitionLog& log);
    void isr_loop();
    // One AlterPartition for every led partition whose ISR should change. Suspends.
    void change_isrs();
    // Follower side: moves `tp` to the fetcher of its leader (creating it).
    void follow(const log::TopicPartition& tp, int32_t leader);
    void unfollow(const log::TopicPartition& tp);

    Env& env_;
    ReplicaOptions options_;
    log::LogManager& logs_;
    ReplicaHooks hooks_;
    ReplicaKnobs knobs_;
    std::map<log::TopicPartition, std::unique_ptr<Partition>> partitions_;
    std::map<int32_t, std::unique_ptr<ReplicaFetcher>> fetchers_;  // by leader id
    WaitQueue hw_changed_;
    WaitQueue isr_wakeup_;
    std::optional<FiberRef> isr_fiber_;
    bool stopping_ = false;
};

}  // namespace eddy::replica
