// Controller: the controller role of a node, here the only voter of the metadata quorum. Every
// change to cluster metadata (topics, partitions, topic configs) is validated against the current
// MetadataImage, written to the MetadataLog as one batch of Kafka metadata records, and applied to
// the image once committed. Nothing else writes the image. A Raft quorum later replaces the
// single voter's MetadataLog (and adds leader election) without changing these operations.
//
// Concurrency: operations are serialised by one fiber mutex, so validation and commit see the
// same image (two creates of one name cannot both pass). The image is read without the mutex;
// it changes only at commit.
//
// Outcomes per resource are Kafka error codes (ApiError); a failed metadata-log write is logged
// and answered with UNKNOWN_SERVER_ERROR (the write may or may not be durable: the next start
// replays whatever is).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/env/env.h"
#include "core/fiber/sync.h"
#include "services/controller/api_error.h"
#include "services/controller/metadata_image.h"
#include "services/controller/metadata_log.h"

namespace eddy::controller {

namespace limits {
// More partitions per topic than this are refused (INVALID_PARTITIONS) rather than allocated.
inline constexpr int32_t partitions_per_topic_max = 10000;
}  // namespace limits

struct ControllerOptions {
    int32_t node_id = 1;
    int32_t default_partitions = 1;          // num.partitions
    int16_t default_replication_factor = 1;  // default.replication.factor
    bool delete_topic_enable = true;         // delete.topic.enable
};

// One config change: a value to set, or nullopt to remove the dynamic value.
struct ConfigChange {
    std::string key;
    std::optional<std::string> value;
};

struct NewTopic {
    std::string name;
    int32_t partitions = -1;                        // -1: the default
    int16_t replication_factor = -1;                // -1: the default
    std::vector<std::vector<int32_t>> assignments;  // explicit replicas per partition, or empty
    std::vector<ConfigChange> configs;
};

struct CreatedTopic {
    ApiError error;
    Uuid id;
    int32_t partitions = -1;
    int16_t replication_factor = -1;
};

class Controller {
public:
    // Validates a topic config key and value; returns the reason when not acceptable.
    using ConfigValidator =
        std::function<std::optional<std::string>(const std::string& key, const std::string& value)>;

    Controller(Env& env, ControllerOptions options, MetadataLog& log, ConfigValidator validator);
    Controller(const Controller&) = delete;
    Controller& operator=(const Controller&) = delete;

    // Replays the metadata log into the image. Call once, before anything else. Suspends.
    Result<void, std::string> load();

    const MetadataImage& image() const { return image_; }
    // Bumped at every commit (for callers that reconcile local state with the image).
    uint64_t commits() const { return commits_; }

    // The operations. validate_only checks everything and writes nothing. Suspend.
    CreatedTopic create_topic(const NewTopic& t, bool validate_only);
    ApiError delete_topic(const std::string& name);
    ApiError create_partitions(const std::string& name, int32_t count,
                               const std::optional<std::vector<std::vector<int32_t>>>& assignments,
                               bool validate_only);
    // Applies `changes` to the topic's dynamic configs; with `replace` every key not named is
    // removed (AlterConfigs), otherwise the others stay (IncrementalAlterConfigs).
    ApiError alter_topic_configs(const std::string& name, const std::vector<ConfigChange>& changes,
                                 bool replace, bool validate_only);

    // Reserves `count` producer ids for `broker` (Kafka's AllocateProducerIds): the block
    // [first, first + count), never handed out again, even after a restart. Suspends.
    Result<int64_t, ApiError> allocate_producer_ids(int32_t broker, int32_t count);

private:
    ApiError check_replicas(const std::vector<int32_t>& replicas) const;
    ApiError check_configs(const std::vector<ConfigChange>& configs) const;
    ApiError commit(const std::vector<MetadataRecord>& records);
    Uuid new_topic_id();
    protocol::records::PartitionRecord partition_record(const Uuid& topic, int32_t partition) const;

    Env& env_;
    ControllerOptions options_;
    MetadataLog& log_;
    ConfigValidator validator_;
    MetadataImage image_;
    Mutex mutex_;
    uint64_t commits_ = 0;
};

}  // namespace eddy::controller
