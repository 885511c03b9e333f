// MetadataPublisher: carries each committed metadata change into this node's broker components
// (KRaft's MetadataPublisher chain): the partition logs follow the image — a log for every
// partition this node is a replica of, with the topic's configs; a topic deleted (or deleted and
// created again under a new id) loses its log — and waiters on data are woken (leadership moves
// change who may serve what). publish() runs once per change on the publisher's fiber, and on
// demand after a change this node asked for (so the client's next request sees it).
//
// The logs of a topic found at start are taken to belong to the topic the image names.
#pragma once

#include <functional>
#include <map>
#include <optional>

#include "core/env/env.h"
#include "core/fiber/sync.h"
#include "services/controller/metadata_log.h"
#include "services/log/log_manager.h"
#include "services/replica/replica_manager.h"

namespace eddy::kafka {

inline constexpr const char* metadata_topic = "__cluster_metadata";

class MetadataPublisher {
public:
    // `published` runs after every publish() (the broker wakes its long-polling fetches).
    // `replicas` receives each local partition's leadership and ISR once its log exists.
    MetadataPublisher(Env& env, int32_t node_id, const controller::MetadataLog& metadata,
                      log::LogManager& logs, replica::ReplicaManager& replicas,
                      log::LogConfig defaults, std::function<void()> published);
    ~MetadataPublisher();
    MetadataPublisher(const MetadataPublisher&) = delete;
    MetadataPublisher& operator=(const MetadataPublisher&) = delete;

    // Makes the partition logs match the image now. Suspends.
    void publish();
    // publish() after every change the metadata log applies, until stop(). Does not suspend.
    void start();
    // Suspends until the fiber has stopped.
    void stop();

    // Whether the image lets this node rebuild its replica of `tp` from scratch: another
    // broker leads it and the ISR leaves this node out, so the controller will neither elect
    // this replica nor count it toward the high watermark until it has copied the leader's log
    // again. Does not suspend.
    bool may_rebuild(const log::TopicPartition& tp) const;
    // A damaged log may be rebuilt now: the publishing fiber does it within a second (the hook
    // that calls this cannot suspend). Does not suspend.
    void repair_soon() { repair_wanted_ = true; }

private:
    Env& env_;
    int32_t node_id_;
    const controller::MetadataLog& metadata_;
    log::LogManager* logs_;
    replica::ReplicaManager* replicas_;
    log::LogConfig defaults_;
    std::function<void()> published_;
    // The topic id each partition log was made for (a deleted and re-created topic gets new logs).
    std::map<log::TopicPartition, protocol::Uuid> log_topic_ids_;
    Mutex mutex_;
    std::optional<FiberRef> fiber_;
    bool repair_wanted_ = false;
};

}  // namespace eddy::kafka
