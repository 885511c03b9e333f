// Codecs: round trips, xerial framing, the output cap, and corrupt or truncated input.
#include "core/record/compression.h"

#include <doctest/doctest.h>
#include <lz4frame.h>
#include <rapidcheck.h>
#include <zlib.h>
#define ZSTD_STATIC_LINKING_ONLY  // ZSTD_getFrameHeader
#include <zstd.h>

#include <cstring>

#include "tests/unit/record/record_test_util.h"

using namespace eddy;
using namespace eddy::record;
using eddy::record::test::from_hex;

namespace {

Bytes concat(ByteSpan a, ByteSpan b) {
    Bytes out(a.begin(), a.end());
    out.insert(out.end(), b.begin(), b.end());
    return out;
}

// zstd frame written by the streaming API without a pledged size, as Java's ZstdOutputStream
// does: no content size in the frame header.
Bytes zstd_stream_no_size(ByteSpan in, int window_log = 0) {
    ZSTD_CCtx* c = ZSTD_createCCtx();
    ZSTD_CCtx_setParameter(c, ZSTD_c_contentSizeFlag, 0);
    if (window_log != 0) {
        ZSTD_CCtx_setParameter(c, ZSTD_c_windowLog, window_log);
    }
    Bytes out(ZSTD_compressBound(in.size()) + 64);
    ZSTD_inBuffer ib{in.data(), in.size(), 0};
    ZSTD_outBuffer ob{out.data(), out.size(), 0};
    // Feed everything with e_continue first so the encoder never learns the total size.
    REQUIRE_FALSE(ZSTD_isError(ZSTD_compressStream2(c, &ob, &ib, ZSTD_e_continue)));
    size_t rc = 0;
    do {
        rc = ZSTD_compressStream2(c, &ob, &ib, ZSTD_e_end);
        REQUIRE_FALSE(ZSTD_isError(rc));
    } while (rc != 0);
    ZSTD_freeCCtx(c);
    out.resize(ob.pos);
    REQUIRE(ZSTD_getFrameContentSize(out.data(), out.size()) == ZSTD_CONTENTSIZE_UNKNOWN);
    return out;
}

Bytes zeros(size_t n) { return Bytes(n, std::byte{0}); }

}  // namespace

TEST_CASE("compression: every codec round-trips random, empty and compressible data") {
    for (Codec codec : test::all_codecs) {
        CAPTURE(to_string(codec));
        CHECK(rc::check(std::string("round trip ") + std::string(to_string(codec)), [codec] {
            Bytes data = *test::gen_payload();
            auto c = compress(codec, data);
            RC_ASSERT(c.ok());
            auto d = decompress(codec, *c, data.size());
            RC_ASSERT(d.ok());
            RC_ASSERT(*d == data);
        }));
    }
    CHECK(rc::check("round trip snappy xerial", [] {
        Bytes data = *test::gen_payload();
        auto c = compress(Codec::snappy, data, {.snappy_framing = SnappyFraming::xerial});
        RC_ASSERT(c.ok());
        auto d = decompress(Codec::snappy, *c, data.size());
        RC_ASSERT(d.ok());
        RC_ASSERT(*d == data);
    }));
}

