// Scenario "log-crash-recovery": a broker node keeps one partition log (services/log) that
// several fibers append to (durable acks: group commit) and read from, while its disk loses or
// tears unsynced writes on crashes, flips bits on reads and fails syncs (a failed sync crashes the
// node, never retried), and the fault schedule crashes it: mostly while appends are in flight,
// the rest at any moment (recovery included).
//
// Checkers, after every restart (the node reads its whole recovered log back):
// - `acked-survive`: every batch whose append was acknowledged (its sync completed) is there,
//   byte for byte;
// - `recovered-as-appended`: the log is one gap-free run of batches that were really appended,
//   each once: nothing after the first torn batch is served, nothing is invented or reordered;
// - `never-offline`: the partition is never offline and never refuses a read or an append
//   (nothing here damages synced data, so recovery must tell a transient read flip from a torn
//   write, and never cut below the synced point).
// During the run, readers check that read_copy() (bounded by the durable offset) only returns
// batches identical to the ones appended at those offsets: no corrupt batch is ever served
// (`reads-as-appended`).
// `liveness`: after healing, appends are acknowledged again.
// Planted bug: the log acknowledges an append once it is written, before a sync covers it
// (acked-survive).
#include <map>
#include <set>
#include <string>

#include "core/record/record_batch_builder.h"
#include "scenarios/nemesis.h"
#include "scenarios/scenarios.h"
#include "services/log/log_manager.h"
#include "sim/world.h"

namespace eddy::scenarios {
namespace {

const log::TopicPartition partition{"events", PartitionId(0)};

constexpr const char* acked_survive = "acked-survive";
constexpr const char* recovered_as_appended = "recovered-as-appended";
constexpr const char* never_offline = "never-offline";
constexpr const char* reads_as_appended = "reads-as-appended";

struct Oracle {
    // Every batch produced, by the hash of its bytes after the BaseOffset (the only field the
    // log changes on append here): lets a batch whose append was cut short by a crash, but that
    // reached the disk, be recognised.
    std::map<uint64_t, Bytes> produced;
    std::map<int64_t, Bytes> written;  // offset -> bytes, once append_nowait returned
    Offset acked_end{0};               // every offset below was acknowledged
    uint64_t acked = 0;
    uint64_t acked_after_heal = 0;
    uint64_t reads = 0;
    uint64_t batches_read = 0;
    int recoveries = 0;
    bool healed = false;
    Violation violation;

