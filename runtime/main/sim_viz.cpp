// `eddy sim viz elections TRACE [-o FILE]`: the picture of a simulation trace's leader elections
// (JSON Lines from `eddy sim run --trace`), drawn by runtime/election_viz.{h,cpp}. Time runs to
// scale on one horizontal axis; a lane per node shows its Raft role (with the leader's epoch),
// the votes it received, crashes, pauses and the partitions that cut it off; a lane per Kafka
// topic-partition shows its leader and ISR. -o FILE.svg writes the SVG, FILE.html a page around
// it where hovering an event lists its fields, FILE.dot a Graphviz chain of boxes per node (time
// not to scale). Without -o the SVG goes to stdout.
//
// Trace lines are untrusted text: the first malformed line stops the command with its line number
// and the reason, in one line on stderr.
#include <cstdio>
#include <fstream>
#include <string>

#include "runtime/election_viz.h"
#include "runtime/main/commands.h"

namespace eddy::cli {
namespace {

struct VizOptions {
    std::string trace;
    std::string output;
    int width_px = 1600;
};

int viz_elections(const VizOptions& o) {
    std::ifstream in(o.trace);
    if (!in) {
        std::fprintf(stderr, "eddy sim viz: cannot read %s\n", o.trace.c_str());
        return 1;
    }
    std::string format = "svg";
    if (!o.output.empty()) {
        const size_t dot = o.output.find_last_of('.');
        format = dot == std::string::npos ? "" : o.output.substr(dot + 1);
        if (format != "svg" && format != "html" && format != "dot") {
            std::fprintf(
                stderr,
                "eddy sim viz: -o must end in .svg, .html or .dot (for a PNG, open the "
                ".html in a browser, or: chromium --headless --screenshot=F.png F.html)\n");
            return 1;
        }
    }
    viz::TimelineBuilder builder;
    std::string line;
    size_t number = 0;
    while (std::getline(in, line)) {
        ++number;
        if (auto error = builder.add_line(line)) {
            std::fprintf(stderr, "eddy sim viz: %s:%zu: %s\n", o.trace.c_str(), number,
                         error->c_str());
            return 1;
        }
    }
    const viz::Timeline timeline = builder.finish();
    if (timeline.nodes.empty()) {
        std::fprintf(stderr,
                     "eddy sim viz: %s has no raft.role, partition.leader or fault events "
                     "(%zu lines)\n",
                     o.trace.c_str(), timeline.lines);
        return 1;
    }
    viz::SvgOptions svg;
    svg.width_px = o.width_px;
    svg.title = o.trace.substr(o.trace.find_last_of('/') + 1);
    const std::string text = format == "dot"    ? viz::render_dot(timeline)
                             : format == "html" ? viz::render_html(timeline, svg)
                                                : viz::render_svg(timeline, svg);
    if (o.output.empty()) {
        std::fwrite(text.data(), 1, text.size(), stdout);
        return 0;
    }
    std::ofstream out(o.output, std::ios::binary);
    out << text;
    out.close();
    if (!out) {
        std::fprintf(stderr, "eddy sim viz: cannot write %s\n", o.output.c_str());
        return 1;
    }
    return 0;
}

}  // namespace

void add_sim_viz_command(CLI::App& sim, int& exit_code) {
    auto* viz = sim.add_subcommand("viz", "Draw a simulation trace");
    viz->require_subcommand(1);
    auto* elections = viz->add_subcommand(
        "elections",
        "Leader elections with time to scale: a lane per node with its Raft role over time "
        "(follower, prospective = pre-vote, candidate, leader with its epoch, ...), the votes it "
        "received (granted solid, refused dashed, pre-votes faint), crashes (x, then a dark down "
        "span), pauses (hatched) and partitions (a bar over the lane: whom it is cut from; red "
        "when its side holds no majority, blue when it does); for a Kafka cluster a lane per "
        "topic-partition with its leader, leader epoch and ISR");
    static VizOptions options;
    elections
        ->add_option("trace", options.trace, "Trace file (JSON Lines from `eddy sim run --trace`)")
        ->required();
    elections->add_option("-o,--output", options.output,
                          "FILE.svg (the picture), FILE.html (the picture; hover an event to "
                          "see its fields) or FILE.dot (Graphviz, a chain of boxes per node, "
                          "time not to scale); default: the SVG on stdout");
    elections
        ->add_option("--width", options.width_px,
                     "Width of the picture in pixels (the time axis fills it)")
        ->default_val(1600)
        ->check(CLI::Range(400, 100000));
    elections->callback([&exit_code] { exit_code = viz_elections(options); });
}

}  // namespace eddy::cli
