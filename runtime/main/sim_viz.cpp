// `eddy sim viz elections TRACE [-o FILE]`: draws the leader elections of a simulation trace
// (JSON Lines from `eddy sim run --trace`) with Graphviz. One lane per node, left to right in
// time: its role changes (`raft.role` events: prospective, candidate, voted, follower, leader,
// resigned, unattached, with the epoch)
// and the faults that hit it (crashes, isolation, one-way partitions); a leader's box links to
// the replicas that followed it in that epoch. -o FILE.dot writes the DOT text, -o FILE.svg or
// .png runs `dot` (Graphviz) on it; without -o the DOT goes to stdout.
//
// Trace lines are untrusted text: a line that is not a flat JSON object is skipped and counted.
#include <cstdio>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "runtime/main/commands.h"

namespace eddy::cli {
namespace {

using Object = std::map<std::string, std::string>;  // values as text (strings unquoted)

// Parses one flat JSON object ({"k": "v" | number | true | false, ...}); nullopt otherwise.
std::optional<Object> parse_flat_object(const std::string& line) {
    Object out;
    size_t i = 0;
    auto skip = [&] {
        while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) {
            ++i;
        }
    };
    auto string = [&]() -> std::optional<std::string> {
        if (i >= line.size() || line[i] != '"') {
            return std::nullopt;
        }
        std::string s;
        for (++i; i < line.size(); ++i) {
            if (line[i] == '\\' && i + 1 < line.size()) {
                s += line[++i];
            } else if (line[i] == '"') {
                ++i;
                return s;
            } else {
                s += line[i];
            }
        }
        return std::nullopt;
    };
    skip();
    if (i >= line.size() || line[i++] != '{') {
        return std::nullopt;
    }
    skip();
    if (i < line.size() && line[i] == '}') {
        return out;
    }
    while (true) {
        skip();
        auto key = string();
        skip();
        if (!key || i >= line.size() || line[i++] != ':') {
            return std::nullopt;
        }
        skip();
        std::string value;
        if (i < line.size() && line[i] == '"') {
            auto v = string();
            if (!v) {
                return std::nullopt;
            }
            value = *v;
        } else {
            while (i < line.size() && line[i] != ',' && line[i] != '}') {
                value += line[i++];
            }
            while (!value.empty() && value.back() == ' ') {
                value.pop_back();
            }
            if (value.empty()) {
                return std::nullopt;
            }
        }
        out[*key] = value;
        skip();
        if (i < line.size() && line[i] == ',') {
            ++i;
            continue;
        }
        if (i < line.size() && line[i] == '}') {
            return out;
        }
        return std::nullopt;
    }
}

struct Event {
    std::string id;    // DOT node id
    std::string lane;  // the node it happened on
    double seconds = 0;
    std::string label;
    std::string color;
    std::string shape = "box";
    std::string role;  // raft role, "" for faults
    std::string epoch;
};

std::string dot_escape(const std::string& s) {
    std::string out;
    for (char c : s) {
        if (c == '\n') {
            out += "\\n";  // a line break in a label
            continue;
        }
        if (c == '"' || c == '\\') {
            out += '\\';
        }
        out += c;
    }
    return out;
}

std::string role_color(const std::string& role) {
    if (role == "leader") return "gold";
    if (role == "candidate") return "orange";
    if (role == "follower") return "lightblue";
    if (role == "voted") return "lightgray";
    if (role == "prospective") return "khaki";  // asking for pre-votes (KIP-996)
    if (role == "resigned") return "plum";      // a leader handing over (EndQuorumEpoch)
    if (role == "unattached") return "white";
    return "white";
}

int viz_elections(const std::string& trace, const std::string& output) {
    std::ifstream in(trace);
    if (!in) {
        std::fprintf(stderr, "eddy sim viz: cannot read %s\n", trace.c_str());
        return 1;
    }
    std::vector<Event> events;
    size_t skipped = 0;
    std::string line;
    while (std::getline(in, line)) {
        auto o = parse_flat_object(line);
        if (!o) {
            ++skipped;
            continue;
        }
        const std::string kind = (*o)["k"];
        const double seconds = std::strtod((*o)["t"].c_str(), nullptr) / 1e9;
        char when[32];
        std::snprintf(when, sizeof when, "%.3fs", seconds);
        Event e;
        e.id = "e" + std::to_string(events.size());
        e.seconds = seconds;
        if (kind == "raft.role") {
            e.lane = (*o)["n"];
            e.role = (*o)["role"];
            e.epoch = (*o)["epoch"];
            e.label = e.role + " e" + e.epoch + "\n" + when + "  end " + (*o)["end_offset"] +
                      " hw " + (*o)["high_watermark"];
            e.color = role_color(e.role);
        } else if (kind.rfind("fault.", 0) == 0 && kind != "fault.clock_skew" &&
                   o->contains("node")) {
            std::string victim = (*o)["node"];
            // Scenario faults name nodes by id or by name; lanes are node names.
            if (!victim.empty() && victim.find_first_not_of("0123456789") == std::string::npos) {
                victim = "voter-" + victim;
            }
            e.lane = victim;
            e.label = kind.substr(6) + "\n" + when;
            e.color = "salmon";
            e.shape = "octagon";
        } else {
            continue;
        }
        events.push_back(std::move(e));
    }
    if (events.empty()) {
        std::fprintf(stderr,
                     "eddy sim viz: %s has no raft.role or fault events (%zu lines "
                     "skipped)\n",
                     trace.c_str(), skipped);
        return 1;
    }
    std::map<std::string, std::vector<const Event*>> lanes;
    for (const Event& e : events) {
        lanes[e.lane].push_back(&e);
    }
    std::string dot = "digraph elections {\n  rankdir=LR;\n  node [style=filled, fontsize=10];\n";
    for (const auto& [lane, list] : lanes) {
        dot += "  subgraph \"cluster_" + dot_escape(lane) + "\" {\n    label=\"" +
               dot_escape(lane) + "\";\n";
        for (const Event* e : list) {
            dot += "    " + e->id + " [label=\"" + dot_escape(e->label) + "\", shape=" + e->shape +
                   ", fillcolor=\"" + e->color + "\"];\n";
        }
        for (size_t i = 1; i < list.size(); ++i) {
            dot += "    " + list[i - 1]->id + " -> " + list[i]->id + " [weight=10];\n";
        }
        dot += "  }\n";
    }
    // Who followed whom: each epoch's leader to the replicas that became its followers.
    std::map<std::string, const Event*> leader_of;
    for (const Event& e : events) {
        if (e.role == "leader") {
            leader_of.emplace(e.epoch, &e);
        }
    }
    for (const Event& e : events) {
        if (e.role == "follower") {
            auto it = leader_of.find(e.epoch);
            if (it != leader_of.end() && it->second->seconds <= e.seconds) {
                dot += "  " + it->second->id + " -> " + e.id +
                       " [style=dashed, color=goldenrod, constraint=false];\n";
            }
        }
    }
    dot += "}\n";

    if (output.empty()) {
        std::fputs(dot.c_str(), stdout);
        return 0;
    }
    const auto ext = output.substr(output.find_last_of('.') + 1);
    if (ext == "dot" || ext == "gv") {
        std::ofstream out(output);
        out << dot;
        if (!out) {
            std::fprintf(stderr, "eddy sim viz: cannot write %s\n", output.c_str());
            return 1;
        }
        return 0;
    }
    if (ext != "svg" && ext != "png" && ext != "pdf") {
        std::fprintf(stderr, "eddy sim viz: -o must end in .dot, .svg, .png or .pdf\n");
        return 1;
    }
    const std::string cmd = "dot -T" + ext + " -o '" + output + "'";
    FILE* p = popen(cmd.c_str(), "w");
    if (p == nullptr) {
        std::fprintf(stderr, "eddy sim viz: cannot run Graphviz `dot`\n");
        return 1;
    }
    std::fwrite(dot.data(), 1, dot.size(), p);
    const int rc = pclose(p);
    if (rc != 0) {
        std::fprintf(stderr,
                     "eddy sim viz: `dot` failed (exit %d); is Graphviz installed? "
                     "(apt-get install graphviz)\n",
                     rc);
        return 1;
    }
    return 0;
}

}  // namespace

void add_sim_viz_command(CLI::App& sim, int& exit_code) {
    auto* viz = sim.add_subcommand("viz", "Draw a simulation trace with Graphviz");
    viz->require_subcommand(1);
    auto* elections =
        viz->add_subcommand("elections",
                            "Leader elections: one lane per node with its role changes (raft.role "
                            "events) and the faults that hit it; dashed edges from each epoch's "
                            "leader to its followers");
    static std::string trace;
    static std::string output;
    elections->add_option("trace", trace, "Trace file (JSON Lines from `eddy sim run --trace`)")
        ->required();
    elections->add_option("-o,--output", output,
                          "Write FILE.dot (DOT text) or FILE.svg/.png/.pdf (runs Graphviz `dot`); "
                          "default: DOT on stdout");
    elections->callback([&exit_code] { exit_code = viz_elections(trace, output); });
}

}  // namespace eddy::cli
