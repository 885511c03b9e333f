// `eddy sim shrink`: reduces a failing simulation run to a smaller fault schedule that still fails
// with the same checker, and prints it as a replayable command.
//
//   eddy sim shrink --scenario NAME --seed N [--planted-bug | --plant-bug BUG] [-o FILE]
//                   [--max-runs N]
//
// The run is made once as drawn, recording its fault schedule (scenarios/nemesis.h); the
// schedule is then replayed (`eddy sim run --faults FILE`: the faults come from the file, the
// rest of the run still from the seed) while the search keeps only changes after which the run
// still fails with the same checker: the lanes' empty wakes dropped, ddmin over the faults
// (halves, then quarters, … down to one at a time), then shorter holds (each halved while it
// still fails), then the shortest fault phase that covers what is left, then smaller sizes (each
// of the schedule's `size` keys, such as nodes, producers or consumers, one less at a time;
// faults naming a node the smaller run lacks are dropped). Each step is one whole run, so the
// search stops at --max-runs. A recorded schedule replays the drawn run itself (same trace
// hash; the fault model's lanes make it so), which the first replay checks and reports.
#include <cstdio>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "runtime/main/commands.h"
#include "runtime/main/sim_cli.h"
#include "scenarios/nemesis.h"
#include "scenarios/scenario.h"

namespace eddy::cli {
namespace {

using scenarios::FaultSchedule;
using scenarios::FaultSpec;

struct Shrinker {
    const scenarios::Scenario& scenario;
    uint64_t seed;
    std::string bug;  // the planted bug (empty: none)
    std::string checker;  // the one the original run failed with
    uint64_t runs = 0;
    uint64_t max_runs;

    // Runs with `faults` (null: drawn); the verdict and the schedule the run applied.
    std::pair<scenarios::RunResult, std::optional<FaultSchedule>> run(
        std::shared_ptr<const FaultSchedule> faults) {
        ++runs;
        scenarios::RunOptions o;
        o.seed = seed;
        o.plant_bug = bug;
        o.faults = std::move(faults);
        std::optional<FaultSchedule> applied;
        o.faults_sink = [&applied](const FaultSchedule& s) { applied = s; };
        auto r = scenario.run(o);
        return {std::move(r), std::move(applied)};
    }

    // Whether `s` still fails with the same checker (false once the budget is spent); the
    // schedule that run applied, in `applied`.
    bool fails(const FaultSchedule& s, FaultSchedule* applied = nullptr,
               uint64_t* hash = nullptr) {
        if (runs >= max_runs) {
            return false;
        }
        auto [r, got] = run(std::make_shared<const FaultSchedule>(s));
        const bool same = !r.verdict.pass && r.verdict.checker == checker;
        std::string sizes;
        for (const auto& [key, n] : s.size) {
            sizes += " " + key + "=" + std::to_string(n);
        }
        std::printf("  try faults=%zu phase_ms=%lld%s -> %s\n", s.fault_count(),
                    static_cast<long long>((s.phase_end - s.phase_start).to_millis()),
                    sizes.c_str(),
                    same ? "fails (kept)" : (r.verdict.pass ? "passes" : r.verdict.checker.c_str()));
        std::fflush(stdout);
        if (applied != nullptr && got) {
            *applied = std::move(*got);
        }
        if (hash != nullptr) {
            *hash = r.trace_hash;
        }
        return same;
    }

    // The lanes' wakes that injected nothing, all at once (they only keep the replay's
    // interleaving that of the drawn run).
    void drop_wakes(FaultSchedule& best) {
        FaultSchedule candidate = best;
        std::erase_if(candidate.faults,
                      [](const FaultSpec& f) { return f.kind == scenarios::wake_kind; });
        if (candidate.faults.size() < best.faults.size() && fails(candidate)) {
            best = std::move(candidate);
        }
    }

