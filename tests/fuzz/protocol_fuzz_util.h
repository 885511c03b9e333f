// Shared oracle for the protocol fuzz targets: decode a body; if it decodes, re-encode it, decode
// that again and require the same bytes a second time (a stable fixed point). Anything the decoder
// accepts must be representable, and the codec must never crash, read out of bounds or allocate
// beyond what the input justifies (libFuzzer's -rss_limit_mb and ASan catch the latter).
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/base/assert.h"
#include "core/base/bytes.h"
#include "core/protocol/wire.h"

namespace eddy::protocol::fuzz {

template <typename T>
void check_body(Reader& r, int16_t version) {
    auto first = T::decode(r, version);
    if (!first.ok()) {
        return;
    }
    Bytes once;
    Writer w1(once);
    first->encode(w1, version);
    Reader r2(once);
    auto second = T::decode(r2, version);
    ASSERT(second.ok(), "re-encoded message does not decode");
    ASSERT(r2.remaining() == 0, "re-encoded message has trailing bytes");
    Bytes twice;
    Writer w2(twice);
    second->encode(w2, version);
    // Bytes, not ==: a decoded float64 may be NaN.
    ASSERT(once == twice, "encode(decode(encode(m))) differs from encode(m)");
}

inline ByteSpan as_span(const uint8_t* data, size_t size) {
    return {reinterpret_cast<const std::byte*>(data), size};
}

}  // namespace eddy::protocol::fuzz
