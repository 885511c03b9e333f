// Fuzz target: partition-log recovery over arbitrary segment bytes.
//
// The input is a 4-byte header and the contents of up to two segment files: byte 0 picks the
// recovery point (0, the middle, past the end), bytes 1-2 where the data splits between the first
// segment (base 0) and a second one (its base from byte 3), so damage, overlap and gaps between
// segments are all reachable. The log is opened on an in-memory disk (recovery runs), then
// checked: it opened (offline or not); an online log serves only whole, CRC-valid batches with
// strictly increasing offsets, none at or past its log end; an append after recovery lands at the
// log end and reads back; close() works. A failure aborts (ASSERT), which the fuzzer reports.
#include <cstddef>
#include <cstdint>
#include <map>
#include <set>

#include "core/base/assert.h"
#include "core/record/record_batch_builder.h"
#include "services/log/partition_log.h"
#include "tests/fuzz/fuzz_env.h"

using namespace eddy;

namespace {

using fuzz::MemDisk;

void check_log(log::PartitionLog& l) {
    if (l.offline()) {
        return;
    }
    ASSERT(l.log_start_offset() <= l.log_end_offset());
    Offset at = l.log_start_offset();
    Offset prev_last(-1);
    while (at < l.log_end_offset()) {
        auto r = l.read_copy(at, log::ReadOptions{1 << 20, log::ReadBound::log_end});
        ASSERT(r.ok(), "an online log serves its whole range");
        if (r->batches.empty()) {
            break;  // a gap up to an empty last segment (offsets jumped at a roll)
        }
        auto views = record::split_batches(r->data);
        ASSERT(views.ok() && views->size() == r->batches.size());
        for (const auto& v : *views) {
            record::ValidateOptions o;
            o.decode_records = false;
            o.offset_deltas = record::OffsetDeltas::increasing;
            ASSERT(v.validate(o).ok(), "only CRC-valid batches are served");
            ASSERT(v.base_offset() > prev_last, "offsets increase");
            prev_last = v.last_offset();
        }
        at = r->batches.back().last_offset + 1;
    }
    ASSERT(prev_last.value() < 0 || prev_last + 1 <= l.log_end_offset());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 4) {
        return 0;
    }
    const ByteSpan body(reinterpret_cast<const std::byte*>(data + 4), size - 4);
    const size_t split = std::min<size_t>(body.size(), (size_t{data[1]} << 8) | data[2]);
    const int64_t second_base = data[3];
    fuzz::FuzzNode node;
    MemDisk& disk = node.disk;
    const std::string dir = "t-0";
    disk.files_[dir + "/00000000000000000000.log"] =
        Bytes(body.begin(), body.begin() + static_cast<std::ptrdiff_t>(split));
    if (split < body.size() && second_base > 0) {
        disk.files_[dir + "/" + log::offset_file_stem(Offset(second_base)) + ".log"] =
            Bytes(body.begin() + static_cast<std::ptrdiff_t>(split), body.end());
    }

    node.run([&] {
        log::PartitionLog::OpenOptions o;
        o.dir = dir;
        o.topic_partition = log::TopicPartition{"t", PartitionId(0)};
        o.config.index_interval_bytes = 64;
        o.recovery_point = Offset(data[0] % 3 == 0 ? 0 : data[0] % 3 == 1 ? second_base : 1 << 20);
        auto opened = log::PartitionLog::open(node.env, o);
        ASSERT(opened.ok(), "recovery on a healthy disk always opens the log");
        log::PartitionLog& l = **opened;
        check_log(l);
        if (!l.offline()) {
            record::RecordBatchBuilder b(record::BatchBuilderOptions{});
            b.append(record::TimestampMs(1), std::nullopt, as_bytes("after recovery"));
            Bytes batch = b.build();
            const Offset end = l.log_end_offset();
            auto r = l.append(batch);
            ASSERT(r.ok() && r->base_offset == end, "appends resume at the log end");
            check_log(l);
        }
        ASSERT(l.close().ok());
    });
    return 0;
}
