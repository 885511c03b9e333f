// RaftLog: the controller quorum's log on disk, as KRaft keeps it. `__cluster_metadata-0` is an
// ordinary partition log (services/log, opened through the LogManager); each Raft entry is one
// record batch of one record (the entry's bytes as its value) at one offset, whose
// partition_leader_epoch is the Raft epoch that wrote it. One batch per entry, not one per
// append as KRaft does: a follower's divergence can fall anywhere between entries, and the
// partition log truncates whole batches only, so a batch holding several entries could make it
// drop committed entries below the divergence point (61 bytes of header per entry is the price;
// one controller write is one entry). Snapshots of the state machine sit beside the segments as
// `<20-digit end offset>-<10-digit epoch>.checkpoint` (KRaft's names): the snapshot with id
// (S, E) holds the state after every entry below offset S, and E is the epoch of entry S-1.
//
// Invariants:
// - Entry epochs never decrease along the log; epochs_ (epoch -> first offset, Kafka's
//   leader-epoch-checkpoint) describes exactly [log_start_offset, end_offset). It is rebuilt on
//   open from the batches themselves (CRC-checked reads), so it can never disagree with them.
// - With a snapshot (S, E): log_start_offset <= S <= end_offset, and entry S-1, when the log
//   holds it, is in epoch E (open() and install_snapshot() restart the log at S otherwise).
//   Without a snapshot the log starts at 0.
// - A snapshot file is written whole (temp file, sync, rename, directory sync) before the log
//   start moves past anything it replaces, so a crash at any point keeps every acknowledged entry
//   either in the log or in a snapshot.
// - append() returns once its entries are synced. A failed sync crashes the node (never retried;
//   the partition log does this for segments, this class for snapshot files).
//
// Recovery on open: leftover `*.checkpoint.tmp` files are removed; snapshot files are checked
// (header, length, CRC-32C of the image) from the newest down: damaged ones (a crash cannot tear
// a renamed snapshot, but bit rot can damage one) are ignored and removed, older valid ones
// removed; then the log is made consistent with the latest snapshot (restarted at S if it does
// not hold entry S-1 in epoch E: an install that crashed half way) and segments wholly below it
// are deleted. The epoch map is rebuilt from the batches; a gap in their offsets (only an
// interrupted truncation leaves one, and the partition log now removes segments highest first
// so that it cannot) is truncated away. A log that starts above its snapshot, or above 0 with
// none, opens as damaged: entries below its start would be lost.
//
// The synced end (`synced-end`, beside the segments): the end offset of the log as of its last
// completed sync, kept so that open() can tell entries that were synced, and may have been
// acknowledged, from a torn tail. The partition log cuts both alike: past its recovery point
// (checkpointed now and then, not at every append) a batch damaged at rest looks exactly like a
// write torn by a crash. Two slots (4 KiB apart), each `magic "EDDYSEND" | sequence u64 | end
// i64 | crc32c u32` (big-endian), written in turn in place and synced: the valid slot with the
// higher sequence is the synced end; a torn write leaves the other, older one, which still
// covers everything acknowledged. append() raises it after its sync (before returning);
// truncate_to() and install_snapshot() lower it before they cut. Created whole (both slots) with
// the log. Absent (a log from an earlier Eddy): nothing is known lost. Present with neither slot
// valid: synced_end_lost() says so (two faults at once; the caller treats the log as damaged).
//
// Mutating calls (append, truncate_to, write_snapshot, install_snapshot) are serialised by a
// fiber mutex; reads may run beside them. Every call but the accessors suspends.
#pragma once

#include <compare>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/base/bytes.h"
#include "core/base/ids.h"
#include "core/base/result.h"
#include "core/env/env.h"
#include "core/fiber/sync.h"
#include "services/log/log_manager.h"

