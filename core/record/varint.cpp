// Record-level varint encoding and the bounds-checked reader. See varint.h.
#include "core/record/varint.h"

namespace eddy::record {
namespace {

size_t unsigned_size(uint64_t u) {
    size_t n = 1;
    while (u >= 0x80) {
        u >>= 7;
        ++n;
    }
    return n;
}

void put_unsigned(Bytes& out, uint64_t u) {
    while (u >= 0x80) {
        out.push_back(static_cast<std::byte>((u & 0x7f) | 0x80));
        u >>= 7;
    }
    out.push_back(static_cast<std::byte>(u));
}

}  // namespace

size_t varint_size(int32_t v) { return unsigned_size(zigzag_encode(v)); }
size_t varlong_size(int64_t v) { return unsigned_size(zigzag_encode(v)); }
void put_varint(Bytes& out, int32_t v) { put_unsigned(out, zigzag_encode(v)); }
void put_varlong(Bytes& out, int64_t v) { put_unsigned(out, zigzag_encode(v)); }

Result<uint64_t, VarintError> ByteReader::unsigned_varint(size_t bytes_max, unsigned bits) {
    uint64_t value = 0;
    for (size_t i = 0; i < bytes_max; ++i) {
        if (pos_ + i >= data_.size()) {
            return fail(VarintError::truncated);
        }
        auto b = static_cast<uint8_t>(data_[pos_ + i]);
        unsigned shift = static_cast<unsigned>(7 * i);
        // Bits of this group that would land at or above `bits` must be zero.
        if (shift + 7 > bits && (uint64_t{b & 0x7fu} >> (bits - shift)) != 0) {
            return fail(VarintError::overlong);
        }
        value |= uint64_t{b & 0x7fu} << shift;
        if ((b & 0x80u) == 0) {
            pos_ += i + 1;
            return value;
        }
    }
    return fail(VarintError::overlong);
}

Result<int32_t, VarintError> ByteReader::varint() {
    TRY_ASSIGN(uint64_t u, unsigned_varint(varint_bytes_max, 32));
    return zigzag_decode(static_cast<uint32_t>(u));
}

Result<int64_t, VarintError> ByteReader::varlong() {
    TRY_ASSIGN(uint64_t u, unsigned_varint(varlong_bytes_max, 64));
    return zigzag_decode(u);
}

std::optional<uint8_t> ByteReader::u8() {
    if (pos_ >= data_.size()) {
        return std::nullopt;
    }
    return static_cast<uint8_t>(data_[pos_++]);
}

std::optional<ByteSpan> ByteReader::take(size_t n) {
    if (n > remaining()) {
        return std::nullopt;
    }
    ByteSpan s = data_.subspan(pos_, n);
    pos_ += n;
    return s;
}

}  // namespace eddy::record
