#include "services/replica/replica_state.h"

#include <algorithm>

#include "core/base/assert.h"
#include "core/protocol/error_codes.h"

namespace eddy::replica {

bool contains(const std::vector<int32_t>& v, int32_t x) {
    return std::find(v.begin(), v.end(), x) != v.end();
}

bool ReplicaState::apply(const Assignment& a, Offset local_end, Offset local_hw, Instant now) {
    // The image only moves forward: the controller bumps the leader epoch on every leadership
    // change and the partition epoch on every change.
    ASSERT(!applied_ || a.leader_epoch >= assignment_.leader_epoch, "leader epochs never go back");
    if (applied_ && a.leader_epoch == assignment_.leader_epoch &&
        a.partition_epoch < assignment_.partition_epoch) {
        // The image has not caught up with an AlterPartition answer applied already: stale.
        return false;
    }
    const bool new_epoch = !applied_ || a.leader_epoch != assignment_.leader_epoch;
    const Role was = role_;
    applied_ = true;
    assignment_ = a;
    if (a.leader == self_) {
        ASSERT(contains(a.isr, self_), "a leader is in its ISR");
        role_ = Role::leader;
    } else if (contains(a.replicas, self_)) {
        role_ = Role::follower;
    } else {
        role_ = Role::none;
    }
    if (role_ != Role::leader) {
        followers_.clear();
        pending_isr_.reset();
        return false;
    }
    if (!new_epoch && was == Role::leader) {
        // The same leadership with a new ISR (our AlterPartition, or the controller removing a
        // fenced broker): follower progress stays; a change in flight is settled by its answer.
        for (int32_t r : a.replicas) {
            if (r != self_ && !followers_.contains(r)) {
                followers_[r] = FollowerProgress{std::nullopt, now, Offset(0), now};
            }
        }
        std::erase_if(followers_, [&](const auto& f) { return !contains(a.replicas, f.first); });
        // The image has moved past the state the change in flight was based on: it was applied
        // or refused, and the image says which. A change naming a broker that is no longer a
        // replica (a reassignment completed meanwhile: the AlterPartition answer that completed
        // it carries no replica list) cannot be applied by the controller and is dropped; its
        // non-replica must not hold the high watermark back.
        const bool names_non_replica =
            pending_isr_ && std::any_of(pending_isr_->begin(), pending_isr_->end(),
                                        [&](int32_t r) { return !contains(a.replicas, r); });
        if (pending_isr_ && (*pending_isr_ == a.isr || a.partition_epoch > pending_base_epoch_ ||
                             names_non_replica)) {
            pending_isr_.reset();
        }
        const Offset hw_before = high_watermark_;
        (void)advance_high_watermark();
        ASSERT(high_watermark_ >= hw_before, "while leading the high watermark never goes back");
        ASSERT(followers_.size() + 1 == a.replicas.size(), "a leader tracks every other replica");
        check();
        return false;
    }
    epoch_start_ = local_end;
    high_watermark_ = std::min(local_hw, local_end);
    local_end_ = high_watermark_;  // the caller reports the leader's own end next
    followers_.clear();
    pending_isr_.reset();
    for (int32_t r : a.replicas) {
        if (r != self_) {
            followers_[r] = FollowerProgress{std::nullopt, now, Offset(0), now};
        }
    }
    ASSERT(high_watermark_ <= epoch_start_, "a new leader's high watermark is within its log");
    (void)advance_high_watermark();
    check();
    return true;
}

bool ReplicaState::follower_fetched(int32_t follower, Offset fetch_offset, Offset leader_end,
                                    Instant now) {
    ASSERT(is_leader());
    auto it = followers_.find(follower);
    if (it == followers_.end()) {
        return false;
    }
    FollowerProgress& f = it->second;
    // Kafka's rule: caught up now if it asked for everything the leader has; caught up as of its
    // previous fetch if it now has what the leader had then.
    if (fetch_offset >= leader_end) {
        f.last_caught_up = now;
    } else if (f.log_end && fetch_offset >= f.leader_end_at_last_fetch) {
        f.last_caught_up = std::max(f.last_caught_up, f.last_fetch);
    }
    f.log_end = fetch_offset;
    f.last_fetch = now;
    f.leader_end_at_last_fetch = leader_end;
    return true;
}

void ReplicaState::set_local_end(Offset end) {
    ASSERT(is_leader());
    local_end_ = std::max(local_end_, end);
    ASSERT(high_watermark_ <= local_end_ || high_watermark_ <= epoch_start_);
}

std::vector<int32_t> ReplicaState::maximal_isr() const {
    std::vector<int32_t> isr = assignment_.isr;
    if (pending_isr_) {
        for (int32_t r : *pending_isr_) {
            if (!contains(isr, r)) {
                isr.push_back(r);
            }
        }
    }
    ASSERT(!is_leader() || contains(isr, self_), "the leader counts itself");
    return isr;
}

bool ReplicaState::advance_high_watermark() {
    if (!is_leader()) {
        return false;
    }
    Offset hw = local_end_;
    for (int32_t r : maximal_isr()) {
        if (r == self_) {
            continue;
        }
        const auto it = followers_.find(r);
        if (it == followers_.end() || !it->second.log_end) {
            return false;  // an ISR member this leader has not heard from: nothing can advance
        }
        hw = std::min(hw, *it->second.log_end);
    }
    if (hw <= high_watermark_) {
        return false;
    }
    ASSERT(hw <= local_end_, "the high watermark never passes the leader's own end");
    high_watermark_ = hw;
    check();
    return true;
}

void ReplicaState::set_follower_high_watermark(Offset leader_hw, Offset local_end) {
    if (role_ == Role::leader) {
        return;
    }
    high_watermark_ = std::min(leader_hw, local_end);
    ASSERT(high_watermark_ <= local_end, "a follower's high watermark is within its log");
}

std::optional<std::vector<int32_t>> ReplicaState::wanted_isr(
    Instant now, Duration lag_max, const std::function<bool(int32_t)>& may_join) const {
    if (!is_leader()) {
        return std::nullopt;
    }
    if (pending_isr_) {
        return pending_resend_ ? pending_isr_ : std::nullopt;
    }
    std::vector<int32_t> wanted;
    for (int32_t r : assignment_.replicas) {
        if (r == self_) {
            wanted.push_back(r);
            continue;
        }
        const auto it = followers_.find(r);
        ASSERT(it != followers_.end(), "a leader tracks every replica");
        const FollowerProgress& f = it->second;
        if (contains(assignment_.isr, r)) {
            // Out of sync: behind the leader's end and not caught up for lag_max.
            const bool behind = !f.log_end || *f.log_end < f.leader_end_at_last_fetch ||
                                *f.log_end < local_end_;
            if (!(behind && now - f.last_caught_up > lag_max)) {
                wanted.push_back(r);
            }
        } else if (f.log_end && *f.log_end >= high_watermark_ && *f.log_end >= epoch_start_ &&
                   may_join(r)) {
            wanted.push_back(r);
        }
    }
    ASSERT(contains(wanted, self_), "a leader never asks to leave its own ISR");
    if (wanted.size() == assignment_.isr.size() &&
        std::all_of(wanted.begin(), wanted.end(),
                    [&](int32_t r) { return contains(assignment_.isr, r); })) {
        return std::nullopt;
    }
    return wanted;
}

void ReplicaState::isr_change_sent(std::vector<int32_t> isr) {
    ASSERT(is_leader(), "one ISR change in flight at a time");
    ASSERT((!pending_isr_ || (pending_resend_ && *pending_isr_ == isr)),
           "one ISR change in flight at a time");
    ASSERT(contains(isr, self_), "a leader never asks to leave its own ISR");
    if (!pending_isr_) {
        pending_base_epoch_ = assignment_.partition_epoch;
    }
    pending_isr_ = std::move(isr);
    pending_resend_ = false;
}

void ReplicaState::isr_change_done(const Result<Assignment, int16_t>& answer) {
    if (!pending_isr_) {
        return;  // the image settled it meanwhile (or a new leadership began)
    }
    if (answer.ok()) {
        const Assignment& committed = *answer;
        if (!is_leader() || committed.leader != self_ ||
            committed.leader_epoch != assignment_.leader_epoch ||
            !contains(committed.isr, self_) ||
            !std::all_of(committed.isr.begin(), committed.isr.end(),
                         [&](int32_t r) { return contains(assignment_.replicas, r); })) {
            // Applied or not, this leadership is over: the image will say so. Until then the
            // change's members still count (the controller may elect one of them). The last
            // two: an answer from a controller that broke its own rules (the leader left out,
            // a non-replica in): the image, whose records are validated, settles it instead.
            return;
        }
        pending_isr_.reset();
        if (committed.partition_epoch > assignment_.partition_epoch) {
            Assignment a = assignment_;
            a.isr = committed.isr;
            a.partition_epoch = committed.partition_epoch;
            ASSERT(contains(a.isr, self_), "the controller keeps the leader in its ISR");
            assignment_ = a;
            const Offset hw_before = high_watermark_;
            (void)advance_high_watermark();
            ASSERT(high_watermark_ >= hw_before, "while leading the high watermark never goes back");
        }
    } else if (answer.error() == kafka_error::ineligible_replica ||
               answer.error() == kafka_error::operation_not_attempted) {
        pending_isr_.reset();  // definitely not applied
    } else {
        // No answer, or one saying this view is stale (FENCED_LEADER_EPOCH,
        // INVALID_UPDATE_VERSION, ...): it may have been applied. Ask again; the image settles
        // it.
        pending_resend_ = true;
    }
    check();
}

void ReplicaState::check() const {
    for (int32_t r : assignment_.isr) {
        ASSERT(contains(assignment_.replicas, r), "the ISR is a subset of the replicas");
    }
    ASSERT(role_ != Role::follower || contains(assignment_.replicas, self_));
    ASSERT(!pending_isr_ || is_leader(), "only a leader has an ISR change in flight");
    if (is_leader()) {
        ASSERT(assignment_.leader == self_);
        ASSERT(contains(assignment_.isr, self_));

        ASSERT(high_watermark_ <= local_end_ || high_watermark_ <= epoch_start_,
               "the high watermark never passes the leader's end");
    }
}

}  // namespace eddy::replica
