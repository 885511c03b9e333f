#include "services/kafka/metadata_publisher.h"

#include <algorithm>
#include <set>

#include "services/kafka/topic_configs.h"

namespace eddy::kafka {

MetadataPublisher::MetadataPublisher(Env& env, int32_t node_id,
                                     const controller::MetadataLog& metadata,
                                     log::LogManager& logs, replica::ReplicaManager& replicas,
                                     log::LogConfig defaults, std::function<void()> published)
    : env_(env),
      node_id_(node_id),
      metadata_(metadata),
      logs_(&logs),
      replicas_(&replicas),
      defaults_(std::move(defaults)),
      published_(std::move(published)),
      mutex_(env.scheduler) {}

MetadataPublisher::~MetadataPublisher() {
    ASSERT(!fiber_ || fiber_->done(), "stop() the metadata publisher before destroying it");
}

void MetadataPublisher::start() {
    ASSERT(!fiber_);
    fiber_ = env_.scheduler.spawn("metadata-publisher", [this] {
        uint64_t seen = metadata_.version();
        while (!env_.scheduler.cancelled()) {
            // A damaged replica waiting for repair needs no image change: look once a second.
            metadata_.wait_changed(seen, env_.clock.now() + Duration::seconds(1));
            if (env_.scheduler.cancelled()) {
                return;
            }
            if (metadata_.version() == seen && !repair_wanted_) {
                continue;
            }
            repair_wanted_ = false;
            seen = metadata_.version();
            publish();
        }
    });
}

void MetadataPublisher::stop() {
    if (fiber_) {
        fiber_->cancel();
        (void)fiber_->join();
    }
}

void MetadataPublisher::publish() {
    LockGuard g(mutex_);
    const auto& topics = metadata_.image().topics();
    std::set<log::TopicPartition> wanted;
    // Copy what is needed first: creating a log suspends, and the image may change meanwhile.
    struct Want {
        log::TopicPartition tp;
        log::LogConfig config;
        protocol::Uuid id;
    };
    std::vector<Want> wants;
    for (const auto& [name, t] : topics) {
        const log::LogConfig c = topic_log_config(defaults_, t.configs);
        for (const auto& [p, ps] : t.partitions) {
            // A node keeps logs only for the partitions it is a replica of.
            if (std::find(ps.replicas.begin(), ps.replicas.end(), node_id_) == ps.replicas.end()) {
                continue;
            }
            wants.push_back({{name, PartitionId(p)}, c, t.id});
            wanted.insert({name, PartitionId(p)});
        }
    }
    for (const auto& w : wants) {
        auto known = log_topic_ids_.find(w.tp);
        if (known != log_topic_ids_.end() && known->second != w.id && logs_->get(w.tp) != nullptr) {
            // The topic was deleted and created again since the log was made: a new, empty log.
            if (auto r = logs_->remove(w.tp); !r.ok()) {
                env_.log.error("cannot delete the log of %s: %s", w.tp.to_string().c_str(),
                               std::string(log::to_string(r.error())).c_str());
                continue;
            }
        }
        log_topic_ids_[w.tp] = w.id;
        if (auto l = logs_->get_shared(w.tp); l && l->damaged() && may_rebuild(w.tp)) {
            // Beyond Kafka, which keeps a failed replica offline until an operator replaces the
            // disk: a replica whose data fails its checksums is copied again from the leader.
            auto r = logs_->replace_damaged(w.tp, w.config);
            if (!r.ok()) {
                env_.log.error("cannot rebuild the damaged log of %s: %s", w.tp.to_string().c_str(),
                               std::string(log::to_string(r.error())).c_str());
            }
            continue;
        }
        if (auto l = logs_->get_shared(w.tp)) {
            (void)l->set_config(w.config);
            continue;
        }
        auto r = logs_->create(w.tp, w.config);
        if (!r.ok()) {
            env_.log.error("cannot create the log of %s: %s", w.tp.to_string().c_str(),
                           std::string(log::to_string(r.error())).c_str());
        }
    }
    for (const auto& tp : logs_->partitions()) {
        if (tp.topic == metadata_topic || wanted.contains(tp)) {
            continue;
        }
        // A deleted topic, or a topic whose creation never committed.
        log_topic_ids_.erase(tp);
        if (auto r = logs_->remove(tp); !r.ok()) {
            env_.log.error("cannot delete the log of %s: %s", tp.to_string().c_str(),
                           std::string(log::to_string(r.error())).c_str());
        }
    }
    // Leadership and ISR, from the image as it is now (creating logs suspended; the image may
    // have moved meanwhile, and the next publish() follows it).
    std::map<log::TopicPartition, replica::Assignment> assignments;
    for (const auto& w : wants) {
        const auto* t = metadata_.image().topic(w.tp.topic);
        if (t == nullptr || t->id != w.id) {
            continue;
        }
        const auto it = t->partitions.find(w.tp.partition.value());
        if (it == t->partitions.end()) {
            continue;
        }
        const auto& ps = it->second;
        assignments[w.tp] = {ps.replicas, ps.isr, ps.leader, ps.leader_epoch, ps.partition_epoch};
    }
    replicas_->apply(assignments);
    published_();
}

bool MetadataPublisher::may_rebuild(const log::TopicPartition& tp) const {
    const auto* t = metadata_.image().topic(tp.topic);
    if (t == nullptr) {
        return false;
    }
    const auto it = t->partitions.find(tp.partition.value());
    if (it == t->partitions.end()) {
        return false;
    }
    const auto& ps = it->second;
    const auto has = [](const std::vector<int32_t>& v, int32_t id) {
        return std::find(v.begin(), v.end(), id) != v.end();
    };
    return ps.leader >= 0 && ps.leader != node_id_ && !has(ps.isr, node_id_) &&
           has(ps.replicas, node_id_);
}

}  // namespace eddy::kafka
