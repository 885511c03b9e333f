// Determinism across processes.
//
//   eddy sim run … --hash-chain FILE      one line per step: "<step> <virtual ns> <hash> <what>"
//   eddy sim check-determinism --scenario S --seed N [--planted-bug | --plant-bug BUG] [--context K]
//
// check-determinism runs the seed in two child processes of this same binary (`sim run
// --hash-chain`, each chain through a pipe), reads both chains in step and stops at the first line
// that differs: it prints the steps before it that both runs took, then each run's diverging step
// and the few after it, and exits 1. When the chains agree to the end it prints one line with the
// step count and the final hash (the trace hash `sim run` prints) and exits 0. Two processes, not
// two runs in one: state that leaks between runs in a process, and addresses (ASLR gives each
// process others), differ there as they would on two machines.
//
// `sim run --plant-nondeterminism` (hidden; for the test that proves the check bites) adds a
// world fiber that orders work by heap addresses, the bug class this check exists for.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cinttypes>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "runtime/main/commands.h"
#include "runtime/main/sim_cli.h"
#include "scenarios/scenario.h"
#include "sim/world.h"

namespace eddy::cli {
namespace {

// --- sim run --hash-chain / --plant-nondeterminism ------------------------------------------

struct RunHooks {
    FILE* chain = nullptr;
    bool plant = false;
    ~RunHooks() {
        if (chain != nullptr) {
            std::fclose(chain);  // flushes: the chain is complete when the process ends
        }
    }
};

RunHooks& run_hooks() {
    static RunHooks hooks;
    return hooks;
}

// The planted nondeterminism: three rounds, each sharding eight fresh heap objects by their
// address, as code that spreads work by `this` might, and spawning a fiber per object in shard
// order. The objects' addresses move with ASLR, so another process shards, and runs, them in
// another order. (ASan's allocator hands out the same heap addresses in every process, so the
// address of a static, which moves with the executable's load address, is mixed in too.)
void plant_nondeterminism(sim::SimWorld& world) {
    static const int load_address_marker = 0;
    world.spawn("plant-nondeterminism", [&world] {
        for (uint64_t shards : {7U, 11U, 13U}) {
            (void)world.world_env().scheduler.sleep_for(Duration::millis(50));
            std::vector<std::unique_ptr<uint64_t>> objects;
            std::multimap<uint64_t, uint64_t> by_shard;
            for (uint64_t i = 0; i < 8; ++i) {
                objects.push_back(std::make_unique<uint64_t>(i));
                const auto address = reinterpret_cast<uintptr_t>(objects.back().get()) ^
                                     reinterpret_cast<uintptr_t>(&load_address_marker);
                by_shard.emplace((address >> 4) % shards, i);
            }
            for (const auto& entry : by_shard) {
                world.spawn("planted-" + std::to_string(entry.second), [] {});
            }
        }
    });
}

void install_world_hook() {
    sim::SimWorld::set_creation_hook([](sim::SimWorld& world) {
        RunHooks& h = run_hooks();
        if (h.chain != nullptr) {
            FILE* out = h.chain;
            world.record_steps([out](std::string_view line) {
                std::fwrite(line.data(), 1, line.size(), out);
                std::fputc('\n', out);
            });
        }
        if (h.plant) {
            plant_nondeterminism(world);
        }
    });
}

// --- check-determinism ---------------------------------------------------------------------------

struct Child {
    pid_t pid = -1;
    FILE* chain = nullptr;  // read end of its chain pipe
};

// Starts `eddy sim run … --hash-chain /dev/fd/3` with the pipe's write end as fd 3 and stdout on
// /dev/null (stderr stays: an assertion is worth seeing).
bool start_child(const std::string& exe, const std::vector<std::string>& args, Child& out) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) {  // the other child must not hold this pipe open
        return false;
    }
    const pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return false;
    }
    if (pid == 0) {
        close(fds[0]);
        if (fds[1] == 3) {
            (void)fcntl(3, F_SETFD, 0);  // dup2 onto itself would keep close-on-exec
        } else if (dup2(fds[1], 3) < 0) {  // dup2 clears close-on-exec on the copy
            _exit(127);
        }
        const int null = open("/dev/null", O_WRONLY);
        if (null >= 0) {
            dup2(null, STDOUT_FILENO);
            close(null);
        }
        std::vector<char*> argv;
        argv.reserve(args.size() + 1);
        for (const auto& a : args) {
            argv.push_back(const_cast<char*>(a.c_str()));
        }
        argv.push_back(nullptr);
        execv(exe.c_str(), argv.data());
        _exit(127);
    }
    close(fds[1]);
    out.pid = pid;
    out.chain = fdopen(fds[0], "r");
    return out.chain != nullptr;
}

