// The planted-bug registry. See planted_bugs.h; scenarios/README.md has the table for readers.
#include "scenarios/planted_bugs.h"

#include "core/base/assert.h"

namespace eddy::scenarios {

const std::vector<PlantedBug>& all_planted_bugs() {
    static const std::vector<PlantedBug> all = [] {
        std::vector<PlantedBug> v = {
            {"reorder-responses",
             "the frame server writes some pipelined responses out of request order",
             "net::FrameServerOptions::reorder_responses",
             {{"frame-echo", "response-matches-request"}}},
            {"skip-sync",
             "the WAL writer counts records as synced without syncing; planted in the "
             "scenario's writer, since disk-durability tests the simulated disk itself",
             "scenarios/disk_durability.cpp (writer)",
             {{"disk-durability", "synced-survive"}}},
            {"ack-before-sync",
             "the partition log acknowledges durable appends before their sync completes",
             "log::TestingKnobs::ack_before_sync",
             {{"log-crash-recovery", "acked-survive"}}},
            {"accept-fenced-commit",
             "the group coordinator accepts offset commits without the member and generation "
             "checks",
             "group::GroupKnobs::accept_fenced_commits",
             {{"group-rebalance", "fenced-commits-refused"}}},
            {"skip-sequence-check",
             "the log appends idempotent producers' batches without the sequence checks, so a "
             "retry is written twice",
             "log::TestingKnobs::skip_producer_checks",
             {{"idempotent-produce", "no-duplicates"}}},
            {"vote-ignores-log",
             "Raft voters (and pre-voters) grant votes without comparing logs",
             "raft::QuorumKnobs::vote_ignores_log",
             {{"raft-quorum", "leader-completeness"}}},
            {"check-quorum-disabled",
             "a Raft leader keeps leading after losing contact with a majority",
             "raft::QuorumKnobs::check_quorum_disabled",
             {{"raft-quorum-leader-isolation", "leader-has-quorum"},
              {"controller-quorum-leader-isolation", "leader-has-quorum"}}},
            {"vote-before-sync",
             "the quorum driver sends each step's messages (votes granted included) before its "
             "persist delta is durable, so a crash forgets a vote already cast",
             "raft::DriverKnobs::send_before_persist",
             {{"controller-quorum", "election-safety"}}},
            {"recovering-votes",
             "a Raft voter whose metadata log was damaged compares candidates with what is left "
             "of it, as if it had lost nothing",
             "raft::QuorumKnobs::recovering_votes",
             {{"controller-quorum", "state-machine-safety"},
              {"raft-quorum", "leader-completeness"}}},
            {"ack-before-replicate",
             "acks=all produce is answered once the leader has the write, before the ISR does",
             "replica::ReplicaKnobs::ack_before_replication",
             {{"replication-failover", "acked-writes-survive"}}},
            {"truncate-without-epoch",
             "the leader never answers a diverging epoch, so a deposed leader keeps its "
             "uncommitted tail",
             "replica::ReplicaKnobs::truncate_without_epoch_check",
             {{"replication-failover-epochs", "replicas-agree"}}},
            {"hw-from-leader-alone",
             "the high watermark follows the leader's log end, ignoring the followers",
             "replica::ReplicaKnobs::hw_from_leader_alone",
             {{"replication-failover-hw", "consumed-stays"}}},
            {"in-sync-before-copied",
             "replicas added by a reassignment count as in sync before they copied anything",
             "controller::ReassignmentKnobs::in_sync_before_copied",
             {{"replication-reassign", "consumed-stays"}}},
            {"quota-ignores-throttle",
             "the broker reports quota throttles but neither mutes the connection nor holds "
             "the client's next request",
             "kafka::BrokerOptions::quota_ignores_throttle",
             {{"client-quotas", "quota-bound"}}},
            {"metrics-count-duplicates",
             "the broker counts the records of idempotent retries it answers from the producer "
             "state as messages in",
             "kafka::BrokerOptions::metrics_count_duplicates",
             {{"admin-metrics", "metrics-accounting"}}},
        };
        for (const auto& bug : v) {
            ASSERT(!bug.hunts.empty(), "a planted bug is hunted by some scenario");
            for (const auto& hunt : bug.hunts) {
                ASSERT(find_scenario(hunt.scenario) != nullptr,
                       "a planted bug is hunted by a scenario of the catalogue");
                // A planted bug is proven caught by the checker it targets, never by a timeout
                // or a stall (which any broken run can produce).
                ASSERT(!hunt.checker.empty() && hunt.checker != checkers::run_timeout &&
                           hunt.checker != checkers::liveness && hunt.checker != checkers::setup &&
                           hunt.checker != checkers::livelock,
                       "a planted bug names the safety checker that must catch it");
            }
        }
        return v;
    }();
    return all;
}

const PlantedBug* find_planted_bug(std::string_view name) {
    for (const auto& bug : all_planted_bugs()) {
        if (bug.name == name) {
            return &bug;
        }
    }
    return nullptr;
}

std::vector<const PlantedBug*> planted_bugs_hunted_by(std::string_view scenario) {
    std::vector<const PlantedBug*> out;
    for (const auto& bug : all_planted_bugs()) {
        if (find_hunt(bug, scenario) != nullptr) {
            out.push_back(&bug);
        }
    }
    return out;
}

const Hunt* find_hunt(const PlantedBug& bug, std::string_view scenario) {
    for (const auto& hunt : bug.hunts) {
        if (hunt.scenario == scenario) {
            return &hunt;
        }
    }
    return nullptr;
}

bool planted_bug_caught(const Hunt& hunt, const RunResult& r) {
    return !r.verdict.pass && r.verdict.checker == hunt.checker;
}

uint64_t planted_catches_needed(uint64_t seeds) {
    return (seeds * planted_catch_percent_min + 99) / 100;
}

}  // namespace eddy::scenarios
