// TokenBucket: a rate limit in units per second with a burst allowance, kept on whatever clock
// the caller passes (Env's, so it runs the same under the simulator). Quotas (services/kafka/
// quota_manager.h) and connection-creation limits (services/net/server_limits.h) use it.
//
// The bucket holds up to `burst` units and refills at `rate` per second. take() always succeeds
// and may leave the bucket in debt, down to `debt_max` units (a debt beyond that is forgotten, as
// Kafka's sampled rates forget old windows); wait() is how long until the debt is paid back.
// Invariants (asserted): rate > 0, debt_max >= 0, -debt_max <= tokens <= burst.
#pragma once

#include <algorithm>
#include <cmath>

#include "core/base/assert.h"
#include "core/base/time.h"

namespace eddy {

class TokenBucket {
public:
    TokenBucket(double rate, double burst, double debt_max, Instant now)
        : rate_(rate), burst_(burst), debt_max_(debt_max), tokens_(burst), last_(now) {
        check_shape();
    }

    // Changes the rate and burst (a quota altered); the tokens held are kept, capped.
    void reshape(double rate, double burst, double debt_max, Instant now) {
        refill(now);
        rate_ = rate;
        burst_ = burst;
        debt_max_ = debt_max;
        check_shape();
        tokens_ = std::clamp(tokens_, -debt_max_, burst_);
    }

    // Charges `units` (>= 0) at `now`; returns how long until the bucket is out of debt.
    Duration take(double units, Instant now) {
        ASSERT(units >= 0 && std::isfinite(units), "a token bucket charged a negative amount");
        refill(now);
        tokens_ = std::max(tokens_ - units, -debt_max_);
        return wait();
    }

    // How long until the bucket is out of debt (zero when it is not), as of the last refill.
    Duration wait() const {
        if (tokens_ >= 0) {
            return Duration::zero();
        }
        // Capped well below what Duration holds, whatever rate and debt a caller chose.
        const double ns = std::min(std::ceil(-tokens_ / rate_ * 1e9), 1e17);
        return Duration::nanos(static_cast<int64_t>(ns));
    }

    // Brings the bucket up to `now`; a clock that went backwards adds nothing.
    void refill(Instant now) {
        if (now > last_) {
            const double elapsed = static_cast<double>((now - last_).to_nanos()) / 1e9;
            tokens_ = std::min(burst_, tokens_ + elapsed * rate_);
            last_ = now;
        }
        ASSERT(tokens_ <= burst_ && tokens_ >= -debt_max_);
    }

    // Full and so indistinguishable from a new bucket (as of the last refill).
    bool full() const { return tokens_ >= burst_; }
    double tokens() const { return tokens_; }
    double rate() const { return rate_; }

private:
    void check_shape() const {
        ASSERT(rate_ > 0 && std::isfinite(rate_), "a token bucket needs a positive rate");
        ASSERT(burst_ >= 0 && debt_max_ >= 0 && std::isfinite(burst_) && std::isfinite(debt_max_));
    }

    double rate_;
    double burst_;
    double debt_max_;
    double tokens_;
    Instant last_;
};

}  // namespace eddy
