// MetadataLog: the cluster metadata log, Kafka's `__cluster_metadata-0`, as the node's
// components see it. The log itself is the controller quorum's Raft log (services/raft:
// QuorumDriver on a RaftLog); this class is the application the quorum drives: every committed
// entry is a batch of Kafka metadata records (records/metadata/*.json, framed by
// encode_metadata_entry in metadata_image.h), applied in log order to the node's MetadataImage. Nothing else changes
// the image, on any node: the active controller's own writes reach its image the same way, once
// committed.
//
// append() is the controller's write: one entry, proposed to the quorum, returning once it is
// committed and applied here (so the caller's next validation sees it). Only the quorum leader
// can append (not_controller otherwise: the caller forwards to the leader).
//
// Records read from the log came from disk or from the leader: each is checked against the image
// (MetadataImage::inconsistency) before it is applied. An inconsistent committed record is a bug
// of the controller that wrote it or a damaged log; it is logged and skipped, so that the image
// stays a consistent function of the log and the node keeps serving; a node that finds one while
// catching up at start refuses to start instead (first_damage()), so the operator hears of it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/base/result.h"
#include "core/env/env.h"
#include "core/fiber/sync.h"
#include "services/controller/metadata_image.h"
#include "services/raft/quorum_driver.h"

namespace eddy::controller {

enum class MetadataLogError : uint8_t {
    not_controller,  // this node does not lead the quorum (NOT_CONTROLLER)
    timed_out,       // not committed in time; it may still commit (REQUEST_TIMED_OUT)
    stopped,         // the node is shutting down
};
const char* to_string(MetadataLogError e);

class MetadataLog final : public raft::QuorumApplication {
public:
    explicit MetadataLog(Env& env);

    // The quorum this log appends through; set once, before append() is called.
    void attach(raft::QuorumDriver& quorum) { quorum_ = &quorum; }
    raft::QuorumDriver& quorum() const { return *quorum_; }

    // Appends `records` as one entry and returns once committed and applied to image().
    // Suspends.
    Result<void, MetadataLogError> append(const std::vector<MetadataRecord>& records,
                                          Duration timeout);

    const MetadataImage& image() const { return image_; }
    // The offset after the last entry applied (the broker's "metadata offset" in heartbeats).
    int64_t applied_offset() const { return applied_offset_; }
    // Bumped whenever the image changes; `changed()` is notified then.
    uint64_t version() const { return version_; }
    // The first entry or record that could not be applied, as one line naming its offset.
    const std::optional<std::string>& first_damage() const { return first_damage_; }
    // Waits until version() differs from `seen` or the deadline. Suspends.
    void wait_changed(uint64_t seen, Instant deadline) const;

    // raft::QuorumApplication
    void apply(int64_t base_offset, const std::vector<raft::Entry>& entries) override;
    Result<void, std::string> load_snapshot(raft::SnapshotId id, ByteSpan image) override;
    Bytes snapshot_image() const override;

private:
    void changed();
    void damaged(std::string what);

    Env& env_;
    raft::QuorumDriver* quorum_ = nullptr;
    MetadataImage image_;
    int64_t applied_offset_ = 0;
    uint64_t version_ = 0;
    std::optional<std::string> first_damage_;
    mutable WaitQueue changed_;  // waiting does not change the log
};

}  // namespace eddy::controller
