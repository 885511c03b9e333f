// The frame server under the simulator: pipelined requests are answered in order, "no response"
// keeps its place, an oversized frame closes the connection, idle connections are closed, and
// stop() drains in-flight requests. The same server runs on real sockets in
// tests/unit/posix/frame_server_posix_test.cpp.
#include "services/net/frame_server.h"

#include <doctest/doctest.h>

#include "sim/world.h"

using namespace eddy;
using namespace eddy::sim;

namespace {

// Echo handler: answers "re:<body>" after a delay that depends on the body, so later requests
// often finish first; bodies starting with '-' get no response.
net::FrameHandler echo_handler(Env& env) {
    return [&env](const net::ConnectionInfo&,
                  ByteSpan body) -> Result<std::optional<Bytes>, net::HandlerError> {
        const auto text = std::string(as_chars(body));
        if (text == "!close") {
            return fail(net::HandlerError::close_connection);
        }
        env.scheduler.sleep_for(Duration::micros(static_cast<int64_t>(stable_hash(text) % 500)));
        if (!text.empty() && text[0] == '-') {
            return std::optional<Bytes>();
        }
        return std::optional<Bytes>(to_bytes("re:" + text));
    };
}

}  // namespace

TEST_CASE("frame server: pipelined requests answered in order; stop drains") {
    for (uint64_t seed = 1; seed <= 20; ++seed) {
        WorldOptions o;
        o.net.short_read_p = 0.2;
        o.net.segment_bytes_max = 7;
        SimWorld w(seed, o);
        std::vector<std::string> answers;
        bool server_stopped = false;
        Event* client_done = nullptr;
        w.add_node("srv", [&](Env& env) {
            auto l = env.network.listen({"srv", 9092});
            REQUIRE(l.ok());
            net::FrameServer server(env, std::move(l).value(), echo_handler(env));
            Event done(env.scheduler);
            client_done = &done;
            server.start();
            (void)done.wait();
            server.stop();
            CHECK(server.connection_count() == 0);
            server_stopped = true;
        });
        w.add_node("cli", [&](Env& env) {
            env.scheduler.sleep_for(Duration::millis(1));
            auto c = env.network.connect({"srv", 9092}, Duration::seconds(1));
            REQUIRE(c.ok());
            for (int i = 0; i < 30; ++i) {
                std::string body = std::to_string(i);
                if (i % 5 == 3) {
                    body.insert(body.begin(), '-');
                }
                REQUIRE(net::write_frame(**c, as_bytes(body)).ok());
            }
            for (int i = 0; i < 24; ++i) {
                auto f = net::read_frame(**c, 1024);
                REQUIRE(f.ok());
                answers.emplace_back(as_chars(*f));
            }
            client_done->set();
        });
        w.start(w.node("srv"));
        w.start(w.node("cli"));
        w.run([&] { return server_stopped; }, Instant::from_nanos(Duration::seconds(5).to_nanos()));
        REQUIRE(answers.size() == 24);
        int k = 0;
        for (int i = 0; i < 30; ++i) {
            if (i % 5 != 3) {
                CHECK(answers[static_cast<size_t>(k++)] == "re:" + std::to_string(i));
            }
        }
        CHECK(server_stopped);
    }
}

TEST_CASE("frame server: oversized frame and idle connections are closed") {
    SimWorld w(3);
    NetError oversize_result{};
    NetError idle_result{};
    bool finished = false;
    w.add_node("srv", [&](Env& env) {
        auto l = env.network.listen({"srv", 1});
        REQUIRE(l.ok());
        net::FrameServerOptions opts;
        opts.frame_bytes_max = 100;
        opts.idle_timeout = Duration::seconds(2);
        net::FrameServer server(env, std::move(l).value(), echo_handler(env), opts);
        server.start();
        env.scheduler.sleep_for(Duration::seconds(60));
    });
    w.add_node("cli", [&](Env& env) {
        env.scheduler.sleep_for(Duration::millis(1));
        auto c = env.network.connect({"srv", 1}, Duration::seconds(1));
        REQUIRE(c.ok());
        std::byte header[4];
        store_be<uint32_t>(header, 0x7fffffff);  // 2 GiB: must not be allocated
        REQUIRE((*c)->write_all(header).ok());
        auto r = net::read_frame(**c, 1024);
        oversize_result = r.error();

        auto c2 = env.network.connect({"srv", 1}, Duration::seconds(1));
        REQUIRE(c2.ok());
        REQUIRE(net::write_frame(**c2, as_bytes("x")).ok());
        REQUIRE(net::read_frame(**c2, 1024).ok());
        const Instant t0 = env.clock.now();
        auto r2 = net::read_frame(**c2, 1024);  // nothing more is sent: the server closes it
        idle_result = r2.error();
        CHECK(env.clock.now() - t0 >= Duration::seconds(2));
        CHECK(env.clock.now() - t0 <= Duration::seconds(3));
        finished = true;
    });
    w.start(w.node("srv"));
    w.start(w.node("cli"));
    w.run([&] { return finished; });
    CHECK(oversize_result == NetError::closed);
    CHECK(idle_result == NetError::closed);
}

