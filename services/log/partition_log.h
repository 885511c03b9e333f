// PartitionLog: one partition's log (Kafka's UnifiedLog): an ordered set of segments under
// `<data dir>/<topic>-<partition>/`, the offsets that describe it, and the fibers that keep it
// durable. Everything the broker, replication and the coordinators do to a partition's data goes
// through here: append (assigning offsets), read (whole batches, as file ranges for sendfile),
// offset-by-timestamp lookups, truncation, DeleteRecords, retention and compaction.
//
// Offsets: log_start_offset <= high_watermark <= log_end_offset, and the durable offset (the
// recovery point) <= log_end_offset. Offsets below the durable offset have been synced; a crash
// keeps them. The durable offset advances only when a sync that covered it has returned.
//
// Group commit: appends write into the active segment (serialised by a fiber mutex) and wake the
// flusher fiber, which syncs everything written so far, then advances the durable offset and wakes
// every append waiting for it; appends arriving during a sync share the next one. A failed sync
// crashes the node (never retried). With flush.messages > 1 appends are acknowledged once written
// (Kafka's page-cache mode) and the flusher syncs every flush.messages records or flush.ms.
//
// Concurrency (fibers of one node): mutations take append_mutex_ (append, roll, truncate) and/or
// maintenance_mutex_ (truncate, DeleteRecords, retention, the compaction swap), always in the
// order maintenance then append. Reads take no lock: they hold shared_ptrs to the segments they
// read, re-check what a suspension may have changed, and never serve past a segment's size().
//
// Invariants (ASSERTed): segments are keyed by strictly increasing base offsets; the last one is
// the active segment, the only one appended to; log_start_offset >= the first segment's base;
// every offset a read returns lies in [log_start_offset's batch, bound).
//
// Methods that touch the disk or wait suspend the calling fiber; the accessors do not.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/base/result.h"
#include "core/env/env.h"
#include "core/fiber/sync.h"
#include "services/metrics/exposition.h"
#include "core/record/record_batch.h"
#include "services/log/file_names.h"
#include "services/log/leader_epoch_cache.h"
#include "services/log/log_config.h"
#include "services/log/log_error.h"
#include "services/log/producer_state.h"
#include "services/log/segment.h"

