// Scenario "disk-durability": a node keeps an append-only file of checksummed records, syncing
// now and then, while it is crashed at random moments and its disk loses or tears unsynced
// writes, flips bits on reads and fails syncs (a failed sync crashes the node, never retried).
//
// On every start the node recovers: it reads records until the first one that is torn or fails
// its checksum (re-reading to tell a transient read flip from real damage), truncates the file
// there, and hands what it found to the checker.
// Checkers: `synced-survive`: every record whose sync completed before a crash is recovered byte
// for byte; `recovered-as-written`: what is recovered is a prefix of what was written, in order
// (nothing reordered, nothing invented); `liveness`: after healing the node keeps making durable
// progress.
// Planted bug: the writer reports records as synced without calling sync() (synced-survive).
#include <string>
#include <vector>

#include "scenarios/nemesis.h"
#include "scenarios/scenarios.h"

namespace eddy::scenarios {
namespace {

constexpr size_t record_header_bytes = 12;  // u32 length, u64 FNV-1a of the payload
constexpr const char* log_path = "wal/records.log";
constexpr const char* synced_survive = "synced-survive";
constexpr const char* recovered_as_written = "recovered-as-written";

struct Oracle {
    std::vector<Bytes> written;  // every record appended, in order (the model of the file)
    size_t synced = 0;           // written[0..synced) are durable
    int recoveries = 0;
    Violation violation;
    int syncs_after_heal = 0;
    bool healed = false;
};

Bytes make_record(Random& r, uint64_t index) {
    Bytes payload(r.below(5000));
    for (size_t i = 0; i < payload.size(); ++i) {
        payload[i] = static_cast<std::byte>((index * 31 + i) & 0xff);
    }
    return payload;
}

Bytes frame(ByteSpan payload) {
    Bytes out(record_header_bytes + payload.size());
    store_be<uint32_t>(out.data(), static_cast<uint32_t>(payload.size()));
    store_be<uint64_t>(out.data() + 4, stable_hash(as_chars(payload)));
    std::copy(payload.begin(), payload.end(), out.begin() + record_header_bytes);
    return out;
}

// Reads the record at `offset`; nullopt if torn, short or failing its checksum.
std::optional<Bytes> read_record(File& f, uint64_t offset, uint64_t size) {
    if (offset + record_header_bytes > size) {
        return std::nullopt;
    }
    std::byte header[record_header_bytes];
    auto r = f.read_at(offset, header);
    if (!r.ok() || *r != record_header_bytes) {
        return std::nullopt;
    }
    const uint32_t length = load_be<uint32_t>(header);
    if (offset + record_header_bytes + length > size) {
        return std::nullopt;
    }
    Bytes payload(length);
    r = f.read_at(offset + record_header_bytes, payload);
    if (!r.ok() || *r != length || stable_hash(as_chars(payload)) != load_be<uint64_t>(header + 4)) {
        return std::nullopt;
    }
    return payload;
}

void writer_main(Env& env, Oracle& oracle, bool planted_bug) {
    if (!env.disk.make_directory("wal").ok() || !env.disk.sync_directory("").ok()) {
        env.process.crash("cannot create the wal directory");
    }
    auto opened = env.disk.open(log_path, OpenMode::create);
    if (!opened.ok()) {
        env.process.crash("cannot open the log");
    }
    File& f = **opened;
    if (!env.disk.sync_directory("wal").ok()) {
        env.process.crash("cannot sync the wal directory");
    }

    // Recovery.
    auto size = f.size();
    if (!size.ok()) {
        env.process.crash("cannot stat the log");
    }
    uint64_t offset = 0;
    size_t recovered = 0;
    while (true) {
        std::optional<Bytes> rec;
        for (int attempt = 0; attempt < 4 && !rec; ++attempt) {  // a read flip is transient
            rec = read_record(f, offset, *size);
        }
        if (!rec) {
            break;
        }
        if (recovered >= oracle.written.size() || *rec != oracle.written[recovered]) {
            oracle.violation.report(
                recovered_as_written,
                "recovered record " + std::to_string(recovered) + " was never written there");
            return;
        }
        offset += record_header_bytes + rec->size();
        ++recovered;
    }
    if (recovered < oracle.synced) {
        oracle.violation.report(synced_survive, "lost synced records: recovered " +
                                                    std::to_string(recovered) + " of " +
                                                    std::to_string(oracle.synced) + " synced");
        return;
    }
    oracle.written.resize(recovered);  // the unsynced tail is gone; it will be written anew
    oracle.synced = recovered;
    ++oracle.recoveries;
    env.tracer.event("wal.recovered", {{"records", recovered}, {"bytes", offset}});
    if (!f.truncate(offset).ok() || !f.sync().ok()) {
        env.process.crash("cannot truncate the torn tail");
    }

    // Appending.
    while (true) {
        const int batch = 1 + static_cast<int>(env.random.below(8));
        for (int i = 0; i < batch; ++i) {
            Bytes payload = make_record(env.random, oracle.written.size());
            Bytes framed = frame(payload);
            if (!f.write_at(offset, framed).ok()) {
                env.process.crash("write failed");
            }
            offset += framed.size();
            oracle.written.push_back(std::move(payload));
        }
        if (!planted_bug) {
            if (!f.sync().ok()) {
                env.process.crash("sync failed");  // never retried
            }
        }
        oracle.synced = oracle.written.size();
        if (oracle.healed) {
            ++oracle.syncs_after_heal;
        }
        env.scheduler.sleep_for(Duration::millis(env.random.between(1, 50)));
    }
}

RunResult run_disk_durability(const RunOptions& o) {
    Random swarm = Random(o.seed).fork("swarm");
    sim::WorldOptions wo;
    wo.disk.read_bit_flip_p = swarm.chance(0.5) ? swarm.unit() * 0.02 : 0;
    wo.disk.sync_error_p = swarm.chance(0.5) ? swarm.unit() * 0.02 : 0;
    wo.disk.crash_keep_unsynced_p = swarm.unit() * 0.6;
    wo.disk.crash_lose_unsynced_p = swarm.unit() * 0.4;
    wo.disk.crash_tear_p = swarm.unit();
    wo.disk.latency_max = Duration::micros(swarm.between(0, 500));
    o.route_logs(wo);
    sim::SimWorld world(o.seed, wo);
    if (o.trace_sink) {
        world.trace().set_sink(o.trace_sink);
    }
    Oracle oracle;
    const bool planted = o.planted("skip-sync");
    world.add_node("writer", [&oracle, planted](Env& env) { writer_main(env, oracle, planted); });
    world.start(world.node("writer"));

    bool done = false;
    world.spawn("driver", [&] {
        NemesisOptions no;
        no.partitions = false;
        no.clogs = false;
        no.fault_phase = Duration::seconds(swarm.between(5, 30));
        no.gap_max = Duration::millis(700);
        Nemesis nemesis(world, no);
        nemesis.run();
        world.node("writer").disk().set_faults(sim::DiskFaults{});
        oracle.healed = true;
        auto& sched = world.world_env().scheduler;
        sched.sleep_for(Duration::seconds(2));
        // One last crash and recovery: everything synced so far must come back.
        world.crash(world.node("writer"));
        world.start(world.node("writer"));
        sched.sleep_for(Duration::seconds(1));
        done = true;
    });
    world.run([&] { return done || !oracle.violation.empty(); },
              Instant::from_nanos(Duration::seconds(120).to_nanos()));

    Verdict v = Verdict::ok(std::to_string(oracle.recoveries) + " recoveries, " +
                            std::to_string(oracle.synced) + " records durable");
    if (!oracle.violation.empty()) {
        v = Verdict::violation(oracle.violation);
    } else if (!done) {
        v = Verdict::violation(checkers::run_timeout,
                               "the run did not finish within 120 simulated seconds");
    } else if (oracle.syncs_after_heal == 0) {
        v = Verdict::violation(checkers::liveness, "no durable progress after healing");
    }
    return finish(world, v);
}

}  // namespace

Scenario disk_durability_scenario() {
    return {"disk-durability",
            "append + sync a checksummed record file under crashes, lost and torn unsynced "
            "writes, read bit flips and failing syncs; synced records must survive every crash",
            run_disk_durability};
}

}  // namespace eddy::scenarios
