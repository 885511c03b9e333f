// PosixDisk and PosixFile on a mkdtemp directory: reads and writes (short only at end of file),
// sync, truncate, size, open modes and their errors, rename, remove, nested directories, sorted
// listings, exists, sync_directory, path checks, space(); and that sync() parks only its own
// fiber (the fdatasync runs on the reactor's pool while other fibers keep going).
// Fiber bodies use CHECK, never REQUIRE (an exception leaving a fiber aborts the process).
#include <doctest/doctest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

#include "storage-posix/posix_disk.h"
#include "tests/unit/posix/posix_test_util.h"

using namespace eddy;
using eddy::posix_test::TempDir;
using eddy::posix_test::TestEnv;

namespace {

template <typename T>
bool failed_with(const Result<T, DiskError>& r, DiskError e) {
    return !r.ok() && r.error() == e;
}

// An offload that holds every call on the pool thread until a fiber opens the gate, and counts
// the calls: proves sync() goes through the offload and does not block the reactor thread.
class GatedOffload final : public BlockingOffload {
public:
    explicit GatedOffload(BlockingOffload& inner) : inner_(inner) {}

    void run_blocking_raw(void (*fn)(void*), void* arg) override {
        ++calls_;
        struct Call {
            GatedOffload* self;
            void (*fn)(void*);
            void* arg;
        } call{this, fn, arg};
        inner_.run_blocking_raw(
            [](void* p) {
                auto* c = static_cast<Call*>(p);
                c->self->gate_wait();
                c->fn(c->arg);
            },
            &call);
    }
    void open() {
        std::lock_guard lock(m_);
        open_ = true;
        cv_.notify_all();
    }
    int calls() const { return calls_; }
    bool waited_ok() const { return waited_ok_; }

private:
    void gate_wait() {
        std::unique_lock lock(m_);
        // Bounded, so that a call run on the reactor thread fails the test instead of hanging.
        waited_ok_ = cv_.wait_for(lock, std::chrono::seconds(10), [&] { return open_; });
    }

    BlockingOffload& inner_;
    std::mutex m_;
    std::condition_variable cv_;
    bool open_ = false;
    bool waited_ok_ = false;
    int calls_ = 0;
};

}  // namespace

TEST_CASE("disk: write, read, sync, truncate, size") {
    TestEnv t;
    t.run([&] {
        Disk& disk = t.env().disk;
        auto f = disk.open("a.log", OpenMode::create);
        CHECK(f.ok());
        if (!f.ok()) {
            return;
        }
        File& file = *f.value();
        CHECK(file.native_handle() >= 0);
        CHECK(file.write_at(0, as_bytes("hello world")).ok());
        CHECK(file.write_at(6, as_bytes("there")).ok());
        CHECK(file.write_at(20, as_bytes("!")).ok());  // a hole reads as zeros
        CHECK(file.sync().ok());
        auto size = file.size();
        CHECK((size.ok() && size.value() == 21));

        std::vector<std::byte> buf(64);
        auto n = file.read_at(0, buf);
        CHECK((n.ok() && n.value() == 21));  // short only at end of file
        CHECK(as_chars(ByteSpan(buf.data(), 11)) == "hello there");
        CHECK(buf[15] == std::byte{0});
        n = file.read_at(100, buf);
        CHECK((n.ok() && n.value() == 0));

        CHECK(file.truncate(5).ok());
        size = file.size();
        CHECK((size.ok() && size.value() == 5));
        n = file.read_at(0, buf);
        CHECK((n.ok() && n.value() == 5));

        // A large write takes the offload path and lands intact.
        std::vector<std::byte> big(3 * 1024 * 1024);
        for (size_t i = 0; i < big.size(); ++i) {
            big[i] = static_cast<std::byte>(i * 7 + 3);
        }
        CHECK(file.write_at(4096, big).ok());
        std::vector<std::byte> back(big.size());
        n = file.read_at(4096, back);
        CHECK((n.ok() && n.value() == big.size()));
        CHECK(back == big);
        CHECK(file.sync().ok());
    });
}

