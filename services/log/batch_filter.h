// Rewriting one RecordBatch v2 with some of its records removed (compaction). core/record builds
// batches from scratch and edits a few header fields in place; compaction needs a third thing:
// the same batch, same BaseOffset, LastOffsetDelta, attributes, producer fields and timestamps,
// minus some records, recompressed with the batch's own codec, with a fresh CRC.
//
// The kept records are re-encoded field for field (their offset and timestamp deltas unchanged),
// so every record keeps its offset and timestamp. LastOffsetDelta is kept, so the batch keeps its
// offset range (the log's "increasing" validation mode allows the gaps this leaves).
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
    // nullopt: every record was kept (use the original bytes); an empty Bytes: none was.
    std::optional<Bytes> rewritten;
    int32_t kept = 0;
    int32_t removed = 0;
};

// Errors: the batch's records do not decode or do not recompress (BatchError values).
Result<FilteredBatch, record::BatchError> filter_batch(const record::RecordBatchView& batch,
                                                       const RecordFilter& keep);

}  // namespace eddy::log
