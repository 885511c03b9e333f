#include "services/kafka/broker_lifecycle.h"

#include <algorithm>

#include "services/kafka/errors.h"

namespace eddy::kafka {

namespace {

protocol::Uuid random_incarnation(Random& random) {
    const uint64_t a = random.next();
    return protocol::Uuid::from_words(a, random.next() | 1);  // never the zero id
}

}  // namespace

BrokerLifecycle::BrokerLifecycle(Env& env, BrokerLifecycleOptions options,
                                 ControllerChannel& channel,
                                 const controller::MetadataLog& metadata)
    : env_(env),
      options_(std::move(options)),
      channel_(channel),
      metadata_(metadata),
      incarnation_id_(random_incarnation(env.random)),
      state_changed_(env.scheduler) {}

BrokerLifecycle::~BrokerLifecycle() {
    ASSERT(!fiber_ || fiber_->done(), "shutdown() the broker lifecycle before destroying it");
}

void BrokerLifecycle::start() {
    ASSERT(!fiber_, "BrokerLifecycle started twice");
    fiber_ = env_.scheduler.spawn("broker-lifecycle", [this] { run(); });
}

void BrokerLifecycle::run() {
    while (!env_.scheduler.cancelled()) {
        if (!registered() && !register_once()) {
            if (env_.scheduler.sleep_for(options_.heartbeat_interval) == WakeReason::cancelled) {
                return;
            }
            continue;
        }
        if (!heartbeat_once(shutting_down_)) {
            broker_epoch_ = -1;
            fenced_ = true;
            state_changed_.notify_all();
            continue;  // register again at once
        }
        if (should_shut_down_) {
            return;
        }
        if (env_.scheduler.sleep_for(options_.heartbeat_interval) == WakeReason::cancelled) {
            return;
        }
    }
}

bool BrokerLifecycle::register_once() {
    ASSERT(!registered(), "a registered broker heartbeats instead");
    ASSERT(!incarnation_id_.is_zero(), "an incarnation id is never the zero id");
    protocol::BrokerRegistrationRequest req;
    req.broker_id_ = options_.node_id;
    req.cluster_id_ = options_.cluster_id;
    req.incarnation_id_ = incarnation_id_;
    req.listeners_ = options_.listeners;
    req.rack_ = options_.rack;
    auto resp = channel_.call<protocol::BrokerRegistrationResponse>(
        req, std::max(options_.heartbeat_interval, Duration::seconds(5)));
    if (!resp.ok()) {
        env_.log.info("broker registration: %s", resp.error().to_string().c_str());
        return false;
    }
    if (resp->error_code_ != error::none || resp->broker_epoch_ < 0) {
        env_.log.warn("broker registration refused with error %d", resp->error_code_);
        return false;
    }
    broker_epoch_ = resp->broker_epoch_;
    env_.log.info("registered with the controller: broker epoch %lld",
                  static_cast<long long>(broker_epoch_));
    state_changed_.notify_all();
    return true;
}

bool BrokerLifecycle::heartbeat_once(bool want_shut_down) {
    ASSERT(registered(), "only a registered broker heartbeats");
    ASSERT(broker_epoch_ >= 0, "only a registered broker heartbeats");
    protocol::BrokerHeartbeatRequest req;

    req.broker_id_ = options_.node_id;
    req.broker_epoch_ = broker_epoch_;
    // Kafka's CurrentMetadataOffset is the offset of the last entry applied, not the one after
    // it: the controller unfences a broker once it is at or past its registration's offset
    // (its broker epoch), and only then has this node's image dropped the leaderships its
    // registration took away.
    req.current_metadata_offset_ = metadata_.applied_offset() - 1;
    req.want_fence_ = false;
    req.want_shut_down_ = want_shut_down;
    auto resp = channel_.call<protocol::BrokerHeartbeatResponse>(
        req, std::max(options_.heartbeat_interval, Duration::seconds(2)));
    if (!resp.ok()) {
        return true;  // no answer: try again next interval (the session may expire meanwhile)
    }
    if (resp->error_code_ == error::stale_broker_epoch ||
        resp->error_code_ == error::broker_id_not_registered) {
        env_.log.info("heartbeat refused (error %d): registering again", resp->error_code_);
        return false;
    }
    if (resp->error_code_ != error::none) {
        return true;
    }
    if (fenced_ != resp->is_fenced_) {
        env_.log.info("the controller %s this broker", resp->is_fenced_ ? "fenced" : "unfenced");
    }
    fenced_ = resp->is_fenced_;
    should_shut_down_ = want_shut_down && resp->should_shut_down_;
    state_changed_.notify_all();
    return true;
}

bool BrokerLifecycle::wait_unfenced(Instant deadline) {
    while (fenced_) {
        if (state_changed_.wait(deadline) != WakeReason::notified) {
            return !fenced_;
        }
    }
    return true;
}

void BrokerLifecycle::shutdown(Duration max_wait) {
    if (!fiber_) {
        return;
    }
    const Instant deadline = env_.clock.now() + max_wait;
    if (registered() && !fenced_) {
        shutting_down_ = true;
        while (!should_shut_down_ && env_.clock.now() < deadline && !fiber_->done()) {
            (void)state_changed_.wait(deadline);
        }
    }
    fiber_->cancel();
    (void)fiber_->join();
    fiber_.reset();
}

}  // namespace eddy::kafka
