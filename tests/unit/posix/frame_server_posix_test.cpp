// The same FrameServer that tests/unit/services/frame_server_test.cpp runs under the simulator,
// here on real TCP sockets through the epoll reactor: pipelined frames answered in order, an
// oversized frame closes the connection, and stop() drains. Fiber bodies use CHECK, not REQUIRE.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "services/net/frame_server.h"
#include "tests/unit/posix/posix_test_util.h"

using namespace eddy;
using eddy::posix_test::TestEnv;

TEST_CASE("frame server on real sockets: pipelined requests answered in order; stop drains") {
    TestEnv t;
    std::vector<std::string> answers;
    bool oversize_closed = false;
    t.run([&] {
        Env& env = t.env();
        auto listener = env.network.listen({"127.0.0.1", 0});
        CHECK(listener.ok());
        if (!listener.ok()) {
            return;
        }
        const Address at = (*listener)->local_address();
        net::FrameServerOptions options;
        options.frame_bytes_max = 1 << 16;
        net::FrameServer server(
            env, std::move(listener).value(),
            [&env](const net::ConnectionInfo&,
                   ByteSpan body) -> Result<std::optional<Bytes>, net::HandlerError> {
                const std::string text(as_chars(body));
                // Later requests often finish first; the answers must still come back in order.
                env.scheduler.sleep_for(
                    Duration::micros(static_cast<int64_t>(stable_hash(text) % 2000)));
                if (!text.empty() && text[0] == '-') {
                    return std::optional<Bytes>();
                }
                return std::optional<Bytes>(to_bytes("re:" + text));
            },
            options);
        server.start();

        auto c = env.network.connect(at, Duration::seconds(5));
        CHECK(c.ok());
        if (!c.ok()) {
            return;
        }
        for (int i = 0; i < 200; ++i) {
            std::string body = std::to_string(i);
            if (i % 7 == 3) {
                body.insert(body.begin(), '-');
            }
            CHECK(net::write_frame(**c, as_bytes(body)).ok());
        }
        for (int i = 0; i < 200; ++i) {
            if (i % 7 == 3) {
                continue;
            }
            auto f = net::read_frame(**c, 1024);
            CHECK(f.ok());
            if (!f.ok()) {
                return;
            }
            answers.emplace_back(as_chars(*f));
            CHECK(answers.back() == "re:" + std::to_string(i));
        }

        auto big = env.network.connect(at, Duration::seconds(5));
        CHECK(big.ok());
        std::byte header[4];
        store_be<uint32_t>(header, 1u << 20);  // over frame_bytes_max: closed, never allocated
        CHECK((*big)->write_all(header).ok());
        auto r = net::read_frame(**big, 1024);
        oversize_closed = !r.ok();

        server.stop();
        CHECK(server.connection_count() == 0);
        auto after = net::read_frame(**c, 1024);
        CHECK(!after.ok());  // the server closed it
    });
    CHECK(answers.size() == 200 - 29);
    CHECK(oversize_closed);
}

// A client that sends requests but does not read their answers: the unwritten responses count
// against the connection's pipeline_bytes_max, so once the socket buffers are full and the budget
// is spent the server stops reading requests (TCP pushes back on the client) instead of holding
// one response per request in memory. When the client reads again, everything is answered.
namespace {
constexpr int unread_requests = 300;
constexpr size_t unread_response_bytes = 1 << 20;
}  // namespace

TEST_CASE("frame server on real sockets: unread responses stop the reading of requests") {
    TestEnv t;
    uint64_t handled_while_not_reading = 0;
    int answered = 0;
    const int requests = unread_requests;
    const size_t response_bytes = unread_response_bytes;
    t.run([&] {
        Env& env = t.env();
        auto listener = env.network.listen({"127.0.0.1", 0});
        CHECK(listener.ok());
        if (!listener.ok()) {
            return;
        }
        const Address at = (*listener)->local_address();
        net::FrameServerOptions options;
        options.pipeline_depth = 1024;
        options.pipeline_bytes_max = 4 * response_bytes;
        net::FrameServer server(
            env, std::move(listener).value(),
            [](const net::ConnectionInfo&,
               ByteSpan) -> Result<std::optional<Bytes>, net::HandlerError> {
                return std::optional<Bytes>(Bytes(unread_response_bytes, std::byte{'r'}));
            },
            options);
        server.start();
        auto c = env.network.connect(at, Duration::seconds(5));
        CHECK(c.ok());
        if (!c.ok()) {
            return;
        }
        auto sender = env.scheduler.spawn("sender", [&] {
            for (int i = 0; i < requests; ++i) {
                if (!net::write_frame(**c, as_bytes("q")).ok()) {
                    return;
                }
            }
        });
        // Wait until the server has stopped taking requests (no progress for 200 ms).
        uint64_t seen = 0;
        for (int quiet = 0; quiet < 10;) {
            env.scheduler.sleep_for(Duration::millis(20));
            quiet = server.frames_handled() == seen ? quiet + 1 : 0;
            seen = server.frames_handled();
        }
        handled_while_not_reading = seen;
        for (int i = 0; i < requests; ++i) {
            auto f = net::read_frame(**c, 2 * response_bytes);
            CHECK(f.ok());
            if (!f.ok()) {
                break;
            }
            answered += f->size() == response_bytes ? 1 : 0;
        }
        sender.join();
        server.stop();
    });
    // Without the budget all 300 would be read and answered into memory (300 MiB); with it, only
    // the budget's 4 plus what the kernel's socket buffers took.
    CHECK(handled_while_not_reading < 100);
    CHECK(answered == requests);
}