namespace eddy::raft {

namespace limits {
// A snapshot image this large is refused (the metadata image of a large cluster is tens of MiB).
inline constexpr uint64_t snapshot_bytes_max = uint64_t{1} << 30;
}  // namespace limits

enum class RaftLogError : uint8_t {
    io_error,             // the disk failed (the partition log may be offline)
    no_space,             // the disk is full; nothing was written
    offset_out_of_range,  // a read below the log start or past the end
    invalid_snapshot_id,  // the id does not name a point of this log (see write_snapshot)
    snapshot_not_found,   // no snapshot with that id (FetchSnapshot's SNAPSHOT_NOT_FOUND)
    damaged,              // stored data is inconsistent (see open)
    too_large,            // one append larger than the log's max.message.bytes
};
const char* to_string(RaftLogError e);

// KRaft's OffsetAndEpoch for a snapshot: the snapshot holds every entry below end_offset; epoch
// is the epoch of the entry at end_offset - 1 (0 for an empty prefix). QuorumReplica's SnapshotId
// (quorum.h) is the same id in plain integers; the driver converts between them.
struct LogSnapshotId {
    Offset end_offset;
    LeaderEpoch epoch{0};
    auto operator<=>(const LogSnapshotId&) const = default;
    // "<20 digits>-<10 digits>.checkpoint"
    std::string file_name() const;
    // The id in a snapshot file name; nullopt for any other name.
    static std::optional<LogSnapshotId> parse(std::string_view file_name);
};

struct RaftEntry {
    Offset offset;
    LeaderEpoch epoch;
    Bytes data;
    bool operator==(const RaftEntry&) const = default;
};

// Where an epoch ends in this log (divergence answers, as QuorumReplica::end_of_epoch and
// Kafka's OffsetsForLeaderEpoch): `epoch` is the largest epoch <= the one asked for that this log
// (or its snapshot) has, `end_offset` the first offset after it. Empty log from 0: {0, 0}.
// {-1, -1}: the asked epoch lies wholly below the log start with no snapshot saying where it
// ends (the asker needs a snapshot).
struct EpochEnd {
    LeaderEpoch epoch;
    Offset end_offset;
    bool operator==(const EpochEnd&) const = default;
};

struct RaftLogOptions {
    log::TopicPartition topic_partition{"__cluster_metadata", PartitionId(0)};
    // The partition's config. Whatever it says, the log is opened with retention off and every
    // append synced (flush.messages = 1): entries leave only through snapshots.
    log::LogConfig config;
};

class RaftLog {
public:
    // Opens (creating it if missing) the partition log through `logs` (which must be open), then
    // recovers snapshots and the epoch map as described above. Errors: io_error, no_space;
    // damaged when the partition log is offline, a batch does not decode, or the log starts
    // above 0 with no snapshot covering what is below (the log is then left as found). Suspends.
    static Result<std::unique_ptr<RaftLog>, RaftLogError> open(Env& env, log::LogManager& logs,
                                                               RaftLogOptions options = {});
    RaftLog(const RaftLog&) = delete;
    RaftLog& operator=(const RaftLog&) = delete;

    // Appends `entries` (a batch each) in `epoch`, returning the offset of the first, once all
    // are synced. Precondition (ASSERTed): entries not empty; epoch >= 0 and >= last_epoch().
    // Errors: too_large (an entry above the log's max.message.bytes), io_error, no_space (nothing
    // is acknowledged; a prefix may have been written and is dropped by the next truncate_to or
    // kept, as any unacknowledged Raft entry). Suspends.
    Result<Offset, RaftLogError> append(LeaderEpoch epoch, const std::vector<Bytes>& entries);
    // Drops every entry at or after `offset` (a follower's divergence), durably. No-op at or past
    // the end. Precondition (ASSERTed): offset >= the latest snapshot's end and >= the log start
    // (snapshotted entries are committed; Raft never truncates those). Suspends.
    Result<void, RaftLogError> truncate_to(Offset offset);
    // Entries from `from` on, whole batches, about `max_bytes` of batches (the first batch even
    // if larger); the first returned entry is at `from`. Empty at the end. Errors:
    // offset_out_of_range (from < log start or > end), io_error, damaged. Suspends.
    Result<std::vector<RaftEntry>, RaftLogError> read(Offset from, uint64_t max_bytes);

    Offset end_offset() const;
    Offset log_start_offset() const;
    // The epoch of the last entry; the latest snapshot's when the log holds none; 0 if neither.
    LeaderEpoch last_epoch() const;
    // See EpochEnd. Does not suspend.
    EpochEnd end_of_epoch(LeaderEpoch epoch) const;
    // The epoch of the entry at `offset` (the snapshot's for its last offset); nullopt when this
    // log does not know it. Does not suspend.
    std::optional<LeaderEpoch> epoch_at(Offset offset) const;

    // --- Snapshots ---

