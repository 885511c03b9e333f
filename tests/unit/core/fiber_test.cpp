// Fiber executor and primitives: ordering, time, cancellation, crash unwinding, pause (fibers and
// timers), the seeded tie-breaker (ready fibers and same-instant timers) and the step budget.
// Properties check Mutex exclusion and Channel FIFO order under random interleavings.
#include <doctest/doctest.h>
#include <rapidcheck.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "core/fiber/sync.h"
#include "tests/unit/virtual_driver.h"

using namespace eddy;
using eddy::test::VirtualDriver;

namespace {
struct Fixture {
    VirtualDriver driver;
    FiberExecutor ex{driver};
    GroupId group = ex.new_group();
    Scheduler sched{ex, group};
};
}  // namespace

TEST_CASE("fibers run in spawn order and interleave at yield") {
    Fixture f;
    std::string log;
    f.sched.spawn("a", [&] {
        log += "a1";
        f.sched.yield();
        log += "a2";
    });
    f.sched.spawn("b", [&] {
        log += "b1";
        f.sched.yield();
        log += "b2";
    });
    f.ex.run();
    CHECK(log == "a1b1a2b2");
    CHECK(f.ex.live_fibers() == 0);
}

TEST_CASE("sleep advances virtual time exactly and join waits") {
    Fixture f;
    Instant woke;
    auto sleeper = f.sched.spawn("s", [&] {
        CHECK(f.sched.sleep_for(Duration::millis(250)) == WakeReason::timeout);
        woke = f.sched.now();
    });
    bool joined = false;
    f.sched.spawn("j", [&] {
        CHECK(sleeper.join() == WakeReason::notified);
        joined = true;
        CHECK(f.sched.now() == Instant::from_nanos(Duration::millis(250).to_nanos()));
    });
    f.ex.run();
    CHECK(woke == Instant::from_nanos(250'000'000));
    CHECK(joined);
}

TEST_CASE("timers fire in deadline order, ties in creation order") {
    Fixture f;
    std::vector<int> order;
    f.ex.call_at(Instant::from_nanos(20), [&] { order.push_back(3); });
    f.ex.call_at(Instant::from_nanos(10), [&] { order.push_back(1); });
    f.ex.call_at(Instant::from_nanos(10), [&] { order.push_back(2); });
    auto cancelled = f.ex.call_at(Instant::from_nanos(15), [&] { order.push_back(99); });
    f.ex.cancel_timer(cancelled);
    f.ex.run();
    CHECK(order == std::vector<int>{1, 2, 3});
}

TEST_CASE("wait queue: notify beats timeout, timeout without notify") {
    Fixture f;
    WaitQueue q(f.sched);
    WakeReason first{};
    WakeReason second{};
    f.sched.spawn("w1", [&] { first = q.wait(f.sched.now() + Duration::millis(10)); });
    f.sched.spawn("w2", [&] { second = q.wait(f.sched.now() + Duration::millis(10)); });
    f.sched.spawn("n", [&] {
        f.sched.sleep_for(Duration::millis(5));
        CHECK(q.notify_one());
    });
    f.ex.run();
    CHECK(first == WakeReason::notified);
    CHECK(second == WakeReason::timeout);
    CHECK(q.empty());
}

TEST_CASE("cancellation wakes a sleeping fiber and fails later waits") {
    Fixture f;
    WakeReason r1{};
    WakeReason r2{};
    auto victim = f.sched.spawn("v", [&] {
        r1 = f.sched.sleep_for(Duration::seconds(100));
        r2 = f.sched.sleep_for(Duration::seconds(1));
    });
    f.sched.spawn("c", [&] {
        f.sched.sleep_for(Duration::millis(1));
        victim.cancel();
    });
    f.ex.run();
    CHECK(r1 == WakeReason::cancelled);
    CHECK(r2 == WakeReason::cancelled);
    CHECK(f.ex.now() < Instant::from_nanos(Duration::seconds(1).to_nanos()));
}