namespace eddy::log {

class PartitionLog;
class Cleaner;

// What the log asks of whoever keeps the per-data-dir checkpoints (LogManager).
// Why a log went offline. A storage failure (a write or segment creation failed, a read failed
// for good) means the directory can no longer be trusted to take writes: Kafka halts a broker
// whose only log directory failed, and so does Eddy's (LogManagerOptions::on_log_failed). Damage
// means stored bytes fail their checksums: the disk still works, the replica's data does not,
// and another replica can give it back (services/kafka/metadata_publisher.cpp, "repair").
enum class OfflineCause : uint8_t { storage_failed, damaged };

class LogDirHooks {
public:
    virtual ~LogDirHooks() = default;
    // The log went offline after it opened (not during recovery). Does not suspend; may crash
    // the node (never returns then).
    virtual void log_failed(PartitionLog& log) { (void)log; }
    // The log's durable offset went down (truncation): rewrite the recovery-point checkpoint so it
    // never claims more than is on disk. Called before the truncation touches the files. Suspends.
    virtual Result<void, LogError> recovery_point_lowered(PartitionLog& log) = 0;
    // The log start offset went up (DeleteRecords): make it durable. Suspends.
    virtual Result<void, LogError> log_start_offset_raised(PartitionLog& log) = 0;
};

// Planted bugs that prove the checkers bite (scenarios/planted_bugs.h). Never set in production.
struct TestingKnobs {
    // append() / wait_durable() acknowledge once the batch is written, without waiting for the
    // sync.
    bool ack_before_sync = false;
    // Idempotent producers' batches are appended without the sequence checks: a retry is
    // written again.
    bool skip_producer_checks = false;
};

enum class AppendMode : uint8_t {
    leader,   // assign offsets, stamp the leader epoch and timestamps (a produce)
    replica,  // keep the batches' offsets and epochs (a follower copying the leader)
};

// One record that made its batch be refused (KIP-467): its index in the batch and why.
struct RecordError {
    int32_t batch_index = 0;
    std::string message;
};

// Why an append was refused, in words for the client (Kafka's error_message and record_errors).
struct AppendRejection {
    std::string message;
    std::vector<RecordError> record_errors;  // at most limits::record_errors_max
};

namespace limits {
// Record errors reported for one refused append (Kafka reports all; a batch of a million keyless
// records would make a response of tens of megabytes).
inline constexpr size_t record_errors_max = 1000;
// A batch may decompress to at most this many times max.message.bytes (at least
// record::limits::decompressed_bytes_default, at most record::limits::decompressed_bytes_max):
// Kafka judges a batch by its size as sent only; Eddy also bounds what one batch may make it
// hold in memory (a decompression bomb).
inline constexpr uint64_t decompressed_per_message_byte_max = 64;
}  // namespace limits

struct AppendOptions {
    AppendMode mode = AppendMode::leader;
    LeaderEpoch leader_epoch{-1};  // leader mode: stamped into every batch when >= 0
    // Filled when the append is refused for something in the batches (not for storage errors).
    // Not owned; may be null.
    AppendRejection* rejection = nullptr;
};

struct AppendInfo {
    Offset base_offset;                                          // first offset of the first batch
    Offset last_offset;                                          // last offset of the last batch
    record::TimestampMs log_append_time = record::no_timestamp;  // set with LogAppendTime
    record::TimestampMs max_timestamp = record::no_timestamp;
    Offset offset_of_max_timestamp;
    int32_t batch_count = 0;
    int64_t record_count = 0;
    uint64_t bytes = 0;
    Offset log_start_offset;
    // A retry of an idempotent producer's batch that is already in the log: nothing was written;
    // the offsets are the first write's.
    bool duplicate = false;
};

// The highest offset a read may return (exclusive).
enum class ReadBound : uint8_t {
    high_watermark,  // consumers (the broker sets it; a single node sets it to the durable offset)
    durable,         // only synced data
    log_end,         // everything written (followers, tests)
};

struct ReadOptions {
    // Whole batches up to this many bytes; the first batch is returned whole even if larger
    // (KIP-74).
    uint64_t max_bytes = 1024 * 1024;
    ReadBound bound = ReadBound::high_watermark;
    // False: a first batch larger than max_bytes is not returned either (a Fetch's later
    // partitions, once an earlier one has returned data).
    bool first_batch_whole = true;
};

// A byte range of a segment file, ready for Connection::send_file. The shared_ptr keeps the file
// open even if the segment is deleted meanwhile (retention, compaction).
struct FileRange {
    std::shared_ptr<File> file;
    Offset segment_base;
    uint64_t position = 0;
    uint64_t length = 0;
};

struct ReadBatchInfo {
    Offset base_offset;
    Offset last_offset;
    uint32_t size = 0;
    LeaderEpoch partition_leader_epoch;
};

struct ReadResult {
    std::vector<FileRange> ranges;       // in offset order; contiguous batches merged
    std::vector<ReadBatchInfo> batches;  // what the headers said, one per batch
    uint64_t bytes = 0;
    Offset log_start_offset;
    Offset high_watermark;
    Offset log_end_offset;
};

// read_copy(): the same batches as bytes, CRC-checked.
struct ReadCopy {
    Bytes data;
    std::vector<ReadBatchInfo> batches;
    Offset log_start_offset;
    Offset high_watermark;
    Offset log_end_offset;
};

struct TimestampOffset {
    record::TimestampMs timestamp;
    Offset offset;
};

struct RetentionResult {
    int segments_deleted = 0;
    uint64_t bytes_deleted = 0;
};

struct LogStats {
    // The time each flusher sync took (every dirty segment and the directory), and the records
    // it made durable at once (group commit's batch); summed over partitions at scrape.
    metrics::Histogram sync_seconds{metrics::latency_buckets()};
    metrics::Histogram sync_records{metrics::size_buckets()};
    uint64_t appends = 0;
    uint64_t batches = 0;
    uint64_t records = 0;
    uint64_t bytes_appended = 0;
    uint64_t syncs = 0;  // flusher cycles that synced something
    uint64_t rolls = 0;
    uint64_t segments_deleted = 0;
    uint64_t cleanings = 0;
    uint64_t duplicates = 0;  // idempotent retries answered from the producer state
};

class PartitionLog {
public:
    struct OpenOptions {
        std::string dir;  // the partition directory, relative to the Disk root
        TopicPartition topic_partition;
        LogConfig config;
        Offset recovery_point{0};    // from the recovery-point checkpoint
        Offset log_start_offset{0};  // from the log-start-offset checkpoint
        // From the cleaner-offset-checkpoint: compaction's first dirty offset (0: none). Outside
        // [log start, log end] it is reset to the log start (as Kafka does).
        Offset cleaner_offset{0};
        // From the replication-offset-checkpoint: the high watermark when it was last written
        // (clamped into [log start, log end] on open). nullopt: everything recovered counts as
        // committed (a data directory from before replication, or a log never checkpointed).
        std::optional<Offset> high_watermark;
        LogDirHooks* hooks = nullptr;
        TestingKnobs knobs;
        // Also CRC-check every segment below the recovery point on open (Kafka never does).
        bool verify_on_open = false;
    };

