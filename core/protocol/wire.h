// Kafka wire primitives: a bounds-checked Reader over untrusted bytes and a Writer that appends to
// a buffer. The generated message codecs (core/protocol/generated/) are written entirely in terms
// of these two classes, so every length check lives here, once.
//
// Contract (DESIGN.md §7): the Reader never trusts a length. Every string, bytes, array count and
// tagged-field size is checked against the bytes that remain BEFORE anything is allocated, and a
// failure is returned as a DecodeError; nothing here throws or ASSERTs on input. The Writer, by
// contrast, is fed by our own code, so a value it cannot represent (a classic string longer than
// 32767 bytes, an array over INT32_MAX elements) is a programmer error and ASSERTs.
//
// Encodings (Kafka protocol guide, KIP-482): integers big-endian; "classic" strings carry an int16
// length, bytes and arrays an int32 length, -1 meaning null; "compact" forms carry an unsigned
// varint of length+1, 0 meaning null. Tagged-field sections are a uvarint count, then per field a
// uvarint tag, a uvarint size and that many bytes.
#pragma once

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/bytes.h"
#include "core/base/result.h"

namespace eddy::protocol {

namespace limits {
// Kafka caps strings at 32767 bytes in both encodings (its clients reject longer ones).
constexpr size_t string_bytes_max = 32767;
// A name or value taken from a request and repeated inside a message we compose (an error message,
// a member id) is cut to this many bytes, so no composed string can outgrow string_bytes_max.
constexpr size_t echoed_bytes_max = 256;
// A composed message (error_message fields) is cut to this many bytes as well.
constexpr size_t message_bytes_max = 4096;
static_assert(message_bytes_max + echoed_bytes_max < string_bytes_max);
}  // namespace limits

// The one place a request-controlled string is bounded before it is built into a response string:
// `s` itself when it has at most `max` bytes, else its first bytes (never splitting a UTF-8
// sequence) followed by "...(N bytes)". The result has at most max + 24 bytes.
std::string echo(std::string_view s, size_t max = limits::echoed_bytes_max);

class Rng;  // random_fill.h: the source of randomness for the generated randomize() functions

// Why a decode failed. Small on purpose: the broker's reaction to all of them is the same (close
// the connection and log, DESIGN.md §7); the distinction is for logs and tests.
enum class DecodeError : uint8_t {
    truncated,            // a read needed more bytes than remain
    invalid_length,       // a length/count below -1, or larger than the remaining bytes can hold
    unexpected_null,      // a null string/bytes/array/struct where this version forbids null
    varint_too_long,      // an unsigned varint over 5 bytes (10 for varlong) or over 32 bits
    unsupported_version,  // decode() asked for a version outside the message's validVersions
    unknown_api_key,      // a request header names an API key this build does not know
};

const char* to_string(DecodeError e);

// A Kafka UUID (topic id, directory id): 16 raw bytes on the wire. All-zero is Kafka's ZERO_UUID,
// the "unset" value.
struct Uuid {
    std::array<uint8_t, 16> bytes_{};

    // The id whose first 8 bytes are `a` and last 8 are `b`, each least significant byte first
    // (how the controller and the broker lifecycle turn two draws from Env::random into an id).
    static Uuid from_words(uint64_t a, uint64_t b);

    bool is_zero() const;
    auto operator<=>(const Uuid&) const = default;
};

class Reader {
public:
    explicit Reader(ByteSpan data)
        : begin_(data.data()), p_(data.data()), end_(data.data() + data.size()) {}

    size_t remaining() const { return static_cast<size_t>(end_ - p_); }
    size_t consumed() const { return static_cast<size_t>(p_ - begin_); }

    Result<int8_t, DecodeError> read_int8();
    Result<int16_t, DecodeError> read_int16();
    Result<int32_t, DecodeError> read_int32();
    Result<int64_t, DecodeError> read_int64();
    Result<uint16_t, DecodeError> read_uint16();
    Result<uint32_t, DecodeError> read_uint32();
    Result<double, DecodeError> read_float64();
    // Any non-zero byte is true, as in Kafka.
    Result<bool, DecodeError> read_bool();
    Result<Uuid, DecodeError> read_uuid();

