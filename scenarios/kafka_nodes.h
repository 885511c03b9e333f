// Building blocks of the scenarios that run Eddy's broker and clients on simulated nodes.
#pragma once

#include <string>

#include "scenarios/scenario.h"
#include "services/client/client.h"
#include "services/kafka/broker.h"
#include "sim/world.h"

namespace eddy::scenarios {

// World options for a broker whose disk loses or keeps unsynced writes on crashes (drawn from
// `swarm`), with quiet logs.
sim::WorldOptions broker_world_options(Random& swarm);

// The address every scenario gives its broker node ("broker", port 9092).
inline constexpr uint16_t broker_port = 9092;

// A broker config for a node named "broker" with `overrides` (Kafka key names) on top; nullopt
// with the reason in `error` if they do not load.
Result<config::BrokerConfig, std::string> broker_node_config(
    std::vector<std::pair<std::string, std::string>> overrides);

// The body of a broker node: starts a Broker and keeps it running until the node crashes. A
// broker that does not start reports a `setup` violation.
void run_broker_node(Env& env, const config::BrokerConfig& config,
                     const kafka::BrokerOptions& options, Violation& violation);

// Client options for the node "broker".
client::ClientOptions broker_client_options(Duration request_timeout);

// Creates `topic` with `partitions` (replication 1), retrying until it exists. Suspends.
void create_topic_until_done(Env& env, client::Client& client, const std::string& topic,
                             int32_t partitions);

}  // namespace eddy::scenarios
