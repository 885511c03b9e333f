// Kafka wire primitives (see wire.h for the contract). Every Reader method checks the bytes that
// remain before it touches or allocates anything; every failure is a DecodeError.
#include "core/protocol/wire.h"

#include <bit>
#include <cstring>
#include <limits>

namespace eddy::protocol {

namespace {
// Classic strings carry an int16 length; Kafka applies the same cap to compact strings.
constexpr size_t string_max = limits::string_bytes_max;
static_assert(string_max == static_cast<size_t>(std::numeric_limits<int16_t>::max()));
constexpr size_t array_count_max = static_cast<size_t>(std::numeric_limits<int32_t>::max());
}  // namespace

const char* to_string(DecodeError e) {
    switch (e) {
        case DecodeError::truncated:
            return "truncated";
        case DecodeError::invalid_length:
            return "invalid_length";
        case DecodeError::unexpected_null:
            return "unexpected_null";
        case DecodeError::varint_too_long:
            return "varint_too_long";
        case DecodeError::unsupported_version:
            return "unsupported_version";
        case DecodeError::unknown_api_key:
            return "unknown_api_key";
    }
    return "unknown DecodeError";
}

Uuid Uuid::from_words(uint64_t a, uint64_t b) {
    Uuid id;
    for (size_t i = 0; i < 8; ++i) {
        id.bytes_[i] = static_cast<uint8_t>(a >> (8 * i));
        id.bytes_[8 + i] = static_cast<uint8_t>(b >> (8 * i));
    }
    return id;
}

bool Uuid::is_zero() const {
    for (uint8_t b : bytes_) {
        if (b != 0) {
            return false;
        }
    }
    return true;
}

// ---- Reader -------------------------------------------------------------------------------

Result<int8_t, DecodeError> Reader::read_int8() {
    if (remaining() < 1) {
        return fail(DecodeError::truncated);
    }
    auto v = static_cast<int8_t>(static_cast<uint8_t>(*p_));
    p_ += 1;
    return v;
}

Result<int16_t, DecodeError> Reader::read_int16() {
    TRY_ASSIGN(uint16_t u, read_uint16());
    return static_cast<int16_t>(u);
}

Result<int32_t, DecodeError> Reader::read_int32() {
    TRY_ASSIGN(uint32_t u, read_uint32());
    return static_cast<int32_t>(u);
}

Result<int64_t, DecodeError> Reader::read_int64() {
    if (remaining() < 8) {
        return fail(DecodeError::truncated);
    }
    auto v = static_cast<int64_t>(load_be<uint64_t>(p_));
    p_ += 8;
    return v;
}

Result<uint16_t, DecodeError> Reader::read_uint16() {
    if (remaining() < 2) {
        return fail(DecodeError::truncated);
    }
    auto v = load_be<uint16_t>(p_);
    p_ += 2;
    return v;
}

Result<uint32_t, DecodeError> Reader::read_uint32() {
    if (remaining() < 4) {
        return fail(DecodeError::truncated);
    }
    auto v = load_be<uint32_t>(p_);
    p_ += 4;
    return v;
}

Result<double, DecodeError> Reader::read_float64() {
    if (remaining() < 8) {
        return fail(DecodeError::truncated);
    }
    auto v = std::bit_cast<double>(load_be<uint64_t>(p_));
    p_ += 8;
    return v;
}

Result<bool, DecodeError> Reader::read_bool() {
    TRY_ASSIGN(int8_t v, read_int8());
    return v != 0;
}

Result<Uuid, DecodeError> Reader::read_uuid() {
    if (remaining() < 16) {
        return fail(DecodeError::truncated);
    }
    Uuid u;
    for (size_t i = 0; i < 16; ++i) {
        u.bytes_[i] = static_cast<uint8_t>(p_[i]);
    }
    p_ += 16;
    return u;
}

Result<uint32_t, DecodeError> Reader::read_uvarint() {
    uint32_t v = 0;
    for (int shift = 0; shift < 35; shift += 7) {
        if (p_ == end_) {
            return fail(DecodeError::truncated);
        }
        auto b = static_cast<uint8_t>(*p_++);
        // The fifth byte may only carry the top 4 bits of a 32-bit value.
        if (shift == 28 && (b & 0xf0) != 0) {
            return fail(DecodeError::varint_too_long);
        }
        v |= static_cast<uint32_t>(b & 0x7f) << shift;
        if ((b & 0x80) == 0) {
            return v;
        }
    }
    return fail(DecodeError::varint_too_long);
}

Result<int32_t, DecodeError> Reader::read_varint() {
    TRY_ASSIGN(uint32_t u, read_uvarint());
    return static_cast<int32_t>((u >> 1) ^ (~(u & 1) + 1));
}

Result<int64_t, DecodeError> Reader::read_varlong() {
    uint64_t u = 0;
    for (int shift = 0;; shift += 7) {
        if (shift >= 70) {
            return fail(DecodeError::varint_too_long);
        }
        if (p_ == end_) {
            return fail(DecodeError::truncated);
        }
        auto b = static_cast<uint8_t>(*p_++);
        // The tenth byte may only carry the top bit of a 64-bit value.
        if (shift == 63 && (b & 0xfe) != 0) {
            return fail(DecodeError::varint_too_long);
        }
        u |= static_cast<uint64_t>(b & 0x7f) << shift;
        if ((b & 0x80) == 0) {
            break;
        }
    }
    return static_cast<int64_t>((u >> 1) ^ (~(u & 1) + 1));
}

// Reads a length prefix: compact (uvarint len+1), or classic int16 (strings) / int32 (wide: bytes).
// Sets *is_null for a null and returns 0; otherwise checks the length against what remains.
Result<size_t, DecodeError> Reader::read_length(bool compact, bool wide, bool allow_null,
                                                bool* is_null) {
    *is_null = false;
    int64_t len = 0;
    if (compact) {
        TRY_ASSIGN(uint32_t u, read_uvarint());
        len = static_cast<int64_t>(u) - 1;
    } else if (wide) {
        TRY_ASSIGN(int32_t v, read_int32());
        len = v;
    } else {
        TRY_ASSIGN(int16_t v, read_int16());
        len = v;
    }
    if (len == -1) {
        if (!allow_null) {
            return fail(DecodeError::unexpected_null);
        }
        *is_null = true;
        return size_t{0};
    }
    if (len < 0) {
        return fail(DecodeError::invalid_length);
    }
    if (static_cast<uint64_t>(len) > remaining()) {
        return fail(DecodeError::truncated);
    }
    return static_cast<size_t>(len);
}

Result<std::string, DecodeError> Reader::read_string(bool compact) {
    bool is_null = false;
    TRY_ASSIGN(size_t n, read_length(compact, false, false, &is_null));
    if (n > string_max) {
        return fail(DecodeError::invalid_length);
    }
    std::string s(reinterpret_cast<const char*>(p_), n);
    p_ += n;
    return s;
}

Result<std::optional<std::string>, DecodeError> Reader::read_nullable_string(bool compact,
                                                                             bool allow_null) {
    bool is_null = false;
    TRY_ASSIGN(size_t n, read_length(compact, false, allow_null, &is_null));
    if (is_null) {
        return std::optional<std::string>();
    }
    if (n > string_max) {
        return fail(DecodeError::invalid_length);
    }
    std::optional<std::string> s(std::in_place, reinterpret_cast<const char*>(p_), n);
    p_ += n;
    return s;
}

Result<Bytes, DecodeError> Reader::read_bytes(bool compact) {
    bool is_null = false;
    TRY_ASSIGN(size_t n, read_length(compact, true, false, &is_null));
    Bytes b(p_, p_ + n);
    p_ += n;
    return b;
}

Result<std::optional<Bytes>, DecodeError> Reader::read_nullable_bytes(bool compact,
                                                                      bool allow_null) {
    bool is_null = false;
    TRY_ASSIGN(size_t n, read_length(compact, true, allow_null, &is_null));
    if (is_null) {
        return std::optional<Bytes>();
    }
    std::optional<Bytes> b(std::in_place, p_, p_ + n);
    p_ += n;
    return b;
}

Result<std::optional<ByteSpan>, DecodeError> Reader::read_nullable_bytes_view(bool compact,
                                                                              bool allow_null) {
    bool is_null = false;
    TRY_ASSIGN(size_t n, read_length(compact, true, allow_null, &is_null));
    if (is_null) {
        return std::optional<ByteSpan>();
    }
    std::optional<ByteSpan> b(std::in_place, p_, n);
    p_ += n;
    return b;
}

Result<int32_t, DecodeError> Reader::read_array_length(bool compact, bool allow_null,
                                                       size_t min_element_size) {
    int64_t count = 0;
    if (compact) {
        TRY_ASSIGN(uint32_t u, read_uvarint());
        count = static_cast<int64_t>(u) - 1;
    } else {
        TRY_ASSIGN(int32_t v, read_int32());
        count = v;
    }
    if (count == -1) {
        if (!allow_null) {
            return fail(DecodeError::unexpected_null);
        }
        return int32_t{-1};
    }
    if (count < 0 || static_cast<uint64_t>(count) > array_count_max) {
        return fail(DecodeError::invalid_length);
    }
    const uint64_t need =
        static_cast<uint64_t>(count) * (min_element_size == 0 ? 1 : min_element_size);
    if (need > remaining()) {
        return fail(DecodeError::invalid_length);
    }
    return static_cast<int32_t>(count);
}

Result<bool, DecodeError> Reader::read_struct_presence(bool allow_null) {
    TRY_ASSIGN(int8_t b, read_int8());
    if (b < 0) {
        if (!allow_null) {
            return fail(DecodeError::unexpected_null);
        }
        return false;
    }
    return true;
}

Result<ByteSpan, DecodeError> Reader::read_span(size_t n) {
    if (n > remaining()) {
        return fail(DecodeError::truncated);
    }
    ByteSpan s(p_, n);
    p_ += n;
    return s;
}

Result<Reader, DecodeError> Reader::read_tagged_field_body() {
    TRY_ASSIGN(uint32_t size, read_uvarint());
    TRY_ASSIGN(ByteSpan body, read_span(size));
    return Reader(body);
}

Result<void, DecodeError> Reader::skip_tagged_fields() {
    TRY_ASSIGN(uint32_t count, read_uvarint());
    // Each field takes at least two bytes (tag and size), so a forged count runs out of input
    // quickly; no allocation depends on it.
    for (uint32_t i = 0; i < count; ++i) {
        TRY_ASSIGN(uint32_t tag, read_uvarint());
        static_cast<void>(tag);
        TRY_ASSIGN(Reader body, read_tagged_field_body());
        static_cast<void>(body);
    }
    return {};
}

// ---- Writer -------------------------------------------------------------------------------

void Writer::write_int8(int8_t v) { out_.push_back(static_cast<std::byte>(v)); }

void Writer::write_int16(int16_t v) { write_uint16(static_cast<uint16_t>(v)); }

void Writer::write_int32(int32_t v) { write_uint32(static_cast<uint32_t>(v)); }

void Writer::write_int64(int64_t v) {
    const size_t n = out_.size();
    out_.resize(n + 8);
    store_be(out_.data() + n, static_cast<uint64_t>(v));
}

void Writer::write_uint16(uint16_t v) {
    const size_t n = out_.size();
    out_.resize(n + 2);
    store_be(out_.data() + n, v);
}

void Writer::write_uint32(uint32_t v) {
    const size_t n = out_.size();
    out_.resize(n + 4);
    store_be(out_.data() + n, v);
}

void Writer::write_float64(double v) {
    write_int64(static_cast<int64_t>(std::bit_cast<uint64_t>(v)));
}

void Writer::write_bool(bool v) { write_int8(v ? int8_t{1} : int8_t{0}); }

void Writer::write_uuid(const Uuid& v) {
    for (uint8_t b : v.bytes_) {
        out_.push_back(static_cast<std::byte>(b));
    }
}

void Writer::write_uvarint64(uint64_t v) {
    while (v >= 0x80) {
        out_.push_back(static_cast<std::byte>((v & 0x7f) | 0x80));
        v >>= 7;
    }
    out_.push_back(static_cast<std::byte>(v));
}

void Writer::write_uvarint(uint32_t v) { write_uvarint64(v); }

void Writer::write_varint(int32_t v) {
    const auto u = static_cast<uint32_t>(v);
    write_uvarint((u << 1) ^ static_cast<uint32_t>(v >> 31));
}

void Writer::write_varlong(int64_t v) {
    const auto u = static_cast<uint64_t>(v);
    write_uvarint64((u << 1) ^ static_cast<uint64_t>(v >> 63));
}

std::string echo(std::string_view s, size_t max) {
    if (s.size() <= max) {
        return std::string(s);
    }
    size_t cut = max;
    // Back off UTF-8 continuation bytes (10xxxxxx) so the cut never splits a character.
    while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) {
        --cut;
    }
    std::string out(s.substr(0, cut));
    out += "...(";
    out += std::to_string(s.size());
    out += " bytes)";
    return out;
}

