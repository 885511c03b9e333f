// The text of the operator's view: `eddy cluster quorum`, `eddy cluster info` and `eddy cluster
// health` (runtime/main/client_cmd.cpp). Pure functions of what DescribeQuorum and
// DescribeCluster returned, so tests check the exact output without a cluster. No I/O.
//
// The quorum report follows `kafka-metadata-quorum describe --status` (the same key names) and
// `--replication --human-readable` (one row per voter and observer, times as "N ms ago").
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "services/client/client_types.h"

namespace eddy::client {

// Columns padded to their widest cell, two spaces apart, the last one not padded; each line
// starts with `indent` and ends with '\n'.
std::string format_table(const std::vector<std::vector<std::string>>& rows,
                         const std::string& indent = "");

// The quorum's status and one row per replica. `now` is this machine's wall clock: the leader's
// timestamps are shown as how long ago they were (never negative, whatever the clocks' skew).
// MaxFollowerLag and MaxFollowerLagTimeMs are computed as kafka-metadata-quorum does: from the
// voter with the lowest log end offset (of those, the one caught up longest ago), against the
// leader.
std::string quorum_report(const std::string& cluster_id, const QuorumDescription& q, WallTime now);

// `eddy cluster info`: cluster id, controller, topic count, and every broker the description
// lists with its state ("live", "fenced"; the controller marked).
std::string cluster_info_report(const ClusterDescription& c, size_t topics);

// Problems `eddy cluster health` reports, one line each: "no quorum leader" when the quorum
// has none, "broker N is fenced" per fenced broker, "no brokers registered" when none is.
std::vector<std::string> quorum_problems(const QuorumDescription& q);
std::vector<std::string> broker_problems(const ClusterDescription& c);

// Partition problems, one line each, as `kafka-topics --describe` filters them: "offline" (no
// leader), "under min ISR" (fewer ISR members than min.insync.replicas: acks=all is refused),
// "under-replicated" (fewer ISR members than replicas). `min_isr(topic)` is the topic's
// min.insync.replicas. At most `max_lines` lines, then one saying how many more.
std::vector<std::string> partition_problems(const ClusterMetadata& md,
                                            const std::function<int32_t(const std::string&)>& min_isr,
                                            size_t max_lines = 20);

}  // namespace eddy::client