    // Opens (creating it if empty) and recovers the log in `options.dir`, then starts its flusher
    // fiber. A log whose synced data is damaged opens offline (offline_reason() says why) rather
    // than failing: the manager keeps it to report it. Errors: io_error / no_space when the
    // directory cannot be read or written. Suspends.
    static Result<std::unique_ptr<PartitionLog>, LogError> open(Env& env, OpenOptions options);
    // Precondition (ASSERTed): closed, or the node crashed (the flusher is unwound).
    ~PartitionLog();
    PartitionLog(const PartitionLog&) = delete;
    PartitionLog& operator=(const PartitionLog&) = delete;

    // --- Appending ---

    // Validates the batches (framing, CRC, records, sizes), assigns offsets in place (leader) or
    // checks them (replica), stamps LogAppendTime if configured, writes them, and in durable mode
    // waits until a sync covers them. `batches` is modified in place. Suspends.
    Result<AppendInfo, LogError> append(MutableByteSpan batches, AppendOptions options = {});
    // append() without the durability wait: returns once the bytes are written. Suspends.
    Result<AppendInfo, LogError> append_nowait(MutableByteSpan batches, AppendOptions options = {});
    // Suspends until `last_offset` is durable, or until `deadline`. Errors: truncated (it was
    // truncated away first), offline, closed, timed_out (the deadline came first; the write stays
    // in the log and becomes durable with the next sync).
    Result<void, LogError> wait_durable(Offset last_offset, Instant deadline = Instant::max());
    // Syncs everything written so far (whatever the flush policy) and waits for it. Suspends.
    Result<void, LogError> flush();

    // --- Reading ---

    // Whole batches from the one containing `from`, bounded by options. Errors:
    // offset_out_of_range (from < log start or > log end), corrupt_data, offline. Suspends.
    Result<ReadResult, LogError> read(Offset from, ReadOptions options = {});
    // read() into memory, every batch CRC-checked and cross-checked against the headers read()
    // saw (BaseOffset and PartitionLeaderEpoch are outside the CRC: two independent reads must
    // agree on them); a transient read fault is retried, damage found twice takes the log offline.
    Result<ReadCopy, LogError> read_copy(Offset from, ReadOptions options = {});
    // ListOffsets: the first record (in offset order, at or after the log start) whose timestamp
    // is >= target; nullopt if none. Suspends.
    Result<std::optional<TimestampOffset>, LogError> offset_for_timestamp(
        record::TimestampMs target);
    // ListOffsets MAX_TIMESTAMP (KIP-734): the largest record timestamp among the offsets in
    // [log start, bound) and the offset of the first record carrying it; nullopt if there is
    // none. Suspends.
    Result<std::optional<TimestampOffset>, LogError> max_timestamp_offset(Offset bound);

    Offset log_start_offset() const { return log_start_offset_; }
    Offset log_end_offset() const { return log_end_offset_; }
    Offset high_watermark() const { return high_watermark_; }
    // The recovery point: everything below it is synced.
    Offset durable_offset() const { return durable_offset_; }
    // Replication's hook. Clamped into [log start, log end]. Does not suspend.
    void set_high_watermark(Offset hw);

    // --- Maintenance (suspend) ---

