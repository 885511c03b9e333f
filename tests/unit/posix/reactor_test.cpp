// Reactor: fibers and timers on real time, the blocking-call pool (only the caller waits; an
// unwound caller waits for its call), post() from another thread, run() ending when no fiber is
// left, and the signalfd path. Fiber bodies use CHECK, never REQUIRE: doctest's REQUIRE throws,
// and an exception leaving a fiber aborts the process.
#include <doctest/doctest.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "core/fiber/sync.h"
#include "runtime/signals.h"
#include "tests/unit/posix/posix_test_util.h"

using namespace eddy;
using eddy::posix_test::TestEnv;

namespace {

// A gate a pool thread waits at until a fiber opens it. The wait is bounded so that a broken
// offload (the call running on the reactor thread itself) fails the test instead of hanging it.
class Gate {
public:
    void open() {
        std::lock_guard lock(m_);
        open_ = true;
        cv_.notify_all();
    }
    bool wait() {
        std::unique_lock lock(m_);
        return cv_.wait_for(lock, std::chrono::seconds(10), [&] { return open_; });
    }

private:
    std::mutex m_;
    std::condition_variable cv_;
    bool open_ = false;
};

}  // namespace

TEST_CASE("reactor: sleep_for wakes after at least the duration, on real time") {
    TestEnv t;
    t.run([&] {
        const Instant start = t.env().clock.now();
        CHECK(t.scheduler().sleep_for(Duration::millis(20)) == WakeReason::timeout);
        const Duration slept = t.env().clock.now() - start;
        CHECK(slept >= Duration::millis(20));
        CHECK(slept < Duration::seconds(5));
        // Wall time is the real one (after 2020-01-01), not the monotonic clock.
        CHECK(t.env().clock.wall_now() > WallTime::from_millis(1'577'836'800'000));
    });
}

TEST_CASE("reactor: timers of several fibers fire in deadline order") {
    TestEnv t;
    std::vector<int> order;
    t.run([&] {
        std::vector<FiberRef> fibers;
        for (int ms : {30, 10, 20}) {
            fibers.push_back(t.scheduler().spawn("sleeper", [&, ms] {
                (void)t.scheduler().sleep_for(Duration::millis(ms));
                order.push_back(ms);
            }));
        }
        for (auto& f : fibers) {
            CHECK(f.join() == WakeReason::notified);
        }
    });
    CHECK(order == std::vector<int>{10, 20, 30});
}

TEST_CASE("reactor: run() returns once no fiber is left") {
    TestEnv t;
    int ran = 0;
    t.scheduler().spawn("a", [&] {
        (void)t.scheduler().sleep_for(Duration::millis(1));
        ++ran;
    });
    t.scheduler().spawn("b", [&] { ++ran; });
    t.pe().run();
    CHECK(ran == 2);
    CHECK(t.executor().live_fibers() == 0);
}

TEST_CASE("reactor: run_blocking parks only the calling fiber") {
    TestEnv t;
    Gate gate;
    int progress = 0;
    int progress_seen_by_call = -1;
    bool gate_opened_in_time = false;
    t.run([&] {
        FiberRef other = t.scheduler().spawn("other", [&] {
            for (int i = 0; i < 10; ++i) {
                ++progress;
                t.scheduler().yield();
            }
            gate.open();
        });
        t.reactor().run_blocking([&] { gate_opened_in_time = gate.wait(); });
        progress_seen_by_call = progress;
        CHECK(other.join() == WakeReason::notified);
    });
    CHECK(gate_opened_in_time);
    CHECK(progress_seen_by_call == 10);
}

TEST_CASE("reactor: many concurrent blocking calls all complete") {
    TestEnv t;
    std::atomic<int> calls{0};
    int returned = 0;
    t.run([&] {
        std::vector<FiberRef> fibers;
        for (int i = 0; i < 50; ++i) {
            fibers.push_back(t.scheduler().spawn("caller", [&] {
                for (int k = 0; k < 20; ++k) {
                    t.reactor().run_blocking([&] { calls.fetch_add(1); });
                }
                ++returned;
            }));
        }
        for (auto& f : fibers) {
            (void)f.join();
        }
    });
    CHECK(calls.load() == 1000);
    CHECK(returned == 50);
}

TEST_CASE("reactor: a fiber unwound during a blocking call waits for the call to finish") {
    TestEnv t;
    std::atomic<bool> started{false};
    std::atomic<bool> finished{false};
    bool finished_before_unwind_ended = false;
    t.run([&] {
        const GroupId victim_group = t.executor().new_group();
        t.executor().spawn(victim_group, "victim", [&] {
            // Destroyed after run_blocking's own frame: by then the call must have finished.
            struct Check {
                std::atomic<bool>& finished;
                bool& out;
                ~Check() { out = finished.load(); }
            } check{finished, finished_before_unwind_ended};
            t.reactor().run_blocking([&] {
                started = true;
                // Stands for a slow fsync; the unwind below must wait for it.
                std::this_thread::sleep_for(std::chrono::milliseconds(30));
                finished = true;
            });
        });
        while (!started.load()) {
            t.scheduler().yield();
        }
        t.executor().kill_group(victim_group);
        CHECK(t.executor().live_fibers(victim_group) == 0);
    });
    CHECK(finished_before_unwind_ended);
}

TEST_CASE("reactor: post() from another thread runs on the reactor thread") {
    TestEnv t;
    std::thread::id ran_on;
    const std::thread::id reactor_thread = std::this_thread::get_id();
    t.run([&] {
        Event done(t.scheduler());
        std::thread poster([&] {
            t.reactor().post([&] {
                ran_on = std::this_thread::get_id();
                done.set();
            });
        });
        const auto r = done.wait(t.scheduler().now() + Duration::seconds(10));
        poster.join();
        CHECK(r.ok());
    });
    CHECK(ran_on == reactor_thread);
}

TEST_CASE("reactor: SIGTERM reaches a fiber waiting on a SignalWatch") {
    TestEnv t;
    int got = 0;
    // Outside any fiber, on the reactor thread: see signals.h.
    SignalWatch signals(t.reactor(), {SIGTERM, SIGINT});
    t.run([&] {
        FiberRef waiter = t.scheduler().spawn("waiter", [&] {
            auto r = signals.wait(t.scheduler().now() + Duration::seconds(10));
            if (r.ok()) {
                got = r.value();
            }
        });
        t.scheduler().yield();         // the waiter reads EAGAIN and parks
        CHECK(::raise(SIGTERM) == 0);  // blocked in this thread: pending for the signalfd
        CHECK(waiter.join() == WakeReason::notified);
    });
    CHECK(got == SIGTERM);
}

TEST_CASE("reactor: a SignalWatch wait times out when no signal comes") {
    TestEnv t;
    SignalWatch signals(t.reactor(), {SIGINT});
    t.run([&] {
        auto r = signals.wait(t.scheduler().now() + Duration::millis(5));
        CHECK_FALSE(r.ok());
        CHECK((!r.ok() && r.error() == WaitError::timeout));
    });
}
