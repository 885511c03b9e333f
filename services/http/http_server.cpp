#include "services/http/http_server.h"

#include <algorithm>
#include <optional>

#include "core/base/assert.h"
#include "core/env/faults.h"

namespace eddy::http {

namespace {

// Header text a handler set, minus anything that could end the header line.
std::string header_safe(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (const char ch : s) {
        if (ch != '\r' && ch != '\n' && ch != '\0') {
            out.push_back(ch);
        }
    }
    return out;
}

std::string hex(size_t n) {
    static const char digits[] = "0123456789abcdef";
    std::string out;
    do {
        out.insert(out.begin(), digits[n % 16]);
        n /= 16;
    } while (n != 0);
    return out;
}

}  // namespace

Response Response::text(int status, std::string body) {
    Response r;
    r.status = status;
    r.body = std::move(body);
    return r;
}

Response Response::json(int status, std::string body) {
    Response r;
    r.status = status;
    r.content_type = "application/json";
    r.body = std::move(body);
    return r;
}

const char* reason_phrase(int status) {
    switch (status) {
        case 100: return "Continue";
        case 200: return "OK";
        case 201: return "Created";
        case 204: return "No Content";
        case 301: return "Moved Permanently";
        case 304: return "Not Modified";
        case 400: return "Bad Request";
        case 401: return "Unauthorized";
        case 403: return "Forbidden";
        case 404: return "Not Found";
        case 405: return "Method Not Allowed";
        case 408: return "Request Timeout";
        case 409: return "Conflict";
        case 413: return "Content Too Large";
        case 415: return "Unsupported Media Type";
        case 422: return "Unprocessable Content";
        case 429: return "Too Many Requests";
        case 431: return "Request Header Fields Too Large";
        case 500: return "Internal Server Error";
        case 501: return "Not Implemented";
        case 503: return "Service Unavailable";
        case 505: return "HTTP Version Not Supported";
        default: return "Unknown";
    }
}

std::string serialize_head(const Response& r, int version, bool keep_alive, bool head_only,
                           const std::string& server_name, bool chunked) {
    const int status = r.status >= 100 && r.status <= 599 ? r.status : 500;
    std::string out = "HTTP/1.1 " + std::to_string(status) + " " + reason_phrase(status) + "\r\n";
    out += "Server: " + header_safe(server_name) + "\r\n";
    out += "Content-Type: " + header_safe(r.content_type) + "\r\n";
    if (chunked) {
        out += "Transfer-Encoding: chunked\r\n";
    } else {
        out += "Content-Length: " + std::to_string(r.body.size()) + "\r\n";
    }
    for (const auto& [name, value] : r.headers) {
        const std::string n = header_safe(name);
        if (!n.empty() && n.find(':') == std::string::npos) {
            out += n + ": " + header_safe(value) + "\r\n";
        }
    }
    if (!keep_alive) {
        out += "Connection: close\r\n";
    } else if (version < 11) {
        out += "Connection: keep-alive\r\n";
    }
    out += "\r\n";
    (void)head_only;  // the head is the same; only the body is left out
    return out;
}

std::string chunk_body(std::string_view body, size_t chunk_bytes) {
    ASSERT(chunk_bytes > 0);
    std::string out;
    out.reserve(body.size() + body.size() / chunk_bytes * 8 + 16);
    for (size_t at = 0; at < body.size(); at += chunk_bytes) {
        const size_t n = std::min(chunk_bytes, body.size() - at);
        out += hex(n);
        out += "\r\n";
        out.append(body.substr(at, n));
        out += "\r\n";
    }
    out += "0\r\n\r\n";
    return out;
}

// After an answer that closes the connection: how long, and how many bytes, to drain first.
constexpr Duration linger = Duration::seconds(2);
constexpr size_t linger_bytes_max = 1024 * 1024;

struct HttpServer::Conn {
    uint64_t id = 0;
    std::unique_ptr<Connection> conn;
    Address peer;
    Instant last_active;
    std::optional<Instant> request_started;  // the first byte of the request being read
    std::optional<Instant> close_at;         // lingering after a refused request
    FiberRef fiber;
};

HttpServer::HttpServer(Env& env, std::unique_ptr<Listener> listener, HttpHandler handler,
                       HttpServerOptions options)
    : env_(env),
      listener_(std::move(listener)),
      handler_(std::move(handler)),
      options_(std::move(options)),
      all_closed_(env.scheduler) {
    ASSERT(options_.chunk_bytes > 0);
    all_closed_.set();
}

HttpServer::~HttpServer() {
    // Destroyed without stop() only when the node crashes and its fibers are being unwound.
    listener_->close();
}

void HttpServer::start() {
    acceptor_ = env_.scheduler.spawn("http-accept", [this] { accept_loop(); });
    sweeper_ = env_.scheduler.spawn("http-sweep", [this] { sweep(); });
}

void HttpServer::accept_loop() {
    while (!stopping_) {
        auto r = listener_->accept();
        if (!r.ok()) {
            if (r.error() == NetError::closed || r.error() == NetError::cancelled) {
                return;
            }
            env_.log.warn("http accept failed: %s", to_string(r.error()));
            continue;
        }
        if (connections_.size() >= options_.connections_max) {
            env_.log.warn("closing a connection from %s: %zu connections open",
                          (*r)->peer().to_string().c_str(), connections_.size());
            (*r)->close();
            continue;
        }
        auto c = std::make_unique<Conn>();
        c->id = next_id_++;
        c->conn = std::move(r).value();
        c->peer = c->conn->peer();
        c->last_active = env_.clock.now();
        Conn& ref = *c;
        connections_.emplace(ref.id, std::move(c));
        all_closed_.reset();
        ref.fiber = env_.scheduler.spawn("http-conn", [this, &ref] { serve(ref); });
    }
}

bool HttpServer::answer(Conn& c, const Request& request, Response response) {
    const bool keep_alive = request.keep_alive && !stopping_;
    const bool head_only = request.method == "HEAD";
    const bool chunked = !head_only && request.version >= 11 &&
                         (response.chunked || response.body.size() > options_.chunk_above);
    std::string out = serialize_head(response, request.version, keep_alive, head_only,
                                     options_.server_name, chunked);
    if (!head_only) {
        if (chunked) {
            out += chunk_body(response.body, options_.chunk_bytes);
        } else {
            out += response.body;
        }
    }
    // Buggify: the answer leaves in two writes (clients must not assume one segment).
    const size_t split = BUGGIFY(env_) ? out.size() / 2 : 0;
    if (split > 0 && !c.conn->write_all(as_bytes(std::string_view(out).substr(0, split))).ok()) {
        return false;
    }
    if (!c.conn->write_all(as_bytes(std::string_view(out).substr(split))).ok()) {
        return false;
    }
    c.last_active = env_.clock.now();
    return keep_alive;
}

void HttpServer::serve(Conn& c) {
    RequestParser parser(options_.limits);
    Bytes buf(16 * 1024);
    const RequestInfo info{c.id, c.peer};
    bool eof = false;
    while (!stopping_) {
        const auto state = parser.next();
        if (state == RequestParser::State::request) {
            const Request request = parser.take_request();
            c.request_started.reset();
            c.last_active = env_.clock.now();  // a slow handler is not an idle connection
            Response response = handler_(request, info);
            ++requests_served_;
            if (!answer(c, request, std::move(response))) {
                break;
            }
            if (parser.in_request()) {
                c.request_started = env_.clock.now();  // a pipelined request, started already
            }
            continue;
        }
        if (state == RequestParser::State::error) {
            const ParseError& e = parser.error();
            env_.log.info("%s from %s, closing", e.reason.c_str(), c.peer.to_string().c_str());
            Request bad;
            bad.keep_alive = false;
            (void)answer(c, bad, Response::text(e.status, e.reason + "\n"));
            // Lingering close: read and drop what the client is still sending (the rest of an
            // oversized header, say) for a moment, since closing with unread bytes resets the
            // connection, and a reset makes the client's kernel drop the answer unread.
            c.close_at = env_.clock.now() + linger;
            size_t drained = 0;
            while (drained < linger_bytes_max) {
                auto n = c.conn->read_some(buf);
                if (!n.ok() || *n == 0) {
                    break;
                }
                drained += *n;
            }
            break;
        }
        if (eof) {
            break;  // the client closed between requests
        }
        auto n = c.conn->read_some(buf);
        if (!n.ok()) {
            break;
        }
        if (*n == 0) {
            parser.feed_eof();
            eof = true;
            continue;
        }
        c.last_active = env_.clock.now();
        parser.feed(ByteSpan(buf).first(*n));
        if (!c.request_started) {
            c.request_started = c.last_active;
        }
    }
    c.conn->close();
    const uint64_t id = c.id;
    connections_.erase(id);  // the fiber record outlives its FiberRef (see FrameServer)
    if (connections_.empty()) {
        all_closed_.set();
    }
}

void HttpServer::sweep() {
    const Duration period =
        std::max(std::min({options_.request_timeout, options_.idle_timeout, linger}) / 4,
                 Duration::millis(10));
    while (!stopping_) {
        if (env_.scheduler.sleep_for(period) == WakeReason::cancelled) {
            return;
        }
        const Instant now = env_.clock.now();
        for (auto& [id, c] : connections_) {
            if (c->close_at) {
                if (now >= *c->close_at) {
                    c->conn->close();
                }
            } else if (c->request_started && now - *c->request_started > options_.request_timeout) {
                env_.log.info(
                    "connection %llu from %s sent no whole request in %lld ms, "
                    "closing",
                    static_cast<unsigned long long>(id), c->peer.to_string().c_str(),
                    static_cast<long long>(options_.request_timeout.to_millis()));
                c->conn->close();
            } else if (!c->request_started &&
                       (now - c->last_active > options_.idle_timeout || BUGGIFY(env_))) {
                // Buggify: an idle keep-alive connection closed early, as a proxy may do:
                // clients must open a new one.
                c->conn->close();
            }
        }
    }
}

void HttpServer::stop() {
    if (stopping_) {
        (void)all_closed_.wait();
        return;
    }
    stopping_ = true;
    listener_->close();
    acceptor_.cancel_and_join();
    sweeper_.cancel_and_join();
    for (auto& [id, c] : connections_) {
        (void)id;
        c->conn->close();
    }
    (void)all_closed_.wait();
}

}  // namespace eddy::http
