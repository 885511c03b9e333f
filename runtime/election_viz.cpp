// The election picture: trace lines -> Timeline -> SVG / HTML / DOT. See election_viz.h.
//
// Trace kinds read (others are ignored):
//   raft.role {node, epoch, role}          a node's role and epoch changed (quorum driver,
//                                          raft-quorum scenario)
//   raft.vote {from, epoch, granted, pre_vote}   a candidate (n) received a vote response
//   partition.leader {topic, partition, leader, epoch, partition_epoch, isr}   a broker applied
//                                          a partition's assignment
//   fault.crash / node.start               a node went down / (re)started (node-level events)
//   fault.pause / fault.resume             a node paused / resumed
//   fault.partition {to, one_way} / fault.heal {to} / fault.heal_all / nemesis.healed
//                                          the network's blocked pairs (sim/sim_network.cpp)
//   fault.isolate / fault.mute {node}      the raft-quorum scenario's partitions of one node
//   other fault.* (node-level, or world-level naming a node), disk.* except disk.crash*: marks
#include "runtime/election_viz.h"
#include "runtime/xml_escape.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <set>
#include <tuple>

namespace eddy::viz {

const std::string* TraceEvent::field(std::string_view key) const {
    for (const auto& [k, v] : fields) {
        if (k == key) {
            return &v;
        }
    }
    return nullptr;
}

const NodeLane* Timeline::node(std::string_view name) const {
    for (const NodeLane& n : nodes) {
        if (n.name == name) {
            return &n;
        }
    }
    return nullptr;
}

namespace {

// ---------------------------------------------------------------------------------------------
// Parsing: one flat JSON object per line. Nested values are kept as raw text.

class LineParser {
public:
    LineParser(std::string_view s, std::string& error) : s_(s), error_(error) {}

    std::optional<TraceEvent> parse() {
        TraceEvent e;
        bool has_t = false;
        bool has_k = false;
        skip_ws();
        if (!eat('{')) {
            return fail("not a JSON object (expected '{')");
        }
        skip_ws();
        if (!eat('}')) {
            while (true) {
                skip_ws();
                std::string key;
                if (!string(key)) {
                    return std::nullopt;
                }
                skip_ws();
                if (!eat(':')) {
                    return fail("expected ':' after the key \"" + key + "\"");
                }
                skip_ws();
                std::string value;
                bool quoted = false;
                if (!json_value(value, quoted)) {
                    return std::nullopt;
                }
                if (key == "t") {
                    int64_t t = 0;
                    const char* end = value.data() + value.size();
                    auto [p, ec] = std::from_chars(value.data(), end, t);
                    if (quoted || ec != std::errc() || p != end || t < 0) {
                        return fail("\"t\" is not a non-negative integer (nanoseconds)");
                    }
                    e.t_ns = t;
                    has_t = true;
                } else if (key == "k" && quoted) {
                    e.kind = std::move(value);
                    has_k = true;
                } else if (key == "n" && quoted) {
                    e.node = std::move(value);
                } else if (key != "i") {
                    e.fields.emplace_back(std::move(key), std::move(value));
                }
                skip_ws();
                if (eat(',')) {
                    continue;
                }
                if (eat('}')) {
                    break;
                }
                return fail("expected ',' or '}'");
            }
        }
        skip_ws();
        if (i_ != s_.size()) {
            return fail("text after the object");
        }
        if (!has_t || !has_k || e.kind.empty()) {
            error_ = std::string("not a trace event: no ") + (has_t ? "\"k\"" : "\"t\"") +
                     " field (traces come from `eddy sim run --trace`)";
            return std::nullopt;
        }
        return e;
    }

private:
    std::nullopt_t fail(const std::string& what) {
        error_ = what + " at column " + std::to_string(i_ + 1);
        return std::nullopt;
    }
    void skip_ws() {
        while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\r')) {
            ++i_;
        }
    }
    bool eat(char c) {
        if (i_ < s_.size() && s_[i_] == c) {
            ++i_;
            return true;
        }
        return false;
    }
    static void put_utf8(std::string& out, uint32_t cp) {
        if (cp < 0x80) {
            out += static_cast<char>(cp);
        } else if (cp < 0x800) {
            out += static_cast<char>(0xc0 | (cp >> 6));
            out += static_cast<char>(0x80 | (cp & 0x3f));
        } else if (cp < 0x10000) {
            out += static_cast<char>(0xe0 | (cp >> 12));
            out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
            out += static_cast<char>(0x80 | (cp & 0x3f));
        } else {
            out += static_cast<char>(0xf0 | (cp >> 18));
            out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
            out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
            out += static_cast<char>(0x80 | (cp & 0x3f));
        }
    }
    bool hex4(uint32_t& v) {
        if (s_.size() - i_ < 4) {
            return false;
        }
        v = 0;
        for (int k = 0; k < 4; ++k) {
            const char c = s_[i_++];
            v <<= 4;
            if (c >= '0' && c <= '9') {
                v |= static_cast<uint32_t>(c - '0');
            } else if (c >= 'a' && c <= 'f') {
                v |= static_cast<uint32_t>(c - 'a' + 10);
            } else if (c >= 'A' && c <= 'F') {
                v |= static_cast<uint32_t>(c - 'A' + 10);
            } else {
                return false;
            }
        }
        return true;
    }
    bool string(std::string& out) {
        if (!eat('"')) {
            fail("expected a string");
            return false;
        }
        while (i_ < s_.size()) {
            const char c = s_[i_++];
            if (c == '"') {
                return true;
            }
            if (c != '\\') {
                out += c;
                continue;
            }
            if (i_ >= s_.size()) {
                break;
            }
            const char esc = s_[i_++];
            switch (esc) {
                case '"':
                case '\\':
                case '/':
                    out += esc;
                    break;
                case 'b':
                    out += '\b';
                    break;
                case 'f':
                    out += '\f';
                    break;
                case 'n':
                    out += '\n';
                    break;
                case 'r':
                    out += '\r';
                    break;
                case 't':
                    out += '\t';
                    break;
                case 'u': {
                    uint32_t cp = 0;
                    if (!hex4(cp)) {
                        fail("bad \\u escape");
                        return false;
                    }
                    if (cp >= 0xd800 && cp < 0xdc00 && s_.substr(i_, 2) == "\\u") {
                        i_ += 2;
                        uint32_t lo = 0;
                        if (!hex4(lo) || lo < 0xdc00 || lo > 0xdfff) {
                            fail("bad \\u surrogate pair");
                            return false;
                        }
                        cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                    }
                    put_utf8(out, cp);
                    break;
                }
                default:
                    fail(std::string("bad escape \\") + esc);
                    return false;
            }
        }
        fail("unterminated string");
        return false;
    }
    bool json_value(std::string& out, bool& quoted) {
        if (i_ >= s_.size()) {
            fail("expected a value");
            return false;
        }
        const char c = s_[i_];
        if (c == '"') {
            quoted = true;
            return string(out);
        }
        if (c == '{' || c == '[') {
            // Nested: kept raw, brackets balanced outside strings.
            const size_t start = i_;
            int depth = 0;
            bool in_string = false;
            for (; i_ < s_.size(); ++i_) {
                const char d = s_[i_];
                if (in_string) {
                    if (d == '\\') {
                        ++i_;
                    } else if (d == '"') {
                        in_string = false;
                    }
                } else if (d == '"') {
                    in_string = true;
                } else if (d == '{' || d == '[') {
                    ++depth;
                } else if (d == '}' || d == ']') {
                    if (--depth == 0) {
                        ++i_;
                        out.assign(s_.substr(start, i_ - start));
                        return true;
                    }
                }
            }
            fail("unbalanced nested value");
            return false;
        }
        const size_t start = i_;
        while (i_ < s_.size() && s_[i_] != ',' && s_[i_] != '}' && s_[i_] != ' ' &&
               s_[i_] != '\t') {
            ++i_;
        }
        out.assign(s_.substr(start, i_ - start));
        if (out == "true" || out == "false" || out == "null") {
            return true;
        }
        double ignored = 0;
        auto [p, ec] = std::from_chars(out.data(), out.data() + out.size(), ignored);
        if (out.empty() || ec != std::errc() || p != out.data() + out.size()) {
            i_ = start;
            fail("expected a value");
            return false;
        }
        return true;
    }

