// Rewriting one RecordBatch v2 with some of its records removed (compaction). core/record builds
// batches from scratch and edits a few header fields in place; compaction needs a third thing:
// the same batch, same BaseOffset, LastOffsetDelta, attributes, producer fields and timestamps,
// minus some records, recompressed with the batch's own codec, with a fresh CRC.
//
// The kept records are re-encoded field for field (their offset and timestamp deltas unchanged),
// so every record keeps its offset and timestamp. LastOffsetDelta is kept, so the batch keeps its
// offset range (the log's "increasing" validation mode allows the gaps this leaves).
//
// KIP-534 delete horizon: a batch that keeps a tombstone and has no horizon yet can be stamped
// with one: the delete-horizon attribute bit (0x40) is set and BaseTimestamp becomes the horizon
// (the time after which the cleaner may drop its tombstones). The records' timestamp deltas are
// re-based on it, so every record still reads back its own timestamp (deltas may go negative, as
// in Kafka's batches); MaxTimestamp is unchanged.
#pragma once

#include <functional>
#include <optional>

#include "core/base/bytes.h"
#include "core/base/result.h"
#include "core/record/record_batch.h"

namespace eddy::log {

// Which records survive.
using RecordFilter = std::function<bool(const record::Record& record, Offset offset)>;

struct FilteredBatch {
    // nullopt: every record was kept and nothing was stamped (use the original bytes); an empty
    // Bytes: no record was kept.
    std::optional<Bytes> rewritten;
    int32_t kept = 0;
    int32_t removed = 0;
    int32_t kept_tombstones = 0;  // kept records with a null value
    // The batch's delete horizon after filtering (its own, or the one stamped); no_timestamp if
    // it has none.
    record::TimestampMs delete_horizon = record::no_timestamp;
};

struct FilterOptions {
    // When set and the batch has no delete horizon but keeps a tombstone, the rewritten batch
    // carries this horizon (see above).
    std::optional<record::TimestampMs> stamp_delete_horizon;
};

// Errors: the batch's records do not decode or do not recompress (BatchError values).
Result<FilteredBatch, record::BatchError> filter_batch(const record::RecordBatchView& batch,
                                                       const RecordFilter& keep,
                                                       const FilterOptions& options = {});

}  // namespace eddy::log
