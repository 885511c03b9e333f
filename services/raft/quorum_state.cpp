// The quorum-state file: encoding, the strict parser, and the durable read and write. See
// quorum_state.h.
#include "services/raft/quorum_state.h"

#include <algorithm>
#include <set>
#include <utility>

#include "core/base/json_cursor.h"
#include "core/record/crc32c.h"
#include "services/log/file_names.h"

namespace eddy::raft {
namespace {

std::optional<NodeId> optional_id(int64_t v) {
    return v < 0 ? std::nullopt : std::optional<NodeId>(NodeId(static_cast<int32_t>(v)));
}

bool fits_id(int64_t v) { return v >= -1 && v <= INT32_MAX; }

constexpr std::string_view crc_key = ",\"crc32c\":";

uint32_t text_crc(std::string_view text) {
    return record::crc32c(ByteSpan(reinterpret_cast<const std::byte*>(text.data()), text.size()));
}

// Splits `...,"crc32c":N}` into the text without the key (`...}`) and N; nullopt when the text
// does not end that way (no checksum: the strict parser judges the rest).
std::optional<std::pair<std::string, int64_t>> split_crc(std::string_view text) {
    const size_t at = text.rfind(crc_key);
    if (at == std::string_view::npos) {
        return std::nullopt;
    }
    std::string_view digits = text.substr(at + crc_key.size());
    while (!digits.empty() && (digits.back() == ' ' || digits.back() == '\n' ||
                               digits.back() == '\r' || digits.back() == '\t')) {
        digits.remove_suffix(1);
    }
    if (digits.empty() || digits.back() != '}') {
        return std::nullopt;
    }
    digits.remove_suffix(1);
    if (digits.empty() || digits.size() > 10 ||
        !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        return std::nullopt;
    }
    int64_t n = 0;
    for (char c : digits) {
        n = n * 10 + (c - '0');
    }
    return std::pair<std::string, int64_t>(std::string(text.substr(0, at)) + "}", n);
}

// `{"voterId":N}` objects in `[...]`; the cursor is just past '['.
std::optional<std::string> parse_voters(JsonCursor& c, std::vector<NodeId>& out) {
    if (c.punct(']')) {
        return std::nullopt;
    }
    while (true) {
        if (out.size() >= limits::quorum_voters_max) {
            return "more than " + std::to_string(limits::quorum_voters_max) + " voters";
        }
        auto key = std::optional<std::string>();
        if (!c.punct('{') || !(key = c.string()) || *key != "voterId" || !c.punct(':')) {
            return std::string("a voter is not {\"voterId\":N}");
        }
        auto id = c.integer();
        if (!id || *id < 0 || *id > INT32_MAX) {
            return std::string("a voterId is not a node id");
        }
        if (!c.punct('}')) {
            return std::string("a voter is not {\"voterId\":N}");
        }
        out.emplace_back(static_cast<int32_t>(*id));
        if (c.punct(']')) {
            return std::nullopt;
        }
        if (!c.punct(',')) {
            return std::string("currentVoters is not a list of voters");
        }
    }
}

}  // namespace

std::string encode_quorum_state(const QuorumState& state) {
    ASSERT(state.leader_epoch.value() >= 0);
    ASSERT(state.current_voters.size() <= limits::quorum_voters_max);
    for (const char c : state.cluster_id) {
        ASSERT(c >= 0x20, "cluster ids need no escaping");
        ASSERT(c <= 0x7e, "cluster ids need no escaping");
        ASSERT(c != '"', "cluster ids need no escaping");
        ASSERT(c != '\\', "cluster ids need no escaping");
    }
    std::string out = "{\"clusterId\":\"" + state.cluster_id + "\"";
    out += ",\"leaderId\":" + std::to_string(state.leader_id ? state.leader_id->value() : -1);
    out += ",\"leaderEpoch\":" + std::to_string(state.leader_epoch.value());
    out += ",\"votedId\":" + std::to_string(state.voted_id ? state.voted_id->value() : -1);
    out += ",\"appliedOffset\":" + std::to_string(state.applied_offset.value());
    out += ",\"currentVoters\":[";
    for (size_t i = 0; i < state.current_voters.size(); ++i) {
        ASSERT(state.current_voters[i].value() >= 0);
        out += (i == 0 ? "{\"voterId\":" : ",{\"voterId\":") +
               std::to_string(state.current_voters[i].value()) + "}";
    }
    out += "]";
    if (state.recovering_epoch) {
        ASSERT(state.recovering_epoch->value() >= 0);
        out += ",\"recoveringEpoch\":" + std::to_string(state.recovering_epoch->value());
        out += ",\"recoveringEnd\":" +
               std::to_string(state.recovering_end ? state.recovering_end->value() : -1);
    }
    out += ",\"data_version\":0}";
    const uint32_t crc = text_crc(out);
    out.pop_back();
    out += std::string(crc_key) + std::to_string(crc) + "}";
    return out;
}

Result<QuorumState, std::string> decode_quorum_state(std::string_view stored) {
    std::string unsummed;
    std::string_view text = stored;
    if (auto split = split_crc(stored)) {
        if (static_cast<int64_t>(text_crc(split->first)) != split->second) {
            return fail(std::string("its crc32c does not match its contents"));
        }
        unsummed = std::move(split->first);
        text = unsummed;
    }
    JsonCursor c(text);
    QuorumState s;
    std::set<std::string> seen;
    const auto where = [&c] { return " (at byte " + std::to_string(c.position()) + ")"; };
    if (!c.punct('{')) {
        return fail("not a JSON object" + where());
    }
    bool first = true;
    while (!c.punct('}')) {
        if (!first && !c.punct(',')) {
            return fail("expected ',' or '}'" + where());
        }
        first = false;
        auto key = c.string();
        if (!key || !c.punct(':')) {
            return fail("expected \"key\":" + where());
        }
        if (!seen.insert(*key).second) {
            return fail("\"" + *key + "\" appears twice");
        }
        if (*key == "clusterId") {
            auto v = c.string();
            if (!v) {
                return fail("clusterId is not a plain string" + where());
            }
            s.cluster_id = std::move(*v);
        } else if (*key == "currentVoters") {
            if (!c.punct('[')) {
                return fail("currentVoters is not a list" + where());
            }
            if (auto why = parse_voters(c, s.current_voters)) {
                return fail(*why + where());
            }
        } else {
            auto v = c.integer();
            if (!v) {
                return fail(*key + " is not an integer" + where());
            }
            if (*key == "leaderId" || *key == "votedId") {
                if (!fits_id(*v)) {
                    return fail(*key + " " + std::to_string(*v) + " is not a node id or -1");
                }
                (*key == "leaderId" ? s.leader_id : s.voted_id) = optional_id(*v);
            } else if (*key == "leaderEpoch") {
                if (*v < 0 || *v > INT32_MAX) {
                    return fail("leaderEpoch " + std::to_string(*v) + " is out of range");
                }
                s.leader_epoch = LeaderEpoch(static_cast<int32_t>(*v));
            } else if (*key == "appliedOffset") {
                if (*v < 0) {
                    return fail("appliedOffset " + std::to_string(*v) + " is negative");
                }
                s.applied_offset = Offset(*v);
            } else if (*key == "recoveringEpoch") {
                if (*v < -1 || *v > INT32_MAX) {
                    return fail("recoveringEpoch " + std::to_string(*v) + " is out of range");
                }
                if (*v >= 0) {
                    s.recovering_epoch = LeaderEpoch(static_cast<int32_t>(*v));
                }
            } else if (*key == "recoveringEnd") {
                if (*v < -1) {
                    return fail("recoveringEnd " + std::to_string(*v) + " is out of range");
                }
                if (*v >= 0) {
                    s.recovering_end = Offset(*v);
                }
            } else if (*key == "data_version") {
                if (*v != 0) {
                    return fail("data_version " + std::to_string(*v) +
                                " is not supported (this build reads version 0)");
                }
            } else {
                return fail("unknown key \"" + *key + "\"");
            }
        }
    }
    if (!c.at_end()) {
        return fail("text after the object" + where());
    }
    if (s.recovering_end && !s.recovering_epoch) {
        return fail(std::string("recoveringEnd without recoveringEpoch"));
    }
    for (const char* required : {"leaderId", "leaderEpoch", "votedId", "data_version"}) {
        if (!seen.contains(required)) {
            return fail(std::string("no \"") + required + "\"");
        }
    }
    return s;
}

Result<QuorumState, std::string> read_quorum_state(Env& env, std::string_view dir) {
    const std::string path = log::join_path(dir, quorum_state_file);
    auto read = log::read_file_stable(env.disk, path, limits::quorum_state_bytes_max);
    if (!read.ok()) {
        return fail(log::read_failure(path, read.error()));
    }
    if (!*read) {
        return QuorumState{};
    }
    auto state = decode_quorum_state(as_chars(**read));
    if (!state.ok()) {
        return fail(path + " is damaged: " + state.error());
    }
    return state;
}

Result<void, log::ReplaceError> write_quorum_state(Env& env, std::string_view dir,
                                                   const QuorumState& state) {
    const std::string text = encode_quorum_state(state);
    auto r = log::replace_file(env, dir, quorum_state_file, as_bytes(text));
    if (r.ok()) {
        env.tracer.event("raft.quorum_state",
                         {{"epoch", state.leader_epoch.value()},
                          {"voted", state.voted_id ? state.voted_id->value() : -1}});
    }
    return r;
}

}  // namespace eddy::raft