// One line without its newline; false at the end of the stream.
bool read_line(FILE* f, std::string& line) {
    static char* buf = nullptr;  // getline's buffer, reused (and kept) for the whole check
    static size_t cap = 0;
    const ssize_t n = getline(&buf, &cap, f);
    if (n <= 0) {
        line.clear();
        return false;
    }
    const auto len = static_cast<size_t>(n);
    line.assign(buf, buf[len - 1] == '\n' ? len - 1 : len);
    return true;
}

// "<step> <ns> <hash> <what>": the fields before the description.
struct ChainHead {
    std::string step;
    std::string time_ns;
    std::string hash;
};

ChainHead head_of(const std::string& line) {
    ChainHead h;
    size_t a = line.find(' ');
    size_t b = a == std::string::npos ? a : line.find(' ', a + 1);
    size_t c = b == std::string::npos ? b : line.find(' ', b + 1);
    h.step = line.substr(0, a);
    if (b != std::string::npos) {
        h.time_ns = line.substr(a + 1, b - a - 1);
        h.hash = line.substr(b + 1, c == std::string::npos ? std::string::npos : c - b - 1);
    }
    return h;
}

int exit_status(pid_t pid) {
    int status = 0;
    if (waitpid(pid, &status, 0) != pid) {
        return -1;
    }
    if (WIFEXITED(status)) {
        return WEXITSTATUS(status);
    }
    return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : -1;
}

std::string self_exe() {
    char buf[PATH_MAX];
    const ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
    if (n <= 0) {
        return "/proc/self/exe";
    }
    return std::string(buf, static_cast<size_t>(n));
}

struct CheckArgs {
    std::string scenario;
    uint64_t seed = 1;
    bool planted_bug = false;
    std::string plant_bug;
    bool plant_nondeterminism = false;
    size_t context = 5;
};

