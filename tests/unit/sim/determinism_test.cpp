// The world's determinism hash: it takes in scheduling, timers, network deliveries, disk
// operations, traced events and random draws, so one draw or one yield more changes it; the hash
// chain has one line per step and ends with the trace hash; a livelock becomes a failed run with
// the checker "livelock"; BUGGIFY site names do not depend on the checkout's path.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "core/env/faults.h"
#include "scenarios/scenario.h"
#include "sim/world.h"

using namespace eddy;
using namespace eddy::sim;

namespace {

struct Variation {
    bool extra_draw = false;   // one more random draw, used for nothing
    bool extra_yield = false;  // one more yield, changing nothing else
    bool record = false;
};

struct Outcome {
    uint64_t hash = 0;
    uint64_t steps = 0;
    uint64_t trace_events = 0;
    std::vector<std::string> chain;
};

// A server and a client exchanging bytes; the server logs them to its disk.
Outcome run_world(uint64_t seed, Variation v = {}) {
    WorldOptions o;
    o.buggify = false;
    SimWorld w(seed, o);
    Outcome out;
    if (v.record) {
        w.record_steps([&out](std::string_view line) { out.chain.emplace_back(line); });
    }
    // Inside fibers, CHECK and return (a REQUIRE would throw out of the fiber).
    w.add_node("server", [](Env& env) {
        auto l = env.network.listen({"server", 9000});
        CHECK(l.ok());
        if (!l.ok()) {
            return;
        }
        auto c = (*l)->accept();
        auto f = env.disk.open("log", OpenMode::create);
        CHECK(c.ok());
        CHECK(f.ok());
        if (!c.ok() || !f.ok()) {
            return;
        }
        std::byte buf[256];
        uint64_t at = 0;
        while (true) {
            auto n = (*c)->read_some(buf);
            if (!n.ok() || *n == 0) {
                return;
            }
            CHECK((*f)->write_at(at, ByteSpan(buf, *n)).ok());
            at += *n;
            CHECK((*f)->sync().ok());
        }
    });
    w.add_node("client", [v](Env& env) {
        env.scheduler.sleep_for(Duration::millis(1));
        auto c = env.network.connect({"server", 9000}, Duration::seconds(1));
        CHECK(c.ok());
        if (!c.ok()) {
            return;
        }
        for (int i = 0; i < 20; ++i) {
            Bytes msg(1 + env.random.below(100), std::byte{7});
            CHECK((*c)->write_all(msg).ok());
            env.scheduler.sleep_for(Duration::micros(env.random.between(10, 500)));
            if (i == 10 && v.extra_draw) {
                (void)env.random.next();
            }
            if (i == 12 && v.extra_yield) {
                env.scheduler.yield();
            }
        }
        (*c)->close();
    });
    for (SimNode* n : w.nodes()) {
        w.start(*n);
    }
    w.run(nullptr, Instant() + Duration::seconds(5));
    out.hash = w.trace().hash();
    out.steps = w.step_hash().steps();
    out.trace_events = w.trace().events();
    return out;
}

struct SiteRecorder final : Tracer {
    std::vector<std::string> sites;
    void event(std::string_view kind, std::initializer_list<TraceField> fields) override {
        if (kind != "buggify.site") {
            return;
        }
        for (const auto& f : fields) {
            if (f.key == "site") {
                sites.emplace_back(std::get<std::string_view>(f.value));
            }
        }
    }
};

}  // namespace

TEST_CASE("the trace hash covers scheduling, deliveries, disk operations and random draws") {
    const Outcome a = run_world(1);
    CHECK(a.hash == run_world(1).hash);
    CHECK(a.hash != run_world(2).hash);
    // Untraced differences change the hash all the same.
    CHECK(a.hash != run_world(1, {.extra_draw = true}).hash);
    CHECK(a.hash != run_world(1, {.extra_yield = true}).hash);
    // Most steps are not traced events: the hash covers far more than the trace.
    CHECK(a.steps > 4 * a.trace_events);
}

