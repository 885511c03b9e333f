// The election picture's model and SVG (runtime/election_viz.h): trace lines parse or are refused
// with a reason; roles, epochs, down, pause and partition spans, votes and partition leaders come
// out of the builder as the events say; the SVG has a lane per node and a time axis whose ticks
// are proportional to time.
#include "runtime/election_viz.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace eddy::viz;

namespace {

constexpr int64_t s = 1'000'000'000;

std::string role(int64_t t, const std::string& node, int id, const std::string& r, int epoch) {
    return "{\"i\":0,\"t\":" + std::to_string(t) + ",\"n\":\"" + node +
           "\",\"k\":\"raft.role\",\"node\":" + std::to_string(id) +
           ",\"epoch\":" + std::to_string(epoch) + ",\"role\":\"" + r +
           "\",\"end_offset\":0,\"high_watermark\":0}";
}

std::string event(int64_t t, const std::string& node, const std::string& kind,
                  const std::string& fields = "") {
    return "{\"i\":0,\"t\":" + std::to_string(t) + ",\"n\":\"" + node + "\",\"k\":\"" + kind +
           "\"" + (fields.empty() ? "" : "," + fields) + "}";
}

Timeline build(const std::vector<std::string>& lines) {
    TimelineBuilder b;
    for (const std::string& l : lines) {
        auto error = b.add_line(l);
        REQUIRE_MESSAGE(!error, l, ": ", error.value_or(""));
    }
    return b.finish();
}

// The numbers of attribute `name` in each element of `svg` that starts with `open`.
std::vector<double> attributes(const std::string& svg, const std::string& open,
                               const std::string& name) {
    std::vector<double> out;
    for (size_t at = svg.find(open); at != std::string::npos; at = svg.find(open, at + 1)) {
        const size_t a = svg.find(" " + name + "=\"", at);
        REQUIRE(a != std::string::npos);
        out.push_back(std::stod(svg.substr(a + name.size() + 3)));
    }
    return out;
}

size_t count(const std::string& text, const std::string& what) {
    size_t n = 0;
    for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) {
        ++n;
    }
    return n;
}

}  // namespace

TEST_CASE("election_viz: trace lines parse, malformed ones are refused with a reason") {
    std::string error;
    auto e = parse_trace_line(
        R"({"i":7,"t":1500,"n":"node-1","k":"raft.role","epoch":3,"role":"leader","m":"a\"b\u00e9","x":{"y":[1,"}"]}})",
        error);
    REQUIRE(e);
    CHECK(e->t_ns == 1500);
    CHECK(e->node == "node-1");
    CHECK(e->kind == "raft.role");
    REQUIRE(e->field("epoch"));
    CHECK(*e->field("epoch") == "3");
    CHECK(*e->field("m") == "a\"b\xc3\xa9");
    CHECK(*e->field("x") == R"({"y":[1,"}"]})");
    CHECK(e->field("i") == nullptr);

    for (const char* bad :
         {"not a trace", R"({"t":1,"k":"x")", R"({"t":"1","k":"x"})", R"({"t":-5,"k":"x"})",
          R"({"k":"x"})", R"({"t":1})", R"({"t":1,"k":"x",})", R"({"t":1,"k":"x"} tail)",
          R"({"t":1,"k":"x","v":tru})", R"({"t":1,"k":"\q"})", "{"}) {
        error.clear();
        CHECK_MESSAGE(!parse_trace_line(bad, error), bad);
        CHECK_MESSAGE(!error.empty(), bad);
        CHECK_MESSAGE(error.find('\n') == std::string::npos, bad);
    }
    parse_trace_line(R"({"t":1,"k":"x" "v":1})", error);
    CHECK(error == "expected ',' or '}' at column 16");

    // The builder refuses a line and stays usable; blank lines are nothing.
    TimelineBuilder b;
    CHECK(b.add_line("garbage"));
    CHECK(!b.add_line("   "));
    CHECK(!b.add_line(role(5, "a", 1, "follower", 1)));
    auto back = b.add_line(role(4, "a", 1, "leader", 1));  // virtual time never goes back
    REQUIRE(back);
    CHECK(*back == "\"t\" goes back in time (4 ns after 5 ns): not the trace of one run");
    CHECK(b.finish().nodes.size() == 1);
}