TEST_CASE("disk: open modes and their errors") {
    TestEnv t;
    t.run([&] {
        Disk& disk = t.env().disk;
        CHECK(failed_with(disk.open("missing", OpenMode::read_only), DiskError::not_found));
        CHECK(failed_with(disk.open("missing", OpenMode::read_write), DiskError::not_found));
        CHECK(disk.open("f", OpenMode::create_exclusive).ok());
        CHECK(failed_with(disk.open("f", OpenMode::create_exclusive), DiskError::already_exists));
        CHECK(disk.open("f", OpenMode::create).ok());
        auto ro = disk.open("f", OpenMode::read_only);
        CHECK(ro.ok());
        if (ro.ok()) {
            CHECK_FALSE(ro.value()->write_at(0, as_bytes("x")).ok());
        }
        CHECK(failed_with(disk.open("no/such/dir/f", OpenMode::create), DiskError::not_found));
    });
}

TEST_CASE("disk: paths must be relative and stay inside the root") {
    TestEnv t;
    t.run([&] {
        Disk& disk = t.env().disk;
        CHECK(failed_with(disk.open("/etc/passwd", OpenMode::read_only),
                          DiskError::invalid_argument));
        CHECK(failed_with(disk.open("../x", OpenMode::create), DiskError::invalid_argument));
        CHECK(failed_with(disk.open("a/../../x", OpenMode::create), DiskError::invalid_argument));
        CHECK(failed_with(disk.open("a/..", OpenMode::create), DiskError::invalid_argument));
        CHECK(failed_with(disk.open("", OpenMode::create), DiskError::invalid_argument));
        CHECK(failed_with(disk.exists(std::string_view("a\0b", 3)), DiskError::invalid_argument));
        CHECK(failed_with(disk.rename("ok", "/tmp/x"), DiskError::invalid_argument));
        CHECK(failed_with(disk.make_directory("../up"), DiskError::invalid_argument));
        CHECK(failed_with(disk.list(".."), DiskError::invalid_argument));
        // A name that merely contains dots is fine.
        CHECK(disk.open("..hidden..", OpenMode::create).ok());
    });
}

TEST_CASE("disk: directories, rename, list sorted, exists, remove, sync_directory") {
    TestEnv t;
    t.run([&] {
        Disk& disk = t.env().disk;
        CHECK(disk.make_directory("topic-0/sub/deeper").ok());
        CHECK(disk.make_directory("topic-0/sub").ok());  // ok if it exists
        for (const char* name : {"b", "a", "B", "00000000000000000010.log", "_z", "a.index"}) {
            CHECK(disk.open(std::string("topic-0/") + name, OpenMode::create).ok());
        }
        auto names = disk.list("topic-0");
        CHECK(names.ok());
        if (names.ok()) {
            CHECK(names.value() == std::vector<std::string>{"00000000000000000010.log", "B", "_z",
                                                            "a", "a.index", "b", "sub"});
        }
        auto root = disk.list("");
        CHECK((root.ok() && root.value() == std::vector<std::string>{"topic-0"}));

        CHECK(disk.rename("topic-0/a", "topic-0/renamed").ok());
        CHECK(disk.exists("topic-0/renamed").value());
        CHECK_FALSE(disk.exists("topic-0/a").value());
        CHECK_FALSE(disk.exists("nowhere/at/all").value());
        CHECK(disk.exists("topic-0/sub").value());
        CHECK(failed_with(disk.rename("topic-0/missing", "topic-0/x"), DiskError::not_found));
        // rename replaces the target atomically
        CHECK(disk.rename("topic-0/renamed", "topic-0/b").ok());
        CHECK_FALSE(disk.exists("topic-0/renamed").value());

        CHECK(disk.sync_directory("topic-0").ok());
        CHECK(disk.sync_directory("").ok());
        CHECK(failed_with(disk.sync_directory("nope"), DiskError::not_found));

        CHECK(disk.remove("topic-0/b").ok());
        CHECK(failed_with(disk.remove("topic-0/b"), DiskError::not_found));
        CHECK_FALSE(disk.remove_directory("topic-0/sub").ok());  // not empty
        CHECK(disk.remove_directory("topic-0/sub/deeper").ok());
        CHECK(disk.remove_directory("topic-0/sub").ok());
        CHECK_FALSE(disk.exists("topic-0/sub").value());

        CHECK(disk.open("plain", OpenMode::create).ok());
        CHECK(failed_with(disk.make_directory("plain"), DiskError::already_exists));
    });
}

