// Helpers for the partition-log tests: a one-node rig (a virtual-time executor, a SimDisk with the
// crash model, a SimClock, and an Env built from them) in which test bodies run as fibers of the
// node, crash it, and start it again; plus record-batch builders.
#pragma once

#include <doctest/doctest.h>

#include <exception>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/env/env.h"
#include "core/record/record_batch_builder.h"
#include "services/log/log_manager.h"
#include "sim/sim_clock.h"
#include "sim/sim_disk.h"
#include "tests/unit/virtual_driver.h"

namespace eddy::log::test {

class NullNetwork final : public Network {
public:
    Result<std::unique_ptr<Listener>, NetError> listen(const Address&) override {
        return fail(NetError::unreachable);
    }
    Result<std::unique_ptr<Connection>, NetError> connect(const Address&, Duration) override {
        return fail(NetError::unreachable);
    }
};

// Process::crash for the rig: remembers why and parks the fiber until the rig unwinds the node.
class RigProcess final : public Process {
public:
    explicit RigProcess(FiberExecutor& executor) : executor_(executor) {}
    void crash(std::string_view why) override {
        crashed = true;
        reason = std::string(why);
        while (true) {
            (void)executor_.park(Instant::max(), false);
        }
    }
    bool crashed = false;
    std::string reason;

private:
    FiberExecutor& executor_;
};

// Counts syncs (the group-commit tests): a Disk whose Files count their sync() calls. It can
// also make every sync take `sync_latency` (a real disk: writes land in the page cache at once,
// fsync waits for the device), which SimDisk's one latency for every call does not model.
class CountingDisk final : public Disk {
public:
    CountingDisk(Disk& inner, FiberExecutor& executor) : inner_(inner), executor_(executor) {}
    void delay_sync() {
        if (sync_latency > Duration::zero()) {
            const Instant until = executor_.now() + sync_latency;
            while (executor_.now() < until) {
                (void)executor_.park(until, false);
            }
        }
    }
    class CountingFile final : public File {
    public:
        CountingFile(std::unique_ptr<File> f, CountingDisk& d) : f_(std::move(f)), d_(d) {}
        Result<size_t, DiskError> read_at(uint64_t o, MutableByteSpan b) override {
            auto n = f_->read_at(o, b);
            if (n.ok() && d_.after_read) {
                d_.after_read(o, b.first(*n));
            }
            return n;
        }
        Result<void, DiskError> write_at(uint64_t o, ByteSpan b) override {
            ++d_.writes;
            d_.mutating();
            return f_->write_at(o, b);
        }
        Result<void, DiskError> sync() override {
            ++d_.file_syncs;
            d_.mutating();
            d_.delay_sync();
            return f_->sync();
        }
        Result<void, DiskError> truncate(uint64_t s) override {
            d_.mutating();
            return f_->truncate(s);
        }
        Result<uint64_t, DiskError> size() override { return f_->size(); }

    private:
        std::unique_ptr<File> f_;
        CountingDisk& d_;
    };
    Result<std::unique_ptr<File>, DiskError> open(std::string_view p, OpenMode m) override {
        if (m == OpenMode::create || m == OpenMode::create_exclusive) {
            mutating();
        }
        TRY_ASSIGN(auto f, inner_.open(p, m));
        return std::unique_ptr<File>(std::make_unique<CountingFile>(std::move(f), *this));
    }
    Result<void, DiskError> remove(std::string_view p) override {
        mutating();
        return inner_.remove(p);
    }
    Result<void, DiskError> rename(std::string_view a, std::string_view b) override {
        mutating();
        return inner_.rename(a, b);
    }
    Result<void, DiskError> make_directory(std::string_view p) override {
        mutating();
        return inner_.make_directory(p);
    }
    Result<void, DiskError> remove_directory(std::string_view p) override {
        mutating();
        return inner_.remove_directory(p);
    }
    Result<std::vector<std::string>, DiskError> list(std::string_view d) override {
        return inner_.list(d);
    }
    Result<bool, DiskError> exists(std::string_view p) override { return inner_.exists(p); }
    Result<void, DiskError> sync_directory(std::string_view d) override {
        ++dir_syncs;
        mutating();
        return inner_.sync_directory(d);
    }
    Result<DiskSpace, DiskError> space(std::string_view p) override { return inner_.space(p); }
    // Called before every call that changes the disk (create, write, truncate, sync, rename,
    // remove, mkdir, rmdir, directory sync): the crash-at-every-step tests crash the node there.
    std::function<void()> before_mutation;
    // Called with the bytes every successful read returned, which it may change: a targeted,
    // transient read fault (the stored data stays intact), where SimDisk's flips are random.
    std::function<void(uint64_t offset, MutableByteSpan got)> after_read;
    void mutating() {
        ++mutations;
        if (before_mutation) {
            before_mutation();
        }
    }
    uint64_t mutations = 0;
    uint64_t file_syncs = 0;
    uint64_t dir_syncs = 0;
    uint64_t writes = 0;
    Duration sync_latency{};

private:
    Disk& inner_;
    FiberExecutor& executor_;
};

struct LogRig {
    explicit LogRig(uint64_t seed = 1, sim::DiskFaults disk_faults = {})
        : disk(executor, Random(seed).fork("disk"), tracer, disk_faults),
          counting(disk, executor),
          random(Random(seed).fork("node")),
          logger(clock, sink, "rig", LogLevel::error),
          process(executor) {
        new_incarnation();
    }
    ~LogRig() {
        executor.kill_group(group);
        manager.reset();
    }