    std::string_view s_;
    std::string& error_;
    size_t i_ = 0;
};

std::optional<int64_t> to_int(const std::string* s) {
    if (s == nullptr) {
        return std::nullopt;
    }
    int64_t v = 0;
    auto [p, ec] = std::from_chars(s->data(), s->data() + s->size(), v);
    if (ec != std::errc() || p != s->data() + s->size()) {
        return std::nullopt;
    }
    return v;
}

int32_t to_int32(const std::string* s, int32_t otherwise) {
    const auto v = to_int(s);
    if (!v || *v < INT32_MIN || *v > INT32_MAX) {
        return otherwise;
    }
    return static_cast<int32_t>(*v);
}

bool is_true(const std::string* s) { return s != nullptr && *s == "true"; }

// "node-10" > "node-2": names compared with their digit runs as numbers.
bool natural_less(const std::string& a, const std::string& b) {
    size_t i = 0;
    size_t j = 0;
    while (i < a.size() && j < b.size()) {
        const bool da = a[i] >= '0' && a[i] <= '9';
        const bool db = b[j] >= '0' && b[j] <= '9';
        if (da && db) {
            size_t ie = i;
            size_t je = j;
            while (ie < a.size() && a[ie] >= '0' && a[ie] <= '9') {
                ++ie;
            }
            while (je < b.size() && b[je] >= '0' && b[je] <= '9') {
                ++je;
            }
            // Compare by length after dropping leading zeros, then lexicographically.
            std::string_view na(a.data() + i, ie - i);
            std::string_view nb(b.data() + j, je - j);
            while (na.size() > 1 && na.front() == '0') {
                na.remove_prefix(1);
            }
            while (nb.size() > 1 && nb.front() == '0') {
                nb.remove_prefix(1);
            }
            if (na.size() != nb.size()) {
                return na.size() < nb.size();
            }
            if (na != nb) {
                return na < nb;
            }
            i = ie;
            j = je;
        } else {
            if (a[i] != b[j]) {
                return a[i] < b[j];
            }
            ++i;
            ++j;
        }
    }
    return a.size() - i < b.size() - j;
}

// The id at the end of a name ("node-3" -> "3"), or the name.
std::string short_name(const std::string& name) {
    const size_t dash = name.find_last_of('-');
    if (dash != std::string::npos && dash + 1 < name.size() &&
        name.find_first_not_of("0123456789", dash + 1) == std::string::npos) {
        return name.substr(dash + 1);
    }
    return name;
}

std::string trimmed(std::string_view line) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\n')) {
        line.remove_suffix(1);
    }
    while (!line.empty() && line.front() == ' ') {
        line.remove_prefix(1);
    }
    return std::string(line);
}

}  // namespace

std::optional<TraceEvent> parse_trace_line(std::string_view line, std::string& error) {
    return LineParser(line, error).parse();
}

// ---------------------------------------------------------------------------------------------
// Building the timeline.

struct TimelineBuilder::State {
    // What changes a node's role band, in trace order.
    struct BandEvent {
        enum class Kind : uint8_t { role, crash, start };
        Kind kind = Kind::role;
        int64_t t_ns = 0;
        std::string role;
        int32_t epoch = 0;
        std::string detail;
    };
    struct Node {
        bool lane = false;  // has role, vote or partition events
        bool hit = false;   // a fault named it
        std::optional<int32_t> id;
        std::vector<BandEvent> band;
        std::vector<Span> paused;
        bool is_paused = false;
        std::vector<Mark> marks;
    };
    // A change of the network's blocked pairs. "*" stands for every other node.
    struct NetOp {
        enum class Kind : uint8_t { block, unblock, clear };
        Kind kind = Kind::clear;
        int64_t t_ns = 0;
        std::string from;  // a name, or a raw id to resolve (isolate/mute)
        std::string to;
        bool resolve = false;  // from is a raw "node" field
        std::string detail;
    };
    struct RawVote {
        int64_t t_ns = 0;
        std::string candidate;
        std::string voter;  // raw id
        int32_t epoch = 0;
        bool granted = false;
        bool pre_vote = false;
        std::string detail;
    };
    struct RawMark {
        int64_t t_ns = 0;
        std::string target;  // raw "node" field
        Mark mark;
    };
    struct Partition {
        std::vector<LeaderSpan> spans;
        std::pair<int32_t, int32_t> newest{-1, -1};  // (leader epoch, partition epoch)
    };

    std::map<std::string, Node> nodes;
    std::map<int32_t, std::string> name_of_id;
    std::vector<NetOp> net;
    std::vector<RawVote> votes;
    std::vector<RawMark> world_marks;
    std::map<std::string, Partition> partitions;
    int64_t end_ns = 0;
    size_t lines = 0;
    size_t drawn = 0;
    std::map<std::string, size_t> unresolved;

    void add(const TraceEvent& e, std::string detail);
    std::optional<std::string> resolve(const std::string& raw,
                                       const std::vector<std::string>& lanes) const;
};

TimelineBuilder::TimelineBuilder() : state_(std::make_unique<State>()) {}
TimelineBuilder::~TimelineBuilder() = default;

std::optional<std::string> TimelineBuilder::add_line(std::string_view line) {
    if (line.find_first_not_of(" \t\r\n") == std::string_view::npos) {
        return std::nullopt;
    }
    std::string error;
    auto e = parse_trace_line(line, error);
    if (!e) {
        return error;
    }
    if (e->t_ns < state_->end_ns) {
        // Virtual time never goes back within one run: two traces glued together, or not a trace.
        return "\"t\" goes back in time (" + std::to_string(e->t_ns) + " ns after " +
               std::to_string(state_->end_ns) + " ns): not the trace of one run";
    }
    state_->lines += 1;
    state_->add(*e, trimmed(line));
    return std::nullopt;
}

