// Child processes run in parallel: each command is started with posix_spawn, its stdout and stderr
// captured together through one pipe, at most `jobs` of them running at a time. The caller is
// told of each as it finishes (in the order they finish, on the calling thread), so a sweep can
// report failures while the rest still run. `eddy sim suite` runs every (scenario, seed) this way:
// a crash, an assertion or a hang of one run cannot take the others down, and runs use every core.
//
// Invariants: every child started is waited for before run_child_processes returns (no zombies);
// the pipes are close-on-exec, so a child holds no other child's pipe open (which would delay the
// end of file that tells its output is complete); a child that outlives its timeout is killed
// with SIGKILL and reported as timed out.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

namespace eddy {

struct ChildCommand {
    std::string program;            // the executable's path (not looked up in PATH)
    std::vector<std::string> args;  // argv[0] first
};

struct ChildOutcome {
    int exit_code = -1;         // the exit status when it exited; -1 otherwise
    int signal = 0;             // the signal that ended it; 0 when it exited
    bool timed_out = false;     // killed for running longer than the timeout
    std::string spawn_error;    // non-empty: it could not be started at all (the rest is unset)
    std::string output;         // stdout and stderr as written, up to output_bytes_max
    size_t output_dropped = 0;  // bytes written past output_bytes_max (not kept)
    std::chrono::duration<double> wall{};

    bool succeeded() const { return spawn_error.empty() && signal == 0 && exit_code == 0; }
    // "exit 1", "signal 6 (Aborted)", "timed out after 2.0 s", "cannot start: …".
    std::string describe() const;
};

struct ChildPoolOptions {
    size_t jobs = 1;                            // children running at once, at least 1
    std::chrono::duration<double> timeout{0};   // per child; zero: none
    size_t output_bytes_max = 4 * 1024 * 1024;  // kept per child
};

// Runs every command, calling done(index into commands, outcome) as each one finishes; returns
// when all have finished. Commands start in their order. Blocks the calling thread.
void run_child_processes(const std::vector<ChildCommand>& commands, const ChildPoolOptions& options,
                         const std::function<void(size_t, ChildOutcome)>& done);

// CPUs this process may run on (its affinity mask), at least 1.
size_t available_cpus();

}  // namespace eddy
