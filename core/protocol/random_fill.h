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
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/base/bytes.h"
#include "core/protocol/wire.h"

namespace eddy::protocol {

class Rng {
public:
    virtual ~Rng() = default;
    // 64 uniformly random bits.
    virtual uint64_t next() = 0;
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
// An array length: 0..3.
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

}  // namespace eddy::protocol
