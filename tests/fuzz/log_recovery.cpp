// Fuzz target: partition-log recovery over arbitrary segment bytes.
//
// The input is a 4-byte header and the contents of up to two segment files: byte 0 picks the
// recovery point (0, the middle, past the end), bytes 1-2 where the data splits between the first
// segment (base 0) and a second one (its base from byte 3), so damage, overlap and gaps between
// segments are all reachable. The log is opened on an in-memory disk (recovery runs), then
// checked: it opened (offline or not); an online log serves only whole, CRC-valid batches with
// strictly increasing offsets, none at or past its log end; an append after recovery lands at the
// log end and reads back; close() works. A failure aborts (ASSERT), which the fuzzer reports.
#include <cstddef>
#include <cstdint>
#include <map>
#include <set>

#include "core/base/assert.h"
#include "core/record/record_batch_builder.h"
#include "services/log/partition_log.h"
#include "tests/unit/virtual_driver.h"

using namespace eddy;

namespace {

// A Disk in memory with no faults: files are byte vectors, syncs always succeed.
class MemDisk final : public Disk {
public:
    class MemFile final : public File {
    public:
        explicit MemFile(Bytes& b) : b_(b) {}
        Result<size_t, DiskError> read_at(uint64_t offset, MutableByteSpan buf) override {
            if (offset >= b_.size()) {
                return size_t{0};
            }
            const size_t n = std::min<size_t>(buf.size(), b_.size() - offset);
            std::copy_n(b_.begin() + static_cast<std::ptrdiff_t>(offset), n, buf.begin());
            return n;
        }
        Result<void, DiskError> write_at(uint64_t offset, ByteSpan data) override {
            if (offset + data.size() > b_.size()) {
                b_.resize(offset + data.size());
            }
            std::copy(data.begin(), data.end(), b_.begin() + static_cast<std::ptrdiff_t>(offset));
            return {};
        }
        Result<void, DiskError> sync() override { return {}; }
        Result<void, DiskError> truncate(uint64_t size) override {
            b_.resize(size);
            return {};
        }
        Result<uint64_t, DiskError> size() override { return uint64_t{b_.size()}; }

    private:
        Bytes& b_;
    };

    Result<std::unique_ptr<File>, DiskError> open(std::string_view path, OpenMode mode) override {
        auto it = files_.find(std::string(path));
        if (it == files_.end()) {
            if (mode == OpenMode::read_only || mode == OpenMode::read_write) {
                return fail(DiskError::not_found);
            }
            it = files_.emplace(std::string(path), Bytes{}).first;
        } else if (mode == OpenMode::create_exclusive) {
            return fail(DiskError::already_exists);
        }
        return std::unique_ptr<File>(std::make_unique<MemFile>(it->second));
    }
    Result<void, DiskError> remove(std::string_view path) override {
        return files_.erase(std::string(path)) == 1
                   ? Result<void, DiskError>()
                   : Result<void, DiskError>(fail(DiskError::not_found));
    }
    Result<void, DiskError> rename(std::string_view from, std::string_view to) override {
        auto it = files_.find(std::string(from));
        if (it == files_.end()) {
            return fail(DiskError::not_found);
        }
        Bytes b = std::move(it->second);
        files_.erase(it);
        files_[std::string(to)] = std::move(b);
        return {};
    }
    Result<void, DiskError> make_directory(std::string_view path) override {
        dirs_.insert(std::string(path));
        return {};
    }
    Result<void, DiskError> remove_directory(std::string_view path) override {
        dirs_.erase(std::string(path));
        return {};
    }
    Result<std::vector<std::string>, DiskError> list(std::string_view dir) override {
        std::vector<std::string> out;
        const std::string prefix = std::string(dir) + "/";
        for (const auto& [path, b] : files_) {
            (void)b;
            if (path.rfind(prefix, 0) == 0 && path.find('/', prefix.size()) == std::string::npos) {
                out.push_back(path.substr(prefix.size()));
            }
        }
        return out;
    }
    Result<bool, DiskError> exists(std::string_view path) override {
        return files_.contains(std::string(path)) || dirs_.contains(std::string(path));
    }
    Result<void, DiskError> sync_directory(std::string_view) override { return {}; }

