// PartitionLog reading: read() (file ranges for sendfile), read_copy() (bytes, CRC-checked),
// offset_for_timestamp() and max_timestamp_offset(). See partition_log.h and docs/log-format.md
// ("Reading") for what is checked on which path.
//
// Reads take no lock. They hold shared_ptrs to the segments they visit, bound themselves by
// sizes and offsets taken before suspending, and start over when a header read fails or the
// segments changed under them (generation_), so a transient read fault or a concurrent
// truncation never turns into served garbage or a false "corrupt".
#include <algorithm>
#include <cstring>

#include "services/log/checkpoint.h"
#include "services/log/partition_log.h"

namespace eddy::log {

namespace {

// Every record of a parsed batch; an error when the batch or its records do not decode.
Result<std::vector<record::Record>, record::BatchError> decode_records(
    const Result<record::RecordBatchView, record::BatchError>& view) {
    if (!view.ok()) {
        return fail(view.error());
    }
    auto records = record::BatchRecords::open(*view);
    if (!records.ok()) {
        return fail(records.error());
    }
    return records->decode_all();
}

// read() starts over when a header read fails (a bit flipped in an earlier header's length sends
// the walk into the middle of a batch; a fresh walk from the index does not repeat a transient
// fault) or the segments changed under it, at most this often before calling it damage.
constexpr int read_restarts_max = 6;
// read_copy() retries a read whose bytes fail their checks (transient faults) this often.
constexpr int read_copy_attempts_max = 8;
}  // namespace

// --- Reading -------------------------------------------------------------------------------------

Result<ReadResult, LogError> PartitionLog::read(Offset from, ReadOptions options) {
    for (int restart = 0;; ++restart) {
        TRY_VOID(check_usable());
        const uint64_t generation = generation_;
        ReadResult out;
        out.log_start_offset = log_start_offset_;
        out.high_watermark = high_watermark_;
        out.log_end_offset = log_end_offset_;
        if (from < log_start_offset_ || from > log_end_offset_) {
            return fail(LogError::offset_out_of_range);
        }
        const Offset bound = bound_offset(options.bound);
        if (from >= bound) {
            return out;
        }
        std::shared_ptr<Segment> seg = floor_segment(from);
        ASSERT(seg != nullptr);
        uint64_t position = seg->scan_start_for(from);
        std::optional<LogError> failed;
        bool done = false;
        // The decisions that shape the result rest on fields one read of a header gave (a read
        // may flip a bit): "this batch ends before `from`" for the batch just before the first
        // one returned, and "this batch ends the read" (past the bound, or over max_bytes). Both
        // are confirmed by a stable re-read of that header; a disagreement restarts the read.
        std::optional<std::pair<std::shared_ptr<Segment>, uint64_t>> last_skipped;
        auto confirmed = [](Segment& s, uint64_t at, auto&& holds) {
            std::byte raw[record::layout::header_bytes];
            auto n = read_stable(s.log_file(), at, raw);
            if (!n.ok() || *n != sizeof raw) {
                return false;
            }
            auto h = parse_header(raw);
            return h.has_value() && holds(*h);
        };
        while (seg != nullptr && !done && !failed) {
            const uint64_t valid_size = seg->size();
            HeaderBounds hb{valid_size, seg->base_offset(), segment_offset_end(*seg)};
            while (position < valid_size) {
                auto h = read_header(seg->log_file(), position, hb);
                if (!h.ok()) {
                    failed = h.error();
                    break;
                }
                hb.base_min = h->last_offset + 1;
                if (h->last_offset < from) {
                    last_skipped.emplace(seg, position);
                    position += h->size;
                    continue;
                }
                if (out.batches.empty() && last_skipped &&
                    !confirmed(*last_skipped->first, last_skipped->second,
                               [&](const BatchHeader& s) { return s.last_offset < from; })) {
                    failed = LogError::corrupt_data;  // the skip was a read fault: start again
                    break;
                }
                auto ends_read = [&](const BatchHeader& x) {
                    return x.last_offset >= bound ||
                           ((!out.batches.empty() || !options.first_batch_whole) &&
                            out.bytes + x.size > options.max_bytes);
                };
                if (ends_read(*h)) {
                    if (!confirmed(*seg, position, ends_read)) {
                        failed = LogError::corrupt_data;
                        break;
                    }
                    done = true;
                    break;
                }
                ASSERT(h->last_offset < bound, "a read returns nothing at or past its bound");
                ASSERT(out.batches.empty() || h->base_offset > out.batches.back().last_offset,
                       "a read's batches ascend");
                FileRange* last = out.ranges.empty() ? nullptr : &out.ranges.back();
                if (last != nullptr && last->segment_base == seg->base_offset() &&
                    last->position + last->length == position) {
                    last->length += h->size;
                } else {
                    out.ranges.push_back(
                        {seg->log_file_shared(), seg->base_offset(), position, h->size});
                }
                out.batches.push_back(
                    {h->base_offset, h->last_offset, h->size, h->partition_leader_epoch});
                out.bytes += h->size;
                position += h->size;
            }
            if (!done && !failed) {
                seg = segment_after(seg->base_offset());
                position = 0;
            }
        }
        if (!failed && out.batches.empty() && last_skipped &&
            !confirmed(*last_skipped->first, last_skipped->second,
                       [&](const BatchHeader& x) { return x.last_offset < from; })) {
            failed = LogError::corrupt_data;  // everything was skipped, the last skip wrongly
        }
        if (!failed) {
            ASSERT(out.batches.empty() || out.batches.front().last_offset >= from);
            ASSERT(out.bytes <= options.max_bytes ||
                       (out.batches.size() == 1 && options.first_batch_whole),
                   "max_bytes is exceeded only by a whole first batch (KIP-74)");
            return out;
        }
        if (restart < read_restarts_max) {
            continue;  // a transient read fault, or truncated or compacted under us
        }
        if (*failed == LogError::corrupt_data && generation_ == generation) {
            mark_offline("a batch header at offset >= " + std::to_string(from.value()) +
                         " is damaged on every read");
        }
        return fail(*failed);
    }
}

Result<ReadCopy, LogError> PartitionLog::read_copy(Offset from, ReadOptions options) {
    // The bytes of a batch that failed its check on the previous attempt, where, and when.
    std::optional<Bytes> bad_before;
    uint64_t bad_position = 0;
    uint64_t bad_generation = 0;
    for (int attempt = 0; attempt < read_copy_attempts_max; ++attempt) {
        TRY_ASSIGN(ReadResult r, read(from, options));
        ReadCopy copy;
        copy.log_start_offset = r.log_start_offset;
        copy.high_watermark = r.high_watermark;
        copy.log_end_offset = r.log_end_offset;
        copy.data.resize(r.bytes);
        bool ok = true;
        size_t at = 0;
        for (const FileRange& range : r.ranges) {
            MutableByteSpan dst = MutableByteSpan(copy.data).subspan(at, range.length);
            auto n = range.file->read_at(range.position, dst);
            if (!n.ok() || *n != range.length) {
                ok = false;
                break;
            }
            at += range.length;
        }
        if (!ok) {
            continue;
        }
        // Each batch: framing, CRC, and agreement with what the header reads saw (BaseOffset is
        // outside the CRC, so two independent reads must agree on it).
        size_t range_index = 0;
        uint64_t range_used = 0;
        at = 0;
        for (const ReadBatchInfo& b : r.batches) {
            const uint64_t file_position = r.ranges[range_index].position + range_used;
            ByteSpan bytes = ByteSpan(copy.data).subspan(at, b.size);
            auto view = record::RecordBatchView::parse(bytes);
            bool intact = view.ok();
            if (intact) {
                record::ValidateOptions vo;
                vo.decode_records = false;
                vo.offset_deltas = record::OffsetDeltas::increasing;
                intact = view->validate(vo).ok();
            }
            const bool agrees = intact && view->base_offset() == b.base_offset &&
                                view->last_offset() == b.last_offset &&
                                view->partition_leader_epoch() == b.partition_leader_epoch;
            if (!agrees) {
                ok = false;
                // The same damaged bytes at the same place twice: real damage, not a read fault.
                // (Intact bytes that disagree with the header read mean that read was faulty.)
                const bool same = !intact && bad_before && bad_position == file_position &&
                                  bad_generation == generation_ &&
                                  bad_before->size() == bytes.size() &&
                                  std::memcmp(bad_before->data(), bytes.data(), bytes.size()) == 0;
                if (same) {
                    mark_offline("the batch at offset " + std::to_string(b.base_offset.value()) +
                                 " fails its checksum on every read");
                    return fail(LogError::corrupt_data);
                }
                if (!intact) {
                    bad_before = Bytes(bytes.begin(), bytes.end());
                    bad_position = file_position;
                    bad_generation = generation_;
                }
                break;
            }
            at += b.size;
            range_used += b.size;
            if (range_used == r.ranges[range_index].length) {
                ++range_index;
                range_used = 0;
            }
        }
        if (ok) {
            ASSERT(at == copy.data.size(), "every byte read belongs to a checked batch");
            copy.batches = std::move(r.batches);
            return copy;
        }
    }
    return fail(LogError::io_error);
}

Result<std::optional<TimestampOffset>, LogError> PartitionLog::offset_for_timestamp(
    record::TimestampMs target) {
    for (int restart = 0;; ++restart) {
        TRY_VOID(check_usable());
        const uint64_t generation = generation_;
        const Offset log_start = log_start_offset_;
        const Offset log_end = log_end_offset_;
        std::optional<ScanFailure> failure;
        for (auto seg = floor_segment(log_start); seg != nullptr && !failure;
             seg = segment_after(seg->base_offset())) {
            if (seg->max_timestamp() == record::no_timestamp || seg->max_timestamp() < target) {
                continue;
            }
            Offset start = std::max(log_start, seg->base_offset());
            if (auto e = seg->time_index().last_below(target)) {
                start = std::max(start, seg->base_offset() + e->relative_offset + 1);
            }
            BatchScanner scanner(seg->log_file(), seg->scan_start_for(start), seg->size(),
                                 seg->base_offset(), seg->base_offset(), /*verify_crc=*/true,
                                 64 * 1024);
            while (true) {
                auto item = scanner.next();
                if (!item.ok()) {
                    failure = item.error();
                    break;
                }
                if (!item->has_value()) {
                    break;
                }
                const ScannedBatch& b = **item;
                if (b.header.base_offset >= log_end) {
                    break;
                }
                if (b.header.last_offset < start || b.header.max_timestamp < target) {
                    continue;
                }
                auto view = record::RecordBatchView::parse(b.bytes);
                auto records =
                    view.ok()
                        ? record::BatchRecords::open(*view)
                        : Result<record::BatchRecords, record::BatchError>(fail(view.error()));
                if (!records.ok()) {
                    failure = ScanFailure{ScanStop::torn, b.position};
                    break;
                }
                record::RecordReader reader = records->reader();
                while (!reader.done()) {
                    auto rec = reader.next();
                    if (!rec.ok()) {
                        failure = ScanFailure{ScanStop::torn, b.position};
                        break;
                    }
                    const Offset off = view->record_offset(*rec);
                    const record::TimestampMs ts = view->record_timestamp(*rec);
                    if (off >= start && off < log_end && ts >= target) {
                        ASSERT(off >= log_start, "a timestamp lookup answers within the log");
                        return std::optional<TimestampOffset>(TimestampOffset{ts, off});
                    }
                }
                if (failure) {
                    break;
                }
            }
        }
        if (!failure) {
            return std::optional<TimestampOffset>();
        }
        if (generation_ != generation && restart < read_restarts_max) {
            continue;
        }
        if (failure->stop == ScanStop::torn) {
            mark_offline("a batch is damaged on every read (timestamp lookup)");
            return fail(LogError::corrupt_data);
        }
        return fail(LogError::io_error);
    }
}

Result<std::optional<TimestampOffset>, LogError> PartitionLog::max_timestamp_offset(Offset bound) {
    for (int restart = 0;; ++restart) {
        TRY_VOID(check_usable());
        const uint64_t generation = generation_;
        const Offset log_start = log_start_offset_;
        const Offset end = std::min(bound, log_end_offset_);
        // 1. The largest timestamp in [log start, end) and an offset of the batch holding it:
        // whole segments from their metadata, the segments cut by either end batch by batch,
        // a batch cut by either end record by record. Strictly larger wins: the earliest holder.
        std::optional<TimestampOffset> best;  // the timestamp, an offset of its batch
        std::shared_ptr<Segment> best_segment;
        std::optional<ScanFailure> failure;
        auto consider = [&](record::TimestampMs ts, Offset at, const std::shared_ptr<Segment>& s) {
            if (ts != record::no_timestamp && (!best || ts > best->timestamp)) {
                best = TimestampOffset{ts, at};
                best_segment = s;
            }
        };
        for (auto seg = floor_segment(log_start); seg != nullptr && !failure;
             seg = segment_after(seg->base_offset())) {
            if (seg->base_offset() >= end) {
                break;
            }
            if (seg->size() == 0 || seg->max_timestamp() == record::no_timestamp ||
                (best && seg->max_timestamp() <= best->timestamp)) {
                continue;
            }
            if (seg->base_offset() >= log_start && segment_offset_end(*seg) <= end) {
                consider(seg->max_timestamp(), seg->offset_of_max_timestamp(), seg);
                continue;
            }
            BatchScanner scanner(seg->log_file(), seg->scan_start_for(log_start), seg->size(),
                                 seg->base_offset(), seg->base_offset(), /*verify_crc=*/true,
                                 64 * 1024);
            while (true) {
                auto item = scanner.next();
                if (!item.ok()) {
                    failure = item.error();
                    break;
                }
                if (!item->has_value()) {
                    break;
                }
                const ScannedBatch& b = **item;
                if (b.header.base_offset >= end) {
                    break;
                }
                if (b.header.last_offset < log_start ||
                    (best && b.header.max_timestamp <= best->timestamp)) {
                    continue;
                }
                if (b.header.base_offset >= log_start && b.header.last_offset < end) {
                    consider(b.header.max_timestamp, b.header.base_offset, seg);
                    continue;
                }
                auto view = record::RecordBatchView::parse(b.bytes);
                auto all = decode_records(view);
                if (!all.ok()) {
                    failure = ScanFailure{ScanStop::torn, b.position};
                    break;
                }
                for (const record::Record& r : *all) {
                    const Offset off = view->record_offset(r);
                    if (off >= log_start && off < end) {
                        consider(view->record_timestamp(r), off, seg);
                    }
                }
            }
        }
        // 2. The first record of that batch carrying the timestamp (Kafka 3.8+, KAFKA-16310:
        // the record's own offset, not its batch's).
        if (!failure && best) {
            BatchScanner scanner(best_segment->log_file(),
                                 best_segment->scan_start_for(best->offset), best_segment->size(),
                                 best_segment->base_offset(), best_segment->base_offset(),
                                 /*verify_crc=*/true, 64 * 1024);
            while (true) {
                auto item = scanner.next();
                if (!item.ok()) {
                    failure = item.error();
                    break;
                }
                if (!item->has_value() || (**item).header.base_offset > best->offset) {
                    break;  // not found (compaction removed it): keep the batch's offset
                }
                const ScannedBatch& b = **item;
                if (b.header.last_offset < best->offset) {
                    continue;
                }
                auto view = record::RecordBatchView::parse(b.bytes);
                auto all = decode_records(view);
                if (!all.ok()) {
                    failure = ScanFailure{ScanStop::torn, b.position};
                    break;
                }
                for (const record::Record& r : *all) {
                    const Offset off = view->record_offset(r);
                    if (off >= log_start && off < end &&
                        view->record_timestamp(r) == best->timestamp) {
                        best->offset = off;
                        break;
                    }
                }
                break;
            }
        }
        if (!failure) {
            ASSERT(!best || best->offset >= log_start, "the max timestamp lies in the log");
            return best;
        }

        if (generation_ != generation && restart < read_restarts_max) {
            continue;
        }
        if (failure->stop == ScanStop::torn) {
            mark_offline("a batch is damaged on every read (max timestamp lookup)");
            return fail(LogError::corrupt_data);
        }
        return fail(LogError::io_error);
    }
}

}  // namespace eddy::log
