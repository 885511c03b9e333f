#include "services/controller/reassignment.h"

#include <algorithm>
#include <set>

#include "core/base/assert.h"
#include "core/protocol/error_codes.h"

namespace eddy::controller {
namespace {

namespace e = kafka_error;
using protocol::records::PartitionChangeRecord;

bool contains(const std::vector<int32_t>& v, int32_t x) {
    return std::find(v.begin(), v.end(), x) != v.end();
}

// The members of `v` that are (or, with keep = false, are not) in `of`, in `v`'s order.
std::vector<int32_t> filter(const std::vector<int32_t>& v, const std::vector<int32_t>& of,
                            bool keep) {
    std::vector<int32_t> out;
    for (int32_t x : v) {
        if (contains(of, x) == keep) {
            out.push_back(x);
        }
    }
    return out;
}

// The first of `order` in `isr` that may lead, or -1.
int32_t first_leader(const MetadataImage& image, const std::vector<int32_t>& order,
                     const std::vector<int32_t>& isr, const LeaderEligibility& eligibility = {}) {
    for (int32_t r : order) {
        if (contains(isr, r) && eligibility.may_lead(image, r)) {
            return r;
        }
    }
    return no_leader;
}

std::string partition_name(const std::string& topic, int32_t partition) {
    return protocol::echo(topic) + "-" + std::to_string(partition);
}

ApiError check_target(const MetadataImage& image, const std::vector<int32_t>& target) {
    if (target.empty()) {
        return ApiError::of(e::invalid_replica_assignment, "the target replica list is empty");
    }
    std::set<int32_t> seen;
    for (int32_t b : target) {
        if (!seen.insert(b).second) {
            return ApiError::of(e::invalid_replica_assignment,
                                "broker " + std::to_string(b) + " is named twice");
        }
        if (image.broker(b) == nullptr) {
            return ApiError::of(e::invalid_replica_assignment,
                                "broker " + std::to_string(b) + " is not registered");
        }
    }
    return {};
}

}  // namespace

std::vector<int32_t> original_replicas(const PartitionState& p) {
    return filter(p.replicas, p.adding, false);
}

std::vector<int32_t> target_replicas(const PartitionState& p) {
    return filter(p.replicas, p.removing, false);
}

Result<std::optional<PartitionChangeRecord>, ApiError> decide_reassignment(
    const MetadataImage& image, const std::string& topic, int32_t partition,
    const std::optional<std::vector<int32_t>>& target, const ReassignmentKnobs& knobs) {
    const TopicState* t = image.topic(topic);
    if (t == nullptr || !t->partitions.contains(partition)) {
        return fail(ApiError::of(e::unknown_topic_or_partition,
                                 "no partition " + partition_name(topic, partition)));
    }
    const PartitionState& p = t->partitions.at(partition);
    const std::vector<int32_t> original = original_replicas(p);
    std::vector<int32_t> to;
    if (!target) {
        if (!p.reassigning()) {
            return fail(ApiError::of(e::no_reassignment_in_progress,
                                     partition_name(topic, partition) + " is not being reassigned"));
        }
        to = original;  // cancelling: back to where it started
    } else {
        if (ApiError err = check_target(image, *target); !err.ok()) {
            return fail(err);
        }
        to = *target;
    }
    // The target first (its order names the preferred leader), then the replicas leaving.
    std::vector<int32_t> replicas = to;
    for (int32_t r : filter(original, to, false)) {
        replicas.push_back(r);
    }
    const std::vector<int32_t> adding = filter(to, original, false);
    const std::vector<int32_t> removing = filter(original, to, false);
    ASSERT(std::all_of(adding.begin(), adding.end(), [&](int32_t r) { return contains(to, r); }),
           "the replicas being added are in the target");
    ASSERT(std::none_of(removing.begin(), removing.end(), [&](int32_t r) { return contains(to, r); }),
           "no replica of the target is being removed");
    ASSERT(replicas.size() == to.size() + removing.size(),
           "a reassigning replica set is the target followed by those leaving");
    // In-sync members stay in sync as long as they stay replicas.
    std::vector<int32_t> isr = filter(p.isr, replicas, true);
    if (knobs.in_sync_before_copied) {
        for (int32_t r : adding) {
            if (!contains(isr, r) && LeaderEligibility{}.may_lead(image, r)) {
                isr.push_back(r);  // planted bug: never copied, yet "in sync"
            }
        }
    }
    if (isr.empty()) {
        return fail(ApiError::of(e::invalid_replica_assignment,
                                 partition_name(topic, partition) +
                                     ": no in-sync replica would be left"));
    }
    PartitionChangeRecord c;
    c.topic_id_ = t->id;
    c.partition_id_ = partition;
    c.replicas_ = replicas;
    c.isr_ = isr;
    c.adding_replicas_ = adding;
    c.removing_replicas_ = removing;
    if (p.leader != no_leader && !contains(isr, p.leader)) {
        // Only an adding replica dropped by a cancel can be the leader and leave the ISR here.
        c.leader_ = first_leader(image, replicas, isr);
        ASSERT(c.leader_ == no_leader || contains(isr, c.leader_), "a new leader is in the ISR");
    }
    // Every target replica may be in sync already: then it completes at once.
    complete_reassignment(image, c);
    if (*c.replicas_ == p.replicas && *c.isr_ == p.isr && *c.adding_replicas_ == p.adding &&
        *c.removing_replicas_ == p.removing && c.leader_ == no_leader_change) {
        return std::optional<PartitionChangeRecord>();  // nothing to change
    }
    if (auto problem = image.inconsistency(c)) {
        return fail(ApiError::of(e::unknown_server_error, *problem));
    }
    return std::optional<PartitionChangeRecord>(std::move(c));
}

void complete_reassignment(const MetadataImage& image, PartitionChangeRecord& change,
                           const LeaderEligibility& eligibility) {
    const PartitionState* p = image.partition(change.topic_id_, change.partition_id_);
    if (p == nullptr) {
        return;
    }
    const auto& replicas = change.replicas_ ? *change.replicas_ : p->replicas;
    const auto& removing = change.removing_replicas_ ? *change.removing_replicas_ : p->removing;
    const auto& adding = change.adding_replicas_ ? *change.adding_replicas_ : p->adding;
    if (adding.empty() && removing.empty()) {
        return;
    }
    const std::vector<int32_t> target = filter(replicas, removing, false);
    const std::vector<int32_t> isr_after = change.isr_ ? *change.isr_ : p->isr;
    if (!std::all_of(target.begin(), target.end(),
                     [&](int32_t r) { return contains(isr_after, r); })) {
        return;
    }
    const std::vector<int32_t> isr = filter(isr_after, target, true);
    ASSERT(isr.size() == target.size(), "a completing reassignment has its whole target in sync");
    const int32_t leader = change.leader_ == no_leader_change ? p->leader : change.leader_;
    int32_t new_leader = no_leader_change;
    if (leader == no_leader || !contains(target, leader)) {
        const int32_t chosen = first_leader(image, target, isr, eligibility);
        if (chosen == no_leader && leader != no_leader) {
            return;  // the leader is leaving and none of the target may take over yet
        }
        new_leader = chosen == leader ? no_leader_change : chosen;
    }
    ASSERT(new_leader == no_leader_change || new_leader == no_leader || contains(isr, new_leader),
           "a new leader is in the ISR");
    PartitionChangeRecord completed = change;
    completed.replicas_ = target;

    completed.isr_ = isr;
    completed.adding_replicas_ = std::vector<int32_t>{};
    completed.removing_replicas_ = std::vector<int32_t>{};
    if (new_leader != no_leader_change) {
        completed.leader_ = new_leader;
    }
    if (!image.inconsistency(completed)) {
        change = std::move(completed);
    }
}

}  // namespace eddy::controller
