// `eddy sim …`: list, run and sweep the simulation scenarios; check determinism.
//
//   eddy sim list
//   eddy sim run --scenario NAME --seed N [--trace FILE] [--planted-bug]
//                [--faults FILE] [--write-faults FILE]
//   eddy sim shrink --scenario NAME --seed N [--planted-bug]   (sim_shrink.cpp)
//   eddy sim suite [--scenario NAME]... [--seeds A-B] [--check-determinism] [--planted-bug]
//   eddy sim viz elections TRACE [-o FILE.svg|.png|.dot]   (sim_viz.cpp)
//   eddy sim check-determinism --scenario NAME --seed N    (sim_check.cpp)
//
// A run ends with one line: scenario=… seed=… result=pass|fail [checker=NAME] trace_hash=<hex> …;
// a failure names the checker that failed it and prints the command that replays it bit for bit.
//
// `suite --planted-bug` plants each scenario's known bug and counts a seed as caught only when
// the run fails with the checker that bug targets (Scenario::planted_bug_checker): a run that
// times out, stalls (liveness) or trips another checker is a miss. Each bug must be caught on at
// least 80% of the seeds (8 of 10); "caught N/M" is printed per bug.
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "runtime/main/commands.h"
#include "scenarios/nemesis.h"
#include "scenarios/scenario.h"
#include "sim/trace_log.h"