void TimelineBuilder::State::add(const TraceEvent& e, std::string detail) {
    end_ns = std::max(end_ns, e.t_ns);
    const std::string& k = e.kind;
    using BK = BandEvent::Kind;
    if (k == "raft.role") {
        Node& n = nodes[e.node];
        n.lane = true;
        if (auto id = to_int(e.field("node")); id && *id >= 0 && *id <= INT32_MAX) {
            n.id = static_cast<int32_t>(*id);
            name_of_id.emplace(*n.id, e.node);
        }
        const std::string* role = e.field("role");
        n.band.push_back({BK::role, e.t_ns, role ? *role : "?", to_int32(e.field("epoch"), 0),
                          std::move(detail)});
        drawn += 1;
    } else if (k == "raft.vote") {
        nodes[e.node].lane = true;
        const std::string* from = e.field("from");
        votes.push_back({e.t_ns, e.node, from ? *from : "", to_int32(e.field("epoch"), 0),
                         is_true(e.field("granted")), is_true(e.field("pre_vote")),
                         std::move(detail)});
    } else if (k == "partition.leader") {
        nodes[e.node].lane = true;
        const std::string* topic = e.field("topic");
        const std::string* index = e.field("partition");
        if (topic == nullptr || index == nullptr) {
            return;
        }
        Partition& p = partitions[*topic + "-" + *index];
        const std::pair<int32_t, int32_t> version{to_int32(e.field("epoch"), 0),
                                                  to_int32(e.field("partition_epoch"), 0)};
        if (version <= p.newest) {
            return;  // another broker applying what one already did, or a stale image
        }
        p.newest = version;
        if (!p.spans.empty()) {
            p.spans.back().end_ns = e.t_ns;
        }
        LeaderSpan s;
        s.begin_ns = e.t_ns;
        s.end_ns = e.t_ns;
        s.leader = to_int32(e.field("leader"), -1);
        s.epoch = version.first;
        const std::string* isr = e.field("isr");
        s.isr = isr ? *isr : "";
        s.label =
            (s.leader >= 0 ? "leader " + std::to_string(s.leader) : std::string("no leader")) +
            " e" + std::to_string(s.epoch) + " isr [" + s.isr + "]";
        s.detail = std::move(detail);
        p.spans.push_back(std::move(s));
        drawn += 1;
    } else if (k == "node.start") {
        Node& n = nodes[e.node];
        n.band.push_back({BK::start, e.t_ns, "", 0, std::move(detail)});
    } else if (k == "fault.crash" && e.node != "world") {
        Node& n = nodes[e.node];
        n.hit = true;
        n.band.push_back({BK::crash, e.t_ns, "", 0, detail});
        n.marks.push_back({Mark::Kind::crash, e.t_ns, "crash", std::move(detail)});
        if (n.is_paused) {
            n.paused.back().end_ns = e.t_ns;  // a crashed node is no longer paused
            n.is_paused = false;
        }
        drawn += 1;
    } else if (k == "fault.pause" && e.node != "world") {
        Node& n = nodes[e.node];
        n.hit = true;
        if (!n.is_paused) {
            n.paused.push_back({e.t_ns, e.t_ns, "paused", std::move(detail)});
            n.is_paused = true;
            drawn += 1;
        }
    } else if (k == "fault.resume" && e.node != "world") {
        Node& n = nodes[e.node];
        if (n.is_paused) {
            n.paused.back().end_ns = e.t_ns;
            n.is_paused = false;
        }
    } else if (k == "fault.partition") {
        const std::string* to = e.field("to");
        if (to == nullptr) {
            return;
        }
        nodes[e.node].hit = true;
        nodes[*to].hit = true;
        net.push_back({NetOp::Kind::block, e.t_ns, e.node, *to, false, detail});
        if (!is_true(e.field("one_way"))) {
            net.push_back({NetOp::Kind::block, e.t_ns, *to, e.node, false, std::move(detail)});
        }
        drawn += 1;
    } else if (k == "fault.heal") {
        const std::string* to = e.field("to");
        if (to == nullptr) {
            return;
        }
        net.push_back({NetOp::Kind::unblock, e.t_ns, e.node, *to, false, detail});
        net.push_back({NetOp::Kind::unblock, e.t_ns, *to, e.node, false, std::move(detail)});
    } else if (k == "fault.heal_all" || k == "nemesis.healed") {
        net.push_back({NetOp::Kind::clear, e.t_ns, "", "", false, std::move(detail)});
    } else if ((k == "fault.isolate" || k == "fault.mute") && e.field("node") != nullptr) {
        // The raft-quorum scenario's own network: isolate blocks both ways, mute only what the
        // victim sends. Until the next heal_all.
        const std::string& victim = *e.field("node");
        net.push_back({NetOp::Kind::block, e.t_ns, victim, "*", true, detail});
        if (k == "fault.isolate") {
            net.push_back({NetOp::Kind::block, e.t_ns, "*", victim, true, std::move(detail)});
        }
        drawn += 1;
    } else if (k.rfind("fault.", 0) == 0 ||
               (k.rfind("disk.", 0) == 0 && k.rfind("disk.crash", 0) != 0)) {
        const Mark::Kind kind = k[0] == 'd' ? Mark::Kind::disk : Mark::Kind::fault;
        const std::string label = k.substr(k.find('.') + 1);
        if (e.node == "world") {
            const std::string* target = e.field("node");
            if (target != nullptr && !to_int(target)) {
                nodes[*target].hit = true;  // a name; ids name Raft nodes, which have lanes
            }
            if (target != nullptr && k != "fault.crash") {  // a crash is drawn from the node's own
                world_marks.push_back({e.t_ns, *target, {kind, e.t_ns, label, std::move(detail)}});
            }
        } else if (!e.node.empty()) {
            Node& n = nodes[e.node];
            n.marks.push_back({kind, e.t_ns, label, std::move(detail)});
        }
    }
}

std::optional<std::string> TimelineBuilder::State::resolve(
    const std::string& raw, const std::vector<std::string>& lanes) const {
    if (std::find(lanes.begin(), lanes.end(), raw) != lanes.end()) {
        return raw;
    }
    if (auto id = to_int(&raw); id && *id >= INT32_MIN && *id <= INT32_MAX) {
        if (auto it = name_of_id.find(static_cast<int32_t>(*id)); it != name_of_id.end()) {
            return it->second;
        }
        std::optional<std::string> found;
        for (const std::string& l : lanes) {
            if (short_name(l) == raw) {
                if (found) {
                    return std::nullopt;  // ambiguous
                }
                found = l;
            }
        }
        return found;
    }
    return std::nullopt;
}

