// Record-level varints (KIP-98 record format): a signed value is ZigZag-mapped to unsigned, then
// written as an unsigned LEB128 varint (7 bits a byte, low group first, high bit = more follows).
// `varint` carries an int32 (at most 5 bytes), `varlong` an int64 (at most 10 bytes).
//
// Decoding is strict: a varint that runs past the bytes given, that has more than 5 (10) bytes, or
// whose last byte sets bits beyond 32 (64) is an error, never a silently truncated value.
#pragma once

#include <cstdint>
#include <optional>

#include "core/base/bytes.h"
#include "core/base/result.h"

namespace eddy::record {

enum class VarintError : uint8_t {
    truncated,  // the bytes ended inside the varint
    overlong,   // more than 5 (varint) / 10 (varlong) bytes, or bits beyond the type's width
};

inline constexpr size_t varint_bytes_max = 5;
inline constexpr size_t varlong_bytes_max = 10;

constexpr uint32_t zigzag_encode(int32_t v) {
    return (static_cast<uint32_t>(v) << 1) ^ static_cast<uint32_t>(v >> 31);
}
constexpr uint64_t zigzag_encode(int64_t v) {
    return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
constexpr int32_t zigzag_decode(uint32_t u) {
    return static_cast<int32_t>((u >> 1) ^ (~(u & 1u) + 1u));
}
constexpr int64_t zigzag_decode(uint64_t u) {
    return static_cast<int64_t>((u >> 1) ^ (~(u & 1u) + 1u));
}
static_assert(zigzag_encode(int32_t{-1}) == 1u && zigzag_encode(int32_t{1}) == 2u);
static_assert(zigzag_decode(zigzag_encode(INT32_MIN)) == INT32_MIN);
static_assert(zigzag_decode(zigzag_encode(INT64_MIN)) == INT64_MIN);

// Bytes the encoding of `v` takes.
size_t varint_size(int32_t v);
size_t varlong_size(int64_t v);

// Append the encoding of `v` to `out`.
void put_varint(Bytes& out, int32_t v);
void put_varlong(Bytes& out, int64_t v);

// A forward-only reader over untrusted bytes. Every read checks the bytes that remain; a failed
// read leaves the position unchanged.
class ByteReader {
public:
    explicit ByteReader(ByteSpan data) : data_(data) {}

    size_t position() const { return pos_; }
    size_t remaining() const { return data_.size() - pos_; }
    bool at_end() const { return pos_ == data_.size(); }

    Result<int32_t, VarintError> varint();
    Result<int64_t, VarintError> varlong();
    // One raw byte; nullopt when none remain.
    std::optional<uint8_t> u8();
    // The next `n` bytes; nullopt (and nothing consumed) when fewer remain.
    std::optional<ByteSpan> take(size_t n);

private:
    Result<uint64_t, VarintError> unsigned_varint(size_t bytes_max, unsigned bits);

    ByteSpan data_;
    size_t pos_ = 0;
};

}  // namespace eddy::record
