// PartitionLog maintenance: roll, truncation (replication), DeleteRecords, retention, verify,
// close and removal. See partition_log.h.
#include "services/log/checkpoint.h"
#include "services/log/partition_log.h"

namespace eddy::log {

namespace {

// Marks a truncation cutting files (PartitionLog::truncating_) for as long as it runs, cleared
// however it returns: an error part way must not keep flushes from counting forever.
struct Truncating {
    bool& flag;
    explicit Truncating(bool& f) : flag(f) { flag = true; }
    ~Truncating() { flag = false; }
    Truncating(const Truncating&) = delete;
    Truncating& operator=(const Truncating&) = delete;
};

}  // namespace

Result<void, LogError> PartitionLog::roll() {
    LockGuard guard(append_mutex_);
    TRY_VOID(check_usable());
    if (active_->size() == 0) {
        return {};
    }
    TRY_VOID(roll_to(log_end_offset_));
    ASSERT(active_->size() == 0, "a roll starts an empty segment at the log end");
    ASSERT(active_->base_offset() == log_end_offset_,
           "a roll starts an empty segment at the log end");
    active_->set_roll_base_time(env_.clock.wall_now());
    return {};
}

Result<uint64_t, LogError> PartitionLog::find_cut(Segment& segment, Offset offset,
                                                  Offset& cut_base) {
    BatchScanner scanner(segment.log_file(), segment.scan_start_for(offset), segment.size(),
                         segment.base_offset(), segment.base_offset(), /*verify_crc=*/true,
                         64 * 1024);
    while (true) {
        auto item = scanner.next();
        if (!item.ok()) {
            return fail(item.error().stop == ScanStop::torn ? LogError::corrupt_data
                                                            : LogError::io_error);
        }
        if (!item->has_value()) {
            cut_base = *segment.next_offset();
            return segment.size();
        }
        if ((*item)->header.last_offset >= offset) {
            cut_base = (*item)->header.base_offset;
            ASSERT((*item)->position <= segment.size(), "a scan stays within the segment");
            return (*item)->position;
        }
    }
}

Result<void, LogError> PartitionLog::truncate_fully_and_start_at(Offset offset) {
    ASSERT(offset.value() >= 0);
    for (auto& [base, s] : segments_) {
        (void)base;
        TRY_VOID(s->remove_files());
    }
    segments_.clear();
    ++generation_;
    TRY_ASSIGN(auto fresh, Segment::create(env_, dir_, offset, config_.index_interval_bytes));
    ASSERT(segments_.empty());
    segments_.emplace(offset, fresh);
    active_ = fresh;
    log_start_offset_ = offset;
    log_end_offset_ = offset;
    durable_offset_ = offset;
    high_watermark_ = offset;
    if (!env_.disk.sync_directory(dir_).ok()) {
        crash_after_failed_sync(env_, dir_);
    }
    if (epochs_.truncate_from_end(offset)) {
        TRY_VOID(write_leader_epochs());
    }
    return {};
}

Result<void, LogError> PartitionLog::lower_durable_offset(Offset floor) {
    // Compaction's cleaned range cannot extend past what is kept either; lowered first too (the
    // hook rewrites its checkpoint with the recovery points).
    first_dirty_offset_ = std::min(first_dirty_offset_, floor);
    if (durable_offset_ > floor) {
        durable_offset_ = floor;
        if (hooks_ != nullptr) {
            TRY_VOID(hooks_->recovery_point_lowered(*this));
        }
    }
    ASSERT(durable_offset_ <= floor);
    ASSERT(first_dirty_offset_ <= floor);
    return {};
}

Result<void, LogError> PartitionLog::truncate_to(Offset offset) {
    LockGuard maintenance(maintenance_mutex_);
    LockGuard append(append_mutex_);
    TRY_VOID(check_usable());
    ASSERT(offset.value() >= 0);
    if (offset >= log_end_offset_) {
        return {};
    }
    ++truncations_;
    ++generation_;
    const Truncating truncating(truncating_);
    const Offset end_before = log_end_offset_;
    const bool full = offset <= segments_.begin()->first || offset < log_start_offset_;
    // The new log end is not known before the cut is found, but it is at least the base of the
    // last segment kept (or `offset` when nothing is kept). The checkpoint on disk must not claim
    // more than that: it is lowered first, so a crash half way leaves a recovery point at or
    // below what is on disk. (Lower than needed only costs a longer scan at recovery.)
    const Offset old_durable = durable_offset_;
    const Offset floor = full ? offset : floor_segment(offset - 1)->base_offset();
    TRY_VOID(lower_durable_offset(floor));
    flush_requested_ = std::min(flush_requested_, offset);
    if (full) {
        TRY_VOID(truncate_fully_and_start_at(offset));
        if (hooks_ != nullptr) {
            TRY_VOID(hooks_->log_start_offset_raised(*this));  // it may have moved either way
        }
    } else {
        std::vector<std::shared_ptr<Segment>> doomed;
        for (auto it = segments_.lower_bound(offset); it != segments_.end(); ++it) {
            doomed.push_back(it->second);
        }
        // Highest first: a crash half way then leaves a prefix of the log, never a gap (the
        // directory keeps a prefix of its removals).
        for (auto it = doomed.rbegin(); it != doomed.rend(); ++it) {
            segments_.erase((*it)->base_offset());
            TRY_VOID((*it)->remove_files());
        }
        ASSERT(!segments_.empty(), "a partial truncation keeps the first segment");
        std::shared_ptr<Segment> last = std::prev(segments_.end())->second;
        ASSERT(last->base_offset() < offset, "the segment cut holds offsets below the target");
        Offset cut_base;
        auto cut = find_cut(*last, offset, cut_base);
        if (!cut.ok()) {
            mark_offline("truncation could not read segment " +
                             offset_file_stem(last->base_offset()),
                         cut.error() == LogError::corrupt_data ? OfflineCause::damaged
                                                               : OfflineCause::storage_failed);
            return fail(cut.error());
        }
        TRY_VOID(last->truncate_to(*cut, cut_base));
        active_ = last;
        last->sync_log(last->size());
        if (!doomed.empty() && !env_.disk.sync_directory(dir_).ok()) {
            crash_after_failed_sync(env_, dir_);
        }
        log_end_offset_ = *last->next_offset();
        ASSERT(log_end_offset_ <= offset, "truncation keeps nothing at or past its target");
    }
    // What was durable below the new end still is (the checkpoint may say less: that is safe).
    durable_offset_ = full ? log_end_offset_ : std::min(old_durable, log_end_offset_);
    ASSERT(full || log_end_offset_ < end_before, "a truncation below the log end shortens it");
    ASSERT(log_end_offset_ <= offset || full, "nothing at or past the target is kept");
    // Counted again at the end: a flush that began while the files were being cut (it saw the
    // old log end) must not raise the durable offset to it when it finishes, nor one that
    // finishes meanwhile (truncating_): one did, and the next checkpoint claimed synced data the
    // log no longer had (replication-reassign seed 17).
    ++truncations_;
    high_watermark_ = std::min(high_watermark_, log_end_offset_);
    if (epochs_.truncate_from_end(log_end_offset_)) {
        TRY_VOID(write_leader_epochs());
    }
    // Producers whose batches were cut: rebuilt from the newest snapshot below the new end.
    TRY_VOID(load_producer_state());
    check_invariants();
    env_.tracer.event("log.truncated", {{"partition", tp_.to_string()},
                                        {"to", offset.value()},
                                        {"log_end", log_end_offset_.value()}});
    durable_waiters_.notify_all();
    flush_wakeup_.notify_all();  // the flusher waited out the truncation
    return {};
}

Result<void, LogError> PartitionLog::restart_at(Offset offset) {
    LockGuard maintenance(maintenance_mutex_);
    LockGuard append(append_mutex_);
    TRY_VOID(check_usable());
    ASSERT(offset.value() >= 0);
    ++truncations_;
    ++generation_;
    const Truncating truncating(truncating_);  // as in truncate_to
    TRY_VOID(lower_durable_offset(offset));
    flush_requested_ = std::min(flush_requested_, offset);
    TRY_VOID(truncate_fully_and_start_at(offset));
    if (hooks_ != nullptr) {
        TRY_VOID(hooks_->log_start_offset_raised(*this));
    }
    // None of the old epochs wrote anything that is kept. (A crash before this rewrite leaves
    // the old checkpoint, which the next open trims to at most one entry starting at the log
    // end: it describes no offset of the empty log, as after a full truncate_to.)
    if (!epochs_.entries().empty()) {
        epochs_ = LeaderEpochCache();
        TRY_VOID(write_leader_epochs());
    }
    TRY_VOID(load_producer_state());
    ++truncations_;  // as in truncate_to: a flush overlapping the restart does not count
    ASSERT(log_start_offset_ == offset, "a restarted log is empty");
    ASSERT(log_end_offset_ == offset, "a restarted log is empty");
    ASSERT(segments_.size() == 1);
    ASSERT(active_->size() == 0);
    check_invariants();
    env_.tracer.event("log.restarted", {{"partition", tp_.to_string()}, {"at", offset.value()}});
    durable_waiters_.notify_all();
    flush_wakeup_.notify_all();  // the flusher waited out the restart
    return {};
}

Result<void, LogError> PartitionLog::delete_records_before(Offset offset) {
    TRY_VOID(check_usable());
    if (offset > log_end_offset_) {
        return fail(LogError::offset_out_of_range);
    }
    if (offset <= log_start_offset_) {
        return {};
    }
    // What stays must survive a crash before the log start moves past it.
    TRY_VOID(flush());
    LockGuard maintenance(maintenance_mutex_);
    TRY_VOID(check_usable());
    if (offset > log_end_offset_) {
        return fail(LogError::offset_out_of_range);  // truncated meanwhile
    }
    if (offset <= log_start_offset_) {
        return {};
    }
    ASSERT(offset > log_start_offset_);
    ASSERT(offset <= log_end_offset_);
    log_start_offset_ = offset;
    high_watermark_ = std::max(high_watermark_, log_start_offset_);
    ASSERT(high_watermark_ <= log_end_offset_, "the log start is never past the log end");
    producers_.truncate_head(log_start_offset_);
    if (hooks_ != nullptr) {
        TRY_VOID(hooks_->log_start_offset_raised(*this));
    }
    if (epochs_.truncate_from_start(log_start_offset_)) {
        TRY_VOID(write_leader_epochs());
    }
    std::vector<std::shared_ptr<Segment>> doomed;
    for (auto it = segments_.begin(); it != segments_.end(); ++it) {
        auto next = std::next(it);
        if (next == segments_.end() || next->first > log_start_offset_) {
            break;
        }
        doomed.push_back(it->second);
    }
    TRY_ASSIGN(RetentionResult deleted, delete_segments(doomed));
    (void)deleted;
    check_invariants();
    env_.tracer.event("log.delete_records",
                      {{"partition", tp_.to_string()}, {"log_start", offset.value()}});
    return {};
}

Result<RetentionResult, LogError> PartitionLog::apply_retention() {
    LockGuard maintenance(maintenance_mutex_);
    TRY_VOID(check_usable());
    const int64_t now_ms = env_.clock.wall_now().to_millis();
    uint64_t total = size_bytes();
    std::vector<std::shared_ptr<Segment>> doomed;
    for (auto it = segments_.begin(); it != segments_.end(); ++it) {
        auto next = std::next(it);
        if (next == segments_.end()) {
            break;  // never the active segment
        }
        const Segment& s = *it->second;
        if (next->first > high_watermark_) {
            break;  // never past the high watermark: what is above it is not committed yet
        }
        ASSERT(next->first <= log_end_offset_, "a segment after another starts by the log end");
        const bool below_start = next->first <= log_start_offset_;
        const bool by_time = deletes(config_.cleanup_policy) && config_.retention &&
                             s.max_timestamp() != record::no_timestamp &&
                             now_ms - s.max_timestamp().value() > config_.retention->to_millis();
        const bool by_size = deletes(config_.cleanup_policy) && config_.retention_bytes &&
                             total - s.size() >= *config_.retention_bytes;
        if (!below_start && !by_time && !by_size) {
            break;  // retention deletes a prefix of the log
        }
        doomed.push_back(it->second);
        total -= s.size();
    }
    return delete_segments(doomed);
}

Result<RetentionResult, LogError> PartitionLog::delete_segments(
    const std::vector<std::shared_ptr<Segment>>& doomed) {
    RetentionResult out;
    if (doomed.empty()) {
        return out;
    }
    for (const auto& s : doomed) {
        ASSERT(s != active_, "the active segment is never deleted");
        ASSERT(segments_.begin()->second == s, "segments are deleted oldest first");
        segments_.erase(s->base_offset());
        out.bytes_deleted += s->size();
        ++out.segments_deleted;
    }
    ASSERT(!segments_.empty(), "deletion keeps the active segment");
    ASSERT(active_ == std::prev(segments_.end())->second, "deletion keeps the active segment");
    ++generation_;
    log_start_offset_ = std::max(log_start_offset_, segments_.begin()->first);
    high_watermark_ = std::max(high_watermark_, log_start_offset_);
    ASSERT(log_start_offset_ <= log_end_offset_);
    producers_.truncate_head(log_start_offset_);
    if (epochs_.truncate_from_start(log_start_offset_)) {
        TRY_VOID(write_leader_epochs());
    }
    for (const auto& s : doomed) {
        TRY_VOID(s->remove_files());
    }
    if (!env_.disk.sync_directory(dir_).ok()) {
        crash_after_failed_sync(env_, dir_);
    }
    stats_.segments_deleted += static_cast<uint64_t>(out.segments_deleted);
    check_invariants();
    env_.tracer.event("log.segments_deleted", {{"partition", tp_.to_string()},
                                               {"segments", out.segments_deleted},
                                               {"log_start", log_start_offset_.value()}});
    return out;
}

Result<void, LogError> PartitionLog::verify() {
    TRY_VOID(check_usable());
    const uint64_t generation = generation_;
    for (auto s = segments_.begin()->second; s != nullptr; s = segment_after(s->base_offset())) {
        BatchScanner scanner(s->log_file(), 0, s->size(), s->base_offset(), s->base_offset(),
                             /*verify_crc=*/true);
        while (true) {
            auto item = scanner.next();
            if (!item.ok()) {
                if (generation_ != generation) {
                    return fail(LogError::io_error);  // changed under us; try again
                }
                if (item.error().stop == ScanStop::torn) {
                    mark_offline("verify: segment " + offset_file_stem(s->base_offset()) +
                                 " is damaged at position " +
                                 std::to_string(item.error().position));
                    return fail(LogError::corrupt_data);
                }
                return fail(LogError::io_error);
            }
            if (!item->has_value()) {
                break;
            }
        }
    }
    return {};
}

Result<void, LogError> PartitionLog::close() {
    if (closed_) {
        return {};
    }
    stopping_ = true;
    flush_wakeup_.notify_all();
    if (flusher_.valid() && !flusher_.done()) {
        (void)flusher_.join();
    }
    if (!offline_) {
        LockGuard guard(append_mutex_);
        if (log_end_offset_ > durable_offset_ || dir_dirty_) {
            flush_once();
        }
        ASSERT(durable_offset_ == log_end_offset_, "a closed log is durable to its end");

        active_->sync_indexes();
        write_producer_snapshot(log_end_offset_);
    }
    closed_ = true;
    durable_waiters_.notify_all();
    env_.tracer.event("log.closed",
                      {{"partition", tp_.to_string()}, {"log_end", log_end_offset_.value()}});
    return {};
}

}  // namespace eddy::log
