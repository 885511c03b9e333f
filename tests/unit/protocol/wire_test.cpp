// Wire primitives: known encodings of every primitive, varint edge cases, and the Reader's
// refusal of truncated input, forged lengths and nulls where null is not allowed.
#include "core/protocol/wire.h"

#include <doctest/doctest.h>
#include <rapidcheck.h>

#include <limits>
#include <string>

#include "tests/unit/protocol/protocol_test_util.h"

using namespace eddy;
using namespace eddy::protocol;
using eddy::protocol::test::hex;

namespace {

template <typename F>
Bytes written(F&& f) {
    Bytes b;
    Writer w(b);
    f(w);
    return b;
}

}  // namespace

TEST_CASE("wire: fixed-width integers are big-endian") {
    CHECK(written([](Writer& w) { w.write_int8(-2); }) == hex("fe"));
    CHECK(written([](Writer& w) { w.write_int16(0x1234); }) == hex("1234"));
    CHECK(written([](Writer& w) { w.write_int32(-1); }) == hex("ffffffff"));
    CHECK(written([](Writer& w) { w.write_int64(0x0102030405060708); }) == hex("0102030405060708"));
    CHECK(written([](Writer& w) { w.write_uint16(0xfffe); }) == hex("fffe"));
    CHECK(written([](Writer& w) { w.write_uint32(0x80000001u); }) == hex("80000001"));
    CHECK(written([](Writer& w) { w.write_float64(1.0); }) == hex("3ff0000000000000"));
    CHECK(written([](Writer& w) { w.write_bool(true); }) == hex("01"));

    Bytes b = hex("fe 1234 ffffffff 0102030405060708 fffe 80000001 3ff0000000000000 02");
    Reader r(b);
    CHECK(r.read_int8().value() == -2);
    CHECK(r.read_int16().value() == 0x1234);
    CHECK(r.read_int32().value() == -1);
    CHECK(r.read_int64().value() == 0x0102030405060708);
    CHECK(r.read_uint16().value() == 0xfffe);
    CHECK(r.read_uint32().value() == 0x80000001u);
    CHECK(r.read_float64().value() == 1.0);
    CHECK(r.read_bool().value() == true);  // any non-zero byte is true
    CHECK(r.remaining() == 0);
    CHECK(r.consumed() == b.size());
    CHECK(r.read_int8().error() == DecodeError::truncated);
}

TEST_CASE("wire: uuid is 16 raw bytes") {
    Uuid u;
    for (size_t i = 0; i < 16; ++i) u.bytes_[i] = static_cast<uint8_t>(i);
    Bytes b = written([&](Writer& w) { w.write_uuid(u); });
    CHECK(b == hex("000102030405060708090a0b0c0d0e0f"));
    Reader r(b);
    CHECK(r.read_uuid().value() == u);
    CHECK(Uuid{}.is_zero());
    CHECK_FALSE(u.is_zero());
    Reader short_input(ByteSpan(b).first(15));
    CHECK(short_input.read_uuid().error() == DecodeError::truncated);
}

TEST_CASE("wire: unsigned varints (KIP-482)") {
    CHECK(written([](Writer& w) { w.write_uvarint(0); }) == hex("00"));
    CHECK(written([](Writer& w) { w.write_uvarint(127); }) == hex("7f"));
    CHECK(written([](Writer& w) { w.write_uvarint(128); }) == hex("8001"));
    CHECK(written([](Writer& w) { w.write_uvarint(300); }) == hex("ac02"));
    CHECK(written([](Writer& w) { w.write_uvarint(0xffffffffu); }) == hex("ffffffff0f"));

    Bytes max = hex("ffffffff0f");
    Reader r(max);
    CHECK(r.read_uvarint().value() == 0xffffffffu);

    Bytes too_big = hex("ffffffff10");  // 33 bits
    Reader r2(too_big);
    CHECK(r2.read_uvarint().error() == DecodeError::varint_too_long);
    Bytes too_long = hex("8080808080 00");  // six bytes
    Reader r3(too_long);
    CHECK(r3.read_uvarint().error() == DecodeError::varint_too_long);
    Bytes unterminated = hex("8080");
    Reader r4(unterminated);
    CHECK(r4.read_uvarint().error() == DecodeError::truncated);
}

