// The pure parts of `eddy topic reassign`: reading a reassignment plan (kafka-reassign-partitions'
// JSON file, or a `--replicas 1,2,3` list) and the one-line progress of a partition being moved.
// No I/O: the command reads the file and asks the cluster; these are unit-tested.
//
// The JSON format is kafka-reassign-partitions' (`--reassignment-json-file`), read strictly:
//
//   {"version":1,"partitions":[{"topic":"t","partition":0,"replicas":[1,2,3]}, ...]}
//
// with an optional "log_dirs" per partition, which must list "any" once per replica (Eddy has one
// log directory per broker). Keys appear once each; any other key, a missing key, a version other
// than 1, an empty topic name, an empty or duplicated replica list, a partition named twice, or
// text after the object is an error with one line that says what and where ("at line L, column C"
// or "at the end").
// Strings have no escapes (Kafka's topic names need none); the broker judges the names.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/result.h"
#include "services/client/client_types.h"

namespace eddy::client {

namespace limits {
// Partitions in one plan, and replicas per partition (Kafka's replication factor is an int16).
inline constexpr size_t reassignment_partitions_max = 100000;
inline constexpr size_t reassignment_replicas_max = 32767;
}  // namespace limits

// Every partition of the file, in file order, each with its target replicas.
Result<std::vector<PartitionReassignment>, std::string> parse_reassignment_json(
    std::string_view text);

// "1,2,3": broker ids, at least one, no repeats, no spaces.
Result<std::vector<int32_t>, std::string> parse_replica_list(std::string_view text);

// Where a partition being reassigned stands, from what the controller lists and what Metadata
// says. `ongoing`: its entry in ListPartitionReassignments, nullopt when not listed; `metadata`:
// its Metadata, nullopt when Metadata lacks it.
struct ReassignmentProgress {
    // Not listed any more and Metadata's replicas are the target's (as a set).
    bool done = false;
    // "orders-0: adding [4], in sync 2 of 3 target replicas", or
    // "orders-0: done, replicas [2,3,4], leader 2", or why it is not done yet.
    std::string line;
};
ReassignmentProgress reassignment_progress(const std::string& topic, int32_t partition,
                                           const std::vector<int32_t>& target,
                                           const std::optional<OngoingReassignment>& ongoing,
                                           const std::optional<PartitionMetadata>& metadata);

// "[1,2,3]".
std::string id_list(const std::vector<int32_t>& ids);

}  // namespace eddy::client
