// GroupManager: the broker's wiring of the group coordinator state machine (services/group) to
// the `__consumer_offsets` partitions (services/group/README.md "Wiring").
//
// One GroupCoordinator per `__consumer_offsets` partition, each behind its own FIFO mutex (the
// serialised executor): a call runs the state machine, appends the call's Effects::records as one
// RecordBatch v2 to the partition log, waits until it is durable (durable mode), and only then
// releases the response and the deferred JoinGroup/SyncGroup replies. A failed append drops the
// coordinator and answers everything pending on it with COORDINATOR_NOT_AVAILABLE; it is
// reloaded from the log at its next use, but only from what the log held before the failed
// append (those records stay in the log — a deposed leader's are truncated later, a slow ISR's
// may yet commit — but no client was told they happened). A coordinator serves only while its
// broker leads the partition in the leader epoch it was loaded in (Kafka unloads on resignation
// and loads on election): a broker that lost the partition and leads it again reloads, since
// another leader's writes came in between. One timer fiber sleeps until the earliest
// `next_deadline()` and ticks the partitions that are due.
//
// The topic is created on first need (`ensure_ready()`, the broker's callback creates it through
// the controller); partitions are loaded from their logs then, or at broker start if the topic
// already exists.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/env/env.h"
#include "core/fiber/sync.h"
#include "core/protocol/error_codes.h"
#include "services/group/group_coordinator.h"
#include "services/log/partition_log.h"

namespace eddy::kafka {

inline constexpr const char* offsets_topic = "__consumer_offsets";

namespace group_error = ::eddy::kafka_error;

class GroupManager {
public:
    // The log of partition `p` of `__consumer_offsets` and the leader epoch this broker leads
    // it in, or a null log if it does not lead it (or it is not open).
    struct Led {
        std::shared_ptr<log::PartitionLog> log;
        int32_t leader_epoch = -1;
    };
    using LogFor = std::function<Led(int32_t p)>;
    // Creates `__consumer_offsets` if it does not exist; true once its logs are open. Suspends.
    using EnsureTopic = std::function<bool()>;
    // Appends one batch of coordinator records to partition `p` as its leader and waits until it
    // is committed (durable and replicated to the ISR, as Kafka writes them with acks=all); false
    // when it is not (the coordinator then reloads from the log). Suspends.
    using Append = std::function<bool(int32_t p, MutableByteSpan batch)>;

    GroupManager(Env& env, group::GroupConfig config, int32_t partitions, LogFor log_for,
                 EnsureTopic ensure_topic, Append append);
    ~GroupManager();
    GroupManager(const GroupManager&) = delete;
    GroupManager& operator=(const GroupManager&) = delete;

    // Spawns the timer fiber. `topic_exists`: load every partition now.
    void start(bool topic_exists);
    // Answers every pending JoinGroup/SyncGroup with COORDINATOR_NOT_AVAILABLE and stops the
    // timer. Suspends.
    void stop();

    // Creates and loads the coordinator partitions if needed; 0 or a Kafka error code. Suspends.
    int16_t ensure_ready();

    int32_t partitions() const { return static_cast<int32_t>(shards_.size()); }
    int32_t partition_for(const std::string& group_id) const;

    // Runs `f(coordinator, now, fx)` on the group's partition, makes the records durable, sends
    // the deferred replies, and returns f's result, or a Kafka error code when the partition's
    // coordinator is not available. Suspends.
    template <typename F>
    auto call(const std::string& group_id, F&& f)
        -> Result<decltype(f(std::declval<group::GroupCoordinator&>(), group::Now{},
                             std::declval<group::Effects&>())),
                  int16_t> {
        using R = decltype(f(std::declval<group::GroupCoordinator&>(), group::Now{},
                             std::declval<group::Effects&>()));
        return call_on<R>(partition_for(group_id), std::forward<F>(f));
    }

