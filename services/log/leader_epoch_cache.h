// LeaderEpochCache: which leader epoch wrote which offsets, as Kafka's leader-epoch-checkpoint
// keeps it (KIP-101, KIP-279): an ordered list of (epoch, start offset), each epoch's first
// offset in this log. Replication asks it for the end offset of an epoch (OffsetsForLeaderEpoch)
// to find where a follower's log diverges from the leader's.
//
// Invariants: epochs strictly increase and start offsets strictly increase along the list.
// This class is plain state (no I/O); PartitionLog writes its checkpoint when it changes.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/ids.h"

namespace eddy::log {

struct EpochEntry {
    LeaderEpoch epoch;
    Offset start_offset;
    auto operator<=>(const EpochEntry&) const = default;
};

struct EpochEndOffset {
    LeaderEpoch epoch;  // the largest epoch <= the one asked for; -1 if none
    Offset end_offset;  // first offset after that epoch (the log end for the latest); -1 if none
};

class LeaderEpochCache {
public:
    LeaderEpochCache() = default;
    explicit LeaderEpochCache(std::vector<EpochEntry> entries);

    // Records that `epoch` starts at `offset`. Returns true if the cache changed (a new epoch
    // above the latest). An epoch below the latest is ignored (old data being replicated).
    bool assign(LeaderEpoch epoch, Offset offset);
    // Drops entries starting at or after `end` (the log was truncated to `end`). True if changed.
    bool truncate_from_end(Offset end);
    // The log start moved to `start`: entries wholly below it go, and the latest of those that
    // go is kept, starting at `start` (Kafka's truncateFromStart). True if changed.
    bool truncate_from_start(Offset start);

    std::optional<EpochEntry> latest() const;
    // OffsetsForLeaderEpoch: see EpochEndOffset. `log_end` answers for the latest epoch.
    EpochEndOffset end_offset_for(LeaderEpoch epoch, Offset log_end) const;
    const std::vector<EpochEntry>& entries() const { return entries_; }

    std::string to_checkpoint() const;
    // nullopt if the text is not a well-formed checkpoint with increasing epochs and offsets.
    static std::optional<LeaderEpochCache> from_checkpoint(std::string_view text);

private:
    void check() const;
    std::vector<EpochEntry> entries_;
};

}  // namespace eddy::log