TEST_CASE("a fiber killed before it ever ran never runs its body") {
    // Boost's ucontext backend (the sanitizer build) starts a never-run fiber to unwind it.
    Fixture f;
    const GroupId doomed = f.ex.new_group();
    Scheduler doomed_sched(f.ex, doomed);
    bool ran = false;
    f.sched.spawn("killer", [&] {
        doomed_sched.spawn("never-run", [&] {
            ran = true;
            doomed_sched.sleep_for(Duration::seconds(1));
        });
        f.ex.kill_group(doomed);  // before the new fiber had a turn
    });
    f.ex.run();
    CHECK_FALSE(ran);
    CHECK(f.ex.live_fibers(doomed) == 0);
}

TEST_CASE("killing a group unwinds its fibers through RAII and wakes joiners") {
    Fixture f;
    const GroupId doomed = f.ex.new_group();
    Scheduler doomed_sched(f.ex, doomed);
    int destructed = 0;
    struct Guard {
        int& n;
        ~Guard() { ++n; }
    };
    bool after_sleep = false;
    auto v = doomed_sched.spawn("v", [&] {
        Guard g{destructed};
        doomed_sched.sleep_for(Duration::seconds(10));
        after_sleep = true;
    });
    doomed_sched.spawn("never-started", [&] { after_sleep = true; });
    bool joined = false;
    f.sched.spawn("killer", [&] {
        f.sched.sleep_for(Duration::millis(1));
        CHECK(f.ex.live_fibers(doomed) == 1);  // the second fiber already ran to its end
        f.ex.kill_group(doomed);
    });
    f.sched.spawn("joiner", [&] {
        v.join();
        joined = true;
    });
    after_sleep = false;
    f.ex.run();
    CHECK(destructed == 1);
    CHECK(joined);
    CHECK(f.ex.live_fibers(doomed) == 0);
    CHECK(f.ex.now() < Instant::from_nanos(Duration::seconds(10).to_nanos()));
}

TEST_CASE("a paused group does not run until resumed") {
    Fixture f;
    const GroupId g = f.ex.new_group();
    Scheduler s(f.ex, g);
    Instant ran_at;
    s.spawn("p", [&] {
        s.sleep_for(Duration::millis(1));
        ran_at = s.now();
    });
    f.ex.pause_group(g);
    f.sched.spawn("ctl", [&] {
        f.sched.sleep_for(Duration::millis(50));
        f.ex.resume_group(g);
    });
    f.ex.run();
    CHECK(ran_at == Instant::from_nanos(Duration::millis(51).to_nanos()));  // starts at 50, sleeps 1
}

TEST_CASE("event, promise and future") {
    Fixture f;
    Event ev(f.sched);
    Promise<int> p(f.sched);
    auto fut = p.future();
    int got = 0;
    bool timed_out = false;
    f.sched.spawn("waiter", [&] {
        CHECK(ev.wait().ok());
        auto r = fut.get();
        REQUIRE(r.ok());
        got = *r;
        Event never(f.sched);
        timed_out = never.wait(f.sched.now() + Duration::millis(3)).error() == WaitError::timeout;
    });
    f.sched.spawn("setter", [&] {
        ev.set();
        f.sched.yield();
        p.set_value(42);
    });
    f.ex.run();
    CHECK(got == 42);
    CHECK(timed_out);

    Fixture g;
    auto broken = std::make_unique<Promise<int>>(g.sched);
    auto bf = broken->future();
    WaitError e{};
    g.sched.spawn("w", [&] { e = bf.get().error(); });
    g.sched.spawn("drop", [&] { broken.reset(); });
    g.ex.run();
    CHECK(e == WaitError::closed);
}

TEST_CASE("bounded channel blocks senders; close drains then fails") {
    Fixture f;
    Channel<int> ch(f.sched, 2);
    std::vector<int> got;
    Instant third_sent;
    f.sched.spawn("tx", [&] {
        for (int i = 0; i < 5; ++i) {
            REQUIRE(ch.send(i).ok());
            if (i == 2) {
                third_sent = f.sched.now();
            }
        }
        ch.close();
        CHECK(ch.send(9).error() == WaitError::closed);
    });
    f.sched.spawn("rx", [&] {
        f.sched.sleep_for(Duration::millis(7));
        while (true) {
            auto v = ch.recv();
            if (!v.ok()) {
                CHECK(v.error() == WaitError::closed);
                break;
            }
            got.push_back(*v);
        }
    });
    f.ex.run();
    CHECK(got == std::vector<int>{0, 1, 2, 3, 4});
    CHECK(third_sent == Instant::from_nanos(Duration::millis(7).to_nanos()));
}