TEST_CASE("election_viz: roles with epochs, crashes and pauses become spans") {
    const Timeline t = build({
        event(0, "a", "node.start", R"("incarnation":1)"),
        role(0, "a", 1, "unattached", 0),
        role(0, "b", 2, "follower", 1),
        role(1 * s, "a", 1, "prospective", 0),
        role(2 * s, "a", 1, "candidate", 1),
        role(2 * s + s / 2, "a", 1, "leader", 1),
        event(3 * s, "a", "fault.crash", R"("incarnation":1)"),
        event(3 * s, "a", "disk.crash", R"("epoch":1)"),  // part of the crash: no mark
        event(4 * s, "a", "node.start", R"("incarnation":2)"),
        role(4 * s + s / 10, "a", 1, "follower", 2),
        event(5 * s, "b", "fault.pause"),
        event(6 * s, "b", "fault.resume"),
        event(7 * s, "b", "fault.pause"),
        event(8 * s, "b", "buggify.fire", R"("site":"x")"),  // unknown kinds are ignored
        event(10 * s, "world", "run.end", R"("pass":true)"),
    });
    CHECK(t.end_ns == 10 * s);
    REQUIRE(t.nodes.size() == 2);
    const NodeLane& a = t.nodes[0];
    CHECK(a.name == "a");
    CHECK(a.id == 1);
    REQUIRE(a.roles.size() == 5);
    CHECK(a.roles[0].role == "unattached");
    CHECK(a.roles[1].role == "prospective");
    CHECK(a.roles[2].role == "candidate");
    CHECK(a.roles[2].epoch == 1);
    CHECK(a.roles[3].role == "leader");
    CHECK(a.roles[3].epoch == 1);
    CHECK(a.roles[3].begin_ns == 2 * s + s / 2);
    CHECK(a.roles[3].end_ns == 3 * s);  // a crash ends the role
    CHECK(a.roles[4].role == "follower");
    CHECK(a.roles[4].epoch == 2);
    CHECK(a.roles[4].begin_ns == 4 * s + s / 10);
    CHECK(a.roles[4].end_ns == 10 * s);
    CHECK(a.roles[3].detail.find("\"role\":\"leader\"") != std::string::npos);
    REQUIRE(a.down.size() == 1);
    CHECK(a.down[0].begin_ns == 3 * s);
    CHECK(a.down[0].end_ns == 4 * s);
    REQUIRE(a.marks.size() == 1);
    CHECK(a.marks[0].kind == Mark::Kind::crash);
    CHECK(a.marks[0].t_ns == 3 * s);
    for (size_t i = 1; i < a.roles.size(); ++i) {
        CHECK(a.roles[i - 1].end_ns <= a.roles[i].begin_ns);
    }
    const NodeLane& b = t.nodes[1];
    REQUIRE(b.paused.size() == 2);
    CHECK(b.paused[0].begin_ns == 5 * s);
    CHECK(b.paused[0].end_ns == 6 * s);
    CHECK(b.paused[1].end_ns == 10 * s);  // never resumed: until the end
}

TEST_CASE("election_viz: partitions cut nodes off, with their side") {
    const Timeline t = build({
        role(0, "node-1", 1, "follower", 1),
        role(0, "node-2", 2, "follower", 1),
        role(0, "node-3", 3, "leader", 1),
        // A minority {3} against {1,2}: the simulator records each blocked pair.
        event(1 * s, "node-3", "fault.partition", R"("to":"node-1","one_way":false)"),
        event(1 * s, "node-3", "fault.partition", R"("to":"node-2","one_way":false)"),
        event(2 * s, "world", "fault.heal_all"),
        // One way: node-1 cannot send to node-2.
        event(3 * s, "node-1", "fault.partition", R"("to":"node-2","one_way":true)"),
        event(4 * s, "node-1", "fault.heal", R"("to":"node-2")"),
        // The raft-quorum scenario names its victim by id.
        event(5 * s, "world", "fault.isolate", R"("node":2)"),
        event(6 * s, "world", "fault.heal_all"),
        event(7 * s, "world", "run.end"),
    });
    REQUIRE(t.nodes.size() == 3);
    const NodeLane& n1 = t.nodes[0];
    const NodeLane& n3 = t.nodes[2];
    REQUIRE(n3.cut.size() == 2);
    CHECK(n3.cut[0].begin_ns == 1 * s);
    CHECK(n3.cut[0].end_ns == 2 * s);
    CHECK(n3.cut[0].label == "isolated");
    CHECK(n3.cut[0].side == std::vector<std::string>{"node-3"});
    CHECK(n3.cut[1].label == "cut from 2");  // node-2 isolated, later
    REQUIRE(n1.cut.size() == 3);
    CHECK(n1.cut[0].label == "cut from 3");
    CHECK(n1.cut[0].side == std::vector<std::string>{"node-1", "node-2"});
    CHECK(n1.cut[0].component != n3.cut[0].component);
    CHECK(n1.cut[0].component == t.nodes[1].cut[0].component);
    CHECK(n1.cut[0].majority);  // {1,2} of 3
    CHECK(!n3.cut[0].majority);
    CHECK(n1.cut[1].begin_ns == 3 * s);
    CHECK(n1.cut[1].end_ns == 4 * s);
    CHECK(n1.cut[1].one_way);
    CHECK(n1.cut[1].label == "cut from 2 (one-way)");
    CHECK(n1.cut[2].label == "cut from 2");
    CHECK(!n1.cut[2].one_way);
    const NodeLane& n2 = t.nodes[1];
    REQUIRE(n2.cut.size() == 3);
    CHECK(n2.cut[2].begin_ns == 5 * s);
    CHECK(n2.cut[2].end_ns == 6 * s);
    CHECK(n2.cut[2].label == "isolated");
}

