// The hostile-session fuzz targets' common part (tests/fuzz/hostile_client.cpp,
// tests/fuzz/hostile_controller.cpp). InputRng, their random bits: 64 bits per draw from the input,
// little-endian, while it lasts (the fuzzer steers the choices made first: how many requests, which
// API and version, how the header lies, the budget, the first fields); then a SplitMix64 stream
// seeded with a hash of the whole input, so that a short input still makes full-sized extreme
// requests, and the same input always the same ones.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <vector>

#include "core/base/assert.h"
#include "core/protocol/random_fill.h"
#include "tests/fuzz/hostile/hostile_session.h"

namespace eddy::hostile {

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

// One fuzz input: one to three requests drawn for `listener`, each filled with extreme values, in
// one session (run_session); a failure of the session is an ASSERT, the crash libFuzzer reports.
inline void fuzz_session(const uint8_t* data, size_t size, kafka::ListenerKind listener) {
    InputRng bits(data, size);
    const size_t count = 1 + static_cast<size_t>(protocol::random_below(bits, 3));
    std::vector<HostileCase> cases;
    for (size_t i = 0; i < count; ++i) {
        cases.push_back(random_case(bits, listener));
    }
    const auto report = run_session(1, [&](size_t i) -> std::optional<HostileFrame> {
        if (i >= cases.size()) {
            return std::nullopt;
        }
        return build_hostile_frame(cases[i], bits, static_cast<int32_t>(i + 1));
    });
    if (!report.failures.empty()) {
        std::fprintf(stderr, "hostile session: %s\n", report.summary().c_str());
    }
    ASSERT(report.failures.empty(),
           "the broker must answer or close, keep serving, and (controller listener) lead its "
           "quorum again");
}

}  // namespace eddy::hostile
