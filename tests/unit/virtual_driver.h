// A FiberExecutor driver with virtual time for unit tests: when nothing is ready, time jumps to
// the next timer; with no timer left, the run ends. Also run_test_fiber(), which runs a test body
// as a fiber and hands its assertion failures back to the test thread.
#pragma once

#include <exception>
#include <functional>

#include "core/fiber/executor.h"  // boost::context::detail::forced_unwind (per backend)

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

// Runs `body` as a fiber of `group` until it returns or `stop()` says the run is over (e.g. the
// node crashed itself); rethrows what the body threw, so doctest and RapidCheck assertions work
// inside. Returns whether the body finished.
inline bool run_test_fiber(FiberExecutor& executor, GroupId group,
                           const std::function<void()>& body,
                           const std::function<bool()>& stop = [] { return false; }) {
    std::exception_ptr thrown;
    bool finished = false;
    executor.spawn(group, "test", [&] {
        try {
            body();
        } catch (const boost::context::detail::forced_unwind&) {
            throw;  // the executor unwinding the fiber: let it
        } catch (...) {
            thrown = std::current_exception();
        }
        finished = true;
    });
    executor.run([&] { return finished || stop(); });
    if (thrown) {
        std::rethrow_exception(thrown);
    }
    return finished;
}

}  // namespace eddy::test
