// The Env parts the fuzz targets run services on: a Disk in memory without faults, a fixed clock
// or one that follows the executor's virtual time, a network that refuses everything, and a
// Process that must never crash. Enough for a service to run its real paths deterministically
// inside one fuzz input.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/assert.h"
#include "core/env/env.h"
#include "core/fiber/executor.h"
#include "tests/unit/virtual_driver.h"

namespace eddy::fuzz {

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
        if (dirs_.erase(std::string(from)) == 1) {
            // A directory: everything under it moves along.
            const std::string prefix = std::string(from) + "/";
            std::map<std::string, Bytes> moved;
            for (auto f = files_.lower_bound(prefix);
                 f != files_.end() && f->first.rfind(prefix, 0) == 0;) {
                moved[std::string(to) + "/" + f->first.substr(prefix.size())] = std::move(f->second);
                f = files_.erase(f);
            }
            files_.merge(moved);
            dirs_.insert(std::string(to));
            return {};
        }
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
        for (const std::string& path : dirs_) {  // directories made with make_directory
            if (path.rfind(prefix, 0) == 0 && path.find('/', prefix.size()) == std::string::npos) {
                out.push_back(path.substr(prefix.size()));
            }
        }
        std::sort(out.begin(), out.end());
        return out;
    }
    Result<bool, DiskError> exists(std::string_view path) override {
        return files_.contains(std::string(path)) || dirs_.contains(std::string(path));
    }
    Result<void, DiskError> sync_directory(std::string_view) override { return {}; }
    Result<DiskSpace, DiskError> space(std::string_view) override {
        return DiskSpace{uint64_t{1} << 30, uint64_t{1} << 30};
    }

    std::map<std::string, Bytes> files_;  // std::map: a listing comes out sorted, as promised
    std::set<std::string> dirs_;
};

class FixedClock final : public Clock {
public:
    Instant now() const override { return Instant(); }
    WallTime wall_now() const override { return WallTime::from_millis(1700000000000); }
};

// Time as the fiber executor's driver sees it: a service that waits until now() passes a deadline
// (a long-polling Fetch) sees the virtual time its timers jump to. A FixedClock would keep such a
// wait going forever.
class DriverClock final : public Clock {
public:
    explicit DriverClock(const FiberExecutor::Driver& driver) : driver_(driver) {}
    Instant now() const override { return driver_.now(); }
    WallTime wall_now() const override {
        return WallTime::from_millis(1700000000000 + now().to_nanos() / 1'000'000);
    }

private:
    const FiberExecutor::Driver& driver_;
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

// One node's Env on the parts above, with its fiber executor on virtual time (VirtualDriver):
// what a target needs to run a service's real code for one input. The clock stands still, or
// (`follow_time`) follows the executor's virtual time.
class FuzzNode {
public:
    explicit FuzzNode(NodeId id = NodeId(0), bool follow_time = false)
        : group_(executor.new_group()),
          scheduler(executor, group_),
          driver_clock_(driver),
          logger_(fixed_clock_, sink_, "fuzz", LogLevel::error),
          env{id,      follow_time ? static_cast<Clock&>(driver_clock_) : fixed_clock_,
              network_, disk,      random_,  scheduler, tracer_, faults_, logger_, process_} {}
    FuzzNode(const FuzzNode&) = delete;
    FuzzNode& operator=(const FuzzNode&) = delete;

    // Runs `body` in a fiber of the node until it returns (ASSERTed).
    void run(const std::function<void()>& body) {
        bool done = false;
        scheduler.spawn("fuzz", [&] {
            body();
            done = true;
        });
        executor.run([&] { return done; });
        ASSERT(done);
    }

    MemDisk disk;
    eddy::test::VirtualDriver driver;
    FiberExecutor executor{driver};

private:
    GroupId group_;

public:
    Scheduler scheduler;

private:
    FixedClock fixed_clock_;
    DriverClock driver_clock_;
    NoNetwork network_;
    Random random_{1};
    NullTracer tracer_;
    FaultPoints faults_;
    NullLogSink sink_;
    Logger logger_;
    AbortProcess process_;

public:
    Env env;
};

}  // namespace eddy::fuzz
