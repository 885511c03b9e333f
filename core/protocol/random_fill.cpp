// Random primitive values for the generated randomize() functions (see random_fill.h).
#include "core/protocol/random_fill.h"

#include <algorithm>
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

bool random_bool(Rng& rng) {
    if (ExtremeRng* x = rng.extreme()) {
        x->spend(1);
    }
    return (rng.next() & 1) != 0;
}
bool random_null(Rng& rng) { return random_below(rng, 4) == 0; }
bool random_keep_default(Rng& rng) { return (rng.next() & 1) != 0; }

size_t random_count(Rng& rng) {
    ExtremeRng* x = rng.extreme();
    if (x == nullptr) {
        return static_cast<size_t>(random_below(rng, 4));
    }
    if (x->budget_left() == 0) {
        return 0;
    }
    switch (random_below(rng, 4)) {
        case 0:
            return 0;
        case 1:
            return 1;
        case 2:
            return static_cast<size_t>(2 + random_below(rng, 7));
        default:
            // Thousands (random_array stops when the budget is spent).
            return static_cast<size_t>(1000 + random_below(rng, 100'000));
    }
}

namespace {
// Picks an edge value half of the time (extreme: three quarters), an arbitrary one otherwise.
template <typename T>
T random_integer(Rng& rng) {
    using L = std::numeric_limits<T>;
    if (ExtremeRng* x = rng.extreme()) {
        x->spend(sizeof(T));
        switch (random_below(rng, 8)) {
            case 0:
                return L::min();
            case 1:
                return L::max();
            case 2:
                return static_cast<T>(L::max() - 1);
            case 3:
                return static_cast<T>(L::min() + 1);
            case 4:
                return static_cast<T>(-1);
            case 5:
                return T{0};
            default:
                break;  // an ordinary draw below
        }
    }
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
    if (ExtremeRng* x = rng.extreme()) {
        x->spend(8);
    }
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
    if (ExtremeRng* x = rng.extreme()) {
        x->spend(16);
    }
    Uuid u;
    if (random_below(rng, 4) == 0) {
        return u;  // the zero UUID, Kafka's "unset"
    }
    for (auto& b : u.bytes_) {
        b = static_cast<uint8_t>(rng.next());
    }
    return u;
}

namespace {

// An extreme length: 0, 1, the 32767-byte string limit, just under it, or anything up to `max`;
// never more than the budget left.
size_t extreme_length(ExtremeRng& x, size_t max) {
    size_t n = 0;
    switch (random_below(x, 6)) {
        case 0:
            n = 0;
            break;
        case 1:
            n = 1;
            break;
        case 2:
            n = 32767;
            break;
        case 3:
            n = 32760 + static_cast<size_t>(random_below(x, 7));
            break;
        default:
            n = static_cast<size_t>(random_below(x, max + 1));
            break;
    }
    n = std::min({n, max, x.budget_left()});
    x.spend(n + 2);
    return n;
}

// Extreme string content: letters, arbitrary bytes (NUL, invalid UTF-8) or path-like text.
std::string extreme_string(ExtremeRng& x) {
    if (random_below(x, 4) == 0 && !x.names().empty()) {
        const std::string& name = x.names()[random_below(x, x.names().size())];
        if (name.size() <= x.budget_left()) {
            x.spend(name.size() + 2);
            return name;
        }
    }
    const size_t n = extreme_length(x, 32767);
    std::string s;
    s.reserve(n);
    switch (random_below(x, 3)) {
        case 0:
            s.assign(n, static_cast<char>('a' + random_below(x, 26)));
            break;
        case 1:
            for (size_t i = 0; i < n; ++i) {
                s.push_back(static_cast<char>(x.next()));
            }
            break;
        default:
            for (size_t i = 0; i < n; ++i) {
                s.push_back("../."[i % 4]);
            }
            break;
    }
    return s;
}

}  // namespace

std::string random_string(Rng& rng) {
    if (ExtremeRng* x = rng.extreme()) {
        return extreme_string(*x);
    }
    const auto n = static_cast<size_t>(random_below(rng, 9));
    std::string s;
    for (size_t i = 0; i < n; ++i) {
        s.push_back(static_cast<char>('a' + random_below(rng, 26)));
    }
    return s;
}

Bytes random_bytes(Rng& rng) {
    if (ExtremeRng* x = rng.extreme()) {
        const size_t n = extreme_length(*x, 4 << 20);
        Bytes b(n);
        const auto fill = static_cast<std::byte>(x->next());
        for (size_t i = 0; i < n; ++i) {
            b[i] = (i % 64 == 0) ? static_cast<std::byte>(x->next()) : fill;
        }
        return b;
    }
    const auto n = static_cast<size_t>(random_below(rng, 9));
    Bytes b;
    for (size_t i = 0; i < n; ++i) {
        b.push_back(static_cast<std::byte>(rng.next()));
    }
    return b;
}

}  // namespace eddy::protocol
