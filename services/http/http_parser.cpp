#include "services/http/http_parser.h"

#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include "core/base/assert.h"
#include "services/http/beast_feed.h"

namespace eddy::http {

namespace beast_http = boost::beast::http;

namespace {

std::string to_std(boost::beast::string_view s) { return std::string(s.data(), s.size()); }

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) {
        return false;
    }
    for (size_t i = 0; i < a.size(); ++i) {
        if (lower(a[i]) != lower(b[i])) {
            return false;
        }
    }
    return true;
}

// Buffered bytes already parsed are dropped once they are this many (or all of the buffer).
constexpr size_t compact_at = 64 * 1024;

}  // namespace

std::optional<std::string_view> Request::header(std::string_view name) const {
    for (const auto& [n, v] : headers) {
        if (iequals(n, name)) {
            return std::string_view(v);
        }
    }
    return std::nullopt;
}

struct RequestParser::Impl {
    std::optional<beast_http::request_parser<beast_http::string_body>> parser;

    void reset(const ParseLimits& limits) {
        parser.emplace();
        parser->header_limit(static_cast<std::uint32_t>(
            std::min<size_t>(limits.header_bytes_max, UINT32_MAX)));
        parser->body_limit(static_cast<std::uint64_t>(limits.body_bytes_max));
        parser->eager(true);
    }
};

RequestParser::RequestParser(ParseLimits limits)
    : limits_(limits), impl_(std::make_unique<Impl>()) {
    impl_->reset(limits_);
}

RequestParser::~RequestParser() = default;

void RequestParser::feed(ByteSpan bytes) {
    buffer_.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

void RequestParser::feed_eof() { eof_ = true; }

bool RequestParser::in_request() const { return impl_->parser->got_some() || buffered() > 0; }

RequestParser::State RequestParser::next() {
    ASSERT(!ready_, "take_request() before parsing the next request");
    auto& p = *impl_->parser;
    auto compact = [this] {
        if (consumed_ == buffer_.size() || consumed_ >= compact_at) {
            buffer_.erase(0, consumed_);
            consumed_ = 0;
        }
    };
    auto failed = [this](int status, std::string reason) {
        error_ = ParseError{status, std::move(reason)};
        return State::error;
    };
    while (true) {
        boost::system::error_code ec;
        size_t used = 0;
        if (consumed_ < buffer_.size()) {
            used = detail::put_guarded(
                p, std::string_view(buffer_).substr(consumed_), limits_.header_bytes_max, ec);
            consumed_ += used;
        } else {
            ec = beast_http::error::need_more;
        }
        if (ec == beast_http::error::need_more) {
            compact();
            if (!eof_ || !in_request()) {
                return State::need_more;  // at end of stream between requests: a clean close
            }
            // (Beast calls a parser that consumed nothing done at end of stream: a partial
            // request line still in the buffer must not become a request.)
            ec = {};
            if (p.got_some()) {
                p.put_eof(ec);
            }
            if (!p.got_some() || ec || !p.is_done()) {
                return failed(400, "the connection closed in the middle of a request");
            }
        } else if (ec == beast_http::error::header_limit) {
            return failed(431, std::string(p.is_header_done() ? "chunk line or trailer section"
                                                              : "request header") +
                                   " larger than " + std::to_string(limits_.header_bytes_max) +
                                   " bytes");
        } else if (ec == beast_http::error::body_limit) {
            return failed(413, "request body larger than " +
                                   std::to_string(limits_.body_bytes_max) + " bytes");
        } else if (ec) {
            return failed(400, "malformed request: " + ec.message());
        }
        if (p.is_done()) {
            auto msg = p.release();
            Request r;
            r.method = to_std(msg.method_string());
            r.target = to_std(msg.target());
            const size_t q = r.target.find('?');
            r.path = r.target.substr(0, q);
            r.query = q == std::string::npos ? "" : r.target.substr(q + 1);
            r.version = static_cast<int>(msg.version());
            for (const auto& field : msg) {
                r.headers.emplace_back(to_std(field.name_string()), to_std(field.value()));
            }
            r.keep_alive = msg.keep_alive();
            r.body = std::move(msg.body());
            ready_ = std::move(r);
            impl_->reset(limits_);
            compact();
            return State::request;
        }
        if (used == 0) {
            compact();
            return State::need_more;
        }
    }
}

Request RequestParser::take_request() {
    ASSERT(ready_.has_value());
    Request r = std::move(*ready_);
    ready_.reset();
    return r;
}

}  // namespace eddy::http