    void new_incarnation() {
        group = executor.new_group();
        scheduler = std::make_unique<Scheduler>(executor, group);
        env = std::make_unique<Env>(Env{NodeId(1), clock, network, counting, random, *scheduler,
                                        tracer, faults, logger, process});
        process.crashed = false;
    }

    // Runs `body` as a fiber of the node until it returns (or the node crashed itself); rethrows
    // what it threw, so doctest and RapidCheck assertions work inside. Returns false if the
    // node crashed itself before the body finished.
    bool run(const std::function<void()>& body) {
        const bool finished =
            eddy::test::run_test_fiber(executor, group, body, [&] { return process.crashed; });
        if (!finished && !process.crashed) {
            throw std::runtime_error("the test fiber did not finish");
        }
        return finished;
    }

    // kill -9: unwind the node's fibers, drop the manager (its memory goes), apply the disk's
    // crash model, and start a new incarnation.
    void crash() {
        executor.kill_group(group);
        manager.reset();
        disk.crash();
        new_incarnation();
    }

    // Opens a LogManager on this node (from outside a fiber).
    void open(LogManagerOptions options) {
        run([&] {
            manager = std::make_unique<LogManager>(*env, options);
            auto r = manager->open();
            if (!r.ok()) {
                throw std::runtime_error("open: " + std::string(to_string(r.error())));
            }
        });
    }
    // Clean shutdown and start again.
    void reopen(LogManagerOptions options) {
        run([&] {
            auto r = manager->close();
            if (!r.ok()) {
                throw std::runtime_error("close: " + std::string(to_string(r.error())));
            }
        });
        executor.kill_group(group);
        manager.reset();
        new_incarnation();
        open(std::move(options));
    }

    eddy::test::VirtualDriver driver;
    FiberExecutor executor{driver};
    NullTracer tracer;
    sim::SimDisk disk;
    CountingDisk counting;
    sim::SimClock clock{executor};
    NullNetwork network;
    Random random;
    FaultPoints faults;
    NullLogSink sink;
    Logger logger;
    RigProcess process;
    GroupId group;
    std::unique_ptr<Scheduler> scheduler;
    std::unique_ptr<Env> env;
    std::unique_ptr<LogManager> manager;
};

// A batch of `records` records with values of `value_bytes` bytes, timestamps ts, ts+1, ...
inline Bytes make_batch(int records, size_t value_bytes, int64_t ts, uint64_t seed = 0,
                        std::optional<std::string> key = std::nullopt,
                        record::Codec codec = record::Codec::none) {
    record::BatchBuilderOptions o;
    o.compression = codec;
    record::RecordBatchBuilder b(o);
    for (int i = 0; i < records; ++i) {
        Bytes value(value_bytes);
        for (size_t j = 0; j < value.size(); ++j) {
            value[j] =
                static_cast<std::byte>((seed * 131 + static_cast<uint64_t>(i) * 7 + j) & 0xff);
        }
        std::optional<ByteSpan> k;
        if (key) {
            k = as_bytes(*key);
        }
        b.append(record::TimestampMs(ts + i), k, ByteSpan(value));
    }
    return b.build();
}

// One record, keyed; a null value is a tombstone.
inline Bytes make_keyed(const std::string& key, std::optional<std::string> value, int64_t ts) {
    record::RecordBatchBuilder b(record::BatchBuilderOptions{});
    std::optional<ByteSpan> v;
    if (value) {
        v = as_bytes(*value);
    }
    b.append(record::TimestampMs(ts), as_bytes(key), v);
    return b.build();
}

// Every batch the log serves from `from` to its end (log_end bound), as views into `storage`.
inline std::vector<Bytes> read_all(PartitionLog& log, Offset from,
                                   ReadBound bound = ReadBound::log_end) {
    std::vector<Bytes> out;
    Offset at = from;
    while (true) {
        ReadOptions o;
        o.bound = bound;
        o.max_bytes = 64 * 1024;
        auto r = log.read_copy(at, o);
        if (!r.ok()) {
            throw std::runtime_error("read_copy: " + std::string(to_string(r.error())));
        }
        if (r->batches.empty()) {
            break;
        }
        size_t pos = 0;
        for (const auto& b : r->batches) {
            out.emplace_back(r->data.begin() + static_cast<std::ptrdiff_t>(pos),
                             r->data.begin() + static_cast<std::ptrdiff_t>(pos + b.size));
            pos += b.size;
        }
        at = r->batches.back().last_offset + 1;
    }
    return out;
}

inline Offset base_of(const Bytes& batch) {
    return record::RecordBatchView::parse(batch).value().base_offset();
}

inline LogManagerOptions manager_options(LogConfig config = {}) {
    LogManagerOptions o;
    o.data_dir = "data";
    o.default_config = config;
    return o;
}

}  // namespace eddy::log::test