TEST_CASE("compression: snappy xerial framing vectors") {
    // Raw snappy of "hello": uncompressed length 5, one literal of 5 bytes.
    Bytes hello = from_hex("051068656c6c6f");
    Bytes world = from_hex("0510776f726c64");
    auto raw = decompress(Codec::snappy, hello);
    REQUIRE(raw.ok());
    CHECK(as_chars(*raw) == "hello");

    // Header: magic, version 1, compatible version 1; then [int32 length, block]...
    Bytes framed = from_hex(
        "82534e4150505900"
        "00000001"
        "00000001"
        "00000007"
        "051068656c6c6f"
        "00000007"
        "0510776f726c64");
    auto two = decompress(Codec::snappy, framed);
    REQUIRE(two.ok());
    CHECK(as_chars(*two) == "helloworld");

    // Version numbers are not insisted on (librdkafka does not either).
    Bytes other_versions = framed;
    other_versions[11] = std::byte{2};
    CHECK(decompress(Codec::snappy, other_versions).ok());

    // Header alone: no chunks, no data.
    auto empty = decompress(Codec::snappy, ByteSpan(framed).first(16));
    REQUIRE(empty.ok());
    CHECK(empty->empty());

    // Our writer produces exactly this layout for a short input.
    auto ours =
        compress(Codec::snappy, to_bytes("hello"), {.snappy_framing = SnappyFraming::xerial});
    REQUIRE(ours.ok());
    CHECK(std::memcmp(ours->data(), framed.data(), 16) == 0);
    CHECK(load_be<uint32_t>(ours->data() + 16) == ours->size() - 20);

    // Large inputs are cut into 32 KiB chunks.
    auto big = compress(Codec::snappy, zeros(100000), {.snappy_framing = SnappyFraming::xerial});
    REQUIRE(big.ok());
    size_t chunks = 0;
    for (size_t at = 16; at < big->size(); ++chunks) {
        at += 4 + load_be<uint32_t>(big->data() + at);
    }
    CHECK(chunks == 4);

    SUBCASE("bad framing is corrupt") {
        for (size_t cut = 17; cut < framed.size(); ++cut) {
            if (cut == 27) {  // a chunk boundary: one whole chunk is a valid stream
                continue;
            }
            CAPTURE(cut);
            auto r = decompress(Codec::snappy, ByteSpan(framed).first(cut));
            REQUIRE_FALSE(r.ok());
            CHECK(r.error() == CompressionError::corrupt);
        }
        Bytes zero_len = from_hex(
            "82534e41505059000000000100000001"
            "00000000");
        CHECK(decompress(Codec::snappy, zero_len).error() == CompressionError::corrupt);
        Bytes long_len = from_hex(
            "82534e41505059000000000100000001"
            "7fffffff"
            "0510");
        CHECK(decompress(Codec::snappy, long_len).error() == CompressionError::corrupt);
    }
}

TEST_CASE("compression: the output cap is enforced for every codec") {
    Bytes data = zeros(1 << 20);
    for (Codec codec : test::all_codecs) {
        CAPTURE(to_string(codec));
        auto c = compress(codec, data);
        REQUIRE(c.ok());
        CHECK(c->size() < 60000);  // a small input that expands 20x or more: a bomb in miniature
        CHECK(decompress(codec, *c, 1000).error() == CompressionError::output_too_large);
        CHECK(decompress(codec, *c, data.size() - 1).error() == CompressionError::output_too_large);
        CHECK(decompress(codec, *c, 0).error() == CompressionError::output_too_large);
        auto exact = decompress(codec, *c, data.size());
        REQUIRE(exact.ok());
        CHECK(exact->size() == data.size());
    }
    auto x = compress(Codec::snappy, data, {.snappy_framing = SnappyFraming::xerial});
    REQUIRE(x.ok());
    CHECK(decompress(Codec::snappy, *x, 1000).error() == CompressionError::output_too_large);
    CHECK(decompress(Codec::snappy, *x, data.size()).ok());
}

TEST_CASE("compression: zstd frames without a content size respect the cap") {
    Bytes data = zeros(3 << 20);
    Bytes frame = zstd_stream_no_size(data);
    CHECK(decompress(Codec::zstd, frame, 1 << 20).error() == CompressionError::output_too_large);
    auto all = decompress(Codec::zstd, frame, data.size());
    REQUIRE(all.ok());
    CHECK(*all == data);

    // A frame declaring a 128 MiB window for 10 bytes decodes without needing that window.
    Bytes tiny = zstd_stream_no_size(to_bytes("0123456789"), /*window_log=*/27);
    ZSTD_frameHeader fh{};
    REQUIRE(ZSTD_getFrameHeader(&fh, tiny.data(), tiny.size()) == 0);
    CHECK(fh.windowSize == (uint64_t{1} << 27));
    auto small = decompress(Codec::zstd, tiny, 64);
    REQUIRE(small.ok());
    CHECK(as_chars(*small) == "0123456789");
}