Timeline TimelineBuilder::finish() {
    State& s = *state_;
    Timeline t;
    t.end_ns = std::max<int64_t>(s.end_ns, 1);
    t.lines = s.lines;
    t.drawn = s.drawn;

    std::vector<std::string> lanes;
    for (const auto& [name, n] : s.nodes) {
        if (n.lane && name != "world") {
            lanes.push_back(name);
        }
    }
    std::sort(lanes.begin(), lanes.end(), natural_less);
    const size_t cluster_lanes = lanes.size();
    std::vector<std::string> others;
    for (const auto& [name, n] : s.nodes) {
        if (n.hit && !n.lane && name != "world") {
            others.push_back(name);
        }
    }
    std::sort(others.begin(), others.end(), natural_less);
    lanes.insert(lanes.end(), others.begin(), others.end());
    std::map<std::string, size_t> index;
    for (size_t i = 0; i < lanes.size(); ++i) {
        index[lanes[i]] = i;
    }

    for (const std::string& name : lanes) {
        State::Node& n = s.nodes[name];
        NodeLane lane;
        lane.name = name;
        lane.id = n.id;
        lane.cluster = t.nodes.size() < cluster_lanes;
        // The role band: a role lasts until the next role, a crash or the end; a crash lasts
        // until the node starts again.
        std::optional<RoleSpan> role;
        std::optional<Span> down;
        for (State::BandEvent& b : n.band) {
            switch (b.kind) {
                case State::BandEvent::Kind::role:
                    if (role) {
                        role->end_ns = b.t_ns;
                        lane.roles.push_back(std::move(*role));
                    }
                    if (down) {  // a role while down: the start was not traced
                        down->end_ns = b.t_ns;
                        lane.down.push_back(std::move(*down));
                        down.reset();
                    }
                    role = RoleSpan{};
                    role->begin_ns = b.t_ns;
                    role->role = b.role;
                    role->epoch = b.epoch;
                    role->label = b.role + " e" + std::to_string(b.epoch);
                    role->detail = std::move(b.detail);
                    break;
                case State::BandEvent::Kind::crash:
                    if (role) {
                        role->end_ns = b.t_ns;
                        lane.roles.push_back(std::move(*role));
                        role.reset();
                    }
                    if (!down) {
                        down = Span{b.t_ns, b.t_ns, "down", std::move(b.detail)};
                    }
                    break;
                case State::BandEvent::Kind::start:
                    if (down) {
                        down->end_ns = b.t_ns;
                        lane.down.push_back(std::move(*down));
                        down.reset();
                    }
                    break;
            }
        }
        if (role) {
            role->end_ns = t.end_ns;
            lane.roles.push_back(std::move(*role));
        }
        if (down) {
            down->end_ns = t.end_ns;
            lane.down.push_back(std::move(*down));
        }
        // Zero-length roles (two changes at one instant) carry nothing to draw.
        std::erase_if(lane.roles, [](const RoleSpan& r) { return r.end_ns <= r.begin_ns; });
        lane.paused = std::move(n.paused);
        if (n.is_paused) {
            lane.paused.back().end_ns = t.end_ns;
        }
        lane.marks = std::move(n.marks);
        t.nodes.push_back(std::move(lane));
    }

    for (State::RawMark& m : s.world_marks) {
        if (auto name = s.resolve(m.target, lanes)) {
            t.nodes[index.at(*name)].marks.push_back(std::move(m.mark));
            t.drawn += 1;
        } else {
            t.unresolved[std::string(m.mark.label)] += 1;
        }
    }
    for (NodeLane& lane : t.nodes) {
        std::stable_sort(lane.marks.begin(), lane.marks.end(),
                         [](const Mark& a, const Mark& b) { return a.t_ns < b.t_ns; });
    }

    for (State::RawVote& v : s.votes) {
        auto voter = s.resolve(v.voter, lanes);
        auto candidate = index.find(v.candidate);
        if (!voter || candidate == index.end()) {
            t.unresolved["raft.vote"] += 1;
            continue;
        }
        t.votes.push_back({v.t_ns, index.at(*voter), candidate->second, v.epoch, v.granted,
                           v.pre_vote, std::move(v.detail)});
        t.drawn += 1;
    }

    // Partitions: replay the blocked pairs; after each instant's changes, each lane's cut set.
    const size_t count = lanes.size();
    std::set<std::pair<std::string, std::string>> blocked;
    std::vector<std::optional<CutSpan>> open(count);
    auto cut = [&](size_t a, size_t b) {
        return blocked.contains({lanes[a], lanes[b]}) || blocked.contains({lanes[a], "*"}) ||
               blocked.contains({"*", lanes[b]});
    };
    auto settle = [&](int64_t at, const std::string& detail) {
        // Sides: connected components over the pairs not cut either way.
        std::vector<size_t> parent(count);
        std::iota(parent.begin(), parent.end(), size_t{0});
        auto root = [&](size_t x) {
            while (parent[x] != x) {
                x = parent[x] = parent[parent[x]];
            }
            return x;
        };
        for (size_t a = 0; a < count; ++a) {
            for (size_t b = a + 1; b < count; ++b) {
                if (!cut(a, b) && !cut(b, a)) {
                    parent[std::max(root(a), root(b))] = std::min(root(a), root(b));
                }
            }
        }
        std::map<size_t, int> component_of_root;
        for (size_t a = 0; a < count; ++a) {
            component_of_root.emplace(root(a), static_cast<int>(component_of_root.size()));
        }
        for (size_t a = 0; a < count; ++a) {
            CutSpan now;
            for (size_t b = 0; b < count; ++b) {
                if (b == a) {
                    continue;
                }
                const bool out = cut(a, b);
                const bool in = cut(b, a);
                if (out || in) {
                    now.cut_from.push_back(lanes[b]);
                    now.one_way = now.one_way || out != in;
                } else {
                    now.side.push_back(lanes[b]);
                }
            }
            now.side.insert(now.side.begin(), lanes[a]);
            now.component = component_of_root.at(root(a));
            size_t side_in_cluster = a < cluster_lanes ? 1 : 0;
            for (size_t b = 0; b < cluster_lanes; ++b) {
                side_in_cluster += b != a && !cut(a, b) && !cut(b, a) ? size_t{1} : size_t{0};
            }
            now.majority = 2 * side_in_cluster > cluster_lanes;
            std::optional<CutSpan>& cur = open[a];
            if (cur && cur->cut_from == now.cut_from && cur->one_way == now.one_way &&
                cur->component == now.component && cur->majority == now.majority) {
                continue;
            }
            if (cur) {
                cur->end_ns = at;
                if (cur->end_ns > cur->begin_ns) {
                    t.nodes[a].cut.push_back(std::move(*cur));
                }
                cur.reset();
            }
            if (!now.cut_from.empty()) {
                now.begin_ns = at;
                now.end_ns = at;
                if (now.cut_from.size() + 1 == count) {
                    now.label = "isolated";
                } else {
                    now.label = "cut from ";
                    for (size_t i = 0; i < now.cut_from.size(); ++i) {
                        now.label += (i ? "," : "") + short_name(now.cut_from[i]);
                    }
                }
                if (now.one_way) {
                    now.label += " (one-way)";
                }
                now.detail = detail;
                cur = std::move(now);
            }
        }
    };
    for (size_t i = 0; i < s.net.size(); ++i) {
        State::NetOp& op = s.net[i];
        std::string from = op.from;
        std::string to = op.to;
        if (op.resolve) {
            const std::string& raw = from == "*" ? to : from;
            auto name = s.resolve(raw, lanes);
            if (!name) {
                t.unresolved["network fault"] += 1;
                continue;
            }
            (from == "*" ? to : from) = *name;
        }
        switch (op.kind) {
            case State::NetOp::Kind::block:
                blocked.insert({from, to});
                break;
            case State::NetOp::Kind::unblock:
                blocked.erase({from, to});
                break;
            case State::NetOp::Kind::clear:
                blocked.clear();
                break;
        }
        // One settle per instant: the pairs of one isolation arrive as several events.
        if (i + 1 == s.net.size() || s.net[i + 1].t_ns != op.t_ns) {
            settle(op.t_ns, op.detail);
        }
    }
    blocked.clear();
    settle(t.end_ns, "");

    for (auto& [name, p] : s.partitions) {
        PartitionLane lane;
        lane.name = name;
        lane.spans = std::move(p.spans);
        if (!lane.spans.empty()) {
            lane.spans.back().end_ns = t.end_ns;
        }
        t.partitions.push_back(std::move(lane));
    }
    std::sort(t.partitions.begin(), t.partitions.end(),
              [](const PartitionLane& a, const PartitionLane& b) {
                  return natural_less(a.name, b.name);
              });
    return t;
}

