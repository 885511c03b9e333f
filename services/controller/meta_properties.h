// meta.properties: the file that marks a formatted data directory, as in Kafka's KRaft mode
// (`version=1`, `node.id`, `cluster.id`, `directory.id`). The first start of a node writes it
// (a fresh random cluster id); later starts read it and refuse a directory that belongs to
// another node id.
#pragma once

#include <cstdint>
#include <string>

#include "core/base/result.h"
#include "core/env/env.h"

namespace eddy::controller {

struct MetaProperties {
    int32_t node_id = -1;
    std::string cluster_id;    // 22 characters of base64url (16 random bytes), like Kafka's
    std::string directory_id;  // the same form
};

// Reads `<dir>/meta.properties`, or formats the directory (writes it, synced) when missing.
// Errors are one line: unreadable file, bad content, node.id mismatch. Suspends.
Result<MetaProperties, std::string> load_or_format(Env& env, const std::string& dir,
                                                   int32_t node_id);

// 16 random bytes as 22 characters of unpadded base64url (Kafka's Uuid.toString()).
std::string random_base64_uuid(Random& random);

}  // namespace eddy::controller
