// MetadataLog: the cluster metadata log, Kafka's `__cluster_metadata-0`: an ordered, durable
// sequence of metadata records (records/metadata/*.json, framed by encode_metadata_record), one
// record per Kafka record, one controller write per record batch (so a write is atomic: a torn
// batch fails its CRC and recovery drops it whole).
//
// The interface is what the controller needs of a quorum: append a batch and learn it is
// committed, and replay everything committed so far. PartitionMetadataLog is the single-voter
// implementation over a local PartitionLog; a Raft log replaces it for a multi-node quorum
// without changing the controller.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/base/result.h"
#include "core/env/env.h"
#include "services/controller/metadata_image.h"
#include "services/log/partition_log.h"

namespace eddy::controller {

enum class MetadataLogError : uint8_t {
    storage,  // the log could not be written or read
    corrupt,  // a committed record does not decode
};

const char* to_string(MetadataLogError e);

class MetadataLog {
public:
    virtual ~MetadataLog() = default;
    // Appends the records as one batch and returns once they are committed (durable here).
    // Suspends.
    virtual Result<void, MetadataLogError> append(const std::vector<MetadataRecord>& records) = 0;
    // Calls `apply` for every committed record in log order. Record kinds this build does not
    // know are skipped. `apply` returns why a record cannot be applied (nullopt: applied); replay
    // then stops. Fails with one line naming the record (its offset) and what is wrong. Suspends.
    using Apply = std::function<std::optional<std::string>(const MetadataRecord&)>;
    virtual Result<void, std::string> replay(const Apply& apply) = 0;
};

// The single voter's log: a PartitionLog that the caller opened (retention off, durable acks).
class PartitionMetadataLog final : public MetadataLog {
public:
    PartitionMetadataLog(Env& env, log::PartitionLog& log) : env_(env), log_(log) {}
    Result<void, MetadataLogError> append(const std::vector<MetadataRecord>& records) override;
    Result<void, std::string> replay(const Apply& apply) override;

private:
    Env& env_;
    log::PartitionLog& log_;
};

}  // namespace eddy::controller
