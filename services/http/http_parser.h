// HTTP/1.1 request parsing for Eddy's HTTP servers (the admin listener today; the Schema Registry,
// Connect's REST API and the console later). The bytes are parsed by Boost.Beast's parser, driven
// from buffers (no Asio I/O): this file only turns its results into Eddy's Request and its errors
// into the status a client should get.
//
// A connection feeds what it reads; `next()` yields one complete request at a time, keeping the
// bytes that follow (pipelined requests) for the next call. Limits: the request line plus headers
// (header_bytes_max, answered 431) and the body, chunked or not (body_bytes_max, answered 413).
// A chunk line (extensions included) or a chunked body's trailer section is held to the header
// limit too (431): Beast leaves them unbounded.
// Anything else malformed is 400 and the connection is closed after the answer.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/base/bytes.h"

namespace eddy::http {

struct Request {
    std::string method;  // as sent, e.g. "GET"
    std::string target;  // as sent, e.g. "/metrics?name=x"
    std::string path;    // the target up to '?', e.g. "/metrics"
    std::string query;   // after '?', undecoded ("" if none)
    int version = 11;    // 10 or 11
    std::vector<std::pair<std::string, std::string>> headers;  // in order, names as sent
    std::string body;
    bool keep_alive = true;  // what the client asked for (HTTP/1.0 default close)

    // The first header of that name (case-insensitive), if any.
    std::optional<std::string_view> header(std::string_view name) const;
};

struct ParseLimits {
    size_t header_bytes_max = 16 * 1024;
    size_t body_bytes_max = 1024 * 1024;
};

// What went wrong, as the status to answer before closing.
struct ParseError {
    int status = 400;
    std::string reason;  // one line, for the body and the log
};

class RequestParser {
public:
    explicit RequestParser(ParseLimits limits = {});
    ~RequestParser();
    RequestParser(const RequestParser&) = delete;
    RequestParser& operator=(const RequestParser&) = delete;

    // Appends bytes read from the connection.
    void feed(ByteSpan bytes);
    // The peer closed its side: a request cut short is an error from now on.
    void feed_eof();

    enum class State : uint8_t { need_more, request, error };
    // Parses from the buffered bytes. `request`: take it with take_request(); `error`: take the
    // error with error(), the connection is done; `need_more`: feed more.
    State next();
    Request take_request();
    const ParseError& error() const { return error_; }
    // Bytes fed and not yet parsed (the start of a request, or pipelined requests).
    size_t buffered() const { return buffer_.size() - consumed_; }
    // Whether part of a request has arrived (a request is being read: the read timeout runs).
    bool in_request() const;

private:
    struct Impl;
    ParseLimits limits_;
    std::string buffer_;
    size_t consumed_ = 0;
    bool eof_ = false;
    std::unique_ptr<Impl> impl_;
    std::optional<Request> ready_;
    ParseError error_;
};

}  // namespace eddy::http
