// The scenario catalogue: one factory per scenario, listed in all_scenarios().
#pragma once

#include "scenarios/scenario.h"

namespace eddy::scenarios {

Scenario frame_echo_scenario();
Scenario disk_durability_scenario();
Scenario log_crash_recovery_scenario();
Scenario group_rebalance_scenario();
Scenario idempotent_produce_scenario();
Scenario client_quotas_scenario();
Scenario admin_metrics_scenario();
Scenario raft_quorum_scenario();
Scenario raft_quorum_leader_isolation_scenario();
Scenario controller_quorum_scenario();
Scenario controller_quorum_leader_isolation_scenario();
Scenario replication_failover_scenario();
Scenario replication_failover_epochs_scenario();
Scenario replication_failover_hw_scenario();
Scenario replication_reassign_scenario();

}  // namespace eddy::scenarios
