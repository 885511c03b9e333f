// Env: everything a node's logic may use to reach the world. services/ code takes an Env& in its
// constructors and touches clocks, sockets, files, randomness and fibers only through it, so the
// same code runs under the simulator (sim/) and on real sockets and files (runtime/).
#pragma once

#include "core/base/ids.h"
#include "core/base/random.h"
#include "core/env/clock.h"
#include "core/env/disk.h"
#include "core/env/faults.h"
#include "core/env/log.h"
#include "core/env/network.h"
#include "core/env/process.h"
#include "core/env/scheduler.h"
#include "core/env/trace.h"

namespace eddy {

struct Env {
    NodeId node;
    Clock& clock;
    Network& network;
    Disk& disk;
    Random& random;
    Scheduler& scheduler;
    Tracer& tracer;
    FaultPoints& faults;
    Logger& log;
    Process& process;
};

}  // namespace eddy
