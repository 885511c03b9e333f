// Log compaction. See cleaner.h.
#include "services/log/cleaner.h"

#include <span>
#include <string>
#include <unordered_map>

#include "services/log/batch_filter.h"
#include "services/log/checkpoint.h"

namespace eddy::log {
namespace {

constexpr size_t write_chunk_bytes = 1024 * 1024;

struct Placed {
    BatchMeta meta;
    uint64_t position = 0;
};

}  // namespace

double Cleaner::dirty_ratio(const PartitionLog& log) {
    uint64_t total = 0;
    uint64_t dirty = 0;
    const Offset first_dirty = log.cleaner_offset();
    for (const auto& [base, s] : log.segments_) {
        if (s == log.active_) {
            continue;
        }
        total += s->size();
        const auto next = log.segment_after(base);
        if (next != nullptr && next->base_offset() > first_dirty) {
            dirty += s->size();
        }
    }
    return total == 0 ? 0.0 : static_cast<double>(dirty) / static_cast<double>(total);
}

bool Cleaner::tombstones_due(const PartitionLog& log) {
    return log.delete_horizon_next_ != record::no_timestamp &&
           log.delete_horizon_next_.value() <= log.env_.clock.wall_now().to_millis();
}

bool Cleaner::compaction_overdue(const PartitionLog& log, int64_t now_ms) {
    if (log.config_.max_compaction_lag == Duration::max()) {
        return false;
    }
    const int64_t deadline_ms = now_ms - log.config_.max_compaction_lag.to_millis();
    for (const auto& [base, s] : log.segments_) {
        if (s == log.active_) {
            break;
        }
        const auto next = log.segment_after(base);
        const bool dirty = next != nullptr && next->base_offset() > log.first_dirty_offset_;
        // The segment's newest record bounds its oldest one from above.
        if (dirty && s->size() > 0 && s->max_timestamp().value() <= deadline_ms) {
            return true;
        }
    }
    return false;
}

Result<CleanResult, LogError> Cleaner::clean(PartitionLog& log, bool force) {
    CleanResult out;
    TRY_VOID(log.check_usable());
    if (!compacts(log.config_.cleanup_policy)) {
        return out;
    }
    const double ratio = dirty_ratio(log);
    const int64_t now_ms = log.env_.clock.wall_now().to_millis();
    const bool dirty_enough =
        ratio > 0.0 && (force || ratio >= log.config_.min_cleanable_dirty_ratio ||
                        compaction_overdue(log, now_ms));
    if (!dirty_enough && !tombstones_due(log)) {
        return out;
    }
    Env& env = log.env_;
    uint64_t generation = log.generation_;
    std::vector<std::shared_ptr<Segment>> segs;
    Offset cleanable_end = log.active_->base_offset();
    for (const auto& [base, s] : log.segments_) {
        if (s == log.active_) {
            break;
        }
        // Nothing at or above the high watermark is cleaned (it is not committed yet: a
        // follower may still truncate it): only segments wholly below it.
        if (log.segment_offset_end(*s) > log.high_watermark_) {
            cleanable_end = base;
            break;
        }
        // min.compaction.lag.ms: cleaning stops at the first segment holding a record younger
        // than the lag (Kafka's first uncleanable offset).
        if (log.config_.min_compaction_lag > Duration::zero() &&
            s->max_timestamp().value() > now_ms - log.config_.min_compaction_lag.to_millis()) {
            cleanable_end = base;
            break;
        }
        segs.push_back(s);
    }
    if (segs.empty()) {
        return out;
    }
    // A damaged batch below the active segment is synced data gone bad — unless the log changed
    // under the pass (a truncation cut a file we were reading).
    auto scan_failed = [&](const ScanFailure& f, const Segment& s) -> LogError {
        if (log.generation_ != generation) {
            return LogError::io_error;
        }
        if (f.stop == ScanStop::torn) {
            log.mark_offline("compaction found segment " + offset_file_stem(s.base_offset()) +
                             " damaged at position " + std::to_string(f.position));
            return LogError::corrupt_data;
        }
        return LogError::io_error;
    };

    // 1. The latest offset of every key in the dirty segments (those ending past the cleaner
    // offset). The clean ones hold at most one record a key already, each the latest of the
    // clean part, so a key they share with the dirty part is superseded by the dirty offset.
    const Offset first_dirty = log.cleaner_offset();
    size_t mapped = 0;
    while (mapped < segs.size() && log.segment_offset_end(*segs[mapped]) <= first_dirty) {
        ++mapped;
    }
    std::unordered_map<std::string, Offset> latest;  // looked up, never iterated
    int batches = 0;
    for (const auto& seg : std::span(segs).subspan(mapped)) {
        if (latest.size() >= limits::cleaner_keys_max) {
            break;
        }
        BatchScanner scanner(seg->log_file(), 0, seg->size(), seg->base_offset(),
                             seg->base_offset(), /*verify_crc=*/true);
        while (true) {
            auto item = scanner.next();
            if (!item.ok()) {
                return fail(scan_failed(item.error(), *seg));
            }
            if (!item->has_value()) {
                break;
            }
            auto view = record::RecordBatchView::parse((*item)->bytes);
            ASSERT(view.ok(), "the scanner returns whole batches");
            if (!view->is_control()) {
                auto records = record::BatchRecords::open(*view);
                auto all = records.ok() ? records->decode_all()
                                        : Result<std::vector<record::Record>, record::BatchError>(
                                              fail(records.error()));
                if (!all.ok()) {
                    return fail(scan_failed({ScanStop::torn, (*item)->position}, *seg));
                }
                for (const record::Record& r : *all) {
                    if (r.key) {
                        latest[std::string(as_chars(*r.key))] = view->record_offset(r);
                    }
                }
            }
            if (++batches % limits::cleaner_batches_per_yield == 0) {
                env.scheduler.yield();
            }
        }
        ++mapped;
    }
    // Offsets up to here get cleaned this pass (segments past a full key map wait for the next).
    const Offset cleaned_end = mapped < segs.size() ? segs[mapped]->base_offset() : cleanable_end;
    ASSERT(cleaned_end <= log.active_->base_offset(), "the active segment is never cleaned");

    segs.resize(mapped);

    // 2. Groups of consecutive segments that fit one segment.
    std::vector<std::vector<std::shared_ptr<Segment>>> groups;
    uint64_t group_bytes = 0;
    for (const auto& seg : segs) {
        if (groups.empty() || group_bytes + seg->size() > log.config_.segment_bytes) {
            groups.emplace_back();
            group_bytes = 0;
        }
        groups.back().push_back(seg);
        group_bytes += seg->size();
    }

    // 3. and 4. Rewrite and swap each group. KIP-534: a tombstone is dropped once the delete
    // horizon of its batch has passed; a batch keeping a tombstone without a horizon gets one,
    // now + delete.retention.ms, so tombstones live that long from the first cleaning that saw
    // them (whatever their producer's timestamps say).
    const record::TimestampMs stamp_horizon(now_ms + log.config_.delete_retention.to_millis());
    record::TimestampMs horizon_next = record::no_timestamp;
    auto note_horizon = [&](record::TimestampMs h) {
        if (h != record::no_timestamp &&
            (horizon_next == record::no_timestamp || h < horizon_next)) {
            horizon_next = h;
        }
    };
    for (const auto& group : groups) {
        TRY_VOID(log.check_usable());
        const Offset base = group.front()->base_offset();
        const std::string stem = offset_file_stem(base);
        const std::string final_path =
            join_path(log.dir_, stem + std::string(file_names::log_suffix));
        const std::string cleaned_path = final_path + std::string(file_names::cleaned_suffix);
        const std::string swap_path = final_path + std::string(file_names::swap_suffix);
        auto opened = env.disk.open(cleaned_path, OpenMode::create);
        if (!opened.ok()) {
            return fail(from_disk_error(opened.error()));
        }
        std::unique_ptr<File> cleaned = std::move(opened).value();
        if (auto r = cleaned->truncate(0); !r.ok()) {
            return fail(from_disk_error(r.error()));
        }
        std::vector<Placed> placed;
        Bytes pending;
        uint64_t position = 0;
        uint64_t written = 0;
        bool changed = group.size() > 1;
        int64_t removed = 0;
        int64_t tombstones = 0;
        uint64_t bytes_in = 0;
        for (const auto& seg : group) {
            bytes_in += seg->size();
            BatchScanner scanner(seg->log_file(), 0, seg->size(), seg->base_offset(),
                                 seg->base_offset(), /*verify_crc=*/true);
            while (true) {
                auto item = scanner.next();
                if (!item.ok()) {
                    (void)env.disk.remove(cleaned_path);
                    return fail(scan_failed(item.error(), *seg));
                }
                if (!item->has_value()) {
                    break;
                }
                auto view = record::RecordBatchView::parse((*item)->bytes);
                ASSERT(view.ok());
                ByteSpan kept = (*item)->bytes;
                std::optional<Bytes> rewritten;
                if (!view->is_control() && !view->is_transactional()) {
                    const bool tombstones_expire =
                        view->has_delete_horizon() && view->base_timestamp().value() <= now_ms;
                    auto filtered = filter_batch(
                        *view,
                        [&](const record::Record& r, Offset o) {
                            if (!r.key) {
                                return true;
                            }
                            auto it = latest.find(std::string(as_chars(*r.key)));
                            if (it != latest.end() && o < it->second) {
                                ++removed;
                                return false;
                            }
                            if (!r.value && tombstones_expire) {
                                ++tombstones;
                                return false;
                            }
                            return true;
                        },
                        FilterOptions{stamp_horizon});
                    if (!filtered.ok()) {
                        (void)env.disk.remove(cleaned_path);
                        return fail(scan_failed({ScanStop::torn, (*item)->position}, *seg));
                    }
                    if (filtered->kept_tombstones > 0) {
                        note_horizon(filtered->delete_horizon);
                    }
                    if (filtered->rewritten) {
                        changed = true;
                        rewritten = std::move(filtered->rewritten);
                        kept = *rewritten;
                    }
                }
                if (!kept.empty()) {
                    const BatchMeta meta{view->base_offset(), view->last_offset(),
                                         view->max_timestamp(), static_cast<uint32_t>(kept.size())};
                    ASSERT(placed.empty() || meta.base_offset > placed.back().meta.last_offset,
                           "compaction keeps the batches in offset order");
                    ASSERT(meta.base_offset >= base, "a group's batches lie at or above its base");

                    placed.push_back({meta, position});
                    pending.insert(pending.end(), kept.begin(), kept.end());
                    position += kept.size();
                }
                if (pending.size() >= write_chunk_bytes) {
                    if (auto r = cleaned->write_at(written, pending); !r.ok()) {
                        (void)env.disk.remove(cleaned_path);
                        return fail(from_disk_error(r.error()));
                    }
                    written += pending.size();
                    pending.clear();
                }
                if (++batches % limits::cleaner_batches_per_yield == 0) {
                    env.scheduler.yield();
                }
            }
        }
        if (!changed) {
            cleaned.reset();
            (void)env.disk.remove(cleaned_path);
            continue;
        }
        if (!pending.empty()) {
            if (auto r = cleaned->write_at(written, pending); !r.ok()) {
                (void)env.disk.remove(cleaned_path);
                return fail(from_disk_error(r.error()));
            }
        }
        if (!cleaned->sync().ok()) {
            crash_after_failed_sync(env, cleaned_path);
        }
        cleaned.reset();

        LockGuard guard(log.maintenance_mutex_);
        if (log.generation_ != generation || !log.check_usable().ok()) {
            (void)env.disk.remove(cleaned_path);  // the log changed: abandon this pass
            return out;
        }
        auto sync_dir = [&] {
            if (!env.disk.sync_directory(log.dir_).ok()) {
                crash_after_failed_sync(env, log.dir_);
            }
        };
        // Commit point: the .swap name is durable.
        if (auto r = env.disk.rename(cleaned_path, swap_path); !r.ok()) {
            return fail(from_disk_error(r.error()));
        }
        sync_dir();
        for (const auto& seg : group) {
            TRY_VOID(seg->remove_files());
        }
        sync_dir();
        if (auto r = env.disk.rename(swap_path, final_path); !r.ok()) {
            return fail(from_disk_error(r.error()));
        }
        sync_dir();
        TRY_ASSIGN(auto fresh,
                   Segment::open(env, log.dir_, base, log.config_.index_interval_bytes));
        fresh->reset_index_state();
        for (const Placed& p : placed) {
            fresh->index_batch(p.meta, p.position);
        }
        fresh->seal();
        TRY_VOID(fresh->write_index_files());
        fresh->sync_indexes();
        ASSERT(fresh->size() == position, "the swapped-in segment is what was written");
        for (const auto& seg : group) {
            ASSERT(seg != log.active_, "compaction never rewrites the active segment");
            log.segments_.erase(seg->base_offset());
        }
        log.segments_.emplace(base, fresh);
        ASSERT(log.active_ == std::prev(log.segments_.end())->second,
               "the active segment stays the last one");
        ++log.generation_;
        generation = log.generation_;
        log.stats_.cleanings += 1;
        out.cleaned = true;
        out.segments_in += static_cast<int>(group.size());
        out.segments_out += 1;
        out.bytes_in += bytes_in;
        out.bytes_out += position;
        out.records_removed += removed;
        out.tombstones_removed += tombstones;
        env.tracer.event("log.compacted", {{"partition", log.tp_.to_string()},
                                           {"base", base.value()},
                                           {"segments", group.size()},
                                           {"bytes_in", bytes_in},
                                           {"bytes_out", position}});
    }
    ASSERT(cleaned_end <= log.log_end_offset_, "compaction cleans only what is in the log");
    log.first_dirty_offset_ = std::max(log.first_dirty_offset_, cleaned_end);

    log.delete_horizon_next_ = horizon_next;
    out.cleaner_offset = log.first_dirty_offset_;
    return out;
}

}  // namespace eddy::log
