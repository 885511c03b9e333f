// BrokerLifecycle: a broker's membership in the cluster, kept with the active controller (KRaft's
// BrokerLifecycleManager). The broker registers (BrokerRegistration: its listeners, rack and an
// incarnation id new at every start) and gets a broker epoch; it then heartbeats every
// broker.heartbeat.interval.ms with the metadata offset it has applied. The controller unfences
// it once it has caught up with the metadata log, and fences it when heartbeats stop for
// broker.session.timeout.ms — Metadata lists unfenced brokers only, and partition leadership
// moves away from fenced ones. A heartbeat answered STALE_BROKER_EPOCH or BROKER_ID_NOT_REGISTERED
// (the controller lost the registration, or fenced and dropped us) registers again.
//
// Controlled shutdown: shutdown() heartbeats with want_shut_down until the controller answers
// should_shut_down (it has moved every partition leadership away) or the time runs out, so
// clients move to the new leaders before this broker stops answering.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/env/env.h"
#include "core/fiber/sync.h"
#include "core/protocol/generated/all_messages.h"
#include "services/controller/metadata_log.h"
#include "services/kafka/controller_channel.h"

namespace eddy::kafka {

struct BrokerLifecycleOptions {
    int32_t node_id = -1;
    std::string cluster_id;
    std::vector<protocol::BrokerRegistrationRequest::Listener> listeners;
    std::optional<std::string> rack;
    Duration heartbeat_interval = Duration::seconds(2);  // broker.heartbeat.interval.ms
};

class BrokerLifecycle {
public:
    BrokerLifecycle(Env& env, BrokerLifecycleOptions options, ControllerChannel& channel,
                    const controller::MetadataLog& metadata);
    ~BrokerLifecycle();
    BrokerLifecycle(const BrokerLifecycle&) = delete;
    BrokerLifecycle& operator=(const BrokerLifecycle&) = delete;

    // Starts registering and heartbeating. Does not suspend.
    void start();
    // Waits until the controller has unfenced this broker or the deadline. Suspends.
    bool wait_unfenced(Instant deadline);
    // Controlled shutdown (see the file comment), then stops heartbeating. Suspends.
    void shutdown(Duration max_wait);

    bool registered() const { return broker_epoch_ >= 0; }
    bool fenced() const { return fenced_; }
    int64_t broker_epoch() const { return broker_epoch_; }
    const protocol::Uuid& incarnation_id() const { return incarnation_id_; }

private:
    void run();
    bool register_once();
    // One heartbeat; false if the broker must register again.
    bool heartbeat_once(bool want_shut_down);

    Env& env_;
    BrokerLifecycleOptions options_;
    ControllerChannel& channel_;
    const controller::MetadataLog& metadata_;
    protocol::Uuid incarnation_id_;
    int64_t broker_epoch_ = -1;
    bool fenced_ = true;
    bool shutting_down_ = false;
    bool should_shut_down_ = false;
    std::optional<FiberRef> fiber_;
    WaitQueue state_changed_;
};

}  // namespace eddy::kafka
