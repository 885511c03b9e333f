// One segment: log file + sparse indexes. See segment.h.
#include "services/log/segment.h"

#include <algorithm>

#include "services/log/checkpoint.h"
#include "services/log/file_names.h"
#include "services/log/log_config.h"

namespace eddy::log {

Segment::Segment(Env& env, std::string dir, Offset base_offset, uint64_t index_interval_bytes)
    : env_(env),
      dir_(std::move(dir)),
      base_offset_(base_offset),
      index_interval_bytes_(index_interval_bytes),
      offset_of_max_timestamp_(base_offset) {}

std::string Segment::log_path() const {
    return join_path(dir_, offset_file_stem(base_offset_) + std::string(file_names::log_suffix));
}
std::string Segment::index_path() const {
    return join_path(dir_, offset_file_stem(base_offset_) + std::string(file_names::index_suffix));
}
std::string Segment::time_index_path() const {
    return join_path(dir_,
                     offset_file_stem(base_offset_) + std::string(file_names::time_index_suffix));
}

uint32_t Segment::relative(Offset o) const {
    const int64_t r = o - base_offset_;
    ASSERT(r >= 0, "offset outside the segment's range");
    ASSERT(r <= limits::segment_offsets_max, "offset outside the segment's range");
    return static_cast<uint32_t>(r);
}

Result<void, LogError> Segment::open_index_files(OpenMode mode) {
    auto oi = env_.disk.open(index_path(), mode);
    auto ti = env_.disk.open(time_index_path(), mode);
    if (!oi.ok() || !ti.ok()) {
        return fail(from_disk_error(!oi.ok() ? oi.error() : ti.error()));
    }
    offset_index_file_ = std::move(oi).value();
    time_index_file_ = std::move(ti).value();
    return {};
}

Result<std::shared_ptr<Segment>, LogError> Segment::create(Env& env, std::string dir,
                                                           Offset base_offset,
                                                           uint64_t index_interval_bytes) {
    std::shared_ptr<Segment> s(new Segment(env, std::move(dir), base_offset, index_interval_bytes));
    auto log = env.disk.open(s->log_path(), OpenMode::create);
    if (!log.ok()) {
        return fail(from_disk_error(log.error()));
    }
    s->log_ = std::shared_ptr<File>(std::move(log).value());
    TRY_VOID(s->open_index_files(OpenMode::create));
    // A leftover of the same name (a crash after a truncation that removed it, say) is emptied.
    for (File* f : {s->log_.get(), s->offset_index_file_.get(), s->time_index_file_.get()}) {
        auto size = f->size();
        if (!size.ok()) {
            return fail(from_disk_error(size.error()));
        }
        if (*size > 0) {
            auto r = f->truncate(0);
            if (!r.ok()) {
                return fail(from_disk_error(r.error()));
            }
        }
    }
    s->next_offset_ = base_offset;
    s->indexes_synced_ = false;
    return s;
}

Result<std::shared_ptr<Segment>, LogError> Segment::open(Env& env, std::string dir,
                                                         Offset base_offset,
                                                         uint64_t index_interval_bytes) {
    std::shared_ptr<Segment> s(new Segment(env, std::move(dir), base_offset, index_interval_bytes));
    auto log = env.disk.open(s->log_path(), OpenMode::read_write);
    if (!log.ok()) {
        return fail(from_disk_error(log.error()));
    }
    s->log_ = std::shared_ptr<File>(std::move(log).value());
    auto size = s->log_->size();
    if (!size.ok()) {
        return fail(from_disk_error(size.error()));
    }
    s->size_ = *size;
    s->synced_size_ = *size;  // what recovery finds on disk is what the disk has
    auto oi = env.disk.exists(s->index_path());
    auto ti = env.disk.exists(s->time_index_path());
    if (!oi.ok() || !ti.ok()) {
        return fail(from_disk_error(!oi.ok() ? oi.error() : ti.error()));
    }
    s->index_files_missing_ = !*oi || !*ti;
    TRY_VOID(s->open_index_files(OpenMode::create));
    s->indexes_synced_ = true;
    return s;
}

void Segment::reset_index_state() {
    next_offset_ = base_offset_;
    offset_index_.clear();
    time_index_.clear();
    bytes_since_index_entry_ = 0;
    max_timestamp_ = record::no_timestamp;
    offset_of_max_timestamp_ = base_offset_;
}

void Segment::index_batch(const BatchMeta& meta, uint64_t position) {
    ASSERT(meta.base_offset >= base_offset_);
    ASSERT(meta.last_offset >= meta.base_offset);
    ASSERT(position <= UINT32_MAX, "segment positions fit the index's u32");
    if (max_timestamp_ == record::no_timestamp || meta.max_timestamp > max_timestamp_) {
        max_timestamp_ = meta.max_timestamp;
        offset_of_max_timestamp_ = meta.last_offset;
    }
    ASSERT(!next_offset_ || meta.base_offset >= *next_offset_, "batches' offsets increase");
    if (bytes_since_index_entry_ > index_interval_bytes_) {
        offset_index_.append({relative(meta.last_offset), static_cast<uint32_t>(position)});

        (void)time_index_.maybe_append({max_timestamp_, relative(offset_of_max_timestamp_)});
        bytes_since_index_entry_ = 0;
    }
    bytes_since_index_entry_ += meta.size;
    next_offset_ = meta.last_offset + 1;
}

Result<SegmentScan, LogError> Segment::scan(bool verify_crc) {
    auto file_size = log_->size();
    if (!file_size.ok()) {
        return fail(from_disk_error(file_size.error()));
    }
    reset_index_state();
    next_offset_ = base_offset_;
    SegmentScan out;
    out.file_size = *file_size;
    BatchScanner scanner(*log_, 0, *file_size, base_offset_, base_offset_, verify_crc);
    while (true) {
        auto item = scanner.next();
        if (!item.ok()) {
            out.failure = item.error();
            break;
        }
        if (!item->has_value()) {
            break;
        }
        const ScannedBatch& b = **item;
        index_batch(
            {b.header.base_offset, b.header.last_offset, b.header.max_timestamp, b.header.size},
            b.position);
        ++out.batches;
        // Long scans must not starve the node's other fibers.
        if (out.batches % 256 == 0) {
            env_.scheduler.yield();
        }
    }
    out.valid_size = out.failure ? out.failure->position : scanner.position();
    ASSERT(out.valid_size <= out.file_size, "a scan ends within the file");
    ASSERT(*next_offset_ >= base_offset_);
    out.next_offset = *next_offset_;
    size_ = out.valid_size;
    synced_size_ = std::min(synced_size_, size_);
    return out;
}

Result<void, LogError> Segment::compute_tail_state(Offset offset_end) {
    const uint64_t start = offset_index_.last() ? offset_index_.last()->position : 0;
    if (auto t = time_index_.last()) {
        max_timestamp_ = t->timestamp;
        offset_of_max_timestamp_ = base_offset_ + t->relative_offset;
    } else {
        max_timestamp_ = record::no_timestamp;
        offset_of_max_timestamp_ = base_offset_;
    }
    BatchScanner scanner(*log_, start, size_, base_offset_, base_offset_, /*verify_crc=*/true);
    next_offset_ = base_offset_;
    bool first = true;
    uint64_t since_entry = 0;  // index_batch()'s counter, replayed: an entry it would have added
                               // after the last one means entries are missing
    while (true) {
        auto item = scanner.next();
        if (!item.ok()) {
            return fail(item.error().stop == ScanStop::torn ? LogError::corrupt_data
                                                            : LogError::io_error);
        }
        if (!item->has_value()) {
            break;
        }
        const BatchHeader& h = (*item)->header;
        if (first && offset_index_.last() &&
            h.last_offset != base_offset_ + offset_index_.last()->relative_offset) {
            return fail(LogError::corrupt_data);  // the index points at the wrong batch
        }
        if (since_entry > index_interval_bytes_ && !(first && offset_index_.last())) {
            return fail(LogError::corrupt_data);  // the index lost entries
        }
        since_entry += h.size;
        first = false;
        if (h.last_offset >= offset_end) {
            return fail(LogError::corrupt_data);
        }
        if (max_timestamp_ == record::no_timestamp || h.max_timestamp > max_timestamp_) {
            max_timestamp_ = h.max_timestamp;
            offset_of_max_timestamp_ = h.last_offset;
        }
        next_offset_ = h.last_offset + 1;
    }
    if (auto t = time_index_.last(); t && base_offset_ + t->relative_offset >= *next_offset_) {
        return fail(LogError::corrupt_data);
    }
    ASSERT(start <= size_, "index entries point below the segment's size");
    ASSERT(*next_offset_ >= base_offset_);
    ASSERT(*next_offset_ <= offset_end);
    bytes_since_index_entry_ = size_ - start;
    return {};
}

Result<void, LogError> Segment::load_indexes(Offset offset_end) {
    const int64_t relative_end =
        std::min<int64_t>(offset_end - base_offset_, limits::segment_offsets_max + 1);
    bool sane = false;
    if (!index_files_missing_ && offset_index_file_ != nullptr && time_index_file_ != nullptr) {
        auto oi_size = offset_index_file_->size();
        auto ti_size = time_index_file_->size();
        if (oi_size.ok() && ti_size.ok() && *oi_size <= limits::segment_bytes_max &&
            *ti_size <= limits::segment_bytes_max) {
            Bytes oi_bytes(*oi_size);
            Bytes ti_bytes(*ti_size);
            auto r1 = read_stable(*offset_index_file_, 0, oi_bytes);
            auto r2 = read_stable(*time_index_file_, 0, ti_bytes);
            if (r1.ok() && r2.ok() && *r1 == oi_bytes.size() && *r2 == ti_bytes.size()) {
                auto oi = OffsetIndex::decode(oi_bytes, size_);
                auto ti = TimeIndex::decode(ti_bytes, static_cast<uint64_t>(relative_end));
                // A segment with data but no time entry at all may have lost its index.
                if (oi && ti && (size_ == 0 || !ti->entries().empty() || oi->entries().empty())) {
                    offset_index_ = std::move(*oi);
                    time_index_ = std::move(*ti);
                    sane = compute_tail_state(offset_end).ok();
                }
            }
        }
    }
    if (sane) {
        indexes_synced_ = true;
        return {};
    }
    env_.log.warn("rebuilding the indexes of %s", log_path().c_str());
    TRY_ASSIGN(SegmentScan s, scan(/*verify_crc=*/true));
    if (s.failure) {
        return fail(s.failure->stop == ScanStop::torn ? LogError::corrupt_data
                                                      : LogError::io_error);
    }
    TRY_VOID(write_index_files());
    sync_indexes();
    return {};
}

Result<void, LogError> Segment::write_index_files() {
    if (offset_index_file_ == nullptr || time_index_file_ == nullptr) {
        TRY_VOID(open_index_files(OpenMode::create));
    }
    const Bytes oi = offset_index_.encode();
    const Bytes ti = time_index_.encode();
    for (auto [file, bytes] :
         {std::pair{offset_index_file_.get(), &oi}, std::pair{time_index_file_.get(), &ti}}) {
        auto r = file->truncate(0);
        if (r.ok() && !bytes->empty()) {
            r = file->write_at(0, *bytes);
        }
        if (!r.ok()) {
            return fail(from_disk_error(r.error()));
        }
    }
    indexes_synced_ = false;
    return {};
}

Result<void, LogError> Segment::truncate_to(uint64_t size, Offset next) {
    ASSERT(size <= size_, "truncation only shortens");
    ASSERT(next >= base_offset_);
    auto r = log_->truncate(size);
    if (!r.ok()) {
        return fail(from_disk_error(r.error()));
    }
    size_ = size;
    synced_size_ = std::min(synced_size_, size);
    offset_index_.truncate_to_position(size);
    time_index_.truncate_to_offset(relative(next));
    ASSERT(!offset_index_.last() || offset_index_.last()->position < size_,
           "no index entry points past a truncation");
    // The log end becomes the end of the kept batches, exactly what recovery would find.
    TRY_VOID(compute_tail_state(next));
    ASSERT(*next_offset_ <= next, "truncation keeps no offset at or past the target");
    if (offset_index_file_ != nullptr && time_index_file_ != nullptr) {
        auto r1 = offset_index_file_->truncate(offset_index_.entries().size() *
                                               index_format::offset_entry_bytes);
        auto r2 = time_index_file_->truncate(time_index_.entries().size() *
                                             index_format::time_entry_bytes);
        if (!r1.ok() || !r2.ok()) {
            drop_index_files("truncate failed");
        }
    }
    indexes_synced_ = false;
    return {};
}

void Segment::drop_index_files(const char* why) {
    env_.log.warn("index files of %s dropped (%s); rebuilt on the next open", log_path().c_str(),
                  why);
    offset_index_file_.reset();
    time_index_file_.reset();
    (void)env_.disk.remove(index_path());
    (void)env_.disk.remove(time_index_path());
}

Result<void, LogError> Segment::append(ByteSpan bytes, std::span<const BatchMeta> metas) {
    ASSERT(!metas.empty(), "append to a segment in a known state");
    ASSERT(next_offset_.has_value(), "append to a segment in a known state");
    ASSERT(metas.front().base_offset >= *next_offset_, "offsets increase across appends");
    const uint64_t position = size_;
    auto written = log_->write_at(position, bytes);
    if (!written.ok()) {
        return fail(from_disk_error(written.error()));
    }
    const size_t oi_before = offset_index_.entries().size();
    const size_t ti_before = time_index_.entries().size();
    uint64_t p = position;
    for (const BatchMeta& m : metas) {
        index_batch(m, p);
        p += m.size;
    }
    ASSERT(p == position + bytes.size(), "metas describe exactly the bytes written");
    ASSERT(next_offset_ == metas.back().last_offset + 1,
           "next offset == the last batch's last offset + 1");
    ASSERT(synced_size_ <= position, "appended bytes are not synced yet");
    size_ = p;
    // Mirror the new entries to the index files.
    if (offset_index_file_ != nullptr && offset_index_.entries().size() > oi_before) {
        Bytes oi((offset_index_.entries().size() - oi_before) * index_format::offset_entry_bytes);
        for (size_t i = oi_before; i < offset_index_.entries().size(); ++i) {
            OffsetIndex::encode_entry(
                offset_index_.entries()[i],
                oi.data() + (i - oi_before) * index_format::offset_entry_bytes);
        }
        Bytes ti((time_index_.entries().size() - ti_before) * index_format::time_entry_bytes);
        for (size_t i = ti_before; i < time_index_.entries().size(); ++i) {
            TimeIndex::encode_entry(time_index_.entries()[i],
                                    ti.data() + (i - ti_before) * index_format::time_entry_bytes);
        }
        auto r1 = offset_index_file_->write_at(oi_before * index_format::offset_entry_bytes, oi);
        auto r2 = ti.empty()
                      ? Result<void, DiskError>()
                      : time_index_file_->write_at(ti_before * index_format::time_entry_bytes, ti);
        if (!r1.ok() || !r2.ok()) {
            drop_index_files("write failed");
        }
        indexes_synced_ = false;
    }
    return {};
}

void Segment::seal() {
    const size_t before = time_index_.entries().size();
    if (size_ > 0 &&
        time_index_.maybe_append({max_timestamp_, relative(offset_of_max_timestamp_)}) &&
        time_index_file_ != nullptr) {
        std::byte entry[index_format::time_entry_bytes];
        TimeIndex::encode_entry(time_index_.entries().back(), entry);
        if (!time_index_file_->write_at(before * index_format::time_entry_bytes, entry).ok()) {
            drop_index_files("write failed");
        }
    }
    indexes_synced_ = false;
}

void Segment::sync_log(uint64_t covered_size) {
    if (!log_->sync().ok()) {
        crash_after_failed_sync(env_, log_path());
    }
    mark_synced(covered_size);
}

void Segment::mark_synced(uint64_t covered_size) {
    synced_size_ = std::max(synced_size_, std::min(covered_size, size_));
    ASSERT(synced_size_ <= size_, "nothing unwritten is synced");
}

void Segment::sync_indexes() {
    if (offset_index_file_ == nullptr || time_index_file_ == nullptr) {
        return;  // dropped: rebuilt on the next open
    }
    indexes_synced_ = true;
    if (!offset_index_file_->sync().ok()) {
        crash_after_failed_sync(env_, index_path());
    }
    if (!time_index_file_->sync().ok()) {
        crash_after_failed_sync(env_, time_index_path());
    }
}

uint64_t Segment::scan_start_for(Offset target) const {
    if (target <= base_offset_) {
        return 0;
    }
    const int64_t r = std::min<int64_t>(target - base_offset_, limits::segment_offsets_max);
    return offset_index_.floor_position(static_cast<uint32_t>(r));
}

Result<void, LogError> Segment::remove_files() {
    for (const std::string& path : {log_path(), index_path(), time_index_path()}) {
        auto r = env_.disk.remove(path);
        if (!r.ok() && r.error() != DiskError::not_found) {
            return fail(from_disk_error(r.error()));
        }
    }
    return {};
}

}  // namespace eddy::log
