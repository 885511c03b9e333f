#include "core/env/env.h"

#include <cinttypes>
#include <cstdio>

namespace eddy {

const char* to_string(DiskError e) {
    switch (e) {
        case DiskError::not_found:
            return "not found";
        case DiskError::already_exists:
            return "already exists";
        case DiskError::no_space:
            return "no space left on device";
        case DiskError::io_error:
            return "I/O error";
        case DiskError::invalid_argument:
            return "invalid argument";
    }
    return "unknown disk error";
}

const char* to_string(NetError e) {
    switch (e) {
        case NetError::connection_refused:
            return "connection refused";
        case NetError::connection_reset:
            return "connection reset";
        case NetError::timed_out:
            return "timed out";
        case NetError::address_in_use:
            return "address in use";
        case NetError::unreachable:
            return "unreachable";
        case NetError::closed:
            return "closed";
        case NetError::cancelled:
            return "cancelled";
        case NetError::io_error:
            return "I/O error";
    }
    return "unknown network error";
}

Result<void, NetError> read_exact(Connection& c, MutableByteSpan buf) {
    size_t done = 0;
    while (done < buf.size()) {
        TRY_ASSIGN(size_t n, c.read_some(buf.subspan(done)));
        if (n == 0) {
            return fail(NetError::connection_reset);
        }
        done += n;
    }
    return {};
}

bool FaultPoints::fire_slow(std::string_view site) {
    auto it = sites_.find(site);
    if (it == sites_.end()) {
        const bool active = random_.chance(activate_p_);
        it = sites_.emplace(std::string(site), active).first;
        tracer_->event("buggify.site", {{"site", site}, {"active", active}});
    }
    if (!it->second) {
        return false;
    }
    const bool fired = random_.chance(fire_p_);
    if (fired) {
        tracer_->event("buggify.fire", {{"site", site}});
    }
    return fired;
}

}  // namespace eddy