TEST_CASE("the hash chain has a line per step and ends with the trace hash") {
    const Outcome a = run_world(3, {.record = true});
    REQUIRE(a.chain.size() == a.steps);
    CHECK(a.chain.front().rfind("1 ", 0) == 0);
    const std::string& last = a.chain.back();
    CHECK(last.find(" " + hex64(a.hash) + " ") != std::string::npos);
    bool resume = false;
    bool deliver = false;
    bool disk = false;
    bool timer = false;
    bool draws = false;
    for (const auto& line : a.chain) {
        resume = resume || line.find(" resume client/main #") != std::string::npos;
        deliver = deliver || line.find(" net deliver client->server ") != std::string::npos;
        disk = disk || line.find(" disk write server log") != std::string::npos;
        timer = timer || line.find(" timer #") != std::string::npos;
        draws = draws || line.find(" draws)") != std::string::npos;
    }
    CHECK(resume);
    CHECK(deliver);
    CHECK(disk);
    CHECK(timer);
    CHECK(draws);
    // Recording changes nothing.
    CHECK(run_world(3).hash == a.hash);
}

TEST_CASE("a livelock stops the run and fails it with the checker livelock, naming the fiber") {
    WorldOptions o;
    o.buggify = false;
    o.stuck_steps_max = 20'000;
    SimWorld w(1, o);
    w.add_node("n1", [](Env& env) {
        env.scheduler.spawn("spin", [&env] {
            env.scheduler.sleep_for(Duration::millis(3));
            while (true) {
                env.scheduler.yield();
            }
        });
        env.scheduler.sleep_for(Duration::seconds(100));
    });
    w.start(w.node("n1"));
    bool done = false;
    CHECK(!w.run([&] { return done; }, Instant() + Duration::seconds(10)));
    const auto report = w.livelock_report();
    REQUIRE(report.has_value());
    CHECK(report->find("n1/spin #") != std::string::npos);
    CHECK(report->find("0.003000 s") != std::string::npos);
    CHECK(w.now() < Instant() + Duration::seconds(1));
    const auto r = scenarios::finish(w, scenarios::Verdict::ok());
    CHECK(!r.verdict.pass);
    CHECK(r.verdict.checker == scenarios::checkers::livelock);
    CHECK(r.verdict.message == *report);
}

TEST_CASE("a paused node runs nothing until resumed, timers included") {
    WorldOptions o;
    o.buggify = false;
    SimWorld w(1, o);
    std::vector<int64_t> fired_ms;
    w.add_node("n1", [&fired_ms](Env& env) {
        FiberExecutor& ex = env.scheduler.executor();
        for (int64_t ms : {10, 20}) {
            ex.call_at(env.scheduler.now() + Duration::millis(ms),
                       [&fired_ms, &ex] { fired_ms.push_back(ex.now().to_nanos() / 1'000'000); });
        }
        env.scheduler.sleep_for(Duration::seconds(100));
    });
    SimNode& n = w.node("n1");
    w.start(n);
    w.spawn("nemesis", [&] {
        w.world_env().scheduler.sleep_for(Duration::millis(15));
        w.pause(n);
        w.world_env().scheduler.sleep_for(Duration::millis(30));
        w.resume(n);
    });
    w.run(nullptr, Instant() + Duration::seconds(1));
    CHECK(fired_ms == std::vector<int64_t>{10, 45});
}

TEST_CASE("BUGGIFY names its sites relative to the source root") {
    // The build maps the checkout's path away (-fmacro-prefix-map), so traces are the same in
    // every checkout.
    CHECK(std::string(__FILE__) == "tests/unit/sim/determinism_test.cpp");
    SiteRecorder tracer;
    struct {
        FaultPoints faults;
    } env{FaultPoints(Random(1), tracer, /*activate_p=*/1.0, /*fire_p=*/1.0)};
    CHECK(BUGGIFY(env));
    REQUIRE(tracer.sites.size() == 1);
    CHECK(tracer.sites[0].rfind("tests/unit/sim/determinism_test.cpp:", 0) == 0);
}
