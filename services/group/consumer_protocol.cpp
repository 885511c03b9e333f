// Reading the consumer protocol's subscription (see consumer_protocol.h).
#include "services/group/consumer_protocol.h"

#include <algorithm>

#include "core/base/assert.h"
#include "core/protocol/generated/records/consumer_protocol_subscription.h"
#include "core/protocol/wire.h"

namespace eddy::group {

using protocol::records::ConsumerProtocolSubscription;

std::optional<std::set<std::string>> parse_subscribed_topics(ByteSpan metadata) {
    protocol::Reader r(metadata);
    auto version = r.read_int16();
    if (!version.ok() || *version < 0) {
        return std::nullopt;
    }
    const int16_t v = std::min(*version, ConsumerProtocolSubscription::max_version);
    auto s = ConsumerProtocolSubscription::decode(r, v);
    if (!s.ok()) {
        return std::nullopt;
    }
    return std::set<std::string>(s->topics_.begin(), s->topics_.end());
}

Bytes encode_subscription(const std::set<std::string>& topics, int16_t version) {
    ASSERT(version >= 0 && version <= ConsumerProtocolSubscription::max_version);
    ConsumerProtocolSubscription s;
    s.topics_.assign(topics.begin(), topics.end());
    Bytes out;
    protocol::Writer w(out);
    w.write_int16(version);
    s.encode(w, version);
    return out;
}

}  // namespace eddy::group
