#include "services/net/server_limits.h"

#include <charconv>

#include "core/base/assert.h"

namespace eddy::net {

Result<std::map<std::string, size_t>, std::string> parse_connection_overrides(std::string_view v) {
    std::map<std::string, size_t> out;
    size_t start = 0;
    while (start < v.size()) {
        size_t comma = v.find(',', start);
        if (comma == std::string_view::npos) {
            comma = v.size();
        }
        std::string_view item = v.substr(start, comma - start);
        start = comma + 1;
        while (!item.empty() && item.front() == ' ') {
            item.remove_prefix(1);
        }
        while (!item.empty() && item.back() == ' ') {
            item.remove_suffix(1);
        }
        if (item.empty()) {
            continue;
        }
        const size_t colon = item.rfind(':');
        if (colon == std::string_view::npos || colon == 0) {
            return fail("max.connections.per.ip.overrides: expected host:count, got '" +
                        std::string(item) + "'");
        }
        const std::string_view count = item.substr(colon + 1);
        uint64_t n = 0;
        const auto [p, ec] = std::from_chars(count.data(), count.data() + count.size(), n);
        if (ec != std::errc() || p != count.data() + count.size() ||
            n > static_cast<uint64_t>(INT32_MAX)) {
            return fail("max.connections.per.ip.overrides: bad count in '" + std::string(item) +
                        "'");
        }
        out[std::string(item.substr(0, colon))] = static_cast<size_t>(n);
    }
    return out;
}

ServerLimits::ServerLimits(Scheduler& scheduler, ServerLimitsOptions options)
    : scheduler_(scheduler),
      options_(std::move(options)),
      connection_room_(scheduler),
      byte_room_(scheduler) {
    const double rate = options_.connection_creation_rate;
    if (rate > 0 && rate < static_cast<double>(INT32_MAX)) {
        creation_rate_.emplace(rate, rate, rate, scheduler_.now());
    }
}

bool ServerLimits::wait_connection_rate() {
    if (!creation_rate_) {
        return true;
    }
    creation_rate_->refill(scheduler_.now());
    const Duration wait = creation_rate_->wait();
    if (wait > Duration::zero() && scheduler_.sleep_for(wait) != WakeReason::timeout) {
        return false;
    }
    (void)creation_rate_->take(1, scheduler_.now());
    return true;
}

bool ServerLimits::wait_connection_slot() {
    while (connections_ >= options_.connections_max) {
        if (connection_room_.wait() != WakeReason::notified) {
            return false;
        }
    }
    return true;
}

Admission ServerLimits::admit_connection(const std::string& host, bool rated) {
    const auto o = options_.connections_per_host_overrides.find(host);
    const size_t limit = o != options_.connections_per_host_overrides.end()
                             ? o->second
                             : options_.connections_per_host_max;
    if (connections_from(host) >= limit) {
        return Admission::over_host_limit;
    }
    if (rated && options_.host_connection_rate) {
        const Instant now = scheduler_.now();
        if (now - last_sweep_ >= Duration::minutes(1)) {
            last_sweep_ = now;
            for (auto it = host_rates_.begin(); it != host_rates_.end();) {
                it->second.refill(now);
                it = it->second.full() ? host_rates_.erase(it) : std::next(it);
            }
        }
        if (const auto rate = options_.host_connection_rate(host); rate && *rate > 0) {
            auto it = host_rates_.find(host);
            if (it == host_rates_.end()) {
                it = host_rates_.emplace(host, TokenBucket(*rate, *rate, 0, now)).first;
            } else if (it->second.rate() != *rate) {
                it->second.reshape(*rate, *rate, 0, now);
            }
            // No debt: a connection is admitted only while a whole token is there.
            it->second.refill(now);
            if (it->second.tokens() < 1) {
                return Admission::over_host_rate;
            }
            (void)it->second.take(1, now);
        }
    }
    size_t& n = per_host_[host];
    ++n;
    ++connections_;
    ASSERT(n <= limit, "a host never holds more connections than its limit");
    ASSERT(connections_ >= n, "the total counts every host's connections");
    return Admission::admitted;
}

void ServerLimits::release_connection(const std::string& host) {
    const auto it = per_host_.find(host);
    ASSERT(it != per_host_.end(), "a connection released twice");
    ASSERT(it->second > 0, "a connection released twice");
    ASSERT(connections_ > 0);
    --connections_;
    if (--it->second == 0) {
        per_host_.erase(it);
    }
    connection_room_.notify_one();
}

size_t ServerLimits::connections_from(const std::string& host) const {
    const auto it = per_host_.find(host);
    return it == per_host_.end() ? 0 : it->second;
}

bool ServerLimits::wait_request_bytes(size_t bytes) {
    while (queued_bytes_ > 0 && (queued_bytes_ >= options_.queued_bytes_max ||
                                 bytes > options_.queued_bytes_max - queued_bytes_)) {
        if (byte_room_.wait() != WakeReason::notified) {
            return false;
        }
    }
    return true;
}

void ServerLimits::hold_request_bytes(size_t bytes) {
    ASSERT(queued_bytes_ <= std::numeric_limits<size_t>::max() - bytes);
    // wait_request_bytes let it in: within the budget, or alone (one request larger than the
    // budget is admitted when nothing else is queued).
    ASSERT(queued_bytes_ == 0 || queued_bytes_ + bytes <= options_.queued_bytes_max,
           "held request bytes stay within queued.max.request.bytes");
    queued_bytes_ += bytes;
}


void ServerLimits::release_request_bytes(size_t bytes) {
    ASSERT(queued_bytes_ >= bytes, "request bytes released twice");
    queued_bytes_ -= bytes;
    if (bytes > 0) {
        byte_room_.notify_all();
    }
}

}  // namespace eddy::net
