// Reading batches back from a segment file, which is untrusted: a crash may have torn its tail,
// and any read may return flipped bits (the simulator injects those; disks do it too). Two tools:
//
// - read_header(): one batch header at a position, checked against what the caller already knows
//   (the file's valid size, the offsets the batch must lie between). A header that fails the
//   check is read again: a transient flip goes away, real damage does not. Used by the read path
//   and offset lookups, which then never walk into garbage.
// - BatchScanner: whole batches in order from a position, in large chunks, each checked for
//   framing, CRC-32C and increasing offsets. A batch that fails is re-read: the same bad bytes
//   on three reads is real damage (a torn write); a good read was a transient read fault and is
//   used. BaseOffset is outside the CRC, so a batch that does not start right after the previous
//   one (a gap, which only compaction makes) has its BaseOffset read again until two reads
//   agree: a flipped bit there must not move the log end. A scan that starts inside a segment (at
//   an index position) does not know where the first batch starts: its BaseOffset is read again
//   whatever it says. Used by recovery, index rebuilds, compaction, truncation and the timestamp
//   search.
//
// Nothing here writes.
#pragma once

#include <cstdint>
#include <optional>

#include "core/base/bytes.h"
#include "core/base/ids.h"
#include "core/base/result.h"
#include "core/env/disk.h"
#include "core/record/record_batch.h"
#include "services/log/log_error.h"

namespace eddy::log {

namespace limits {
// Recovery reads segments in chunks of this size.
inline constexpr size_t scan_chunk_bytes = 1024 * 1024;
}  // namespace limits

// What a batch header says, after framing checks.
struct BatchHeader {
    Offset base_offset;
    Offset last_offset;
    LeaderEpoch partition_leader_epoch;
    uint32_t size = 0;  // the whole batch: BatchLength + 12
    record::TimestampMs max_timestamp = record::no_timestamp;
    int32_t record_count = 0;
    ProducerId producer_id{-1};
    ProducerEpoch producer_epoch{-1};
    int32_t base_sequence = -1;
};

// Parses the first layout::header_bytes of a batch; nullopt unless magic is 2, BatchLength covers
// a whole header and fits u32, and LastOffsetDelta is not negative.
std::optional<BatchHeader> parse_header(ByteSpan header);

// What a header at a known place must satisfy.
struct HeaderBounds {
    uint64_t valid_size = 0;  // the batch must end at or before this position
    Offset base_min;          // its base offset must be >= this (the previous batch's last + 1)
    Offset offset_end;        // its last offset must be < this (next segment base / log end)
};

// Reads and checks the header of the batch at `position` (see above). Suspends. Errors:
// corrupt_data if every read disagrees with the bounds, io_error if the disk keeps failing.
Result<BatchHeader, LogError> read_header(File& file, uint64_t position,
                                          const HeaderBounds& bounds);

struct ScannedBatch {
    uint64_t position = 0;
    ByteSpan bytes;  // valid until the next call to next()
    BatchHeader header;
};

// Why a scan stopped before `end`.
enum class ScanStop : uint8_t {
    torn,      // a batch is damaged (the same on every read): a torn or corrupt write
    io_error,  // the disk failed, or reads never agreed
};

struct ScanFailure {
    ScanStop stop = ScanStop::torn;
    uint64_t position = 0;  // where the bad batch starts
    // torn, but the batch there is whole and passes its CRC: only its offsets go back. No torn
    // write leaves that behind; a damaged BaseOffset (outside the CRC) before it does.
    bool misordered = false;
};

class BatchScanner {
public:
    // Scans [start, end) of `file`; batch offsets must be >= `base_min`, and every offset must be
    // below base_min's segment base + 2^31 (`relative_base`, for the u32 index entries). With
    // `start` 0, `base_min` is where the first batch should start (the segment base); past 0 it
    // is only a lower bound, so the first batch's BaseOffset is always confirmed by a stable read.
    // `verify_crc` false checks framing and offsets only: a transient flip in a field that the
    // CRC alone covers (LastOffsetDelta, timestamps, producer fields) then passes as data. Only
    // for a caller that confirms the headers it uses some other way.
    BatchScanner(File& file, uint64_t start, uint64_t end, Offset base_min, Offset relative_base,
                 bool verify_crc, size_t chunk_bytes = limits::scan_chunk_bytes);

    // The next batch; nullopt at `end`. Suspends (reads).
    Result<std::optional<ScannedBatch>, ScanFailure> next();
    uint64_t position() const { return position_; }

private:
    // Checks the batch at the start of `bytes`; its size, or nullopt if it is bad or cut short.
    std::optional<BatchHeader> check(ByteSpan bytes) const;
    // The batch at the start of `bytes` is whole and passes its CRC, but starts below base_min_.
    bool intact_but_misordered(ByteSpan bytes) const;
    Result<void, ScanFailure> fill();
    Result<void, ScanFailure> reread_bad_batch();
    // For a batch that leaves a gap: its BaseOffset as two reads agree on it.
    Result<Offset, ScanFailure> stable_base_offset();

    File& file_;
    uint64_t position_;
    uint64_t end_;
    Offset base_min_;
    // base_min_ is where the next batch starts unless compaction left a gap (see next()); false
    // for the first batch of a scan that starts inside a segment.
    bool base_min_expected_;
    Offset relative_base_;
    bool verify_crc_;
    size_t chunk_bytes_;
    Bytes buffer_;  // file bytes from buffer_position_
    uint64_t buffer_position_ = 0;
};

}  // namespace eddy::log
