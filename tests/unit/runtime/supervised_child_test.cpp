// Long-running supervised children (runtime/supervised_child.h), with /bin/sh one-liners: the
// output file gets both streams appended, the environment is ours with the names set and unset,
// the child leads a process group of its own with no signal blocked, and a program that cannot
// be executed is an error naming it (not a child that exits 127).
#include "runtime/supervised_child.h"

#include <doctest/doctest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

namespace eddy {
namespace {

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

int wait_for(pid_t pid) {
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    return status;
}

TEST_CASE("supervised child: output appended, environment, own process group, no signal blocked") {
    char templ[] = "/tmp/eddy-supervised-test-XXXXXX";
    REQUIRE(::mkdtemp(templ) != nullptr);
    const std::string out = std::string(templ) + "/out.log";
    ::setenv("EDDY_TEST_KEPT", "kept", 1);
    ::setenv("EDDY_TEST_DROPPED", "dropped", 1);
    // Blocked here, as eddy dev blocks it: the child must not inherit that.
    sigset_t term;
    sigemptyset(&term);
    sigaddset(&term, SIGTERM);
    sigset_t old;
    REQUIRE(::sigprocmask(SIG_BLOCK, &term, &old) == 0);
    SupervisedCommand cmd;
    cmd.program = "/bin/sh";
    cmd.args = {"sh", "-c",
                "echo \"$EDDY_TEST_KEPT ${EDDY_TEST_DROPPED:-unset} $EDDY_TEST_SET\"; "
                "echo err >&2; read -r pid comm state ppid pgrp rest < /proc/$$/stat; "
                "test \"$pgrp\" = $$ && echo leader; "
                "grep SigBlk /proc/self/status"};
    cmd.env_set = {"EDDY_TEST_SET=set"};
    cmd.env_unset = {"EDDY_TEST_DROPPED"};
    cmd.output_path = out;
    for (int round = 0; round < 2; ++round) {
        auto pid = spawn_supervised(cmd);
        REQUIRE(pid.ok());
        const int status = wait_for(*pid);
        CHECK(describe_wait_status(status) == "exit 0");
    }
    ::sigprocmask(SIG_SETMASK, &old, nullptr);
    ::unsetenv("EDDY_TEST_KEPT");
    ::unsetenv("EDDY_TEST_DROPPED");
    const std::string once = "kept unset set\nerr\nleader\nSigBlk:\t0000000000000000\n";
    CHECK(read_file(out) == once + once);  // appended, not truncated
    std::remove(out.c_str());
    ::rmdir(templ);
}

TEST_CASE("supervised child: exit statuses and a program that cannot run") {
    SupervisedCommand cmd;
    cmd.program = "/bin/sh";
    cmd.args = {"sh", "-c", "kill -KILL $$"};
    cmd.output_path = "/dev/null";
    auto pid = spawn_supervised(cmd);
    REQUIRE(pid.ok());
    CHECK(describe_wait_status(wait_for(*pid)).starts_with("signal 9 ("));
    cmd.args = {"sh", "-c", "exit 3"};
    pid = spawn_supervised(cmd);
    REQUIRE(pid.ok());
    CHECK(describe_wait_status(wait_for(*pid)) == "exit 3");

    cmd.program = "/nonexistent/eddy";
    auto missing = spawn_supervised(cmd);
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.error() == "cannot run /nonexistent/eddy: No such file or directory");
    cmd.program = "/bin/sh";
    cmd.output_path = "/nonexistent/dir/out.log";
    auto no_output = spawn_supervised(cmd);
    REQUIRE_FALSE(no_output.ok());
    CHECK(no_output.error() == "cannot open /nonexistent/dir/out.log: No such file or directory");
}

}  // namespace
}  // namespace eddy
