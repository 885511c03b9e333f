// Fuzz target: hostile clients against the broker's real request path (hostile_session.h). The
// input's bytes are the random bits: they pick one to three requests (API, version, how the
// header lies, a size budget) and every field of each, filled with extreme values by the
// generated randomize() functions. A broker in a SimWorld receives them over its FrameServer;
// each must be answered with a well-formed response or have its connection closed, an ordinary
// request must work after each, and a produce/fetch/commit round trip at the end. A broker
// ASSERT reached by client input is the crash libFuzzer reports.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <vector>

#include "core/base/assert.h"
#include "tests/fuzz/hostile/hostile_session.h"

using namespace eddy;

namespace {

// 64 bits per draw from the input, little-endian, while it lasts (the fuzzer steers the choices
// made first: how many requests, which API and version, how the header lies, the budget, the
// first fields); then a SplitMix64 stream seeded with a hash of the whole input, so that a short
// input still makes full-sized extreme requests, and the same input always the same ones.
class InputRng final : public protocol::Rng {
public:
    InputRng(const uint8_t* data, size_t size)
        : data_(data), size_(size), rest_(hash(data, size)) {}
    uint64_t next() override {
        if (at_ >= size_) {
            return rest_.next();
        }
        uint64_t v = 0;
        for (int i = 0; i < 8 && at_ < size_; ++i) {
            v |= uint64_t{data_[at_++]} << (8 * i);
        }
        return v;
    }

private:
    static uint64_t hash(const uint8_t* data, size_t size) {
        uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a
        for (size_t i = 0; i < size; ++i) {
            h = (h ^ data[i]) * 0x100000001b3ULL;
        }
        return h;
    }

    const uint8_t* data_;
    size_t size_;
    size_t at_ = 0;
    protocol::SplitMix64 rest_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    InputRng bits(data, size);
    const size_t count = 1 + static_cast<size_t>(protocol::random_below(bits, 3));
    std::vector<hostile::HostileCase> cases;
    for (size_t i = 0; i < count; ++i) {
        cases.push_back(hostile::random_case(bits));
    }
    const auto report =
        hostile::run_session(1, [&](size_t i) -> std::optional<hostile::HostileFrame> {
            if (i >= cases.size()) {
                return std::nullopt;
            }
            return hostile::build_hostile_frame(cases[i], bits, static_cast<int32_t>(i + 1));
        });
    if (!report.failures.empty()) {
        std::fprintf(stderr, "hostile session: %s\n", report.summary().c_str());
    }
    ASSERT(report.failures.empty(), "the broker must answer or close, and keep serving");
    return 0;
}
