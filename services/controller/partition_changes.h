// Partition leadership when brokers come and go, as KRaft's PartitionChangeBuilder does it without
// ELR: the PartitionChangeRecords that take a broker out of every ISR and leadership (it was
// fenced, its session expired, it re-registered, it is shutting down), and those that give a
// leader back to leaderless partitions once an ISR member is usable again.
//
// A leader is elected from the ISR only (no unclean election), in replica order (the preferred
// replica first), among the brokers that may lead: registered, unfenced, not in controlled
// shutdown. An ISR never becomes empty: when the broker leaving is the last member it stays, with
// no leader, as Kafka keeps the last ISR member so that it alone can lead again when it returns.
//
// The records are computed against `image` and are consistent with it when applied in order; they
// never name a leader outside the ISR or a broker that may not lead. Pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "services/controller/metadata_image.h"

namespace eddy::controller {

// Who may lead, beyond what the image says: `gone` may not (it is being fenced or shut down in
// the same batch), `back` may (it is being unfenced in the same batch).
struct LeaderEligibility {
    std::optional<int32_t> gone;
    std::optional<int32_t> back;

    bool may_lead(const MetadataImage& image, int32_t broker) const;
};

// Changes that remove `broker` from every ISR it is in and from every leadership it holds,
// electing new leaders from what remains of the ISR.
std::vector<protocol::records::PartitionChangeRecord> remove_from_partitions(
    const MetadataImage& image, int32_t broker);

// Changes that give a leader to every leaderless partition with an ISR member that may lead
// (with `eligibility` applied on top of the image).
std::vector<protocol::records::PartitionChangeRecord> elect_leaders(
    const MetadataImage& image, const LeaderEligibility& eligibility = {});

// The partitions `broker` leads, counted.
size_t partitions_led(const MetadataImage& image, int32_t broker);

// ElectLeaders (KIP-460): preferred moves leadership to the first replica when it is in the ISR
// and may lead; unclean gives a leaderless partition a leader, from the ISR if one may lead, else
// the first replica that may (its ISR then only that replica: data the others had may be lost).
enum class ElectionType : int8_t { preferred = 0, unclean = 1 };

struct Election {
    int16_t error = 0;  // ELECTION_NOT_NEEDED, PREFERRED_LEADER_NOT_AVAILABLE, ...
    std::string message;
    std::optional<protocol::records::PartitionChangeRecord> change;
};

Election elect_leader(const MetadataImage& image, const std::string& topic, int32_t partition,
                      ElectionType type);

// auto.leader.rebalance.enable: for each broker whose preferred partitions are led elsewhere in
// more than `max_imbalance` (leader.imbalance.per.broker.percentage / 100) of cases, the
// preferred-leader elections that can be made now.
std::vector<protocol::records::PartitionChangeRecord> rebalance_leaders(const MetadataImage& image,
                                                                        double max_imbalance);

}  // namespace eddy::controller