    void fail(const char* checker, std::string why) { violation.report(checker, std::move(why)); }
};

uint64_t tail_hash(ByteSpan batch) { return stable_hash(as_chars(batch.subspan(8))); }

Bytes make_batch(Random& r, uint64_t unique) {
    record::RecordBatchBuilder b(record::BatchBuilderOptions{});
    const int records = static_cast<int>(r.between(1, 8));
    for (int i = 0; i < records; ++i) {
        // Mostly small records, sometimes large ones: batches then span disk sectors, so a crash
        // can tear one in the middle.
        Bytes value(static_cast<size_t>(r.chance(0.2) ? r.between(8, 3000) : r.between(8, 300)));
        for (size_t j = 0; j < value.size(); ++j) {
            value[j] =
                static_cast<std::byte>((unique * 131 + j * 7 + static_cast<uint64_t>(i)) & 0xff);
        }
        store_be<uint64_t>(value.data(), unique);  // every batch is unique
        b.append(record::TimestampMs(1000 + static_cast<int64_t>(unique)), std::nullopt,
                 ByteSpan(value));
    }
    return b.build();
}

// Reads the recovered log back and checks it against the oracle.
void check_recovered(log::PartitionLog& l, Oracle& o) {
    if (l.offline()) {
        o.fail(never_offline, "partition offline after restart: " + l.offline_reason());
        return;
    }
    const Offset end = l.log_end_offset();
    if (end < o.acked_end) {
        o.fail(acked_survive, "lost acknowledged data: log ends at " + std::to_string(end.value()) +
                                  " but offsets below " + std::to_string(o.acked_end.value()) +
                                  " were acknowledged");
        return;
    }
    std::set<uint64_t> seen;
    Offset at = l.log_start_offset();
    while (at < end) {
        auto r = l.read_copy(at, log::ReadOptions{256 * 1024, log::ReadBound::log_end});
        if (!r.ok()) {
            o.fail(never_offline, "reading the recovered log at " + std::to_string(at.value()) +
                                      ": " + std::string(log::to_string(r.error())));
            return;
        }
        if (r->batches.empty()) {
            o.fail(recovered_as_appended,
                   "the recovered log has a hole at " + std::to_string(at.value()));
            return;
        }
        size_t pos = 0;
        for (const auto& b : r->batches) {
            const ByteSpan bytes = ByteSpan(r->data).subspan(pos, b.size);
            pos += b.size;
            if (b.base_offset != at) {
                o.fail(recovered_as_appended,
                       "recovered batch at " + std::to_string(b.base_offset.value()) + " where " +
                           std::to_string(at.value()) + " was expected");
                return;
            }
            const uint64_t h = tail_hash(bytes);
            auto w = o.written.find(at.value());
            const bool as_written = w != o.written.end() && w->second.size() == bytes.size() &&
                                    std::equal(bytes.begin(), bytes.end(), w->second.begin());
            const bool produced = o.produced.contains(h);
            if (!as_written && (w != o.written.end() || !produced)) {
                o.fail(recovered_as_appended, "recovered batch at offset " +
                                                  std::to_string(at.value()) +
                                                  " is not the batch appended there");
                return;
            }
            if (!seen.insert(h).second) {
                o.fail(recovered_as_appended, "a batch appears twice in the recovered log");
                return;
            }
            o.written[at.value()] = Bytes(bytes.begin(), bytes.end());
            at = b.last_offset + 1;
        }
    }
    // What is past the recovered end is gone; those offsets will be reused.
    o.written.erase(o.written.lower_bound(end.value()), o.written.end());
    o.acked_end = end;
    ++o.recoveries;
}

void broker_main(Env& env, Oracle& o, const log::LogManagerOptions& options) {
    log::LogManager manager(env, options);
    if (auto r = manager.open(); !r.ok()) {
        o.fail(never_offline, "log manager open failed: " + std::string(log::to_string(r.error())));
        return;
    }
    log::PartitionLog* l = manager.get(partition);
    if (l == nullptr) {
        auto created = manager.create(partition);
        if (!created.ok()) {
            o.fail(never_offline, "create failed: " + std::string(log::to_string(created.error())));
            return;
        }
        l = *created;
    }
    check_recovered(*l, o);
    if (!o.violation.empty()) {
        (void)manager.close();
        return;
    }
    env.tracer.event("check.recovered", {{"log_end", l->log_end_offset().value()},
                                         {"acked_end", o.acked_end.value()}});
    manager.start_background();

    const int appenders = static_cast<int>(env.random.between(2, 5));
    for (int a = 0; a < appenders; ++a) {
        env.scheduler.spawn("appender", [&env, &o, l] {
            Random r = env.random.fork("appender");
            while (o.violation.empty()) {
                const uint64_t unique = o.produced.size() + 1;
                Bytes batch = make_batch(r, unique);
                o.produced.emplace(tail_hash(batch), batch);
                auto info = l->append_nowait(batch);
                if (!info.ok()) {
                    o.fail(never_offline,
                           "append failed: " + std::string(log::to_string(info.error())));
                    return;
                }
                o.written[info->base_offset.value()] = batch;
                auto durable = l->wait_durable(info->last_offset);
                if (!durable.ok()) {
                    o.fail(never_offline, "append not made durable: " +
                                              std::string(log::to_string(durable.error())));
                    return;
                }
                o.acked_end = std::max(o.acked_end, info->last_offset + 1);
                ++o.acked;
                if (o.healed) {
                    ++o.acked_after_heal;
                }
                env.scheduler.sleep_for(Duration::micros(r.between(0, 4000)));
            }
        });
    }
    for (int k = 0; k < 2; ++k) {
        env.scheduler.spawn("reader", [&env, &o, l] {
            Random r = env.random.fork("reader");
            while (o.violation.empty()) {
                env.scheduler.sleep_for(Duration::micros(r.between(100, 8000)));
                const Offset start = l->log_start_offset();
                const Offset end = l->durable_offset();
                if (end <= start) {
                    continue;
                }
                const Offset from(r.between(start.value(), end.value() - 1));
                auto got = l->read_copy(
                    from, log::ReadOptions{static_cast<uint64_t>(r.between(1, 64 * 1024)),
                                           log::ReadBound::durable});
                if (!got.ok()) {
                    o.fail(never_offline, "read at " + std::to_string(from.value()) + " failed: " +
                                              std::string(log::to_string(got.error())));
                    return;
                }
                ++o.reads;
                size_t pos = 0;
                for (const auto& b : got->batches) {
                    const ByteSpan bytes = ByteSpan(got->data).subspan(pos, b.size);
                    pos += b.size;
                    auto w = o.written.find(b.base_offset.value());
                    if (w == o.written.end() || w->second.size() != bytes.size() ||
                        !std::equal(bytes.begin(), bytes.end(), w->second.begin())) {
                        o.fail(reads_as_appended, "read served a batch at offset " +
                                                      std::to_string(b.base_offset.value()) +
                                                      " that is not the one appended there");
                        return;
                    }
                    ++o.batches_read;
                }
                if (!got->batches.empty() && got->batches.front().last_offset < from) {
                    o.fail(reads_as_appended,
                           "read returned batches before the one holding the offset");
                    return;
                }
            }
        });
    }
    // The node's main fiber owns the manager: it lives until the node crashes.
    while (true) {
        env.scheduler.sleep_for(Duration::seconds(3600));
    }
}

RunResult run_log_crash_recovery(const RunOptions& ro) {
    Random swarm = Random(ro.seed).fork("swarm");
    sim::WorldOptions wo;
    wo.disk.read_bit_flip_p = swarm.chance(0.6) ? swarm.unit() * 0.01 : 0;
    wo.disk.sync_error_p = swarm.chance(0.4) ? swarm.unit() * 0.004 : 0;
    wo.disk.crash_keep_unsynced_p = swarm.unit() * 0.6;
    wo.disk.crash_lose_unsynced_p = swarm.unit() * 0.4;
    wo.disk.crash_tear_p = swarm.unit();
    wo.disk.latency_min = Duration::micros(20);
    wo.disk.latency_max = Duration::micros(swarm.between(40, 400));
    // fdatasync is the slow call on real disks (2.5 ms on the CI machine's, `eddy bench log`):
    // with it, group commit gathers several appends per sync, and a crash finds written but
    // unsynced batches far more often than with syncs as fast as writes.
    wo.disk.sync_latency = Duration::micros(swarm.between(200, 5000));
    ro.route_logs(wo);
    sim::SimWorld world(ro.seed, wo);
    if (ro.trace_sink) {
        world.trace().set_sink(ro.trace_sink);
    }

    log::LogManagerOptions options;
    options.data_dir = "data";
    options.default_config.segment_bytes = static_cast<uint64_t>(swarm.between(32, 256)) * 1024;
    options.default_config.index_interval_bytes = static_cast<uint64_t>(swarm.between(256, 4096));
    options.checkpoint_interval = Duration::millis(swarm.between(50, 1000));
    options.cleaner_enable = false;
    options.knobs.ack_before_sync = ro.planted("ack-before-sync");

    Oracle oracle;
    world.add_node("broker", [&oracle, &options](Env& env) { broker_main(env, oracle, options); });
    world.start(world.node("broker"));

    bool done = false;
    // Every crash goes through the injector: traced, recorded, replayable (--faults).
    FaultInjector faults(world);
    world.spawn("driver", [&] {
        auto& sched = world.world_env().scheduler;
        // A node that crashed itself (a failed sync) is started again after a moment.
        world.spawn("supervisor", [&] {
            while (!done) {
                sched.sleep_for(Duration::millis(200));
                if (!world.node("broker").up()) {
                    world.start(world.node("broker"));
                }
            }
        });
        // Crashes (the disk's faults do the rest). Most land a moment after the node has
        // recovered, while the appenders run: that is when batches are written but not yet
        // synced, the state in which a crash must never lose an acknowledged append. The others
        // land at any moment, recovery included (a crash during recovery must not make it
        // lose or invent anything either).
        //
        // The loop is the main lane of the fault schedule: every wake of it is recorded (a
        // fault, or an empty wake), and a replay (--faults) wakes at the same instants and
        // applies the same crashes, so it is the drawn run again, trace hash included. Its
        // numbers come from a stream that is recorded, not hashed (a replay draws none).
        Random r = fault_stream(world, "crashes");
        sim::SimNode& node = world.node("broker");
        faults.begin_phase();
        faults.use_lanes();
        const Instant fault_end = sched.now() + Duration::millis(swarm.between(2000, 4000));
        const double while_serving_p = 0.5 + swarm.unit() * 0.4;
        if (ro.faults != nullptr) {
            faults.replay_lanes(*ro.faults);
            sched.sleep_until(std::max(sched.now(), Instant() + ro.faults->phase_end));
        }
        const auto sleep = [&](Duration d) {
            sched.sleep_for(d);
            faults.wake(lane_main);
        };
        int recoveries_at_crash = 0;
        while (ro.faults == nullptr && sched.now() < fault_end && oracle.violation.empty()) {
            if (r.chance(while_serving_p)) {
                // Polls for the recovery (every 5 ms: each poll is a recorded wake).
                while (oracle.recoveries <= recoveries_at_crash && sched.now() < fault_end &&
                       oracle.violation.empty()) {
                    sleep(Duration::millis(5));
                }
                sleep(Duration::micros(r.between(0, 40'000)));
            } else {
                sleep(Duration::micros(r.between(5'000, 80'000)));
            }
            if (sched.now() >= fault_end || !node.up()) {
                continue;
            }
            recoveries_at_crash = oracle.recoveries;
            FaultSpec crash = custom_fault("crash", {"broker"});
            crash.hold = Duration::micros(r.between(10'000, 100'000));
            faults.apply(std::move(crash));
        }
        faults.end_phase();
        if (!node.up()) {
            world.start(node);
        }
        world.node("broker").disk().set_faults(sim::DiskFaults{});
        oracle.healed = true;
        sched.sleep_for(Duration::millis(500));
        // One last crash and recovery: everything acknowledged must come back.
        world.crash(world.node("broker"));
        world.start(world.node("broker"));
        sched.sleep_for(Duration::millis(300));
        done = true;
    });
    world.run([&] { return done || !oracle.violation.empty(); },
              Instant::from_nanos(Duration::seconds(60).to_nanos()));
    if (ro.faults_sink) {
        ro.faults_sink(faults.schedule());
    }

    Verdict v = Verdict::ok(std::to_string(oracle.recoveries) + " recoveries, " +
                            std::to_string(oracle.acked) + " appends acknowledged, " +
                            std::to_string(oracle.batches_read) + " batches read back");
    if (!oracle.violation.empty()) {
        v = Verdict::violation(oracle.violation);
    } else if (!done) {
        v = Verdict::violation(checkers::run_timeout,
                               "the run did not finish within 60 simulated seconds");
    } else if (oracle.acked_after_heal == 0) {
        v = Verdict::violation(checkers::liveness, "no acknowledged append after healing");
    }
    return finish(world, v);
}

}  // namespace

Scenario log_crash_recovery_scenario() {
    return {"log-crash-recovery",
            "partition log under crashes, torn/lost unsynced writes, read bit flips and failing "
            "syncs; acknowledged batches survive byte for byte, nothing torn or corrupt is served",
            run_log_crash_recovery};
}

}  // namespace eddy::scenarios
