// Where SASL draws its unpredictable bytes: SCRAM server and client nonces, generated salts, the
// key behind fake salts for unknown users. An interface, because the two worlds want different
// sources: the simulator (and tests) a seeded eddy::Random stream so runs replay from their seed,
// production a cryptographic generator (the runtime wraps OpenSSL's RAND_bytes; services/ never
// reads the OS's entropy itself, DESIGN.md §2). An xoshiro stream is predictable from its outputs,
// so SaslRandomFromRandom is for simulation and tests only.
#pragma once

#include <algorithm>
#include <cstring>

#include "core/base/bytes.h"
#include "core/base/random.h"

namespace eddy::security {

class SaslRandom {
public:
    virtual ~SaslRandom() = default;
    // Fills `out` with fresh random bytes. Never fails, never suspends.
    virtual void fill(MutableByteSpan out) = 0;
};

class SaslRandomFromRandom final : public SaslRandom {
public:
    explicit SaslRandomFromRandom(Random& random) : random_(random) {}
    void fill(MutableByteSpan out) override {
        for (size_t i = 0; i < out.size(); i += 8) {
            const uint64_t word = random_.next();
            std::memcpy(out.data() + i, &word, std::min<size_t>(8, out.size() - i));
        }
    }

private:
    Random& random_;
};

}  // namespace eddy::security
