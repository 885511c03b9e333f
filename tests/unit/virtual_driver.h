// A FiberExecutor driver with virtual time for unit tests: when nothing is ready, time jumps to
// the next timer; with no timer left, the run ends.
#pragma once

#include "core/fiber/executor.h"

namespace eddy::test {

class VirtualDriver final : public FiberExecutor::Driver {
public:
    Instant now() const override { return now_; }
    bool poll(std::optional<Instant> deadline, bool block) override {
        if (!block) {
            return true;
        }
        if (!deadline) {
            return false;
        }
        now_ = std::max(now_, *deadline);
        return true;
    }

private:
    Instant now_;
};

}  // namespace eddy::test
