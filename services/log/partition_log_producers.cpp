// PartitionLog: the idempotent producers' state across restarts (see producer_state.h). The
// table lives in memory and is updated by every append. A snapshot of it (Kafka's
// `<offset>.snapshot`, the state after every batch below that offset) is written when a segment
// rolls and when the log closes; opening loads the newest snapshot at or below the recovered
// log end and replays the batch headers after it, so a clean restart reads nothing and a crash
// reads at most the active segment. Snapshots are a cache: one that is torn, corrupt or above
// the log end is ignored (and removed), and the state is rebuilt from the log.
#include <algorithm>
#include <vector>

#include "services/log/batch_io.h"
#include "services/log/checkpoint.h"
#include "services/log/partition_log.h"

namespace eddy::log {

namespace {

constexpr uint64_t snapshot_bytes_max = 256 * 1024 * 1024;
constexpr size_t snapshots_kept = 2;

std::string snapshot_name(Offset at) {
    return offset_file_stem(at) + std::string(file_names::snapshot_suffix);
}

// The offsets of the snapshot files in `dir`, ascending.
Result<std::vector<Offset>, LogError> list_snapshots(Disk& disk, const std::string& dir) {
    auto listed = disk.list(dir);
    if (!listed.ok()) {
        return fail(from_disk_error(listed.error()));
    }
    std::vector<Offset> out;
    for (const std::string& name : *listed) {
        auto parsed = parse_segment_file_name(name);
        if (parsed && parsed->suffix == file_names::snapshot_suffix) {
            out.push_back(parsed->base_offset);
        }
    }
    std::sort(out.begin(), out.end());
    return out;
}

}  // namespace

Result<void, LogError> PartitionLog::load_producer_state() {
    producers_.clear();
    TRY_ASSIGN(const std::vector<Offset> snapshots, list_snapshots(env_.disk, dir_));
    std::optional<Offset> from;
    for (auto it = snapshots.rbegin(); it != snapshots.rend() && !from; ++it) {
        if (*it > log_end_offset_) {
            // The state after batches that are gone (lost in a crash, or truncated).
            (void)env_.disk.remove(join_path(dir_, snapshot_name(*it)));
            continue;
        }
        auto bytes = read_file_stable(env_.disk, join_path(dir_, snapshot_name(*it)),
                                      snapshot_bytes_max);
        if (bytes.ok() && bytes->has_value() && producers_.load_snapshot(**bytes).ok()) {
            from = *it;
        } else {
            env_.log.warn("%s: producer snapshot %s is unreadable; rebuilding from the log",
                          tp_.to_string().c_str(), snapshot_name(*it).c_str());
            producers_.clear();
        }
    }
    TRY_VOID(scan_producers_from(from.value_or(log_start_offset_)));
    producers_.truncate_head(log_start_offset_);
    env_.tracer.event("log.producers_loaded",
                      {{"partition", tp_.to_string()},
                       {"snapshot", from ? from->value() : -1},
                       {"producers", producers_.producers().size()}});
    return {};
}

Result<void, LogError> PartitionLog::scan_producers_from(Offset from) {
    for (auto seg = floor_segment(from); seg != nullptr; seg = segment_after(seg->base_offset())) {
        const uint64_t start = seg->base_offset() >= from ? 0 : seg->scan_start_for(from);
        // CRCs checked although recovery checked these bytes already: what is stored is sound,
        // but a read may flip a bit, and framing and offsets alone take a flipped LastOffsetDelta
        // or producer field as data (a LastOffsetDelta grown past the next batch's base then
        // makes that intact batch fail on every re-read, "torn": a truncation failed with
        // corrupt_data). A failed CRC makes the scanner read the batch again.
        BatchScanner scanner(seg->log_file(), start, seg->size(), seg->base_offset(),
                             seg->base_offset(), /*verify_crc=*/true);
        while (true) {
            auto item = scanner.next();
            if (!item.ok()) {
                return fail(item.error().stop == ScanStop::io_error ? LogError::io_error
                                                                    : LogError::corrupt_data);
            }
            if (!item->has_value()) {
                break;
            }
            const BatchHeader& h = (**item).header;
            if (h.base_offset >= log_end_offset_) {
                break;
            }
            if (h.last_offset < from || h.producer_id.value() < 0) {
                continue;
            }
            producers_.record(
                ProducerAppend{h.producer_id, h.producer_epoch, h.base_sequence,
                               static_cast<int32_t>(h.last_offset.value() - h.base_offset.value())},
                h.base_offset, h.last_offset, h.max_timestamp);
        }
    }
    return {};
}

void PartitionLog::expire_producers(WallTime now, Duration expiration) {
    producers_.expire(record::TimestampMs(now.to_millis()), expiration.to_millis());
}

void PartitionLog::write_producer_snapshot(Offset at) {
    // A cache: failing to write one costs a longer scan at the next open, nothing else.
    if (!write_file_atomic(env_, dir_, snapshot_name(at), producers_.encode_snapshot()).ok()) {
        env_.log.warn("%s: could not write producer snapshot %s", tp_.to_string().c_str(),
                      snapshot_name(at).c_str());
        return;
    }
    auto snapshots = list_snapshots(env_.disk, dir_);
    if (!snapshots.ok()) {
        return;
    }
    for (size_t i = 0; i + snapshots_kept < snapshots->size(); ++i) {
        (void)env_.disk.remove(join_path(dir_, snapshot_name((*snapshots)[i])));
    }
}

}  // namespace eddy::log
