// One Raft entry as one record batch (entry_batch.h).
#include "services/raft/entry_batch.h"

#include "core/record/record_batch_builder.h"

namespace eddy::raft {

const char* to_string(EntryBatchError e) {
    switch (e) {
        case EntryBatchError::corrupt:
            return "the entry's batch is corrupt";
        case EntryBatchError::not_an_entry:
            return "the batch is not one Raft entry";
    }
    return "unknown entry batch error";
}

Bytes encode_entry_batch(Offset offset, LeaderEpoch epoch, ByteSpan data,
                         record::TimestampMs timestamp) {
    ASSERT(offset.value() >= 0);
    ASSERT(epoch.value() >= 0);
    record::BatchBuilderOptions o;
    o.base_offset = offset;
    o.partition_leader_epoch = epoch;
    record::RecordBatchBuilder b(o);
    std::byte key[4];
    store_be<uint32_t>(key, static_cast<uint32_t>(epoch.value()));
    b.append(timestamp, ByteSpan(key, sizeof key), data);
    return b.build();
}

Result<RaftEntry, EntryBatchError> decode_entry_batch(const record::RecordBatchView& batch) {
    if (batch.is_control() || batch.is_transactional() || batch.record_count() != 1 ||
        batch.last_offset_delta() != 0 || batch.partition_leader_epoch().value() < 0 ||
        batch.base_offset().value() < 0) {
        return fail(EntryBatchError::not_an_entry);
    }
    if (!batch.validate().ok()) {
        return fail(EntryBatchError::corrupt);
    }
    auto records = record::BatchRecords::open(batch);
    if (!records.ok()) {
        return fail(EntryBatchError::corrupt);
    }
    auto all = records->decode_all();
    if (!all.ok()) {
        return fail(EntryBatchError::corrupt);
    }
    if (all->size() != 1 || !(*all)[0].value) {
        return fail(EntryBatchError::not_an_entry);
    }
    if (const auto& key = (*all)[0].key) {
        // The epoch inside the CRC must be the one in the header (which the CRC does not cover).
        if (key->size() != 4 ||
            static_cast<int32_t>(load_be<uint32_t>(key->data())) !=
                batch.partition_leader_epoch().value()) {
            return fail(EntryBatchError::corrupt);
        }
    }
    const ByteSpan v = *(*all)[0].value;
    return RaftEntry{batch.base_offset(), batch.partition_leader_epoch(),
                     Bytes(v.begin(), v.end())};
}

}  // namespace eddy::raft
