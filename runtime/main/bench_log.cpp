// `eddy bench log [--dir DIR] [--seconds N] [--appenders K]`: the partition log on real files.
//
// K appender fibers append 16 KiB batches of 1 KiB records to one partition log with durable
// acknowledgements (group commit: one fdatasync covers every append written before it started)
// for N seconds. The reference, measured in the same run and directory: sequential pwrite +
// fdatasync of the same commit size (bytes per log sync), which is what a log that syncs exactly
// that much per commit could do at best. Then the whole log is read back from the page cache
// through read_copy() (every batch CRC-checked). Prints measurements and ratios; asserts nothing.
// The last line holds append_mb_s=, raw_mb_s=, ratio= and read_mb_s=.
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "core/record/record_batch_builder.h"
#include "runtime/main/commands.h"
#include "runtime/posix_env.h"
#include "services/log/log_manager.h"

namespace eddy::cli {
namespace {

constexpr size_t record_bytes = 1024;
constexpr int records_per_batch = 16;

struct LogRun {
    uint64_t appends = 0;
    uint64_t bytes = 0;
    uint64_t syncs = 0;
    double seconds = 0;
    uint64_t read_bytes = 0;
    double read_seconds = 0;
    std::string error;
};

Bytes template_batch() {
    record::RecordBatchBuilder b(record::BatchBuilderOptions{});
    Bytes value(record_bytes);
    for (size_t i = 0; i < value.size(); ++i) {
        value[i] = static_cast<std::byte>((i * 131) & 0xff);
    }
    for (int i = 0; i < records_per_batch; ++i) {
        const std::string key = "key-" + std::to_string(i);
        b.append(record::TimestampMs(1700000000000 + i), as_bytes(key), ByteSpan(value));
    }
    return b.build();
}

double since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// The log part, on the PosixEnv's fibers.
void bench_log(Env& env, int seconds, int appenders, LogRun& out) {
    log::LogManagerOptions o;
    o.data_dir = "bench-log";
    o.default_config.segment_bytes = uint64_t{1} << 30;
    o.cleaner_enable = false;
    log::LogManager manager(env, o);
    if (auto r = manager.open(); !r.ok()) {
        out.error = "open: " + std::string(log::to_string(r.error()));
        return;
    }
    const log::TopicPartition tp{"bench", PartitionId(0)};
    if (manager.get(tp) != nullptr) {
        (void)manager.remove(tp);  // a previous run's data
    }
    auto created = manager.create(tp);
    if (!created.ok()) {
        out.error = "create: " + std::string(log::to_string(created.error()));
        (void)manager.close();
        return;
    }
    log::PartitionLog& l = **created;
    const Bytes batch = template_batch();
    const uint64_t syncs_before = l.stats().syncs;
    const auto t0 = std::chrono::steady_clock::now();
    const auto deadline = t0 + std::chrono::seconds(seconds);
    int running = appenders;
    Event finished(env.scheduler);
    for (int a = 0; a < appenders; ++a) {
        env.scheduler.spawn("bench-appender", [&] {
            Bytes mine = batch;  // append() rewrites the base offset in place
            while (std::chrono::steady_clock::now() < deadline && out.error.empty()) {
                auto r = l.append(mine);
                if (!r.ok()) {
                    out.error = "append: " + std::string(log::to_string(r.error()));
                    break;
                }
                ++out.appends;
                out.bytes += mine.size();
            }
            if (--running == 0) {
                finished.set();
            }
        });
    }
    (void)finished.wait();
    out.seconds = since(t0);
    out.syncs = l.stats().syncs - syncs_before;

    // Read it all back from the page cache, CRC-checking every batch.
    const auto r0 = std::chrono::steady_clock::now();
    Offset at = l.log_start_offset();
    while (at < l.log_end_offset() && out.error.empty()) {
        auto r = l.read_copy(at, log::ReadOptions{1024 * 1024, log::ReadBound::log_end});
        if (!r.ok() || r->batches.empty()) {
            out.error = "read at " + std::to_string(at.value());
            break;
        }
        out.read_bytes += r->data.size();
        at = r->batches.back().last_offset + 1;
    }
    out.read_seconds = since(r0);
    (void)manager.remove(tp);
    (void)manager.close();
}

// The reference: sequential pwrite + fdatasync of `commit` bytes for `seconds`.
double raw_mb_s(const std::string& dir, uint64_t commit, int seconds, std::string& error) {
    const std::string path = dir + "/raw-reference.bin";
    const int fd = ::open(path.c_str(), O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0644);
    if (fd < 0) {
        error = "cannot create " + path;
        return 0;
    }
    std::vector<char> buf(commit, 'x');
    uint64_t written = 0;
    const auto t0 = std::chrono::steady_clock::now();
    const auto deadline = t0 + std::chrono::seconds(seconds);
    while (std::chrono::steady_clock::now() < deadline) {
        if (::pwrite(fd, buf.data(), buf.size(), static_cast<off_t>(written)) !=
                static_cast<ssize_t>(buf.size()) ||
            ::fdatasync(fd) != 0) {
            error = "raw write failed";
            break;
        }
        written += buf.size();
    }
    const double s = since(t0);
    ::close(fd);
    ::unlink(path.c_str());
    return static_cast<double>(written) / 1e6 / s;
}

}  // namespace

void add_bench_log_command(CLI::App& bench, int& exit_code) {
    struct Args {
        std::string dir = "eddy-bench-log";
        int seconds = 5;
        int appenders = 8;
    };
    auto args = std::make_shared<Args>();
    auto* cmd =
        bench.add_subcommand("log", "Partition log appends with group commit vs raw fdatasync");
    cmd->add_option("--dir", args->dir, "Directory for the data (created; default eddy-bench-log)");
    cmd->add_option("--seconds", args->seconds, "Seconds of appends (and of the reference)");
    cmd->add_option("--appenders", args->appenders, "Concurrent appender fibers (default 8)");
    cmd->callback([args, &exit_code] {
        PosixEnvOptions po;
        po.data_dir = args->dir;
        po.log_levels = LogLevel::warn;
        auto made = PosixEnv::create(po);
        if (!made.ok()) {
            std::fprintf(stderr, "eddy bench log: %s\n", made.error().c_str());
            exit_code = 1;
            return;
        }
        PosixEnv& pe = **made;
        LogRun run;
        bool done = false;
        pe.scheduler().spawn("bench-log", [&] {
            bench_log(pe.env(), args->seconds, args->appenders, run);
            done = true;
        });
        pe.run([&] { return done; });
        if (!run.error.empty()) {
            std::fprintf(stderr, "eddy bench log: %s\n", run.error.c_str());
            exit_code = 1;
            return;
        }
        const uint64_t commit = run.syncs == 0 ? run.bytes : run.bytes / run.syncs;
        std::string raw_error;
        const double raw =
            raw_mb_s(args->dir, std::max<uint64_t>(commit, 1), args->seconds, raw_error);
        if (!raw_error.empty()) {
            std::fprintf(stderr, "eddy bench log: %s\n", raw_error.c_str());
            exit_code = 1;
            return;
        }
        const double append = static_cast<double>(run.bytes) / 1e6 / run.seconds;
        const double read = static_cast<double>(run.read_bytes) / 1e6 / run.read_seconds;
        std::printf(
            "log: %d appenders, %d x %zu B records a batch, %llu appends (%.0f/s) in %.2f s, "
            "%llu syncs (%.1f appends and %.1f KiB a sync)\n",
            args->appenders, records_per_batch, record_bytes,
            static_cast<unsigned long long>(run.appends),
            static_cast<double>(run.appends) / run.seconds, run.seconds,
            static_cast<unsigned long long>(run.syncs),
            run.syncs == 0 ? 0.0
                           : static_cast<double>(run.appends) / static_cast<double>(run.syncs),
            static_cast<double>(commit) / 1024.0);
        std::printf("raw: sequential pwrite + fdatasync of %.1f KiB in %s for %d s\n",
                    static_cast<double>(commit) / 1024.0, args->dir.c_str(), args->seconds);
        std::printf("read: %.1f MB from the page cache in %.3f s (read_copy, CRC-checked)\n",
                    static_cast<double>(run.read_bytes) / 1e6, run.read_seconds);
        std::printf("append_mb_s=%.1f raw_mb_s=%.1f ratio=%.2f read_mb_s=%.1f\n", append, raw,
                    raw > 0 ? append / raw : 0.0, read);
        exit_code = 0;
    });
}

}  // namespace eddy::cli
