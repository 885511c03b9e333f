#include "services/controller/metadata_log.h"

namespace eddy::controller {

const char* to_string(MetadataLogError e) {
    switch (e) {
        case MetadataLogError::not_controller:
            return "this node is not the active controller";
        case MetadataLogError::timed_out:
            return "the metadata write was not committed in time";
        case MetadataLogError::stopped:
            return "the node is shutting down";
    }
    return "?";
}

MetadataLog::MetadataLog(Env& env) : env_(env), changed_(env.scheduler) {}

Result<void, MetadataLogError> MetadataLog::append(const std::vector<MetadataRecord>& records,
                                                   Duration timeout) {
    ASSERT(quorum_ != nullptr);
    ASSERT(!records.empty());
    auto r = quorum_->propose(encode_metadata_entry(records), timeout);
    if (r.ok()) {
        return {};
    }
    switch (r.error()) {
        case raft::ProposeError::not_leader:
            return fail(MetadataLogError::not_controller);
        case raft::ProposeError::timed_out:
            return fail(MetadataLogError::timed_out);
        case raft::ProposeError::stopped:
            return fail(MetadataLogError::stopped);
    }
    return fail(MetadataLogError::stopped);
}

void MetadataLog::apply(int64_t base_offset, const std::vector<raft::Entry>& entries) {
    ASSERT(base_offset == applied_offset_, "metadata entries are applied in order, none skipped");
    bool any = false;
    for (size_t i = 0; i < entries.size(); ++i) {
        const raft::Entry& e = entries[i];
        const int64_t offset = base_offset + static_cast<int64_t>(i);
        if (e.data.empty()) {
            continue;  // a new leader's leader-change entry
        }
        auto records = decode_metadata_entry(e.data);
        if (!records.ok()) {
            damaged("the metadata entry at offset " + std::to_string(offset) +
                    " does not decode: " + records.error());
            continue;
        }
        for (const MetadataRecord& m : *records) {
            if (auto why = image_.inconsistency(m)) {
                damaged("the metadata record at offset " + std::to_string(offset) +
                        " is inconsistent: " + *why);
                continue;
            }
            image_.apply(m);
            any = true;
        }
    }
    applied_offset_ = base_offset + static_cast<int64_t>(entries.size());
    // Brokers report the applied offset in heartbeats: a change even without new records.
    (void)any;
    changed();
}

Result<void, std::string> MetadataLog::load_snapshot(raft::SnapshotId id, ByteSpan image) {
    auto decoded = decode_image_snapshot(image);
    if (!decoded.ok()) {
        return fail("the metadata snapshot does not load: " + decoded.error());
    }
    ASSERT(id.end_offset >= applied_offset_, "a snapshot never takes the image back");
    image_ = std::move(decoded).value();
    applied_offset_ = id.end_offset;

    changed();
    return {};
}

Bytes MetadataLog::snapshot_image() const { return encode_image_snapshot(image_); }

void MetadataLog::damaged(std::string what) {
    env_.log.error("%s (skipped)", what.c_str());
    if (!first_damage_) {
        first_damage_ = std::move(what);
    }
}

void MetadataLog::changed() {
    ++version_;
    changed_.notify_all();
}

void MetadataLog::wait_changed(uint64_t seen, Instant deadline) const {
    while (version_ == seen) {
        if (changed_.wait(deadline) != WakeReason::notified) {
            return;
        }
    }
}

}  // namespace eddy::controller
