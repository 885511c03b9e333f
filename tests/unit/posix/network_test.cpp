// PosixNetwork on loopback (127.0.0.1, port 0 only): an echo server with concurrent clients and
// random message sizes (bytes arrive intact and in order, both directions full at once), refused
// connects, close()/cancellation waking parked readers and acceptors, end of stream, resets,
// send_file (sendfile(2) and the copy fallback), names resolved on the pool, IPv6 when present.
// Fiber bodies use CHECK, never REQUIRE (an exception leaving a fiber aborts the process).
#include <doctest/doctest.h>
#include <sys/socket.h>

#include <array>
#include <cstring>
#include <memory>
#include <vector>

#include "core/base/random.h"
#include "tests/unit/posix/posix_test_util.h"

using namespace eddy;
using eddy::posix_test::TestEnv;

namespace {

std::byte pattern(uint64_t stream, uint64_t pos) {
    return static_cast<std::byte>(((pos * 2654435761ULL) >> 13) ^ (stream * 17) ^ pos);
}

// A listener on 127.0.0.1:0, one client connected to it and the server's end of that connection.
struct Pair {
    std::unique_ptr<Listener> listener;
    std::unique_ptr<Connection> client;
    std::unique_ptr<Connection> server;
    bool ok = false;
};

Pair connect_pair(Env& env) {
    Pair p;
    auto l = env.network.listen({"127.0.0.1", 0});
    CHECK(l.ok());
    if (!l.ok()) {
        return p;
    }
    p.listener = std::move(l).value();
    auto c = env.network.connect(p.listener->local_address(), Duration::seconds(5));
    CHECK(c.ok());
    if (!c.ok()) {
        return p;
    }
    p.client = std::move(c).value();
    auto s = p.listener->accept();
    CHECK(s.ok());
    if (!s.ok()) {
        return p;
    }
    p.server = std::move(s).value();
    p.ok = true;
    return p;
}

// A File without a native handle, to take send_file's copy path.
class NoHandleFile final : public File {
public:
    explicit NoHandleFile(File& f) : f_(f) {}
    Result<size_t, DiskError> read_at(uint64_t o, MutableByteSpan b) override {
        return f_.read_at(o, b);
    }
    Result<void, DiskError> write_at(uint64_t o, ByteSpan d) override { return f_.write_at(o, d); }
    Result<void, DiskError> sync() override { return f_.sync(); }
    Result<void, DiskError> truncate(uint64_t s) override { return f_.truncate(s); }
    Result<uint64_t, DiskError> size() override { return f_.size(); }

private:
    File& f_;
};

}  // namespace

TEST_CASE("net: echo server, concurrent clients, random sizes, bytes intact and in order") {
    TestEnv t;
    constexpr int clients = 6;
    constexpr int messages = 150;
    int clients_verified = 0;
    int handlers_clean_eof = 0;
    t.run([&] {
        Env& env = t.env();
        auto l = env.network.listen({"127.0.0.1", 0});
        CHECK(l.ok());
        if (!l.ok()) {
            return;
        }
        std::unique_ptr<Listener> listener = std::move(l).value();
        const Address addr = listener->local_address();
        CHECK(addr.host == "127.0.0.1");
        CHECK(addr.port != 0);

        std::vector<FiberRef> handlers;
        FiberRef acceptor = t.scheduler().spawn("acceptor", [&] {
            for (int i = 0; i < clients; ++i) {
                auto c = listener->accept();
                CHECK(c.ok());
                if (!c.ok()) {
                    return;
                }
                std::shared_ptr<Connection> conn = std::move(c).value();
                handlers.push_back(t.scheduler().spawn("echo", [&, conn] {
                    std::vector<std::byte> buf(64 * 1024);
                    for (;;) {
                        auto n = conn->read_some(buf);
                        CHECK(n.ok());
                        if (!n.ok()) {
                            return;
                        }
                        if (n.value() == 0) {
                            ++handlers_clean_eof;
                            return;
                        }
                        auto w = conn->write_all(ByteSpan(buf.data(), n.value()));
                        CHECK(w.ok());
                        if (!w.ok()) {
                            return;
                        }
                    }
                }));
            }
        });

        std::vector<FiberRef> client_fibers;
        for (int ci = 0; ci < clients; ++ci) {
            client_fibers.push_back(t.scheduler().spawn("client", [&, ci] {
                const auto stream = static_cast<uint64_t>(ci);
                Random rnd(1000 + stream);
                std::vector<size_t> sizes;
                uint64_t total = 0;
                for (int m = 0; m < messages; ++m) {
                    const size_t size = rnd.chance(0.3)
                                            ? static_cast<size_t>(rnd.between(1, 16))
                                            : static_cast<size_t>(rnd.between(1, 256 * 1024));
                    sizes.push_back(size);
                    total += size;
                }
                auto c = env.network.connect(addr, Duration::seconds(5));
                CHECK(c.ok());
                if (!c.ok()) {
                    return;
                }
                std::unique_ptr<Connection> conn = std::move(c).value();
                CHECK(conn->peer() == addr);
                // Writer and reader run at once: a big message fills both directions' buffers.
                FiberRef writer = t.scheduler().spawn("client-writer", [&] {
                    std::vector<std::byte> msg;
                    uint64_t pos = 0;
                    for (size_t size : sizes) {
                        msg.resize(size);
                        for (size_t i = 0; i < size; ++i) {
                            msg[i] = pattern(stream, pos + i);
                        }
                        CHECK(conn->write_all(msg).ok());
                        pos += size;
                    }
                });
                std::vector<std::byte> buf(200 * 1024);
                uint64_t got = 0;
                bool intact = true;
                while (got < total) {
                    const auto want = static_cast<size_t>(rnd.between(1, 200 * 1024));
                    auto n = conn->read_some(MutableByteSpan(buf.data(), want));
                    CHECK(n.ok());
                    if (!n.ok() || n.value() == 0) {
                        intact = false;
                        break;
                    }
                    for (size_t i = 0; i < n.value(); ++i) {
                        intact = intact && buf[i] == pattern(stream, got + i);
                    }
                    got += n.value();
                }
                CHECK(writer.join() == WakeReason::notified);
                CHECK(intact);
                CHECK(got == total);
                if (intact && got == total) {
                    ++clients_verified;
                }
                conn->close();
            }));
        }
        for (auto& f : client_fibers) {
            (void)f.join();
        }
        (void)acceptor.join();
        for (auto& h : handlers) {
            (void)h.join();
        }
    });
    CHECK(clients_verified == clients);
    CHECK(handlers_clean_eof == clients);
}

