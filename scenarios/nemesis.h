// Nemesis: the fault schedule of a scenario. During the fault phase it picks, at random moments,
// one of the faults the scenario allows — partitions (symmetric or one-way), isolating a node,
// clogging, crash + restart, pause + resume, wall-clock jumps — and undoes it after a while. At
// the end of the phase it heals everything: every node up and resumed, the network whole, so
// the liveness part of the checkers can demand convergence. Runs as a world fiber.
#pragma once

#include <string>
#include <vector>

#include "sim/world.h"

namespace eddy::scenarios {

struct NemesisOptions {
    bool partitions = true;
    bool clogs = true;
    bool crashes = true;
    bool pauses = true;
    bool clock_jumps = true;
    Duration fault_phase = Duration::seconds(20);
    Duration gap_min = Duration::millis(100);  // between two faults
    Duration gap_max = Duration::seconds(2);
    Duration hold_max = Duration::seconds(3);  // how long one fault lasts at most
    // Nodes that may be crashed or paused (default: all).
    std::vector<std::string> victims;
};

class Nemesis {
public:
    Nemesis(sim::SimWorld& world, NemesisOptions options);
    // Suspends for the whole fault phase, then heals. Call from a world fiber.
    void run();
    int faults_injected() const { return faults_; }

private:
    void inject_one();
    sim::SimNode& pick_victim();

    sim::SimWorld& world_;
    NemesisOptions options_;
    Random random_;
    int faults_ = 0;
};

}  // namespace eddy::scenarios