    // Unsigned LEB128, at most 5 bytes and 32 bits.
    Result<uint32_t, DecodeError> read_uvarint();
    // ZigZag-encoded signed varints (record-level fields): 32 bits in at most 5 bytes, 64 bits in
    // at most 10.
    Result<int32_t, DecodeError> read_varint();
    Result<int64_t, DecodeError> read_varlong();

    // Strings: `compact` picks the uvarint(len+1) form over the int16 form. The non-nullable
    // variant fails with unexpected_null on a null; the nullable one does too unless allow_null.
    // Like Kafka, strings longer than 32767 bytes are invalid_length in both forms.
    Result<std::string, DecodeError> read_string(bool compact);
    Result<std::optional<std::string>, DecodeError> read_nullable_string(bool compact,
                                                                         bool allow_null);
    // Bytes (and `records`): int32 or uvarint(len+1) length.
    Result<Bytes, DecodeError> read_bytes(bool compact);
    Result<std::optional<Bytes>, DecodeError> read_nullable_bytes(bool compact, bool allow_null);
    // read_nullable_bytes() without the copy: a span into the Reader's input.
    Result<std::optional<ByteSpan>, DecodeError> read_nullable_bytes_view(bool compact,
                                                                          bool allow_null);

    // An array header: the element count, or -1 for null (only if allow_null). The count is
    // rejected unless count * max(min_element_size, 1) bytes remain, so a caller may reserve
    // `count` elements without letting a forged count allocate more than the input justifies.
    Result<int32_t, DecodeError> read_array_length(bool compact, bool allow_null,
                                                   size_t min_element_size);

    // A nullable struct's presence byte: false for null (negative), true otherwise.
    Result<bool, DecodeError> read_struct_presence(bool allow_null);

    // The next n bytes, without copying.
    Result<ByteSpan, DecodeError> read_span(size_t n);
    // One tagged field's body: reads the uvarint size and returns a Reader over exactly that many
    // bytes, which are consumed from this Reader whatever the caller does with them.
    Result<Reader, DecodeError> read_tagged_field_body();
    // A whole tagged-field section whose tags the caller does not know: skipped.
    Result<void, DecodeError> skip_tagged_fields();

private:
    Result<size_t, DecodeError> read_length(bool compact, bool wide, bool allow_null,
                                            bool* is_null);

    const std::byte* begin_;
    const std::byte* p_;
    const std::byte* end_;
};

class Writer {
public:
    explicit Writer(Bytes& out) : out_(out) {}

    size_t size() const { return out_.size(); }

    void write_int8(int8_t v);
    void write_int16(int16_t v);
    void write_int32(int32_t v);
    void write_int64(int64_t v);
    void write_uint16(uint16_t v);
    void write_uint32(uint32_t v);
    void write_float64(double v);
    void write_bool(bool v);
    void write_uuid(const Uuid& v);
    void write_uvarint(uint32_t v);
    void write_varint(int32_t v);
    void write_varlong(int64_t v);

    void write_string(std::string_view s, bool compact);
    void write_nullable_string(const std::optional<std::string>& s, bool compact);
    void write_bytes(ByteSpan b, bool compact);
    void write_nullable_bytes(const std::optional<Bytes>& b, bool compact);
    // An array header for `count` elements (the caller writes the elements), or a null array.
    void write_array_length(size_t count, bool compact);
    void write_null_array(bool compact);
    void write_struct_presence(bool present);
    void write_raw(ByteSpan b);
    // One tagged field: uvarint tag, uvarint size, body.
    void write_tagged_field(uint32_t tag, ByteSpan body);

private:
    void write_uvarint64(uint64_t v);

    Bytes& out_;
};

// Views that turn an absent optional into an empty value, for encoding a nullable C++ field in a
// version where the wire forbids null (the generated code writes "empty" there, never null).
inline std::string_view view_or_empty(const std::optional<std::string>& s) {
    return s ? std::string_view(*s) : std::string_view();
}
inline ByteSpan view_or_empty(const std::optional<Bytes>& b) {
    return b ? ByteSpan(*b) : ByteSpan();
}

}  // namespace eddy::protocol
