// Scheduler: what a node's code sees of the fiber executor. It spawns fibers into the node's own
// group (so a simulated crash of the node unwinds exactly its fibers), sleeps, yields, and reads
// the current fiber's cancellation flag. Every method except spawn/now/cancelled suspends.
#pragma once

#include <functional>
#include <string>

#include "core/base/time.h"
#include "core/fiber/executor.h"

namespace eddy {

class Scheduler {
public:
    Scheduler(FiberExecutor& executor, GroupId group) : executor_(executor), group_(group) {}

    // Starts a fiber in this node's group. Does not suspend; the fiber runs later.
    FiberRef spawn(std::string name, std::function<void()> body) {
        return executor_.spawn(group_, std::move(name), std::move(body));
    }
    Instant now() const { return executor_.now(); }
    // Suspends until the deadline; returns cancelled if the fiber is cancelled first.
    WakeReason sleep_until(Instant deadline) { return executor_.sleep_until(deadline); }
    WakeReason sleep_for(Duration d) { return executor_.sleep_until(now() + d); }
    // Suspends to let other ready fibers run.
    void yield() { executor_.yield(); }
    // True if the current fiber has been asked to stop.
    bool cancelled() const {
        return executor_.current() != nullptr && executor_.current()->cancel_requested();
    }

    FiberExecutor& executor() const { return executor_; }
    GroupId group() const { return group_; }

private:
    FiberExecutor& executor_;
    GroupId group_;
};

}  // namespace eddy