TEST_CASE("frame server: each request starts only once the one before released its turn") {
    for (uint64_t seed = 1; seed <= 20; ++seed) {
        CAPTURE(seed);
        SimWorld w(seed);
        std::vector<int> entered;  // request numbers in the order their handlers started
        int holding = 0;           // handlers holding their turn right now
        int holding_max = 0;
        int running_max = 0;  // handlers running at once (released ones included)
        int running = 0;
        std::vector<std::string> answers;
        bool done = false;
        bool stopped = false;
        w.add_node("srv", [&](Env& env) {
            auto l = env.network.listen({"srv", 9092});
            REQUIRE(l.ok());
            net::FrameServerOptions opts;
            opts.pipeline_depth = 8;
            net::FrameServer server(
                env, std::move(l).value(),
                net::PartsHandler(
                    [&](const net::ConnectionInfo&, MutableByteSpan body, net::RequestTurn& turn)
                        -> Result<std::optional<net::FrameParts>, net::HandlerError> {
                        const std::string text(as_chars(body));
                        entered.push_back(std::stoi(text));
                        ++holding;
                        ++running;
                        holding_max = std::max(holding_max, holding);
                        running_max = std::max(running_max, running);
                        // Work while holding the turn, then (for odd requests) release it early and
                        // keep waiting, as a produce waiting for its sync does.
                        env.scheduler.sleep_for(Duration::micros(env.random.between(0, 300)));
                        if (std::stoi(text) % 2 == 1) {
                            --holding;
                            turn.release();
                            env.scheduler.sleep_for(Duration::micros(env.random.between(0, 3000)));
                        } else {
                            --holding;
                        }
                        --running;
                        net::FrameParts parts(1);
                        parts[0].bytes = to_bytes("re:" + text);
                        return std::optional<net::FrameParts>(std::move(parts));
                    }),
                opts);
            server.start();
            while (!done) {
                env.scheduler.sleep_for(Duration::millis(1));
            }
            server.stop();
            stopped = true;
        });
        w.add_node("cli", [&](Env& env) {
            env.scheduler.sleep_for(Duration::millis(1));
            auto c = env.network.connect({"srv", 9092}, Duration::seconds(1));
            REQUIRE(c.ok());
            for (int i = 0; i < 40; ++i) {
                REQUIRE(net::write_frame(**c, as_bytes(std::to_string(i))).ok());
            }
            for (int i = 0; i < 40; ++i) {
                auto f = net::read_frame(**c, 1024);
                REQUIRE(f.ok());
                answers.emplace_back(as_chars(*f));
            }
            done = true;
        });
        w.start(w.node("srv"));
        w.start(w.node("cli"));
        w.run([&] { return stopped; }, Instant::from_nanos(Duration::seconds(5).to_nanos()));
        REQUIRE(answers.size() == 40);
        REQUIRE(entered.size() == 40);
        for (int i = 0; i < 40; ++i) {
            CHECK(entered[static_cast<size_t>(i)] == i);
            CHECK(answers[static_cast<size_t>(i)] == "re:" + std::to_string(i));
        }
        CHECK(holding_max == 1);  // never two turns at once
        CHECK(running_max >= 2);  // but released requests overlap with the next ones
    }
}

