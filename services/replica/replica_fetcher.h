// ReplicaFetcher: one fiber copying every partition this broker follows from one leader broker
// (Kafka's ReplicaFetcherThread, one per source broker). Each round is one Fetch (v12, a replica
// id) for every partition with its current leader epoch, its log end as the fetch offset and the
// epoch of its last batch. Rounds run in a KIP-227 fetch session (fetch_session_client.h): the
// first names every partition, later ones only those whose position or epoch changed, and a
// partition missing from the answer has nothing new; a session error or a new connection starts
// a new session with a full fetch. The answer for each partition is one of:
//
// - a diverging epoch (KIP-320): the logs differ from (epoch, end offset); the follower truncates
//   to the smaller of that end offset and its own end of that epoch, then fetches again;
// - records: appended as they are (offsets and leader epochs kept); in durable mode every
//   partition's appends of the round are synced before the next fetch, so a fetch offset always
//   tells the leader what this replica has on disk; the follower's high watermark and log start
//   follow the leader's;
// - OFFSET_OUT_OF_RANGE below the leader's log start: the log restarts, empty, at it;
// - FENCED_LEADER_EPOCH, NOT_LEADER_OR_FOLLOWER, …: the partition waits for the metadata to move.
//
// The leader's bytes are untrusted input: anything the log refuses (a torn batch, a CRC error,
// offsets that do not follow) fails that partition's round, is logged, and is retried after the
// backoff; it never reaches an assertion.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "core/env/env.h"
#include "core/fiber/sync.h"
#include "core/protocol/generated/fetch.h"
#include "services/client/broker_connection.h"
#include "services/log/file_names.h"
#include "services/log/partition_log.h"
#include "services/replica/fetch_session_client.h"

namespace eddy::replica {

class ReplicaManager;

// What a follower does with OFFSET_OUT_OF_RANGE. The leader's log start and high watermark come
// from a peer: a log start above the leader's own high watermark (which a real leader never has,
// since nothing at or above it is deleted) or a negative one is not believed, and the partition
// backs off instead of restarting its log at an offset nobody wrote.
struct OutOfRangeAction {
    enum class Kind { restart_at, truncate_to, back_off };
    Kind kind = Kind::back_off;
    Offset offset;
};
OutOfRangeAction on_offset_out_of_range(int64_t leader_log_start, int64_t leader_hw,
                                        Offset my_log_start, Offset my_log_end);

class ReplicaFetcher {
public:
    ReplicaFetcher(Env& env, ReplicaManager& manager, int32_t leader);
    ~ReplicaFetcher();
    ReplicaFetcher(const ReplicaFetcher&) = delete;
    ReplicaFetcher& operator=(const ReplicaFetcher&) = delete;

    void start();
    // Cancels the fiber and waits for it. Suspends.
    void stop();

    // Fetch `tp` from this leader with `leader_epoch` as the current epoch.
    void add(const log::TopicPartition& tp, int32_t leader_epoch);
    void remove(const log::TopicPartition& tp);
    bool empty() const { return partitions_.empty(); }
    uint64_t rounds() const { return rounds_; }

private:
    struct Fetching {
        int32_t leader_epoch = 0;
        Instant retry_at;  // after an error, not before this
    };
    // The log a partition was fetched for and its end then.
    struct Asked {
        std::shared_ptr<log::PartitionLog> log;
        Offset fetch_offset;
    };
    void run();
    bool connect();
    // Whether `tp` still has the log it was asked for, ending where the fetch started.
    bool still_as_asked(const log::TopicPartition& tp, const Asked& a) const;
    // One Fetch round; false when the connection failed.
    bool round();
    // Handles one partition's answer. Suspends (appends, truncation).
    void handle(const log::TopicPartition& tp, protocol::FetchResponse::PartitionData& pd);
    void back_off(const log::TopicPartition& tp);
    // A follower's high watermark: the leader's, bounded by what this replica has.
    void follow_high_watermark(const std::shared_ptr<log::PartitionLog>& l, Offset leader_hw);

    Env& env_;
    ReplicaManager& manager_;
    int32_t leader_;
    std::map<log::TopicPartition, Fetching> partitions_;
    std::unique_ptr<client::BrokerConnection> conn_;
    FetchSessionClient session_;  // the KIP-227 session with this leader, over conn_
    WaitQueue wake_;
    std::optional<FiberRef> fiber_;
    uint64_t rounds_ = 0;
    // This round's appends still to be synced (durable mode).
    struct Written {
        std::shared_ptr<log::PartitionLog> log;
        Offset last_offset;
        Offset leader_hw;
    };
    std::vector<Written> written_;
};

}  // namespace eddy::replica
