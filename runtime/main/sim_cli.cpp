// What the `eddy sim` commands share. See sim_cli.h.
#include "runtime/main/sim_cli.h"

#include <cstdio>
#include <vector>

#include "sim/trace_log.h"

namespace eddy::cli::sim_cli {

std::string result_line(const scenarios::Scenario& s, uint64_t seed, std::string_view plant_bug,
                        const scenarios::RunResult& r, double wall_seconds) {
    std::string line = "scenario=" + s.name + " seed=" + std::to_string(seed);
    if (!plant_bug.empty()) {
        line += " plant_bug=" + std::string(plant_bug);
    }
    line += r.verdict.pass ? " result=pass" : " result=fail checker=" + r.verdict.checker;
    char buf[256];
    std::snprintf(buf, sizeof buf,
                  " trace_hash=%s events=%llu steps=%llu simulated_s=%.3f wall_s=%.3f",
                  sim::hex64(r.trace_hash).c_str(), static_cast<unsigned long long>(r.trace_events),
                  static_cast<unsigned long long>(r.steps), r.simulated.to_seconds(), wall_seconds);
    line += buf;
    if (!r.verdict.message.empty()) {
        line += " message=\"" + r.verdict.message + "\"";
    }
    return line;
}

std::string_view find_result_line(std::string_view output) {
    std::string_view line;
    for (size_t start = 0; start < output.size();) {
        size_t end = output.find('\n', start);
        if (end == std::string_view::npos) {
            end = output.size();
        }
        const std::string_view l = output.substr(start, end - start);
        if (l.starts_with("scenario=")) {
            line = l;
        }
        start = end + 1;
    }
    return line;
}

std::optional<std::map<std::string, std::string>> parse_result_line(std::string_view output) {
    std::string_view line = find_result_line(output);
    if (line.empty()) {
        return std::nullopt;
    }
    std::map<std::string, std::string> fields;
    static constexpr std::string_view message_key = " message=\"";
    const size_t message = line.find(message_key);
    if (message != std::string_view::npos) {
        const size_t from = message + message_key.size();
        const size_t last_quote = line.rfind('"');
        fields["message"] =
            std::string(line.substr(from, last_quote > from ? last_quote - from : 0));
        line = line.substr(0, message);
    }
    for (size_t start = 0; start < line.size();) {
        size_t end = line.find(' ', start);
        if (end == std::string_view::npos) {
            end = line.size();
        }
        const std::string_view token = line.substr(start, end - start);
        const size_t eq = token.find('=');
        if (eq != std::string_view::npos) {
            fields[std::string(token.substr(0, eq))] = std::string(token.substr(eq + 1));
        }
        start = end + 1;
    }
    return fields;
}

std::string replay_command(std::string_view scenario, uint64_t seed, std::string_view plant_bug) {
    const std::string s(scenario);
    const std::string n = std::to_string(seed);
    std::string cmd = "eddy sim run --scenario " + s + " --seed " + n;
    if (!plant_bug.empty()) {
        cmd += " --plant-bug " + std::string(plant_bug);
    }
    return cmd + " --trace " + s + "-" + n + ".jsonl";
}

const scenarios::PlantedBug* planted_bug_or_complain(std::string_view name) {
    const auto* bug = scenarios::find_planted_bug(name);
    if (bug == nullptr) {
        std::fprintf(stderr, "eddy sim: no planted bug named '%.*s' (see `eddy sim list`)\n",
                     static_cast<int>(name.size()), name.data());
    }
    return bug;
}

int unknown_scenario(std::string_view name) {
    std::fprintf(stderr, "eddy sim: no scenario named '%.*s' (see `eddy sim list`)\n",
                 static_cast<int>(name.size()), name.data());
    return 2;
}

std::optional<std::string> bug_to_plant(const scenarios::Scenario& s, bool planted_bug,
                                        const std::string& plant_bug, std::string_view command) {
    if (!plant_bug.empty()) {
        const auto* bug = planted_bug_or_complain(plant_bug);
        if (bug == nullptr) {
            return std::nullopt;
        }
        if (scenarios::find_hunt(*bug, s.name) == nullptr) {
            std::fprintf(stderr,
                         "eddy sim %.*s: scenario %s does not hunt planted bug %s (%s does)\n",
                         static_cast<int>(command.size()), command.data(), s.name.c_str(), bug->name.c_str(), bug->hunts.front().scenario.c_str());
            return std::nullopt;
        }
        return bug->name;
    }
    if (!planted_bug) {
        return std::string();
    }
    const auto bugs = scenarios::planted_bugs_hunted_by(s.name);
    if (bugs.size() != 1) {
        std::fprintf(stderr,
                     "eddy sim %.*s: scenario %s hunts %zu planted bugs; name one with "
                     "--plant-bug (see `eddy sim list`)\n",
                     static_cast<int>(command.size()), command.data(), s.name.c_str(), bugs.size());
        return std::nullopt;
    }
    return bugs.front()->name;
}


}  // namespace eddy::cli::sim_cli
