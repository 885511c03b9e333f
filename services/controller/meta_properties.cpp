// meta.properties: reading, formatting, the derived cluster id. See meta_properties.h.
#include "services/controller/meta_properties.h"

#include <charconv>

#include "core/base/sha256.h"
#include "services/log/checkpoint.h"

namespace eddy::controller {
namespace {

constexpr size_t uuid_bytes = 16;
constexpr size_t uuid_chars = 22;  // ceil(16 * 8 / 6), unpadded
constexpr char base64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
// What the derivation hashes before the voters: changing it changes every derived id, so never.
constexpr std::string_view derivation_prefix = "eddy cluster id v1\n";
constexpr std::string_view derived_key = "eddy.derived.from.voters";
constexpr uint64_t file_bytes_max = 64 * 1024;

std::string encode_uuid(const uint8_t (&bytes)[uuid_bytes]) {
    std::string out;
    uint32_t acc = 0;
    int bits = 0;
    for (const uint8_t byte : bytes) {
        acc = (acc << 8) | byte;
        bits += 8;
        while (bits >= 6) {
            bits -= 6;
            out.push_back(base64url[(acc >> bits) & 0x3f]);
        }
    }
    if (bits > 0) {
        out.push_back(base64url[(acc << (6 - bits)) & 0x3f]);
    }
    ASSERT(out.size() == uuid_chars);
    return out;
}

std::string path_in(const std::string& dir) { return log::join_path(dir, meta_properties_file); }

std::string render(const MetaProperties& m) {
    std::string text = "#\n# Written by eddy when it formatted this data directory.\n#\n";
    text += "version=1\nnode.id=" + std::to_string(m.node_id) + "\ncluster.id=" + m.cluster_id +
            "\ndirectory.id=" + m.directory_id + "\n";
    if (!m.derived_from_voters.empty()) {
        text += std::string(derived_key) + "=" + m.derived_from_voters + "\n";
    }
    return text;
}

Result<void, std::string> write_meta_properties(Env& env, const std::string& dir,
                                                const MetaProperties& m) {
    const std::string text = render(m);
    return log::replace_small_file(env, dir, meta_properties_file, as_bytes(text));
}

std::string ids_of(const MetaProperties& m) {
    return "cluster.id " + m.cluster_id + ", node.id " + std::to_string(m.node_id);
}

}  // namespace

bool valid_cluster_id(std::string_view id) {
    if (id.size() != uuid_chars || id.front() == '-') {
        return false;
    }
    const std::string_view alphabet(base64url, 64);
    for (const char c : id) {
        if (alphabet.find(c) == std::string_view::npos) {
            return false;
        }
    }
    // 22 characters carry 132 bits; the last 4 must be zero for the text to be canonical.
    return (alphabet.find(id.back()) & 0x0f) == 0;
}

std::string random_base64_uuid(Random& random) {
    while (true) {
        uint8_t bytes[uuid_bytes];
        const uint64_t a = random.next();
        const uint64_t b = random.next();
        for (size_t i = 0; i < 8; ++i) {
            bytes[i] = static_cast<uint8_t>(a >> (8 * i));
            bytes[8 + i] = static_cast<uint8_t>(b >> (8 * i));
        }
        std::string out = encode_uuid(bytes);
        if (out.front() != '-') {
            return out;
        }
    }
}

std::string derive_cluster_id(const std::vector<config::QuorumVoter>& voters) {
    const std::string normalized = config::normalized_quorum_voters(voters);
    // One in 64 digests would start with '-': hash again with a counter until one does not.
    for (int attempt = 0;; ++attempt) {
        std::string input = std::string(derivation_prefix) + normalized;
        if (attempt > 0) {
            input += "\n" + std::to_string(attempt);
        }
        const Sha256Digest digest = sha256(as_bytes(input));
        uint8_t bytes[uuid_bytes];
        for (size_t i = 0; i < uuid_bytes; ++i) {
            bytes[i] = static_cast<uint8_t>(digest[i]);
        }
        std::string out = encode_uuid(bytes);
        if (out.front() != '-') {
            return out;
        }
    }
}

Result<std::optional<MetaProperties>, std::string> read_meta_properties(Env& env,
                                                                        const std::string& dir) {
    const std::string path = path_in(dir);
    TRY_ASSIGN(std::optional<Bytes> read, log::read_small_file(env.disk, path, file_bytes_max));
    if (!read) {
        return std::optional<MetaProperties>();
    }
    auto pairs = config::parse_properties(as_chars(*read));
    if (!pairs.ok()) {
        return fail(path + ": " + pairs.error());
    }
    MetaProperties m;
    for (const auto& [k, v] : *pairs) {
        if (k == "node.id") {
            int32_t id = -1;
            auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), id);
            if (ec != std::errc() || p != v.data() + v.size() || id < 0) {
                return fail(path + ": bad node.id '" + v + "'");
            }
            m.node_id = id;
        } else if (k == "cluster.id") {
            m.cluster_id = v;
        } else if (k == "directory.id") {
            m.directory_id = v;
        } else if (k == derived_key) {
            m.derived_from_voters = v;
        }
    }
    if (m.cluster_id.empty()) {
        return fail(path + ": no cluster.id");
    }
    if (!valid_cluster_id(m.cluster_id)) {
        return fail(path + ": cluster.id '" + m.cluster_id +
                    "' is not a 22-character base64url id");
    }
    if (m.node_id < 0) {
        return fail(path + ": no node.id");
    }
    return std::optional<MetaProperties>(std::move(m));
}

