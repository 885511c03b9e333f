// Fuzz target: a producer-state snapshot file as read from disk (services/log/producer_state.h).
// Invariants: never crashes; bytes that load re-encode to bytes that load to the same table;
// a loaded table answers check() for each of its producers without failing an ASSERT.
#include <cstddef>
#include <cstdint>

#include "core/base/assert.h"
#include "services/log/producer_state.h"

using namespace eddy;
using namespace eddy::log;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const ByteSpan bytes(reinterpret_cast<const std::byte*>(data), size);
    ProducerStateTable t;
    if (!t.load_snapshot(bytes).ok()) {
        ASSERT(t.producers().empty(), "a refused snapshot left state behind");
        return 0;
    }
    const Bytes again = t.encode_snapshot();
    ProducerStateTable u;
    ASSERT(u.load_snapshot(again).ok(), "a re-encoded snapshot does not load");
    ASSERT(u.encode_snapshot() == again, "snapshot encoding is not stable");
    for (const auto& [id, e] : u.producers()) {
        const ProducerBatch& last = e.batches.back();
        auto retry = u.check(ProducerAppend{id, e.epoch, last.first_sequence,
                                            static_cast<int32_t>(last.last_offset.value() -
                                                                 last.first_offset.value())});
        (void)retry;
    }
    return 0;
}
