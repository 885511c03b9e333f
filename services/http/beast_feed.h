// Feeding Boost.Beast's HTTP parser (1.74, Debian bookworm) from a buffer, with the two guards
// its parse of a chunked body lacks. Shared by the request parser and the HTTP client; Beast
// stays out of every other header.
//
// 1. A chunk line (size and extensions) and the trailer section after the last chunk are kept
//    unparsed until their end arrives, with no limit: a peer could grow our buffer without end.
//    They are held to the header limit here.
// 2. Beast asserts that its final-chunk state is entered with at least 5 bytes ("\r\n0\r\n"), but
//    a body whose first chunk is its last ("0\r\n...") reaches it with 3 or 4 when it arrives a
//    byte at a time (Release builds compile the assertion out; the fuzz build does not). From any
//    point inside a chunked body a complete request still needs at least 5 bytes ("0\r\n\r\n"),
//    so fewer are held back until more arrive: no message completes later for it.
#pragma once

#include <cstddef>
#include <string_view>

#include <boost/beast/http/error.hpp>

namespace eddy::http::detail {

// Puts `unparsed` into `parser`; returns the bytes used. `ec` is Beast's, or need_more when
// bytes are held back, or header_limit when more than `line_bytes_max` would stay unparsed past
// the header (a chunk line or trailer section too long: check parser.is_header_done()).
template <class Parser>
size_t put_guarded(Parser& parser, std::string_view unparsed, size_t line_bytes_max,
                   boost::system::error_code& ec) {
    namespace beast_http = boost::beast::http;
    constexpr size_t last_chunk_bytes = 5;  // "0\r\n\r\n"
    ec = {};
    if (parser.is_header_done() && parser.chunked() && unparsed.size() < last_chunk_bytes) {
        ec = beast_http::error::need_more;
        return 0;
    }
    const size_t used =
        parser.put(boost::asio::const_buffer(unparsed.data(), unparsed.size()), ec);
    if ((!ec || ec == beast_http::error::need_more) && parser.is_header_done() &&
        !parser.is_done() && unparsed.size() - used > line_bytes_max) {
        ec = beast_http::error::header_limit;
    }
    return used;
}

}  // namespace eddy::http::detail