TEST_CASE("property: mutex excludes and channel keeps FIFO under random schedules") {
    const bool ok = rc::check("mutex/channel", [](uint64_t seed, uint8_t nfibers_raw) {
        const int nfibers = 2 + nfibers_raw % 6;
        VirtualDriver driver;
        Random tie(seed);
        FiberExecutor ex(driver, FiberExecutor::Options{&tie, 64 * 1024});
        Scheduler s(ex, ex.new_group());
        Random r(seed ^ 0x55);
        Mutex m(s);
        Channel<std::pair<int, int>> ch(s, 3);
        int inside = 0;
        int max_inside = 0;
        for (int i = 0; i < nfibers; ++i) {
            s.spawn("w", [&, i] {
                for (int k = 0; k < 10; ++k) {
                    {
                        LockGuard lock(m);
                        ++inside;
                        max_inside = std::max(max_inside, inside);
                        if (r.chance(0.5)) {
                            s.yield();
                        }
                        if (r.chance(0.3)) {
                            s.sleep_for(Duration::micros(r.between(1, 5)));
                        }
                        --inside;
                    }
                    RC_ASSERT(ch.send({i, k}).ok());
                }
            });
        }
        std::vector<int> last(static_cast<size_t>(nfibers), -1);
        int received = 0;
        s.spawn("rx", [&] {
            while (received < nfibers * 10) {
                auto v = ch.recv();
                RC_ASSERT(v.ok());
                RC_ASSERT(v->second == last[static_cast<size_t>(v->first)] + 1);
                last[static_cast<size_t>(v->first)] = v->second;
                ++received;
            }
        });
        ex.run();
        RC_ASSERT(max_inside == 1);
        RC_ASSERT(received == nfibers * 10);
    });
    CHECK(ok);
}

TEST_CASE("the tie-breaker makes schedules depend on the seed, reproducibly") {
    auto schedule = [](uint64_t seed) {
        VirtualDriver driver;
        Random tie(seed);
        FiberExecutor ex(driver, FiberExecutor::Options{&tie, 64 * 1024});
        Scheduler s(ex, ex.new_group());
        std::string log;
        for (char c = 'a'; c < 'i'; ++c) {
            s.spawn("f", [&log, &s, c] {
                for (int i = 0; i < 4; ++i) {
                    log.push_back(c);
                    s.yield();
                }
            });
        }
        ex.run();
        return log;
    };
    CHECK(schedule(1) == schedule(1));
    CHECK(schedule(2) == schedule(2));
    CHECK(schedule(1) != schedule(2));
}

TEST_CASE("a fiber readied by another's unwind during a kill is not run afterwards") {
    Fixture f;
    const GroupId doomed = f.ex.new_group();
    Scheduler s(f.ex, doomed);
    Mutex m(s);
    bool older_ran_after_kill = false;
    // The older fiber waits for the mutex; the newer one holds it and releases it as it unwinds
    // (newest first), which readies the older fiber that is about to be unwound too.
    s.spawn("older", [&] {
        s.sleep_for(Duration::millis(1));
        LockGuard g(m);
        older_ran_after_kill = true;
    });
    s.spawn("newer", [&] {
        LockGuard g(m);
        s.sleep_for(Duration::seconds(10));
    });
    f.sched.spawn("killer", [&] {
        f.sched.sleep_for(Duration::millis(5));
        f.ex.kill_group(doomed);
        f.sched.yield();
    });
    f.ex.run();
    CHECK(!older_ran_after_kill);
    CHECK(f.ex.live_fibers(doomed) == 0);
}

TEST_CASE("same-instant timers fire in an order drawn from the tie-breaker; without one, FIFO") {
    auto order = [](Random* tie) {
        VirtualDriver driver;
        FiberExecutor ex(driver, FiberExecutor::Options{tie, 64 * 1024});
        std::string log;
        ex.call_at(Instant::from_nanos(5), [&log] { log.push_back('z'); });  // later: always last
        for (char c = 'a'; c < 'i'; ++c) {
            ex.call_at(Instant::from_nanos(1), [&log, c] { log.push_back(c); });
        }
        ex.run();
        return log;
    };
    CHECK(order(nullptr) == "abcdefghz");
    std::set<std::string> seen;
    for (uint64_t seed = 1; seed <= 20; ++seed) {
        Random tie(seed);
        Random again(seed);
        const std::string log = order(&tie);
        CHECK(log == order(&again));
        CHECK(log.back() == 'z');
        std::string sorted = log;
        std::sort(sorted.begin(), sorted.end());
        CHECK(sorted == "abcdefghz");
        seen.insert(log);
    }
    CHECK(seen.size() > 10);
}

