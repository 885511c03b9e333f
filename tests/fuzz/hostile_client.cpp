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

// 64 bits per draw from the input, little-endian; zeros once the input is used up (so a short
// input makes small requests: counts and lengths come out 0).
class InputRng final : public protocol::Rng {
public:
    InputRng(const uint8_t* data, size_t size) : data_(data), size_(size) {}
    uint64_t next() override {
        uint64_t v = 0;
        for (int i = 0; i < 8 && at_ < size_; ++i) {
            v |= uint64_t{data_[at_++]} << (8 * i);
        }
        return v;
    }

private:
    const uint8_t* data_;
    size_t size_;
    size_t at_ = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    InputRng bits(data, size);
    const size_t count = 1 + static_cast<size_t>(protocol::random_below(bits, 3));
    std::vector<hostile::HostileCase> cases;
    for (size_t i = 0; i < count; ++i) {
        cases.push_back(hostile::random_case(bits));
    }
    const auto report = hostile::run_session(1, [&](size_t i) -> std::optional<hostile::HostileFrame> {
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
