// One Raft entry as one Kafka v2 record batch: the form the entry takes in the Raft log on disk
// (RaftLog) and in a Fetch response on the wire (raft_wire.h), written in this one place so the
// two cannot drift apart. The batch holds exactly one record, whose value is the entry's data
// (empty: the leader-change entry); its base offset is the entry's offset and its
// partition_leader_epoch the entry's epoch. KRaft writes its metadata records this way too, one
// batch per append, the epoch in partition_leader_epoch. That field lies outside the batch's CRC,
// so a bit flipped at rest there would silently move an entry to another epoch: Eddy writes the
// epoch again as the record's key (4 bytes, big-endian), inside the CRC, and decoding refuses a
// batch whose key disagrees (corrupt). A null key (an earlier Eddy) is read as before.
//
// Decoding takes untrusted bytes (a peer's Fetch response, a damaged file): the CRC and every
// record are checked, and anything but one uncompressed-or-compressed, non-control,
// non-transactional batch of one record with a value is refused, never ASSERTed.
#pragma once

#include <cstdint>

#include "core/base/bytes.h"
#include "core/base/ids.h"
#include "core/base/result.h"
#include "core/record/record_batch.h"
#include "services/raft/raft_log.h"

namespace eddy::raft {

enum class EntryBatchError : uint8_t {
    corrupt,       // the batch's CRC or its records do not check out
    not_an_entry,  // not one record with a value; a control or transactional batch; epoch < 0
};
const char* to_string(EntryBatchError e);

// The batch of the entry at `offset` in `epoch` holding `data`, stamped `timestamp`. Does not
// fail: the data of one entry stays far below a batch's limits (ASSERTed by the builder).
Bytes encode_entry_batch(Offset offset, LeaderEpoch epoch, ByteSpan data,
                         record::TimestampMs timestamp);

// The entry a batch holds (which has passed RecordBatchView::parse, not validate).
Result<RaftEntry, EntryBatchError> decode_entry_batch(const record::RecordBatchView& batch);

}  // namespace eddy::raft
