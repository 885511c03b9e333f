// FiberExecutor: runs fibers (Boost.Context) and timers on one thread. It is the one scheduler
// both worlds share: the simulator drives it with virtual time (time jumps to the next timer),
// the POSIX runtime with real time and epoll. What differs is only the Driver: how "now" is read
// and what happens when nothing is ready.
//
// Invariants:
// - Exactly one fiber runs at a time; a fiber runs until it suspends (park, yield, sleep).
// - Timers fire in (deadline, sequence) order; sequence numbers come from a counter, never from
//   addresses, so the order is the same in every run. With a tie-breaker Random (simulation),
//   which of the timers due at the same instant fires first is drawn from it instead; production
//   keeps creation order.
// - Among fibers ready at the same moment, the next one is the oldest (FIFO), or, with a
//   tie-breaker Random (simulation), one drawn from it.
// - Every fiber belongs to a group (a simulated node's incarnation). kill_group() unwinds all of
//   the group's fibers (their stacks unwind through RAII, as on a crash), newest first.
// - A timer belongs to the group of the fiber that set it (or to none, when set from outside any
//   fiber or explicitly). A paused group runs nothing: its ready fibers are held and its due
//   timers deferred, both until resume_group(); a deferred timer keeps its key (cancel_timer
//   still finds it) and fires on resume, in deadline order, before anything due later.
// - With a StepHash (simulation), every resumption, timer firing and deferral is mixed into it.
// - With a step budget (Options::stuck_steps_max), a run whose virtual time stays put for that
//   many steps stops and reports a livelock (livelock()) naming the fibers that ran most.
#pragma once

#include <boost/context/fiber.hpp>
#include <boost/context/stack_context.hpp>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/base/ids.h"
#include "core/base/random.h"
#include "core/base/step_hash.h"
#include "core/base/time.h"

namespace eddy {

using GroupId = StrongId<struct GroupIdTag, uint32_t>;

// Why a parked fiber woke up.
enum class WakeReason : uint8_t { notified, timeout, cancelled };

class FiberExecutor;
class WaitQueue;

// Recycles fiber stacks (each with a guard page): spawning a fiber per request must not cost an
// mmap, an mprotect and a munmap each time.
class StackPool {
public:
    explicit StackPool(size_t stack_bytes) : stack_bytes_(stack_bytes) {}
    ~StackPool();
    StackPool(const StackPool&) = delete;
    StackPool& operator=(const StackPool&) = delete;

    boost::context::stack_context allocate();
    void deallocate(boost::context::stack_context& sc);

    // The allocator handed to Boost.Context: a pointer to the pool.
    struct Allocator {
        StackPool* pool;
        boost::context::stack_context allocate() { return pool->allocate(); }
        void deallocate(boost::context::stack_context& sc) { pool->deallocate(sc); }
    };

private:
    size_t stack_bytes_;
    std::vector<boost::context::stack_context> free_;
};

// One fiber's record. Owned by the executor while it lives, and by FiberRef handles.
class Fiber {
public:
    uint64_t id() const { return id_; }
    GroupId group() const { return group_; }
    const std::string& name() const { return name_; }
    bool done() const { return state_ == State::done; }
    bool cancel_requested() const { return cancel_requested_; }

private:
    friend class FiberExecutor;
    friend class FiberRef;
    enum class State : uint8_t { ready, running, parked, held, done };

    FiberExecutor* executor_ = nullptr;
    std::weak_ptr<Fiber> self_;
    uint64_t id_ = 0;
    GroupId group_;
    std::string name_;
    uint64_t name_hash_ = 0;  // of name_, when the executor hashes steps
    std::function<void()> body_;
    boost::context::fiber context_;  // the fiber's own context while it is suspended
    boost::context::fiber caller_;   // the scheduler's context while the fiber runs
    State state_ = State::ready;
    bool cancel_requested_ = false;
    bool parked_cancellable_ = false;
    WakeReason wake_reason_ = WakeReason::notified;
    std::optional<std::pair<Instant, uint64_t>> park_timer_;
    std::vector<std::shared_ptr<Fiber>> joiners_;  // fibers waiting in join()
};

// A handle to a spawned fiber: join it, cancel it, ask whether it finished.
class FiberRef {
public:
    FiberRef() = default;
    explicit FiberRef(std::shared_ptr<Fiber> f) : fiber_(std::move(f)) {}

    bool valid() const { return fiber_ != nullptr; }
    bool done() const { return fiber_->done(); }
    uint64_t id() const { return fiber_->id(); }
    // Suspends the calling fiber until this fiber has finished (returned, or was killed).
    // Returns cancelled if the *caller* is cancelled while waiting.
    WakeReason join() const;
    // Asks the fiber to stop: its current and future cancellable waits return cancelled.
    void cancel() const;
    // cancel(), then join(); nothing for an empty handle. Suspends.
    void cancel_and_join() const {
        if (valid()) {
            cancel();
            (void)join();
        }
    }

private:
    std::shared_ptr<Fiber> fiber_;
};

class FiberExecutor {
public:
    // What differs between the simulator and the real runtime.
    class Driver {
    public:
        virtual ~Driver() = default;
        virtual Instant now() const = 0;
        // Lets outside events in. With block = false it must not wait. With block = true it may
        // wait until `deadline` (forever if none) for an outside event; the simulator instead moves
        // virtual time to the deadline. Returns false if nothing can ever happen any more
        // (simulation with no deadline), which ends run().
        virtual bool poll(std::optional<Instant> deadline, bool block) = 0;
    };

