// Child processes run in parallel (runtime/child_process.h): output captured from both streams,
// exit codes and signals, programs that cannot start, every command reported once, never more
// than `jobs` at a time, the output cap and the timeout. The children are /bin/sh one-liners;
// the only real time spent is theirs (the timeout case waits for its 0.2 s limit).
#include "runtime/child_process.h"

#include <doctest/doctest.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <map>
#include <string>
#include <vector>

namespace eddy {
namespace {

ChildCommand sh(const std::string& script) { return {"/bin/sh", {"sh", "-c", script}}; }

std::map<size_t, ChildOutcome> run_all(const std::vector<ChildCommand>& commands,
                                       ChildPoolOptions options = {}) {
    std::map<size_t, ChildOutcome> out;
    run_child_processes(commands, options, [&](size_t i, ChildOutcome o) {
        CHECK(out.count(i) == 0);  // reported once
        out[i] = std::move(o);
    });
    return out;
}

TEST_CASE("child processes: output of both streams, exit codes and signals") {
    const auto out = run_all({sh("echo out; echo err >&2; exit 0"),
                              sh("exit 3"),
                              sh("kill -KILL $$"),
                              {"/nonexistent/eddy", {"eddy"}}});
    REQUIRE(out.size() == 4);
    CHECK(out.at(0).succeeded());
    CHECK(out.at(0).output == "out\nerr\n");
    CHECK(out.at(1).exit_code == 3);
    CHECK_FALSE(out.at(1).succeeded());
    CHECK(out.at(1).describe() == "exit 3");
    CHECK(out.at(2).signal == SIGKILL);
    CHECK(out.at(2).describe().starts_with("signal 9"));
    CHECK_FALSE(out.at(3).spawn_error.empty());
    CHECK(out.at(3).describe().starts_with("cannot start: /nonexistent/eddy"));
}

TEST_CASE("child processes: every command once, never more than `jobs` at a time") {
    // Each child holds a directory in `dir` while it runs and counts the ones there: never more
    // than the children running at once.
    char templ[] = "/tmp/eddy-child-test-XXXXXX";
    REQUIRE(::mkdtemp(templ) != nullptr);
    const std::string dir = templ;
    std::vector<ChildCommand> commands;
    for (int i = 0; i < 12; ++i) {
        const std::string mine = dir + "/" + std::to_string(i);
        commands.push_back(
            sh("mkdir " + mine + "; ls " + dir + " | wc -l; sleep 0.02; rmdir " + mine));
    }
    ChildPoolOptions options;
    options.jobs = 3;
    const auto out = run_all(commands, options);
    ::rmdir(dir.c_str());
    REQUIRE(out.size() == commands.size());
    for (const auto& entry : out) {
        CAPTURE(entry.first);
        CHECK(entry.second.succeeded());
        const int seen = std::stoi(entry.second.output);
        CHECK(seen >= 1);
        CHECK(seen <= 3);
    }
}

TEST_CASE("child processes: output past the cap is counted, not kept") {
    ChildPoolOptions options;
    options.output_bytes_max = 10;
    const auto out = run_all({sh("printf '0123456789abcdef'")}, options);
    CHECK(out.at(0).output == "0123456789");
    CHECK(out.at(0).output_dropped == 6);
}

TEST_CASE("child processes: a child past its timeout is killed and says so") {
    ChildPoolOptions options;
    options.jobs = 2;
    options.timeout = std::chrono::duration<double>(0.2);
    const auto out = run_all({sh("echo started; exec sleep 30"), sh("echo quick")}, options);
    CHECK(out.at(0).timed_out);
    CHECK(out.at(0).signal == SIGKILL);
    CHECK(out.at(0).output == "started\n");
    CHECK(out.at(0).describe().starts_with("timed out after"));
    CHECK(out.at(1).succeeded());
    CHECK_FALSE(out.at(1).timed_out);
}

TEST_CASE("child processes: at least one CPU") { CHECK(available_cpus() >= 1); }

}  // namespace
}  // namespace eddy
