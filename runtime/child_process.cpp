// Child processes run in parallel. See child_process.h.
#include "runtime/child_process.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "core/base/assert.h"

extern char** environ;

namespace eddy {

namespace {

using Clock = std::chrono::steady_clock;

struct Running {
    size_t index = 0;
    pid_t pid = -1;
    int fd = -1;  // read end of the child's output pipe; -1 once it reached end of file
    Clock::time_point started;
    ChildOutcome outcome;
};

// Starts one child with stdin from /dev/null and stdout and stderr into a new pipe.
ChildOutcome spawn(const ChildCommand& command, Running& r) {
    ChildOutcome failed;
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) {
        failed.spawn_error = std::string("pipe: ") + std::strerror(errno);
        return failed;
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    // dup2 clears close-on-exec on the target, so only these two survive the exec.
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDERR_FILENO);
    std::vector<char*> argv;
    argv.reserve(command.args.size() + 1);
    for (const auto& a : command.args) {
        argv.push_back(const_cast<char*>(a.c_str()));
    }
    argv.push_back(nullptr);
    pid_t pid = -1;
    const int err =
        ::posix_spawn(&pid, command.program.c_str(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(fds[1]);
    if (err != 0) {
        ::close(fds[0]);
        failed.spawn_error = command.program + ": " + std::strerror(err);
        return failed;
    }
    r.pid = pid;
    r.fd = fds[0];
    r.started = Clock::now();
    return {};
}

// Reads what is there; closes the pipe at end of file.
void drain(Running& r, size_t bytes_max) {
    char buf[65536];
    const ssize_t n = ::read(r.fd, buf, sizeof buf);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
        return;
    }
    if (n <= 0) {  // end of file (or a read error, which ends it as well)
        ::close(r.fd);
        r.fd = -1;
        return;
    }
    const size_t got = static_cast<size_t>(n);
    const size_t room = bytes_max - std::min(bytes_max, r.outcome.output.size());
    r.outcome.output.append(buf, std::min(got, room));
    r.outcome.output_dropped += got - std::min(got, room);
}

// Waits for a child whose output has ended (it exited, or closed both streams and will).
void reap(Running& r) {
    int status = 0;
    pid_t got = -1;
    do {
        got = ::waitpid(r.pid, &status, 0);
    } while (got < 0 && errno == EINTR);
    ASSERT(got == r.pid, "waitpid on our own child");
    if (WIFEXITED(status)) {
        r.outcome.exit_code = WEXITSTATUS(status);
    } else if (WIFSIGNALED(status)) {
        r.outcome.signal = WTERMSIG(status);
    }
    r.outcome.wall = Clock::now() - r.started;
}

}  // namespace

std::string ChildOutcome::describe() const {
    if (!spawn_error.empty()) {
        return "cannot start: " + spawn_error;
    }
    char buf[128];
    if (timed_out) {
        std::snprintf(buf, sizeof buf, "timed out after %.1f s", wall.count());
    } else if (signal != 0) {
        std::snprintf(buf, sizeof buf, "signal %d (%s)", signal, ::strsignal(signal));
    } else {
        std::snprintf(buf, sizeof buf, "exit %d", exit_code);
    }
    return buf;
}

void run_child_processes(const std::vector<ChildCommand>& commands, const ChildPoolOptions& options,
                         const std::function<void(size_t, ChildOutcome)>& done) {
    ASSERT(options.jobs >= 1);
    std::vector<Running> running;
    size_t next = 0;
    std::vector<pollfd> fds;
    while (next < commands.size() || !running.empty()) {
        while (next < commands.size() && running.size() < options.jobs) {
            Running r;
            r.index = next;
            ChildOutcome failed = spawn(commands[next], r);
            ++next;
            if (!failed.spawn_error.empty()) {
                done(r.index, std::move(failed));
                continue;
            }
            running.push_back(std::move(r));
        }
        if (running.empty()) {
            continue;
        }
        // Sleep until some output arrives or the earliest deadline passes.
        int wait_ms = -1;
        const auto now = Clock::now();
        if (options.timeout.count() > 0) {
            for (const auto& r : running) {
                const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    r.started + options.timeout - now);
                const int ms = static_cast<int>(std::max<int64_t>(0, left.count() + 1));
                wait_ms = wait_ms < 0 ? ms : std::min(wait_ms, ms);
            }
        }
        fds.clear();
        for (const auto& r : running) {
            fds.push_back({r.fd, POLLIN, 0});
        }
        const int ready = ::poll(fds.data(), fds.size(), wait_ms);
        if (ready < 0) {
            ASSERT(errno == EINTR, "poll on our own pipes");
            continue;
        }
        for (size_t i = 0; i < running.size(); ++i) {
            if (fds[i].revents != 0) {
                drain(running[i], options.output_bytes_max);
            }
        }
        if (options.timeout.count() > 0) {
            const auto later = Clock::now();
            for (auto& r : running) {
                if (!r.outcome.timed_out && later - r.started >= options.timeout) {
                    r.outcome.timed_out = true;
                    ::kill(r.pid, SIGKILL);  // its pipe then reaches end of file
                }
            }
        }
        for (size_t i = 0; i < running.size();) {
            if (running[i].fd >= 0) {
                ++i;
                continue;
            }
            Running r = std::move(running[i]);
            running.erase(running.begin() + static_cast<std::ptrdiff_t>(i));
            reap(r);
            done(r.index, std::move(r.outcome));
        }
    }
}

size_t available_cpus() {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (::sched_getaffinity(0, sizeof set, &set) != 0) {
        return 1;
    }
    return static_cast<size_t>(std::max(1, CPU_COUNT(&set)));
}

}  // namespace eddy
