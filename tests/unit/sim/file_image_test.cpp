// FileImage: writes, resizes, reads and copies across chunk boundaries match a contiguous buffer.
#include "sim/file_image.h"

#include <doctest/doctest.h>
#include <rapidcheck.h>

#include <algorithm>

using namespace eddy;
using namespace eddy::sim;

namespace {

constexpr uint64_t chunk = FileImage::chunk_bytes;

// The contiguous model of one write.
void model_write(Bytes& model, uint64_t offset, ByteSpan data) {
    if (model.size() < offset + data.size()) {
        model.resize(offset + data.size());
    }
    std::copy(data.begin(), data.end(), model.begin() + static_cast<std::ptrdiff_t>(offset));
}

}  // namespace

TEST_CASE("property: a FileImage reads like a contiguous buffer across chunk boundaries") {
    const bool ok = rc::check("file image vs buffer", [] {
        FileImage image;
        Bytes model;
        const int ops = *rc::gen::inRange(1, 40);
        for (int i = 0; i < ops; ++i) {
            // Near chunk boundaries, where pieces split, as often as anywhere else.
            const uint64_t offset =
                *rc::gen::element<uint64_t>(0, 1, chunk - 1, chunk, 2 * chunk + 3) +
                *rc::gen::inRange<uint64_t>(0, 2 * chunk);
            switch (*rc::gen::inRange(0, 4)) {
                case 0:
                case 1: {
                    const auto length =
                        *rc::gen::inRange<size_t>(0, static_cast<size_t>(chunk + 7));
                    Bytes data(length);
                    for (size_t k = 0; k < length; ++k) {
                        data[k] = static_cast<std::byte>((k * 131 + static_cast<size_t>(i)) & 0xff);
                    }
                    image.write(offset, data);
                    model_write(model, offset, data);
                    break;
                }
                case 2:
                    image.resize(offset);
                    model.resize(offset);
                    break;
                default:
                    if (!model.empty()) {
                        const uint64_t at = offset % model.size();
                        image.at(at) ^= std::byte{0x10};
                        model[at] ^= std::byte{0x10};
                    }
                    break;
            }
            RC_ASSERT(image.size() == model.size());
            RC_ASSERT(image.empty() == model.empty());
        }
        RC_ASSERT(image.bytes() == model);
        const uint64_t from = *rc::gen::inRange<uint64_t>(0, model.size() + 1);
        const uint64_t length = *rc::gen::inRange<uint64_t>(0, model.size() - from + 1);
        const Bytes expected(model.begin() + static_cast<std::ptrdiff_t>(from),
                             model.begin() + static_cast<std::ptrdiff_t>(from + length));
        RC_ASSERT(image.copy(from, length) == expected);
        Bytes out(length);
        image.read(from, out);
        RC_ASSERT(out == expected);
        const FileImage copied = image;
        RC_ASSERT(copied.bytes() == model);
    });
    CHECK(ok);
}

TEST_CASE("FileImage: a hole reads as zeros, also after a truncate left old bytes behind") {
    FileImage image;
    image.write(0, Bytes(3 * chunk, std::byte{0xff}));
    image.resize(chunk / 2);
    image.write(2 * chunk, Bytes(1, std::byte{1}));
    const Bytes all = image.bytes();
    REQUIRE(all.size() == 2 * chunk + 1);
    CHECK(std::all_of(all.begin() + static_cast<std::ptrdiff_t>(chunk / 2), all.end() - 1,
                      [](std::byte b) { return b == std::byte{0}; }));
    CHECK(all.back() == std::byte{1});
    CHECK(all.front() == std::byte{0xff});
}
