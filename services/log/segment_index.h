// The two sparse indexes of a segment, as Kafka lays them out (big-endian, fixed-size entries):
//
//   .index      relative offset u32 | position u32          (8 bytes an entry)
//   .timeindex  timestamp i64       | relative offset u32   (12 bytes an entry)
//
// An offset-index entry (r, p) says "the batch at position p ends at offset base + r": a lookup
// for offset t starts scanning at the entry with the largest r <= t - base (or at position 0).
// A time-index entry (ts, r) says "every record up to offset base + r has a timestamp <= ts, and
// one of the batches ending at base + r reached ts". Entries are added every
// index.interval.bytes of appended data; both lists strictly increase in every field.
//
// This file is pure logic: the entries in memory, their encoding, their lookups, and the sanity
// check for entries loaded from disk (untrusted: torn or stale files are rebuilt, never believed).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "core/base/bytes.h"
#include "core/base/ids.h"
#include "core/record/record_batch.h"

namespace eddy::log {

namespace index_format {
inline constexpr size_t offset_entry_bytes = 8;
inline constexpr size_t time_entry_bytes = 12;
}  // namespace index_format

struct OffsetIndexEntry {
    uint32_t relative_offset = 0;
    uint32_t position = 0;
};

struct TimeIndexEntry {
    record::TimestampMs timestamp = record::no_timestamp;
    uint32_t relative_offset = 0;
};

class OffsetIndex {
public:
    // Precondition (ASSERTed): both fields above the last entry's.
    void append(OffsetIndexEntry e);
    // Position to start scanning for relative offset `target`: the largest entry with
    // relative_offset <= target, or 0.
    uint32_t floor_position(uint32_t target) const;
    // Drops the entries of batches at or past `position`.
    void truncate_to_position(uint64_t position);
    void clear() { entries_.clear(); }
    const std::vector<OffsetIndexEntry>& entries() const { return entries_; }
    std::optional<OffsetIndexEntry> last() const;

    Bytes encode() const;
    static void encode_entry(OffsetIndexEntry e, std::byte* out);
    // Entries from file bytes, if they pass the sanity check: whole entries, both fields
    // strictly increasing, positions below `log_size`. nullopt otherwise.
    static std::optional<OffsetIndex> decode(ByteSpan bytes, uint64_t log_size);

private:
    std::vector<OffsetIndexEntry> entries_;
};

class TimeIndex {
public:
    // Adds (ts, r) if ts is above the last entry's timestamp and r not below its offset; returns
    // whether it did.
    bool maybe_append(TimeIndexEntry e);
    // The entry with the largest timestamp strictly below `target`, if any: every record up to
    // its offset is older than `target`.
    std::optional<TimeIndexEntry> last_below(record::TimestampMs target) const;
    // Drops entries whose offset is at or past relative offset `end`.
    void truncate_to_offset(uint32_t end);
    void clear() { entries_.clear(); }
    const std::vector<TimeIndexEntry>& entries() const { return entries_; }
    std::optional<TimeIndexEntry> last() const;

    Bytes encode() const;
    static void encode_entry(TimeIndexEntry e, std::byte* out);
    // Entries from file bytes, if sane: whole entries, timestamps strictly increasing, offsets
    // non-decreasing and below `relative_offset_end`. nullopt otherwise.
    static std::optional<TimeIndex> decode(ByteSpan bytes, uint64_t relative_offset_end);

private:
    std::vector<TimeIndexEntry> entries_;
};

}  // namespace eddy::log