// ---------------------------------------------------------------------------------------------
// Drawing.

namespace {


std::string num(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f", v);
    return buf;
}

std::string seconds(int64_t ns) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3f s", static_cast<double>(ns) / 1e9);
    return buf;
}

struct RoleStyle {
    const char* fill;
    const char* text;
};

RoleStyle role_style(const std::string& role) {
    if (role == "leader") return {"#1a9641", "#ffffff"};
    if (role == "candidate") return {"#f46d43", "#000000"};
    if (role == "prospective") return {"#fee08b", "#000000"};  // asking for pre-votes (KIP-996)
    if (role == "voted") return {"#c2a5cf", "#000000"};
    if (role == "follower") return {"#abd9e9", "#000000"};
    if (role == "unattached") return {"#e8e8e8", "#000000"};
    if (role == "resigned") return {"#f1b6da", "#000000"};  // a leader handing over
    return {"#cccccc", "#000000"};
}

// The side of a partition a node is on: with a majority of the cluster (it can still form a
// quorum), without one, or a process outside the cluster.
constexpr const char* side_majority = "#2b8cbe";
constexpr const char* side_minority = "#d7301f";
constexpr const char* side_outside = "#777777";

// Node identities (the partition lanes color a span by its leader).
const char* node_color(size_t i) {
    static const char* colors[] = {"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
                                   "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"};
    return colors[i % (sizeof colors / sizeof colors[0])];
}

constexpr double char_px = 6.6;  // an estimate of one character's width at font-size 11

double text_px(std::string_view s, double font = 11) {
    return static_cast<double>(s.size()) * char_px * font / 11.0;
}

class Svg {
public:
    Svg(const Timeline& t, const SvgOptions& o) : t_(t), o_(o) {
        width_ = std::max(o.width_px, 400);
        plot_left_ = 130;
        plot_right_ = width_ - 20;
        scale_ = (plot_right_ - plot_left_) / static_cast<double>(t.end_ns);
        for (size_t i = 0; i < t.nodes.size(); ++i) {
            if (t.nodes[i].id) {
                color_of_id_[*t.nodes[i].id] = node_color(i);
            }
        }
    }

    std::string render() {
        const double legend_bottom = legend(52);
        axis_y_ = legend_bottom + 26;
        lanes_top_ = axis_y_ + 8;
        first_other_ = t_.nodes.size();
        for (size_t i = 0; i < t_.nodes.size(); ++i) {
            if (!t_.nodes[i].cluster) {
                first_other_ = std::min(first_other_, i);
            }
        }
        const double lanes_top = lanes_top_;
        const double lanes_bottom = lane_y(t_.nodes.size());
        double partitions_top = lanes_bottom;
        double bottom = lanes_bottom;
        if (!t_.partitions.empty()) {
            partitions_top = lanes_bottom + 26;
            bottom = partitions_top + part_h_ * static_cast<double>(t_.partitions.size());
        }
        height_ = bottom + 34;

        std::string head = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" +
                           std::to_string(width_) + "\" height=\"" + num(height_) +
                           "\" viewBox=\"0 0 " + std::to_string(width_) + " " + num(height_) +
                           "\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"11\">\n";
        head +=
            "<defs>\n"
            "<pattern id=\"hatch\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" "
            "patternTransform=\"rotate(45)\"><rect width=\"6\" height=\"6\" fill=\"#ffffff\" "
            "fill-opacity=\"0.35\"/><line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" stroke=\"#333\" "
            "stroke-width=\"2.5\"/></pattern>\n"
            "<marker id=\"arrow-granted\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" "
            "markerWidth=\"6\" markerHeight=\"6\" orient=\"auto-start-reverse\"><path d=\"M0,0 "
            "L10,5 L0,10 z\" fill=\"#1a7837\"/></marker>\n"
            "<marker id=\"arrow-refused\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" "
            "markerWidth=\"6\" markerHeight=\"6\" orient=\"auto-start-reverse\"><path d=\"M0,0 "
            "L10,5 L0,10 z\" fill=\"#c51b7d\"/></marker>\n"
            "</defs>\n<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n";
        out_ = std::move(head) + out_;  // the legend was drawn first

        out_ += "<text x=\"12\" y=\"20\" font-size=\"15\" font-weight=\"bold\">" +
                xml::escape_attribute("Elections" + (o_.title.empty() ? "" : " — " + o_.title)) + "</text>\n";
        std::string sub = std::to_string(t_.nodes.size()) + " nodes, " + seconds(t_.end_ns) +
                          " simulated, " + std::to_string(t_.votes.size()) + " votes";
        if (!t_.partitions.empty()) {
            sub += ", " + std::to_string(t_.partitions.size()) + " topic-partitions";
        }
        sub += "; " + std::to_string(t_.drawn) + " of " + std::to_string(t_.lines) +
               " trace events drawn. Time is to scale; hover a span or mark for its event.";
        out_ += "<text x=\"12\" y=\"38\" fill=\"#444\">" + xml::escape_attribute(sub) + "</text>\n";

        axis(lanes_top, bottom);
        for (size_t i = 0; i < t_.nodes.size(); ++i) {
            node_lane(t_.nodes[i], lane_y(i));
        }
        if (first_other_ > 0 && first_other_ < t_.nodes.size()) {
            out_ += "<text x=\"12\" y=\"" + num(lane_y(first_other_) - 6) +
                    "\" font-weight=\"bold\">Other processes (only faults name them)</text>\n";
        }
        votes();
        if (!t_.partitions.empty()) {
            out_ += "<text x=\"12\" y=\"" + num(partitions_top - 8) +
                    "\" font-weight=\"bold\">Topic-partitions: leader, leader epoch, ISR (color: "
                    "the leader's node)</text>\n";
            for (size_t i = 0; i < t_.partitions.size(); ++i) {
                partition_lane(t_.partitions[i], partitions_top + part_h_ * static_cast<double>(i));
            }
        }
        if (!t_.unresolved.empty()) {
            std::string note = "Not drawn (names no lane): ";
            bool first = true;
            for (const auto& [kind, n] : t_.unresolved) {
                note += (first ? "" : ", ") + kind + " x" + std::to_string(n);
                first = false;
            }
            out_ += "<text x=\"12\" y=\"" + num(height_ - 10) + "\" fill=\"#888\">" +
                    xml::escape_attribute(note) + "</text>\n";
        }
        out_ += "</svg>\n";
        return std::move(out_);
    }

private:
    double x(int64_t ns) const { return plot_left_ + static_cast<double>(ns) * scale_; }
    // The top of lane i; the processes outside the cluster come after a gap with their header.
    double lane_y(size_t i) const {
        const bool gap = first_other_ > 0 && first_other_ < t_.nodes.size() && i >= first_other_;
        return lanes_top_ + lane_h_ * static_cast<double>(i) + (gap ? 26 : 0);
    }

