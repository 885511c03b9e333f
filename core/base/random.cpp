#include "core/base/random.h"

#include <cmath>

namespace eddy {
namespace {

uint64_t splitmix64(uint64_t& x) {
    uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

}  // namespace

uint64_t stable_hash(std::string_view s, uint64_t basis) {
    uint64_t h = basis;
    for (char c : s) {
        h ^= static_cast<unsigned char>(c);
        h *= 0x100000001b3ULL;
    }
    return h;
}

Random::Random(uint64_t seed) : seed_(seed) {
    uint64_t x = seed;
    for (auto& w : s_) {
        w = splitmix64(x);
    }
}

uint64_t Random::next() {
    const uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    if (tap_ != nullptr) {
        tap_->draw(result);
    }
    return result;
}

uint64_t Random::below(uint64_t n) {
    ASSERT(n > 0);
    // Lemire's nearly-divisionless method would be faster; rejection keeps it exactly uniform.
    const uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t v = next();
    while (v >= limit) {
        v = next();
    }
    return v % n;
}

int64_t Random::between(int64_t lo, int64_t hi) {
    ASSERT(lo <= hi);
    const auto span = static_cast<uint64_t>(hi - lo) + 1;
    if (span == 0) {  // the full 64-bit range
        return static_cast<int64_t>(next());
    }
    return lo + static_cast<int64_t>(below(span));
}

double Random::unit() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

bool Random::chance(double p) { return unit() < p; }

Duration Random::duration_between(Duration lo, Duration hi) {
    return Duration::nanos(between(lo.to_nanos(), hi.to_nanos()));
}

Duration Random::exponential(Duration mean) {
    const double u = 1.0 - unit();  // (0, 1]
    return Duration::nanos(static_cast<int64_t>(-std::log(u) * static_cast<double>(mean.to_nanos())));
}

Random Random::fork(std::string_view purpose) const {
    Random forked(stable_hash(purpose, seed_ ^ 0x6a09e667f3bcc909ULL));
    forked.tap_ = tap_;
    return forked;
}

}  // namespace eddy