    // Starts a new active segment at the log end (if the active one is not empty).
    Result<void, LogError> roll();
    // Replication: drops every batch holding an offset >= `offset` (a batch straddling it goes
    // whole), across segments; the log end becomes the end of what is kept (<= offset). An offset
    // below the first segment empties the log and restarts it at `offset`. Durable on return.
    Result<void, LogError> truncate_to(Offset offset);
    // Replication (Kafka's truncateFullyAndStartAt): drops every segment and restarts the log,
    // empty, at `offset`, which may lie past the log end (a follower whose leader's log starts
    // beyond it; a Raft follower installing a snapshot). Log start, log end, high watermark and
    // durable offset all become `offset`; the leader epochs are forgotten. Durable on return: a
    // crash afterwards reopens the empty log at `offset`. Suspends.
    Result<void, LogError> restart_at(Offset offset);
    // DeleteRecords: raises the log start offset to `offset` (durably, through the hooks), then
    // deletes the segments wholly below it. Errors: offset_out_of_range (above the log end).
    Result<void, LogError> delete_records_before(Offset offset);
    // Deletes whole non-active segments past retention.ms / retention.bytes (cleanup.policy
    // delete) or wholly below the log start offset.
    Result<RetentionResult, LogError> apply_retention();
    // Forgets idempotent producers whose last batch was appended before now - expiration. Does
    // not suspend.
    void expire_producers(WallTime now, Duration expiration);
    // Checks every batch of every segment (framing, CRC, offsets). A bad batch takes the log
    // offline and returns corrupt_data.
    Result<void, LogError> verify();
    // Stops the flusher, syncs everything, closes. Idempotent. Suspends.
    Result<void, LogError> close();

    // --- State ---
    bool offline() const { return offline_; }
    const std::string& offline_reason() const { return offline_reason_; }
    OfflineCause offline_cause() const { return offline_cause_; }
    // Offline because its data is damaged (not because the disk failed a write).
    bool damaged() const { return offline_ && offline_cause_ == OfflineCause::damaged; }
    bool closed() const { return closed_; }
    const TopicPartition& topic_partition() const { return tp_; }
    const std::string& dir() const { return dir_; }
    const LogConfig& config() const { return config_; }
    // Applies a new config (an AlterConfigs). Does not suspend.
    Result<void, LogError> set_config(const LogConfig& config);
    const LeaderEpochCache& leader_epochs() const { return epochs_; }
    // Compaction's first dirty offset: records below it were cleaned (cleaner-offset-checkpoint).
    Offset cleaner_offset() const { return std::max(first_dirty_offset_, log_start_offset_); }
    const LogStats& stats() const { return stats_; }
    size_t segment_count() const { return segments_.size(); }
    uint64_t size_bytes() const;
    std::vector<Offset> segment_base_offsets() const;
    Env& env() { return env_; }

    // Takes the log offline: every later call fails with offline. Damage found after open is
    // remembered in the directory (file_names::damaged_marker, best effort), so the next open
    // finds the log offline again even where its recovery would not re-read the bad bytes; then
    // the hooks hear of it (log_failed). Suspends only to write that marker.
    void mark_offline(std::string reason, OfflineCause cause = OfflineCause::damaged);

private:
    friend class Cleaner;
    PartitionLog(Env& env, OpenOptions options);

    // Recovery (partition_log_recovery.cpp).
    Result<void, LogError> recover();
    Result<void, LogError> finish_interrupted_swaps(std::vector<std::string>& names);
    Result<void, LogError> recover_segments(std::map<Offset, std::shared_ptr<Segment>>& found);
    Result<void, LogError> load_leader_epochs();
    Result<void, LogError> write_leader_epochs();

    // Appending (partition_log.cpp).
    struct Validated;
    Result<Validated, LogError> validate(MutableByteSpan batches, const AppendOptions& o) const;
    // compression.type: rewrites the batches not in the topic's codec into `converted` and points
    // `payload` at it (v's positions and sizes follow). Does not suspend.
    Result<void, LogError> recompress(MutableByteSpan& payload, Validated& v, Bytes& converted,
                                      const AppendOptions& o) const;
    Result<void, LogError> maybe_roll(uint64_t bytes, Offset first_offset, Offset last_offset);
    Result<void, LogError> roll_to(Offset base);
    Result<void, LogError> check_usable() const;
    // ASSERTs the offset and segment invariants of the file comment. Does not suspend.
    void check_invariants() const;

