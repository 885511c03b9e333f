// Long-running supervised children. See supervised_child.h.
#include "runtime/supervised_child.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

extern char** environ;

namespace eddy {
namespace {

std::string env_name(const std::string& entry) { return entry.substr(0, entry.find('=')); }

// The child's environment: ours without the names it sets or unsets, then what it sets.
std::vector<std::string> child_environment(const SupervisedCommand& command) {
    std::vector<std::string> dropped = command.env_unset;
    for (const auto& e : command.env_set) {
        dropped.push_back(env_name(e));
    }
    std::vector<std::string> out;
    for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
        const std::string entry = *e;
        if (std::find(dropped.begin(), dropped.end(), env_name(entry)) == dropped.end()) {
            out.push_back(entry);
        }
    }
    out.insert(out.end(), command.env_set.begin(), command.env_set.end());
    return out;
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
    std::vector<char*> out;
    out.reserve(strings.size() + 1);
    for (auto& s : strings) {
        out.push_back(s.data());
    }
    out.push_back(nullptr);
    return out;
}

// In the child, between fork and exec: async-signal-safe calls only. Never returns.
[[noreturn]] void exec_child(const char* program, char* const* argv, char* const* envp,
                             int output_fd, pid_t supervisor, int error_fd) {
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != supervisor) {  // the supervisor died before prctl took effect
        ::_exit(127);
    }
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::signal(SIGINT, SIG_DFL);
    ::signal(SIGTERM, SIG_DFL);
    const int null_fd = ::open("/dev/null", O_RDONLY);
    if (null_fd >= 0) {
        ::dup2(null_fd, STDIN_FILENO);
    }
    ::dup2(output_fd, STDOUT_FILENO);
    ::dup2(output_fd, STDERR_FILENO);
    ::execve(program, argv, envp);
    const int err = errno;
    ssize_t ignored = ::write(error_fd, &err, sizeof err);
    (void)ignored;
    ::_exit(127);
}

}  // namespace

Result<pid_t, std::string> spawn_supervised(const SupervisedCommand& command) {
    // Everything the child needs is built before fork.
    std::vector<std::string> args = command.args;
    std::vector<std::string> env = child_environment(command);
    std::vector<char*> argv = pointers(args);
    std::vector<char*> envp = pointers(env);
    const int output_fd =
        ::open(command.output_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (output_fd < 0) {
        return fail("cannot open " + command.output_path + ": " + std::strerror(errno));
    }
    // exec's errno comes back through this pipe; a successful exec closes it (O_CLOEXEC).
    int error_pipe[2];
    if (::pipe2(error_pipe, O_CLOEXEC) != 0) {
        const int err = errno;
        ::close(output_fd);
        return fail(std::string("pipe: ") + std::strerror(err));
    }
    const pid_t supervisor = ::getpid();
    const pid_t pid = ::fork();
    if (pid == 0) {
        exec_child(command.program.c_str(), argv.data(), envp.data(), output_fd, supervisor,
                   error_pipe[1]);
    }
    const int fork_errno = errno;
    ::close(output_fd);
    ::close(error_pipe[1]);
    if (pid < 0) {
        ::close(error_pipe[0]);
        return fail(std::string("fork: ") + std::strerror(fork_errno));
    }
    int exec_errno = 0;
    ssize_t got = 0;
    do {
        got = ::read(error_pipe[0], &exec_errno, sizeof exec_errno);
    } while (got < 0 && errno == EINTR);
    ::close(error_pipe[0]);
    if (got == static_cast<ssize_t>(sizeof exec_errno)) {
        int status = 0;
        while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
        return fail("cannot run " + command.program + ": " + std::strerror(exec_errno));
    }
    return pid;
}

std::string describe_wait_status(int status) {
    char buf[96];
    if (WIFEXITED(status)) {
        std::snprintf(buf, sizeof buf, "exit %d", WEXITSTATUS(status));
    } else if (WIFSIGNALED(status)) {
        std::snprintf(buf, sizeof buf, "signal %d (%s)", WTERMSIG(status),
                      ::strsignal(WTERMSIG(status)));
    } else {
        std::snprintf(buf, sizeof buf, "status %d", status);
    }
    return buf;
}

}  // namespace eddy