int check_determinism(const CheckArgs& a) {
    const auto* scenario = scenarios::find_scenario(a.scenario);
    if (scenario == nullptr) {
        return sim_cli::unknown_scenario(a.scenario);
    }
    const auto bug = sim_cli::bug_to_plant(*scenario, a.planted_bug, a.plant_bug,
                                           "check-determinism");
    if (!bug) {
        return 2;
    }
    const std::string exe = self_exe();
    std::vector<std::string> args = {"eddy",   "sim",         "run",
                                     "--scenario", a.scenario, "--seed",
                                     std::to_string(a.seed), "--hash-chain", "/dev/fd/3"};
    if (!bug->empty()) {
        args.emplace_back("--plant-bug");
        args.emplace_back(*bug);
    }
    if (a.plant_nondeterminism) {
        args.emplace_back("--plant-nondeterminism");
    }
    std::fflush(stdout);
    std::fflush(stderr);
    Child runs[2];
    for (auto& r : runs) {
        if (!start_child(exe, args, r)) {
            std::fprintf(stderr, "eddy sim check-determinism: cannot start %s\n", exe.c_str());
            return 2;
        }
    }
    const std::string replay = "eddy sim run --scenario " + a.scenario + " --seed " +
                               std::to_string(a.seed) + (bug->empty() ? "" : " --plant-bug " + *bug) +
                               (a.plant_nondeterminism ? " --plant-nondeterminism" : "");

    std::deque<std::string> before;  // the last common steps
    std::string line[2];
    std::string last;
    uint64_t common = 0;
    bool more[2] = {true, true};
    while (true) {
        more[0] = read_line(runs[0].chain, line[0]);
        more[1] = read_line(runs[1].chain, line[1]);
        if (!more[0] || !more[1] || line[0] != line[1]) {
            break;
        }
        ++common;
        last = line[0];
        before.push_back(line[0]);
        if (before.size() > a.context) {
            before.pop_front();
        }
    }
    if (more[0] || more[1]) {
        // Diverged (or one run stopped early): show where, and what each run did next.
        std::printf("NONDETERMINISM: scenario=%s seed=%llu: the runs diverge after %llu common "
                    "steps\n",
                    a.scenario.c_str(), static_cast<unsigned long long>(a.seed),
                    static_cast<unsigned long long>(common));
        std::printf("common steps before the divergence:\n");
        for (const auto& l : before) {
            std::printf("  %s\n", l.c_str());
        }
        for (int side = 0; side < 2; ++side) {
            std::printf("run %c:\n", side == 0 ? 'A' : 'B');
            if (!more[side]) {
                std::printf("> (the run ended here)\n");
                continue;
            }
            std::printf("> %s\n", line[side].c_str());
            std::string next;
            for (size_t i = 0; i < a.context && read_line(runs[side].chain, next); ++i) {
                std::printf("  %s\n", next.c_str());
            }
        }
        std::printf("replay: %s --hash-chain FILE (in two processes, then diff the files)\n",
                    replay.c_str());
        for (auto& r : runs) {
            kill(r.pid, SIGKILL);
            std::fclose(r.chain);
            (void)exit_status(r.pid);
        }
        return 1;
    }
    int status[2];
    for (int i = 0; i < 2; ++i) {
        std::fclose(runs[i].chain);
        status[i] = exit_status(runs[i].pid);
    }
    if (common == 0) {
        std::printf("eddy sim check-determinism: the runs recorded no steps (exit status %d, %d)\n",
                    status[0], status[1]);
        return 2;
    }
    if (status[0] != status[1]) {
        std::printf("NONDETERMINISM: scenario=%s seed=%llu: the same %llu steps, but the runs "
                    "exited with %d and %d\n",
                    a.scenario.c_str(), static_cast<unsigned long long>(a.seed),
                    static_cast<unsigned long long>(common), status[0], status[1]);
        return 1;
    }
    const ChainHead h = head_of(last);
    std::printf("deterministic: scenario=%s seed=%llu steps=%s trace_hash=%s simulated_ns=%s "
                "(two processes, exit status %d)\n",
                a.scenario.c_str(), static_cast<unsigned long long>(a.seed), h.step.c_str(),
                h.hash.c_str(), h.time_ns.c_str(), status[0]);
    return 0;
}

}  // namespace

void add_sim_run_determinism_options(CLI::App& run) {
    // Option callbacks run while the command line is parsed, before `run` runs the scenario.
    run.add_option_function<std::string>(
        "--hash-chain",
        [](const std::string& path) {
            FILE* f = std::fopen(path.c_str(), "w");
            if (f == nullptr) {
                throw CLI::ValidationError("--hash-chain", "cannot write " + path);
            }
            static char buffer[1 << 20];
            std::setvbuf(f, buffer, _IOFBF, sizeof buffer);
            run_hooks().chain = f;
            install_world_hook();
        },
        "Write the hash chain to FILE: one line per step (step, virtual ns, running hash, what "
        "happened); two runs of a seed must write the same file");
    run.add_flag_function(
           "--plant-nondeterminism",
           [](int64_t) {
               run_hooks().plant = true;
               install_world_hook();
           },
           "Test only: add a fiber that orders work by heap addresses")
        ->group("");  // hidden
}

void add_sim_check_command(CLI::App& sim, int& exit_code) {
    auto args = std::make_shared<CheckArgs>();
    auto* check = sim.add_subcommand(
        "check-determinism",
        "Run a seed in two processes and compare their hash chains step by step; print the first "
        "step where they differ");
    check->add_option("--scenario", args->scenario, "Scenario name (see `eddy sim list`)")
        ->required();
    check->add_option("--seed", args->seed, "Seed");
    auto* planted_flag =
        check->add_flag("--planted-bug", args->planted_bug, "Plant the bug the scenario hunts");
    check->add_option("--plant-bug", args->plant_bug, "Plant the named bug (see `eddy sim list`)")
        ->excludes(planted_flag);
    check->add_option("--context", args->context, "Steps shown around a divergence (default 5)");
    check->add_flag("--plant-nondeterminism", args->plant_nondeterminism,
                    "Test only: plant a nondeterminism (work ordered by heap addresses)")
        ->group("");
    check->callback([args, &exit_code] { exit_code = check_determinism(*args); });
}

}  // namespace eddy::cli