void Writer::write_string(std::string_view s, bool compact) {
    // Kafka caps strings at 32767 bytes in both encodings; its clients reject longer ones.
    ASSERT(s.size() <= string_max, "Kafka string longer than 32767 bytes");
    if (compact) {
        write_uvarint(static_cast<uint32_t>(s.size() + 1));
    } else {
        write_int16(static_cast<int16_t>(s.size()));
    }
    write_raw(as_bytes(s));
}

void Writer::write_nullable_string(const std::optional<std::string>& s, bool compact) {
    if (!s) {
        if (compact) {
            write_uvarint(0);
        } else {
            write_int16(-1);
        }
        return;
    }
    write_string(*s, compact);
}

void Writer::write_bytes(ByteSpan b, bool compact) {
    ASSERT(b.size() <= array_count_max, "bytes field longer than INT32_MAX");
    if (compact) {
        write_uvarint(static_cast<uint32_t>(b.size() + 1));
    } else {
        write_int32(static_cast<int32_t>(b.size()));
    }
    write_raw(b);
}

void Writer::write_nullable_bytes(const std::optional<Bytes>& b, bool compact) {
    if (!b) {
        if (compact) {
            write_uvarint(0);
        } else {
            write_int32(-1);
        }
        return;
    }
    write_bytes(*b, compact);
}

void Writer::write_array_length(size_t count, bool compact) {
    ASSERT(count <= array_count_max, "array longer than INT32_MAX");
    if (compact) {
        write_uvarint(static_cast<uint32_t>(count + 1));
    } else {
        write_int32(static_cast<int32_t>(count));
    }
}

void Writer::write_null_array(bool compact) {
    if (compact) {
        write_uvarint(0);
    } else {
        write_int32(-1);
    }
}

void Writer::write_struct_presence(bool present) { write_int8(present ? int8_t{1} : int8_t{-1}); }

void Writer::write_raw(ByteSpan b) {
    if (b.empty()) {
        return;
    }
    // resize + memcpy rather than insert(): g++ 12 reports a false -Warray-bounds on the latter.
    const size_t n = out_.size();
    out_.resize(n + b.size());
    std::memcpy(out_.data() + n, b.data(), b.size());
}

void Writer::write_tagged_field(uint32_t tag, ByteSpan body) {
    ASSERT(body.size() <= std::numeric_limits<uint32_t>::max(), "tagged field too large");
    write_uvarint(tag);
    write_uvarint(static_cast<uint32_t>(body.size()));
    write_raw(body);
}

}  // namespace eddy::protocol
