// HttpServer: HTTP/1.1 on Env connections, so it serves on real sockets and inside the simulator
// alike. Requests are parsed by RequestParser (Boost.Beast); responses are written here.
//
// Per connection, one fiber reads, parses and answers requests one at a time: pipelined requests
// are answered in order, and a connection stays open between requests (keep-alive) unless the
// client asked for close, spoke HTTP/1.0 without keep-alive, or sent something malformed (answered
// 400/413/431, then closed). Large bodies, or a handler that asks for it, go out with
// Transfer-Encoding: chunked to HTTP/1.1 clients. HEAD is answered as GET without the body.
//
// Limits: header and body sizes (ParseLimits); a request must arrive whole within
// request_timeout of its first byte (slow clients are closed, and logged); a connection idle
// between requests for idle_timeout is closed; at most connections_max connections, further ones
// are closed at once. Header values a handler sets are stripped of CR and LF, so nothing echoed
// from a request can split the response.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/env/env.h"
#include "core/fiber/sync.h"
#include "services/http/http_parser.h"

namespace eddy::http {

struct Response {
    int status = 200;
    std::string content_type = "text/plain; charset=utf-8";
    std::vector<std::pair<std::string, std::string>> headers;  // besides the framing ones
    std::string body;
    bool chunked = false;  // send chunked (HTTP/1.1 only; 1.0 gets Content-Length)

    static Response text(int status, std::string body);
    static Response json(int status, std::string body);
};

// The standard reason phrase of a status ("OK", "Not Found", ...), or "Unknown".
const char* reason_phrase(int status);

struct HttpServerOptions {
    ParseLimits limits;
    Duration request_timeout = Duration::seconds(30);
    Duration idle_timeout = Duration::seconds(60);
    size_t connections_max = 256;
    // Bodies above this go out chunked to HTTP/1.1 clients.
    size_t chunk_above = 64 * 1024;
    size_t chunk_bytes = 16 * 1024;
    std::string server_name = "eddy";
};

struct RequestInfo {
    uint64_t connection = 0;
    Address peer;
};

// Answers one request; may suspend.
using HttpHandler = std::function<Response(const Request&, const RequestInfo&)>;

// The bytes of a response's status line and headers (and its body unless chunked or HEAD), as
// the server writes them; exposed for tests and the fuzz target.
std::string serialize_head(const Response& r, int version, bool keep_alive, bool head_only,
                           const std::string& server_name, bool chunked);
// The chunked encoding of a body, terminating chunk included.
std::string chunk_body(std::string_view body, size_t chunk_bytes);

class HttpServer {
public:
    HttpServer(Env& env, std::unique_ptr<Listener> listener, HttpHandler handler,
               HttpServerOptions options = {});
    ~HttpServer();
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    // Starts accepting. Does not suspend.
    void start();
    // Stops accepting, closes every connection (a request being handled finishes first; its
    // answer may not be written). Suspends until every connection fiber is done.
    void stop();

    Address local_address() const { return listener_->local_address(); }
    size_t connection_count() const { return connections_.size(); }
    uint64_t requests_served() const { return requests_served_; }

private:
    struct Conn;
    void accept_loop();
    void serve(Conn& c);
    bool answer(Conn& c, const Request& request, Response response);
    void sweep();

    Env& env_;
    std::unique_ptr<Listener> listener_;
    HttpHandler handler_;
    HttpServerOptions options_;
    bool stopping_ = false;
    uint64_t next_id_ = 1;
    uint64_t requests_served_ = 0;
    std::map<uint64_t, std::unique_ptr<Conn>> connections_;
    FiberRef acceptor_;
    FiberRef sweeper_;
    Event all_closed_;
};

}  // namespace eddy::http
