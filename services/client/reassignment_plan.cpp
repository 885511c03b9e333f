// Reassignment plans and progress lines: see reassignment_plan.h.
#include "services/client/reassignment_plan.h"

#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include "core/base/json_cursor.h"

namespace eddy::client {
namespace {

using Error = std::optional<std::string>;

constexpr int64_t broker_id_max = INT32_MAX;

std::string partition_name(const std::string& topic, int32_t partition) {
    return topic + "-" + std::to_string(partition);
}

// Replica lists name each broker once, at least one.
Error check_replicas(const std::vector<int32_t>& replicas, const std::string& of) {
    if (replicas.empty()) {
        return "the replicas of " + of + " are empty";
    }
    std::set<int32_t> seen;
    for (const int32_t id : replicas) {
        if (!seen.insert(id).second) {
            return "broker " + std::to_string(id) + " appears twice in the replicas of " + of;
        }
    }
    return std::nullopt;
}

// The plan's fixed shape over a JsonCursor. Each reader names what it expected and where.
class PlanReader {
public:
    explicit PlanReader(std::string_view text) : c_(text) {}

    Result<std::vector<PartitionReassignment>, std::string> read() {
        const auto seen = object("the plan", [this](const std::string& key) -> Error {
            if (key == "version") {
                const std::string where = at();
                const auto v = c_.integer();
                if (!v) {
                    return "\"version\" is not an integer" + where;
                }
                if (*v != 1) {
                    return "version " + std::to_string(*v) + " is not supported (only 1)";
                }
                return std::nullopt;
            }
            if (key == "partitions") {
                return array("\"partitions\"", [this]() { return partition(); });
            }
            return "unknown key \"" + key + "\" in the plan (expected \"version\" and " +
                   "\"partitions\")";
        });
        if (!seen.ok()) {
            return fail(seen.error());
        }
        for (const char* key : {"version", "partitions"}) {
            if (!seen->contains(key)) {
                return fail(std::string("the plan has no \"") + key + "\"");
            }
        }
        if (!c_.at_end()) {
            return fail("text after the plan" + at());
        }
        if (out_.empty()) {
            return fail(std::string("the plan lists no partitions"));
        }
        std::set<std::pair<std::string, int32_t>> named;
        for (const PartitionReassignment& r : out_) {
            if (!named.emplace(r.topic, r.partition).second) {
                return fail(partition_name(r.topic, r.partition) + " appears twice in the plan");
            }
        }
        return std::move(out_);
    }

private:
    std::string at() { return c_.at_end() ? " at the end" : " at " + c_.line_and_column(); }

    // `{"key": value, ...}`: on_key reads the value of each key; the keys seen, each once.
    template <typename F>
    Result<std::set<std::string>, std::string> object(const std::string& what, const F& on_key) {
        std::set<std::string> seen;
        if (!c_.punct('{')) {
            return fail("expected " + what + " (an object)" + at());
        }
        if (c_.punct('}')) {
            return seen;
        }
        while (true) {
            const std::string where = at();
            auto key = c_.string();
            if (!key || !c_.punct(':')) {
                return fail("expected \"key\": in " + what + where);
            }
            if (!seen.insert(*key).second) {
                return fail("\"" + *key + "\" appears twice in " + what + where);
            }
            if (Error e = on_key(*key)) {
                return fail(std::move(*e));
            }
            if (c_.punct('}')) {
                return seen;
            }
            if (!c_.punct(',')) {
                return fail("expected ',' or '}' in " + what + at());
            }
        }
    }

    // `[item, ...]`: on_item reads each item.
    template <typename F>
    Error array(const std::string& what, const F& on_item) {
        if (!c_.punct('[')) {
            return what + " is not a list" + at();
        }
        if (c_.punct(']')) {
            return std::nullopt;
        }
        while (true) {
            if (Error e = on_item()) {
                return e;
            }
            if (c_.punct(']')) {
                return std::nullopt;
            }
            if (!c_.punct(',')) {
                return "expected ',' or ']' in " + what + at();
            }
        }
    }

