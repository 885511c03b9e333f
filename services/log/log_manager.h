// LogManager: every partition log under one data directory (one entry of Kafka's log.dirs), and
// the per-directory state Kafka keeps beside them: the recovery-point, log-start-offset and
// cleaner-offset checkpoints. It recovers all logs at start (in bytewise directory order:
// deterministic), creates and deletes them, and runs the background fibers: checkpointing,
// retention and compaction (each never blocks appends).
//
// Lifecycle: construct → open() (recovery) → start_background() → … → close() (flushes every
// log, writes final checkpoints). A crash instead of close() is fine: that is what recovery is
// for. Destroying an open manager is allowed only when the node crashed (its fibers are gone).
//
// Invariants: the recovery-point checkpoint never names an offset above what that log has synced
// (it is written from durable offsets, and rewritten before a truncation lowers one); the
// log-start checkpoint is written before segments below a raised log start are deleted; the
// cleaner-offset checkpoint is rewritten after every compaction pass that moved a cleaner offset
// and before a truncation cuts below one (a stale entry only costs compaction, never data: an
// entry outside its log is reset to the log start at open).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/env/env.h"
#include "core/fiber/sync.h"
#include "services/log/checkpoint.h"
#include "services/log/cleaner.h"
#include "services/log/partition_log.h"

namespace eddy::log {

struct LogManagerOptions {
    std::string data_dir;      // relative to the Disk root; "" is the root itself
    LogConfig default_config;  // the broker's log.* defaults
    // log.flush.offset.checkpoint.interval.ms and log.flush.start.offset.checkpoint.interval.ms
    Duration checkpoint_interval = Duration::seconds(60);
    Duration retention_check_interval = Duration::minutes(5);  // log.retention.check.interval.ms
    Duration cleaner_backoff = Duration::seconds(15);          // log.cleaner.backoff.ms
    bool cleaner_enable = true;                                // log.cleaner.enable
    bool verify_on_open = false;  // CRC-check every segment at open, not only the unsynced tail
    // Idempotent producers silent this long are forgotten at the retention check
    // (producer.id.expiration.ms; their next batch past sequence 0 gets UNKNOWN_PRODUCER_ID).
    Duration producer_id_expiration = Duration::hours(24);
    TestingKnobs knobs;
    // A log went offline after it opened (see OfflineCause): the broker halts on a storage
    // failure and repairs or halts on damage (services/kafka/broker.cpp). Unset: it just stays
    // offline. May crash the node (never returns then).
    std::function<void(const TopicPartition& tp, OfflineCause cause, const std::string& reason)>
        on_log_failed;
};

class LogManager final : public LogDirHooks {
public:
    LogManager(Env& env, LogManagerOptions options);
    ~LogManager() override;
    LogManager(const LogManager&) = delete;
    LogManager& operator=(const LogManager&) = delete;

    // Reads the checkpoints and recovers every `<topic>-<partition>` directory, finishes
    // interrupted deletions, then rewrites the checkpoints. A log found damaged is kept, offline.
    // Errors: io_error / no_space when the data directory cannot be used. Suspends.
    Result<void, LogError> open();
    // Spawns the checkpoint, retention and cleaner fibers. Does not suspend.
    void start_background();
    // Flushes and closes every log, stops the fibers, writes the checkpoints. Suspends.
    Result<void, LogError> close();

    // Creates an empty log (config: the defaults, or `config`). Errors: already_exists,
    // invalid_config, io_error. Suspends.
    Result<PartitionLog*, LogError> create(const TopicPartition& tp,
                                           std::optional<LogConfig> config = std::nullopt);
    // The log, or null. Does not suspend.
    PartitionLog* get(const TopicPartition& tp) const;
    // The same, shared: a caller that suspends while using the log (the broker's request
    // handlers) keeps it alive across a concurrent remove(), which closes it. Does not suspend.
    std::shared_ptr<PartitionLog> get_shared(const TopicPartition& tp) const;
    // Closes the log and deletes its directory (renamed to `<dir>.<n>-delete` first, so a crash
    // half way finishes the deletion at the next open). Errors: not_found. Suspends.
    Result<void, LogError> remove(const TopicPartition& tp);
    // A damaged log (PartitionLog::damaged()) is closed, its directory kept as
    // `<dir>.<n>-damaged` (never opened again, never deleted by Eddy), and an empty log created
    // in its place, for a follower to copy from its leader again. Only safe for a replica the
    // controller does not count in the ISR (the caller checks). `reason`: damage the caller found
    // itself, in a log that opened (the Raft log's own checks); the log need not be offline then.
    // Errors: not_found, as create(). Suspends.
    Result<PartitionLog*, LogError> replace_damaged(const TopicPartition& tp,
                                                    std::optional<LogConfig> config,
                                                    std::optional<std::string> reason = {});

    std::vector<TopicPartition> partitions() const;
    std::vector<TopicPartition> offline_partitions() const;

    // What the background fibers do, once (tests and `eddy` admin commands call them). Suspend.
    Result<void, LogError> checkpoint_recovery_points();
    Result<void, LogError> checkpoint_log_start_offsets();
    // Writes cleaner-offset-checkpoint if an entry changed since the last write.
    Result<void, LogError> checkpoint_cleaner_offsets();
    // Writes replication-offset-checkpoint: every log's high watermark.
    Result<void, LogError> checkpoint_high_watermarks();
    Result<void, LogError> run_retention_once();
    Result<void, LogError> run_cleaner_once(bool force = false);

    // LogDirHooks.
    Result<void, LogError> recovery_point_lowered(PartitionLog& log) override;
    Result<void, LogError> log_start_offset_raised(PartitionLog& log) override;
    void log_failed(PartitionLog& log) override;

    const LogManagerOptions& options() const { return options_; }

private:
    Result<void, LogError> open_logs();  // open() without the cleanup on failure
    std::string partition_dir(const TopicPartition& tp) const;
    Result<void, LogError> remove_tree(const std::string& dir);
    // Closes the log and renames its directory to `<dir>.<n><suffix>`; the new path.
    Result<std::string, LogError> set_aside(const TopicPartition& tp, std::string_view suffix);
    std::vector<std::shared_ptr<PartitionLog>> snapshot() const;
    void background_loop(Duration interval, const std::function<void()>& work);

    Env& env_;
    LogManagerOptions options_;
    std::map<TopicPartition, std::shared_ptr<PartitionLog>> logs_;
    // Checkpointed values of logs that are offline (kept so a rewrite does not lose them).
    OffsetCheckpoint offline_recovery_points_;
    OffsetCheckpoint offline_log_starts_;
    OffsetCheckpoint offline_cleaner_offsets_;
    OffsetCheckpoint offline_high_watermarks_;
    std::optional<OffsetCheckpoint> cleaner_offsets_written_;  // what the file holds
    Mutex checkpoint_mutex_;  // one checkpoint write at a time (they share a temp file name)
    std::vector<FiberRef> fibers_;
    bool opened_ = false;
    bool closed_ = false;
    uint64_t deletions_ = 0;
};

}  // namespace eddy::log
