// The text of `eddy cluster quorum|info|health` (cluster_report.h).
#include "services/client/cluster_report.h"

#include <algorithm>
#include <cstdint>

namespace eddy::client {

namespace {

using Rows = std::vector<std::vector<std::string>>;

std::string ids(const std::vector<QuorumReplicaState>& rs) {
    std::string out = "[";
    for (const auto& r : rs) {
        out += (out.size() > 1 ? "," : "") + std::to_string(r.id.value());
    }
    return out + "]";
}

std::string ago(const std::optional<WallTime>& at, WallTime now) {
    if (!at) {
        return "-";
    }
    return std::to_string(std::max<int64_t>(0, (now - *at).to_millis())) + " ms ago";
}

const QuorumReplicaState* find(const std::vector<QuorumReplicaState>& rs, NodeId id) {
    const auto it =
        std::find_if(rs.begin(), rs.end(), [&](const QuorumReplicaState& r) { return r.id == id; });
    return it == rs.end() ? nullptr : &*it;
}

}  // namespace

std::string format_table(const std::vector<std::vector<std::string>>& rows,
                         const std::string& indent) {
    std::vector<size_t> widths;
    for (const auto& r : rows) {
        widths.resize(std::max(widths.size(), r.size()));
        for (size_t i = 0; i < r.size(); ++i) {
            widths[i] = std::max(widths[i], r[i].size());
        }
    }
    std::string out;
    for (const auto& r : rows) {
        out += indent;
        for (size_t i = 0; i < r.size(); ++i) {
            out += r[i];
            if (i + 1 < r.size()) {
                out.append(widths[i] - r[i].size() + 2, ' ');
            }
        }
        out += '\n';
    }
    return out;
}

std::string quorum_report(const std::string& cluster_id, const QuorumDescription& q, WallTime now) {
    // The leader's own entry gives the end the others are measured against (the high
    // watermark if it is missing, which a leader's answer never does).
    const QuorumReplicaState* leader = find(q.voters, q.leader);
    const int64_t leader_end = leader ? leader->log_end_offset : q.high_watermark;
    // kafka-metadata-quorum: the voter furthest behind, the leader included (then 0 and 0).
    // Among voters at the same log end offset, the one caught up longest ago: an idle log does
    // not hide a voter that stopped fetching.
    const auto caught_up = [](const QuorumReplicaState& r) {
        return r.last_caught_up.value_or(WallTime::from_nanos(INT64_MIN));
    };
    const auto behind =
        std::min_element(q.voters.begin(), q.voters.end(), [&](const auto& a, const auto& b) {
            return a.log_end_offset != b.log_end_offset ? a.log_end_offset < b.log_end_offset
                                                        : caught_up(a) < caught_up(b);
        });
    int64_t lag_max = 0;
    int64_t lag_time_max_ms = 0;
    if (behind != q.voters.end() && leader != nullptr && &*behind != leader) {
        lag_max = leader_end - behind->log_end_offset;
        lag_time_max_ms = leader->last_caught_up && behind->last_caught_up
                              ? (*leader->last_caught_up - *behind->last_caught_up).to_millis()
                              : -1;
    }
    std::string out = format_table({
        {"ClusterId:", cluster_id},
        {"LeaderId:", std::to_string(q.leader.value())},
        {"LeaderEpoch:", std::to_string(q.leader_epoch)},
        {"HighWatermark:", std::to_string(q.high_watermark)},
        {"MaxFollowerLag:", std::to_string(lag_max)},
        {"MaxFollowerLagTimeMs:", std::to_string(lag_time_max_ms)},
        {"CurrentVoters:", ids(q.voters)},
        {"CurrentObservers:", ids(q.observers)},
    });
    Rows rows{
        {"NodeId", "LogEndOffset", "Lag", "LastFetchTimestamp", "LastCaughtUpTimestamp", "Status"}};
    const auto add = [&](const QuorumReplicaState& r, const char* status) {
        rows.push_back({std::to_string(r.id.value()), std::to_string(r.log_end_offset),
                        r.log_end_offset < 0 ? "-" : std::to_string(leader_end - r.log_end_offset),
                        ago(r.last_fetch, now), ago(r.last_caught_up, now), status});
    };
    for (const auto& v : q.voters) {
        add(v, v.id == q.leader ? "Leader" : "Follower");
    }
    for (const auto& o : q.observers) {
        add(o, "Observer");
    }
    return out + "\n" + format_table(rows);
}

std::string cluster_info_report(const ClusterDescription& c, size_t topics) {
    std::string out = format_table({{"CLUSTER", c.cluster_id},
                                    {"CONTROLLER", std::to_string(c.controller.value())},
                                    {"TOPICS", std::to_string(topics)}});
    out += "BROKERS\n";
    Rows rows{{"ID", "ADDRESS", "STATE"}};
    for (const auto& b : c.brokers) {
        rows.push_back({std::to_string(b.id.value()), b.address.to_string(),
                        std::string(b.fenced ? "fenced" : "live") +
                            (b.id == c.controller ? " (controller)" : "")});
    }
    return out + format_table(rows, "  ");
}

std::vector<std::string> quorum_problems(const QuorumDescription& q) {
    if (q.leader.value() < 0) {
        return {"no quorum leader"};
    }
    return {};
}

std::vector<std::string> broker_problems(const ClusterDescription& c) {
    std::vector<std::string> out;
    if (c.brokers.empty()) {
        out.push_back("no brokers registered");
    }
    for (const auto& b : c.brokers) {
        if (b.fenced) {
            out.push_back("broker " + std::to_string(b.id.value()) + " is fenced");
        }
    }
    return out;
}

std::vector<std::string> partition_problems(
    const ClusterMetadata& md, const std::function<int32_t(const std::string&)>& min_isr,
    size_t max_lines) {
    auto list = [](const std::vector<int32_t>& v) {
        std::string out = "[";
        for (int32_t x : v) {
            out += (out.size() > 1 ? "," : "") + std::to_string(x);
        }
        return out + "]";
    };
    std::vector<std::string> out;
    size_t more = 0;
    for (const auto& t : md.topics) {
        for (const auto& p : t.partitions) {
            const std::string name = t.name + "-" + std::to_string(p.id.value());
            std::string line;
            if (p.leader.value() < 0) {
                line = "partition " + name + " is offline (no leader; ISR " + list(p.isr) +
                       ", replicas " + list(p.replicas) + ")";
            } else if (p.isr.size() < p.replicas.size()) {
                const int32_t m = min_isr(t.name);
                line = "partition " + name +
                       (static_cast<int64_t>(p.isr.size()) < m
                            ? " is under min ISR (ISR " + list(p.isr) +
                                  ", min.insync.replicas=" + std::to_string(m) + ")"
                            : " is under-replicated (ISR " + list(p.isr) + " of replicas " +
                                  list(p.replicas) + ")");
            } else {
                continue;
            }
            if (out.size() < max_lines) {
                out.push_back(std::move(line));
            } else {
                ++more;
            }
        }
    }
    if (more > 0) {
        out.push_back("... and " + std::to_string(more) + " more partitions with problems");
    }
    return out;
}

}  // namespace eddy::client