    // Tooltip and (interactive) the event's JSON for the info box.
    std::string hover(const std::string& summary, const std::string& detail) const {
        std::string a;
        if (o_.interactive && !detail.empty()) {
            a = " data-ev=\"" + xml::escape_attribute(detail) + "\"";
        }
        return a + "><title>" + xml::escape_attribute(summary + (detail.empty() ? "" : "\n" + detail)) +
               "</title";
    }

    void rect(double x0, double y0, double w, double h, const std::string& fill,
              const std::string& extra, const std::string& summary, const std::string& detail) {
        out_ += "<rect x=\"" + num(x0) + "\" y=\"" + num(y0) + "\" width=\"" +
                num(std::max(w, 0.8)) + "\" height=\"" + num(h) + "\" fill=\"" + fill + "\"" +
                extra + hover(summary, detail) + "></rect>\n";
    }

    void text(double x0, double y0, const std::string& s, const std::string& extra) {
        out_ += "<text x=\"" + num(x0) + "\" y=\"" + num(y0) + "\"" + extra +
                " pointer-events=\"none\">" + xml::escape_attribute(s) + "</text>\n";
    }

    static std::string span_summary(const std::string& what, const Span& s) {
        return what + ": " + seconds(s.begin_ns) + " to " + seconds(s.end_ns) + " (" +
               seconds(s.end_ns - s.begin_ns) + ")";
    }

    // Legend rows from y; returns the bottom.
    double legend(double y) {
        double lx = 12;
        double ly = y;
        auto item = [&](const std::string& label, auto&& swatch) {
            const double w = 22 + text_px(label) + 14;
            if (lx + w > width_ - 12) {
                lx = 12;
                ly += 18;
            }
            swatch(lx, ly);
            text(lx + 20, ly + 4, label, "");
            lx += w;
        };
        auto box = [&](const char* fill) {
            return [this, fill](double x0, double y0) {
                out_ += "<rect x=\"" + num(x0) + "\" y=\"" + num(y0 - 6) +
                        "\" width=\"16\" height=\"12\" fill=\"" + fill +
                        "\" stroke=\"#999\" stroke-width=\"0.5\"/>\n";
            };
        };
        out_ += "<g class=\"legend\">\n";
        for (const char* role : {"leader", "candidate", "prospective", "voted", "follower",
                                 "unattached", "resigned"}) {
            std::string label = role;
            if (label == "prospective") {
                label = "prospective (pre-vote)";
            } else if (label == "voted") {
                label = "voted (no leader known)";
            }
            item(label, box(role_style(role).fill));
        }
        item("down (crashed)", box("#404040"));
        item("paused", box("url(#hatch)"));
        item("partition: cut off on a minority side", box(side_minority));
        item("partition: on a majority side", box(side_majority));
        item("crash", [this](double x0, double y0) { cross(x0 + 8, y0, 5); });
        item("other fault", [this](double x0, double y0) { diamond(x0 + 8, y0, "#e08214"); });
        item("disk fault", [this](double x0, double y0) { diamond(x0 + 8, y0, "#7b3294"); });
        item("vote granted", [this](double x0, double y0) {
            out_ +=
                "<line x1=\"" + num(x0) + "\" y1=\"" + num(y0) + "\" x2=\"" + num(x0 + 16) +
                "\" y2=\"" + num(y0) +
                "\" stroke=\"#1a7837\" stroke-width=\"1.6\" marker-end=\"url(#arrow-granted)\"/>\n";
        });
        item("vote refused", [this](double x0, double y0) {
            out_ += "<line x1=\"" + num(x0) + "\" y1=\"" + num(y0) + "\" x2=\"" + num(x0 + 16) +
                    "\" y2=\"" + num(y0) +
                    "\" stroke=\"#c51b7d\" stroke-width=\"1.6\" stroke-dasharray=\"3 2\" "
                    "marker-end=\"url(#arrow-refused)\"/>\n";
        });
        item("pre-vote (faint)", [this](double x0, double y0) {
            out_ += "<line x1=\"" + num(x0) + "\" y1=\"" + num(y0) + "\" x2=\"" + num(x0 + 16) +
                    "\" y2=\"" + num(y0) +
                    "\" stroke=\"#1a7837\" stroke-width=\"1\" stroke-opacity=\"0.45\" "
                    "marker-end=\"url(#arrow-granted)\"/>\n";
        });
        out_ += "</g>\n";
        return ly + 8;
    }

    void cross(double cx, double cy, double r) {
        out_ += "<path d=\"M" + num(cx - r) + "," + num(cy - r) + " L" + num(cx + r) + "," +
                num(cy + r) + " M" + num(cx - r) + "," + num(cy + r) + " L" + num(cx + r) + "," +
                num(cy - r) + "\" stroke=\"#b2182b\" stroke-width=\"2.5\"/>\n";
    }

    void diamond(double cx, double cy, const char* fill) {
        out_ += "<path d=\"M" + num(cx) + "," + num(cy - 5) + " L" + num(cx + 4) + "," + num(cy) +
                " L" + num(cx) + "," + num(cy + 5) + " L" + num(cx - 4) + "," + num(cy) +
                " z\" fill=\"" + fill + "\"/>\n";
    }

