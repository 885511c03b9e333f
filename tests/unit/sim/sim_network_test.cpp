// SimNetwork: bytes of one connection arrive in order and intact or the connection breaks, under
// random latencies, split points, short reads, resets and partitions; refused and timed-out
// connects; partitions stall and heal.
#include <doctest/doctest.h>
#include <rapidcheck.h>

#include "core/fiber/sync.h"
#include "sim/world.h"

using namespace eddy;
using namespace eddy::sim;

namespace {
Bytes pattern(uint64_t stream, size_t n) {
    Bytes b(n);
    for (size_t i = 0; i < n; ++i) {
        b[i] = static_cast<std::byte>((stream * 131 + i * 7 + (i >> 8)) & 0xff);
    }
    return b;
}
}  // namespace

TEST_CASE("property: a connection delivers a prefix of what was sent, in order, or breaks") {
    const bool ok = rc::check("sim stream ordering", [](uint64_t seed) {
        WorldOptions o;
        o.net.short_read_p = 0.3;
        o.net.reset_p = 0.01;
        o.net.slow_p = 0.05;
        o.net.segment_bytes_max = 700;
        o.buggify = false;
        SimWorld w(seed, o);
        Random& rnd = w.random();
        const size_t total = 1 + rnd.below(20000);
        Bytes expected = pattern(seed, total);
        Bytes received;
        bool reset_seen = false;
        bool clean_eof = false;
        bool client_failed = false;  // a reset before the server accepted: it never sees it
        w.add_node("server", [&](Env& env) {
            auto l = env.network.listen({"server", 9000});
            RC_ASSERT(l.ok());
            auto c = (*l)->accept();
            RC_ASSERT(c.ok());
            std::byte buf[1500];
            while (true) {
                auto n = (*c)->read_some(buf);
                if (!n.ok()) {
                    reset_seen = true;
                    return;
                }
                if (*n == 0) {
                    clean_eof = true;
                    return;
                }
                received.insert(received.end(), buf, buf + *n);
            }
        });
        w.add_node("client", [&](Env& env) {
            env.scheduler.sleep_for(Duration::millis(1));
            auto c = env.network.connect({"server", 9000}, Duration::seconds(1));
            RC_ASSERT(c.ok());
            size_t sent = 0;
            while (sent < total) {
                const size_t n = std::min<size_t>(total - sent, 1 + env.random.below(3000));
                if (!(*c)->write_all(ByteSpan(expected).subspan(sent, n)).ok()) {
                    client_failed = true;
                    return;
                }
                sent += n;
                if (env.random.chance(0.2)) {
                    env.scheduler.sleep_for(Duration::micros(50));
                }
            }
            (*c)->close();
        });
        for (auto* n : w.nodes()) {
            w.start(*n);
        }
        w.run(nullptr, Instant::from_nanos(Duration::seconds(10).to_nanos()));
        RC_ASSERT(reset_seen || clean_eof || client_failed);
        RC_ASSERT(received.size() <= expected.size());
        RC_ASSERT(std::equal(received.begin(), received.end(), expected.begin()));
        if (clean_eof) {
            RC_ASSERT(received.size() == expected.size());
        }
    });
    CHECK(ok);
}

TEST_CASE("connect: refused without a listener, timed out across a partition, stalls then heals") {
    SimWorld w(7);
    NetError refused{};
    NetError timed_out{};
    std::string got;
    Instant got_at;
    w.add_node("a", [&](Env& env) {
        auto l = env.network.listen({"0.0.0.0", 1});
        REQUIRE(l.ok());
        auto c = (*l)->accept();
        REQUIRE(c.ok());
        char buf[5] = {};
        REQUIRE(read_exact(**c, MutableByteSpan(reinterpret_cast<std::byte*>(buf), sizeof buf)).ok());
        got.assign(buf, sizeof buf);
        got_at = env.clock.now();
    });
    w.add_node("b", [&](Env& env) {
        refused = env.network.connect({"a", 2}, Duration::seconds(1)).error();
        w.network().partition("a", "b");
        const Instant before = env.clock.now();
        timed_out = env.network.connect({"a", 1}, Duration::millis(300)).error();
        CHECK(env.clock.now() - before == Duration::millis(300));
        w.network().heal_all();
        auto c = env.network.connect({"a", 1}, Duration::seconds(1));
        REQUIRE(c.ok());
        w.network().set_faults(NetFaults{.partition_reset_p = 0});
        w.network().partition("b", "a", /*one_way=*/true);
        REQUIRE((*c)->write_all(as_bytes("hello")).ok());
        env.scheduler.sleep_for(Duration::seconds(2));
        w.network().heal_all();
        env.scheduler.sleep_for(Duration::seconds(1));
    });
    w.start(w.node("a"));
    w.start(w.node("b"));
    w.run(nullptr);
    CHECK(refused == NetError::connection_refused);
    CHECK(timed_out == NetError::timed_out);
    CHECK(got == "hello");
    CHECK(got_at > Instant::from_nanos(Duration::seconds(2).to_nanos()));
}