TEST_CASE("frame server: pipeline_bytes_max stops reading until responses are written") {
    SimWorld w(7);
    int entered = 0;
    int entered_max_while_blocked = 0;
    bool unblock = false;
    std::vector<std::string> answers;
    bool done = false;
    bool stopped = false;
    w.add_node("srv", [&](Env& env) {
        auto l = env.network.listen({"srv", 9092});
        REQUIRE(l.ok());
        net::FrameServerOptions opts;
        opts.pipeline_depth = 64;
        opts.pipeline_bytes_max = 3 * 1024;  // three 1 KiB frames
        net::FrameServer server(
            env, std::move(l).value(),
            [&](const net::ConnectionInfo&,
                ByteSpan body) -> Result<std::optional<Bytes>, net::HandlerError> {
                ++entered;
                while (!unblock) {
                    entered_max_while_blocked = std::max(entered_max_while_blocked, entered);
                    env.scheduler.sleep_for(Duration::millis(1));
                }
                return std::optional<Bytes>(to_bytes(std::to_string(body.size())));
            },
            opts);
        server.start();
        while (!done) {
            env.scheduler.sleep_for(Duration::millis(1));
        }
        server.stop();
        stopped = true;
    });
    w.add_node("cli", [&](Env& env) {
        env.scheduler.sleep_for(Duration::millis(1));
        auto c = env.network.connect({"srv", 9092}, Duration::seconds(1));
        REQUIRE(c.ok());
        const Bytes frame(1024, std::byte{'x'});
        for (int i = 0; i < 10; ++i) {
            REQUIRE(net::write_frame(**c, frame).ok());
        }
        env.scheduler.sleep_for(Duration::millis(50));  // the server reads what it may
        unblock = true;
        for (int i = 0; i < 10; ++i) {
            auto f = net::read_frame(**c, 1024);
            REQUIRE(f.ok());
            answers.emplace_back(as_chars(*f));
        }
        done = true;
    });
    w.start(w.node("srv"));
    w.start(w.node("cli"));
    w.run([&] { return stopped; }, Instant::from_nanos(Duration::seconds(5).to_nanos()));
    CHECK(entered_max_while_blocked == 3);  // 3 KiB in flight, then the reader waits
    CHECK(entered == 10);
    CHECK(answers == std::vector<std::string>(10, "1024"));
}

TEST_CASE("frame server: queued.max.request.bytes holds request bytes across connections") {
    SimWorld w(8);
    int entered = 0;
    int entered_max_while_blocked = 0;
    bool unblock = false;
    int answered = 0;
    bool stopped = false;
    w.add_node("srv", [&](Env& env) {
        auto limits = std::make_shared<net::ServerLimits>(
            env.scheduler, net::ServerLimitsOptions{.queued_bytes_max = 2 * 1024});
        std::vector<std::unique_ptr<net::FrameServer>> servers;
        for (uint16_t port : {9092, 9093}) {  // two listeners share the process's limit
            auto l = env.network.listen({"srv", port});
            REQUIRE(l.ok());
            net::FrameServerOptions opts;
            opts.pipeline_depth = 64;
            opts.limits = limits;
            servers.push_back(std::make_unique<net::FrameServer>(
                env, std::move(l).value(),
                [&](const net::ConnectionInfo&,
                    ByteSpan body) -> Result<std::optional<Bytes>, net::HandlerError> {
                    ++entered;
                    while (!unblock) {
                        entered_max_while_blocked = std::max(entered_max_while_blocked, entered);
                        env.scheduler.sleep_for(Duration::millis(1));
                    }
                    return std::optional<Bytes>(to_bytes(std::to_string(body.size())));
                },
                opts));
            servers.back()->start();
        }
        while (answered < 8) {
            env.scheduler.sleep_for(Duration::millis(1));
        }
        CHECK(limits->queued_bytes() == 0);
        for (auto& s : servers) {
            s->stop();
        }
        stopped = true;
    });
    for (uint16_t port : {9092, 9093}) {
        w.add_node("cli" + std::to_string(port), [&, port](Env& env) {
            env.scheduler.sleep_for(Duration::millis(1));
            auto c = env.network.connect({"srv", port}, Duration::seconds(1));
            REQUIRE(c.ok());
            const Bytes frame(1024, std::byte{'x'});
            for (int i = 0; i < 4; ++i) {
                REQUIRE(net::write_frame(**c, frame).ok());
            }
            env.scheduler.sleep_for(Duration::millis(50));  // the servers read what they may
            unblock = true;
            for (int i = 0; i < 4; ++i) {
                auto f = net::read_frame(**c, 1024);
                REQUIRE(f.ok());
                CHECK(std::string(as_chars(*f)) == "1024");
                ++answered;
            }
        });
    }
    w.start(w.node("srv"));
    w.start(w.node("cli9092"));
    w.start(w.node("cli9093"));
    w.run([&] { return stopped; }, Instant::from_nanos(Duration::seconds(5).to_nanos()));
    CHECK(entered_max_while_blocked == 2);  // 2 KiB held by the process, then nobody reads
    CHECK(entered == 8);
    CHECK(answered == 8);
}

