// Helpers for the POSIX runtime tests: a temporary directory made with mkdtemp and removed after,
// and a PosixEnv rooted in one that runs a test body as a fiber on the real reactor, with a
// watchdog so that a bug fails the test instead of hanging it. No sleeps: everything is driven
// through fibers.
#pragma once

#include <doctest/doctest.h>
#include <stdlib.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "runtime/posix_env.h"

namespace eddy::posix_test {

class TempDir {
public:
    TempDir() {
        char tmpl[] = "/tmp/eddy-posix-test-XXXXXX";
        const char* p = ::mkdtemp(tmpl);
        REQUIRE(p != nullptr);
        path_ = p;
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::string& path() const { return path_; }

private:
    std::string path_;
};

class TestEnv {
public:
    explicit TestEnv(Reactor::Options reactor = {}) {
        auto made = PosixEnv::create({.data_dir = dir_.path() + "/data",
                                      .node_name = "test",
                                      .seed = 42,
                                      .log_sink = &sink_,
                                      .reactor = reactor});
        REQUIRE(made.ok());
        pe_ = std::move(made).value();
    }

    PosixEnv& pe() { return *pe_; }
    Env& env() { return pe_->env(); }
    Reactor& reactor() { return pe_->reactor(); }
    FiberExecutor& executor() { return pe_->executor(); }
    Scheduler& scheduler() { return pe_->scheduler(); }
    const std::string& temp_path() const { return dir_.path(); }

    // Runs `body` as a fiber until it returns. Fails the test if it has not returned within
    // `limit` (a watchdog, not a synchronisation).
    void run(std::function<void()> body, Duration limit = Duration::seconds(30)) {
        FiberRef main = scheduler().spawn("test-main", std::move(body));
        bool expired = false;
        FiberExecutor& ex = executor();
        auto watchdog = ex.call_at(ex.now() + limit, [&] {
            expired = true;
            ex.stop();
        });
        ex.run([&] { return main.done(); });
        if (!expired) {
            ex.cancel_timer(watchdog);
            // Fibers the body left behind (a closed listener's accept loop, handshakes whose
            // peer went away) end within a moment; destroyed parked, they would leak what their
            // stacks own.
            const Instant settle = ex.now() + Duration::millis(300);
            auto wake = ex.call_at(settle, [] {});
            ex.run([&] { return ex.now() >= settle; });
            (void)wake;
        }
        REQUIRE_FALSE(expired);
    }

private:
    TempDir dir_;
    NullLogSink sink_;
    std::unique_ptr<PosixEnv> pe_;
};

}  // namespace eddy::posix_test
