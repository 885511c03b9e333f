// `eddy sim shrink`: reduces a failing simulation run to a smaller fault schedule that still fails
// with the same checker, and prints it as a replayable command.
//
//   eddy sim shrink --scenario NAME --seed N [--planted-bug | --plant-bug BUG] [-o FILE]
//                   [--max-runs N]
//
// The run is made once as drawn, recording its fault schedule (scenarios/nemesis.h); the
// schedule is then replayed (`eddy sim run --faults FILE`: the faults come from the file, the
// rest of the run still from the seed) while the search keeps only changes after which the run
// still fails with the same checker: ddmin over the faults (halves, then quarters, … down to one
// at a time), then shorter holds (each halved while it still fails), then the shortest fault
// phase that covers what is left. Each step is one whole run, so the search stops at --max-runs.
// A replay is not the drawn run bit for bit (the drawn faults' own fibers are gone), so the
// first thing checked is that the full recorded schedule replays to the same failure.
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

    // Whether `s` still fails with the same checker (false once the budget is spent).
    bool fails(const FaultSchedule& s) {
        if (runs >= max_runs) {
            return false;
        }
        const auto r = run(std::make_shared<const FaultSchedule>(s)).first;
        const bool same = !r.verdict.pass && r.verdict.checker == checker;
        std::printf("  try faults=%zu phase_ms=%lld -> %s\n", s.faults.size(),
                    static_cast<long long>((s.phase_end - s.phase_start).to_millis()),
                    same ? "fails (kept)" : (r.verdict.pass ? "passes" : r.verdict.checker.c_str()));
        std::fflush(stdout);
        return same;
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
        "shrink", "Reduce a failing run's fault schedule while the same checker still fails");
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
                    k.checker.c_str(), recorded->faults.size(),
                    (recorded->phase_end - recorded->phase_start).to_seconds());
        std::fflush(stdout);
        FaultSchedule best = *recorded;
        if (!k.fails(best)) {
            std::printf("shrink: replaying the recorded schedule does not fail with %s: cannot "
                        "shrink this run\n",
                        k.checker.c_str());
            exit_code = 1;
            return;
        }
        k.drop_faults(best);
        k.shorten_holds(best);
        k.shorten_phase(best);

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
        std::printf("shrunk: faults %zu -> %zu, fault phase %.3f s -> %.3f s, held %.3f s -> "
                    "%.3f s, in %llu runs\n",
                    recorded->faults.size(), best.faults.size(),
                    (recorded->phase_end - recorded->phase_start).to_seconds(),
                    (best.phase_end - best.phase_start).to_seconds(),
                    total_hold(*recorded).to_seconds(), total_hold(best).to_seconds(),
                    static_cast<unsigned long long>(k.runs));
        std::printf("schedule: %s\n", out.c_str());
        std::printf("replay: eddy sim run --scenario %s --seed %llu%s --faults %s\n",
                    s->name.c_str(), static_cast<unsigned long long>(args->seed),
                    bug->empty() ? "" : (" --plant-bug " + *bug).c_str(), out.c_str());
        exit_code = 0;
    });
}

}  // namespace eddy::cli
