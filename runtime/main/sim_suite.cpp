// `eddy sim suite`: sweeps scenarios over seeds, each run in its own child process.
//
//   eddy sim suite [--scenarios GLOB]... [--seeds A-B | --random N] [--jobs N] [--junit FILE]
//                  [--check-determinism] [--planted-bug | --plant-bug NAME] [--timeout S] [-v]
//
// Each (scenario, seed) is `/proc/self/exe sim run --scenario S --seed N [--plant-bug B]`, run
// through runtime/child_process.h with at most --jobs at a time (default: the CPUs this process
// may use); the suite reads the child's result line back (sim_cli.h). A run that crashes (an
// ASSERT), prints no result or outlives --timeout fails as checker `crash` or `wall-timeout`.
// Running apart means one crashing seed cannot take the sweep down, and a sweep uses every core.
//
// Output (stdout): one `FAIL …` line per failure as it is known, with its replay command (and a
// `MISS …` line per seed a planted bug went uncaught); per scenario a summary; last `passed=N
// failed=N …`. The exit code is 1 on any failure, 2 on bad arguments.
// On a terminal, stderr shows progress.
//
// --check-determinism: every seed runs in two processes whose trace hashes must match (else the
// seed fails as checker `determinism`, replayed with `eddy sim check-determinism`), and the seeds
// of a scenario must not all give one hash.
//
// Planted bugs (scenarios/planted_bugs.h): --planted-bug plants every bug in each chosen scenario
// that hunts it, --plant-bug NAME one bug in its hunting scenarios. A seed then counts as caught
// only when its run fails with the checker the bug targets; a miss is no failure by itself, but a
// bug caught on fewer than 80% of the seeds is. Per bug and scenario: `planted=B caught=K/N
// rate=P% …`; the last line counts bugs: `passed=<bugs caught often enough> failed=<bugs not,
// plus nondeterministic seeds> caught=K/N`.
#include <fnmatch.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "runtime/child_process.h"
#include "runtime/junit_xml.h"
#include "runtime/main/commands.h"
#include "runtime/main/sim_cli.h"
#include "scenarios/planted_bugs.h"
#include "scenarios/scenario.h"