    // Each size one less while the run still fails (and the scenario takes it: it records
    // what it ran with, and drops faults naming a node it no longer has).
    void reduce_sizes(FaultSchedule& best) {
        std::vector<std::string> keys;
        for (const auto& [key, n] : best.size) {
            keys.push_back(key);
        }
        for (const auto& key : keys) {
            while (runs < max_runs && best.size[key] > 0) {
                FaultSchedule candidate = best;
                --candidate.size[key];
                FaultSchedule applied;
                if (!fails(candidate, &applied)) {
                    break;
                }
                const auto took = applied.size.find(key);
                if (took == applied.size.end() || took->second >= best.size[key]) {
                    break;  // the scenario runs no smaller
                }
                best = std::move(applied);
            }
        }
    }

    static FaultSchedule without(const FaultSchedule& s, size_t from, size_t to) {
        FaultSchedule out = s;
        out.faults.clear();
        for (size_t i = 0; i < s.faults.size(); ++i) {
            if (i < from || i >= to) {
                out.faults.push_back(s.faults[i]);
            }
        }
        return out;
    }

    // ddmin (Zeller): remove chunks of 1/n of the faults; on success coarsen, else refine.
    void drop_faults(FaultSchedule& best) {
        if (!best.faults.empty()) {
            FaultSchedule none = best;
            none.faults.clear();
            if (fails(none)) {
                best = none;
                return;
            }
        }
        size_t n = 2;
        while (best.faults.size() >= 2 && runs < max_runs) {
            const size_t size = best.faults.size();
            const size_t chunk = (size + n - 1) / n;
            bool reduced = false;
            for (size_t from = 0; from < size && runs < max_runs; from += chunk) {
                FaultSchedule candidate = without(best, from, std::min(size, from + chunk));
                if (fails(candidate)) {
                    best = std::move(candidate);
                    n = std::max<size_t>(n - 1, 2);
                    reduced = true;
                    break;
                }
            }
            if (!reduced) {
                if (n >= size) {
                    break;
                }
                n = std::min(size, n * 2);
            }
        }
        if (best.faults.size() == 1) {
            FaultSchedule none = without(best, 0, 1);
            if (fails(none)) {
                best = std::move(none);
            }
        }
    }

    void shorten_holds(FaultSchedule& best) {
        for (size_t i = 0; i < best.faults.size() && runs < max_runs; ++i) {
            for (int halvings = 0; halvings < 3; ++halvings) {
                if (best.faults[i].hold < Duration::millis(20)) {
                    break;
                }
                FaultSchedule candidate = best;
                candidate.faults[i].hold = best.faults[i].hold / 2;
                if (!fails(candidate)) {
                    break;
                }
                best = std::move(candidate);
            }
        }
    }