TEST_CASE("election_viz: votes and partition leaders") {
    const Timeline t = build({
        role(0, "node-1", 1, "candidate", 4),
        role(0, "node-2", 2, "follower", 3),
        role(0, "node-3", 3, "follower", 3),
        event(1 * s, "node-1", "raft.vote",
              R"("node":1,"from":2,"epoch":4,"granted":true,"pre_vote":false)"),
        event(1 * s, "node-1", "raft.vote",
              R"("node":1,"from":3,"epoch":4,"granted":false,"pre_vote":true)"),
        event(1 * s, "node-1", "raft.vote", R"("node":1,"from":9,"epoch":4,"granted":true)"),
        event(
            2 * s, "node-2", "partition.leader",
            R"("topic":"orders","partition":0,"leader":1,"epoch":1,"partition_epoch":1,"isr":"1,2,3")"),
        event(
            2 * s, "node-3", "partition.leader",  // the same assignment from another broker
            R"("topic":"orders","partition":0,"leader":1,"epoch":1,"partition_epoch":1,"isr":"1,2,3")"),
        event(
            3 * s, "node-1", "partition.leader",
            R"("topic":"orders","partition":0,"leader":1,"epoch":1,"partition_epoch":2,"isr":"1,2")"),
        event(
            4 * s, "node-2", "partition.leader",  // a broker that learns late: stale
            R"("topic":"orders","partition":0,"leader":1,"epoch":1,"partition_epoch":1,"isr":"1,2,3")"),
        event(
            5 * s, "node-2", "partition.leader",
            R"("topic":"orders","partition":0,"leader":2,"epoch":2,"partition_epoch":3,"isr":"2")"),
        event(6 * s, "world", "run.end"),
    });
    REQUIRE(t.votes.size() == 2);
    CHECK(t.votes[0].voter == 1);
    CHECK(t.votes[0].candidate == 0);
    CHECK(t.votes[0].granted);
    CHECK(!t.votes[0].pre_vote);
    CHECK(t.votes[1].voter == 2);
    CHECK(!t.votes[1].granted);
    CHECK(t.votes[1].pre_vote);
    CHECK(t.unresolved.at("raft.vote") == 1);  // node 9 has no lane
    REQUIRE(t.partitions.size() == 1);
    const PartitionLane& p = t.partitions[0];
    CHECK(p.name == "orders-0");
    REQUIRE(p.spans.size() == 3);
    CHECK(p.spans[0].begin_ns == 2 * s);
    CHECK(p.spans[0].end_ns == 3 * s);
    CHECK(p.spans[0].isr == "1,2,3");
    CHECK(p.spans[1].isr == "1,2");
    CHECK(p.spans[1].end_ns == 5 * s);
    CHECK(p.spans[2].leader == 2);
    CHECK(p.spans[2].epoch == 2);
    CHECK(p.spans[2].end_ns == 6 * s);
}

