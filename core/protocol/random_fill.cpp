// Random primitive values for the generated randomize() functions (see random_fill.h).
#include "core/protocol/random_fill.h"

#include <limits>

namespace eddy::protocol {

uint64_t SplitMix64::next() {
    state_ += 0x9e3779b97f4a7c15ULL;
    uint64_t z = state_;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

uint64_t random_below(Rng& rng, uint64_t n) {
    ASSERT(n > 0);
    // Modulo bias is irrelevant for test data.
    return rng.next() % n;
}

bool random_bool(Rng& rng) { return (rng.next() & 1) != 0; }
bool random_null(Rng& rng) { return random_below(rng, 4) == 0; }
bool random_keep_default(Rng& rng) { return random_bool(rng); }
size_t random_count(Rng& rng) { return static_cast<size_t>(random_below(rng, 4)); }

namespace {
// Picks an edge value half of the time, an arbitrary one otherwise.
template <typename T>
T random_integer(Rng& rng) {
    using L = std::numeric_limits<T>;
    switch (random_below(rng, 8)) {
        case 0:
            return T{0};
        case 1:
            return static_cast<T>(-1);
        case 2:
            return L::min();
        case 3:
            return L::max();
        case 4:
            return static_cast<T>(random_below(rng, 128));
        default:
            return static_cast<T>(rng.next());
    }
}
}  // namespace

int8_t random_int8(Rng& rng) { return random_integer<int8_t>(rng); }
int16_t random_int16(Rng& rng) { return random_integer<int16_t>(rng); }
int32_t random_int32(Rng& rng) { return random_integer<int32_t>(rng); }
int64_t random_int64(Rng& rng) { return random_integer<int64_t>(rng); }
uint16_t random_uint16(Rng& rng) { return random_integer<uint16_t>(rng); }
uint32_t random_uint32(Rng& rng) { return random_integer<uint32_t>(rng); }

double random_float64(Rng& rng) {
    switch (random_below(rng, 4)) {
        case 0:
            return 0.0;
        case 1:
            return -1.5;
        case 2:
            return std::numeric_limits<double>::max();
        default:
            return static_cast<double>(static_cast<int64_t>(rng.next())) / 1024.0;
    }
}

Uuid random_uuid(Rng& rng) {
    Uuid u;
    if (random_below(rng, 4) == 0) {
        return u;  // the zero UUID, Kafka's "unset"
    }
    for (auto& b : u.bytes_) {
        b = static_cast<uint8_t>(rng.next());
    }
    return u;
}

std::string random_string(Rng& rng) {
    const auto n = static_cast<size_t>(random_below(rng, 9));
    std::string s;
    for (size_t i = 0; i < n; ++i) {
        s.push_back(static_cast<char>('a' + random_below(rng, 26)));
    }
    return s;
}

Bytes random_bytes(Rng& rng) {
    const auto n = static_cast<size_t>(random_below(rng, 9));
    Bytes b;
    for (size_t i = 0; i < n; ++i) {
        b.push_back(static_cast<std::byte>(rng.next()));
    }
    return b;
}

}  // namespace eddy::protocol
