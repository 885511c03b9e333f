// Record-level varints: fixed encodings, round trips, and strict rejection of bad input.
#include "core/record/varint.h"

#include <doctest/doctest.h>
#include <rapidcheck.h>

#include <cstdint>
#include <initializer_list>

using namespace eddy;
using namespace eddy::record;

namespace {

Bytes bytes_of(std::initializer_list<uint8_t> v) {
    Bytes b;
    for (uint8_t x : v) {
        b.push_back(std::byte{x});
    }
    return b;
}

Bytes enc32(int32_t v) {
    Bytes b;
    put_varint(b, v);
    return b;
}

Bytes enc64(int64_t v) {
    Bytes b;
    put_varlong(b, v);
    return b;
}

}  // namespace

TEST_CASE("varint: known encodings") {
    CHECK(enc32(0) == bytes_of({0x00}));
    CHECK(enc32(-1) == bytes_of({0x01}));
    CHECK(enc32(1) == bytes_of({0x02}));
    CHECK(enc32(63) == bytes_of({0x7e}));
    CHECK(enc32(-64) == bytes_of({0x7f}));
    CHECK(enc32(64) == bytes_of({0x80, 0x01}));
    CHECK(enc32(300) == bytes_of({0xd8, 0x04}));
    CHECK(enc32(INT32_MAX) == bytes_of({0xfe, 0xff, 0xff, 0xff, 0x0f}));
    CHECK(enc32(INT32_MIN) == bytes_of({0xff, 0xff, 0xff, 0xff, 0x0f}));
    CHECK(enc64(INT64_MIN) ==
          bytes_of({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}));
    CHECK(enc64(1700000000123) == bytes_of({0xf6, 0xa1, 0xab, 0xfe, 0xf9, 0x62}));
}

TEST_CASE("varint: round trips and sizes") {
    CHECK(rc::check("int32", [](int32_t v) {
        Bytes b = enc32(v);
        RC_ASSERT(b.size() == varint_size(v));
        ByteReader r(b);
        auto got = r.varint();
        RC_ASSERT(got.ok());
        RC_ASSERT(*got == v);
        RC_ASSERT(r.at_end());
    }));
    CHECK(rc::check("int64", [](int64_t v) {
        Bytes b = enc64(v);
        RC_ASSERT(b.size() == varlong_size(v));
        ByteReader r(b);
        auto got = r.varlong();
        RC_ASSERT(got.ok());
        RC_ASSERT(*got == v);
        RC_ASSERT(r.at_end());
    }));
}

TEST_CASE("varint: truncated and overlong input is refused without consuming") {
    auto check_err = [](Bytes b, bool as_long, VarintError want) {
        ByteReader r(b);
        if (as_long) {
            auto v = r.varlong();
            REQUIRE_FALSE(v.ok());
            CHECK(v.error() == want);
        } else {
            auto v = r.varint();
            REQUIRE_FALSE(v.ok());
            CHECK(v.error() == want);
        }
        CHECK(r.position() == 0);
    };
    check_err(Bytes{}, false, VarintError::truncated);
    check_err(bytes_of({0x80}), false, VarintError::truncated);
    check_err(bytes_of({0xff, 0xff, 0xff, 0xff}), false, VarintError::truncated);
    // Six bytes, or a fifth byte with bits above bit 31.
    check_err(bytes_of({0xff, 0xff, 0xff, 0xff, 0x80, 0x00}), false, VarintError::overlong);
    check_err(bytes_of({0xff, 0xff, 0xff, 0xff, 0x1f}), false, VarintError::overlong);
    check_err(bytes_of({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02}), true,
              VarintError::overlong);
    check_err(bytes_of({0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00}), true,
              VarintError::overlong);
    // A redundant zero group inside the width is accepted, as Java's reader does.
    Bytes redundant = bytes_of({0x80, 0x00});
    ByteReader r(redundant);
    auto v = r.varint();
    REQUIRE(v.ok());
    CHECK(*v == 0);
}

TEST_CASE("varint: any byte string decodes or fails without reading past its end") {
    CHECK(rc::check([](const std::vector<uint8_t>& data) {
        Bytes b;
        for (uint8_t x : data) {
            b.push_back(std::byte{x});
        }
        ByteReader r(b);
        while (!r.at_end()) {
            size_t before = r.position();
            auto v = r.varlong();
            if (!v.ok()) {
                RC_ASSERT(r.position() == before);
                break;
            }
            RC_ASSERT(r.position() > before);
            RC_ASSERT(r.position() - before >= varlong_size(*v));
        }
    }));
}