    template <typename R, typename F>
    Result<R, int16_t> call_on(int32_t p, F&& f) {
        if (stopping_) {
            return fail(group_error::coordinator_not_available);  // pending replies are failed
        }
        if (int16_t e = ensure_ready(); e != 0) {
            return fail(e);
        }
        Shard& s = *shards_[static_cast<size_t>(p)];
        group::Effects fx;
        std::optional<R> out;
        {
            LockGuard g(s.mutex);
            drop_if_deposed(p);
            // A load in progress: a coordinator not yet loaded here answers
            // COORDINATOR_LOAD_IN_PROGRESS for a while (a big offsets partition), and the
            // client retries.
            if (!s.coordinator && log_for_(p).log && BUGGIFY(env_)) {
                return fail(group_error::coordinator_load_in_progress);
            }
            if (!s.coordinator && !load_partition(p)) {

                // No log here: another broker leads the partition (the client found this one
                // before the topic existed, or leadership moved), so it must ask FindCoordinator
                // again; NOT_COORDINATOR says so (COORDINATOR_LOAD_IN_PROGRESS would keep it here).
                return fail(log_for_(p).log ? group_error::coordinator_load_in_progress
                                            : group_error::not_coordinator);
            }
            out.emplace(f(*s.coordinator, now(), fx));
            if (!write(p, fx)) {
                return fail(group_error::coordinator_not_available);
            }
        }
        deliver(fx);
        timers_changed_.notify_all();
        return std::move(*out);
    }

    // A deferred JoinGroup/SyncGroup: registers a token, runs `f(coordinator, token, now, fx)`,
    // calls `before_wait()` (the broker releases the request's turn there), then waits for the
    // token's reply. Suspends.
    template <typename F, typename W>
    Result<group::Reply, int16_t> call_deferred(const std::string& group_id, int16_t version,
                                                bool join, F&& f, W&& before_wait) {
        const int32_t p = partition_for(group_id);
        const group::Token token = next_token_++;
        Promise<group::Reply> promise(env_.scheduler);
        auto future = promise.future();
        pending_.emplace(token, Pending{p, version, join, std::move(promise)});
        auto r =
            call_on<bool>(p, [&](group::GroupCoordinator& c, group::Now n, group::Effects& fx) {
                f(c, token, n, fx);
                return true;
            });
        if (!r.ok()) {
            pending_.erase(token);
            return fail(r.error());
        }
        before_wait();
        auto reply = future.get();
        if (!reply.ok()) {
            return fail(group_error::coordinator_not_available);
        }
        return std::move(reply).value();
    }

    // For inspection (tests, the CLI's describe through the broker).
    const group::GroupCoordinator* coordinator(int32_t p) const;

private:
    struct Shard {
        explicit Shard(Scheduler& s) : mutex(s) {}
        Mutex mutex;
        std::optional<group::GroupCoordinator> coordinator;
        int32_t loaded_epoch = -1;  // the leader epoch `coordinator` was loaded in
        // After a failed append in leader epoch `first`: the log end before it, where a reload
        // in that epoch stops.
        std::optional<std::pair<int32_t, Offset>> load_end;
    };
    struct Pending {
        int32_t partition;
        int16_t version;
        bool join;
        Promise<group::Reply> promise;
    };

    group::Now now() const;
    // Reads the partition's log into a new coordinator. Call with the shard's mutex held.
    bool load_partition(int32_t p);
    // Drops the partition's coordinator (failing what is pending on it) unless this broker
    // still leads the partition in the epoch it was loaded in. Call with the shard's mutex held.
    void drop_if_deposed(int32_t p);
    // Appends fx.records; on failure drops the coordinator and fails its pending requests.
    // Call with the shard's mutex held.
    bool write(int32_t p, group::Effects& fx);
    void fail_pending(std::optional<int32_t> partition);
    void deliver(group::Effects& fx);
    void timer_main();

    Env& env_;
    group::GroupConfig config_;
    LogFor log_for_;
    Append append_;
    EnsureTopic ensure_topic_;
    std::vector<std::unique_ptr<Shard>> shards_;
    Mutex init_mutex_;
    bool ready_ = false;
    bool stopping_ = false;
    group::Token next_token_ = 1;
    std::map<group::Token, Pending> pending_;
    WaitQueue timers_changed_;
    FiberRef timer_;
};

}  // namespace eddy::kafka