    struct Options {
        // Simulation: pick among ready fibers, and among timers due at the same instant, at
        // random.
        Random* tie_breaker = nullptr;
        size_t stack_bytes = 256 * 1024;  // per fiber, plus a guard page
        // Simulation: every scheduling decision is mixed into this hash.
        StepHash* step_hash = nullptr;
        // Simulation: after this many steps without virtual time moving, run() stops and
        // livelock() reports who kept running. 0: no budget (production: real time moves).
        uint64_t stuck_steps_max = 0;
    };

    // Why run() stopped for good: virtual time did not move for `steps` steps.
    struct Livelock {
        struct Spinner {
            GroupId group;
            uint64_t fiber_id = 0;
            std::string name;
            uint64_t resumes = 0;
        };
        Instant at;               // the instant time stood still at
        uint64_t steps = 0;       // steps taken there
        uint64_t watched = 0;     // the last steps, which the counts below cover
        uint64_t timers = 0;      // timers fired among them
        std::vector<Spinner> top;  // the fibers resumed most among them, most first (at most 5)
    };

    explicit FiberExecutor(Driver& driver) : FiberExecutor(driver, Options{}) {}
    FiberExecutor(Driver& driver, Options options);
    ~FiberExecutor();
    FiberExecutor(const FiberExecutor&) = delete;
    FiberExecutor& operator=(const FiberExecutor&) = delete;

    Instant now() const { return driver_.now(); }

    FiberRef spawn(GroupId group, std::string name, std::function<void()> body);

    // Runs until stop() is called, `until` returns true (checked between steps), or nothing can
    // happen any more. Must not be called from a fiber.
    void run(const std::function<bool()>& until = nullptr);
    void stop() { stop_requested_ = true; }

    // --- Called from a running fiber. These suspend it. ---

    // Parks the current fiber until unpark(), the deadline, or (if cancellable) cancellation.
    WakeReason park(Instant deadline = Instant::max(), bool cancellable = true);
    // Lets other ready fibers run, then continues.
    void yield();
    // Returns cancelled if the fiber was cancelled before the deadline.
    WakeReason sleep_until(Instant deadline);

    Fiber* current() const { return current_; }
    bool in_fiber() const { return current_ != nullptr; }

    // Makes a parked fiber ready. No effect if it is not parked.
    void unpark(Fiber& fiber, WakeReason reason = WakeReason::notified);
    void cancel(Fiber& fiber);

    // --- Timers: callbacks run on the scheduler, not in a fiber; they must not suspend. ---
    using TimerKey = std::pair<Instant, uint64_t>;
    // The timer belongs to the calling fiber's group (none outside a fiber): a pause of that
    // group defers it.
    TimerKey call_at(Instant when, std::function<void()> callback);
    // The timer belongs to `owner`; GroupId() is no group, never deferred (the simulated
    // network's deliveries: bytes in flight do not wait for the sender).
    TimerKey call_at(Instant when, GroupId owner, std::function<void()> callback);
    // No effect if the timer already fired or was cancelled.
    void cancel_timer(const TimerKey& key);

    // --- Groups (simulated nodes). ---
    GroupId new_group();
    // Unwinds every fiber of the group, newest first. Not from a fiber of that group.
    void kill_group(GroupId group);
    // A paused group's fibers stay ready but do not run, and its timers do not fire, until
    // resume_group().
    void pause_group(GroupId group);
    void resume_group(GroupId group);
    size_t live_fibers(GroupId group) const;
    size_t live_fibers() const { return fibers_.size(); }

    // Steps taken (fiber resumptions + timers fired): the simulator's "events".
    uint64_t steps() const { return steps_; }

    StepHash* step_hash() const { return options_.step_hash; }
    // Set once the step budget ran out; run() returns at once from then on.
    const std::optional<Livelock>& livelock() const { return livelock_; }

private:
    struct Timer {
        std::function<void()> callback;
        uint32_t group = 0;  // 0: none
    };
    using Timers = std::map<TimerKey, Timer>;

    void make_ready(Fiber& f);
    Fiber* pick_ready();
    Timers::iterator pick_timer();
    void fire_timer(Timers::iterator it);
    void release_deferred(uint32_t group);
    void note_step(const Fiber* f);
    void declare_livelock();
    void resume(Fiber& f);
    void suspend_current();
    void finish(Fiber& f);
    void entry(Fiber& f);
    void unwind(Fiber& f);

    Driver& driver_;
    Options options_;
    StackPool stacks_;
    Fiber* current_ = nullptr;
    bool stop_requested_ = false;
    uint64_t next_fiber_id_ = 1;
    uint64_t next_timer_seq_ = 1;
    uint32_t next_group_ = 1;
    uint64_t steps_ = 0;
    std::map<uint64_t, std::shared_ptr<Fiber>> fibers_;  // live fibers by id (ordered: determinism)
    std::deque<Fiber*> ready_;
    Timers timers_;
    std::set<uint32_t> paused_groups_;
    std::map<uint32_t, std::vector<Fiber*>> held_;  // ready fibers of paused groups
    std::map<uint32_t, Timers> deferred_;           // due timers of paused groups
    // The step budget: steps taken since virtual time last moved, and in the last part of that
    // stretch, who ran (by fiber id; ordered, for a stable report).
    Instant stuck_at_;
    uint64_t stuck_steps_ = 0;
    uint64_t stuck_timers_ = 0;
    std::map<uint64_t, Livelock::Spinner> stuck_fibers_;
    std::optional<Livelock> livelock_;
};

}  // namespace eddy
