// Cleaner: log compaction (cleanup.policy=compact / compact,delete), Kafka's LogCleaner in
// miniature. A pass over one log:
//
// 0. A log is cleaned when its dirty ratio reaches min.cleanable.dirty.ratio, when a dirty
//    segment is older than max.compaction.lag.ms (compaction_overdue), or when a tombstone's
//    delete horizon has passed (tombstones_due).
// 1. Snapshot the non-active segments (appends keep going to the active one throughout), up to
//    the first one holding a record younger than min.compaction.lag.ms.
// 2. Map every key of the dirty segments (those past the log's cleaner offset, the first dirty
//    offset kept in cleaner-offset-checkpoint) to its latest offset there. Records of the active
//    segment are not looked at: a record superseded only there stays until it rolls, as in Kafka.
// 3. Rewrite all the non-active segments up to the end of the mapped ones, in groups that fit
//    segment.bytes, keeping a record unless the map holds a later offset for its key. Tombstones
//    (null values) follow KIP-534: a batch that keeps one and has no delete horizon is stamped
//    with now + delete.retention.ms (attribute bit 0x40, BaseTimestamp = the horizon); a
//    tombstone is dropped by the first pass after its batch's horizon. So a tombstone lives at
//    least delete.retention.ms from the first cleaning that saw it, whatever its own timestamp.
//    Control and transactional batches are kept whole (transaction-aware cleaning is not done
//    yet). A group in which nothing changes is not rewritten.
// 4. Swap each group in, crash-safe at every step:
//      write <base>.log.cleaned, sync  →  rename to <base>.log.swap, sync dir   (commit point)
//      →  remove the group's old files, sync dir  →  rename .swap to <base>.log, sync dir
//      →  write and sync fresh index files.
//    Recovery deletes *.cleaned (not committed) and completes a *.swap (committed): it removes
//    the segments whose base offset lies in the swap's offset range and renames it into place.
//    A crash between the removals leaves either old segments that hold only records later than
//    everything in the swap (still a valid compaction state) or none.
// 5. Advance the cleaner offset to the end of the mapped segments (the manager checkpoints it).
//
// A pass starts when the dirty ratio reaches min.cleanable.dirty.ratio (any dirty byte with
// `force`), or when the earliest delete horizon of the cleaned part has passed (tombstones are
// due even when nothing new was written).
//
// The pass yields to other fibers every few batches and takes the log's maintenance mutex only
// for the swap; if the log changed meanwhile (truncation, retention), the group is abandoned.
#pragma once

#include <cstdint>

#include "services/log/partition_log.h"

namespace eddy::log {

namespace limits {
// Keys remembered in one pass; segments past the one where the map fills are left for the next
// pass (a bounded "dedupe buffer", like Kafka's log.cleaner.dedupe.buffer.size).
inline constexpr size_t cleaner_keys_max = 4 * 1024 * 1024;
// Batches between two yields.
inline constexpr int cleaner_batches_per_yield = 32;
}  // namespace limits

struct CleanResult {
    bool cleaned = false;  // false: nothing to do, or the dirty ratio was below the minimum
    int segments_in = 0;
    int segments_out = 0;
    uint64_t bytes_in = 0;
    uint64_t bytes_out = 0;
    int64_t records_removed = 0;
    int64_t tombstones_removed = 0;
    Offset cleaner_offset;  // the log's first dirty offset after a completed pass
};

class Cleaner {
public:
    // One pass over `log` if its policy compacts and its dirty ratio reaches
    // min.cleanable.dirty.ratio (any dirty byte with `force`) or tombstones are due. Suspends.
    // Errors: corrupt_data (the log goes offline), io_error / no_space.
    static Result<CleanResult, LogError> clean(PartitionLog& log, bool force = false);
    // The fraction of non-active bytes at or past the cleaner offset (0 when none).
    static double dirty_ratio(const PartitionLog& log);
    // Whether a tombstone's delete horizon in the cleaned part has passed. Does not suspend.
    static bool tombstones_due(const PartitionLog& log);
    // max.compaction.lag.ms: a dirty non-active segment whose newest record is older than the
    // lag makes the log due for cleaning whatever its dirty ratio. Does not suspend.
    static bool compaction_overdue(const PartitionLog& log, int64_t now_ms);
};

}  // namespace eddy::log
