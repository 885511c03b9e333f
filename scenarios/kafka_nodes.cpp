// Building blocks of the Kafka-level scenarios (see kafka_nodes.h).
#include "scenarios/kafka_nodes.h"

namespace eddy::scenarios {

sim::WorldOptions broker_world_options(Random& swarm) {
    sim::WorldOptions wo;
    wo.log_level = LogLevel::error;
    wo.disk.crash_keep_unsynced_p = swarm.unit() * 0.5;
    wo.disk.crash_lose_unsynced_p = swarm.unit() * 0.5;
    wo.disk.latency_min = Duration::micros(20);
    wo.disk.latency_max = Duration::micros(swarm.between(40, 400));
    return wo;
}

Result<config::BrokerConfig, std::string> broker_node_config(
    std::vector<std::pair<std::string, std::string>> overrides) {
    overrides.insert(overrides.begin(),
                     {"listeners", "PLAINTEXT://broker:9092,CONTROLLER://broker:9093"});
    return config::BrokerConfig::load({}, overrides);
}

void run_broker_node(Env& env, const config::BrokerConfig& config,
                     const kafka::BrokerOptions& options, Violation& violation) {
    kafka::Broker b(env, config, options);
    if (auto r = b.start(); !r.ok()) {
        violation.report(checkers::setup, "the broker did not start: " + r.error());
        return;
    }
    while (true) {
        env.scheduler.sleep_for(Duration::seconds(3600));
    }
}

client::ClientOptions broker_client_options(Duration request_timeout) {
    client::ClientOptions o;
    o.bootstrap.push_back(Address{"broker", broker_port});
    o.request_timeout = request_timeout;
    return o;
}

void create_topic_until_done(Env& env, client::Client& client, const std::string& topic,
                             int32_t partitions) {
    client::NewTopic t;
    t.name = topic;
    t.partitions = partitions;
    t.replication_factor = 1;
    while (true) {
        auto created = client.create_topic(t);
        if (created.ok() || created.error().code == client::error_code::topic_already_exists) {
            return;
        }
        env.scheduler.sleep_for(Duration::millis(100));
    }
}

}  // namespace eddy::scenarios
