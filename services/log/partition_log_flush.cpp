// PartitionLog group commit: the flusher fiber. See partition_log.h.
//
// One cycle: note the log end (the target), sync every segment with unsynced bytes (oldest
// first) and the directory if segments were created, then — if no truncation raced with it —
// advance the durable offset to the target and wake every waiting append. Appends that arrive
// while a sync is in flight are not covered by it (the target was taken before it started); they
// wait for the next cycle, which covers all of them at once.
#include "services/log/checkpoint.h"
#include "services/log/partition_log.h"

namespace eddy::log {

bool PartitionLog::flush_due() const {
    if (offline_ || log_end_offset_ <= durable_offset_) {
        return false;
    }
    if (config_.durable_acks() || flush_requested_ > durable_offset_) {
        return true;
    }
    // Page-cache mode (Kafka's flush.messages / flush.ms).
    return records_appended_ - records_flushed_ >= config_.flush_messages ||
           env_.clock.now() - last_flush_ >= config_.flush_ms;
}

void PartitionLog::flusher_main() {
    while (!stopping_) {
        // A truncation cutting files makes a flush pointless (it could not count): wait for it.
        if (truncating_ || !flush_due()) {
            Instant deadline = Instant::max();
            if (!truncating_ && !config_.durable_acks() && config_.flush_ms < Duration::max() &&
                log_end_offset_ > durable_offset_) {
                deadline = last_flush_ + config_.flush_ms;
            }
            const WakeReason r = flush_wakeup_.wait(deadline);
            if (r == WakeReason::cancelled) {
                return;
            }
            continue;
        }
        // Delayed sync: the flusher yields before syncing, so the appends written so far wait
        // longer and later ones pile up for the same sync; then it looks at the log again.
        if (BUGGIFY(env_)) {
            if (env_.scheduler.sleep_for(Duration::millis(env_.random.between(1, 50))) ==
                WakeReason::cancelled) {
                return;
            }
            continue;
        }
        flush_once();
    }
}

void PartitionLog::flush_once() {
    const Offset target = log_end_offset_;
    const Offset durable_before = durable_offset_;
    const uint64_t records = records_appended_;
    const uint64_t truncations = truncations_;
    ASSERT(target > durable_offset_ || dir_dirty_, "a flush with nothing to do");
    // Every segment that may hold unsynced bytes: from the one holding the durable offset on.
    std::vector<std::pair<std::shared_ptr<Segment>, uint64_t>> dirty;
    for (auto s = floor_segment(durable_offset_); s != nullptr;
         s = segment_after(s->base_offset())) {
        if (s->synced_size() < s->size()) {
            dirty.emplace_back(s, s->size());
        }
    }
    const bool sync_dir = dir_dirty_;
    dir_dirty_ = false;

    const Instant sync_started = env_.clock.now();
    for (auto& [segment, size] : dirty) {
        segment->sync_log(size);  // crashes the node on failure
    }
    if (sync_dir && !env_.disk.sync_directory(dir_).ok()) {
        crash_after_failed_sync(env_, dir_);
    }
    ++stats_.syncs;
    last_flush_ = env_.clock.now();
    stats_.sync_seconds.observe((last_flush_ - sync_started).to_seconds());
    ASSERT(durable_offset_ <= log_end_offset_, "the durable offset never passes the log end");
    if (truncations_ == truncations && !truncating_) {
        ASSERT(target <= log_end_offset_);
        ASSERT(durable_offset_ >= durable_before, "without a truncation the durable offset only rises");
        durable_offset_ = std::max(durable_offset_, target);
        if (records > records_flushed_) {
            stats_.sync_records.observe(static_cast<double>(records - records_flushed_));
        }
        records_flushed_ = std::max(records_flushed_, records);
        ASSERT(records_flushed_ <= records_appended_);
    }
    ASSERT(durable_offset_ <= log_end_offset_, "a sync never makes the unwritten durable");

    env_.tracer.event("log.synced", {{"partition", tp_.to_string()},
                                     {"durable", durable_offset_.value()},
                                     {"segments", dirty.size()}});
    durable_waiters_.notify_all();
}

}  // namespace eddy::log