    std::optional<LogSnapshotId> latest_snapshot() const { return latest_snapshot_; }
    // Stores `image` as snapshot `id` (durable on return), makes it the latest, removes older
    // snapshots and the segments wholly below id.end_offset (the log start moves to the first
    // kept segment's base; entries from there stay readable). `id` must name a point of this log
    // past the latest snapshot: log_start <= end_offset <= end_offset(), and id.epoch the epoch of
    // entry end_offset - 1; otherwise invalid_snapshot_id. The same id as the latest is a no-op.
    // A failed sync crashes the node. Errors: invalid_snapshot_id, too_large, io_error, no_space.
    // Suspends.
    Result<void, RaftLogError> write_snapshot(LogSnapshotId id, ByteSpan image);
    // A follower's FetchSnapshot result: stores `image` as snapshot `id` (durable), then replaces
    // the whole log by it: every entry goes and the log restarts empty at id.end_offset. An id
    // not past the latest snapshot is a no-op. Errors: too_large, io_error, no_space. Suspends.
    Result<void, RaftLogError> install_snapshot(LogSnapshotId id, ByteSpan image);
    // The image's size in bytes (FetchSnapshot's size field). Errors: snapshot_not_found,
    // io_error. Suspends.
    Result<uint64_t, RaftLogError> snapshot_size(LogSnapshotId id);
    // Up to max_bytes of the image from `position` (a FetchSnapshot chunk; empty at the end),
    // read until two reads agree. Errors: snapshot_not_found, offset_out_of_range (position past
    // the size), io_error. Suspends.
    Result<Bytes, RaftLogError> read_snapshot(LogSnapshotId id, uint64_t position, uint64_t max_bytes);

    log::PartitionLog& partition_log() { return *log_; }

    // --- Entries lost at rest ---

    // What open() found: the synced end (see the file comment) was past the recovered log end,
    // so entries [end_offset(), *lost_synced_end()) that had been synced, and may have been
    // acknowledged, are gone (bit rot past the recovery point, cut as a torn tail); or the
    // synced-end file itself is unreadable (then end_offset()). nullopt: nothing was lost.
    std::optional<Offset> lost_synced_end() const { return lost_synced_end_; }
    // The synced end recorded in the metadata log directory `dir` (one set aside as damaged):
    // nullopt when there is no synced-end file or neither slot is intact. Errors: io_error.
    // Suspends.
    static Result<std::optional<Offset>, RaftLogError> read_synced_end(Env& env,
                                                                       std::string_view dir);
    // The caller has made the loss durable where it matters (a Raft voter's quorum-state says it
    // is recovering): the synced end becomes the log end and lost_synced_end() nullopt. Errors:
    // io_error, no_space (a failed sync crashes the node). Suspends.
    Result<void, RaftLogError> forget_lost();

private:
    RaftLog(Env& env, log::PartitionLog& log);
    Result<void, RaftLogError> recover();
    Result<void, RaftLogError> rebuild_epochs();
    Result<void, RaftLogError> store_snapshot(LogSnapshotId id, ByteSpan image);
    // Removes snapshot files other than the latest and segments wholly below it. Suspends.
    Result<void, RaftLogError> clean_below_latest();
    struct OpenSnapshot {
        std::unique_ptr<File> file;
        uint64_t image_bytes = 0;
    };
    // The latest snapshot's file, if `id` names it. Suspends.
    Result<OpenSnapshot, RaftLogError> open_snapshot(LogSnapshotId id);
    // ASSERTs the invariants of the file comment. Does not suspend.
    void check() const;
    // Reads the synced-end file (creating it at the log end if missing) into synced_end_ and
    // lost_synced_end_. Suspends.
    Result<void, RaftLogError> load_synced_end();
    // Writes `end` to the next slot and syncs it (a failed sync crashes the node). No-op when it
    // is already the synced end. Suspends.
    Result<void, RaftLogError> store_synced_end(Offset end);

    struct EpochStart {
        LeaderEpoch epoch;
        Offset start;
    };

    Env& env_;
    log::PartitionLog* log_;
    std::vector<EpochStart> epochs_;  // entries of [log start, end), increasing both ways
    std::optional<LogSnapshotId> latest_snapshot_;
    Offset synced_end_{0};
    uint64_t synced_end_sequence_ = 0;
    std::optional<Offset> lost_synced_end_;
    Mutex mutex_;
};

}  // namespace eddy::raft
