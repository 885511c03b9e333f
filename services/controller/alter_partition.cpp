#include "services/controller/alter_partition.h"

#include <algorithm>
#include <set>
#include <utility>

#include "services/controller/reassignment.h"

namespace eddy::controller {

namespace e = kafka_error;
using protocol::records::PartitionChangeRecord;

namespace {

// AlterPartition v2 introduced INELIGIBLE_REPLICA; older senders get OPERATION_NOT_ATTEMPTED.
constexpr int16_t ineligible_replica_min_version = 2;
// From v2 topics are named by id (and an unknown one is UNKNOWN_TOPIC_ID).
constexpr int16_t topic_ids_min_version = 2;

std::string partition_name(const TopicState& t, int32_t partition) {
    return t.name + "-" + std::to_string(partition);
}

// Kafka's Replicas.validateIsr and the leader check: distinct, non-negative replicas of the
// partition, the leader among them. Names the first problem.
std::optional<std::string> isr_problem(const PartitionState& p, const std::vector<int32_t>& isr) {
    const std::set<int32_t> replicas(p.replicas.begin(), p.replicas.end());
    std::set<int32_t> seen;
    for (int32_t b : isr) {
        if (!seen.insert(b).second) {
            return "broker " + std::to_string(b) + " is named twice in the new ISR";
        }
        if (!replicas.contains(b)) {
            return "broker " + std::to_string(b) + " in the new ISR is not a replica";
        }
    }
    if (!seen.contains(p.leader)) {
        return "the new ISR does not include the leader " + std::to_string(p.leader);
    }
    return std::nullopt;
}

// Why `m` may not be in an ISR (KIP-841, KIP-903), or nullopt.
std::optional<std::string> ineligibility(const MetadataImage& image, const IsrMember& m) {
    const BrokerState* b = image.broker(m.broker);
    const std::string name = "broker " + std::to_string(m.broker);
    if (b == nullptr) {
        return name + " is not registered";
    }
    if (b->in_controlled_shutdown) {
        return name + " is shutting down";
    }
    if (b->fenced) {
        return name + " is fenced";
    }
    if (m.broker_epoch != -1 && m.broker_epoch != b->epoch) {
        return name + " has broker epoch " + std::to_string(b->epoch) + ", not " +
               std::to_string(m.broker_epoch);
    }
    return std::nullopt;
}

}  // namespace

ApiError check_isr_change_sender(const MetadataImage& image, const IsrChangeSender& sender) {
    const BrokerState* b = image.broker(sender.broker);
    if (b == nullptr) {
        return ApiError::of(e::stale_broker_epoch,
                            "broker " + std::to_string(sender.broker) + " is not registered");
    }
    if (b->epoch != sender.broker_epoch) {
        return ApiError::of(e::stale_broker_epoch, "broker " + std::to_string(sender.broker) +
                                                       " has broker epoch " +
                                                       std::to_string(b->epoch) + ", not " +
                                                       std::to_string(sender.broker_epoch));
    }
    return {};
}

const TopicState* isr_change_topic(const MetadataImage& image, const IsrChangeSender& sender,
                                   const IsrChange& change) {
    if (sender.version < topic_ids_min_version) {
        return image.topic(change.topic_name);
    }
    return change.topic_id.is_zero() ? nullptr : image.topic(change.topic_id);
}

Result<std::optional<PartitionChangeRecord>, ApiError> decide_isr_change(
    const MetadataImage& image, const IsrChangeSender& sender, const IsrChange& change) {
    if (ApiError err = check_isr_change_sender(image, sender); !err.ok()) {
        return fail(err);
    }
    const TopicState* t = isr_change_topic(image, sender, change);
    if (t == nullptr) {
        if (sender.version >= topic_ids_min_version) {
            return fail(ApiError::of(e::unknown_topic_id, "no topic has that id"));
        }
        return fail(ApiError::of(e::unknown_topic_or_partition,
                                 "no topic '" + protocol::echo(change.topic_name) + "'"));
    }
    const auto it = t->partitions.find(change.partition);
    if (it == t->partitions.end()) {
        return fail(ApiError::of(e::unknown_topic_or_partition,
                                 "no partition " + partition_name(*t, change.partition)));
    }
    const PartitionState& p = it->second;
    const std::string name = partition_name(*t, p.partition);
    // Epochs ahead of ours: the sender has seen metadata of a newer controller, so this node no
    // longer is the active one (or soon will not be); NOT_CONTROLLER sends it to look again.
    if (change.leader_epoch > p.leader_epoch || change.partition_epoch > p.partition_epoch) {
        return fail(ApiError::of(e::not_controller,
                                 name + ": the request's epochs are ahead of this controller's"));
    }
    if (change.leader_epoch < p.leader_epoch) {
        return fail(ApiError::of(e::fenced_leader_epoch,
                                 name + ": leader epoch " + std::to_string(change.leader_epoch) +
                                     " is older than " + std::to_string(p.leader_epoch)));
    }
    if (sender.broker != p.leader) {
        return fail(ApiError::of(
            e::invalid_request,
            name + ": broker " + std::to_string(sender.broker) + " is not the leader"));
    }
    if (change.partition_epoch < p.partition_epoch) {
        return fail(ApiError::of(e::invalid_update_version,
                                 name + ": partition epoch " +
                                     std::to_string(change.partition_epoch) + " is older than " +
                                     std::to_string(p.partition_epoch)));
    }
    std::vector<int32_t> isr;
    isr.reserve(change.new_isr.size());
    for (const IsrMember& m : change.new_isr) {
        isr.push_back(m.broker);
    }
    if (auto problem = isr_problem(p, isr)) {
        return fail(ApiError::of(e::invalid_request, name + ": " + *problem));
    }
    const int8_t recovery = change.leader_recovery_state;
    if (recovery != leader_recovered && recovery != leader_recovering) {
        return fail(ApiError::of(
            e::invalid_request,
            name + ": leader recovery state " + std::to_string(recovery) + " is not 0 or 1"));
    }
    // A leader still recovering from an unclean election is the only replica it may trust.
    if (recovery == leader_recovering && isr.size() > 1) {
        return fail(ApiError::of(e::invalid_request,
                                 name + ": a recovering leader's ISR is the leader alone"));
    }
    if (p.leader_recovery_state == leader_recovered && recovery == leader_recovering) {
        return fail(ApiError::of(e::invalid_request,
                                 name + ": a recovered leader cannot become recovering again"));
    }
    for (const IsrMember& m : change.new_isr) {
        if (auto why = ineligibility(image, m)) {
            const int16_t code = sender.version >= ineligible_replica_min_version
                                     ? e::ineligible_replica
                                     : e::operation_not_attempted;
            return fail(ApiError::of(code, name + ": " + *why));
        }
    }

    ASSERT(sender.broker == p.leader,
           "only the current leader's change at the current epochs gets this far");
    ASSERT(change.leader_epoch == p.leader_epoch,
           "only the current leader's change at the current epochs gets this far");
    ASSERT(change.partition_epoch == p.partition_epoch,
           "only the current leader's change at the current epochs gets this far");
    ASSERT(std::find(isr.begin(), isr.end(), p.leader) != isr.end(),
           "the leader stays in the ISR it asks for");
    PartitionChangeRecord c;
    c.topic_id_ = t->id;
    c.partition_id_ = p.partition;
    // Kafka compares the ISR as a list: a reordering is a change (and the order is kept).
    if (isr != p.isr) {
        c.isr_ = std::move(isr);
    }
    if (recovery != p.leader_recovery_state) {
        c.leader_recovery_state_ = recovery;
    }
    if (!c.isr_ && c.leader_recovery_state_ == no_leader_recovery_change) {
        return std::optional<PartitionChangeRecord>();
    }
    ASSERT(c.leader_ == no_leader_change, "an ISR change never moves leadership");
    // The ISR may now hold every replica a reassignment is adding: it completes with this change.
    complete_reassignment(image, c);
    if (auto why = image.inconsistency(c)) {
        return fail(ApiError::of(e::unknown_server_error, *why));
    }
    ASSERT(c.topic_id_ == t->id);
    ASSERT(c.partition_id_ == p.partition);
    return std::optional<PartitionChangeRecord>(std::move(c));
}

AlterPartitionDecision decide_alter_partition(const MetadataImage& image,
                                              const IsrChangeSender& sender,
                                              const std::vector<IsrChange>& changes) {
    AlterPartitionDecision out;
    if (out.error = check_isr_change_sender(image, sender); !out.error.ok()) {
        return out;
    }
    out.outcomes.reserve(changes.size());
    std::set<std::pair<Uuid, int32_t>> named;
    for (const IsrChange& change : changes) {
        const TopicState* t = isr_change_topic(image, sender, change);
        if (t != nullptr && !named.insert({t->id, change.partition}).second) {
            out.outcomes.push_back(ApiError::of(
                e::invalid_request, "partition " + partition_name(*t, change.partition) +
                                        " is named twice in one request"));
            continue;
        }
        auto decided = decide_isr_change(image, sender, change);
        if (!decided.ok()) {
            out.outcomes.push_back(decided.error());
            continue;
        }
        out.outcomes.emplace_back();
        if (decided->has_value()) {
            out.records.push_back(std::move(**decided));
        }
        ASSERT(out.records.size() <= out.outcomes.size(), "at most one record per change");
    }

    ASSERT(out.outcomes.size() == changes.size());
    return out;
}

}  // namespace eddy::controller
