// PosixEnv: a whole production Env for one process, assembled in one call: the reactor (executor,
// epoll, I/O pool), the real clock, PosixNetwork, PosixDisk rooted at the data directory, a Random
// seeded from the kernel's entropy, a NullTracer, FaultPoints that never fire, a Logger on stderr
// and a Process whose crash() aborts. `eddy broker` and the POSIX tests build one in a few lines:
//
//     auto made = PosixEnv::create({.data_dir = "eddy-data"});
//     if (!made.ok()) { /* print made.error(), exit 1 */ }
//     PosixEnv& pe = *made.value();
//     pe.scheduler().spawn("main", [&] { serve(pe.env()); });
//     pe.run();
//
// Invariants: every part lives exactly as long as the PosixEnv; the destructor first unwinds the
// fibers that are left (while everything they may touch still exists), then stops the pool.
// Fibers spawned through scheduler() belong to one group, the node's.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "core/env/env.h"
#include "net-posix/posix_network.h"
#include "net-posix/tls_network.h"
#include "runtime/posix_clock.h"
#include "runtime/posix_process.h"
#include "runtime/reactor.h"
#include "storage-posix/posix_disk.h"

namespace eddy {

struct PosixEnvOptions {
    std::string data_dir = "eddy-data";  // created (with its parents) if missing
    NodeId node{0};
    std::string node_name = "eddy";  // in every log line
    LogLevels log_levels = LogLevel::info;
    LogFormat log_format = LogFormat::text;
    std::optional<uint64_t> seed = std::nullopt;  // the Random's seed; default: from getrandom(2)
    LogSink* log_sink = nullptr;                  // default: stderr; must outlive the PosixEnv
    Reactor::Options reactor = {};
    PosixNetwork::Options network = {};
    PosixDisk::Options disk = {};
    // Set (a client-role context): every outgoing connection of env().network runs TLS with it
    // (the CLI's --command-config with security.protocol=SSL); listen() stays plain.
    std::shared_ptr<tls::TlsContext> client_tls = nullptr;
};

class PosixEnv {
public:
    // Fails with a one-line message when the data directory cannot be created or opened.
    static Result<std::unique_ptr<PosixEnv>, std::string> create(PosixEnvOptions options);
    ~PosixEnv();
    PosixEnv(const PosixEnv&) = delete;
    PosixEnv& operator=(const PosixEnv&) = delete;

    Env& env() { return *env_; }
    Reactor& reactor() { return reactor_; }
    FiberExecutor& executor() { return reactor_.executor(); }
    Scheduler& scheduler() { return scheduler_; }
    PosixNetwork& network() { return network_; }
    PosixDisk& disk() { return *disk_; }

    // Runs fibers on this thread until `until` returns true, stop() is called or no fiber is left.
    // Not from a fiber.
    void run(const std::function<bool()>& until = nullptr) { executor().run(until); }
    void stop() { executor().stop(); }

private:
    explicit PosixEnv(const PosixEnvOptions& options);

    Reactor reactor_;
    PosixClock clock_;
    StderrLogSink stderr_sink_;
    Logger logger_;
    PosixNetwork network_;
    std::unique_ptr<tls::TlsNetwork> tls_network_;  // over network_, when options.client_tls
    std::unique_ptr<PosixDisk> disk_;
    Random random_;
    Scheduler scheduler_;
    NullTracer tracer_;
    FaultPoints faults_;
    PosixProcess process_;
    std::optional<Env> env_;  // set once the disk is open
};

}  // namespace eddy