    // Ticks at 1, 2 or 5 times a power of ten seconds, at least ~90 px apart.
    void axis(double top, double bottom) {
        const double span_s = static_cast<double>(t_.end_ns) / 1e9;
        const double px_per_s = (plot_right_ - plot_left_) / span_s;
        const double min_step_s = 90.0 / px_per_s;
        double step_s = std::pow(10.0, std::floor(std::log10(min_step_s)));
        for (double m : {1.0, 2.0, 5.0, 10.0}) {
            if (step_s * m >= min_step_s) {
                step_s *= m;
                break;
            }
        }
        const int decimals = step_s >= 1 ? 0 : static_cast<int>(std::ceil(-std::log10(step_s)));
        out_ += "<g class=\"axis\">\n<line x1=\"" + num(plot_left_) + "\" y1=\"" + num(axis_y_) +
                "\" x2=\"" + num(plot_right_) + "\" y2=\"" + num(axis_y_) +
                "\" stroke=\"#333\"/>\n";
        for (int64_t k = 0; k <= 1000; ++k) {  // 1000: a bound, the step keeps ticks >= 90 px apart
            const double s = static_cast<double>(k) * step_s;
            const auto ns = static_cast<int64_t>(std::llround(s * 1e9));
            if (ns > t_.end_ns) {
                break;
            }
            char label[32];
            std::snprintf(label, sizeof label, "%.*f s", decimals, s);
            const double tx = x(ns);
            out_ += "<g class=\"tick\" data-t-ns=\"" + std::to_string(ns) + "\"><line x1=\"" +
                    num(tx) + "\" y1=\"" + num(axis_y_ - 5) + "\" x2=\"" + num(tx) + "\" y2=\"" +
                    num(axis_y_) + "\" stroke=\"#333\"/><text x=\"" + num(tx) + "\" y=\"" +
                    num(axis_y_ - 8) + "\" text-anchor=\"middle\">" + label + "</text></g>\n";
            out_ += "<line class=\"grid\" x1=\"" + num(tx) + "\" y1=\"" + num(top) + "\" x2=\"" +
                    num(tx) + "\" y2=\"" + num(bottom) + "\" stroke=\"#dddddd\"/>\n";
        }
        out_ += "</g>\n";
    }

    void node_lane(const NodeLane& n, double y) {
        out_ += std::string("<g class=\"lane") + (n.cluster ? "" : " other") + "\" data-node=\"" +
                xml::escape_attribute(n.name) + "\">\n";
        if (static_cast<size_t>(&n - t_.nodes.data()) % 2 == 1) {
            out_ += "<rect x=\"0\" y=\"" + num(y) + "\" width=\"" + std::to_string(width_) +
                    "\" height=\"" + num(lane_h_) + "\" fill=\"#f6f6f6\"/>\n";
        }
        const double band_y = y + 17;
        const double band_h = 20;
        const size_t i = static_cast<size_t>(&n - t_.nodes.data());
        out_ += "<rect x=\"12\" y=\"" + num(band_y + 4) + "\" width=\"12\" height=\"12\" fill=\"" +
                node_color(i) + "\"/>\n";
        out_ += "<text class=\"lane-label\" x=\"30\" y=\"" + num(band_y + 14) +
                "\" font-size=\"13\" font-weight=\"bold\">" + xml::escape_attribute(n.name) + "</text>\n";
        for (const RoleSpan& r : n.roles) {
            const RoleStyle st = role_style(r.role);
            const double x0 = x(r.begin_ns);
            const double w = x(r.end_ns) - x0;
            rect(x0, band_y, w, band_h, st.fill,
                 " class=\"role\" data-role=\"" + xml::escape_attribute(r.role) + "\"",
                 span_summary(n.name + " " + r.role + " in epoch " + std::to_string(r.epoch), r),
                 r.detail);
            if (r.role == "leader") {
                for (std::string label :
                     {"leader e" + std::to_string(r.epoch), "e" + std::to_string(r.epoch)}) {
                    if (text_px(label) + 6 <= w) {
                        text(x0 + 3, band_y + 14, label,
                             std::string(" class=\"epoch\" font-weight=\"bold\" fill=\"") +
                                 st.text + "\"");
                        break;
                    }
                }
            }
        }
        for (const Span& d : n.down) {
            const double x0 = x(d.begin_ns);
            const double w = x(d.end_ns) - x0;
            rect(x0, band_y, w, band_h, "#404040", " class=\"down\"",
                 span_summary(n.name + " down", d), d.detail);
            if (text_px("down") + 14 <= w) {
                text(x0 + 10, band_y + 14, "down", " fill=\"#ffffff\"");
            }
        }
        for (const Span& p : n.paused) {
            const double x0 = x(p.begin_ns);
            const double w = x(p.end_ns) - x0;
            rect(x0, band_y - 2, w, band_h + 4, "url(#hatch)",
                 " class=\"paused\" stroke=\"#333\" stroke-width=\"0.8\"",
                 span_summary(n.name + " paused", p), p.detail);
        }
        for (const CutSpan& c : n.cut) {
            const double x0 = x(c.begin_ns);
            const double w = x(c.end_ns) - x0;
            std::string side;
            for (size_t k = 0; k < c.side.size(); ++k) {
                side += (k ? "," : "") + short_name(c.side[k]);
            }
            rect(x0, y + 3, w, 12,
                 !n.cluster   ? side_outside
                 : c.majority ? side_majority
                              : side_minority,
                 std::string(" class=\"cut\"") +
                     (c.one_way ? " fill-opacity=\"0.55\" stroke-dasharray=\"3 2\" stroke=\"#000\""
                                : ""),
                 span_summary(n.name + " " + c.label + "; its side: " + side +
                                  (c.majority ? " (a majority)" : ""),
                              c),
                 c.detail);
            if (text_px(c.label, 9) + 6 <= w) {
                text(x0 + 3, y + 12, c.label, " font-size=\"9\" fill=\"#ffffff\"");
            }
        }
        for (const Mark& m : n.marks) {
            const double mx = x(m.t_ns);
            const std::string summary = n.name + " " + m.label + " at " + seconds(m.t_ns);
            out_ += "<g class=\"mark\" data-kind=\"" + xml::escape_attribute(m.label) + "\"" +
                    hover(summary, m.detail) + ">";
            switch (m.kind) {
                case Mark::Kind::crash:
                    out_ += "<rect x=\"" + num(mx - 6) + "\" y=\"" + num(band_y - 2) +
                            "\" width=\"12\" height=\"" + num(band_h + 4) +
                            "\" fill=\"#ffffff\" fill-opacity=\"0\"/>";
                    cross(mx, band_y + band_h / 2, 6);
                    break;
                case Mark::Kind::fault:
                    diamond(mx, band_y + band_h + 5, "#e08214");
                    break;
                case Mark::Kind::disk:
                    diamond(mx, band_y + band_h + 5, "#7b3294");
                    break;
            }
            out_ += "</g>\n";
        }
        out_ += "</g>\n";
    }

