#include "services/http/http_client.h"

#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include "services/http/beast_feed.h"
#include "services/http/http_parser.h"

namespace eddy::http {

namespace beast_http = boost::beast::http;

Result<ClientResponse, std::string> get(Env& env, const Address& at, const std::string& path,
                                        Duration timeout, size_t body_bytes_max) {
    const Instant deadline = env.scheduler.now() + timeout;
    auto c = env.network.connect(at, timeout);
    if (!c.ok()) {
        return fail("connect to " + at.to_string() + ": " + to_string(c.error()));
    }
    Connection& conn = **c;
    bool finished = false;
    bool timed_out = false;
    FiberRef watchdog = env.scheduler.spawn("http-get-timeout", [&] {
        if (env.scheduler.sleep_until(deadline) == WakeReason::timeout && !finished) {
            timed_out = true;
            conn.close();
        }
    });
    auto done = [&](Result<ClientResponse, std::string> r) {
        finished = true;
        watchdog.cancel();
        watchdog.join();
        conn.close();
        if (timed_out && !r.ok()) {
            return Result<ClientResponse, std::string>(
                fail("GET " + path + " from " + at.to_string() + ": no answer in " +
                     std::to_string(timeout.to_millis()) + " ms"));
        }
        return r;
    };
    const std::string request = "GET " + path + " HTTP/1.1\r\nHost: " + at.to_string() +
                                "\r\nConnection: close\r\n\r\n";
    if (!conn.write_all(as_bytes(request)).ok()) {
        return done(fail("GET " + path + " from " + at.to_string() + ": connection lost"));
    }
    beast_http::response_parser<beast_http::string_body> parser;
    parser.body_limit(static_cast<std::uint64_t>(body_bytes_max));
    const size_t line_bytes_max = ParseLimits{}.header_bytes_max;
    parser.header_limit(static_cast<std::uint32_t>(line_bytes_max));
    parser.eager(true);
    std::string buffer;
    Bytes chunk(16 * 1024);
    while (!parser.is_done()) {
        auto n = conn.read_some(chunk);
        boost::system::error_code ec;
        if (!n.ok() || *n == 0) {
            // A body delimited by the end of the connection (Beast calls a parser that got
            // nothing at all done too, so that case is checked first).
            if (n.ok() && parser.got_some()) {
                parser.put_eof(ec);
            }
            if (!n.ok() || !parser.got_some() || ec || !parser.is_done()) {
                return done(fail("GET " + path + " from " + at.to_string() +
                                 ": connection closed before the whole answer"));
            }
            break;
        }
        buffer.append(reinterpret_cast<const char*>(chunk.data()), *n);
        while (!buffer.empty() && !parser.is_done()) {
            const size_t used = detail::put_guarded(parser, buffer, line_bytes_max, ec);
            buffer.erase(0, used);
            if (ec == beast_http::error::need_more) {
                break;
            }
            if (ec) {
                return done(fail("GET " + path + " from " + at.to_string() + ": bad answer (" +
                                 ec.message() + ")"));
            }
            if (used == 0) {
                break;
            }
        }
    }
    ClientResponse out;
    out.status = static_cast<int>(parser.get().result_int());
    out.body = std::move(parser.get().body());
    return done(std::move(out));
}

}  // namespace eddy::http