TEST_CASE("net: connecting to a closed port is refused") {
    TestEnv t;
    t.run([&] {
        auto l = t.env().network.listen({"127.0.0.1", 0});
        CHECK(l.ok());
        if (!l.ok()) {
            return;
        }
        const Address addr = l.value()->local_address();
        l.value()->close();
        auto c = t.env().network.connect(addr, Duration::seconds(5));
        CHECK_FALSE(c.ok());
        CHECK((!c.ok() && c.error() == NetError::connection_refused));
    });
}

TEST_CASE("net: close() wakes a parked reader with closed") {
    TestEnv t;
    t.run([&] {
        Pair p = connect_pair(t.env());
        if (!p.ok) {
            return;
        }
        std::optional<NetError> got;
        FiberRef reader = t.scheduler().spawn("reader", [&] {
            std::array<std::byte, 16> b{};
            auto r = p.client->read_some(b);
            got = r.ok() ? std::nullopt : std::optional(r.error());
        });
        t.scheduler().yield();  // the reader gets EAGAIN and parks
        CHECK_FALSE(reader.done());
        p.client->close();
        CHECK(reader.join() == WakeReason::notified);
        CHECK(got == NetError::closed);
        auto w = p.client->write_all(as_bytes("x"));
        CHECK((!w.ok() && w.error() == NetError::closed));
    });
}

TEST_CASE("net: the peer's close is end of stream (read returns 0)") {
    TestEnv t;
    t.run([&] {
        Pair p = connect_pair(t.env());
        if (!p.ok) {
            return;
        }
        CHECK(p.server->write_all(as_bytes("bye")).ok());
        p.server->close();
        std::array<std::byte, 16> b{};
        auto n = p.client->read_some(b);
        CHECK((n.ok() && n.value() == 3));
        n = p.client->read_some(b);
        CHECK((n.ok() && n.value() == 0));
    });
}

TEST_CASE("net: the peer's reset is connection_reset") {
    TestEnv t;
    t.run([&] {
        Pair p = connect_pair(t.env());
        if (!p.ok) {
            return;
        }
        // SO_LINGER with a zero timeout makes close() send RST instead of FIN.
        auto* server = dynamic_cast<PosixConnection*>(p.server.get());
        CHECK(server != nullptr);
        if (server == nullptr) {
            return;
        }
        linger lg{1, 0};
        CHECK(::setsockopt(server->fd(), SOL_SOCKET, SO_LINGER, &lg, sizeof lg) == 0);
        p.server->close();
        std::array<std::byte, 16> b{};
        auto n = p.client->read_some(b);
        CHECK((!n.ok() && n.error() == NetError::connection_reset));
    });
}