    Error partition() {
        if (out_.size() >= limits::reassignment_partitions_max) {
            return "more than " + std::to_string(limits::reassignment_partitions_max) +
                   " partitions in the plan";
        }
        const std::string where = at();
        PartitionReassignment r;
        std::vector<int32_t> replicas;
        size_t log_dirs = 0;
        const auto seen = object("a partition", [&](const std::string& key) -> Error {
            const std::string value_at = at();
            if (key == "topic") {
                auto t = c_.string();
                if (!t || t->empty()) {
                    return "\"topic\" is not a non-empty string without escapes" + value_at;
                }
                r.topic = std::move(*t);
                return std::nullopt;
            }
            if (key == "partition") {
                const auto p = c_.integer();
                if (!p || *p < 0 || *p > INT32_MAX) {
                    return "\"partition\" is not a partition number" + value_at;
                }
                r.partition = static_cast<int32_t>(*p);
                return std::nullopt;
            }
            if (key == "replicas") {
                return array("\"replicas\"", [&]() -> Error {
                    const std::string id_at = at();
                    const auto id = c_.integer();
                    if (!id || *id < 0 || *id > broker_id_max) {
                        return "a replica is not a broker id" + id_at;
                    }
                    if (replicas.size() >= limits::reassignment_replicas_max) {
                        return "more than " + std::to_string(limits::reassignment_replicas_max) +
                               " replicas" + id_at;
                    }
                    replicas.push_back(static_cast<int32_t>(*id));
                    return std::nullopt;
                });
            }
            if (key == "log_dirs") {
                return array("\"log_dirs\"", [&]() -> Error {
                    const std::string dir_at = at();
                    const auto dir = c_.string();
                    if (!dir || *dir != "any") {
                        return "a log dir is not \"any\" (Eddy brokers have one log directory)" +
                               dir_at;
                    }
                    ++log_dirs;
                    return log_dirs > limits::reassignment_replicas_max
                               ? Error("too many log dirs" + dir_at)
                               : std::nullopt;
                });
            }
            return "unknown key \"" + key + "\" in a partition" + where +
                   " (expected \"topic\", \"partition\", \"replicas\", \"log_dirs\")";
        });
        if (!seen.ok()) {
            return seen.error();
        }
        for (const char* key : {"topic", "partition", "replicas"}) {
            if (!seen->contains(key)) {
                return std::string("the partition") + where + " has no \"" + key + "\"";
            }
        }
        const std::string name = partition_name(r.topic, r.partition);
        if (Error e = check_replicas(replicas, name)) {
            return e;
        }
        if (seen->contains("log_dirs") && log_dirs != replicas.size()) {
            return name + " has " + std::to_string(log_dirs) + " log dirs for " +
                   std::to_string(replicas.size()) + " replicas";
        }
        r.replicas = std::move(replicas);
        out_.push_back(std::move(r));
        return std::nullopt;
    }

    JsonCursor c_;
    std::vector<PartitionReassignment> out_;
};

}  // namespace

Result<std::vector<PartitionReassignment>, std::string> parse_reassignment_json(
    std::string_view text) {
    return PlanReader(text).read();
}

Result<std::vector<int32_t>, std::string> parse_replica_list(std::string_view text) {
    std::vector<int32_t> out;
    const std::string quoted = "'" + std::string(text) + "'";
    size_t start = 0;
    while (true) {
        const size_t comma = std::min(text.find(',', start), text.size());
        const std::string_view item = text.substr(start, comma - start);
        int64_t id = 0;
        bool ok = !item.empty() && item.size() <= 10;
        for (const char ch : item) {
            ok = ok && ch >= '0' && ch <= '9';
            id = ok ? id * 10 + (ch - '0') : 0;
        }
        if (!ok || id > broker_id_max) {
            return fail("invalid replica list " + quoted + " (expected broker ids like 1,2,3)");
        }
        if (out.size() >= limits::reassignment_replicas_max) {
            return fail("too many replicas in " + quoted);
        }
        out.push_back(static_cast<int32_t>(id));
        if (comma == text.size()) {
            break;
        }
        start = comma + 1;
    }
    if (Error e = check_replicas(out, quoted)) {
        return fail(std::move(*e));
    }
    return out;
}

std::string id_list(const std::vector<int32_t>& ids) {
    std::string s = "[";
    for (size_t i = 0; i < ids.size(); ++i) {
        if (i > 0) {
            s += ',';
        }
        s += std::to_string(ids[i]);
    }
    s += ']';
    return s;
}

ReassignmentProgress reassignment_progress(const std::string& topic, int32_t partition,
                                           const std::vector<int32_t>& target,
                                           const std::optional<OngoingReassignment>& ongoing,
                                           const std::optional<PartitionMetadata>& metadata) {
    const std::string name = partition_name(topic, partition);
    if (ongoing) {
        std::string line = name + ":";
        if (!ongoing->adding.empty()) {
            line += " adding " + id_list(ongoing->adding) + ",";
        }
        if (!ongoing->removing.empty()) {
            line += " removing " + id_list(ongoing->removing) + ",";
        }
        std::string in_sync = "?";
        if (metadata) {
            in_sync = std::to_string(std::count_if(target.begin(), target.end(), [&](int32_t id) {
                return std::find(metadata->isr.begin(), metadata->isr.end(), id) !=
                       metadata->isr.end();
            }));
        }
        return {false, line + " in sync " + in_sync + " of " + std::to_string(target.size()) +
                           " target replicas"};
    }
    if (!metadata) {
        return {false, name + ": not in the metadata (waiting)"};
    }
    std::vector<int32_t> have = metadata->replicas;
    std::vector<int32_t> want = target;
    std::sort(have.begin(), have.end());
    std::sort(want.begin(), want.end());
    if (have != want) {
        // Brokers answer from their own image, which may trail the controller: the list may not
        // show a reassignment just started yet, nor Metadata one just completed.
        return {false, name + ": not listed as reassigning, replicas " +
                           id_list(metadata->replicas) + " (waiting for the metadata to show " +
                           id_list(target) + ")"};
    }
    const int32_t leader = metadata->leader.value();
    return {true, name + ": done, replicas " + id_list(metadata->replicas) + ", leader " +
                      (leader < 0 ? std::string("none") : std::to_string(leader))};
}

}  // namespace eddy::client
