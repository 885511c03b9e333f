// The range assignor (see assignor.h).
#include "services/client/assignor.h"

#include <algorithm>

#include "core/base/assert.h"

namespace eddy::client {

std::map<std::string, protocol::PartitionList> range_assign(
    const std::vector<MemberSubscription>& members,
    const std::map<std::string, int32_t>& partitions) {
    std::map<std::string, protocol::PartitionList> out;
    std::map<std::string, std::vector<std::string>> subscribers;  // topic -> member ids
    for (const auto& m : members) {
        out[m.member_id];
        for (const auto& t : m.topics) {
            subscribers[t].push_back(m.member_id);
        }
    }
    for (auto& [topic, ids] : subscribers) {
        const auto count = partitions.find(topic);
        if (count == partitions.end() || count->second <= 0) {
            continue;
        }
        std::sort(ids.begin(), ids.end());
        ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
        ASSERT(!ids.empty(), "a subscribed topic has a subscriber");
        const auto n = static_cast<size_t>(count->second);
        const size_t each = n / ids.size();
        const size_t extra = n % ids.size();
        size_t next = 0;
        for (size_t i = 0; i < ids.size(); ++i) {
            const size_t take = each + (i < extra ? 1 : 0);
            for (size_t k = 0; k < take; ++k) {
                out[ids[i]].emplace_back(topic, static_cast<int32_t>(next++));
            }
        }
        ASSERT(next == n, "every partition of a subscribed topic has exactly one owner");
    }

    for (auto& [id, list] : out) {
        std::sort(list.begin(), list.end());
    }
    return out;
}

}  // namespace eddy::client