namespace eddy::cli {
namespace {

struct SeedRange {
    uint64_t first = 1;
    uint64_t last = 1;
};

bool parse_seeds(const std::string& s, SeedRange& out) {
    const auto dash = s.find('-');
    try {
        if (dash == std::string::npos) {
            out.first = out.last = std::stoull(s);
        } else {
            out.first = std::stoull(s.substr(0, dash));
            out.last = std::stoull(s.substr(dash + 1));
        }
    } catch (const std::exception&) {
        return false;
    }
    return out.first <= out.last;
}

std::string result_line(const scenarios::Scenario& s, uint64_t seed,
                        const scenarios::RunResult& r) {
    char buf[512];
    std::snprintf(buf, sizeof buf,
                  "scenario=%s seed=%llu result=%s%s%s trace_hash=%s events=%llu steps=%llu "
                  "simulated_s=%.3f",
                  s.name.c_str(), static_cast<unsigned long long>(seed),
                  r.verdict.pass ? "pass" : "fail",
                  r.verdict.pass ? "" : " checker=", r.verdict.checker.c_str(),
                  sim::hex64(r.trace_hash).c_str(), static_cast<unsigned long long>(r.trace_events),
                  static_cast<unsigned long long>(r.steps), r.simulated.to_seconds());
    std::string line = buf;
    if (!r.verdict.message.empty()) {
        line += " message=\"" + r.verdict.message + "\"";
    }
    return line;
}

void print_replay(const scenarios::Scenario& s, uint64_t seed, bool planted) {
    std::printf("replay: eddy sim run --scenario %s --seed %llu%s --trace %s-%llu.jsonl\n",
                s.name.c_str(), static_cast<unsigned long long>(seed),
                planted ? " --planted-bug" : "", s.name.c_str(),
                static_cast<unsigned long long>(seed));
}

Result<scenarios::FaultSchedule, std::string> load_fault_schedule(const std::string& path) {
    std::ifstream in(path);
    if (!in) {
        return fail("cannot read " + path);
    }
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto s = scenarios::FaultSchedule::parse(text);
    if (!s.ok()) {
        return fail(path + ": " + s.error());
    }
    return std::move(s).value();
}

int unknown_scenario(const std::string& name) {
    std::fprintf(stderr, "eddy sim: no scenario named '%s' (see `eddy sim list`)\n", name.c_str());
    return 2;
}

}  // namespace

void add_sim_commands(CLI::App& app, int& exit_code) {
    auto* sim = app.add_subcommand("sim", "Deterministic simulation: scenarios, seeds, traces");
    sim->require_subcommand(1);

    auto* list = sim->add_subcommand("list", "List the scenarios");
    list->callback([] {
        for (const auto& s : scenarios::all_scenarios()) {
            std::printf("%-20s %s\n", s.name.c_str(), s.description.c_str());
        }
    });

    struct RunArgs {
        std::string scenario;
        uint64_t seed = 1;
        std::string trace;
        bool planted = false;
        std::string faults;        // a schedule to replay instead of drawing one
        std::string write_faults;  // where to write the schedule the run applied
    };
    auto run_args = std::make_shared<RunArgs>();
    auto* run = sim->add_subcommand("run", "Run one scenario with one seed");
    run->add_option("--scenario", run_args->scenario, "Scenario name (see `eddy sim list`)")
        ->required();
    run->add_option("--seed", run_args->seed, "Seed: the same seed replays the same run");
    run->add_option("--trace", run_args->trace, "Write the trace (JSON Lines) to this file");
    run->add_flag("--planted-bug", run_args->planted,
                  "Plant the scenario's known bug (its checker must catch it)");
    run->add_option("--faults", run_args->faults,
                    "Replay this fault schedule instead of drawing one (the rest of the run "
                    "still comes from the seed)");
    run->add_option("--write-faults", run_args->write_faults,
                    "Write the fault schedule the run applied to this file");
    add_sim_run_determinism_options(*run);  // --hash-chain (sim_check.cpp)
    run->callback([run_args, &exit_code] {
        const auto* s = scenarios::find_scenario(run_args->scenario);
        if (s == nullptr) {
            exit_code = unknown_scenario(run_args->scenario);
            return;
        }
        std::unique_ptr<std::ofstream> out;
        scenarios::RunOptions o;
        o.seed = run_args->seed;
        o.planted_bug = run_args->planted;
        if (!run_args->faults.empty()) {
            auto loaded = load_fault_schedule(run_args->faults);
            if (!loaded.ok()) {
                std::fprintf(stderr, "eddy sim: %s\n", loaded.error().c_str());
                exit_code = 2;
                return;
            }
            o.faults = std::make_shared<const scenarios::FaultSchedule>(std::move(loaded).value());
        }
        if (!run_args->write_faults.empty()) {
            const std::string path = run_args->write_faults;
            o.faults_sink = [path](const scenarios::FaultSchedule& schedule) {
                std::ofstream f(path);
                f << schedule.to_text();
            };
        }
        if (!run_args->trace.empty()) {
            out = std::make_unique<std::ofstream>(run_args->trace);
            if (!*out) {
                std::fprintf(stderr, "eddy sim: cannot write %s\n", run_args->trace.c_str());
                exit_code = 2;
                return;
            }
            o.trace_sink = [&out](std::string_view line) {
                out->write(line.data(), static_cast<std::streamsize>(line.size()));
                out->put('\n');
            };
        }
        const auto r = s->run(o);
        std::printf("%s\n", result_line(*s, o.seed, r).c_str());
        if (o.planted_bug) {
            std::printf("planted bug %s by %s\n",
                        scenarios::planted_bug_caught(*s, r) ? "caught" : "NOT caught",
                        s->planted_bug_checker.c_str());
        }
        if (!r.verdict.pass) {
            print_replay(*s, o.seed, o.planted_bug);
            exit_code = 1;
        }
    });

    struct SuiteArgs {
        std::vector<std::string> scenarios;
        std::string seeds = "1-20";
        bool determinism = false;
        bool planted = false;
    };
    auto suite_args = std::make_shared<SuiteArgs>();
    add_sim_viz_command(*sim, exit_code);
    add_sim_shrink_command(*sim, exit_code);
    add_sim_check_command(*sim, exit_code);
    auto* suite = sim->add_subcommand("suite", "Run scenarios over a range of seeds");
    suite->add_option("--scenario", suite_args->scenarios, "Scenario(s) to run (default: all)");
    suite->add_option("--seeds", suite_args->seeds, "Seed range A-B (default 1-20)");
    suite->add_flag("--check-determinism", suite_args->determinism,
                    "Run every seed twice: the trace hashes must match, and differ across seeds");
    suite->add_flag("--planted-bug", suite_args->planted,
                    "Plant each scenario's known bug: passes only if the checker it targets "
                    "reports it on at least 80% of the seeds (8 of 10)");
    suite->callback([suite_args, &exit_code] {
        SeedRange range;
        if (!parse_seeds(suite_args->seeds, range)) {
            std::fprintf(stderr, "eddy sim suite: --seeds wants A-B with A <= B, got '%s'\n",
                         suite_args->seeds.c_str());
            exit_code = 2;
            return;
        }
        std::vector<const scenarios::Scenario*> chosen;
        if (suite_args->scenarios.empty()) {
            for (const auto& s : scenarios::all_scenarios()) {
                chosen.push_back(&s);
            }
        }
        for (const auto& name : suite_args->scenarios) {
            const auto* s = scenarios::find_scenario(name);
            if (s == nullptr) {
                exit_code = unknown_scenario(name);
                return;
            }
            chosen.push_back(s);
        }
        int passed = 0;
        int failed = 0;
        int nondeterministic = 0;
        int bugs_caught = 0;
        int bugs_missed = 0;
        const uint64_t seeds = range.last - range.first + 1;
        for (const auto* s : chosen) {
            std::set<uint64_t> hashes;
            uint64_t caught = 0;
            for (uint64_t seed = range.first; seed <= range.last; ++seed) {
                scenarios::RunOptions o;
                o.seed = seed;
                o.planted_bug = suite_args->planted;
                const auto r = s->run(o);
                std::printf("%s\n", result_line(*s, seed, r).c_str());
                std::fflush(stdout);
                hashes.insert(r.trace_hash);
                // With the bug planted, a seed passes when the targeted checker caught it.
                bool ok =
                    suite_args->planted ? scenarios::planted_bug_caught(*s, r) : r.verdict.pass;
                if (ok && suite_args->planted) {
                    ++caught;
                }
                if (suite_args->determinism) {
                    const auto again = s->run(o);
                    if (again.trace_hash != r.trace_hash) {
                        std::printf("NONDETERMINISM: scenario=%s seed=%llu hashes %s then %s\n",
                                    s->name.c_str(), static_cast<unsigned long long>(seed),
                                    sim::hex64(r.trace_hash).c_str(),
                                    sim::hex64(again.trace_hash).c_str());
                        ok = false;
                        ++nondeterministic;
                    }
                }
                if (!ok) {
                    print_replay(*s, seed, o.planted_bug);
                }
                (ok ? passed : failed) += 1;
            }
            if (suite_args->determinism && range.last > range.first && hashes.size() == 1) {
                std::printf("NONDETERMINISM: scenario=%s: every seed gave the same trace\n",
                            s->name.c_str());
                ++failed;
                ++nondeterministic;
            }
            if (suite_args->planted) {
                const bool enough = caught >= scenarios::planted_catches_needed(seeds);
                std::printf(
                    "planted bug in %s: caught %llu/%llu by %s (need %llu)%s\n", s->name.c_str(),
                    static_cast<unsigned long long>(caught), static_cast<unsigned long long>(seeds),
                    s->planted_bug_checker.c_str(),
                    static_cast<unsigned long long>(scenarios::planted_catches_needed(seeds)),
                    enough ? "" : " FAILED");
                std::fflush(stdout);
                (enough ? bugs_caught : bugs_missed) += 1;
            }
        }
        if (suite_args->planted) {
            // A seed that misses the bug is no failure by itself; a bug caught on too few seeds
            // is (and so is nondeterminism).
            std::printf("planted bugs: %d caught often enough, %d not\n", bugs_caught, bugs_missed);
            exit_code = bugs_missed == 0 && nondeterministic == 0 ? 0 : 1;
            return;
        }
        std::printf("%d passed, %d failed\n", passed, failed);
        exit_code = failed == 0 ? 0 : 1;
    });
}

}  // namespace eddy::cli