namespace eddy::cli {
namespace {

using scenarios::Hunt;
using scenarios::PlantedBug;
using scenarios::Scenario;

constexpr const char* checker_determinism = "determinism";
constexpr const char* checker_crash = "crash";
constexpr const char* checker_wall_timeout = "wall-timeout";
// Output kept in the JUnit report of a failed seed (the end of it: where it failed).
constexpr size_t junit_output_bytes_max = 64 * 1024;

struct SuiteArgs {
    std::vector<std::string> scenarios;  // shell globs
    std::string seeds;
    uint64_t random = 0;
    size_t jobs = 0;  // 0: the CPUs
    std::string junit;
    bool determinism = false;
    bool planted = false;
    std::string plant_bug;
    double timeout_s = 900;
    bool verbose = false;
};

// A scenario swept over the seeds, with one bug planted or none.
struct Group {
    const Scenario* scenario = nullptr;
    const PlantedBug* bug = nullptr;  // null: nothing planted
    const Hunt* hunt = nullptr;       // the bug's hunt by this scenario
    std::string name() const {
        return bug == nullptr ? scenario->name : scenario->name + " plant-bug=" + bug->name;
    }
};

// What one child process reported.
struct RunReport {
    ChildOutcome outcome;
    bool has_result = false;
    scenarios::RunResult result;  // verdict and trace_hash (the rest is not read back)
    std::string trace_hash;       // as printed
    double simulated_s = 0;
};

enum class CaseState : uint8_t { passed, failed, caught, missed };

// One (group, seed): its one or two runs and, once they are in, its outcome.
struct Case {
    size_t group = 0;
    uint64_t seed = 0;
    std::vector<RunReport> runs;
    size_t runs_expected = 1;
    CaseState state = CaseState::passed;
    std::string checker;  // failed: why
    std::string message;
    std::string replay;
};

// Seeds: A-B or N.
std::optional<std::vector<uint64_t>> parse_seeds(const std::string& s) {
    uint64_t first = 0;
    uint64_t last = 0;
    const auto dash = s.find('-');
    try {
        size_t used = 0;
        first = std::stoull(s.substr(0, dash), &used);
        if (used != s.substr(0, dash).size()) {
            return std::nullopt;
        }
        last = first;
        if (dash != std::string::npos) {
            const std::string tail = s.substr(dash + 1);
            last = std::stoull(tail, &used);
            if (used != tail.size()) {
                return std::nullopt;
            }
        }
    } catch (const std::exception&) {
        return std::nullopt;
    }
    if (first > last || last - first >= 1'000'000) {
        return std::nullopt;
    }
    std::vector<uint64_t> seeds;
    for (uint64_t seed = first; seed <= last; ++seed) {
        seeds.push_back(seed);
    }
    return seeds;
}

// N distinct seeds from the operating system's random source.
std::vector<uint64_t> random_seeds(uint64_t n) {
    std::random_device device;
    std::set<uint64_t> seen;
    std::vector<uint64_t> seeds;
    while (seeds.size() < n) {
        const uint64_t seed =
            1 + (static_cast<uint64_t>(device()) << 16 ^ device()) % 0xFFFFFFFFFFu;
        if (seen.insert(seed).second) {
            seeds.push_back(seed);
        }
    }
    return seeds;
}

// The scenarios the globs name, in catalogue order; nullopt (said on stderr) when a glob
// matches none.
std::optional<std::vector<const Scenario*>> choose_scenarios(
    const std::vector<std::string>& globs) {
    std::vector<const Scenario*> chosen;
    for (const auto& glob : globs) {
        bool any = false;
        for (const auto& s : scenarios::all_scenarios()) {
            if (::fnmatch(glob.c_str(), s.name.c_str(), 0) == 0) {
                any = true;
            }
        }
        if (!any) {
            sim_cli::unknown_scenario(glob);
            return std::nullopt;
        }
    }
    for (const auto& s : scenarios::all_scenarios()) {
        bool match = globs.empty();
        for (const auto& glob : globs) {
            match = match || ::fnmatch(glob.c_str(), s.name.c_str(), 0) == 0;
        }
        if (match) {
            chosen.push_back(&s);
        }
    }
    return chosen;
}

// The groups to sweep; nullopt (said on stderr) when the choice plants nothing it was asked to.
std::optional<std::vector<Group>> choose_groups(const SuiteArgs& a,
                                                const std::vector<const Scenario*>& chosen) {
    std::vector<Group> groups;
    const PlantedBug* only = nullptr;
    if (!a.plant_bug.empty()) {
        only = sim_cli::planted_bug_or_complain(a.plant_bug);
        if (only == nullptr) {
            return std::nullopt;
        }
    }
    for (const Scenario* s : chosen) {
        if (!a.planted && only == nullptr) {
            groups.push_back({s, nullptr, nullptr});
            continue;
        }
        for (const PlantedBug* bug : scenarios::planted_bugs_hunted_by(s->name)) {
            if (only == nullptr || only == bug) {
                groups.push_back({s, bug, scenarios::find_hunt(*bug, s->name)});
            }
        }
    }
    if (groups.empty()) {
        std::fprintf(stderr, "eddy sim suite: none of the scenarios chosen hunts %s\n",
                     only != nullptr ? only->name.c_str() : "a planted bug");
        return std::nullopt;
    }
    return groups;
}

std::vector<std::string> run_args(const Group& g, uint64_t seed) {
    std::vector<std::string> args = {
        "eddy", "sim", "run", "--scenario", g.scenario->name, "--seed", std::to_string(seed)};
    if (g.bug != nullptr) {
        args.push_back("--plant-bug");
        args.push_back(g.bug->name);
    }
    return args;
}

// The last non-empty line of a child's output (an assertion's message, usually).
std::string last_line(const std::string& output) {
    size_t end = output.find_last_not_of("\n\r ");
    if (end == std::string::npos) {
        return {};
    }
    const size_t start = output.rfind('\n', end);
    return output.substr(start == std::string::npos ? 0 : start + 1,
                         end + 1 - (start == std::string::npos ? 0 : start + 1));
}

RunReport read_report(ChildOutcome outcome) {
    RunReport r;
    r.outcome = std::move(outcome);
    const auto fields = sim_cli::parse_result_line(r.outcome.output);
    const bool exited = r.outcome.spawn_error.empty() && !r.outcome.timed_out &&
                        r.outcome.signal == 0 &&
                        (r.outcome.exit_code == 0 || r.outcome.exit_code == 1);
    if (!fields || !exited || !fields->contains("result") || !fields->contains("trace_hash")) {
        const std::string why = r.outcome.describe();
        const std::string last = last_line(r.outcome.output);
        r.result.verdict = scenarios::Verdict::violation(
            r.outcome.timed_out ? checker_wall_timeout : checker_crash,
            last.empty() ? why : why + ": " + last);
        return r;
    }
    const auto get = [&](const char* key) {
        const auto it = fields->find(key);
        return it == fields->end() ? std::string() : it->second;
    };
    r.has_result = true;
    r.trace_hash = get("trace_hash");
    r.result.verdict.pass = get("result") == "pass";
    r.result.verdict.checker = get("checker");
    r.result.verdict.message = get("message");
    r.simulated_s = std::atof(get("simulated_s").c_str());
    return r;
}

// The outcome of a case whose runs are all in.
void judge_case(Case& c, const Group& g, bool determinism) {
    const RunReport& first = c.runs[0];
    const std::string plant = g.bug != nullptr ? g.bug->name : std::string();
    c.replay = sim_cli::replay_command(g.scenario->name, c.seed, plant);
    if (determinism && c.runs.size() == 2) {
        const RunReport& second = c.runs[1];
        if (first.has_result && second.has_result && first.trace_hash != second.trace_hash) {
            c.state = CaseState::failed;
            c.checker = checker_determinism;
            c.message = "trace_hash " + first.trace_hash + " in one process, " + second.trace_hash +
                        " in another (" +
                        (first.result.verdict.pass ? "pass" : first.result.verdict.checker) +
                        " / " +
                        (second.result.verdict.pass ? "pass" : second.result.verdict.checker) + ")";
            c.replay = "eddy sim check-determinism --scenario " + g.scenario->name + " --seed " +
                       std::to_string(c.seed) + (plant.empty() ? "" : " --plant-bug " + plant);
            return;
        }
        if (first.has_result && !second.has_result) {
            // The second copy crashed or hung where the first did not: the run is not
            // reproducible, and its crash is what to look at.
            c.state = CaseState::failed;
            c.checker = second.result.verdict.checker;
            c.message = "second run: " + second.result.verdict.message;
            return;
        }
    }
    const auto& v = first.result.verdict;
    if (g.bug != nullptr) {
        c.state = scenarios::planted_bug_caught(*g.hunt, first.result) ? CaseState::caught
                                                                       : CaseState::missed;
    } else {
        c.state = v.pass ? CaseState::passed : CaseState::failed;
    }
    c.checker = v.checker;
    c.message = v.message;
}

// Terminal progress on stderr, erased before anything is printed on stdout.
class Progress {
public:
    explicit Progress(size_t total) : total_(total), on_(::isatty(STDERR_FILENO) == 1) {}
    void update(size_t done, size_t failed) {
        if (on_) {
            std::fprintf(stderr, "\r\x1b[K[%zu/%zu runs] failed=%zu", done, total_, failed);
            std::fflush(stderr);
        }
    }
    void clear() {
        if (on_) {
            std::fprintf(stderr, "\r\x1b[K");
            std::fflush(stderr);
        }
    }

private:
    size_t total_;
    bool on_;
};

std::string quote(const std::string& s) { return "\"" + s + "\""; }

std::string case_line(const char* tag, const Group& g, const Case& c) {
    std::string line =
        std::string(tag) + " scenario=" + g.scenario->name + " seed=" + std::to_string(c.seed);
    if (g.bug != nullptr) {
        line += " plant_bug=" + g.bug->name;
    }
    line += c.checker.empty() ? " result=pass" : " checker=" + c.checker;
    if (!c.message.empty()) {
        line += " message=" + quote(c.message);
    }
    return line + " replay: " + c.replay;
}

std::string tail_bytes(const std::string& s, size_t n) {
    return s.size() <= n ? s : "[…]" + s.substr(s.size() - n);
}

junit::TestCase junit_case(const Group& g, const Case& c) {
    junit::TestCase t;
    t.name = "seed=" + std::to_string(c.seed);
    t.classname = "eddy.sim." + g.scenario->name;
    for (const auto& r : c.runs) {
        t.seconds += r.outcome.wall.count();
    }
    switch (c.state) {
        case CaseState::passed:
            break;
        case CaseState::caught:
            // What the checker saw: the proof that it bites, shown next to the test.
            t.system_out =
                "caught by " + c.checker + ": " + c.message + "\nreplay: " + c.replay + "\n";
            break;
        case CaseState::failed:
            t.outcome = junit::Outcome::failed;
            t.message = c.checker;
            t.type = c.checker;
            t.details = c.message + "\nreplay: " + c.replay + "\n";
            t.system_out = tail_bytes(c.runs[0].outcome.output, junit_output_bytes_max);
            break;
        case CaseState::missed:
            // A miss is no failure by itself: the bug's catch rate is (its own test case).
            t.outcome = junit::Outcome::skipped;
            t.message = "planted bug " + g.bug->name + " not caught by " + g.hunt->checker;
            t.details = (c.checker.empty() ? std::string("the run passed")
                                           : "the run failed " + c.checker + ": " + c.message) +
                        "\nreplay: " + c.replay + "\n";
            break;
    }
    return t;
}

int run_suite(const SuiteArgs& a) {
    const auto chosen = choose_scenarios(a.scenarios);
    if (!chosen) {
        return 2;
    }
    const auto groups_or = choose_groups(a, *chosen);
    if (!groups_or) {
        return 2;
    }
    const std::vector<Group>& groups = *groups_or;
    std::vector<uint64_t> seeds;
    if (a.random > 0) {
        seeds = random_seeds(a.random);
        std::string list;
        for (uint64_t s : seeds) {
            list += (list.empty() ? "" : ",") + std::to_string(s);
        }
        std::printf("random seeds: %s\n", list.c_str());
    } else {
        auto parsed = parse_seeds(a.seeds.empty() ? "1-20" : a.seeds);
        if (!parsed) {
            std::fprintf(stderr, "eddy sim suite: --seeds wants A-B with A <= B, got '%s'\n",
                         a.seeds.c_str());
            return 2;
        }
        seeds = std::move(*parsed);
    }
    const size_t copies = a.determinism ? 2 : 1;
    std::vector<Case> cases;
    std::vector<ChildCommand> commands;
    std::vector<size_t> case_of;  // per command
    for (size_t gi = 0; gi < groups.size(); ++gi) {
        for (uint64_t seed : seeds) {
            Case c;
            c.group = gi;
            c.seed = seed;
            c.runs_expected = copies;
            cases.push_back(std::move(c));
            for (size_t k = 0; k < copies; ++k) {
                commands.push_back({"/proc/self/exe", run_args(groups[gi], seed)});
                case_of.push_back(cases.size() - 1);
            }
        }
    }
    ChildPoolOptions po;
    po.jobs = a.jobs > 0 ? a.jobs : available_cpus();
    po.timeout = std::chrono::duration<double>(a.timeout_s);
    std::printf(
        "suite: %zu scenario runs (%zu groups x %zu seeds)%s in %zu processes, %zu at a "
        "time\n",
        cases.size(), groups.size(), seeds.size(), a.determinism ? ", each twice" : "",
        commands.size(), po.jobs);
    std::fflush(stdout);

    const auto started = std::chrono::steady_clock::now();
    Progress progress(commands.size());
    size_t done = 0;
    size_t failed_cases = 0;
    // A command's runs land in its case in the order they finish; the first run is the one
    // judged, the second only compared.
    run_child_processes(commands, po, [&](size_t index, ChildOutcome outcome) {
        Case& c = cases[case_of[index]];
        const Group& g = groups[c.group];
        c.runs.push_back(read_report(std::move(outcome)));
        ++done;
        if (a.verbose) {
            progress.clear();
            const auto& run = c.runs.back();
            const std::string_view line = sim_cli::find_result_line(run.outcome.output);
            std::printf("%s\n", line.empty() ? ("scenario=" + g.scenario->name +
                                                " seed=" + std::to_string(c.seed) + " " +
                                                run.outcome.describe())
                                                   .c_str()
                                             : std::string(line).c_str());
        }
        if (c.runs.size() == c.runs_expected) {
            judge_case(c, g, a.determinism);
            if (c.state == CaseState::failed || c.state == CaseState::missed) {
                progress.clear();
                std::printf(
                    "%s\n",
                    case_line(c.state == CaseState::failed ? "FAIL" : "MISS", g, c).c_str());
            }
            failed_cases += c.state == CaseState::failed ? 1 : 0;
        }
        std::fflush(stdout);
        progress.update(done, failed_cases);
    });
    progress.clear();
    const std::chrono::duration<double> wall = std::chrono::steady_clock::now() - started;

    // Per group: counts, the distinct-hash rule, the catch rate.
    size_t passed = 0;
    size_t failed = 0;
    size_t bugs_passed = 0;
    size_t bugs_failed = 0;
    size_t caught_total = 0;
    std::vector<junit::TestSuite> report;
    for (size_t gi = 0; gi < groups.size(); ++gi) {
        const Group& g = groups[gi];
        junit::TestSuite suite;
        suite.name = g.name();
        size_t g_passed = 0;
        size_t g_failed = 0;
        size_t g_caught = 0;
        double g_seconds = 0;
        std::set<std::string> hashes;
        bool all_hashed = true;
        for (const Case& c : cases) {
            if (c.group != gi) {
                continue;
            }
            g_passed += c.state == CaseState::passed ? 1 : 0;
            g_failed += c.state == CaseState::failed ? 1 : 0;
            g_caught += c.state == CaseState::caught ? 1 : 0;
            for (const auto& r : c.runs) {
                g_seconds += r.outcome.wall.count();
            }
            all_hashed = all_hashed && c.runs[0].has_result;
            hashes.insert(c.runs[0].trace_hash);
            suite.cases.push_back(junit_case(g, c));
        }
        if (a.determinism && seeds.size() > 1 && all_hashed && hashes.size() == 1) {
            const std::string why = "every seed gave trace_hash " + *hashes.begin();
            std::printf("FAIL scenario=%s checker=%s message=\"%s\"\n", g.name().c_str(),
                        checker_determinism, why.c_str());
            junit::TestCase t;
            t.name = "distinct-trace-hashes";
            t.classname = "eddy.sim." + g.scenario->name;
            t.outcome = junit::Outcome::failed;
            t.message = t.type = checker_determinism;
            t.details = why;
            suite.cases.push_back(std::move(t));
            ++g_failed;
        }
        passed += g_passed;
        failed += g_failed;
        caught_total += g_caught;
        if (g.bug != nullptr) {
            const uint64_t needed = scenarios::planted_catches_needed(seeds.size());
            const bool enough = g_caught >= needed;
            (enough ? bugs_passed : bugs_failed) += 1;
            std::printf("planted=%s caught=%zu/%zu rate=%zu%% scenario=%s checker=%s need=%llu%s\n",
                        g.bug->name.c_str(), g_caught, seeds.size(), g_caught * 100 / seeds.size(),
                        g.scenario->name.c_str(), g.hunt->checker.c_str(),
                        static_cast<unsigned long long>(needed), enough ? "" : " FAILED");
            junit::TestCase t;
            t.name = "catch-rate";
            t.classname = "eddy.sim." + g.scenario->name;
            if (!enough) {
                t.outcome = junit::Outcome::failed;
                t.message = t.type = g.hunt->checker;
                t.details = "planted bug " + g.bug->name + " caught by " + g.hunt->checker +
                            " on " + std::to_string(g_caught) + " of " +
                            std::to_string(seeds.size()) + " seeds; at least " +
                            std::to_string(needed) + " needed";
            }
            suite.cases.push_back(std::move(t));
        } else {
            std::printf("scenario=%s passed=%zu failed=%zu run_s=%.1f\n", g.name().c_str(),
                        g_passed, g_failed, g_seconds);
        }
        report.push_back(std::move(suite));
    }
    if (!a.junit.empty()) {
        std::ofstream out(a.junit);
        out << junit::to_xml("eddy sim suite", report);
        out.close();
        if (!out) {
            std::fprintf(stderr, "eddy sim suite: cannot write %s\n", a.junit.c_str());
            return 2;
        }
    }
    const size_t runs = cases.size();
    if (groups.front().bug != nullptr) {
        std::printf("passed=%zu failed=%zu caught=%zu/%zu wall_s=%.1f\n", bugs_passed,
                    bugs_failed + failed, caught_total, runs, wall.count());
        return bugs_failed + failed == 0 ? 0 : 1;
    }
    std::printf("passed=%zu failed=%zu wall_s=%.1f\n", passed, failed, wall.count());
    return failed == 0 ? 0 : 1;
}

}  // namespace

void add_sim_suite_command(CLI::App& sim, int& exit_code) {
    auto a = std::make_shared<SuiteArgs>();
    auto* suite = sim.add_subcommand(
        "suite", "Run scenarios over seeds, each run in its own process, in parallel");
    suite->add_option("--scenarios,--scenario", a->scenarios,
                      "Scenarios to run, as shell globs (repeatable; default: all)");
    auto* seeds =
        suite->add_option("--seeds", a->seeds, "Seed range A-B or one seed (default 1-20)");
    suite
        ->add_option("--random", a->random,
                     "N seeds drawn from the system's random source (printed first)")
        ->excludes(seeds);
    suite->add_option("--jobs,-j", a->jobs, "Runs at a time (default: the CPUs available)");
    suite->add_option("--junit", a->junit, "Also write a JUnit XML report to this file");
    suite->add_flag("--check-determinism", a->determinism,
                    "Run every seed in two processes: the trace hashes must match, and differ "
                    "across seeds");
    auto* planted = suite->add_flag(
        "--planted-bug", a->planted,
        "Plant every bug the scenarios hunt: each must be caught by its checker on at least 80% "
        "of the seeds");
    suite
        ->add_option("--plant-bug", a->plant_bug,
                     "Plant this bug (see `eddy sim list`) in the scenarios that hunt it")
        ->excludes(planted);
    suite->add_option("--timeout", a->timeout_s,
                      "Seconds of real time a run may take before it is killed and fails "
                      "(default 900; 0: no limit)");
    suite->add_flag("--verbose,-v", a->verbose, "Print every run's result line");
    suite->callback([a, &exit_code] { exit_code = run_suite(*a); });
}

}  // namespace eddy::cli
