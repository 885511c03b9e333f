// Random: a seeded, forkable pseudo-random stream (xoshiro256**, seeded through splitmix64).
// Every random choice in Eddy's logic comes from one of these, derived from the run's seed, so a
// simulation is reproducible from its seed alone. fork(purpose) derives an independent stream from
// this stream's seed and the purpose name, without consuming from this stream: adding a new
// purpose never shifts the draws of an existing one.
//
// In the simulator every stream is tapped into the run's StepHash: each value drawn is mixed into
// the running hash (a branch and a multiply per draw), so one draw more or less in a run changes
// its trace hash. A fork inherits the tap. Production streams have no tap.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "core/base/assert.h"
#include "core/base/step_hash.h"
#include "core/base/time.h"

namespace eddy {

class Random {
public:
    explicit Random(uint64_t seed);

    uint64_t next();
    // Uniform in [0, n). n > 0.
    uint64_t below(uint64_t n);
    // Uniform in [lo, hi]. lo <= hi.
    int64_t between(int64_t lo, int64_t hi);
    // True with probability p.
    bool chance(double p);
    // Uniform in [0, 1).
    double unit();
    Duration duration_between(Duration lo, Duration hi);
    // Exponentially distributed with the given mean.
    Duration exponential(Duration mean);

    Random fork(std::string_view purpose) const;
    uint64_t seed() const { return seed_; }

    // Mixes every value drawn from now on (and by forks made from now on) into `hash`; nullptr
    // removes the tap. The hash must outlive the stream and its forks.
    void set_tap(StepHash* hash) { tap_ = hash; }
    StepHash* tap() const { return tap_; }

private:
    uint64_t seed_;
    std::array<uint64_t, 4> s_{};
    StepHash* tap_ = nullptr;
};

// FNV-1a, used to derive stream seeds from names and for stable (not address- or
// libstdc++-version-dependent) hashing wherever determinism matters.
uint64_t stable_hash(std::string_view s, uint64_t basis = 0xcbf29ce484222325ULL);

}  // namespace eddy