namespace {

// srv:5 accepts one connection and reads from it once.
void accept_and_read(Env& env) {
    auto l = env.network.listen({"srv", 5});
    REQUIRE(l.ok());
    auto c = (*l)->accept();
    if (!c.ok()) {
        return;
    }
    std::byte b[4];
    (void)(*c)->read_some(b);
}

// Connects to srv:5 after 1 ms and reads until the connection fails: how it failed.
NetError connect_and_read(Env& env) {
    env.scheduler.sleep_for(Duration::millis(1));
    auto c = env.network.connect({"srv", 5}, Duration::seconds(1));
    REQUIRE(c.ok());
    std::byte b[4];
    auto r = (*c)->read_some(b);
    return r.ok() ? NetError::io_error : r.error();
}

}  // namespace

TEST_CASE("a crashed host's peers see a reset; a restart gets a fresh incarnation") {
    SimWorld w(11);
    NetError client_error{};
    int boots = 0;
    w.add_node("srv", [&](Env& env) {
        ++boots;
        accept_and_read(env);
    });
    w.add_node("cli", [&](Env& env) { client_error = connect_and_read(env); });
    w.start(w.node("srv"));
    w.start(w.node("cli"));
    w.spawn("chaos", [&] {
        w.world_env().scheduler.sleep_for(Duration::millis(50));
        w.crash(w.node("srv"));
        w.world_env().scheduler.sleep_for(Duration::millis(50));
        w.start(w.node("srv"));
    });
    w.run(nullptr, Instant::from_nanos(Duration::seconds(1).to_nanos()));
    CHECK(client_error == NetError::connection_reset);
    CHECK(boots == 2);
    CHECK(w.node("srv").incarnation_count() == 2);
}

TEST_CASE("half-open: a crash behind a partition is not seen until the path heals") {
    SimWorld w(12);
    w.network().set_faults(NetFaults{.partition_reset_p = 0});  // no timeouts of their own
    NetError client_error{};
    Instant failed_at;
    w.add_node("srv", [](Env& env) { accept_and_read(env); });
    w.add_node("cli", [&](Env& env) {
        client_error = connect_and_read(env);
        failed_at = env.clock.now();
    });
    w.start(w.node("srv"));
    w.start(w.node("cli"));
    w.spawn("chaos", [&] {
        auto& s = w.world_env().scheduler;
        s.sleep_for(Duration::millis(50));
        w.network().partition("srv", "cli");
        w.crash(w.node("srv"));  // its RST is held in the partition
        s.sleep_for(Duration::seconds(2));
        CHECK(client_error == NetError{});  // still "connected": half-open
        w.network().heal_all();
    });
    w.run(nullptr, Instant::from_nanos(Duration::seconds(3).to_nanos()));
    CHECK(client_error == NetError::connection_reset);
    CHECK(failed_at >= Instant::from_nanos(Duration::millis(2050).to_nanos()));  // at the heal
}

TEST_CASE("half-open: each side of a connection a partition cuts times out on its own") {
    SimWorld w(13);
    w.network().set_faults(NetFaults{.partition_reset_p = 1,
                                     .partition_timeout_min = Duration::millis(100),
                                     .partition_timeout_max = Duration::millis(100)});
    NetError first_write{};
    NetError later{};
    w.add_node("srv", [&](Env& env) {
        auto l = env.network.listen({"srv", 5});
        REQUIRE(l.ok());
        auto c = (*l)->accept();
        REQUIRE(c.ok());
        env.scheduler.sleep_for(Duration::seconds(1));  // partitioned, then healed meanwhile
        const std::byte b[4] = {};
        auto w1 = (*c)->write_all(b);
        first_write = w1.ok() ? NetError{} : w1.error();
        std::byte in[4];
        auto r = (*c)->read_some(in);
        later = r.ok() ? NetError::io_error : r.error();
    });
    w.add_node("cli", [&](Env& env) {
        auto c = env.network.connect({"srv", 5}, Duration::seconds(1));
        REQUIRE(c.ok());
        env.scheduler.sleep_for(Duration::seconds(10));
    });
    w.start(w.node("srv"));
    w.start(w.node("cli"));
    w.spawn("chaos", [&] {
        auto& s = w.world_env().scheduler;
        s.sleep_for(Duration::millis(20));
        w.network().partition("srv", "cli");
        s.sleep_for(Duration::millis(500));  // both sides' timeouts fire
        w.network().heal_all();
    });
    w.run(nullptr, Instant::from_nanos(Duration::seconds(3).to_nanos()));
    // Both timed out on their own (nothing crossed the partition); later calls fail at once.
    CHECK(first_write == NetError::connection_reset);
    CHECK(later == NetError::connection_reset);
}
