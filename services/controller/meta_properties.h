// meta.properties: the file that marks a formatted data directory, as in Kafka's KRaft mode
// (`version=1`, `node.id`, `cluster.id`, `directory.id`).
//
// The cluster id. Every node of a cluster must hold the same one. Kafka makes the operator run
// `kafka-storage format -t <id>` on every node; Eddy keeps that step (`eddy format`, format()
// here) but does not need it: a node whose directory is not formatted formats it at its first
// start with an id *derived* from controller.quorum.voters (derive_cluster_id: SHA-256 of a fixed
// prefix and the normalized voters, rendered as Kafka's 22-character base64url Uuid). Nodes
// started from the same voters therefore agree without a manual step, and a cluster with other
// voters gets another id. The single-node default (`eddy broker` with no arguments) derives its id
// the same way, from its one default voter: one rule, no special case (so every default
// single-node install shares one cluster id, which only matters to a client comparing ids across
// unrelated dev clusters).
//
// A derived id is recorded with the voters it came from (`eddy.derived.from.voters=…`, a key
// Eddy adds; Eddy's reader ignores keys it does not know, as Kafka's does). At later starts a
// directory with that record is refused if the configured voters now derive another id: the
// node was pointed at another cluster. A directory formatted with an explicit id (`eddy format
// --cluster-id`) carries no record and is not compared with the voters: the quorum's own cluster
// id checks (INCONSISTENT_CLUSTER_ID on Vote and Fetch) guard it, as in Kafka. A directory for
// another node.id is always refused.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/result.h"
#include "core/env/env.h"
#include "services/config/config.h"

namespace eddy::controller {

inline constexpr std::string_view meta_properties_file = "meta.properties";

struct MetaProperties {
    int32_t node_id = -1;
    std::string cluster_id;    // 22 characters of base64url (16 bytes), like Kafka's
    std::string directory_id;  // the same form
    // The normalized controller.quorum.voters the cluster id was derived from; empty when the id
    // was given explicitly (eddy format) or by a release that did not record it.
    std::string derived_from_voters;
};

// Every error below is one line that starts with the file's path (`<dir>/meta.properties`).

// Reads `<dir>/meta.properties`; nullopt when the directory is not formatted. Errors: unreadable, too large, malformed, no or invalid cluster.id. Suspends.
Result<std::optional<MetaProperties>, std::string> read_meta_properties(Env& env,
                                                                        const std::string& dir);

// A broker's start: reads `<dir>/meta.properties`, or formats the directory (writes it, synced)
// with the id derived from `voters` when missing. Refuses, with one line naming the file and the
// reason, a directory of another node.id, or one whose recorded voters derive another cluster id
// than `voters` do (see above). Suspends.
Result<MetaProperties, std::string> load_or_format(Env& env, const std::string& dir,
                                                   int32_t node_id,
                                                   const std::vector<config::QuorumVoter>& voters);

enum class FormatOutcome : uint8_t {
    formatted,          // meta.properties written (synced)
    already_formatted,  // it was already there with this cluster id and node id: left as is
    left_as_is,         // ignore_formatted: it was there (whatever its ids): left as is
};

// `eddy format` (Kafka's `kafka-storage format`): writes meta.properties with `cluster_id`.
// A directory already formatted with the same cluster id and node id is fine (already_formatted);
// with another cluster id or node id it is an error naming both, unless `ignore_formatted`
// (Kafka's --ignore-formatted: any formatted directory is left as is). Precondition: the caller
// checked valid_cluster_id(). Suspends.
Result<FormatOutcome, std::string> format(Env& env, const std::string& dir, int32_t node_id,
                                          const std::string& cluster_id, bool ignore_formatted);

// The cluster id that `voters` derive: the same for every spelling of the same voters.
std::string derive_cluster_id(const std::vector<config::QuorumVoter>& voters);
// Kafka's Uuid.toString() form: 22 characters of unpadded base64url that decode to 16 bytes
// (canonical: the last character carries 2 bits), not starting with '-' (Kafka never makes
// those: they read as command-line options).
bool valid_cluster_id(std::string_view id);
// 16 random bytes in that form, drawn again until it does not start with '-'.
std::string random_base64_uuid(Random& random);

}  // namespace eddy::controller
