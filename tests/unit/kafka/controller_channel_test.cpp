// What ControllerChannel needs to reach a remote active controller: it sends through
// client::BrokerConnection, which speaks only what client_versions() lists, so every API of the
// controller listener must negotiate with the client (the local path uses the listener's own
// table). AllocateProducerIds was missing: a broker that was not the active controller could not
// get a producer id block.
#include <doctest/doctest.h>

#include "services/client/versions.h"
#include "services/kafka/api_table.h"

using namespace eddy;
using namespace eddy::kafka;

TEST_CASE("controller channel: the client negotiates every API of the controller listener") {
    client::BrokerVersions advertised;
    for (const auto& api : supported_apis(ListenerKind::controller)) {
        advertised[static_cast<int16_t>(api.key)] = {api.min_version, api.max_version};
    }
    const auto table = client::VersionTable::negotiate(advertised);
    for (const auto& api : supported_apis(ListenerKind::controller)) {
        INFO(protocol::to_string(api.key));
        CHECK(table.version(api.key).has_value());
    }
    CHECK(table.version(protocol::ApiKey::allocate_producer_ids) == std::optional<int16_t>(0));
    CHECK(table.version(protocol::ApiKey::alter_partition) == std::optional<int16_t>(3));
}
