// Leader epoch bookkeeping. See leader_epoch_cache.h.
#include "services/log/leader_epoch_cache.h"

#include <charconv>

#include "core/base/assert.h"
#include "services/log/checkpoint.h"

namespace eddy::log {

LeaderEpochCache::LeaderEpochCache(std::vector<EpochEntry> entries) : entries_(std::move(entries)) {
    check();
}

void LeaderEpochCache::check() const {
    for (size_t i = 1; i < entries_.size(); ++i) {
        ASSERT(entries_[i - 1].epoch < entries_[i].epoch, "leader epochs increase");
        ASSERT(entries_[i - 1].start_offset < entries_[i].start_offset,
               "leader epoch start offsets increase");
    }
}

bool LeaderEpochCache::assign(LeaderEpoch epoch, Offset offset) {
    ASSERT(epoch.value() >= 0);
    if (!entries_.empty() && epoch <= entries_.back().epoch) {
        return false;
    }
    // A new epoch whose first offset is not above the previous one's start replaces it: the old
    // epoch wrote nothing that survived (Kafka does the same).
    while (!entries_.empty() && entries_.back().start_offset >= offset) {
        entries_.pop_back();
    }
    entries_.push_back({epoch, offset});
    ASSERT(entries_.back().epoch == epoch);
    ASSERT(entries_.back().start_offset == offset);
    check();
    return true;
}


bool LeaderEpochCache::truncate_from_end(Offset end) {
    const size_t before = entries_.size();
    while (!entries_.empty() && entries_.back().start_offset >= end) {
        entries_.pop_back();
    }
    ASSERT(entries_.empty() || entries_.back().start_offset < end,
           "no epoch starts at or past the new log end");
    return entries_.size() != before;
}

bool LeaderEpochCache::truncate_from_start(Offset start) {
    size_t below = 0;  // entries starting before `start`
    while (below < entries_.size() && entries_[below].start_offset < start) {
        ++below;
    }
    if (below == 0) {
        return false;
    }
    EpochEntry kept = entries_[below - 1];
    kept.start_offset = start;
    const bool next_starts_there = below < entries_.size() && entries_[below].start_offset == start;
    entries_.erase(entries_.begin(), entries_.begin() + static_cast<std::ptrdiff_t>(below));
    if (!next_starts_there) {
        entries_.insert(entries_.begin(), kept);
    }
    ASSERT(!entries_.empty(), "after a raised log start the first epoch starts there");
    ASSERT(entries_.front().start_offset == start,
           "after a raised log start the first epoch starts there");
    check();
    return true;
}

std::optional<EpochEntry> LeaderEpochCache::latest() const {
    if (entries_.empty()) {
        return std::nullopt;
    }
    return entries_.back();
}

EpochEndOffset LeaderEpochCache::end_offset_for(LeaderEpoch epoch, Offset log_end) const {
    // The first entry with a larger epoch ends the asked-for one.
    size_t i = 0;
    while (i < entries_.size() && entries_[i].epoch <= epoch) {
        ++i;
    }
    if (i == 0) {
        return {LeaderEpoch(-1), Offset(-1)};
    }
    ASSERT(entries_[i - 1].epoch <= epoch, "the epoch answered is at or below the one asked");
    if (i == entries_.size()) {
        return {entries_.back().epoch, log_end};
    }
    ASSERT(entries_[i].epoch > epoch);
    ASSERT(entries_[i].start_offset > entries_[i - 1].start_offset);
    return {entries_[i - 1].epoch, entries_[i].start_offset};
}

std::string LeaderEpochCache::to_checkpoint() const {
    std::string out = "0\n" + std::to_string(entries_.size()) + "\n";
    for (const EpochEntry& e : entries_) {
        out += std::to_string(e.epoch.value());
        out += ' ';
        out += std::to_string(e.start_offset.value());
        out += '\n';
    }
    return out;
}

std::optional<LeaderEpochCache> LeaderEpochCache::from_checkpoint(std::string_view text) {
    auto lines = checkpoint_lines(text);
    if (!lines) {
        return std::nullopt;
    }
    std::vector<EpochEntry> entries;
    for (std::string_view line : *lines) {
        const size_t sp = line.find(' ');
        if (sp == std::string_view::npos) {
            return std::nullopt;
        }
        int32_t epoch = 0;
        int64_t offset = 0;
        auto r1 = std::from_chars(line.data(), line.data() + sp, epoch);
        auto r2 = std::from_chars(line.data() + sp + 1, line.data() + line.size(), offset);
        if (r1.ec != std::errc() || r1.ptr != line.data() + sp || r2.ec != std::errc() ||
            r2.ptr != line.data() + line.size() || epoch < 0 || offset < 0) {
            return std::nullopt;
        }
        if (!entries.empty() && (entries.back().epoch.value() >= epoch ||
                                 entries.back().start_offset.value() >= offset)) {
            return std::nullopt;
        }
        entries.push_back({LeaderEpoch(epoch), Offset(offset)});
    }
    return LeaderEpochCache(std::move(entries));
}

}  // namespace eddy::log
