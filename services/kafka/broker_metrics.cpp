// Broker::collect_metrics and Broker::status: the broker's counters and state as Prometheus
// families (broker_metrics.h) and as the admin listener's health and readiness.
#include <algorithm>
#include <vector>

#include "services/kafka/broker.h"

namespace eddy::kafka {

using metrics::Exposition;
using metrics::Labels;
using Type = metrics::Exposition::Type;

NodeStatus Broker::status() const {
    NodeStatus s;
    if (stopped_) {
        s.reason = "stopping";
    } else if (!started_) {
        s.reason = "starting: recovering logs and the metadata log";
    } else if (!lifecycle_ || !lifecycle_->registered()) {
        s.reason = "not registered with the controller";
    } else if (lifecycle_->fenced()) {
        s.reason = "fenced: catching up with the metadata log";
    } else {
        s.ready = true;
        s.reason = "serving";
    }
    return s;
}

void Broker::collect_metrics(Exposition& out) const {
    // Per-topic traffic, then the broker-wide totals (Kafka's MBeans without a topic).
    struct TopicFamily {
        const char* name;
        const char* help;
        uint64_t TopicCounters::*field;
    };
    const TopicFamily families[] = {
        {"kafka_server_brokertopicmetrics_messagesin_total",
         "Records appended by producers to partitions this broker leads.",
         &TopicCounters::messages_in},
        {"kafka_server_brokertopicmetrics_bytesin_total",
         "Record batch bytes appended by producers (replication excluded).",
         &TopicCounters::bytes_in},
        {"kafka_server_brokertopicmetrics_bytesout_total",
         "Record bytes sent to consumers (replication excluded).", &TopicCounters::bytes_out},
    };
    for (const auto& f : families) {
        out.family(f.name, Type::counter, f.help);
        uint64_t total = 0;
        for (const auto& [topic, c] : metrics_.topics) {
            total += c.*f.field;
            // A deleted topic's series goes, as in Kafka; the broker-wide total keeps its
            // traffic (a counter never goes down).
            if (metadata_ && metadata_->image().topic(topic) != nullptr) {
                out.sample(f.name, Labels{{"topic", topic}}, c.*f.field);
            }
        }
        out.sample(f.name, Labels{}, total);
    }

    // Requests come from the latency histograms' counts (only served API keys are in them).
    auto request = [](int16_t key) {
        const auto api = protocol::api_key_from_int(key);
        return Labels{{"request", api ? protocol::to_string(*api) : std::to_string(key)}};
    };
    out.family("kafka_network_requestmetrics_requests_total", Type::counter,
               "Requests served, by API.");
    for (const auto& [key, h] : metrics_.request_seconds) {
        out.sample("kafka_network_requestmetrics_requests_total", request(key), h.count());
    }
    out.family("eddy_request_latency_seconds", Type::histogram,
               "Time from a request's arrival to its answer being ready, by API.");
    for (const auto& [key, h] : metrics_.request_seconds) {
        out.histogram("eddy_request_latency_seconds", request(key), h);
    }
    out.family("eddy_produce_durable_latency_seconds", Type::histogram,
               "Time from a Produce request's arrival to its records being durable and "
               "acknowledged (acks 1 and all).");
    out.histogram("eddy_produce_durable_latency_seconds", Labels{},
                  metrics_.produce_durable_seconds);

    // The partitions this broker hosts, leads and leads under-replicated (the metadata image).
    int64_t partitions = 0;
    int64_t leaders = 0;
    int64_t under_replicated = 0;
    int64_t offline = 0;
    if (metadata_) {
        for (const auto& [name, topic] : metadata_->image().topics()) {
            for (const auto& [index, p] : topic.partitions) {
                (void)index;
                const bool hosted =
                    std::find(p.replicas.begin(), p.replicas.end(), node_id_) != p.replicas.end();
                partitions += hosted ? 1 : 0;
                if (p.leader == node_id_) {
                    ++leaders;
                    under_replicated += p.isr.size() < p.replicas.size() ? 1 : 0;
                }
                offline += p.leader == controller::no_leader ? 1 : 0;
            }
        }
    }
    const bool active_controller = quorum_ && quorum_->is_leader();
    out.single("kafka_server_replicamanager_partitioncount", Type::gauge,
               "Partitions with a replica on this broker.", partitions);
    out.single("kafka_server_replicamanager_leadercount", Type::gauge,
               "Partitions this broker leads.", leaders);
    out.single("kafka_server_replicamanager_underreplicatedpartitions", Type::gauge,
               "Partitions this broker leads whose ISR is smaller than their replica set.",
               under_replicated);
    // Kafka reports these two on the active controller only, so a sum over brokers is right.
    out.single("kafka_controller_kafkacontroller_activecontrollercount", Type::gauge,
               "1 on the active controller, 0 elsewhere.", active_controller ? 1 : 0);
    out.single("kafka_controller_kafkacontroller_offlinepartitionscount", Type::gauge,
               "Partitions without a leader (reported by the active controller).",
               active_controller ? offline : 0);

    // The logs on this broker: sizes, and the flusher's syncs summed over partitions.
    metrics::Histogram sync_seconds(metrics::latency_buckets());
    metrics::Histogram sync_records(metrics::size_buckets());
    out.family("kafka_log_log_size", Type::gauge, "Bytes of a partition's log on this broker.");
    if (logs_) {
        for (const auto& tp : logs_->partitions()) {
            const auto l = logs_->get_shared(tp);
            if (!l) {
                continue;
            }
            out.sample("kafka_log_log_size",
                       Labels{{"topic", tp.topic}, {"partition", std::to_string(tp.partition.value())}},
                       l->size_bytes());
            sync_seconds.add(l->stats().sync_seconds);
            sync_records.add(l->stats().sync_records);
        }
    }
    out.family("eddy_log_sync_latency_seconds", Type::histogram,
               "Time a partition's flusher took to sync its dirty segments (fsync).");
    out.histogram("eddy_log_sync_latency_seconds", Labels{}, sync_seconds);
    out.family("eddy_log_group_commit_records", Type::histogram,
               "Records made durable by one sync (group commit's batch).");
    out.histogram("eddy_log_group_commit_records", Labels{}, sync_records);

    // Consumer lag (kafka_exporter's names): the groups this broker coordinates, for partitions
    // whose log is on this broker (their high watermark is known here).
    struct GroupOffset {
        Labels labels;
        int64_t committed;
        int64_t high_watermark;
    };
    std::vector<GroupOffset> rows;
    if (groups_ && logs_) {
        for (int32_t p = 0; p < groups_->partitions(); ++p) {
            const auto* coordinator = groups_->coordinator(p);
            if (coordinator == nullptr) {
                continue;
            }
            for (const auto& [group_id, g] : coordinator->groups()) {
                for (const auto& [tp, committed] : g.offsets) {
                    const auto l =
                        logs_->get_shared(log::TopicPartition{tp.first, PartitionId(tp.second)});
                    if (l && committed.offset >= 0) {
                        rows.push_back({Labels{{"consumergroup", group_id},
                                               {"topic", tp.first},
                                               {"partition", std::to_string(tp.second)}},
                                        committed.offset, l->high_watermark().value()});
                    }
                }
            }
        }
    }
    out.family("kafka_consumergroup_lag", Type::gauge,
               "High watermark minus the group's committed offset, per partition.");
    for (const auto& r : rows) {
        out.sample("kafka_consumergroup_lag", r.labels,
                   std::max<int64_t>(r.high_watermark - r.committed, 0));
    }
    out.family("kafka_consumergroup_current_offset", Type::gauge,
               "The group's committed offset, per partition.");
    for (const auto& r : rows) {
        out.sample("kafka_consumergroup_current_offset", r.labels, r.committed);
    }
}

}  // namespace eddy::kafka