TEST_CASE("wire: zigzag varint and varlong") {
    CHECK(written([](Writer& w) { w.write_varint(0); }) == hex("00"));
    CHECK(written([](Writer& w) { w.write_varint(-1); }) == hex("01"));
    CHECK(written([](Writer& w) { w.write_varint(1); }) == hex("02"));
    CHECK(written([](Writer& w) { w.write_varint(-64); }) == hex("7f"));
    CHECK(written([](Writer& w) { w.write_varint(64); }) == hex("8001"));
    CHECK(written([](Writer& w) { w.write_varlong(std::numeric_limits<int64_t>::min()); }) ==
          hex("ffffffffffffffffff01"));
    Bytes too_long = hex("ffffffffffffffffff03");  // tenth byte carries more than bit 63
    Reader r(too_long);
    CHECK(r.read_varlong().error() == DecodeError::varint_too_long);

    const bool ok = rc::check("varint/varlong round trip", [](int32_t a, int64_t b) {
        Bytes buf = written([&](Writer& w) {
            w.write_varint(a);
            w.write_varlong(b);
            w.write_uvarint(static_cast<uint32_t>(a));
        });
        Reader rd(buf);
        RC_ASSERT(rd.read_varint().value() == a);
        RC_ASSERT(rd.read_varlong().value() == b);
        RC_ASSERT(rd.read_uvarint().value() == static_cast<uint32_t>(a));
        RC_ASSERT(rd.remaining() == 0u);
    });
    CHECK(ok);
}

TEST_CASE("wire: classic and compact strings") {
    CHECK(written([](Writer& w) { w.write_string("abc", false); }) == hex("0003 616263"));
    CHECK(written([](Writer& w) { w.write_string("abc", true); }) == hex("04 616263"));
    CHECK(written([](Writer& w) { w.write_nullable_string(std::nullopt, false); }) == hex("ffff"));
    CHECK(written([](Writer& w) { w.write_nullable_string(std::nullopt, true); }) == hex("00"));
    CHECK(written([](Writer& w) { w.write_string("", true); }) == hex("01"));

    Bytes null_classic = hex("ffff");
    Reader r1(null_classic);
    CHECK(r1.read_string(false).error() == DecodeError::unexpected_null);
    Reader r2(null_classic);
    CHECK(r2.read_nullable_string(false, false).error() == DecodeError::unexpected_null);
    Reader r3(null_classic);
    CHECK(r3.read_nullable_string(false, true).value() == std::nullopt);

    Bytes negative = hex("fffe");
    Reader r4(negative);
    CHECK(r4.read_string(false).error() == DecodeError::invalid_length);

    Bytes longer_than_input = hex("0005 6162");
    Reader r5(longer_than_input);
    CHECK(r5.read_string(false).error() == DecodeError::truncated);

    // A compact length near 2^32 must fail on the length check, not attempt an allocation.
    Bytes huge = hex("feffffff0f 61");
    Reader r6(huge);
    CHECK(r6.read_string(true).error() == DecodeError::truncated);

    // Kafka rejects strings over 32767 bytes in either form.
    Bytes big;
    Writer w(big);
    w.write_uvarint(40001);
    big.resize(big.size() + 40000, std::byte{'x'});
    Reader r7(big);
    CHECK(r7.read_string(true).error() == DecodeError::invalid_length);
}

