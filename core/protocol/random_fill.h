// Random values for the generated `randomize(X&, Rng&, version)` functions. They fill a message
// with arbitrary but valid content for one version, for the codec round-trip properties and to
// make fuzz seeds. Not used by the broker itself.
//
// randomize() contract: every field present in `version` is overwritten (nullable ones are null
// only where that version allows it; tagged ones keep their default half of the time); fields
// the version lacks are left untouched. Pass a default-constructed X to get a message that
// round-trips exactly.
//
// Rng is an interface (one virtual call per 64 random bits) so callers can plug in RapidCheck's
// generators, a seeded simulator stream or the fuzzer's bytes. Values lean towards edges (0, -1,
// min, max) because that is where codec bugs live; strings, bytes and arrays stay short so a
// deeply nested message stays small.
//
// Extreme mode (ExtremeRng, for hostile-client testing): the same generated functions then make
// messages a broker must survive: strings empty, at the 32767-byte limit or drawn from a small
// pool of names (so names repeat), bytes up to megabytes, arrays empty or thousands long with
// repeated elements, integers mostly at their edges. A budget of encoded bytes bounds the whole
// message: once spent, arrays come out empty and strings short, so the message stays within
// about budget + a few bytes per remaining field. A plain Rng draws exactly as before, so the
// seeds of existing tests and corpora do not move.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/base/assert.h"
#include "core/base/bytes.h"
#include "core/protocol/wire.h"

namespace eddy::protocol {

class ExtremeRng;

class Rng {
public:
    virtual ~Rng() = default;
    // 64 uniformly random bits.
    virtual uint64_t next() = 0;
    // Non-null when values should be extreme (see ExtremeRng).
    virtual ExtremeRng* extreme() { return nullptr; }
};

// Extreme values within a budget of encoded bytes; the random bits come from another Rng.
class ExtremeRng final : public Rng {
public:
    // `names`: strings are drawn from it a quarter of the time (existing topics, groups, internal
    // topic names), so requests name real things, and name them repeatedly.
    ExtremeRng(Rng& bits, size_t budget_bytes, std::vector<std::string> names)
        : bits_(bits), budget_left_(budget_bytes), names_(std::move(names)) {}
    uint64_t next() override { return bits_.next(); }
    ExtremeRng* extreme() override { return this; }

    size_t budget_left() const { return budget_left_; }
    // Charges `bytes` of the message's budget (the budget stops at zero).
    void spend(size_t bytes) { budget_left_ -= std::min(bytes, budget_left_); }
    const std::vector<std::string>& names() const { return names_; }

private:
    Rng& bits_;
    size_t budget_left_;
    std::vector<std::string> names_;
};

// SplitMix64: a tiny deterministic Rng for tests and seed generation.
class SplitMix64 final : public Rng {
public:
    explicit SplitMix64(uint64_t seed) : state_(seed) {}
    uint64_t next() override;

private:
    uint64_t state_;
};

// Uniform in [0, n); n > 0.
uint64_t random_below(Rng& rng, uint64_t n);
bool random_bool(Rng& rng);
// true with probability 1/4: used to pick null for nullable fields.
bool random_null(Rng& rng);
// true with probability 1/2: a tagged field keeps its default (and so is not sent).
bool random_keep_default(Rng& rng);
// An array length: 0..3 (extreme: 0, 1, a few, or thousands; see random_array).
size_t random_count(Rng& rng);

int8_t random_int8(Rng& rng);
int16_t random_int16(Rng& rng);
int32_t random_int32(Rng& rng);
int64_t random_int64(Rng& rng);
uint16_t random_uint16(Rng& rng);
uint32_t random_uint32(Rng& rng);
// Finite values only (NaN != NaN would break equality checks).
double random_float64(Rng& rng);
Uuid random_uuid(Rng& rng);
std::string random_string(Rng& rng);
Bytes random_bytes(Rng& rng);

// Fills `v` with random_count(rng) elements, each made by `fill(element)`. With an ExtremeRng
// the array may instead repeat its elements (all copies of the first, or a mix of copies and new
// ones: a request naming the same partition thousands of times) and ends early when the budget
// is spent; each copy is charged what its original cost. A plain Rng draws exactly what
// `for (n = random_count(rng); n > 0; --n) fill(v.emplace_back());` draws.
template <typename T, typename Fill>
void random_array(std::vector<T>& v, Rng& rng, Fill&& fill) {
    v.clear();
    size_t n = random_count(rng);
    ExtremeRng* x = rng.extreme();
    if (x == nullptr) {
        for (; n > 0; --n) {
            fill(v.emplace_back());
        }
        return;
    }
    x->spend(4);  // the count
    // 0: all distinct, 1: all copies of the first, 2: each element a copy half of the time.
    const uint64_t repeat = random_below(rng, 3);
    std::vector<size_t> cost;  // what each element charged
    for (size_t i = 0; i < n && x->budget_left() > 0; ++i) {
        if (i > 0 && (repeat == 1 || (repeat == 2 && random_bool(rng)))) {
            const size_t from = repeat == 1 ? 0 : static_cast<size_t>(random_below(rng, i));
            if (cost[from] > x->budget_left()) {
                break;
            }
            T copy = v[from];
            v.push_back(std::move(copy));
            cost.push_back(cost[from]);
            x->spend(cost[from]);
            continue;
        }
        const size_t before = x->budget_left();
        fill(v.emplace_back());
        // Plus a byte: a flexible struct's tagged-field count, and every element costs something,
        // so the loop ends with the budget.
        x->spend(1);
        cost.push_back(before - x->budget_left());
    }
    ASSERT(cost.size() == v.size());
}

}  // namespace eddy::protocol
