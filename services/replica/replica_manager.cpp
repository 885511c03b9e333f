#include "services/replica/replica_manager.h"

#include <algorithm>

#include "core/protocol/error_codes.h"
#include "services/replica/replica_fetcher.h"

namespace eddy::replica {


ReplicaManager::ReplicaManager(Env& env, ReplicaOptions options, log::LogManager& logs,
                               ReplicaHooks hooks, ReplicaKnobs knobs)
    : env_(env),
      options_(options),
      logs_(logs),
      hooks_(std::move(hooks)),
      knobs_(knobs),
      hw_changed_(env.scheduler),
      isr_wakeup_(env.scheduler) {}

ReplicaManager::~ReplicaManager() {
    ASSERT(!isr_fiber_ || isr_fiber_->done(), "stop() the replica manager before destroying it");
}

void ReplicaManager::start() {
    ASSERT(!isr_fiber_);
    isr_fiber_ = env_.scheduler.spawn("replica-isr", [this] { isr_loop(); });
}

void ReplicaManager::stop() {
    stopping_ = true;
    if (isr_fiber_) {
        isr_fiber_->cancel();
        (void)isr_fiber_->join();
    }
    for (auto& [id, f] : fetchers_) {
        f->stop();
    }
    hw_changed_.notify_all();
}

ReplicaManager::Partition* ReplicaManager::find(const log::TopicPartition& tp) {
    auto it = partitions_.find(tp);
    return it == partitions_.end() ? nullptr : it->second.get();
}

const ReplicaManager::Partition* ReplicaManager::find(const log::TopicPartition& tp) const {
    auto it = partitions_.find(tp);
    return it == partitions_.end() ? nullptr : it->second.get();
}

Offset ReplicaManager::local_end(const log::PartitionLog& log) {
    return log.config().durable_acks() ? log.durable_offset() : log.log_end_offset();
}

void ReplicaManager::apply(const std::map<log::TopicPartition, Assignment>& assignments) {
    const Instant now = env_.clock.now();
    for (const auto& [tp, a] : assignments) {
        auto l = logs_.get_shared(tp);
        if (!l) {
            continue;  // not created yet (the publisher logs why)
        }
        auto& slot = partitions_[tp];
        if (!slot || slot->log != l) {
            // A new log (or the topic was deleted and created again): a fresh state.
            slot = std::make_unique<Partition>(options_.node_id);
            slot->log = l;
        }
        Partition& p = *slot;
        if (env_.tracer.enabled() && !(p.state.assignment() == a)) {
            // For the election picture (eddy sim viz elections): leader and ISR as applied here.
            std::string isr;
            for (int32_t r : a.isr) {
                isr += (isr.empty() ? "" : ",") + std::to_string(r);
            }
            env_.tracer.event("partition.leader", {{"topic", tp.topic},
                                                   {"partition", tp.partition.value()},
                                                   {"leader", a.leader},
                                                   {"epoch", a.leader_epoch},
                                                   {"partition_epoch", a.partition_epoch},
                                                   {"isr", isr}});
        }
        const bool was_leader = p.state.is_leader();
        const bool became_leader = p.state.apply(a, l->log_end_offset(), l->high_watermark(), now);
        ASSERT(p.state.leader_epoch() >= a.leader_epoch, "the state holds the newest leader epoch");
        if (p.state.is_leader()) {
            ASSERT(a.leader == options_.node_id);
            ASSERT(contains(a.isr, options_.node_id));
            if (became_leader) {
                unfollow(tp);
                env_.log.info("%s: leader in epoch %d (ISR %zu of %zu replicas)",
                              tp.to_string().c_str(), a.leader_epoch, a.isr.size(),
                              a.replicas.size());
            }
            update_high_watermark(tp, p);
        } else if (p.state.role() == Role::follower && a.leader >= 0) {
            if (was_leader) {
                env_.log.info("%s: follower of broker %d in epoch %d", tp.to_string().c_str(),
                              a.leader, a.leader_epoch);
            }
            follow(tp, a.leader);
            fetchers_.at(a.leader)->add(tp, a.leader_epoch);
        } else {
            unfollow(tp);
        }
    }
    for (auto it = partitions_.begin(); it != partitions_.end();) {
        if (!assignments.contains(it->first) || logs_.get_shared(it->first) != it->second->log) {
            unfollow(it->first);
            it = partitions_.erase(it);
        } else {
            ++it;
        }
    }
    // Waiters re-check their leadership.
    hw_changed_.notify_all();
    isr_wakeup_.notify_all();
}

void ReplicaManager::follow(const log::TopicPartition& tp, int32_t leader) {
    for (auto& [id, f] : fetchers_) {
        if (id != leader) {
            f->remove(tp);
        }
    }
    auto& f = fetchers_[leader];
    if (!f) {
        f = std::make_unique<ReplicaFetcher>(env_, *this, leader);
        if (!stopping_) {
            f->start();
        }
    }
}

void ReplicaManager::unfollow(const log::TopicPartition& tp) {
    for (auto& [id, f] : fetchers_) {
        f->remove(tp);
    }
}

int16_t ReplicaManager::check_leader_epoch(const log::TopicPartition& tp, int32_t current) const {
    const Partition* p = find(tp);
    if (p == nullptr || !p->state.is_leader()) {
        return kafka_error::not_leader_or_follower;
    }
    if (current < 0) {
        return kafka_error::none;
    }
    if (current < p->state.leader_epoch()) {
        return kafka_error::fenced_leader_epoch;
    }
    if (current > p->state.leader_epoch()) {
        return kafka_error::unknown_leader_epoch;
    }
    return kafka_error::none;
}

std::optional<int32_t> ReplicaManager::leader_epoch(const log::TopicPartition& tp) const {
    const Partition* p = find(tp);
    if (p == nullptr || !p->state.is_leader()) {
        return std::nullopt;
    }
    return p->state.leader_epoch();
}

size_t ReplicaManager::isr_size(const log::TopicPartition& tp) const {
    const Partition* p = find(tp);
    return p == nullptr ? 0 : p->state.assignment().isr.size();
}

void ReplicaManager::appended(const log::TopicPartition& tp) {
    if (Partition* p = find(tp); p != nullptr && p->state.is_leader()) {
        update_high_watermark(tp, *p);
    }
}

void ReplicaManager::update_high_watermark(const log::TopicPartition& tp, Partition& p) {
    (void)tp;
    ASSERT(p.state.is_leader());
    const Offset log_hw_before = p.log->high_watermark();
    p.state.set_local_end(local_end(*p.log));
    bool moved = p.state.advance_high_watermark();
    Offset hw = p.state.high_watermark();
    if (knobs_.hw_from_leader_alone) {
        // Planted bug: the leader's own end, whatever the followers have.
        hw = std::max(hw, local_end(*p.log));
        moved = hw > p.log->high_watermark();
    }
    if (hw > p.log->high_watermark()) {
        p.log->set_high_watermark(hw);
        moved = true;
    }
    ASSERT(p.log->high_watermark() >= log_hw_before, "a leader's high watermark never goes back");
    ASSERT(p.log->high_watermark() >= std::min(p.state.high_watermark(), p.log->log_end_offset()),
           "the log serves everything replication has committed");
    if (moved) {
        hw_changed_.notify_all();
        if (hooks_.data_changed) {
            hooks_.data_changed();
        }
    }
}

int16_t ReplicaManager::wait_replicated(const log::TopicPartition& tp, Offset last_offset,
                                        int32_t epoch, Instant deadline) {
    while (true) {
        const Partition* p = find(tp);
        if (p == nullptr || !p->state.is_leader() || p->state.leader_epoch() != epoch) {
            return kafka_error::not_leader_or_follower;
        }
        if (knobs_.ack_before_replication || p->log->high_watermark() > last_offset) {
            return kafka_error::none;
        }
        if (stopping_ || p->log->closed()) {
            return kafka_error::not_leader_or_follower;
        }
        if (hw_changed_.wait(deadline) != WakeReason::notified) {
            return kafka_error::request_timed_out;
        }
    }
}

FollowerFetchCheck ReplicaManager::follower_fetch(const log::TopicPartition& tp, int32_t replica,
                                                  Offset fetch_offset,
                                                  int32_t current_leader_epoch,
                                                  int32_t last_fetched_epoch) {
    FollowerFetchCheck out;
    Partition* p = find(tp);
    if (p == nullptr || !p->state.is_leader() ||
        !contains(p->state.assignment().replicas, replica) || replica == options_.node_id) {
        out.error = kafka_error::not_leader_or_follower;
        return out;
    }
    if (int16_t e = check_leader_epoch(tp, current_leader_epoch); e != kafka_error::none) {
        out.error = e;
        return out;
    }
    log::PartitionLog& l = *p->log;
    if (last_fetched_epoch >= 0 && !knobs_.truncate_without_epoch_check) {
        // KIP-320: does the follower's last epoch end, here, at or after where it fetches from?
        const auto end = l.leader_epochs().end_offset_for(LeaderEpoch(last_fetched_epoch),
                                                          l.log_end_offset());
        if (end.epoch.value() < 0) {
            // No epoch at or below the follower's: everything it has diverges.
            out.diverging = {-1, l.log_start_offset().value()};
            return out;
        }
        ASSERT(end.epoch.value() <= last_fetched_epoch, "the epoch found is at or below the one asked");
        ASSERT(end.end_offset <= l.log_end_offset(), "an epoch ends within the leader's log");
        if (end.epoch.value() != last_fetched_epoch || end.end_offset < fetch_offset) {
            out.diverging = {end.epoch.value(), end.end_offset.value()};
            return out;
        }

    }
    if (fetch_offset < l.log_start_offset() || fetch_offset > l.log_end_offset()) {
        out.error = kafka_error::offset_out_of_range;
        return out;
    }
    const bool in_isr = contains(p->state.assignment().isr, replica);
    ASSERT(fetch_offset <= l.log_end_offset(), "a follower never has more than its leader");
    const bool known =
        p->state.follower_fetched(replica, fetch_offset, l.log_end_offset(), env_.clock.now());
    ASSERT(known, "a leader tracks every replica of the partition");

    update_high_watermark(tp, *p);
    if (!in_isr && fetch_offset >= p->state.high_watermark()) {
        isr_wakeup_.notify_all();  // it may join now
    }
    return out;
}

std::optional<ReplicaManager::PartitionView> ReplicaManager::view(
    const log::TopicPartition& tp) const {
    const Partition* p = find(tp);
    if (p == nullptr) {
        return std::nullopt;
    }
    PartitionView v{p->state.role(), p->state.assignment(), p->log->high_watermark(),
                    p->state.isr_change_in_flight(), {}};
    for (const auto& [id, f] : p->state.followers()) {
        if (f.log_end) {
            v.follower_log_ends.emplace(id, *f.log_end);
        }
    }
    return v;
}

void ReplicaManager::isr_loop() {
    const Duration every =
        std::max(Duration::millis(50), Duration::nanos(options_.lag_time_max.to_nanos() / 2));
    while (!env_.scheduler.cancelled()) {
        change_isrs();
        if (env_.scheduler.cancelled() ||
            isr_wakeup_.wait(env_.clock.now() + every) == WakeReason::cancelled) {
            return;
        }
    }
}

void ReplicaManager::change_isrs() {
    if (!hooks_.alter_isr || knobs_.no_isr_changes) {
        return;
    }
    const Instant now = env_.clock.now();
    std::vector<IsrChange> changes;
    std::vector<std::shared_ptr<log::PartitionLog>> logs;
    for (auto& [tp, p] : partitions_) {
        if (!p->state.is_leader()) {
            continue;
        }
        if (auto wanted = p->state.wanted_isr(now, options_.lag_time_max, hooks_.may_join)) {
            p->state.isr_change_sent(*wanted);
            ASSERT(p->state.isr_change_in_flight(), "a change sent is in flight until answered");
            changes.push_back({tp, p->state.assignment(), std::move(*wanted)});
            logs.push_back(p->log);
        }
    }
    if (changes.empty()) {
        return;
    }
    if (BUGGIFY(env_) && env_.scheduler.sleep_for(Duration::millis(env_.random.between(
                             50, 500))) == WakeReason::cancelled) {
        // A slow controller round: the changes stay in flight (the maximal ISR counts) for
        // longer while fetches, produces and leadership changes go on.
        return;  // stopping
    }
    auto results = hooks_.alter_isr(changes);  // suspends
    ASSERT(results.size() == changes.size(), "one answer per change asked");
    for (size_t i = 0; i < changes.size(); ++i) {
        const auto& tp = changes[i].tp;
        Partition* p = find(tp);
        if (p == nullptr || p->log != logs[i]) {
            continue;  // gone meanwhile
        }
        const auto& r = results[i];
        if (!r.ok()) {
            env_.log.info("%s: AlterPartition for an ISR of %zu refused: %s",
                          tp.to_string().c_str(), changes[i].isr.size(),
                          kafka_error::error_name(r.error()));
        } else {
            env_.log.info("%s: ISR now %zu of %zu replicas (partition epoch %d)",
                          tp.to_string().c_str(), r->isr.size(), r->replicas.size(),
                          r->partition_epoch);
        }
        p->state.isr_change_done(r);
        if (!r.ok()) {
            continue;
        }
        if (p->state.is_leader()) {
            update_high_watermark(tp, *p);
        }
    }
}

}  // namespace eddy::replica