TEST_CASE("net: cancelling a parked reader returns cancelled; the connection still works") {
    TestEnv t;
    t.run([&] {
        Pair p = connect_pair(t.env());
        if (!p.ok) {
            return;
        }
        std::optional<NetError> got;
        FiberRef reader = t.scheduler().spawn("reader", [&] {
            std::array<std::byte, 16> b{};
            auto r = p.client->read_some(b);
            got = r.ok() ? std::nullopt : std::optional(r.error());
        });
        t.scheduler().yield();
        CHECK_FALSE(reader.done());
        reader.cancel();
        CHECK(reader.join() == WakeReason::notified);
        CHECK(got == NetError::cancelled);
        // The cancelled wait unlinked itself: another read on the same connection works.
        CHECK(p.server->write_all(as_bytes("ok")).ok());
        std::array<std::byte, 2> b{};
        CHECK(read_exact(*p.client, b).ok());
        CHECK(as_chars(b) == "ok");
    });
}

TEST_CASE("net: close() of a listener wakes a parked accept with closed") {
    TestEnv t;
    t.run([&] {
        auto l = t.env().network.listen({"127.0.0.1", 0});
        CHECK(l.ok());
        if (!l.ok()) {
            return;
        }
        std::unique_ptr<Listener> listener = std::move(l).value();
        std::optional<NetError> got;
        FiberRef acceptor = t.scheduler().spawn("acceptor", [&] {
            auto c = listener->accept();
            got = c.ok() ? std::nullopt : std::optional(c.error());
        });
        t.scheduler().yield();
        CHECK_FALSE(acceptor.done());
        listener->close();
        CHECK(acceptor.join() == WakeReason::notified);
        CHECK(got == NetError::closed);
    });
}

TEST_CASE("net: send_file round trip, with sendfile(2) and with the copy fallback") {
    TestEnv t;
    t.run([&] {
        constexpr size_t file_bytes = 3 * 1024 * 1024 + 17;
        auto f = t.env().disk.open("segment.log", OpenMode::create);
        CHECK(f.ok());
        if (!f.ok()) {
            return;
        }
        std::unique_ptr<File> file = std::move(f).value();
        std::vector<std::byte> data(file_bytes);
        for (size_t i = 0; i < data.size(); ++i) {
            data[i] = pattern(7, i);
        }
        CHECK(file->write_at(0, data).ok());
        CHECK(file->native_handle() >= 0);
        NoHandleFile copy_only(*file);

        Pair p = connect_pair(t.env());
        if (!p.ok) {
            return;
        }
        struct Case {
            File* file;
            uint64_t offset;
            uint64_t length;
        };
        for (const Case& c : {Case{file.get(), 1000, 2'500'000}, Case{&copy_only, 5, 1'000'000},
                              Case{file.get(), 0, file_bytes}}) {
            FiberRef sender = t.scheduler().spawn(
                "sender", [&] { CHECK(p.server->send_file(*c.file, c.offset, c.length).ok()); });
            std::vector<std::byte> got(c.length);
            CHECK(read_exact(*p.client, got).ok());
            CHECK(std::memcmp(got.data(), data.data() + c.offset, c.length) == 0);
            CHECK(sender.join() == WakeReason::notified);
        }
        // Past the end of the file: an error, not a hang.
        CHECK_FALSE(p.server->send_file(*file, file_bytes - 10, 20).ok());
    });
}

TEST_CASE("net: a host name is resolved (on the pool) and each address tried") {
    TestEnv t;
    t.run([&] {
        auto l = t.env().network.listen({"127.0.0.1", 0});
        CHECK(l.ok());
        if (!l.ok()) {
            return;
        }
        const uint16_t port = l.value()->local_address().port;
        // "localhost" may resolve to ::1 first, which nobody listens on: the next address wins.
        auto c = t.env().network.connect({"localhost", port}, Duration::seconds(5));
        CHECK(c.ok());
        if (c.ok()) {
            CHECK(c.value()->peer() == Address{"127.0.0.1", port});
        }
        auto bad = t.env().network.connect({"no-such-host.invalid", port}, Duration::seconds(5));
        CHECK((!bad.ok() && bad.error() == NetError::unreachable));
    });
}

TEST_CASE("net: IPv6 loopback, when the host has it") {
    TestEnv t;
    t.run([&] {
        auto l = t.env().network.listen({"::1", 0});
        if (!l.ok()) {
            MESSAGE("no IPv6 loopback here; skipped");
            return;
        }
        std::unique_ptr<Listener> listener = std::move(l).value();
        const Address addr = listener->local_address();
        CHECK(addr.host == "::1");
        auto c = t.env().network.connect(addr, Duration::seconds(5));
        CHECK(c.ok());
        if (!c.ok()) {
            return;
        }
        auto s = listener->accept();
        CHECK(s.ok());
        if (!s.ok()) {
            return;
        }
        CHECK(c.value()->write_all(as_bytes("v6")).ok());
        std::array<std::byte, 2> b{};
        CHECK(read_exact(*s.value(), b).ok());
        CHECK(as_chars(b) == "v6");
    });
}