namespace {
bool ok_(net::Admission a) { return a == net::Admission::admitted; }
}  // namespace

TEST_CASE("server limits: one frame is always admitted; per-host overrides parse") {
    SimWorld w(9);
    bool done = false;
    w.add_node("n", [&](Env& env) {
        net::ServerLimits l(
            env.scheduler,
            net::ServerLimitsOptions{.queued_bytes_max = 100,
                                     .connections_per_host_max = 1,
                                     .connections_per_host_overrides = {{"10.0.0.1", 3}}});
        CHECK(l.wait_request_bytes(1000));  // larger than the limit, but nothing is held
        l.hold_request_bytes(1000);
        l.release_request_bytes(1000);
        CHECK(ok_(l.admit_connection("a")));
        CHECK(!ok_(l.admit_connection("a")));
        for (int i = 0; i < 3; ++i) {
            CHECK(ok_(l.admit_connection("10.0.0.1")));
        }
        CHECK(!ok_(l.admit_connection("10.0.0.1")));
        CHECK(l.connections() == 4);
        l.release_connection("a");
        CHECK(ok_(l.admit_connection("a")));
        done = true;
    });
    w.start(w.node("n"));
    w.run([&] { return done; }, Instant::from_nanos(Duration::seconds(1).to_nanos()));
    CHECK(done);
    auto ok = net::parse_connection_overrides("10.0.0.1:5, host.example:0");
    REQUIRE(ok.ok());
    CHECK(ok->at("10.0.0.1") == 5);
    CHECK(ok->at("host.example") == 0);
    CHECK(!net::parse_connection_overrides("nocount").ok());
    CHECK(!net::parse_connection_overrides("h:-1").ok());
    CHECK(!net::parse_connection_overrides("h:x").ok());
}

TEST_CASE("server limits: connection creation rates, broker-wide and per address") {
    SimWorld w(10);
    bool done = false;
    w.add_node("n", [&](Env& env) {
        std::map<std::string, double> quotas{{"10.0.0.9", 2}};
        net::ServerLimits l(
            env.scheduler,
            net::ServerLimitsOptions{
                .connection_creation_rate = 10,
                .host_connection_rate = [&quotas](const std::string& host) -> std::optional<double> {
                    const auto it = quotas.find(host);
                    return it == quotas.end() ? std::nullopt : std::optional<double>(it->second);
                }});
        // Broker-wide: a second's worth at once, then one every 100 ms.
        const Instant start = env.scheduler.now();
        for (int i = 0; i < 30; ++i) {
            CHECK(l.wait_connection_rate());
        }
        const Duration took = env.scheduler.now() - start;
        CHECK(took >= Duration::millis(1900));
        CHECK(took <= Duration::millis(2100));
        // Per address: two admitted, the third closed, one more after half a second.
        CHECK(ok_(l.admit_connection("10.0.0.9")));
        CHECK(ok_(l.admit_connection("10.0.0.9")));
        CHECK(l.admit_connection("10.0.0.9") == net::Admission::over_host_rate);
        CHECK(ok_(l.admit_connection("10.0.0.8")));  // no quota for this one
        (void)env.scheduler.sleep_for(Duration::millis(500));
        CHECK(ok_(l.admit_connection("10.0.0.9")));
        CHECK(l.admit_connection("10.0.0.9") == net::Admission::over_host_rate);
        CHECK(l.connections() == 4);
        done = true;
    });
    w.start(w.node("n"));
    w.run([&] { return done; }, Instant::from_nanos(Duration::seconds(10).to_nanos()));
    CHECK(done);
}
