// PartitionLog recovery: what open() does before the log takes appends.
//
// 1. Leftovers of interrupted work go: *.tmp (checkpoints), *.cleaned (compaction output that was
//    never committed), orphan index files. A committed compaction (*.log.swap) is completed: the
//    segments it replaces are removed and the swap renamed into place.
// 2. Segments wholly below the recovery point were synced: their indexes are loaded and checked
//    (rebuilt if insane), their data trusted (or CRC-checked with verify_on_open).
// 3. Segments from the one holding the recovery point on are scanned batch by batch (framing,
//    CRC-32C, increasing offsets; a failing batch is re-read until two reads agree, so a read
//    fault is not taken for damage). At the first damaged batch:
//    - if it starts at or after the recovery point, it is a torn tail of unsynced writes: the
//      segment is cut there and every later segment deleted;
//    - if it starts below the recovery point, synced data is damaged: the log opens offline and
//      nothing is cut (the data is evidence), never served.
// 4. Recovered segments are synced, so the recovery point becomes the log end.
// A directory holding the damaged marker (damage found while the log was open) opens offline at
// once, whatever its segments look like now.
#include <set>

#include "services/log/checkpoint.h"
#include "services/log/partition_log.h"

namespace eddy::log {

namespace {

bool ends_with(std::string_view s, std::string_view suffix) {
    return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

}  // namespace

Result<void, LogError> PartitionLog::recover() {
    if (auto r = env_.disk.make_directory(dir_); !r.ok()) {
        return fail(from_disk_error(r.error()));
    }
    auto listed = env_.disk.list(dir_);
    if (!listed.ok()) {
        return fail(from_disk_error(listed.error()));
    }
    std::vector<std::string> names = std::move(listed).value();
    bool changed = false;
    std::optional<std::string> marked_damaged;
    for (const std::string& name : names) {
        if (ends_with(name, file_names::tmp_suffix) ||
            ends_with(name, file_names::cleaned_suffix)) {
            (void)env_.disk.remove(join_path(dir_, name));
            changed = true;
        }
    }
    for (const std::string& name : names) {
        if (name == file_names::damaged_marker) {
            auto why = read_file_stable(env_.disk, join_path(dir_, name), 4096);
            std::string reason = "found damaged while open";
            if (why.ok() && why->has_value()) {
                const Bytes& b = **why;
                std::string text(reinterpret_cast<const char*>(b.data()), b.size());
                while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) {
                    text.pop_back();
                }
                if (!text.empty()) {
                    reason += ": " + text;
                }
            }
            marked_damaged = std::move(reason);
        }
    }
    TRY_VOID(finish_interrupted_swaps(names));
    if (offline_ && !marked_damaged) {
        marked_damaged = offline_reason_;  // a damaged compaction output: kept as found
    }
    listed = env_.disk.list(dir_);
    if (!listed.ok()) {
        return fail(from_disk_error(listed.error()));
    }
    names = std::move(listed).value();

    std::set<Offset> logs;
    for (const std::string& name : names) {
        auto parsed = parse_segment_file_name(name);
        if (parsed && parsed->suffix == file_names::log_suffix) {
            logs.insert(parsed->base_offset);
        }
    }
    for (const std::string& name : names) {
        auto parsed = parse_segment_file_name(name);
        if (parsed && parsed->suffix != file_names::log_suffix &&
            parsed->suffix != file_names::snapshot_suffix && !logs.contains(parsed->base_offset)) {
            (void)env_.disk.remove(join_path(dir_, name));  // an index without its log
            changed = true;
        }
    }