TEST_CASE("disk: sync() parks only its fiber; others run while the fdatasync is on the pool") {
    TestEnv t;
    GatedOffload gated(t.reactor());
    auto d = PosixDisk::open_root(t.temp_path() + "/gated", &gated);
    REQUIRE(d.ok());
    std::unique_ptr<PosixDisk> disk = std::move(d).value();
    int progress = 0;
    int progress_when_synced = -1;
    t.run([&] {
        auto f = disk->open("log", OpenMode::create);
        CHECK(f.ok());
        if (!f.ok()) {
            return;
        }
        std::unique_ptr<File> file = std::move(f).value();
        CHECK(file->write_at(0, as_bytes("durable")).ok());
        FiberRef other = t.scheduler().spawn("appender", [&] {
            // Keeps appending while the sync is held on the pool thread: group commit's premise.
            for (int i = 0; i < 10; ++i) {
                CHECK(file->write_at(7 + static_cast<uint64_t>(i), as_bytes("+")).ok());
                ++progress;
                t.scheduler().yield();
            }
            gated.open();
        });
        CHECK(file->sync().ok());
        progress_when_synced = progress;
        CHECK(other.join() == WakeReason::notified);
        CHECK(disk->sync_directory("").ok());
    });
    CHECK(gated.waited_ok());
    CHECK(gated.calls() == 2);  // the file's fdatasync and the directory's fsync
    CHECK(progress_when_synced == 10);
}

TEST_CASE("disk: without an offload, or outside a fiber, calls run inline") {
    TempDir dir;
    auto d = PosixDisk::open_root(dir.path() + "/x/y", nullptr);
    REQUIRE(d.ok());
    auto f = d.value()->open("f", OpenMode::create);
    REQUIRE(f.ok());
    CHECK(f.value()->write_at(0, as_bytes("abc")).ok());
    CHECK(f.value()->sync().ok());
    CHECK(d.value()->sync_directory(".").ok());

    TestEnv t;  // the reactor's offload, called from outside any fiber
    auto g = t.env().disk.open("g", OpenMode::create);
    REQUIRE(g.ok());
    CHECK(g.value()->sync().ok());
}

TEST_CASE("posix env: a data directory that cannot be created is a one-line error") {
    TempDir dir;
    const std::string file = dir.path() + "/plain-file";
    {
        auto d = PosixDisk::open_root(dir.path(), nullptr);
        REQUIRE(d.ok());
        REQUIRE(d.value()->open("plain-file", OpenMode::create).ok());
    }
    PosixEnvOptions o;
    o.data_dir = file + "/data";
    auto made = PosixEnv::create(std::move(o));
    REQUIRE_FALSE(made.ok());
    CHECK(made.error().find("cannot open the data directory") != std::string::npos);
    CHECK(made.error().find("plain-file/data") != std::string::npos);
}

TEST_CASE("disk: space() reports the file system's size and usable bytes (statvfs)") {
    TestEnv t;
    t.run([&] {
        Disk& disk = t.env().disk;
        CHECK(disk.make_directory("topic-0").ok());
        auto root = disk.space("");
        CHECK(root.ok());
        if (!root.ok()) {
            return;
        }
        CHECK(root->total_bytes > 0);
        CHECK(root->usable_bytes <= root->total_bytes);
        auto sub = disk.space("topic-0");  // the same file system
        CHECK((sub.ok() && sub->total_bytes == root->total_bytes));
        CHECK(failed_with(disk.space("nowhere"), DiskError::not_found));
    });
}
