// Byte spans and big-endian helpers shared by the wire codec, the record batch code and the log.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>
#include <vector>

namespace eddy {

using Bytes = std::vector<std::byte>;
using ByteSpan = std::span<const std::byte>;
using MutableByteSpan = std::span<std::byte>;

inline ByteSpan as_bytes(std::string_view s) {
    return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}
inline std::string_view as_chars(ByteSpan b) {
    return {reinterpret_cast<const char*>(b.data()), b.size()};
}
inline Bytes to_bytes(std::string_view s) {
    auto b = as_bytes(s);
    return {b.begin(), b.end()};
}

template <typename T>
T load_be(const std::byte* p) {
    static_assert(std::is_unsigned_v<T>);
    T v = 0;
    for (size_t i = 0; i < sizeof(T); ++i) {
        v = static_cast<T>((v << 8) | static_cast<T>(p[i]));
    }
    return v;
}

template <typename T>
void store_be(std::byte* p, T v) {
    static_assert(std::is_unsigned_v<T>);
    for (size_t i = 0; i < sizeof(T); ++i) {
        p[sizeof(T) - 1 - i] = static_cast<std::byte>(v & 0xff);
        v = static_cast<T>(v >> 8);
    }
}

}  // namespace eddy
