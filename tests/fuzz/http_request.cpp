// Fuzz target: the HTTP request path of Eddy's HTTP servers (services/http): bytes fed to the
// request parser in pieces of arbitrary sizes, every request it yields answered with a response
// that echoes the client's target into a header and its body into the body, as a handler might.
//
// The input: byte 0 picks the limits (small ones make 413/431 reachable), byte 1 seeds the piece
// sizes, bit 0 of byte 2 ends the stream (EOF) after the input; the rest is the stream. Checked:
// a request's path and query come from its target, its body is within the limit; an error is
// 400, 413 or 431 and ends the stream; the parser's buffer stays bounded; a response's head
// is one block of CRLF-terminated lines with no line break from the echoed text, and its chunked
// body decodes back to the body. A request's Authorization header, decoded as the admin API's
// HTTP Basic credentials (services/admin/basic_auth.h), is refused or yields a user without ':'
// or control characters, and the token is the canonical encoding of user:password. A failure
// aborts (ASSERT).
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/base/assert.h"
#include "core/base/bytes.h"
#include "services/admin/basic_auth.h"
#include "services/http/http_server.h"
#include "services/security/scram_encoding.h"

using namespace eddy;
using namespace eddy::http;

namespace {

void check_response(const Request& request) {
    Response r = Response::text(200, request.body);
    r.headers.emplace_back("X-Target", request.target);
    r.headers.emplace_back(request.method, "method as a name");
    const std::string head = serialize_head(r, request.version, request.keep_alive, false,
                                            "eddy", true);
    // Exactly one blank line, at the end: nothing echoed split the head.
    ASSERT(head.ends_with("\r\n\r\n"));
    ASSERT(head.find("\r\n\r\n") == head.size() - 4, "an echoed value ended the head early");
    for (size_t i = 0; i < head.size(); ++i) {
        if (head[i] == '\n') {
            ASSERT(i > 0 && head[i - 1] == '\r', "a bare LF in the head");
        }
        if (head[i] == '\r') {
            ASSERT(i + 1 < head.size() && head[i + 1] == '\n', "a bare CR in the head");
        }
    }
    // The chunked body decodes back.
    const std::string chunked = chunk_body(request.body, 7);
    std::string decoded;
    size_t at = 0;
    while (true) {
        const size_t eol = chunked.find("\r\n", at);
        ASSERT(eol != std::string::npos);
        const size_t n = std::stoul(chunked.substr(at, eol - at), nullptr, 16);
        decoded += chunked.substr(eol + 2, n);
        at = eol + 2 + n + 2;
        if (n == 0) {
            break;
        }
    }
    ASSERT(at == chunked.size() && decoded == request.body);
}

void check_authorization(const Request& request) {
    const auto value = request.header("Authorization");
    if (!value) {
        return;
    }
    const auto c = eddy::admin::parse_basic_authorization(*value);
    if (!c.ok()) {
        return;
    }
    ASSERT(c->user.find(':') == std::string::npos);
    for (const std::string* s : {&c->user, &c->password}) {
        for (const char ch : *s) {
            ASSERT(static_cast<unsigned char>(ch) >= 0x20 && ch != 0x7f, "a control character");
        }
    }
    const std::string token = security::base64_encode(as_bytes(c->user + ":" + c->password));
    ASSERT(value->find(token) != std::string_view::npos, "the token is not canonical");
    ASSERT(token.size() <= eddy::admin::limits::basic_token_bytes_max);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 3) {
        return 0;
    }
    ParseLimits limits;
    if ((data[0] & 1) != 0) {
        limits.header_bytes_max = 64 + data[0];
        limits.body_bytes_max = data[0] / 4U;
    }
    uint32_t state = data[1] | 1U;
    const bool eof = (data[2] & 1) != 0;
    RequestParser parser(limits);
    size_t pos = 3;
    bool ended = false;
    while (!ended) {
        if (pos < size) {
            state = state * 1103515245U + 12345U;
            const size_t n = std::min<size_t>(1 + (state >> 16) % 97, size - pos);
            parser.feed(ByteSpan(reinterpret_cast<const std::byte*>(data + pos), n));
            pos += n;
        } else if (eof) {
            parser.feed_eof();
            ended = true;
        } else {
            break;
        }
        while (true) {
            const auto st = parser.next();
            if (st == RequestParser::State::request) {
                const Request r = parser.take_request();
                ASSERT(r.target.starts_with(r.path));
                ASSERT(r.query.empty() || r.target == r.path + "?" + r.query);
                ASSERT(r.body.size() <= limits.body_bytes_max);
                ASSERT(r.version == 10 || r.version == 11);
                check_response(r);
                check_authorization(r);
                continue;
            }
            if (st == RequestParser::State::error) {
                const int s = parser.error().status;
                ASSERT(s == 400 || s == 413 || s == 431);
                ASSERT(!parser.error().reason.empty());
                return 0;  // the server answers and closes
            }
            // While it waits for more the parser holds at most the header limit unparsed: a
            // body is consumed as it arrives, a chunk line or trailer longer than that is 431.
            ASSERT(parser.buffered() <= limits.header_bytes_max);
            break;
        }
    }
    return 0;
}
