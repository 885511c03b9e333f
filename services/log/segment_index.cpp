// Sparse offset and time indexes. See segment_index.h.
#include "services/log/segment_index.h"

#include <algorithm>

#include "core/base/assert.h"

namespace eddy::log {

void OffsetIndex::append(OffsetIndexEntry e) {
    if (!entries_.empty()) {
        ASSERT(e.relative_offset > entries_.back().relative_offset, "index offsets increase");
        ASSERT(e.position > entries_.back().position, "index positions increase");
    }
    entries_.push_back(e);
}

uint32_t OffsetIndex::floor_position(uint32_t target) const {
    auto it = std::upper_bound(
        entries_.begin(), entries_.end(), target,
        [](uint32_t t, const OffsetIndexEntry& e) { return t < e.relative_offset; });
    if (it == entries_.begin()) {
        return 0;
    }
    ASSERT(std::prev(it)->relative_offset <= target, "the floor entry is at or below the target");
    return std::prev(it)->position;
}

void OffsetIndex::truncate_to_position(uint64_t position) {
    while (!entries_.empty() && entries_.back().position >= position) {
        entries_.pop_back();
    }
    ASSERT(entries_.empty() || entries_.back().position < position);
}

std::optional<OffsetIndexEntry> OffsetIndex::last() const {
    if (entries_.empty()) {
        return std::nullopt;
    }
    return entries_.back();
}

void OffsetIndex::encode_entry(OffsetIndexEntry e, std::byte* out) {
    store_be<uint32_t>(out, e.relative_offset);
    store_be<uint32_t>(out + 4, e.position);
}

Bytes OffsetIndex::encode() const {
    Bytes out(entries_.size() * index_format::offset_entry_bytes);
    for (size_t i = 0; i < entries_.size(); ++i) {
        ASSERT(i == 0 || (entries_[i].relative_offset > entries_[i - 1].relative_offset &&
                          entries_[i].position > entries_[i - 1].position),
               "an index file is written with ascending entries");
        encode_entry(entries_[i], out.data() + i * index_format::offset_entry_bytes);
    }
    return out;

}

std::optional<OffsetIndex> OffsetIndex::decode(ByteSpan bytes, uint64_t log_size) {
    if (bytes.size() % index_format::offset_entry_bytes != 0) {
        return std::nullopt;
    }
    OffsetIndex index;
    for (size_t at = 0; at < bytes.size(); at += index_format::offset_entry_bytes) {
        const OffsetIndexEntry e{load_be<uint32_t>(bytes.data() + at),
                                 load_be<uint32_t>(bytes.data() + at + 4)};
        if (e.position >= log_size ||
            (!index.entries_.empty() &&
             (e.relative_offset <= index.entries_.back().relative_offset ||
              e.position <= index.entries_.back().position))) {
            return std::nullopt;
        }
        index.entries_.push_back(e);
    }
    return index;
}

bool TimeIndex::maybe_append(TimeIndexEntry e) {
    if (!entries_.empty() && (e.timestamp <= entries_.back().timestamp ||
                              e.relative_offset < entries_.back().relative_offset)) {
        return false;
    }
    entries_.push_back(e);
    ASSERT(entries_.size() < 2 || entries_[entries_.size() - 2].timestamp < e.timestamp,
           "time index timestamps increase");
    return true;
}

std::optional<TimeIndexEntry> TimeIndex::last_below(record::TimestampMs target) const {
    auto it = std::lower_bound(
        entries_.begin(), entries_.end(), target,
        [](const TimeIndexEntry& e, record::TimestampMs t) { return e.timestamp < t; });
    if (it == entries_.begin()) {
        return std::nullopt;
    }
    return *std::prev(it);
}

void TimeIndex::truncate_to_offset(uint32_t end) {
    while (!entries_.empty() && entries_.back().relative_offset >= end) {
        entries_.pop_back();
    }
    ASSERT(entries_.empty() || entries_.back().relative_offset < end);
}

std::optional<TimeIndexEntry> TimeIndex::last() const {
    if (entries_.empty()) {
        return std::nullopt;
    }
    return entries_.back();
}

void TimeIndex::encode_entry(TimeIndexEntry e, std::byte* out) {
    store_be<uint64_t>(out, static_cast<uint64_t>(e.timestamp.value()));
    store_be<uint32_t>(out + 8, e.relative_offset);
}

Bytes TimeIndex::encode() const {
    Bytes out(entries_.size() * index_format::time_entry_bytes);
    for (size_t i = 0; i < entries_.size(); ++i) {
        encode_entry(entries_[i], out.data() + i * index_format::time_entry_bytes);
    }
    return out;
}

std::optional<TimeIndex> TimeIndex::decode(ByteSpan bytes, uint64_t relative_offset_end) {
    if (bytes.size() % index_format::time_entry_bytes != 0) {
        return std::nullopt;
    }
    TimeIndex index;
    for (size_t at = 0; at < bytes.size(); at += index_format::time_entry_bytes) {
        const TimeIndexEntry e{
            record::TimestampMs(static_cast<int64_t>(load_be<uint64_t>(bytes.data() + at))),
            load_be<uint32_t>(bytes.data() + at + 8)};
        if (e.relative_offset >= relative_offset_end || !index.maybe_append(e)) {
            return std::nullopt;
        }
    }
    return index;
}

}  // namespace eddy::log
