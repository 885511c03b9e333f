// The election picture of a simulation trace (`eddy sim viz elections`): trace lines (JSON Lines
// from `eddy sim run --trace`) become a Timeline — a lane per node with its Raft role over time,
// the spans it was down, paused or cut off by a partition, the votes it received, the faults that
// hit it, and a lane per Kafka topic-partition with its leader and ISR — and the Timeline becomes
// an SVG drawn with time to scale, an HTML page around that SVG (hover an event to read its
// fields) or a Graphviz DOT chain of boxes.
//
// Why a model between the lines and the picture: the unit tests check roles, epochs and spans on
// the model and the geometry (axis, lanes) on the SVG, without a browser.
//
// Invariants: parsing and building are linear in the trace (each line is read once; only the
// events drawn are kept); a line that is not a JSON object with an integer "t" and a string "k"
// is an error naming the problem, never a crash; kinds the picture does not know are counted and
// ignored, so new trace events never break it. Spans of one lane and one layer never overlap and
// lie within [0, end_ns].
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace eddy::viz {

// One trace line: the common fields and the others as text (strings unescaped, numbers and
// booleans as written, nested values as their raw JSON).
struct TraceEvent {
    int64_t t_ns = 0;
    std::string node;                                         // "n"
    std::string kind;                                         // "k"
    std::vector<std::pair<std::string, std::string>> fields;  // the rest, in line order

    const std::string* field(std::string_view key) const;
};

// Parses one line; on failure returns nullopt and sets `error` to a one-line reason (with the
// column where it went wrong).
std::optional<TraceEvent> parse_trace_line(std::string_view line, std::string& error);

// A stretch of time on a lane. `label` is drawn when it fits; `detail` is the JSON of the event
// that started it (the tooltip / info box).
struct Span {
    int64_t begin_ns = 0;
    int64_t end_ns = 0;
    std::string label;
    std::string detail;
};

struct RoleSpan : Span {
    std::string role;  // raft::to_string(Role): unattached, prospective, candidate, voted, ...
    int32_t epoch = 0;
};

// Cut off from some of the other nodes by a partition; `cut_from` lists them (lane names),
// `side` the nodes this one still reaches (itself included).
struct CutSpan : Span {
    std::vector<std::string> cut_from;
    std::vector<std::string> side;
    bool one_way = false;   // some of the cuts block one direction only
    int component = 0;      // which side of the partition (0 = the side of the first lane)
    bool majority = false;  // its side holds a majority of the cluster's nodes (a quorum)
};

// A point event on a lane: a crash (drawn as an x) or another fault (a diamond).
struct Mark {
    enum class Kind : uint8_t { crash, fault, disk };
    Kind kind = Kind::fault;
    int64_t t_ns = 0;
    std::string label;  // the event kind without "fault."
    std::string detail;
};

struct NodeLane {
    std::string name;
    // A node of the cluster (it has raft.role, raft.vote or partition.leader events); the others
    // are processes only faults name (clients), drawn below the cluster.
    bool cluster = true;
    std::optional<int32_t> id;  // the Raft node id, when a raft.role event named it
    std::vector<RoleSpan> roles;
    std::vector<Span> down;    // crashed, until it started again
    std::vector<Span> paused;  // paused (no steps), until resumed
    std::vector<CutSpan> cut;  // partitioned
    std::vector<Mark> marks;
};

// A vote as the candidate received it (raft.vote): an arrow from the voter's lane to the
// candidate's at the time it arrived.
struct Vote {
    int64_t t_ns = 0;
    size_t voter = 0;      // index into Timeline::nodes
    size_t candidate = 0;  // index into Timeline::nodes
    int32_t epoch = 0;
    bool granted = false;
    bool pre_vote = false;
    std::string detail;
};

// One topic-partition's leadership (partition.leader events from the brokers; the newest
// (epoch, partition_epoch) any broker applied wins, so a broker that learns late does not undo it).
struct LeaderSpan : Span {
    int32_t leader = -1;  // -1: no leader (offline)
    int32_t epoch = 0;
    std::string isr;  // "1,3,5"
};

struct PartitionLane {
    std::string name;  // "<topic>-<partition>"
    std::vector<LeaderSpan> spans;
};

struct Timeline {
    int64_t end_ns = 0;  // the last event's time: the right end of the axis
    std::vector<NodeLane> nodes;
    std::vector<PartitionLane> partitions;
    std::vector<Vote> votes;
    size_t lines = 0;                          // trace lines read
    size_t drawn = 0;                          // events that contributed to the picture
    std::map<std::string, size_t> unresolved;  // faults naming a node with no lane, by kind

    const NodeLane* node(std::string_view name) const;
};

// Reads trace lines one at a time (a trace of millions of lines is never held whole) and builds
// the Timeline at the end.
class TimelineBuilder {
public:
    TimelineBuilder();
    ~TimelineBuilder();
    TimelineBuilder(const TimelineBuilder&) = delete;
    TimelineBuilder& operator=(const TimelineBuilder&) = delete;

    // Adds the next line (blank lines are skipped). On a malformed line returns the reason, and
    // the builder stays usable (the caller decides whether to stop).
    std::optional<std::string> add_line(std::string_view line);
    // The picture's model. Lanes: the cluster's nodes (with a raft.role, raft.vote or
    // partition.leader event) in natural name order (node-2 before node-10), then the other
    // processes faults hit (clients), in the same order.
    Timeline finish();

private:
    struct State;
    std::unique_ptr<State> state_;
};

struct SvgOptions {
    int width_px = 1600;
    std::string title;  // e.g. the trace's file name
    // data-ev attributes with each event's JSON (the HTML page's info box reads them)
    bool interactive = false;
};

// The picture. Cluster lanes are <g class="lane" data-node="NAME">, the others
// <g class="lane other" ...>; the axis ticks are
// <g class="tick" data-t-ns="T"> holding a <line x1=X> and a <text> "S s"; x is linear in time.
std::string render_svg(const Timeline& t, const SvgOptions& o);
// A whole page: the SVG inline, an info box that lists the fields of the event under the mouse.
std::string render_html(const Timeline& t, const SvgOptions& o);
// Graphviz: a chain of boxes per node (role changes and crashes, in order; time not to scale).
std::string render_dot(const Timeline& t);

}  // namespace eddy::viz