    // The phase ends (and everything heals) once the last fault is over.
    void shorten_phase(FaultSchedule& best) {
        Duration last = best.phase_start;
        for (const auto& f : best.faults) {
            last = std::max(last, f.at + f.hold);
        }
        const Duration tight = last + Duration::millis(1);
        if (tight < best.phase_end) {
            FaultSchedule candidate = best;
            candidate.phase_end = tight;
            if (fails(candidate)) {
                best = std::move(candidate);
            }
        }
    }
};

Duration total_hold(const FaultSchedule& s) {
    Duration d{};
    for (const auto& f : s.faults) {
        d += f.hold;
    }
    return d;
}

}  // namespace

void add_sim_shrink_command(CLI::App& sim, int& exit_code) {
    struct Args {
        std::string scenario;
        uint64_t seed = 1;
        bool planted = false;
        std::string plant_bug;
        std::string out;
        uint64_t max_runs = 150;
    };
    auto args = std::make_shared<Args>();
    auto* cmd = sim.add_subcommand(
        "shrink",
        "Reduce a failing run's fault schedule (fewer faults, shorter holds and fault phase, "
        "then fewer nodes or clients) while the same checker still fails");
    cmd->add_option("--scenario", args->scenario, "Scenario name (see `eddy sim list`)")
        ->required();
    cmd->add_option("--seed", args->seed, "The seed of the failing run");
    auto* planted_flag =
        cmd->add_flag("--planted-bug", args->planted, "Plant the bug the scenario hunts");
    cmd->add_option("--plant-bug", args->plant_bug, "Plant the named bug (see `eddy sim list`)")
        ->excludes(planted_flag);
    cmd->add_option("-o,--out", args->out,
                    "Where to write the smallest schedule (default SCENARIO-SEED.faults)");
    cmd->add_option("--max-runs", args->max_runs, "At most this many runs (default 150)");
    cmd->callback([args, &exit_code] {
        const auto* s = scenarios::find_scenario(args->scenario);
        if (s == nullptr) {
            exit_code = sim_cli::unknown_scenario(args->scenario);
            return;
        }
        const auto bug = sim_cli::bug_to_plant(*s, args->planted, args->plant_bug, "shrink");
        if (!bug) {
            exit_code = 2;
            return;
        }
        Shrinker k{*s, args->seed, *bug, {}, 0, args->max_runs};
        auto [first, recorded] = k.run(nullptr);
        if (first.verdict.pass) {
            std::printf("shrink: scenario=%s seed=%llu passes: nothing to shrink\n",
                        s->name.c_str(), static_cast<unsigned long long>(args->seed));
            exit_code = 1;
            return;
        }
        if (!recorded) {
            std::printf("shrink: scenario=%s does not record its fault schedule\n",
                        s->name.c_str());
            exit_code = 2;
            return;
        }
        k.checker = first.verdict.checker;
        std::printf("shrink: scenario=%s seed=%llu fails with checker=%s; %zu faults, phase %.3f s\n",
                    s->name.c_str(), static_cast<unsigned long long>(args->seed),
                    k.checker.c_str(), recorded->fault_count(),
                    (recorded->phase_end - recorded->phase_start).to_seconds());
        std::fflush(stdout);
        FaultSchedule best = *recorded;
        uint64_t replay_hash = 0;
        if (!k.fails(best, nullptr, &replay_hash)) {
            std::printf("shrink: replaying the recorded schedule does not fail with %s: cannot "
                        "shrink this run\n",
                        k.checker.c_str());
            exit_code = 1;
            return;
        }
        std::printf("shrink: the recorded schedule replays %s (trace_hash=%016llx)\n",
                    replay_hash == first.trace_hash ? "the drawn run bit for bit"
                                                    : "to the same failure, not bit for bit",
                    static_cast<unsigned long long>(replay_hash));
        k.drop_wakes(best);
        k.drop_faults(best);
        k.shorten_holds(best);
        k.shorten_phase(best);
        k.reduce_sizes(best);

        const std::string out = args->out.empty()
                                    ? s->name + "-" + std::to_string(args->seed) + ".faults"
                                    : args->out;
        {
            std::ofstream f(out);
            f << best.to_text();
            if (!f) {
                std::fprintf(stderr, "eddy sim shrink: cannot write %s\n", out.c_str());
                exit_code = 2;
                return;
            }
        }
        std::string sizes;
        for (const auto& [key, n] : recorded->size) {
            const auto now = best.size.find(key);
            sizes += ", " + key + " " + std::to_string(n) + " -> " +
                     std::to_string(now == best.size.end() ? n : now->second);
        }
        std::printf("shrunk: faults %zu -> %zu, fault phase %.3f s -> %.3f s, held %.3f s -> "
                    "%.3f s%s, in %llu runs\n",
                    recorded->fault_count(), best.fault_count(),
                    (recorded->phase_end - recorded->phase_start).to_seconds(),
                    (best.phase_end - best.phase_start).to_seconds(),
                    total_hold(*recorded).to_seconds(), total_hold(best).to_seconds(),
                    sizes.c_str(), static_cast<unsigned long long>(k.runs));
        std::printf("schedule: %s\n", out.c_str());
        std::printf("replay: eddy sim run --scenario %s --seed %llu%s --faults %s\n",
                    s->name.c_str(), static_cast<unsigned long long>(args->seed),
                    bug->empty() ? "" : (" --plant-bug " + *bug).c_str(), out.c_str());
        exit_code = 0;
    });
}

}  // namespace eddy::cli