    std::map<std::string, Bytes> files_;  // std::map: a listing comes out sorted, as promised
    std::set<std::string> dirs_;
};

class FixedClock final : public Clock {
public:
    Instant now() const override { return Instant(); }
    WallTime wall_now() const override { return WallTime::from_millis(1700000000000); }
};

class NoNetwork final : public Network {
public:
    Result<std::unique_ptr<Listener>, NetError> listen(const Address&) override {
        return fail(NetError::unreachable);
    }
    Result<std::unique_ptr<Connection>, NetError> connect(const Address&, Duration) override {
        return fail(NetError::unreachable);
    }
};

class AbortProcess final : public Process {
public:
    void crash(std::string_view) override { UNREACHABLE("no sync fails on the memory disk"); }
};

void check_log(log::PartitionLog& l) {
    if (l.offline()) {
        return;
    }
    ASSERT(l.log_start_offset() <= l.log_end_offset());
    Offset at = l.log_start_offset();
    Offset prev_last(-1);
    while (at < l.log_end_offset()) {
        auto r = l.read_copy(at, log::ReadOptions{1 << 20, log::ReadBound::log_end});
        ASSERT(r.ok(), "an online log serves its whole range");
        if (r->batches.empty()) {
            break;  // a gap up to an empty last segment (offsets jumped at a roll)
        }
        auto views = record::split_batches(r->data);
        ASSERT(views.ok() && views->size() == r->batches.size());
        for (const auto& v : *views) {
            record::ValidateOptions o;
            o.decode_records = false;
            o.offset_deltas = record::OffsetDeltas::increasing;
            ASSERT(v.validate(o).ok(), "only CRC-valid batches are served");
            ASSERT(v.base_offset() > prev_last, "offsets increase");
            prev_last = v.last_offset();
        }
        at = r->batches.back().last_offset + 1;
    }
    ASSERT(prev_last.value() < 0 || prev_last + 1 <= l.log_end_offset());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 4) {
        return 0;
    }
    const ByteSpan body(reinterpret_cast<const std::byte*>(data + 4), size - 4);
    const size_t split = std::min<size_t>(body.size(), (size_t{data[1]} << 8) | data[2]);
    const int64_t second_base = data[3];
    MemDisk disk;
    const std::string dir = "t-0";
    disk.files_[dir + "/00000000000000000000.log"] =
        Bytes(body.begin(), body.begin() + static_cast<std::ptrdiff_t>(split));
    if (split < body.size() && second_base > 0) {
        disk.files_[dir + "/" + log::offset_file_stem(Offset(second_base)) + ".log"] =
            Bytes(body.begin() + static_cast<std::ptrdiff_t>(split), body.end());
    }

    eddy::test::VirtualDriver driver;
    FiberExecutor executor(driver);
    const GroupId group = executor.new_group();
    Scheduler scheduler(executor, group);
    FixedClock clock;
    NoNetwork network;
    Random random(1);
    NullTracer tracer;
    FaultPoints faults;
    NullLogSink sink;
    Logger logger(clock, sink, "fuzz", LogLevel::error);
    AbortProcess process;
    Env env{NodeId(0), clock, network, disk, random, scheduler, tracer, faults, logger, process};

    bool done = false;
    scheduler.spawn("fuzz", [&] {
        log::PartitionLog::OpenOptions o;
        o.dir = dir;
        o.topic_partition = log::TopicPartition{"t", PartitionId(0)};
        o.config.index_interval_bytes = 64;
        o.recovery_point = Offset(data[0] % 3 == 0 ? 0 : data[0] % 3 == 1 ? second_base : 1 << 20);
        auto opened = log::PartitionLog::open(env, o);
        ASSERT(opened.ok(), "recovery on a healthy disk always opens the log");
        log::PartitionLog& l = **opened;
        check_log(l);
        if (!l.offline()) {
            record::RecordBatchBuilder b(record::BatchBuilderOptions{});
            b.append(record::TimestampMs(1), std::nullopt, as_bytes("after recovery"));
            Bytes batch = b.build();
            const Offset end = l.log_end_offset();
            auto r = l.append(batch);
            ASSERT(r.ok() && r->base_offset == end, "appends resume at the log end");
            check_log(l);
        }
        ASSERT(l.close().ok());
        done = true;
    });
    executor.run([&] { return done; });
    ASSERT(done);
    return 0;
}
