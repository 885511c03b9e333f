// PartitionLog: opening, state, appending. Reading and offset lookups are in
// partition_log_read.cpp; recovery, flushing and maintenance in partition_log_recovery.cpp,
// partition_log_flush.cpp and partition_log_maintenance.cpp. See partition_log.h.
#include "services/log/partition_log.h"

#include <algorithm>
#include <cstring>

#include "services/log/checkpoint.h"

namespace eddy::log {

struct PartitionLog::Validated {
    struct Batch {
        size_t at = 0;  // position in the payload
        uint32_t size = 0;
        int32_t last_offset_delta = 0;
        int32_t record_count = 0;
        Offset base_offset;  // as sent (replica mode keeps it)
        LeaderEpoch epoch;   // as sent
        record::TimestampMs max_record_timestamp = record::no_timestamp;
        record::TimestampMs header_max_timestamp = record::no_timestamp;
        ProducerAppend producer;  // producer_id -1: not idempotent
        record::Codec codec = record::Codec::none;
        bool control = false;
    };
    std::vector<Batch> batches;
    int64_t records = 0;
};

PartitionLog::PartitionLog(Env& env, OpenOptions options)
    : env_(env),
      dir_(std::move(options.dir)),
      tp_(std::move(options.topic_partition)),
      config_(options.config),
      hooks_(options.hooks),
      knobs_(options.knobs),
      verify_on_open_(options.verify_on_open),
      log_start_offset_(options.log_start_offset),
      recovery_point_at_open_(options.recovery_point),
      high_watermark_at_open_(options.high_watermark),
      first_dirty_offset_(options.cleaner_offset),
      append_mutex_(env.scheduler),
      maintenance_mutex_(env.scheduler),
      flush_wakeup_(env.scheduler),
      durable_waiters_(env.scheduler) {}

PartitionLog::~PartitionLog() {
    ASSERT(!flusher_.valid() || flusher_.done(), "a partition log destroyed without close()");
}

Result<std::unique_ptr<PartitionLog>, LogError> PartitionLog::open(Env& env, OpenOptions options) {
    ASSERT(options.recovery_point.value() >= 0);
    ASSERT(options.log_start_offset.value() >= 0);
    TRY_VOID(options.config.validate());
    std::unique_ptr<PartitionLog> log(new PartitionLog(env, std::move(options)));
    TRY_VOID(log->recover());
    ASSERT(log->active_ != nullptr, "an open log has a segment");
    ASSERT(!log->segments_.empty(), "an open log has a segment");
    ASSERT(log->durable_offset_ <= log->log_end_offset_);
    if (!log->offline_) {
        log->check_invariants();
    }
    if (log->first_dirty_offset_ < log->log_start_offset_ ||
        log->first_dirty_offset_ > log->log_end_offset_) {
        // Kafka's rule for a checkpoint that does not fit the log: clean it all again.
        log->first_dirty_offset_ = log->log_start_offset_;
    }
    log->opened_ = true;
    log->last_flush_ = env.clock.now();
    log->flush_requested_ = log->durable_offset_;
    if (log->config_.segment_jitter > Duration::zero()) {
        log->roll_jitter_ = Duration::nanos(static_cast<int64_t>(
            env.random.below(static_cast<uint64_t>(log->config_.segment_jitter.to_nanos()))));
    }
    PartitionLog* self = log.get();
    log->flusher_ = env.scheduler.spawn("log-flusher/" + log->tp_.to_string(),
                                        [self] { self->flusher_main(); });
    env.tracer.event("log.open", {{"partition", self->tp_.to_string()},
                                  {"log_start", self->log_start_offset_.value()},
                                  {"log_end", self->log_end_offset_.value()},
                                  {"segments", self->segments_.size()},
                                  {"offline", self->offline_}});
    return log;
}

Result<void, LogError> PartitionLog::check_usable() const {
    if (offline_) {
        return fail(LogError::offline);
    }
    if (closed_ || stopping_) {
        return fail(LogError::closed);
    }
    return {};
}

void PartitionLog::check_invariants() const {
    ASSERT(!segments_.empty(), "the active segment is the last one");
    ASSERT(active_ == std::prev(segments_.end())->second, "the active segment is the last one");
    ASSERT(log_start_offset_ >= segments_.begin()->first, "the log start lies in a segment");
    ASSERT(log_start_offset_ <= high_watermark_, "log start <= high watermark <= log end");
    ASSERT(high_watermark_ <= log_end_offset_, "log start <= high watermark <= log end");
    ASSERT(durable_offset_ <= log_end_offset_, "nothing past the log end is durable");
    ASSERT(active_->next_offset(), "the active segment ends at the log end");
    ASSERT(*active_->next_offset() == log_end_offset_, "the active segment ends at the log end");
    ASSERT(active_->base_offset() <= log_end_offset_, "the active segment starts by the log end");
    ASSERT(active_->synced_size() <= active_->size(), "nothing unwritten is synced");
    ASSERT(log_start_offset_.value() >= 0, "offsets are never negative");
    ASSERT(records_flushed_ <= records_appended_, "only appended records are flushed");
    if (segments_.size() >= 2) {
        // Only the segment before the active one: checking every segment on each append costs.
        const Segment& before = *std::prev(segments_.end(), 2)->second;
        ASSERT(before.base_offset() < active_->base_offset(), "segment bases increase");
        ASSERT(!before.next_offset() || *before.next_offset() <= active_->base_offset(),
               "a sealed segment ends at or before its successor's base");
    }
}

void PartitionLog::mark_offline(std::string reason, OfflineCause cause) {
    if (offline_) {
        return;
    }
    offline_ = true;
    offline_reason_ = std::move(reason);
    offline_cause_ = cause;
    env_.log.error("partition %s is offline: %s", tp_.to_string().c_str(), offline_reason_.c_str());
    env_.tracer.event("log.offline", {{"partition", tp_.to_string()},
                                      {"reason", offline_reason_},
                                      {"cause", cause == OfflineCause::damaged ? "damaged" : "storage"}});
    durable_waiters_.notify_all();
    flush_wakeup_.notify_all();
    if (!opened_) {
        return;  // recovery: open() reports the log offline itself
    }
    if (cause == OfflineCause::damaged) {
        // Remembered, so a restart does not serve the bad bytes again where recovery trusts
        // synced data without reading it. Best effort: a disk that cannot take it fails the
        // next open some other way.
        const std::string text = offline_reason_ + "\n";
        (void)write_file_atomic(env_, dir_, file_names::damaged_marker,
                                ByteSpan(reinterpret_cast<const std::byte*>(text.data()), text.size()));
    }
    if (hooks_ != nullptr) {
        hooks_->log_failed(*this);
    }
}

Result<void, LogError> PartitionLog::set_config(const LogConfig& config) {
    TRY_VOID(config.validate());
    config_ = config;
    flush_wakeup_.notify_all();  // the flush policy may have changed
    return {};
}

// --- Segment lookups -----------------------------------------------------------------------------

std::shared_ptr<Segment> PartitionLog::floor_segment(Offset offset) const {
    auto it = segments_.upper_bound(offset);
    if (it == segments_.begin()) {
        return segments_.empty() ? nullptr : segments_.begin()->second;
    }
    return std::prev(it)->second;
}

std::shared_ptr<Segment> PartitionLog::segment_after(Offset base) const {
    auto it = segments_.upper_bound(base);
    return it == segments_.end() ? nullptr : it->second;
}

Offset PartitionLog::segment_offset_end(const Segment& s) const {
    auto next = segment_after(s.base_offset());
    Offset end = next ? next->base_offset() : Offset(INT64_MAX);
    if (s.next_offset()) {
        end = std::min(end, *s.next_offset());
    }
    return end;
}

Offset PartitionLog::bound_offset(ReadBound bound) const {
    switch (bound) {
        case ReadBound::high_watermark:
            return high_watermark_;
        case ReadBound::durable:
            return durable_offset_;
        case ReadBound::log_end:
            return log_end_offset_;
    }
    UNREACHABLE("read bound");
}

void PartitionLog::set_high_watermark(Offset hw) {
    ASSERT(log_start_offset_ <= log_end_offset_, "a log's start is not past its end");
    high_watermark_ = std::clamp(hw, log_start_offset_, log_end_offset_);
    ASSERT(high_watermark_ >= log_start_offset_);
    ASSERT(high_watermark_ <= log_end_offset_);
}

uint64_t PartitionLog::size_bytes() const {
    uint64_t total = 0;
    for (const auto& [base, s] : segments_) {
        (void)base;
        total += s->size();
    }
    return total;
}

std::vector<Offset> PartitionLog::segment_base_offsets() const {
    std::vector<Offset> out;
    for (const auto& [base, s] : segments_) {
        (void)s;
        out.push_back(base);
    }
    return out;
}

// --- Appending -----------------------------------------------------------------------------------

namespace {

void reject(const AppendOptions& o, std::string message) {
    if (o.rejection != nullptr) {
        o.rejection->message = std::move(message);
        o.rejection->record_errors.clear();
    }
}

// Kafka's LogValidator.validateRecord for one batch: a keyless record on a compacted topic
// (INVALID_RECORD), a CreateTime timestamp outside [now - before, now + after] or a producer that
// claims LogAppendTime (INVALID_TIMESTAMP); one error per record, the key checked first. Only
// called when the batch summary shows a problem, so the common append never decodes twice.
struct RecordChecks {
    bool keys = false;        // compacted topic
    bool timestamps = false;  // leader append: check the timestamp rules
    record::TimestampType topic_type = record::TimestampType::create_time;
    int64_t lowest_ms = INT64_MIN;  // CreateTime bounds
    int64_t highest_ms = INT64_MAX;
};

Result<std::pair<std::vector<RecordError>, bool>, LogError> record_errors(
    const record::RecordBatchView& view, const RecordChecks& c, size_t decompressed_max) {
    auto records = record::BatchRecords::open(view, decompressed_max);
    if (!records.ok()) {
        return fail(from_batch_error(records.error()));
    }
    std::vector<RecordError> out;
    bool timestamp_error = false;
    record::RecordReader reader = records->reader();
    for (int32_t i = 0; !reader.done() && out.size() < limits::record_errors_max; ++i) {
        auto r = reader.next();
        if (!r.ok()) {
            return fail(from_batch_error(r.error()));
        }
        if (c.keys && !r->key) {
            out.push_back({i, "Compacted topic cannot accept a record without a key"});
            continue;
        }
        if (!c.timestamps) {
            continue;
        }
        const int64_t ts = view.record_timestamp(*r).value();
        if (c.topic_type == record::TimestampType::create_time &&
            ts != record::no_timestamp.value()) {
            if (ts < c.lowest_ms || ts > c.highest_ms) {
                timestamp_error = true;
                out.push_back({i, "Timestamp " + std::to_string(ts) + " of record " +
                                      std::to_string(i) +
                                      " is out of range: it should be within [" +
                                      std::to_string(c.lowest_ms) + ", " +
                                      std::to_string(c.highest_ms) + "]"});
            }
        } else if (view.timestamp_type() == record::TimestampType::log_append_time) {
            timestamp_error = true;
            out.push_back({i, "Invalid timestamp type in record " + std::to_string(i) +
                                  ": a producer must not set the timestamp type to LogAppendTime"});
        }
    }
    return std::make_pair(std::move(out), timestamp_error);
}

}  // namespace

Result<PartitionLog::Validated, LogError> PartitionLog::validate(MutableByteSpan payload,
                                                                 const AppendOptions& o) const {
    auto split = record::split_batches(payload, record::PartialTail::reject);
    if (!split.ok()) {
        reject(o, std::string(record::to_string(split.error())));
        return fail(from_batch_error(split.error()));
    }
    ASSERT(split->size() <= payload.size(), "a batch takes at least one byte");
    if (split->empty()) {
        reject(o, "no record batches");
        return fail(LogError::invalid_record);
    }
    const bool leader = o.mode == AppendMode::leader;
    record::ValidateOptions vo;
    vo.decode_records = true;
    vo.offset_deltas =
        leader ? record::OffsetDeltas::consecutive : record::OffsetDeltas::increasing;
    vo.decompressed_bytes_max = static_cast<size_t>(std::clamp<uint64_t>(
        limits::decompressed_per_message_byte_max * config_.max_message_bytes,
        record::limits::decompressed_bytes_default, record::limits::decompressed_bytes_max));
    RecordChecks checks;
    checks.keys = compacts(config_.cleanup_policy);
    checks.topic_type = config_.message_timestamp_type;
    const int64_t now_ms = env_.clock.wall_now().to_millis();
    const Duration before = config_.timestamp_before_bound();
    const Duration after = config_.timestamp_after_bound();
    // Duration::max() is no bound; finite bounds are far from int64's ends (Duration is in ns).
    checks.lowest_ms = before == Duration::max() ? INT64_MIN : now_ms - before.to_millis();
    checks.highest_ms = after == Duration::max() ? INT64_MAX : now_ms + after.to_millis();
    Validated out;
    size_t at = 0;
    for (const record::RecordBatchView& view : *split) {
        if (view.bytes().size() > config_.max_message_bytes) {
            // Kafka's rule: the batch as sent (compressed), header included.
            reject(o, "The record batch size in the append to " + tp_.to_string() + " is " +
                          std::to_string(view.bytes().size()) +
                          " bytes (as sent, compressed) which exceeds max.message.bytes=" +
                          std::to_string(config_.max_message_bytes));
            return fail(LogError::message_too_large);
        }
        auto summary = view.validate(vo);
        if (!summary.ok()) {
            if (summary.error() == record::BatchError::decompressed_too_large) {
                reject(o, "The record batch in the append to " + tp_.to_string() +
                              " decompresses to more than " +
                              std::to_string(vo.decompressed_bytes_max) + " bytes (" +
                              std::to_string(limits::decompressed_per_message_byte_max) +
                              " x max.message.bytes, Eddy's bound on a batch's plain size)");
            } else {
                reject(o, std::string(record::to_string(summary.error())));
            }
            return fail(from_batch_error(summary.error()));
        }
        const bool key_problem = checks.keys && summary->any_null_key && !view.is_control();
        checks.timestamps = leader && !view.is_control();
        const bool time_problem =
            checks.timestamps && summary->record_count > 0 &&
            (view.timestamp_type() == record::TimestampType::log_append_time ||
             (config_.message_timestamp_type == record::TimestampType::create_time &&
              (summary->min_record_timestamp.value() < checks.lowest_ms ||
               summary->max_record_timestamp.value() > checks.highest_ms)));
        if (key_problem || time_problem) {
            TRY_ASSIGN(auto found, record_errors(view, checks, vo.decompressed_bytes_max));
            auto& [errors, timestamp_error] = found;
            if (!errors.empty()) {
                if (o.rejection != nullptr) {
                    o.rejection->message =
                        timestamp_error
                            ? "One or more records have been rejected due to invalid timestamp"
                            : "One or more records have been rejected: " + errors.front().message;
                    o.rejection->record_errors = std::move(errors);
                }
                return fail(timestamp_error ? LogError::invalid_timestamp
                                            : LogError::invalid_record);
            }
        }
        Validated::Batch b;
        b.at = at;
        b.size = static_cast<uint32_t>(view.bytes().size());
        b.last_offset_delta = view.last_offset_delta();
        b.record_count = summary->record_count;
        b.base_offset = view.base_offset();
        b.epoch = view.partition_leader_epoch();
        b.max_record_timestamp = summary->max_record_timestamp;
        b.header_max_timestamp = view.max_timestamp();
        b.producer = ProducerAppend{view.producer_id(), view.producer_epoch(), view.base_sequence(),
                                    view.last_offset_delta()};
        b.codec = view.compression();
        b.control = view.is_control();
        if (b.producer.producer_id.value() >= 0 && b.producer.first_sequence < 0) {
            reject(o, "Invalid sequence number " + std::to_string(b.producer.first_sequence) +
                          " in a record batch with producer id " +
                          std::to_string(b.producer.producer_id.value()));
            return fail(LogError::invalid_record);  // idempotent batches carry a sequence
        }
        ASSERT(b.size > 0, "a batch lies in the payload");
        ASSERT(b.at + b.size <= payload.size(), "a batch lies in the payload");
        out.records += summary->record_count;
        out.batches.push_back(b);
        at += view.bytes().size();
    }
    ASSERT(!out.batches.empty(), "an empty append was refused above");
    ASSERT(at == payload.size(), "split_batches covers the payload");
    if (payload.size() > config_.segment_bytes) {
        reject(o,
               "The append of " + std::to_string(payload.size()) +
                   " bytes is larger than segment.bytes=" + std::to_string(config_.segment_bytes));
        return fail(LogError::record_list_too_large);
    }
    return out;
}

Result<void, LogError> PartitionLog::recompress(MutableByteSpan& payload, Validated& v,
                                                Bytes& converted, const AppendOptions& o) const {
    ASSERT(config_.compression.has_value());
    const record::Codec target = *config_.compression;
    const bool needed = std::any_of(v.batches.begin(), v.batches.end(), [target](const auto& b) {
        return b.codec != target && !b.control;  // Kafka leaves control batches as written
    });
    if (!needed) {
        return {};
    }
    const auto cap = static_cast<size_t>(std::clamp<uint64_t>(
        limits::decompressed_per_message_byte_max * config_.max_message_bytes,
        record::limits::decompressed_bytes_default, record::limits::decompressed_bytes_max));
    converted.clear();
    size_t at = 0;
    for (auto& b : v.batches) {
        const ByteSpan bytes = ByteSpan(payload).subspan(b.at, b.size);
        b.at = at;
        if (b.codec == target || b.control) {
            converted.insert(converted.end(), bytes.begin(), bytes.end());
        } else {
            auto view = record::RecordBatchView::parse(bytes);
            ASSERT(view.ok(), "validated batches parse");
            ASSERT(!b.control, "control batches keep their codec");
            auto re = record::recompress(*view, target, cap, config_.level_of(target));
            if (!re.ok()) {
                reject(o, "The record batch could not be recompressed to " +
                              std::string(record::to_string(target)) + ": " +
                              std::string(record::to_string(re.error())));
                return fail(from_batch_error(re.error()));
            }
            if (re->size() > config_.max_message_bytes) {
                reject(o, "The record batch recompressed to " +
                              std::string(record::to_string(target)) + " (compression.type) is " +
                              std::to_string(re->size()) + " bytes, over max.message.bytes=" +
                              std::to_string(config_.max_message_bytes));
                return fail(LogError::message_too_large);
            }
            b.size = static_cast<uint32_t>(re->size());
            b.codec = target;
            converted.insert(converted.end(), re->begin(), re->end());
        }
        at += b.size;
    }
    if (converted.size() > config_.segment_bytes) {
        reject(o,
               "The recompressed append of " + std::to_string(converted.size()) +
                   " bytes is larger than segment.bytes=" + std::to_string(config_.segment_bytes));
        return fail(LogError::record_list_too_large);
    }
    ASSERT(at == converted.size(), "the batches' positions follow the rewritten payload");
    payload = MutableByteSpan(converted);
    return {};
}

Result<AppendInfo, LogError> PartitionLog::append(MutableByteSpan batches, AppendOptions options) {
    TRY_ASSIGN(AppendInfo info, append_nowait(batches, options));
    if (config_.durable_acks()) {
        TRY_VOID(wait_durable(info.last_offset));
        ASSERT(knobs_.ack_before_sync || durable_offset_ > info.last_offset,
               "a durable append is acknowledged only once synced");
    }
    return info;
}

Result<AppendInfo, LogError> PartitionLog::append_nowait(MutableByteSpan payload,
                                                         AppendOptions options) {
    TRY_VOID(check_usable());
    TRY_ASSIGN(Validated v, validate(payload, options));
    // compression.type other than producer: the leader rewrites batches written with another
    // codec into a buffer of its own (the common case, producer, writes the request's bytes).
    Bytes converted;
    if (options.mode == AppendMode::leader && config_.compression) {
        TRY_VOID(recompress(payload, v, converted, options));
    }
    LockGuard guard(append_mutex_);
    TRY_VOID(check_usable());  // the wait for the mutex may have seen a close or a failure
    if (options.mode == AppendMode::leader) {
        // Idempotent producers: checked under the append mutex, so that check and write are one
        // step for every appender. Kafka takes one batch per partition from such a producer.
        const bool idempotent = std::any_of(v.batches.begin(), v.batches.end(), [](const auto& b) {
            return b.producer.producer_id.value() >= 0;
        });
        if (idempotent && v.batches.size() != 1) {
            reject(options, "an idempotent producer's append to a partition is one record batch");
            return fail(LogError::invalid_record);
        }
        if (idempotent && !knobs_.skip_producer_checks) {
            TRY_ASSIGN(auto retry, producers_.check(v.batches.front().producer));
            if (retry) {
                ASSERT(retry->first_offset <= retry->last_offset);
                ASSERT(retry->last_offset < log_end_offset_,
                       "a retried batch the producer state knows is in the log");
                AppendInfo dup;
                dup.base_offset = retry->first_offset;
                dup.last_offset = retry->last_offset;
                dup.duplicate = true;
                dup.log_start_offset = log_start_offset_;
                ++stats_.duplicates;
                return dup;
            }
        }
    }

    AppendInfo info;
    std::vector<BatchMeta> metas;
    metas.reserve(v.batches.size());
    const record::TimestampMs now_ms(env_.clock.wall_now().to_millis());
    const Offset end_before = log_end_offset_;
    Offset next = log_end_offset_;
    if (options.mode == AppendMode::replica) {
        next = v.batches.front().base_offset;
        if (next < log_end_offset_) {
            return fail(LogError::invalid_offsets);
        }
    }
    for (const Validated::Batch& b : v.batches) {
        MutableByteSpan bytes = payload.subspan(b.at, b.size);
        record::TimestampMs max_ts = b.header_max_timestamp;
        if (options.mode == AppendMode::leader) {
            record::set_base_offset(bytes, next);
            if (options.leader_epoch.value() >= 0) {
                record::set_partition_leader_epoch(bytes, options.leader_epoch);
            }
            if (config_.message_timestamp_type == record::TimestampType::log_append_time) {
                record::stamp_log_append_time(bytes, now_ms);
                max_ts = now_ms;
                info.log_append_time = now_ms;
            } else {
                // Kafka's LogValidator: MaxTimestamp is the records' real maximum.
                record::set_max_timestamp(bytes, record::TimestampType::create_time,
                                          b.max_record_timestamp);
                max_ts = b.max_record_timestamp;
            }
        } else if (b.base_offset < next) {
            return fail(LogError::invalid_offsets);  // replica batches must increase
        }
        const Offset base = options.mode == AppendMode::leader ? next : b.base_offset;
        ASSERT(base >= next, "offsets increase batch by batch");
        ASSERT(b.last_offset_delta >= 0, "validated batches have a last offset delta");
        const BatchMeta meta{base, base + b.last_offset_delta, max_ts, b.size};
        if (info.batch_count == 0 || max_ts > info.max_timestamp) {
            info.max_timestamp = max_ts;
            info.offset_of_max_timestamp = meta.last_offset;
        }
        metas.push_back(meta);
        ++info.batch_count;
        next = meta.last_offset + 1;
    }
    info.base_offset = metas.front().base_offset;
    info.last_offset = metas.back().last_offset;
    info.record_count = v.records;
    info.bytes = payload.size();
    ASSERT(info.base_offset >= end_before, "an append never reuses an offset");
    ASSERT(options.mode == AppendMode::replica || info.base_offset == end_before,
           "a leader's append starts at the log end");
    ASSERT(info.last_offset >= info.base_offset);

    TRY_VOID(maybe_roll(payload.size(), info.base_offset, info.last_offset));
    // Leader epochs: the leader's own, or each replicated batch's (Kafka's assign per batch).
    bool epochs_changed = false;
    for (size_t i = 0; i < metas.size(); ++i) {
        const LeaderEpoch e =
            options.mode == AppendMode::leader ? options.leader_epoch : v.batches[i].epoch;
        if (e.value() >= 0) {
            epochs_changed = epochs_.assign(e, metas[i].base_offset) || epochs_changed;
        }
    }
    if (epochs_changed) {
        TRY_VOID(write_leader_epochs());
    }

    auto written = active_->append(payload, metas);
    if (!written.ok()) {
        mark_offline("append to " + active_->log_path() +
                         " failed: " + std::string(to_string(written.error())),
                     OfflineCause::storage_failed);
        return fail(written.error());
    }
    ASSERT(active_->next_offset() == info.last_offset + 1);
    ASSERT(log_end_offset_ == end_before, "the append mutex keeps the log end still");
    log_end_offset_ = info.last_offset + 1;
    for (size_t i = 0; i < metas.size(); ++i) {
        if (v.batches[i].producer.producer_id.value() >= 0) {
            producers_.record(v.batches[i].producer, metas[i].base_offset, metas[i].last_offset,
                              now_ms);
        }
    }
    records_appended_ += static_cast<uint64_t>(v.records);
    ++stats_.appends;
    stats_.batches += metas.size();
    stats_.records += static_cast<uint64_t>(v.records);
    stats_.bytes_appended += payload.size();
    info.log_start_offset = log_start_offset_;
    check_invariants();
    flush_wakeup_.notify_all();
    return info;
}

Result<void, LogError> PartitionLog::maybe_roll(uint64_t bytes, Offset first_offset,
                                                Offset last_offset) {
    const WallTime now = env_.clock.wall_now();
    Segment& a = *active_;
    if (!a.roll_base_time()) {
        a.set_roll_base_time(now);
    }
    const bool full = a.size() > 0 && a.size() + bytes > config_.segment_bytes;
    const bool old =
        a.size() > 0 && now - *a.roll_base_time() > config_.roll_after() - roll_jitter_;
    const bool offsets_overflow = last_offset - a.base_offset() > limits::segment_offsets_max;
    // segment.index.bytes: Kafka rolls once either index is full (8- and 12-byte entries).
    const bool index_full =
        a.size() > 0 && (a.offset_index().entries().size() + 1 > config_.segment_index_bytes / 8 ||
                         a.time_index().entries().size() + 1 > config_.segment_index_bytes / 12);
    // A segment rolled early (about one append in 32 once the site is on), so that the paths
    // across segment boundaries — reads, truncations, retention, snapshots — are taken often.
    const bool forced = a.size() > 0 && BUGGIFY(env_) && env_.random.below(8) == 0;
    if (!full && !old && !offsets_overflow && !index_full && !forced) {
        return {};
    }

    ASSERT(first_offset <= last_offset);
    TRY_VOID(roll_to(first_offset));
    ASSERT(active_->base_offset() == first_offset, "an append after a roll starts the new segment");
    ASSERT(active_->size() == 0, "an append after a roll starts the new segment");
    active_->set_roll_base_time(now);
    return {};
}

Result<void, LogError> PartitionLog::roll_to(Offset base) {
    ASSERT(base >= log_end_offset_, "a new segment starts at or after the log end");
    if (active_->size() == 0 && active_->base_offset() == base) {
        return {};
    }
    active_->seal();
    // The sealed segment is durable before its successor takes a byte, so a crash can only lose
    // the tail of the last segment: recovery relies on it (a gap between segments past the
    // recovery point would otherwise be lost data, not compaction).
    active_->sync_log(active_->size());
    active_->sync_indexes();
    auto created = Segment::create(env_, dir_, base, config_.index_interval_bytes);
    if (!created.ok()) {
        mark_offline("cannot create segment " + offset_file_stem(base) + ": " +
                         std::string(to_string(created.error())),
                     OfflineCause::storage_failed);
        return fail(created.error());
    }
    if (active_->size() == 0) {
        // An empty active segment (a replica jumping ahead): replace it instead of leaving an
        // empty file behind.
        std::shared_ptr<Segment> empty = active_;
        segments_.erase(empty->base_offset());
        ++generation_;
        (void)empty->remove_files();
    }
    ASSERT(segments_.empty() || std::prev(segments_.end())->first < base,
           "a new segment's base is above every other");
    segments_.emplace(base, *created);
    active_ = *created;
    ASSERT(active_ == std::prev(segments_.end())->second, "the new segment is the last one");
    write_producer_snapshot(base);
    dir_dirty_ = true;
    ++stats_.rolls;
    env_.tracer.event("log.roll", {{"partition", tp_.to_string()}, {"base", base.value()}});
    return {};
}

Result<void, LogError> PartitionLog::wait_durable(Offset last_offset, Instant deadline) {
    if (knobs_.ack_before_sync) {
        return {};  // the planted bug
    }
    const uint64_t truncations = truncations_;
    const Offset end_at_start = log_end_offset_;
    Offset lowest_end = end_at_start;
    while (durable_offset_ <= last_offset) {
        if (offline_) {
            return fail(LogError::offline);
        }
        if (truncations_ != truncations) {
            lowest_end = std::min(lowest_end, log_end_offset_);
            if (lowest_end <= last_offset) {
                return fail(LogError::truncated);
            }
        }
        if (closed_) {
            return fail(LogError::closed);
        }
        const WakeReason r = durable_waiters_.wait(deadline);
        if (r == WakeReason::timeout) {
            return fail(LogError::timed_out);
        }
        if (r != WakeReason::notified) {
            return fail(LogError::closed);  // cancelled: the caller is going away
        }
    }
    ASSERT(durable_offset_ <= log_end_offset_);
    return {};
}


Result<void, LogError> PartitionLog::flush() {
    TRY_VOID(check_usable());
    const Offset end = log_end_offset_;
    if (end <= durable_offset_) {
        return {};
    }
    flush_requested_ = std::max(flush_requested_, end);
    flush_wakeup_.notify_all();
    return wait_durable(end - 1);
}

}  // namespace eddy::log