    void votes() {
        out_ += "<g class=\"votes\">\n";
        for (const Vote& v : t_.votes) {
            const double band_y = 17;
            const double from_y = lane_y(v.voter) + band_y + 10;
            const double to_lane = lane_y(v.candidate);
            const double to_y =
                v.voter < v.candidate ? to_lane + band_y - 1 : to_lane + band_y + 21;
            const double vx = x(v.t_ns);
            const std::string name = v.granted ? "granted" : "refused";
            std::string style =
                v.granted ? " stroke=\"#1a7837\"" : " stroke=\"#c51b7d\" stroke-dasharray=\"4 3\"";
            style += v.pre_vote ? " stroke-width=\"1\" stroke-opacity=\"0.45\""
                                : " stroke-width=\"1.6\"";
            const std::string summary =
                std::string(v.pre_vote ? "pre-vote " : "vote ") + name + " by " +
                t_.nodes[v.voter].name + " to " + t_.nodes[v.candidate].name + " for epoch " +
                std::to_string(v.epoch) + ", received at " + seconds(v.t_ns);
            out_ += "<line class=\"vote\" data-granted=\"" + std::string(v.granted ? "1" : "0") +
                    "\" x1=\"" + num(vx - 5) + "\" y1=\"" + num(from_y) + "\" x2=\"" + num(vx) +
                    "\" y2=\"" + num(to_y) + "\"" + style + " marker-end=\"url(#arrow-" + name +
                    ")\"" + hover(summary, v.detail) + "></line>\n";
        }
        out_ += "</g>\n";
    }

    void partition_lane(const PartitionLane& p, double y) {
        out_ += "<g class=\"partition\" data-partition=\"" + xml::escape_attribute(p.name) + "\">\n";
        out_ += "<text class=\"partition-label\" x=\"12\" y=\"" + num(y + 15) + "\">" +
                xml::escape_attribute(p.name) + "</text>\n";
        for (const LeaderSpan& s : p.spans) {
            const double x0 = x(s.begin_ns);
            const double w = x(s.end_ns) - x0;
            auto color = color_of_id_.find(s.leader);
            const std::string fill = s.leader < 0                  ? "url(#hatch)"
                                     : color != color_of_id_.end() ? color->second
                                                                   : "#999999";
            rect(x0, y + 3, w, part_h_ - 6, fill,
                 " class=\"leader\" fill-opacity=\"0.55\" stroke=\"#ffffff\" stroke-width=\"1\"",
                 span_summary(p.name + " " + s.label, s), s.detail);
            const std::string who = s.leader >= 0 ? std::to_string(s.leader) : "none";
            for (const std::string& label :
                 {"leader " + who + " · e" + std::to_string(s.epoch) + " · isr " + s.isr,
                  who + " e" + std::to_string(s.epoch) + " [" + s.isr + "]",
                  who + " e" + std::to_string(s.epoch), who}) {
                // "·" is two bytes of UTF-8 but one glyph: close enough for an estimate.
                if (text_px(label) + 6 <= w) {
                    text(x0 + 3, y + 15, label, "");
                    break;
                }
            }
        }
        out_ += "</g>\n";
    }

    const Timeline& t_;
    const SvgOptions& o_;
    std::string out_;
    int width_ = 0;
    double plot_left_ = 0;
    double plot_right_ = 0;
    double scale_ = 0;
    double axis_y_ = 0;
    double lanes_top_ = 0;
    size_t first_other_ = 0;  // the first lane outside the cluster
    double height_ = 0;
    double lane_h_ = 48;
    double part_h_ = 22;
    std::map<int32_t, std::string> color_of_id_;
};

std::string dot_escape(const std::string& s) {
    std::string out;
    for (char c : s) {
        if (c == '\n') {
            out += "\\n";
            continue;
        }
        if (c == '"' || c == '\\') {
            out += '\\';
        }
        out += c;
    }
    return out;
}

}  // namespace

std::string render_svg(const Timeline& t, const SvgOptions& o) { return Svg(t, o).render(); }

std::string render_html(const Timeline& t, const SvgOptions& o) {
    SvgOptions interactive = o;
    interactive.interactive = true;
    std::string html =
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>" +
        xml::escape_attribute("Elections" + (o.title.empty() ? "" : " — " + o.title)) +
        "</title>\n<style>\n"
        "body { margin: 0; background: #fff; font-family: Helvetica, Arial, sans-serif; }\n"
        "#info { position: fixed; right: 10px; bottom: 10px; max-width: 520px; padding: 6px 9px;"
        " background: rgba(255,255,255,0.95); border: 1px solid #888; border-radius: 4px;"
        " font: 12px monospace; white-space: pre-wrap; pointer-events: none; }\n"
        "[data-ev]:hover { stroke: #000; stroke-width: 2; }\n"
        "</style></head><body>\n";
    html += render_svg(t, interactive);
    html +=
        "<div id=\"info\">Hover a span, mark or vote to see its trace event.</div>\n"
        "<script>\n"
        "// The info box: the fields of the trace event under the mouse.\n"
        "const info = document.getElementById('info');\n"
        "document.querySelector('svg').addEventListener('mouseover', (e) => {\n"
        "  const el = e.target.closest('[data-ev]');\n"
        "  if (!el) return;\n"
        "  const title = el.querySelector('title');\n"
        "  let rows = [title ? title.textContent.split('\\n')[0] : ''];\n"
        "  try {\n"
        "    const o = JSON.parse(el.dataset.ev);\n"
        "    for (const [k, v] of Object.entries(o)) {\n"
        "      const shown = k === 't' ? v + ' ns (' + (v / 1e9).toFixed(6) + ' s)'\n"
        "                              : (typeof v === 'string' ? v : JSON.stringify(v));\n"
        "      rows.push(k.padEnd(16) + ' ' + shown);\n"
        "    }\n"
        "  } catch (err) { rows.push(el.dataset.ev); }\n"
        "  info.textContent = rows.join('\\n');\n"
        "});\n"
        "</script>\n</body></html>\n";
    return html;
}

std::string render_dot(const Timeline& t) {
    std::string dot = "digraph elections {\n  rankdir=LR;\n  node [style=filled, fontsize=10];\n";
    size_t id = 0;
    for (const NodeLane& n : t.nodes) {
        dot += "  subgraph \"cluster_" + dot_escape(n.name) + "\" {\n    label=\"" +
               dot_escape(n.name) + "\";\n";
        // Roles and crashes in time order.
        std::vector<std::tuple<int64_t, std::string, std::string, std::string>> boxes;
        for (const RoleSpan& r : n.roles) {
            boxes.emplace_back(r.begin_ns, r.label + "\n" + seconds(r.begin_ns),
                               role_style(r.role).fill, "box");
        }
        for (const Span& d : n.down) {
            boxes.emplace_back(d.begin_ns, "crash\n" + seconds(d.begin_ns), "#f4a582", "octagon");
        }
        std::stable_sort(boxes.begin(), boxes.end(), [](const auto& a, const auto& b) {
            return std::get<0>(a) < std::get<0>(b);
        });
        const size_t first = id;
        for (const auto& [at, label, fill, shape] : boxes) {
            (void)at;
            dot += "    e" + std::to_string(id++) + " [label=\"" + dot_escape(label) +
                   "\", shape=" + shape + ", fillcolor=\"" + fill + "\"];\n";
        }
        for (size_t k = first + 1; k < id; ++k) {
            dot +=
                "    e" + std::to_string(k - 1) + " -> e" + std::to_string(k) + " [weight=10];\n";
        }
        dot += "  }\n";
    }
    dot += "}\n";
    return dot;
}

}  // namespace eddy::viz
