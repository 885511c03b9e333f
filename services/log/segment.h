// Segment: one `<base>.log` file of a partition log with its `.index` and `.timeindex`.
//
// The log file holds whole RecordBatch v2 batches back to back, offsets increasing. The indexes
// live in memory (the truth while the segment is open) and are mirrored to their files as entries
// are added; the files are only a start-up accelerator: they are checked on load and rebuilt from
// the log whenever they are missing, torn or insane, so an index file can never make a read wrong.
//
// Invariants:
// - size() is the end of the last complete batch written through this object (or found valid by
//   recovery); nothing past it is ever served.
// - synced_size() <= size(): bytes [0, synced_size) are known durable.
// - Index entries point only below size(); their fields strictly increase.
// - next_offset(), when known, is the last batch's last offset + 1 (the base offset if empty).
//
// Not thread-safe; single fiber at a time per mutation (PartitionLog serialises them). Methods
// that touch the disk suspend; the others do not.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "core/base/result.h"
#include "core/env/env.h"
#include "core/record/record_batch.h"
#include "services/log/batch_io.h"
#include "services/log/log_error.h"
#include "services/log/segment_index.h"

namespace eddy::log {

// What the append path knows about each batch it writes.
struct BatchMeta {
    Offset base_offset;
    Offset last_offset;
    record::TimestampMs max_timestamp = record::no_timestamp;
    uint32_t size = 0;
};

// The outcome of scanning a segment from its start (recovery).
struct SegmentScan {
    uint64_t valid_size = 0;             // end of the last good batch
    Offset next_offset;                  // after the last good batch (base if none)
    std::optional<ScanFailure> failure;  // why the scan stopped before the file's end
    uint64_t file_size = 0;
    int64_t batches = 0;
};

class Segment {
public:
    // Creates the segment's three files empty (an existing file of the same name is emptied).
    // Suspends. The caller syncs the directory.
    static Result<std::shared_ptr<Segment>, LogError> create(Env& env, std::string dir,
                                                             Offset base_offset,
                                                             uint64_t index_interval_bytes);
    // Opens an existing segment: the log file must exist; index files are opened or created but
    // not read. size() is the file's size until load_indexes() or recover() says otherwise.
    // Suspends.
    static Result<std::shared_ptr<Segment>, LogError> open(Env& env, std::string dir,
                                                           Offset base_offset,
                                                           uint64_t index_interval_bytes);

    Segment(const Segment&) = delete;
    Segment& operator=(const Segment&) = delete;

    Offset base_offset() const { return base_offset_; }
    uint64_t size() const { return size_; }
    uint64_t synced_size() const { return synced_size_; }
    bool indexes_synced() const { return indexes_synced_; }
    std::optional<Offset> next_offset() const { return next_offset_; }
    record::TimestampMs max_timestamp() const { return max_timestamp_; }
    Offset offset_of_max_timestamp() const { return offset_of_max_timestamp_; }
    File& log_file() { return *log_; }
    const std::shared_ptr<File>& log_file_shared() const { return log_; }
    const OffsetIndex& offset_index() const { return offset_index_; }
    const TimeIndex& time_index() const { return time_index_; }
    std::string log_path() const;
    std::string index_path() const;
    std::string time_index_path() const;

    // Wall time the segment started taking appends (segment.ms); set by the log.
    std::optional<WallTime> roll_base_time() const { return roll_base_time_; }
    void set_roll_base_time(WallTime t) { roll_base_time_ = t; }

    // --- Recovery and loading (suspend) ---

    // Validates every batch from position 0 (framing, CRC, increasing offsets) and rebuilds the
    // in-memory indexes; stops at the first bad batch. Does not change the files.
    Result<SegmentScan, LogError> scan(bool verify_crc);
    // Loads the index files of a segment that recovery trusts (below the recovery point), checks
    // them, and rebuilds both from the log if either is missing or insane. Sets size() to the
    // file size and next_offset() to the scanned end when it had to scan.
    Result<void, LogError> load_indexes(Offset offset_end);
    // Truncates the log file to `size` (the position of the batch at offset `next`, or the end)
    // and the indexes to match; next_offset() becomes the end of the kept batches (<= next).
    Result<void, LogError> truncate_to(uint64_t size, Offset next);
    // Writes the in-memory indexes over the index files.
    Result<void, LogError> write_index_files();
    // Scans from the last index entry to size() for the exact next offset and the max timestamp
    // (after a load that did not scan). Suspends.
    Result<void, LogError> compute_tail_state(Offset offset_end);

    // --- Appending (suspends) ---

    // Writes `bytes` (the batches described by `metas`, offsets already assigned) at size(), then
    // the index entries they earn. A failed index write is logged and drops that index file (it
    // is rebuilt on the next open); a failed log write truncates the log back and fails.
    Result<void, LogError> append(ByteSpan bytes, std::span<const BatchMeta> metas);
    // The segment stops taking appends: the final time-index entry is added (Kafka's
    // onBecomeInactiveSegment), so max_timestamp() is on disk.
    void seal();

    // --- Durability (suspend). A failed sync crashes the node. ---
    void sync_log(uint64_t covered_size);
    void sync_indexes();
    void mark_synced(uint64_t covered_size);

    // --- Lookups (do not suspend) ---
    // Where to start scanning for `target` (the index floor).
    uint64_t scan_start_for(Offset target) const;

    // Removes the three files (the log first). Suspends. The caller syncs the directory.
    Result<void, LogError> remove_files();

    // Rebuilds the indexes from a list of batches (compaction output, recovery).
    void index_batch(const BatchMeta& meta, uint64_t position);
    void reset_index_state();

private:
    Segment(Env& env, std::string dir, Offset base_offset, uint64_t index_interval_bytes);
    Result<void, LogError> open_index_files(OpenMode mode);
    void drop_index_files(const char* why);
    uint32_t relative(Offset o) const;

    Env& env_;
    std::string dir_;
    Offset base_offset_;
    uint64_t index_interval_bytes_;
    std::shared_ptr<File> log_;
    std::unique_ptr<File> offset_index_file_;  // null once dropped after a failed write
    std::unique_ptr<File> time_index_file_;
    OffsetIndex offset_index_;
    TimeIndex time_index_;
    uint64_t size_ = 0;
    uint64_t synced_size_ = 0;
    bool indexes_synced_ = false;
    bool index_files_missing_ = false;  // open() found no index files: load_indexes rebuilds
    uint64_t bytes_since_index_entry_ = 0;
    std::optional<Offset> next_offset_;
    record::TimestampMs max_timestamp_ = record::no_timestamp;
    Offset offset_of_max_timestamp_;
    std::optional<WallTime> roll_base_time_;
    // Index entries earned by the current append, written after the log bytes.
    Bytes pending_offset_entries_;
    Bytes pending_time_entries_;
};

}  // namespace eddy::log