Result<MetaProperties, std::string> load_or_format(Env& env, const std::string& dir,
                                                   int32_t node_id,
                                                   const std::vector<config::QuorumVoter>& voters) {
    ASSERT(!voters.empty(), "the config always has voters");
    const std::string path = path_in(dir);
    const std::string derived = derive_cluster_id(voters);
    TRY_ASSIGN(std::optional<MetaProperties> found, read_meta_properties(env, dir));
    if (found) {
        const MetaProperties& m = *found;
        if (m.node_id != node_id) {
            return fail(path + " says node.id=" + std::to_string(m.node_id) +
                        " but the configuration says node.id=" + std::to_string(node_id) +
                        ": this data directory belongs to another node");
        }
        if (!m.derived_from_voters.empty() && m.cluster_id != derived) {
            return fail(path + " belongs to cluster.id " + m.cluster_id +
                        " (derived from controller.quorum.voters=" + m.derived_from_voters +
                        "), but controller.quorum.voters=" +
                        config::normalized_quorum_voters(voters) + " derives cluster.id " +
                        derived + ": this data directory belongs to another cluster");
        }
        return std::move(*found);
    }
    MetaProperties m;
    m.node_id = node_id;
    m.cluster_id = derived;
    m.directory_id = random_base64_uuid(env.random);
    m.derived_from_voters = config::normalized_quorum_voters(voters);
    TRY_VOID(write_meta_properties(env, dir, m));
    env.log.info(
        "formatted the data directory: cluster.id=%s (derived from "
        "controller.quorum.voters) node.id=%d",
        m.cluster_id.c_str(), node_id);
    return m;
}

Result<FormatOutcome, std::string> format(Env& env, const std::string& dir, int32_t node_id,
                                          const std::string& cluster_id, bool ignore_formatted) {
    ASSERT(valid_cluster_id(cluster_id));
    const std::string path = path_in(dir);
    auto found = read_meta_properties(env, dir);
    if (!found.ok()) {
        if (ignore_formatted) {
            return FormatOutcome::left_as_is;  // something is there: Kafka leaves it alone too
        }
        return fail(found.error());
    }
    if (*found) {
        const MetaProperties& m = **found;
        if (ignore_formatted) {
            return FormatOutcome::left_as_is;
        }
        if (m.cluster_id != cluster_id || m.node_id != node_id) {
            return fail(path + " is already formatted for " + ids_of(m) + ", not " +
                        ids_of(MetaProperties{node_id, cluster_id, "", ""}) +
                        " (--ignore-formatted leaves a formatted directory as is)");
        }
        return FormatOutcome::already_formatted;
    }
    MetaProperties m;
    m.node_id = node_id;
    m.cluster_id = cluster_id;
    m.directory_id = random_base64_uuid(env.random);
    TRY_VOID(write_meta_properties(env, dir, m));
    return FormatOutcome::formatted;
}

}  // namespace eddy::controller