    std::map<Offset, std::shared_ptr<Segment>> found;
    for (Offset base : logs) {
        TRY_ASSIGN(auto seg, Segment::open(env_, dir_, base, config_.index_interval_bytes));
        found.emplace(base, std::move(seg));
    }
    if (found.empty()) {
        TRY_ASSIGN(auto seg,
                   Segment::create(env_, dir_, log_start_offset_, config_.index_interval_bytes));
        found.emplace(log_start_offset_, std::move(seg));
        changed = true;
    }
    if (marked_damaged) {
        std::vector<std::shared_ptr<Segment>> segs;
        for (auto& entry : found) {
            segs.push_back(entry.second);
        }
        keep_as_found(segs, *marked_damaged);
        return {};
    }
    TRY_VOID(recover_segments(found));
    if (!offline_) {
        TRY_VOID(load_leader_epochs());
    }
    if (!offline_) {
        TRY_VOID(load_producer_state());
    }
    if (changed || dir_dirty_) {
        dir_dirty_ = false;
        if (!env_.disk.sync_directory(dir_).ok()) {
            crash_after_failed_sync(env_, dir_);
        }
    }
    return {};
}

Result<void, LogError> PartitionLog::finish_interrupted_swaps(std::vector<std::string>& names) {
    const std::string log_swap =
        std::string(file_names::log_suffix) + std::string(file_names::swap_suffix);
    bool changed = false;
    for (const std::string& name : names) {
        auto parsed = parse_segment_file_name(name);
        if (!parsed || parsed->suffix != log_swap) {
            continue;
        }
        const Offset base = parsed->base_offset;
        const std::string swap_path = join_path(dir_, name);
        // The swap was synced before it was renamed to .swap: it must be intact.
        auto f = env_.disk.open(swap_path, OpenMode::read_only);
        if (!f.ok()) {
            return fail(from_disk_error(f.error()));
        }
        auto size = (*f)->size();
        if (!size.ok()) {
            return fail(from_disk_error(size.error()));
        }
        BatchScanner scanner(**f, 0, *size, base, base, /*verify_crc=*/true);
        Offset last = base - 1;
        while (true) {
            auto item = scanner.next();
            if (!item.ok()) {
                if (item.error().stop == ScanStop::io_error) {
                    return fail(LogError::io_error);
                }
                mark_offline("the committed compaction output " + name + " is damaged");
                return {};
            }
            if (!item->has_value()) {
                break;
            }
            last = (*item)->header.last_offset;
        }
        ASSERT(last >= base - 1, "a swap's offsets start at its base");
        // Remove the segments it replaces: those whose base lies in [base, last].
        for (const std::string& other : names) {
            auto p = parse_segment_file_name(other);
            const bool replaced =
                p && (p->base_offset == base || (p->base_offset >= base && p->base_offset <= last));
            if (replaced &&
                (p->suffix == file_names::log_suffix || p->suffix == file_names::index_suffix ||
                 p->suffix == file_names::time_index_suffix)) {
                auto r = env_.disk.remove(join_path(dir_, other));
                if (!r.ok() && r.error() != DiskError::not_found) {
                    return fail(from_disk_error(r.error()));
                }
            }
        }
        const std::string final_path =
            join_path(dir_, offset_file_stem(base) + std::string(file_names::log_suffix));
        if (auto r = env_.disk.rename(swap_path, final_path); !r.ok()) {
            return fail(from_disk_error(r.error()));
        }
        env_.tracer.event("log.swap_completed",
                          {{"partition", tp_.to_string()}, {"base", base.value()}});
        changed = true;
    }
    // Index swaps are never trusted: the swapped segment's indexes are rebuilt.
    for (const std::string& name : names) {
        if (ends_with(name, file_names::swap_suffix) && !ends_with(name, log_swap)) {
            (void)env_.disk.remove(join_path(dir_, name));
            changed = true;
        }
    }
    if (changed && !env_.disk.sync_directory(dir_).ok()) {
        crash_after_failed_sync(env_, dir_);
    }
    return {};
}

void PartitionLog::keep_as_found(const std::vector<std::shared_ptr<Segment>>& segs,
                                 const std::string& damage) {
    // Keep everything as found (it is evidence) and serve nothing.
    ASSERT(!segs.empty(), "recovery always has a segment");
    segments_.clear();
    for (const auto& s : segs) {
        segments_.emplace(s->base_offset(), s);
    }
    active_ = segs.back();
    log_end_offset_ = active_->next_offset().value_or(active_->base_offset());
    log_start_offset_ = std::max(log_start_offset_, segments_.begin()->first);
    durable_offset_ = std::min(recovery_point_at_open_, log_end_offset_);
    high_watermark_ = log_start_offset_;
    mark_offline(damage, OfflineCause::damaged);
}

Result<void, LogError> PartitionLog::recover_segments(
    std::map<Offset, std::shared_ptr<Segment>>& found) {
    const Offset rp = recovery_point_at_open_;
    std::vector<std::shared_ptr<Segment>> segs;
    for (auto& [base, s] : found) {
        (void)base;
        segs.push_back(s);
    }
    std::vector<std::shared_ptr<Segment>> kept;
    std::vector<std::shared_ptr<Segment>> scanned;
    Offset prev_end(0);
    std::string damage;
    for (size_t i = 0; i < segs.size() && damage.empty(); ++i) {
        const std::shared_ptr<Segment>& seg = segs[i];
        const bool last = i + 1 == segs.size();
        const std::optional<Offset> next_base =
            last ? std::nullopt : std::optional<Offset>(segs[i + 1]->base_offset());
        const bool below = next_base.has_value() && *next_base <= rp;

        if (!kept.empty() && seg->base_offset() < prev_end) {
            // Overlapping segments: garbage from an interrupted operation past the recovery
            // point is cut like a torn tail; below it, synced data contradicts itself.
            if (seg->base_offset() < rp) {
                damage = "segment " + offset_file_stem(seg->base_offset()) +
                         " overlaps the one before it, below the recovery point";
                break;
            }
            for (size_t j = i; j < segs.size(); ++j) {
                TRY_VOID(segs[j]->remove_files());
            }
            dir_dirty_ = true;
            break;
        }
        if (below && !verify_on_open_) {
            auto loaded = seg->load_indexes(*next_base);
            if (!loaded.ok()) {
                if (loaded.error() != LogError::corrupt_data) {
                    return fail(loaded.error());
                }
                damage = "segment " + offset_file_stem(seg->base_offset()) +
                         ", below the recovery point, is damaged";
                break;
            }
            kept.push_back(seg);
            prev_end = *seg->next_offset();
            continue;
        }
        TRY_ASSIGN(SegmentScan scan, seg->scan(/*verify_crc=*/true));
        if (scan.failure) {
            if (scan.failure->stop == ScanStop::io_error) {
                return fail(LogError::io_error);
            }
            if (below || scan.next_offset < rp) {
                damage = "a batch at position " + std::to_string(scan.failure->position) +
                         " of segment " + offset_file_stem(seg->base_offset()) +
                         ", below the recovery point " + std::to_string(rp.value()) +
                         ", fails its checksum";
                break;
            }
            if (scan.failure->misordered) {
                // Past the recovery point too: a whole batch whose offsets go back is no torn
                // write; a BaseOffset before it (outside the CRC) was damaged at rest.
                damage = "the batch at position " + std::to_string(scan.failure->position) +
                         " of segment " + offset_file_stem(seg->base_offset()) +
                         " is whole but its offsets go back: a batch header before it is damaged";
                break;
            }
            env_.log.warn("%s: torn tail cut at position %llu of segment %s (%llu bytes dropped)",
                          tp_.to_string().c_str(), static_cast<unsigned long long>(scan.valid_size),
                          offset_file_stem(seg->base_offset()).c_str(),
                          static_cast<unsigned long long>(scan.file_size - scan.valid_size));
            env_.tracer.event("log.torn_tail", {{"partition", tp_.to_string()},
                                                {"segment", seg->base_offset().value()},
                                                {"position", scan.valid_size},
                                                {"dropped", scan.file_size - scan.valid_size}});
            if (auto r = seg->log_file().truncate(scan.valid_size); !r.ok()) {
                return fail(from_disk_error(r.error()));
            }
            for (size_t j = i + 1; j < segs.size(); ++j) {
                TRY_VOID(segs[j]->remove_files());
                dir_dirty_ = true;
            }
            TRY_VOID(seg->write_index_files());
            kept.push_back(seg);
            scanned.push_back(seg);
            break;
        }
        if (next_base && scan.next_offset > *next_base && *next_base < rp) {
            damage = "segment " + offset_file_stem(seg->base_offset()) +
                     " runs into the next one, below the recovery point";
            break;
        }
        TRY_VOID(seg->write_index_files());
        kept.push_back(seg);
        scanned.push_back(seg);
        prev_end = scan.next_offset;
    }

    if (!damage.empty()) {
        keep_as_found(segs, damage);
        return {};
    }

    ASSERT(!kept.empty());
    segments_.clear();
    for (const auto& s : kept) {
        ASSERT(segments_.empty() || std::prev(segments_.end())->first < s->base_offset(),
               "recovered segments in base offset order");
        ASSERT(s->next_offset().has_value(), "every recovered segment knows its end");
        segments_.emplace(s->base_offset(), s);
    }
    active_ = kept.back();
    log_end_offset_ = *active_->next_offset();
    log_start_offset_ = std::max(log_start_offset_, segments_.begin()->first);
    if (log_end_offset_ < rp) {
        durable_offset_ = log_end_offset_;
        high_watermark_ = log_start_offset_;
        mark_offline("the log ends at " + std::to_string(log_end_offset_.value()) +
                     ", below its recovery point " + std::to_string(rp.value()) +
                     ": synced data is missing");
        return {};
    }
    if (log_start_offset_ > log_end_offset_) {
        // Data below the checkpointed log start is gone (it was never synced): start over there,
        // as Kafka does.
        TRY_VOID(truncate_fully_and_start_at(log_start_offset_));
        scanned.clear();
    }
    // What recovery read may have come from the page cache (a process crash, not a machine
    // crash): make it durable before calling it recovered.
    for (const auto& s : scanned) {
        s->sync_log(s->size());
        s->sync_indexes();
        ASSERT(s->synced_size() == s->size(), "a recovered segment is synced whole");
    }
    durable_offset_ = log_end_offset_;
    // Replication moves it up again once the ISR has what lies above (a lone replica at once).
    high_watermark_ = high_watermark_at_open_
                          ? std::clamp(*high_watermark_at_open_, log_start_offset_, log_end_offset_)
                          : log_end_offset_;
    ASSERT(log_start_offset_ <= log_end_offset_,
           "recovery ends at or past the recovery point, at or past the log start");
    ASSERT(log_end_offset_ >= rp,
           "recovery ends at or past the recovery point, at or past the log start");
    if (active_->size() > 0) {
        active_->set_roll_base_time(env_.clock.wall_now());
    }
    return {};
}

Result<void, LogError> PartitionLog::load_leader_epochs() {
    const std::string path = join_path(dir_, file_names::leader_epoch_checkpoint);
    TRY_ASSIGN(auto text, read_file_stable(env_.disk, path, limits::checkpoint_bytes_max));
    bool changed = false;
    if (text) {
        auto parsed = LeaderEpochCache::from_checkpoint(as_chars(*text));
        if (parsed) {
            epochs_ = std::move(*parsed);
        } else {
            env_.log.warn("%s is not a valid leader epoch checkpoint; starting empty",
                          path.c_str());
            changed = true;
        }
    }
    changed = epochs_.truncate_from_end(log_end_offset_) || changed;
    changed = epochs_.truncate_from_start(log_start_offset_) || changed;
    ASSERT(epochs_.entries().empty() || (epochs_.entries().front().start_offset >= log_start_offset_ &&
                                         epochs_.entries().back().start_offset <= log_end_offset_),
           "the leader epochs describe offsets of the log");

    if (changed) {
        TRY_VOID(write_leader_epochs());
    }
    return {};
}

Result<void, LogError> PartitionLog::write_leader_epochs() {
    const std::string text = epochs_.to_checkpoint();
    return write_file_atomic(env_, dir_, file_names::leader_epoch_checkpoint, as_bytes(text));
}

}  // namespace eddy::log
