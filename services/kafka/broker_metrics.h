// BrokerMetrics: what a broker counts as it serves (plain integers: one reactor per process), and
// the collector that turns them and the broker's state into Prometheus families at scrape.
//
// Names are the ones Kafka dashboards use, as the Prometheus JMX exporter's standard rules name
// Kafka's MBeans (kafka_server_brokertopicmetrics_*, kafka_server_replicamanager_*,
// kafka_controller_kafkacontroller_*, kafka_network_requestmetrics_requests_total,
// kafka_log_log_size), consumer lag as kafka_exporter names it (kafka_consumergroup_lag), and
// Eddy's own histograms under eddy_*. docs/operations.md lists them all.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "services/metrics/exposition.h"

namespace eddy::kafka {

struct TopicCounters {
    uint64_t messages_in = 0;  // records appended by producers (not replication)
    uint64_t bytes_in = 0;     // their batch bytes
    uint64_t bytes_out = 0;    // record bytes sent to consumers (not to followers)
};

struct BrokerMetrics {
    std::map<std::string, TopicCounters, std::less<>> topics;
    // Per API key: the time from a request's arrival to its answer being ready (the
    // histogram's count is the requests served).
    std::map<int16_t, metrics::Histogram> request_seconds;
    // Produce: from the request's arrival to its data being durable (acks != 0, synced before
    // the answer).
    metrics::Histogram produce_durable_seconds{metrics::latency_buckets()};

    TopicCounters& topic(std::string_view name) {
        auto it = topics.find(name);
        if (it == topics.end()) {
            it = topics.emplace(std::string(name), TopicCounters{}).first;
        }
        return it->second;
    }

    void request_served(int16_t api_key, double seconds) {
        auto it = request_seconds.find(api_key);
        if (it == request_seconds.end()) {
            it = request_seconds.emplace(api_key, metrics::Histogram(metrics::latency_buckets()))
                     .first;
        }
        it->second.observe(seconds);
    }
};

}  // namespace eddy::kafka
