// LogManager: the partition logs of one data directory. See log_manager.h.
#include "services/log/log_manager.h"

namespace eddy::log {

namespace {

bool ends_with(std::string_view s, std::string_view suffix) {
    return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

Result<OffsetCheckpoint, LogError> read_checkpoint(Env& env, const std::string& path) {
    TRY_ASSIGN(auto text, read_file_stable(env.disk, path, limits::checkpoint_bytes_max));
    if (!text) {
        return OffsetCheckpoint{};
    }
    auto parsed = parse_offset_checkpoint(as_chars(*text));
    if (!parsed) {
        // Written atomically and read stably, so this is real damage (or, very rarely, three
        // reads that flipped the same bit: see checkpoint.h). Recovering from offset 0
        // is always safe for the recovery point; for the log start it may resurrect records
        // below a DeleteRecords, which is logged loudly.
        env.log.error("%s is damaged; ignoring it", path.c_str());
        return OffsetCheckpoint{};
    }
    return std::move(*parsed);
}

}  // namespace

LogManager::LogManager(Env& env, LogManagerOptions options)
    : env_(env), options_(std::move(options)), checkpoint_mutex_(env.scheduler) {}

LogManager::~LogManager() {
    for (const FiberRef& f : fibers_) {
        ASSERT(f.done(), "a log manager destroyed with its fibers running (close() it)");
    }
}

std::string LogManager::partition_dir(const TopicPartition& tp) const {
    return join_path(options_.data_dir, tp.to_string());
}

std::vector<std::shared_ptr<PartitionLog>> LogManager::snapshot() const {
    std::vector<std::shared_ptr<PartitionLog>> out;
    for (const auto& [tp, log] : logs_) {
        (void)tp;
        out.push_back(log);
    }
    return out;
}

Result<void, LogError> LogManager::remove_tree(const std::string& dir) {
    auto names = env_.disk.list(dir);
    if (!names.ok()) {
        return fail(from_disk_error(names.error()));
    }
    for (const std::string& name : *names) {
        auto r = env_.disk.remove(join_path(dir, name));
        if (!r.ok() && r.error() != DiskError::not_found) {
            return fail(from_disk_error(r.error()));
        }
    }
    if (auto r = env_.disk.remove_directory(dir); !r.ok()) {
        return fail(from_disk_error(r.error()));
    }
    if (!env_.disk.sync_directory(options_.data_dir).ok()) {
        crash_after_failed_sync(env_, options_.data_dir);
    }
    return {};
}

Result<void, LogError> LogManager::open() {
    auto r = open_logs();
    if (!r.ok()) {
        // A read or write error part way (an injected disk fault found this): the logs opened
        // so far run their flushers and must be closed before the manager goes away. Their
        // close may fail too; the caller reports the first error.
        closed_ = true;
        for (const auto& log : snapshot()) {
            (void)log->close();
        }
        logs_.clear();
    }
    return r;
}

Result<void, LogError> LogManager::open_logs() {
    ASSERT(!opened_, "open() once");
    TRY_VOID(options_.default_config.validate());
    if (auto r = env_.disk.make_directory(options_.data_dir); !r.ok()) {
        return fail(from_disk_error(r.error()));
    }
    if (!options_.data_dir.empty()) {
        // The data directory's own entry must be durable before anything in it is.
        const size_t slash = options_.data_dir.rfind('/');
        const std::string parent =
            slash == std::string::npos ? std::string() : options_.data_dir.substr(0, slash);
        if (!env_.disk.sync_directory(parent).ok()) {
            crash_after_failed_sync(env_, parent);
        }
    }
    TRY_ASSIGN(
        OffsetCheckpoint recovery_points,
        read_checkpoint(env_, join_path(options_.data_dir, file_names::recovery_point_checkpoint)));
    TRY_ASSIGN(OffsetCheckpoint log_starts,
               read_checkpoint(
                   env_, join_path(options_.data_dir, file_names::log_start_offset_checkpoint)));
    TRY_ASSIGN(
        OffsetCheckpoint cleaner_offsets,
        read_checkpoint(env_, join_path(options_.data_dir, file_names::cleaner_offset_checkpoint)));
    const std::string hw_path = join_path(options_.data_dir, file_names::high_watermark_checkpoint);
    TRY_ASSIGN(OffsetCheckpoint high_watermarks, read_checkpoint(env_, hw_path));
    // A log the file does not name was created after it was last written (it is written at every
    // open): nothing of it is known to be committed, so its high watermark starts at its log
    // start, as Kafka's does, and replication moves it up. Without the file at all (a data
    // directory from before replication) everything recovered counts as committed.
    auto hw_file = env_.disk.exists(hw_path);
    if (!hw_file.ok()) {
        return fail(from_disk_error(hw_file.error()));
    }
    auto names = env_.disk.list(options_.data_dir);
    if (!names.ok()) {
        return fail(from_disk_error(names.error()));
    }
    for (const std::string& name : *names) {  // bytewise order: deterministic
        const std::string path = join_path(options_.data_dir, name);
        if (ends_with(name, file_names::tmp_suffix)) {
            (void)env_.disk.remove(path);
            continue;
        }
        if (ends_with(name, file_names::delete_dir_suffix)) {
            TRY_VOID(remove_tree(path));
            continue;
        }
        if (ends_with(name, file_names::damaged_dir_suffix)) {
            continue;  // evidence an operator may inspect, then delete
        }
        auto tp = parse_partition_dir(name);
        if (!tp) {
            continue;  // the checkpoints, or something that is not ours
        }
        PartitionLog::OpenOptions o;
        o.dir = path;
        o.topic_partition = *tp;
        o.config = options_.default_config;
        auto rp = recovery_points.find(*tp);
        auto ls = log_starts.find(*tp);
        o.recovery_point = rp == recovery_points.end() ? Offset(0) : rp->second;
        o.log_start_offset = ls == log_starts.end() ? Offset(0) : ls->second;
        auto co = cleaner_offsets.find(*tp);
        o.cleaner_offset = co == cleaner_offsets.end() ? Offset(0) : co->second;
        if (auto hw = high_watermarks.find(*tp); hw != high_watermarks.end()) {
            o.high_watermark = hw->second;
        } else if (*hw_file) {
            o.high_watermark = Offset(0);  // clamped up to the log start on open
        }
        o.hooks = this;
        o.knobs = options_.knobs;
        o.verify_on_open = options_.verify_on_open;
        TRY_ASSIGN(std::unique_ptr<PartitionLog> log, PartitionLog::open(env_, o));
        if (log->offline()) {
            offline_recovery_points_[*tp] = o.recovery_point;
            offline_log_starts_[*tp] = o.log_start_offset;
            if (co != cleaner_offsets.end()) {
                offline_cleaner_offsets_[*tp] = co->second;
            }
            if (o.high_watermark) {
                offline_high_watermarks_[*tp] = *o.high_watermark;
            }
        }
        logs_.emplace(*tp, std::shared_ptr<PartitionLog>(std::move(log)));
    }
    opened_ = true;
    TRY_VOID(checkpoint_recovery_points());
    TRY_VOID(checkpoint_log_start_offsets());
    TRY_VOID(checkpoint_cleaner_offsets());
    TRY_VOID(checkpoint_high_watermarks());
    return {};
}

void LogManager::background_loop(Duration interval, const std::function<void()>& work) {
    while (!closed_) {
        if (env_.scheduler.sleep_for(interval) == WakeReason::cancelled || closed_) {
            return;
        }
        work();
    }
}

void LogManager::start_background() {
    ASSERT(opened_);
    ASSERT(!closed_);
    fibers_.push_back(env_.scheduler.spawn("log-checkpoint", [this] {
        background_loop(options_.checkpoint_interval, [this] {
            (void)checkpoint_recovery_points();
            (void)checkpoint_log_start_offsets();
            (void)checkpoint_cleaner_offsets();
            (void)checkpoint_high_watermarks();
        });
    }));
    fibers_.push_back(env_.scheduler.spawn("log-retention", [this] {
        background_loop(options_.retention_check_interval, [this] { (void)run_retention_once(); });
    }));
    if (options_.cleaner_enable) {
        fibers_.push_back(env_.scheduler.spawn("log-cleaner", [this] {
            background_loop(options_.cleaner_backoff, [this] { (void)run_cleaner_once(); });
        }));
    }
}

Result<void, LogError> LogManager::close() {
    if (closed_) {
        return {};
    }
    closed_ = true;
    for (const FiberRef& f : fibers_) {
        f.cancel();
    }
    for (const FiberRef& f : fibers_) {
        (void)f.join();
    }
    for (const auto& log : snapshot()) {
        TRY_VOID(log->close());
    }
    TRY_VOID(checkpoint_recovery_points());
    TRY_VOID(checkpoint_log_start_offsets());
    TRY_VOID(checkpoint_cleaner_offsets());
    TRY_VOID(checkpoint_high_watermarks());
    return {};
}

Result<PartitionLog*, LogError> LogManager::create(const TopicPartition& tp,
                                                   std::optional<LogConfig> config) {
    ASSERT(opened_, "create() after open()");
    if (closed_) {
        return fail(LogError::closed);
    }
    if (!valid_topic_name(tp.topic) || tp.partition.value() < 0) {
        return fail(LogError::invalid_config);
    }
    if (logs_.contains(tp)) {
        return fail(LogError::already_exists);
    }
    const LogConfig cfg = config.value_or(options_.default_config);
    TRY_VOID(cfg.validate());
    const std::string dir = partition_dir(tp);
    if (auto r = env_.disk.make_directory(dir); !r.ok()) {
        return fail(from_disk_error(r.error()));
    }
    if (!env_.disk.sync_directory(options_.data_dir).ok()) {
        crash_after_failed_sync(env_, options_.data_dir);
    }
    PartitionLog::OpenOptions o;
    o.dir = dir;
    o.topic_partition = tp;
    o.config = cfg;
    o.hooks = this;
    o.knobs = options_.knobs;
    o.verify_on_open = options_.verify_on_open;
    TRY_ASSIGN(std::unique_ptr<PartitionLog> log, PartitionLog::open(env_, o));
    if (logs_.contains(tp)) {  // created by another fiber while we suspended
        (void)log->close();
        return fail(LogError::already_exists);
    }
    PartitionLog* raw = log.get();
    ASSERT(raw->topic_partition() == tp);
    logs_.emplace(tp, std::shared_ptr<PartitionLog>(std::move(log)));
    return raw;

}

PartitionLog* LogManager::get(const TopicPartition& tp) const {
    auto it = logs_.find(tp);
    return it == logs_.end() ? nullptr : it->second.get();
}

std::shared_ptr<PartitionLog> LogManager::get_shared(const TopicPartition& tp) const {
    auto it = logs_.find(tp);
    return it == logs_.end() ? nullptr : it->second;
}

Result<std::string, LogError> LogManager::set_aside(const TopicPartition& tp,
                                                   std::string_view suffix) {
    auto it = logs_.find(tp);
    if (it == logs_.end()) {
        return fail(LogError::not_found);
    }
    std::shared_ptr<PartitionLog> log = it->second;
    logs_.erase(it);
    offline_recovery_points_.erase(tp);
    offline_log_starts_.erase(tp);
    offline_cleaner_offsets_.erase(tp);
    offline_high_watermarks_.erase(tp);
    (void)log->close();
    std::string aside;
    while (true) {  // a name no earlier run left behind
        aside = partition_dir(tp) + "." + std::to_string(deletions_++) + std::string(suffix);
        auto there = env_.disk.exists(aside);
        if (!there.ok()) {
            return fail(from_disk_error(there.error()));
        }
        if (!*there) {
            break;
        }
    }
    if (auto r = env_.disk.rename(partition_dir(tp), aside); !r.ok()) {
        return fail(from_disk_error(r.error()));
    }
    if (!env_.disk.sync_directory(options_.data_dir).ok()) {
        crash_after_failed_sync(env_, options_.data_dir);
    }
    TRY_VOID(checkpoint_recovery_points());
    TRY_VOID(checkpoint_log_start_offsets());
    TRY_VOID(checkpoint_cleaner_offsets());
    TRY_VOID(checkpoint_high_watermarks());
    return aside;
}

Result<void, LogError> LogManager::remove(const TopicPartition& tp) {
    TRY_ASSIGN(std::string doomed, set_aside(tp, file_names::delete_dir_suffix));
    return remove_tree(doomed);
}

Result<PartitionLog*, LogError> LogManager::replace_damaged(const TopicPartition& tp,
                                                            std::optional<LogConfig> config,
                                                            std::optional<std::string> found) {
    const PartitionLog* l = get(tp);
    if (l == nullptr) {
        return fail(LogError::not_found);
    }
    ASSERT(l->damaged() || found, "only a damaged log is set aside for a fresh one");
    const std::string reason = l->damaged() ? l->offline_reason() : *found;
    TRY_ASSIGN(std::string aside, set_aside(tp, file_names::damaged_dir_suffix));
    env_.log.warn("%s: damaged replica kept in %s (%s); starting an empty one to copy again",
                  tp.to_string().c_str(), aside.c_str(), reason.c_str());
    env_.tracer.event("log.replaced_damaged", {{"partition", tp.to_string()}, {"kept", aside}});
    return create(tp, std::move(config));
}

void LogManager::log_failed(PartitionLog& log) {
    if (options_.on_log_failed) {
        options_.on_log_failed(log.topic_partition(), log.offline_cause(), log.offline_reason());
    }
}

std::vector<TopicPartition> LogManager::partitions() const {
    std::vector<TopicPartition> out;
    for (const auto& [tp, log] : logs_) {
        (void)log;
        out.push_back(tp);
    }
    return out;
}

std::vector<TopicPartition> LogManager::offline_partitions() const {
    std::vector<TopicPartition> out;
    for (const auto& [tp, log] : logs_) {
        if (log->offline()) {
            out.push_back(tp);
        }
    }
    return out;
}

Result<void, LogError> LogManager::checkpoint_recovery_points() {
    LockGuard guard(checkpoint_mutex_);
    // Taken after the lock: a truncation's rewrite always sees its own lowered offset.
    OffsetCheckpoint entries = offline_recovery_points_;
    for (const auto& [tp, log] : logs_) {
        if (!log->offline()) {
            ASSERT(log->durable_offset() <= log->log_end_offset(),
                   "the recovery point never claims more than the log holds");
            entries[tp] = log->durable_offset();
        }
    }
    const std::string text = format_offset_checkpoint(entries);
    return write_file_atomic(env_, options_.data_dir, file_names::recovery_point_checkpoint,
                             as_bytes(text));
}

Result<void, LogError> LogManager::checkpoint_log_start_offsets() {
    LockGuard guard(checkpoint_mutex_);
    OffsetCheckpoint entries = offline_log_starts_;
    for (const auto& [tp, log] : logs_) {
        if (!log->offline()) {
            ASSERT(log->log_start_offset() <= log->log_end_offset());
            entries[tp] = log->log_start_offset();
        }
    }
    const std::string text = format_offset_checkpoint(entries);
    return write_file_atomic(env_, options_.data_dir, file_names::log_start_offset_checkpoint,
                             as_bytes(text));
}

Result<void, LogError> LogManager::checkpoint_high_watermarks() {
    LockGuard guard(checkpoint_mutex_);
    OffsetCheckpoint entries = offline_high_watermarks_;
    for (const auto& [tp, log] : logs_) {
        if (!log->offline()) {
            ASSERT(log->log_start_offset() <= log->high_watermark(),
                   "log start <= high watermark <= log end");
            ASSERT(log->high_watermark() <= log->log_end_offset(),
                   "log start <= high watermark <= log end");
            entries[tp] = log->high_watermark();
        }
    }
    const std::string text = format_offset_checkpoint(entries);
    return write_file_atomic(env_, options_.data_dir, file_names::high_watermark_checkpoint,
                             as_bytes(text));
}

Result<void, LogError> LogManager::checkpoint_cleaner_offsets() {
    LockGuard guard(checkpoint_mutex_);
    // Compacted logs only: a log that never compacts has no cleaner offset (as in Kafka).
    OffsetCheckpoint entries = offline_cleaner_offsets_;
    for (const auto& [tp, log] : logs_) {
        if (!log->offline() && compacts(log->config().cleanup_policy)) {
            ASSERT(log->cleaner_offset() >= log->log_start_offset());
            entries[tp] = log->cleaner_offset();
        }
    }
    if (cleaner_offsets_written_ == entries) {
        return {};
    }
    const std::string text = format_offset_checkpoint(entries);
    TRY_VOID(write_file_atomic(env_, options_.data_dir, file_names::cleaner_offset_checkpoint,
                               as_bytes(text)));
    cleaner_offsets_written_ = std::move(entries);
    return {};
}

Result<void, LogError> LogManager::run_retention_once() {
    for (const auto& log : snapshot()) {
        if (log->offline() || log->closed()) {
            continue;
        }
        log->expire_producers(env_.clock.wall_now(), options_.producer_id_expiration);
        auto r = log->apply_retention();
        if (!r.ok() && r.error() != LogError::closed && r.error() != LogError::offline) {
            env_.log.warn("retention of %s failed: %s", log->topic_partition().to_string().c_str(),
                          std::string(to_string(r.error())).c_str());
        }
        env_.scheduler.yield();
    }
    return {};
}

Result<void, LogError> LogManager::run_cleaner_once(bool force) {
    for (const auto& log : snapshot()) {
        if (log->offline() || log->closed() || !compacts(log->config().cleanup_policy)) {
            continue;
        }
        auto r = Cleaner::clean(*log, force);
        if (!r.ok() && r.error() != LogError::closed && r.error() != LogError::offline) {
            env_.log.warn("cleaning %s failed: %s", log->topic_partition().to_string().c_str(),
                          std::string(to_string(r.error())).c_str());
        }
    }
    // The progress of this round, so a restart does not clean it all again.
    return checkpoint_cleaner_offsets();
}

Result<void, LogError> LogManager::recovery_point_lowered(PartitionLog& log) {
    (void)log;
    TRY_VOID(checkpoint_recovery_points());
    return checkpoint_cleaner_offsets();  // truncation lowers the cleaner offset too
}

Result<void, LogError> LogManager::log_start_offset_raised(PartitionLog& log) {
    (void)log;
    return checkpoint_log_start_offsets();
}

}  // namespace eddy::log