TEST_CASE("wire: bytes use an int32 or compact length") {
    Bytes payload = hex("0102");
    CHECK(written([&](Writer& w) { w.write_bytes(payload, false); }) == hex("00000002 0102"));
    CHECK(written([&](Writer& w) { w.write_bytes(payload, true); }) == hex("03 0102"));
    CHECK(written([](Writer& w) { w.write_nullable_bytes(std::nullopt, false); }) ==
          hex("ffffffff"));

    Bytes b = hex("00000002 0102 03 0102 ffffffff 00");
    Reader r(b);
    CHECK(r.read_bytes(false).value() == payload);
    CHECK(r.read_bytes(true).value() == payload);
    CHECK(r.read_nullable_bytes(false, true).value() == std::nullopt);
    CHECK(r.read_nullable_bytes(true, false).error() == DecodeError::unexpected_null);

    Bytes forged = hex("7fffffff 00");
    Reader r2(forged);
    CHECK(r2.read_bytes(false).error() == DecodeError::truncated);
}

TEST_CASE("wire: array lengths are checked against the remaining bytes") {
    CHECK(written([](Writer& w) { w.write_array_length(2, false); }) == hex("00000002"));
    CHECK(written([](Writer& w) { w.write_array_length(2, true); }) == hex("03"));
    CHECK(written([](Writer& w) { w.write_null_array(false); }) == hex("ffffffff"));
    CHECK(written([](Writer& w) { w.write_null_array(true); }) == hex("00"));

    Bytes two_ints = hex("00000002 00000001 00000002");
    Reader r(two_ints);
    CHECK(r.read_array_length(false, false, 4).value() == 2);
    Reader r2(two_ints);
    CHECK(r2.read_array_length(false, false, 5).error() == DecodeError::invalid_length);

    Bytes forged = hex("7fffffff 00");  // two billion elements in one byte
    Reader r3(forged);
    CHECK(r3.read_array_length(false, false, 1).error() == DecodeError::invalid_length);
    Bytes negative = hex("fffffffe");
    Reader r4(negative);
    CHECK(r4.read_array_length(false, true, 1).error() == DecodeError::invalid_length);
    Bytes null_array = hex("ffffffff");
    Reader r5(null_array);
    CHECK(r5.read_array_length(false, true, 1).value() == -1);
    Reader r6(null_array);
    CHECK(r6.read_array_length(false, false, 1).error() == DecodeError::unexpected_null);
}

TEST_CASE("wire: tagged fields are length-delimited and skippable") {
    Bytes b = written([](Writer& w) {
        w.write_uvarint(2);
        w.write_tagged_field(0, hex("aabb"));
        w.write_tagged_field(300, hex("cc"));
        w.write_int8(7);
    });
    CHECK(b == hex("02 00 02 aabb ac02 01 cc 07"));
    Reader r(b);
    REQUIRE(r.skip_tagged_fields().ok());
    CHECK(r.read_int8().value() == 7);

    Reader r2(b);
    CHECK(r2.read_uvarint().value() == 2u);
    CHECK(r2.read_uvarint().value() == 0u);
    auto body = r2.read_tagged_field_body();
    REQUIRE(body.ok());
    CHECK(body->remaining() == 2);
    CHECK(body->read_int16().value() == static_cast<int16_t>(0xaabb));
    CHECK(body->read_int8().error() == DecodeError::truncated);  // bounded by the field's size

    Bytes lying = hex("01 00 05 aa");  // a field claiming 5 bytes with 1 left
    Reader r3(lying);
    CHECK(r3.skip_tagged_fields().error() == DecodeError::truncated);
}

TEST_CASE("wire: nullable struct presence byte") {
    CHECK(written([](Writer& w) { w.write_struct_presence(false); }) == hex("ff"));
    CHECK(written([](Writer& w) { w.write_struct_presence(true); }) == hex("01"));
    Bytes b = hex("ff 01 ff");
    Reader r(b);
    CHECK(r.read_struct_presence(true).value() == false);
    CHECK(r.read_struct_presence(true).value() == true);
    CHECK(r.read_struct_presence(false).error() == DecodeError::unexpected_null);
}

TEST_CASE("wire: every DecodeError has a name") {
    for (auto e : {DecodeError::truncated, DecodeError::invalid_length,
                   DecodeError::unexpected_null, DecodeError::varint_too_long,
                   DecodeError::unsupported_version, DecodeError::unknown_api_key}) {
        CHECK(std::string(to_string(e)) != "unknown DecodeError");
    }
}
