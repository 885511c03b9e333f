// FaultPoints: BUGGIFY-style code-level fault injection (after FoundationDB). A call site asks
// `BUGGIFY(env)`; in production it is always false. In simulation each site is switched on for
// the whole run with probability 1/4 the first time it is reached, and then fires with
// probability 1/4 each time; both draws come from the run's seed and are traced. Use it to take
// rare paths often: tiny buffers, early timeouts, short reads, extra yields.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "core/base/random.h"
#include "core/env/trace.h"

namespace eddy {

class FaultPoints {
public:
    // Production: never fires.
    FaultPoints() = default;
    // Simulation: fires as described above.
    FaultPoints(Random random, Tracer& tracer, double activate_p = 0.25, double fire_p = 0.25)
        : enabled_(true), random_(random), tracer_(&tracer), activate_p_(activate_p),
          fire_p_(fire_p) {}

    bool enabled() const { return enabled_; }
    bool fire(std::string_view site) {
        if (!enabled_) [[likely]] {
            return false;
        }
        return fire_slow(site);
    }

private:
    bool fire_slow(std::string_view site);

    bool enabled_ = false;
    Random random_{0};
    Tracer* tracer_ = nullptr;
    double activate_p_ = 0;
    double fire_p_ = 0;
    std::map<std::string, bool, std::less<>> sites_;
};

}  // namespace eddy

#define EDDY_STR_INNER(x) #x
#define EDDY_STR(x) EDDY_STR_INNER(x)
// True when this fault point fires. `env` is an Env (or anything with a `faults` member).
// The site is named "path:line" with the path relative to the source root (the build maps the
// root away with -fmacro-prefix-map), so the names, which the trace records, are the same in
// every checkout.
#define BUGGIFY(env) ((env).faults.fire(__FILE__ ":" EDDY_STR(__LINE__)))
