#include "services/kafka/group_manager.h"

#include <algorithm>

#include "core/record/record_batch.h"
#include "core/record/record_batch_builder.h"

namespace eddy::kafka {

GroupManager::GroupManager(Env& env, group::GroupConfig config, int32_t partitions,
                           LogFor log_for, EnsureTopic ensure_topic, Append append)
    : env_(env),
      config_(config),
      log_for_(std::move(log_for)),
      append_(std::move(append)),
      ensure_topic_(std::move(ensure_topic)),
      init_mutex_(env.scheduler),
      timers_changed_(env.scheduler) {
    ASSERT(partitions > 0);
    for (int32_t p = 0; p < partitions; ++p) {
        shards_.push_back(std::make_unique<Shard>(env.scheduler));
    }
}

GroupManager::~GroupManager() = default;

group::Now GroupManager::now() const { return {env_.clock.now(), env_.clock.wall_now()}; }

int32_t GroupManager::partition_for(const std::string& group_id) const {
    return group::partition_for_group(group_id, partitions());
}

const group::GroupCoordinator* GroupManager::coordinator(int32_t p) const {
    const auto& s = *shards_[static_cast<size_t>(p)];
    return s.coordinator ? &*s.coordinator : nullptr;
}

void GroupManager::start(bool topic_exists) {
    if (topic_exists) {
        (void)ensure_ready();
    }
    timer_ = env_.scheduler.spawn("group-timers", [this] { timer_main(); });
}

void GroupManager::stop() {
    stopping_ = true;
    fail_pending(std::nullopt);
    if (timer_.valid()) {
        timer_.cancel();
        timers_changed_.notify_all();
        (void)timer_.join();
    }
}

int16_t GroupManager::ensure_ready() {
    if (ready_) {
        return 0;
    }
    if (stopping_) {
        return group_error::coordinator_not_available;
    }
    LockGuard g(init_mutex_);
    if (ready_) {
        return 0;
    }
    if (!ensure_topic_()) {
        return group_error::coordinator_not_available;
    }
    for (int32_t p = 0; p < partitions(); ++p) {
        Shard& s = *shards_[static_cast<size_t>(p)];
        LockGuard sg(s.mutex);
        if (!s.coordinator) {
            (void)load_partition(p);  // a failure is retried at the partition's next use
        }
    }
    ready_ = true;
    timers_changed_.notify_all();
    return 0;
}

void GroupManager::drop_if_deposed(int32_t p) {
    Shard& s = *shards_[static_cast<size_t>(p)];
    if (s.coordinator && log_for_(p).leader_epoch != s.loaded_epoch) {
        s.coordinator.reset();
        fail_pending(p);
    }
}

bool GroupManager::load_partition(int32_t p) {
    Shard& s = *shards_[static_cast<size_t>(p)];
    const Led led = log_for_(p);
    const auto& l = led.log;
    if (!l || l->offline()) {
        return false;
    }
    Offset end = l->log_end_offset();
    if (s.load_end && s.load_end->first == led.leader_epoch) {
        end = std::min(end, s.load_end->second);  // not the records of a failed append
    }
    std::vector<group::GroupRecord> records;
    Offset at = l->log_start_offset();
    while (at < end) {
        log::ReadOptions o;
        o.bound = log::ReadBound::log_end;
        auto copy = l->read_copy(at, o);
        if (!copy.ok()) {
            env_.log.error("%s-%d: read failed: %s", offsets_topic, p,
                           std::string(log::to_string(copy.error())).c_str());
            return false;
        }
        if (copy->batches.empty()) {
            break;
        }
        auto batches = record::split_batches(copy->data);
        if (!batches.ok()) {
            return false;
        }
        for (const auto& batch : *batches) {
            if (batch.base_offset() >= end) {
                break;
            }
            auto recs = record::BatchRecords::open(batch);
            if (!recs.ok()) {
                return false;
            }
            auto all = recs->decode_all();
            if (!all.ok()) {
                return false;
            }
            for (const auto& rec : *all) {
                if (!rec.key) {
                    continue;  // not a coordinator record
                }
                group::GroupRecord gr;
                gr.key.assign(rec.key->begin(), rec.key->end());
                if (rec.value) {
                    gr.value = Bytes(rec.value->begin(), rec.value->end());
                }
                records.push_back(std::move(gr));
            }
            at = batch.last_offset() + 1;
        }
    }
    if (log_for_(p).leader_epoch != led.leader_epoch) {
        return false;  // leadership moved while the log was read
    }
    group::GroupConfig c = config_;
    c.member_id_seed = env_.random.next();
    auto loaded = group::GroupCoordinator::load(c, records, now());
    if (!loaded.ok()) {
        env_.log.error("%s-%d: cannot load the group coordinator (a record does not decode)",
                       offsets_topic, p);
        return false;
    }
    ASSERT(!s.coordinator, "a partition's coordinator is loaded once per leadership");
    s.coordinator.emplace(std::move(loaded).value());
    s.loaded_epoch = led.leader_epoch;
    s.load_end.reset();
    return true;
}

bool GroupManager::write(int32_t p, group::Effects& fx) {
    if (fx.records.empty()) {
        return true;
    }
    Shard& s = *shards_[static_cast<size_t>(p)];
    auto l = log_for_(p).log;
    bool ok = l != nullptr;
    const Offset before = ok ? l->log_end_offset() : Offset(0);
    if (ok) {
        record::RecordBatchBuilder b(record::BatchBuilderOptions{});
        const record::TimestampMs ts(env_.clock.wall_now().to_millis());
        for (const auto& r : fx.records) {
            std::optional<ByteSpan> value;
            if (r.value) {
                value = ByteSpan(*r.value);
            }
            b.append(ts, ByteSpan(r.key), value);
        }
        Bytes batch = b.build();
        ASSERT(s.coordinator.has_value(), "only a loaded coordinator writes");
        ok = append_(p, MutableByteSpan(batch));
        if (!ok) {
            env_.log.error("%s-%d: appending group records failed (not committed)", offsets_topic,
                           p);
        }
    }
    if (!ok) {
        // The in-memory state is ahead of the log: reload it from the log at the next use, from
        // what the log held before this append (writes are serialised by the shard's mutex).
        if (l) {
            s.load_end = {s.loaded_epoch, before};
        }
        s.coordinator.reset();
        fx.replies.clear();
        fail_pending(p);
    }
    return ok;
}

void GroupManager::fail_pending(std::optional<int32_t> partition) {
    group::Effects fx;
    for (const auto& [token, pend] : pending_) {
        if (partition && pend.partition != *partition) {
            continue;
        }
        if (pend.join) {
            group::reply_join_error(fx, token, pend.version, group::Errc::coordinator_not_available,
                                    "");
        } else {
            group::reply_sync_error(fx, token, pend.version,
                                    group::Errc::coordinator_not_available);
        }
    }
    deliver(fx);
}

void GroupManager::deliver(group::Effects& fx) {
    for (auto& r : fx.replies) {
        auto it = pending_.find(r.token);
        if (it == pending_.end()) {
            continue;  // answered already (a failed write), or the request gave up
        }
        ASSERT(it->second.version == r.version, "a reply answers its request's version");

        it->second.promise.set_value(std::move(r));
        pending_.erase(it);
    }
    fx.replies.clear();
}

void GroupManager::timer_main() {
    bool idle = false;  // the last wake-up found nothing due: wait for a call, not a deadline
    while (!env_.scheduler.cancelled()) {
        std::optional<Instant> earliest;
        for (const auto& s : shards_) {
            if (s->coordinator) {
                if (auto d = s->coordinator->next_deadline(); d && (!earliest || *d < *earliest)) {
                    earliest = d;
                }
            }
        }
        const auto r = timers_changed_.wait(idle ? Instant::max()
                                                 : earliest.value_or(Instant::max()));
        if (r == WakeReason::cancelled) {
            return;
        }
        const Instant t = env_.clock.now();
        idle = r == WakeReason::timeout;
        for (int32_t p = 0; p < partitions(); ++p) {
            Shard& s = *shards_[static_cast<size_t>(p)];
            if (!s.coordinator) {
                continue;
            }
            auto d = s.coordinator->next_deadline();
            if (!d || *d > t) {
                continue;
            }
            idle = false;
            group::Effects fx;
            {
                LockGuard g(s.mutex);
                drop_if_deposed(p);
                if (!s.coordinator) {
                    continue;
                }
                s.coordinator->tick(now(), fx);
                if (!write(p, fx)) {
                    continue;
                }
            }
            deliver(fx);
        }
    }
}

}  // namespace eddy::kafka