    // Idempotent producers' state (partition_log_producers.cpp): loaded from the newest snapshot
    // at or below the log end plus the batches after it; a snapshot written at rolls and close.
    Result<void, LogError> load_producer_state();
    Result<void, LogError> scan_producers_from(Offset from);
    void write_producer_snapshot(Offset at);

    // Flushing (partition_log_flush.cpp).
    void flusher_main();
    bool flush_due() const;
    void flush_once();

    // Maintenance (partition_log_maintenance.cpp).
    Result<RetentionResult, LogError> delete_segments(
        const std::vector<std::shared_ptr<Segment>>& doomed);
    Result<uint64_t, LogError> find_cut(Segment& segment, Offset offset, Offset& cut_base);
    Result<void, LogError> truncate_fully_and_start_at(Offset offset);
    // Before a truncation cuts files: lowers the durable offset and compaction's first dirty
    // offset to `floor`, rewriting the recovery-point checkpoint (through the hooks) so that it
    // never claims more than the disk will keep. Suspends.
    Result<void, LogError> lower_durable_offset(Offset floor);

    // Segment lookups (do not suspend).
    std::shared_ptr<Segment> floor_segment(Offset offset) const;
    std::shared_ptr<Segment> segment_after(Offset base) const;
    Offset segment_offset_end(const Segment& s) const;
    Offset bound_offset(ReadBound bound) const;
    uint64_t segments_generation() const { return generation_; }

    Env& env_;
    std::string dir_;
    TopicPartition tp_;
    LogConfig config_;
    LogDirHooks* hooks_;
    TestingKnobs knobs_;
    bool verify_on_open_;

    std::map<Offset, std::shared_ptr<Segment>> segments_;
    std::shared_ptr<Segment> active_;
    LeaderEpochCache epochs_;
    Offset log_start_offset_;
    Offset log_end_offset_;
    Offset high_watermark_;
    Offset durable_offset_;
    Offset recovery_point_at_open_;
    std::optional<Offset> high_watermark_at_open_;
    // Bumped whenever segments are removed, truncated or replaced: a suspended reader or the
    // cleaner re-checks it.
    uint64_t generation_ = 0;
    uint64_t truncations_ = 0;
    // A truncation is cutting files: a flush finishing meanwhile does not raise the durable
    // offset (the end it synced to may be cut away).
    bool truncating_ = false;
    // Compaction: offsets below this were cleaned (the manager checkpoints it; lowered by
    // truncation).
    Offset first_dirty_offset_;
    // Compaction: the earliest KIP-534 delete horizon of a batch below first_dirty_offset_ that
    // still keeps a tombstone (no_timestamp: none known). When it passes, the cleaner runs whatever
    // the dirty ratio. Kept in memory only, as Kafka's latestDeleteHorizon: after a restart the
    // dirty ratio alone starts the next pass.
    record::TimestampMs delete_horizon_next_ = record::no_timestamp;

    Mutex append_mutex_;
    Mutex maintenance_mutex_;
    WaitQueue flush_wakeup_;     // the flusher waits here for work
    WaitQueue durable_waiters_;  // appends wait here for their sync
    FiberRef flusher_;
    bool stopping_ = false;
    bool closed_ = false;
    // Recovery found damage (or the damaged marker): the segments stay as found, offline.
    void keep_as_found(const std::vector<std::shared_ptr<Segment>>& segs, const std::string& damage);
    bool offline_ = false;
    std::string offline_reason_;
    OfflineCause offline_cause_ = OfflineCause::damaged;
    bool opened_ = false;  // recovery is over: damage from now on is marked and reported
    bool dir_dirty_ = false;  // entries created since the last directory sync
    uint64_t records_appended_ = 0;
    uint64_t records_flushed_ = 0;
    Offset flush_requested_;  // flush() asks for a sync up to here
    Instant last_flush_;
    Duration roll_jitter_{};
    LogStats stats_;
    ProducerStateTable producers_;
};

}  // namespace eddy::log