TEST_CASE("a paused group's timers wait for resume; cancel still finds them; ownerless ones fire") {
    Fixture f;
    const GroupId g = f.ex.new_group();
    Scheduler s(f.ex, g);
    std::vector<std::string> log;
    auto note = [&](const std::string& what) {
        log.push_back(what + "@" + std::to_string(f.ex.now().to_nanos() / 1'000'000));
    };
    FiberExecutor::TimerKey cancelled;
    s.spawn("setter", [&] {
        const Instant at = s.now() + Duration::millis(10);
        f.ex.call_at(at, [&] { note("node"); });  // owned by g: the caller's group
        cancelled = f.ex.call_at(at, [&] { note("cancelled"); });
        f.ex.call_at(at, GroupId(), [&] { note("ownerless"); });  // a network delivery, say
    });
    f.sched.spawn("ctl", [&] {
        f.sched.sleep_for(Duration::millis(1));
        f.ex.pause_group(g);
        f.sched.sleep_for(Duration::millis(49));
        f.ex.cancel_timer(cancelled);  // deferred since 10 ms: still cancellable
        f.ex.resume_group(g);
    });
    f.ex.run();
    CHECK(log == std::vector<std::string>{"ownerless@10", "node@50"});
}

TEST_CASE("a crash ends a pause: deferred timers are released, the group's fibers unwound") {
    Fixture f;
    const GroupId g = f.ex.new_group();
    Scheduler s(f.ex, g);
    int fired = 0;
    bool woke = false;
    s.spawn("victim", [&] {
        f.ex.call_at(s.now() + Duration::millis(10), [&] { ++fired; });
        s.sleep_for(Duration::millis(10));
        woke = true;
    });
    f.sched.spawn("ctl", [&] {
        f.sched.sleep_for(Duration::millis(1));
        f.ex.pause_group(g);
        f.sched.sleep_for(Duration::millis(20));
        CHECK(fired == 0);
        f.ex.kill_group(g);
    });
    f.ex.run();
    CHECK(fired == 1);  // a plain timer outlives its group (its owner cancels it if it must)
    CHECK(!woke);       // the sleeper's own timer went with it
    CHECK(f.ex.live_fibers(g) == 0);
}

TEST_CASE("the step budget stops a run whose time stands still and names the spinning fibers") {
    VirtualDriver driver;
    FiberExecutor ex(driver, FiberExecutor::Options{nullptr, 64 * 1024, nullptr, 10'000});
    const GroupId g = ex.new_group();
    Scheduler s(ex, g);
    int quiet_runs = 0;
    s.spawn("quiet", [&] {
        ++quiet_runs;
        s.sleep_for(Duration::seconds(100));
    });
    s.spawn("starter", [&s] {
        s.sleep_for(Duration::millis(5));  // time moves until here: the count starts over
        for (const char* name : {"spin-a", "spin-b"}) {
            s.spawn(name, [&s] {
                while (true) {
                    s.yield();
                }
            });
        }
    });
    ex.run();
    REQUIRE(ex.livelock().has_value());
    const auto& l = *ex.livelock();
    CHECK(l.at == Instant::from_nanos(Duration::millis(5).to_nanos()));
    CHECK(l.steps == 10'000);
    REQUIRE(l.top.size() == 2);
    CHECK(l.top[0].name == "spin-a");  // equal counts: by fiber id
    CHECK(l.top[1].name == "spin-b");
    CHECK(l.top[0].group == g);
    CHECK(l.top[0].resumes + l.top[1].resumes + l.timers == l.watched);
    CHECK(quiet_runs == 1);
    const uint64_t steps = ex.steps();
    ex.run();  // stays stopped
    CHECK(ex.steps() == steps);
}
