// The Raft log on a partition log, with snapshots beside it. See raft_log.h.
#include "services/raft/raft_log.h"

#include <algorithm>
#include <charconv>

#include "core/record/crc32c.h"
#include "services/log/checkpoint.h"
#include "services/raft/entry_batch.h"

namespace eddy::raft {
namespace {

constexpr std::string_view snapshot_suffix = ".checkpoint";
constexpr size_t epoch_digits = 10;
constexpr size_t offset_digits = 20;

// A snapshot file: this header, then the image. The image's CRC-32C lets open() tell a damaged
// file from a good one (a torn one cannot be renamed into place, but bit rot can strike later).
//   magic "EDDYSNAP" | version u32 (1) | crc32c(image) u32 | image length u64   (big-endian)
constexpr std::string_view snapshot_magic = "EDDYSNAP";
constexpr uint32_t snapshot_version = 1;
constexpr size_t snapshot_header_bytes = 24;

// The synced-end file (raft_log.h).
constexpr std::string_view synced_end_file = "synced-end";
constexpr std::string_view synced_end_magic = "EDDYSEND";
constexpr uint64_t synced_end_slot_spacing = 4096;
constexpr size_t synced_end_slot_bytes = 28;

Bytes encode_synced_end_slot(uint64_t sequence, Offset end) {
    Bytes out(synced_end_slot_bytes);
    std::copy(synced_end_magic.begin(), synced_end_magic.end(),
              reinterpret_cast<char*>(out.data()));
    store_be<uint64_t>(out.data() + 8, sequence);
    store_be<uint64_t>(out.data() + 16, static_cast<uint64_t>(end.value()));
    store_be<uint32_t>(out.data() + 24, record::crc32c(ByteSpan(out.data(), 24)));
    return out;
}

struct SyncedEndSlot {
    uint64_t sequence;
    Offset end;
};

// A slot of the file's bytes at `at`, if it is whole and intact.
std::optional<SyncedEndSlot> decode_synced_end_slot(ByteSpan file, uint64_t at) {
    if (file.size() < at + synced_end_slot_bytes) {
        return std::nullopt;
    }
    const std::byte* p = file.data() + at;
    if (!std::equal(synced_end_magic.begin(), synced_end_magic.end(),
                    reinterpret_cast<const char*>(p)) ||
        record::crc32c(ByteSpan(p, 24)) != load_be<uint32_t>(p + 24)) {
        return std::nullopt;
    }
    const auto end = static_cast<int64_t>(load_be<uint64_t>(p + 16));
    if (end < 0) {
        return std::nullopt;
    }
    return SyncedEndSlot{load_be<uint64_t>(p + 8), Offset(end)};
}

// The intact slot written last.
std::optional<SyncedEndSlot> best_synced_end_slot(ByteSpan file) {
    std::optional<SyncedEndSlot> best;
    for (const uint64_t at : {uint64_t{0}, synced_end_slot_spacing}) {
        const auto slot = decode_synced_end_slot(file, at);
        if (slot && (!best || slot->sequence > best->sequence)) {
            best = slot;
        }
    }
    return best;
}
static_assert(snapshot_header_bytes == 8 + 4 + 4 + 8);

bool ends_with(std::string_view s, std::string_view suffix) {
    return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

RaftLogError from_log_error(log::LogError e) {
    switch (e) {
        case log::LogError::no_space:
            return RaftLogError::no_space;
        case log::LogError::message_too_large:
        case log::LogError::record_list_too_large:
            return RaftLogError::too_large;
        case log::LogError::offset_out_of_range:
            return RaftLogError::offset_out_of_range;
        case log::LogError::corrupt_data:
            return RaftLogError::damaged;
        // The disk or the log failing us.
        case log::LogError::io_error:
        case log::LogError::offline:
        case log::LogError::closed:
        case log::LogError::truncated:
        case log::LogError::timed_out:
        case log::LogError::not_found:
        case log::LogError::already_exists:
        case log::LogError::invalid_config:
        // Refusals of a batch's contents: never for the batches built here.
        case log::LogError::corrupt_message:
        case log::LogError::invalid_record:
        case log::LogError::unsupported_compression:
        case log::LogError::invalid_timestamp:
        case log::LogError::invalid_offsets:
        case log::LogError::out_of_order_sequence:
        case log::LogError::invalid_producer_epoch:
        case log::LogError::unknown_producer_id:
            return RaftLogError::io_error;
    }
    return RaftLogError::io_error;
}

Bytes snapshot_file(ByteSpan image) {
    Bytes out(snapshot_header_bytes + image.size());
    std::copy(snapshot_magic.begin(), snapshot_magic.end(), reinterpret_cast<char*>(out.data()));
    store_be<uint32_t>(out.data() + 8, snapshot_version);
    store_be<uint32_t>(out.data() + 12, record::crc32c(image));
    store_be<uint64_t>(out.data() + 16, image.size());
    std::copy(image.begin(), image.end(), out.begin() + snapshot_header_bytes);
    return out;
}

// The image's length if `file` is a whole, intact snapshot file.
std::optional<uint64_t> check_snapshot_file(ByteSpan file) {
    if (file.size() < snapshot_header_bytes ||
        as_chars(file.subspan(0, snapshot_magic.size())) != snapshot_magic ||
        load_be<uint32_t>(file.data() + 8) != snapshot_version) {
        return std::nullopt;
    }
    const uint64_t length = load_be<uint64_t>(file.data() + 16);
    const ByteSpan image = file.subspan(snapshot_header_bytes);
    if (length != image.size() || record::crc32c(image) != load_be<uint32_t>(file.data() + 12)) {
        return std::nullopt;
    }
    return length;
}

}  // namespace

const char* to_string(RaftLogError e) {
    switch (e) {
        case RaftLogError::io_error:
            return "io_error";
        case RaftLogError::no_space:
            return "no_space";
        case RaftLogError::offset_out_of_range:
            return "offset_out_of_range";
        case RaftLogError::invalid_snapshot_id:
            return "invalid_snapshot_id";
        case RaftLogError::snapshot_not_found:
            return "snapshot_not_found";
        case RaftLogError::damaged:
            return "damaged";
        case RaftLogError::too_large:
            return "too_large";
    }
    return "?";
}

std::string LogSnapshotId::file_name() const {
    ASSERT(end_offset.value() >= 0);
    ASSERT(epoch.value() >= 0);
    std::string e = std::to_string(epoch.value());
    return log::offset_file_stem(end_offset) + "-" + std::string(epoch_digits - e.size(), '0') + e +
           std::string(snapshot_suffix);
}

std::optional<LogSnapshotId> LogSnapshotId::parse(std::string_view name) {
    if (name.size() != offset_digits + 1 + epoch_digits + snapshot_suffix.size() ||
        name[offset_digits] != '-' || !ends_with(name, snapshot_suffix)) {
        return std::nullopt;
    }
    const auto digits = [](std::string_view s) {
        return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
    };
    const std::string_view off = name.substr(0, offset_digits);
    const std::string_view ep = name.substr(offset_digits + 1, epoch_digits);
    int64_t o = 0;
    int64_t e = 0;
    if (!digits(off) || !digits(ep) ||
        std::from_chars(off.data(), off.data() + off.size(), o).ec != std::errc() ||
        std::from_chars(ep.data(), ep.data() + ep.size(), e).ec != std::errc() || e > INT32_MAX) {
        return std::nullopt;
    }
    return LogSnapshotId{Offset(o), LeaderEpoch(static_cast<int32_t>(e))};
}

RaftLog::RaftLog(Env& env, log::PartitionLog& log) : env_(env), log_(&log), mutex_(env.scheduler) {}

Result<std::unique_ptr<RaftLog>, RaftLogError> RaftLog::open(Env& env, log::LogManager& logs,
                                                             RaftLogOptions options) {
    log::LogConfig config = options.config;
    config.retention = std::nullopt;
    config.retention_bytes = std::nullopt;
    config.cleanup_policy = log::CleanupPolicy::delete_;
    config.flush_messages = 1;
    config.compression = std::nullopt;
    log::PartitionLog* log = logs.get(options.topic_partition);
    if (log == nullptr) {
        auto created = logs.create(options.topic_partition, config);
        if (!created.ok()) {
            return fail(from_log_error(created.error()));
        }
        log = *created;
    }
    if (log->offline()) {
        env.log.error("%s is offline: %s", log->dir().c_str(), log->offline_reason().c_str());
        return fail(RaftLogError::damaged);
    }
    if (auto r = log->set_config(config); !r.ok()) {
        return fail(from_log_error(r.error()));
    }
    std::unique_ptr<RaftLog> raft(new RaftLog(env, *log));
    TRY_VOID(raft->recover());
    return raft;
}

Result<void, RaftLogError> RaftLog::recover() {
    LockGuard guard(mutex_);
    const std::string& dir = log_->dir();
    auto listed = env_.disk.list(dir);
    if (!listed.ok()) {
        return fail(RaftLogError::io_error);
    }
    std::vector<LogSnapshotId> ids;
    for (const std::string& name : *listed) {
        if (ends_with(name,
                      std::string(snapshot_suffix) + std::string(log::file_names::tmp_suffix))) {
            (void)env_.disk.remove(log::join_path(dir, name));  // a snapshot never renamed in
        } else if (auto id = LogSnapshotId::parse(name)) {
            ids.push_back(*id);
        }
    }
    // The newest intact snapshot is the latest; the others go (clean_below_latest).
    std::sort(ids.rbegin(), ids.rend());
    for (const LogSnapshotId& id : ids) {
        const std::string path = log::join_path(dir, id.file_name());
        auto file = log::read_file_stable(env_.disk, path,
                                          limits::snapshot_bytes_max + snapshot_header_bytes);
        if (file.ok() && *file && check_snapshot_file(**file)) {
            latest_snapshot_ = id;
            break;
        }
        if (!file.ok() && file.error() != log::LogError::corrupt_data) {
            return fail(RaftLogError::io_error);  // unreadable is not damaged: keep it, fail
        }
        env_.log.warn("%s is damaged: ignored and removed", path.c_str());
        (void)env_.disk.remove(path);
    }
    TRY_VOID(rebuild_epochs());
    if (latest_snapshot_) {
        const LogSnapshotId s = *latest_snapshot_;
        if (log_->log_start_offset() > s.end_offset) {
            env_.log.error("%s starts at offset %lld, past its latest snapshot %s", dir.c_str(),
                           static_cast<long long>(log_->log_start_offset().value()),
                           s.file_name().c_str());
            return fail(RaftLogError::damaged);
        }
        const bool holds_end =
            s.end_offset == log_->log_start_offset() ||
            (s.end_offset <= log_->log_end_offset() && epoch_at(s.end_offset - 1) == s.epoch);
        if (!holds_end) {
            // An install that crashed before the log was replaced, or a log that diverged from
            // the snapshot's history: the snapshot wins (it holds committed entries only).
            env_.log.info("%s: restarting the log at its latest snapshot %s", dir.c_str(),
                          s.file_name().c_str());
            if (auto r = log_->restart_at(s.end_offset); !r.ok()) {
                return fail(from_log_error(r.error()));
            }
            epochs_.clear();
        }
    } else if (log_->log_start_offset() > Offset(0)) {
        env_.log.error("%s starts at offset %lld but has no snapshot of what is below", dir.c_str(),
                       static_cast<long long>(log_->log_start_offset().value()));
        return fail(RaftLogError::damaged);
    }
    TRY_VOID(clean_below_latest());
    TRY_VOID(load_synced_end());
    check();
    return {};
}

Result<std::optional<Offset>, RaftLogError> RaftLog::read_synced_end(Env& env,
                                                                     std::string_view dir) {
    auto file = log::read_file_stable(env.disk, log::join_path(dir, synced_end_file),
                                      2 * synced_end_slot_spacing);
    if (!file.ok() && file.error() != log::LogError::corrupt_data) {
        return fail(RaftLogError::io_error);
    }
    if (!file.ok() || !*file) {
        return std::optional<Offset>();
    }
    const auto best = best_synced_end_slot(**file);
    return best ? std::optional<Offset>(best->end) : std::nullopt;
}

Result<void, RaftLogError> RaftLog::load_synced_end() {
    const std::string path = log::join_path(log_->dir(), synced_end_file);
    auto file = log::read_file_stable(env_.disk, path, 2 * synced_end_slot_spacing);
    if (!file.ok() && file.error() != log::LogError::corrupt_data) {
        return fail(RaftLogError::io_error);
    }
    const Offset end = log_->log_end_offset();
    if (file.ok() && !*file) {
        // A new log, or one an earlier Eddy wrote: start recording, both slots at once.
        Bytes image(synced_end_slot_spacing + synced_end_slot_bytes);
        const Bytes first = encode_synced_end_slot(0, end);
        const Bytes second = encode_synced_end_slot(1, end);
        std::copy(first.begin(), first.end(), image.begin());
        std::copy(second.begin(), second.end(), image.begin() + synced_end_slot_spacing);
        if (auto r = log::replace_file(env_, log_->dir(), synced_end_file, image); !r.ok()) {
            if (r.error() == log::ReplaceError::sync_failed) {
                log::crash_after_failed_sync(env_, path);
            }
            return fail(r.error() == log::ReplaceError::no_space ? RaftLogError::no_space
                                                                   : RaftLogError::io_error);
        }
        synced_end_ = end;
        synced_end_sequence_ = 1;
        return {};
    }
    const std::optional<SyncedEndSlot> best =
        file.ok() ? best_synced_end_slot(**file) : std::nullopt;
    if (!best) {
        // Both slots damaged (or the file far too large): what was synced is unknown.
        env_.log.error("%s is damaged: the entries this log had synced are unknown", path.c_str());
        lost_synced_end_ = end;
        synced_end_ = end;
        synced_end_sequence_ = 0;
        return {};
    }
    synced_end_ = best->end;
    synced_end_sequence_ = best->sequence;
    if (best->end > end) {
        env_.log.error("%s: entries [%lld, %lld) were synced and are gone (damaged at rest)",
                       log_->dir().c_str(), static_cast<long long>(end.value()),
                       static_cast<long long>(best->end.value()));
        env_.tracer.event("raft.log_lost", {{"dir", log_->dir()},
                                            {"end", end.value()},
                                            {"synced_end", best->end.value()}});
        lost_synced_end_ = best->end;
    }
    return {};
}

Result<void, RaftLogError> RaftLog::store_synced_end(Offset end) {
    if (end == synced_end_ && !lost_synced_end_) {
        return {};
    }
    const std::string path = log::join_path(log_->dir(), synced_end_file);
    auto file = env_.disk.open(path, OpenMode::create);
    if (!file.ok()) {
        return fail(file.error() == DiskError::no_space ? RaftLogError::no_space
                                                         : RaftLogError::io_error);
    }
    const uint64_t sequence = synced_end_sequence_ + 1;
    const uint64_t at = (sequence % 2) * synced_end_slot_spacing;
    if (auto w = (*file)->write_at(at, encode_synced_end_slot(sequence, end)); !w.ok()) {
        return fail(w.error() == DiskError::no_space ? RaftLogError::no_space
                                                      : RaftLogError::io_error);
    }
    if (auto r = (*file)->sync(); !r.ok()) {
        log::crash_after_failed_sync(env_, path);
    }
    synced_end_ = end;
    synced_end_sequence_ = sequence;
    return {};
}

Result<void, RaftLogError> RaftLog::forget_lost() {
    LockGuard guard(mutex_);
    if (!lost_synced_end_) {
        return {};
    }
    TRY_VOID(store_synced_end(log_->log_end_offset()));
    lost_synced_end_.reset();
    check();
    return {};
}

Result<void, RaftLogError> RaftLog::rebuild_epochs() {
    epochs_.clear();
    Offset at = log_->log_start_offset();
    while (at < log_->log_end_offset()) {
        log::ReadOptions o;
        o.bound = log::ReadBound::log_end;
        auto copy = log_->read_copy(at, o);
        if (!copy.ok()) {
            return fail(from_log_error(copy.error()));
        }
        if (copy->batches.empty()) {
            break;
        }
        for (const log::ReadBatchInfo& b : copy->batches) {
            if (b.base_offset != at) {
                // Only an interrupted truncation leaves a gap, and it was dropping everything
                // from there on: finish it.
                env_.log.warn("%s: entries missing at offset %lld; truncating there",
                              log_->dir().c_str(), static_cast<long long>(at.value()));
                if (auto r = log_->truncate_to(at); !r.ok()) {
                    return fail(from_log_error(r.error()));
                }
                return {};
            }
            const LeaderEpoch e = b.partition_leader_epoch;
            if (b.base_offset != b.last_offset || e.value() < 0 ||
                (!epochs_.empty() && e < epochs_.back().epoch)) {
                env_.log.error("%s: the batch at offset %lld is not a Raft entry in epoch order",
                               log_->dir().c_str(), static_cast<long long>(b.base_offset.value()));
                return fail(RaftLogError::damaged);
            }
            if (epochs_.empty() || e != epochs_.back().epoch) {
                epochs_.push_back({e, b.base_offset});
            }
            at = b.last_offset + 1;
        }
    }
    return {};
}

Result<Offset, RaftLogError> RaftLog::append(LeaderEpoch epoch, const std::vector<Bytes>& entries) {
    ASSERT(!entries.empty());
    ASSERT(epoch.value() >= 0, "Raft epochs never decrease along the log");
    ASSERT(epoch >= last_epoch(), "Raft epochs never decrease along the log");
    LockGuard guard(mutex_);
    Bytes batches;
    const record::TimestampMs now(env_.clock.wall_now().to_millis());
    for (const Bytes& e : entries) {
        // The log assigns the offsets; the epoch is stamped again by the leader-mode append.
        const Bytes batch = encode_entry_batch(Offset(0), epoch, ByteSpan(e), now);
        batches.insert(batches.end(), batch.begin(), batch.end());
    }
    const Offset first = log_->log_end_offset();
    auto r = log_->append(batches, log::AppendOptions{log::AppendMode::leader, epoch});
    // Even a failed append may have written (not acknowledged) entries: the map follows the log.
    if (log_->log_end_offset() > first && (epochs_.empty() || epochs_.back().epoch != epoch)) {
        epochs_.push_back({epoch, first});
    }
    if (!r.ok()) {
        return fail(from_log_error(r.error()));
    }
    ASSERT(r->base_offset == first);
    ASSERT(log_->log_end_offset() == first + static_cast<int64_t>(entries.size()),
           "one entry per batch: each takes one offset");
    ASSERT(!epochs_.empty());
    ASSERT(epochs_.back().epoch == epoch);
    ASSERT(epochs_.back().start <= first);
    // Before the caller acknowledges anything: these entries are now known synced.
    TRY_VOID(store_synced_end(log_->log_end_offset()));
    check();
    return first;
}

Result<void, RaftLogError> RaftLog::truncate_to(Offset offset) {
    LockGuard guard(mutex_);
    ASSERT(offset >= log_->log_start_offset(), "Raft never truncates below the log start");
    ASSERT(!latest_snapshot_ || offset >= latest_snapshot_->end_offset,
           "Raft never truncates snapshotted (committed) entries");
    if (offset >= log_->log_end_offset()) {
        return {};
    }
    // Lowered first: a crash after the cut must not find "synced entries missing".
    if (offset < synced_end_) {
        TRY_VOID(store_synced_end(offset));
    }
    if (auto r = log_->truncate_to(offset); !r.ok()) {
        return fail(from_log_error(r.error()));
    }
    ASSERT(log_->log_end_offset() == offset, "one entry per batch: truncation is exact");
    while (!epochs_.empty() && epochs_.back().start >= offset) {
        epochs_.pop_back();
    }
    check();
    return {};
}

Result<std::vector<RaftEntry>, RaftLogError> RaftLog::read(Offset from, uint64_t max_bytes) {
    if (from < log_->log_start_offset() || from > log_->log_end_offset()) {
        return fail(RaftLogError::offset_out_of_range);
    }
    log::ReadOptions o;
    o.bound = log::ReadBound::log_end;
    // A short read: one entry instead of max_bytes' worth (the first batch is always whole).
    o.max_bytes = BUGGIFY(env_) ? 1 : max_bytes;
    auto copy = log_->read_copy(from, o);
    if (!copy.ok()) {
        return fail(from_log_error(copy.error()));
    }
    auto batches = record::split_batches(copy->data);
    if (!batches.ok()) {
        return fail(RaftLogError::damaged);
    }
    std::vector<RaftEntry> out;
    for (const auto& batch : *batches) {
        if (batch.base_offset() < from) {
            continue;
        }
        auto entry = decode_entry_batch(batch);
        if (!entry.ok()) {
            return fail(RaftLogError::damaged);
        }
        out.push_back(std::move(entry).value());
    }
    return out;
}

Offset RaftLog::end_offset() const { return log_->log_end_offset(); }

Offset RaftLog::log_start_offset() const { return log_->log_start_offset(); }

LeaderEpoch RaftLog::last_epoch() const {
    if (!epochs_.empty()) {
        return epochs_.back().epoch;
    }
    return latest_snapshot_ ? latest_snapshot_->epoch : LeaderEpoch(0);
}

EpochEnd RaftLog::end_of_epoch(LeaderEpoch epoch) const {
    // Epochs increase along the log: those <= `epoch` are a prefix of the map.
    const auto after =
        std::upper_bound(epochs_.begin(), epochs_.end(), epoch,
                         [](LeaderEpoch e, const EpochStart& s) { return e < s.epoch; });
    if (after != epochs_.begin()) {
        const Offset end = after == epochs_.end() ? log_->log_end_offset() : after->start;
        return {std::prev(after)->epoch, end};
    }
    // Nothing in the log: below it, only the snapshot knows (and it ends at the log start, or
    // the log's first epoch would be <= the snapshot's).
    if (latest_snapshot_ && latest_snapshot_->epoch <= epoch) {
        return {latest_snapshot_->epoch, latest_snapshot_->end_offset};
    }
    if (log_->log_start_offset() == Offset(0)) {
        return {LeaderEpoch(0), Offset(0)};
    }
    return {LeaderEpoch(-1), Offset(-1)};
}

std::optional<LeaderEpoch> RaftLog::epoch_at(Offset offset) const {
    if (offset >= log_->log_start_offset() && offset < log_->log_end_offset()) {
        const auto after =
            std::upper_bound(epochs_.begin(), epochs_.end(), offset,
                             [](Offset o, const EpochStart& s) { return o < s.start; });
        ASSERT(after != epochs_.begin(), "the epoch map covers the whole log");
        return std::prev(after)->epoch;
    }
    if (latest_snapshot_ && offset == latest_snapshot_->end_offset - 1) {
        return latest_snapshot_->epoch;
    }
    return std::nullopt;
}

Result<void, RaftLogError> RaftLog::store_snapshot(LogSnapshotId id, ByteSpan image) {
    if (image.size() > limits::snapshot_bytes_max) {
        return fail(RaftLogError::too_large);
    }
    const Bytes file = snapshot_file(image);
    auto r = log::replace_file(env_, log_->dir(), id.file_name(), file);
    if (r.ok()) {
        env_.tracer.event("raft.snapshot", {{"end_offset", id.end_offset.value()},
                                            {"epoch", id.epoch.value()},
                                            {"bytes", image.size()}});
        return {};
    }
    switch (r.error()) {
        case log::ReplaceError::sync_failed:
            log::crash_after_failed_sync(env_, log::join_path(log_->dir(), id.file_name()));
        case log::ReplaceError::no_space:
            return fail(RaftLogError::no_space);
        case log::ReplaceError::io_error:
            return fail(RaftLogError::io_error);
    }
    return fail(RaftLogError::io_error);
}

Result<void, RaftLogError> RaftLog::write_snapshot(LogSnapshotId id, ByteSpan image) {
    LockGuard guard(mutex_);
    if (latest_snapshot_ && id == *latest_snapshot_) {
        return {};
    }
    const bool past_latest = !latest_snapshot_ || id.end_offset > latest_snapshot_->end_offset;
    const bool in_log =
        id.end_offset >= log_->log_start_offset() && id.end_offset <= log_->log_end_offset();
    const std::optional<LeaderEpoch> epoch =
        id.end_offset == Offset(0) ? std::optional(LeaderEpoch(0)) : epoch_at(id.end_offset - 1);
    if (!past_latest || !in_log || epoch != id.epoch) {
        return fail(RaftLogError::invalid_snapshot_id);
    }
    TRY_VOID(store_snapshot(id, image));
    latest_snapshot_ = id;
    TRY_VOID(clean_below_latest());
    check();
    return {};
}

Result<void, RaftLogError> RaftLog::install_snapshot(LogSnapshotId id, ByteSpan image) {
    LockGuard guard(mutex_);
    if (latest_snapshot_ && id.end_offset <= latest_snapshot_->end_offset) {
        return {};
    }
    // The log is replaced by the snapshot: a synced end past it is lowered first (a crash after
    // the restart must not find "synced entries missing"), raised to it after.
    if (id.end_offset < synced_end_) {
        TRY_VOID(store_synced_end(id.end_offset));
    }
    TRY_VOID(store_snapshot(id, image));
    latest_snapshot_ = id;
    // From here a crash reopens with this snapshot and restarts the log at it (recover()).
    if (auto r = log_->restart_at(id.end_offset); !r.ok()) {
        return fail(from_log_error(r.error()));
    }
    epochs_.clear();
    ASSERT(log_->log_start_offset() == id.end_offset,
           "an installed snapshot restarts the log, empty, at its end");
    ASSERT(log_->log_end_offset() == id.end_offset,
           "an installed snapshot restarts the log, empty, at its end");
    TRY_VOID(clean_below_latest());
    TRY_VOID(store_synced_end(id.end_offset));
    check();
    return {};
}

Result<void, RaftLogError> RaftLog::clean_below_latest() {
    if (!latest_snapshot_) {
        return {};
    }
    auto listed = env_.disk.list(log_->dir());
    if (!listed.ok()) {
        return fail(RaftLogError::io_error);
    }
    for (const std::string& name : *listed) {
        auto id = LogSnapshotId::parse(name);
        if (id && *id != *latest_snapshot_) {
            // Not synced: a crash may bring it back, and the next open removes it again.
            (void)env_.disk.remove(log::join_path(log_->dir(), name));
        }
    }
    // Segments wholly below the snapshot: the log starts at the base of the one holding it.
    Offset floor = log_->log_start_offset();
    for (const Offset base : log_->segment_base_offsets()) {
        if (base <= latest_snapshot_->end_offset) {
            floor = std::max(floor, base);
        }
    }
    ASSERT(floor <= latest_snapshot_->end_offset, "only snapshotted entries are deleted");
    if (floor > log_->log_start_offset()) {
        if (auto r = log_->delete_records_before(floor); !r.ok()) {

            return fail(from_log_error(r.error()));
        }
        const auto first_kept =
            std::upper_bound(epochs_.begin(), epochs_.end(), floor,
                             [](Offset o, const EpochStart& s) { return o < s.start; });
        if (first_kept != epochs_.begin()) {
            // The epoch holding `floor` now starts there.
            auto holding = std::prev(first_kept);
            holding->start = floor;
            epochs_.erase(epochs_.begin(), holding);
        }
        if (floor == log_->log_end_offset()) {
            epochs_.clear();
        }
    }
    return {};
}

Result<RaftLog::OpenSnapshot, RaftLogError> RaftLog::open_snapshot(LogSnapshotId id) {
    if (!latest_snapshot_ || id != *latest_snapshot_) {
        return fail(RaftLogError::snapshot_not_found);
    }
    auto f = env_.disk.open(log::join_path(log_->dir(), id.file_name()), OpenMode::read_only);
    if (!f.ok()) {
        // Removed meanwhile: a newer snapshot replaced it.
        return fail(f.error() == DiskError::not_found ? RaftLogError::snapshot_not_found
                                                      : RaftLogError::io_error);
    }
    auto size = (*f)->size();
    if (!size.ok() || *size < snapshot_header_bytes) {
        return fail(RaftLogError::io_error);
    }
    return OpenSnapshot{std::move(f).value(), *size - snapshot_header_bytes};
}

Result<uint64_t, RaftLogError> RaftLog::snapshot_size(LogSnapshotId id) {
    TRY_ASSIGN(OpenSnapshot s, open_snapshot(id));
    return s.image_bytes;
}

Result<Bytes, RaftLogError> RaftLog::read_snapshot(LogSnapshotId id, uint64_t position,
                                                   uint64_t max_bytes) {
    TRY_ASSIGN(OpenSnapshot s, open_snapshot(id));
    if (position > s.image_bytes) {
        return fail(RaftLogError::offset_out_of_range);
    }
    Bytes out(static_cast<size_t>(std::min(max_bytes, s.image_bytes - position)));
    auto n = log::read_stable(*s.file, snapshot_header_bytes + position, out);
    if (!n.ok() || *n != out.size()) {
        return fail(RaftLogError::io_error);
    }
    return out;
}

void RaftLog::check() const {
    const Offset start = log_->log_start_offset();
    const Offset end = log_->log_end_offset();
    ASSERT(epochs_.empty() == (start == end), "the epoch map covers exactly the log");
    if (!epochs_.empty()) {
        ASSERT(epochs_.front().start == start);
        ASSERT(epochs_.back().start < end);
    }
    for (size_t i = 1; i < epochs_.size(); ++i) {
        ASSERT(epochs_[i - 1].epoch < epochs_[i].epoch);
        ASSERT(epochs_[i - 1].start < epochs_[i].start);
    }
    if (latest_snapshot_) {
        ASSERT(start <= latest_snapshot_->end_offset,
               "the log starts at or below its latest snapshot and holds up to it");
        ASSERT(latest_snapshot_->end_offset <= end,
               "the log starts at or below its latest snapshot and holds up to it");
    } else {
        ASSERT(start == Offset(0));
    }
}

}  // namespace eddy::raft