TEST_CASE("election_viz: lanes in natural order, one per node; the axis is to scale") {
    std::vector<std::string> lines;
    for (int id : {10, 2, 1}) {
        lines.push_back(role(0, "node-" + std::to_string(id), id, "follower", 1));
    }
    lines.push_back(role(3 * s, "node-2", 2, "leader", 2));
    lines.push_back(event(37 * s + s / 3, "world", "run.end"));
    const Timeline t = build(lines);
    REQUIRE(t.nodes.size() == 3);
    CHECK(t.nodes[0].name == "node-1");
    CHECK(t.nodes[1].name == "node-2");
    CHECK(t.nodes[2].name == "node-10");

    SvgOptions o;
    o.width_px = 1600;
    const std::string svg = render_svg(t, o);
    CHECK(svg.rfind("<svg", 0) == 0);
    CHECK(svg.find("</svg>") == svg.size() - 7);
    CHECK(count(svg, "<g class=\"lane\" data-node=\"") == 3);
    for (const char* name : {"node-1", "node-2", "node-10"}) {
        CHECK(svg.find(std::string("class=\"lane-label\"")) != std::string::npos);
        CHECK(svg.find(std::string(">") + name + "</text>") != std::string::npos);
    }
    CHECK(svg.find(">leader e2</text>") != std::string::npos);  // the epoch on the leader span
    const auto ticks_t = attributes(svg, "<g class=\"tick\"", "data-t-ns");
    const auto ticks_x = attributes(svg, "<g class=\"tick\"", "x1");
    REQUIRE(ticks_t.size() >= 5);
    REQUIRE(ticks_t.size() == ticks_x.size());
    CHECK(ticks_t[0] == 0);
    CHECK(ticks_t.back() <= static_cast<double>(t.end_ns));
    const double px_per_ns = (ticks_x.back() - ticks_x[0]) / (ticks_t.back() - ticks_t[0]);
    CHECK(px_per_ns > 0);
    for (size_t i = 1; i < ticks_t.size(); ++i) {
        CHECK(ticks_x[i] > ticks_x[i - 1]);
        CHECK(ticks_x[i] - ticks_x[0] ==
              doctest::Approx((ticks_t[i] - ticks_t[0]) * px_per_ns).epsilon(0.001));
    }
    // The whole time range fits the width.
    CHECK(ticks_x[0] + static_cast<double>(t.end_ns) * px_per_ns <= 1600);

    const std::string html = render_html(t, o);
    CHECK(html.find("<!DOCTYPE html>") == 0);
    CHECK(html.find("data-ev=") != std::string::npos);
    CHECK(html.find("<script>") != std::string::npos);
    CHECK(svg.find("data-ev=") == std::string::npos);  // the plain SVG has tooltips only
    CHECK(svg.find("<title>") != std::string::npos);

    const std::string dot = render_dot(t);
    CHECK(dot.rfind("digraph elections", 0) == 0);
    CHECK(dot.find("cluster_node-10") != std::string::npos);
}

TEST_CASE("election_viz: a long trace keeps only what it draws") {
    TimelineBuilder b;
    REQUIRE(!b.add_line(role(0, "node-1", 1, "leader", 1)));
    for (int i = 0; i < 100000; ++i) {
        REQUIRE(!b.add_line(event(i * 1000, "node-1", "log.synced", R"("partition":"t-0")")));
    }
    const Timeline t = b.finish();
    CHECK(t.lines == 100001);
    CHECK(t.drawn == 1);
    REQUIRE(t.nodes.size() == 1);
    CHECK(t.nodes[0].roles.size() == 1);
}

TEST_CASE("election_viz: processes only faults name get lanes after the cluster") {
    const Timeline t = build({
        role(0, "broker", 1, "leader", 1),
        event(0, "consumer-1", "node.start", R"("incarnation":1)"),
        event(0, "consumer-2", "node.start", R"("incarnation":1)"),  // no fault: no lane
        event(1 * s, "world", "fault.cut", R"("node":"consumer-1")"),
        event(1 * s, "consumer-1", "fault.partition", R"("to":"broker","one_way":false)"),
        event(2 * s, "world", "fault.heal_all"),
        event(3 * s, "consumer-1", "fault.crash", R"("incarnation":1)"),
        event(4 * s, "world", "run.end"),
    });
    REQUIRE(t.nodes.size() == 2);
    CHECK(t.nodes[0].name == "broker");
    CHECK(t.nodes[0].cluster);
    CHECK(t.nodes[1].name == "consumer-1");
    CHECK(!t.nodes[1].cluster);
    REQUIRE(t.nodes[1].cut.size() == 1);
    CHECK(t.nodes[1].cut[0].label == "isolated");
    REQUIRE(t.nodes[1].down.size() == 1);
    CHECK(t.nodes[1].marks.size() == 2);  // the cut's intent and the crash
    CHECK(t.unresolved.empty());
    const std::string svg = render_svg(t, SvgOptions{});
    CHECK(count(svg, "<g class=\"lane\" data-node=\"") == 1);
    CHECK(count(svg, "<g class=\"lane other\" data-node=\"consumer-1\"") == 1);
}

TEST_CASE("election_viz: text from the trace is escaped in the SVG") {
    const Timeline t = build({
        role(0, "a<&>\\\"'", 1, "ro<le\\\"", 1),
        event(1 * s, "world", "run.end"),
    });
    REQUIRE(t.nodes.size() == 1);
    CHECK(t.nodes[0].name == "a<&>\"'");  // JSON-unescaped
    for (bool interactive : {false, true}) {
        SvgOptions o;
        o.interactive = interactive;
        o.title = "t<1>.jsonl";
        const std::string svg = render_svg(t, o);
        CHECK(svg.find("a<&") == std::string::npos);
        CHECK(svg.find("ro<le") == std::string::npos);
        CHECK(svg.find("t<1>") == std::string::npos);
        CHECK(svg.find("data-node=\"a&lt;&amp;&gt;&quot;&apos;\"") != std::string::npos);
    }
}