TEST_CASE("compression: concatenated frames and members decode in order") {
    Bytes a = to_bytes("first part;"), b = to_bytes("second part");
    for (Codec codec : {Codec::gzip, Codec::lz4, Codec::zstd}) {
        CAPTURE(to_string(codec));
        auto ca = compress(codec, a), cb = compress(codec, b);
        REQUIRE(ca.ok());
        REQUIRE(cb.ok());
        auto d = decompress(codec, concat(*ca, *cb));
        REQUIRE(d.ok());
        CHECK(as_chars(*d) == "first part;second part");
        // Bytes after the last frame that are not a frame are corrupt.
        Bytes junk = concat(*ca, to_bytes("junk"));
        CHECK(decompress(codec, junk).error() == CompressionError::corrupt);
    }
}

TEST_CASE("compression: truncated input never decodes to the original") {
    Bytes data;
    for (int i = 0; i < 2000; ++i) {
        auto s = std::to_string(i * 7919);
        data.insert(data.end(), reinterpret_cast<const std::byte*>(s.data()),
                    reinterpret_cast<const std::byte*>(s.data()) + s.size());
    }
    for (Codec codec : test::all_codecs) {
        CAPTURE(to_string(codec));
        auto c = compress(codec, data);
        REQUIRE(c.ok());
        for (size_t cut = 0; cut < c->size(); ++cut) {
            CAPTURE(cut);
            auto d = decompress(codec, ByteSpan(*c).first(cut));
            CHECK_FALSE(d.ok());
        }
    }
}

TEST_CASE("compression: garbage is refused, never a crash") {
    CHECK(rc::check("arbitrary bytes", [](const std::vector<uint8_t>& raw) {
        Bytes in = test::to_bytes_vec(raw);
        for (Codec codec : test::all_codecs) {
            auto d = decompress(codec, in, 1 << 16);
            if (d.ok()) {
                RC_ASSERT(d->size() <= size_t{1} << 16);
            }
        }
    }));
    CHECK(decompress(Codec::gzip, Bytes{}).error() == CompressionError::corrupt);
    CHECK(decompress(Codec::snappy, Bytes{}).error() == CompressionError::corrupt);
    CHECK(decompress(Codec::lz4, Bytes{}).error() == CompressionError::corrupt);
    CHECK(decompress(Codec::zstd, Bytes{}).error() == CompressionError::corrupt);
    // A zlib (not gzip) stream is not Kafka's gzip.
    Bytes zlib_stream(compressBound(5));
    uLongf n = zlib_stream.size();
    REQUIRE(::compress(reinterpret_cast<Bytef*>(zlib_stream.data()), &n,
                       reinterpret_cast<const Bytef*>("hello"), 5) == Z_OK);
    zlib_stream.resize(n);
    CHECK(decompress(Codec::gzip, zlib_stream).error() == CompressionError::corrupt);
}

TEST_CASE("compression: lz4 frames with checksums are verified") {
    Bytes data = to_bytes("lz4 frame with block and content checksums, repeated repeated repeated");
    LZ4F_preferences_t prefs{};
    prefs.frameInfo.contentChecksumFlag = LZ4F_contentChecksumEnabled;
    prefs.frameInfo.blockChecksumFlag = LZ4F_blockChecksumEnabled;
    prefs.frameInfo.contentSize = data.size();
    Bytes frame(LZ4F_compressFrameBound(data.size(), &prefs));
    size_t n = LZ4F_compressFrame(frame.data(), frame.size(), data.data(), data.size(), &prefs);
    REQUIRE_FALSE(LZ4F_isError(n));
    frame.resize(n);
    auto d = decompress(Codec::lz4, frame);
    REQUIRE(d.ok());
    CHECK(*d == data);
    frame[frame.size() - 6] ^= std::byte{0x01};  // inside the last block / its checksum
    CHECK(decompress(Codec::lz4, frame).error() == CompressionError::corrupt);
}
