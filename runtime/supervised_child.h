// Long-running child processes that a supervisor starts, signals and waits for: `eddy dev`'s
// nodes. (runtime/child_process.h is the other kind: commands run to completion, their output
// captured.)
//
// A child started here
//  - runs in a process group of its own, so a Ctrl-C on the terminal reaches only the supervisor,
//    which then stops its children in order (SIGTERM, a wait, SIGKILL);
//  - receives SIGTERM if the supervisor dies (PR_SET_PDEATHSIG), so none outlives a SIGKILLed
//    supervisor;
//  - starts with no signal blocked and SIGINT/SIGTERM at their default action, whatever the
//    supervisor had (it blocks them to read them from a signalfd);
//  - writes stdout and stderr to one file, appended to, and reads /dev/null.
// The caller waits for it (waitpid), so no zombie is left.
//
// Invariant: the supervisor is single-threaded when it calls spawn_supervised (fork copies only
// the calling thread); nothing is allocated between fork and exec.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "core/base/result.h"

namespace eddy {

struct SupervisedCommand {
    std::string program;                 // the executable's path (not looked up in PATH)
    std::vector<std::string> args;       // argv[0] first
    std::vector<std::string> env_set;    // "NAME=VALUE": added to the environment, or replacing
    std::vector<std::string> env_unset;  // names left out of the environment
    std::string output_path;             // stdout and stderr, appended; created if missing
};

// Starts the child; its pid, or one line saying why it could not start (the output file cannot
// be opened, fork fails, or exec fails: the child reports exec's errno before it exits).
Result<pid_t, std::string> spawn_supervised(const SupervisedCommand& command);

// "exit 0", "exit 2", "signal 9 (Killed)" for a waitpid status.
std::string describe_wait_status(int status);

}  // namespace eddy
