// ServerLimits: the limits one broker process applies across all its listeners (Kafka's
// broker-wide socket-server settings), shared by every FrameServer of the process.
//
//  * queued.max.request.bytes — request bytes held by the whole process (read, response not yet
//    written). A connection whose next frame would go over the limit is not read (its reader waits,
//    which pushes back on the client through TCP) until enough is released. One frame is always
//    admitted when nothing is held, so a frame larger than the limit cannot wedge the process.
//  * max.connections — connections open across all listeners. At the limit the acceptors stop
//    accepting (new connections wait in the kernel's backlog) until one closes.
//  * max.connections.per.ip (+ .overrides) — connections from one peer address. A connection over
//    it is closed as soon as it is accepted.
//  * max.connection.creation.rate — new connections per second across the listeners (KIP-612):
//    beyond it the acceptors wait before accepting the next one, so the kernel's backlog holds the
//    excess. The connection_creation_rate quota of a client address (an `ip` entity in the client
//    quotas; host_connection_rate asks for it) closes the connections from that address that
//    come faster than it, as soon as they are accepted. Both are token buckets holding one
//    second's worth.
//
// Invariants (asserted): the byte and connection counts never go below zero; every admitted
// connection is released exactly once. Nothing here suspends except the wait_* calls.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "core/base/result.h"
#include "core/base/token_bucket.h"
#include "core/env/env.h"
#include "core/fiber/sync.h"

namespace eddy::net {

struct ServerLimitsOptions {
    size_t queued_bytes_max = std::numeric_limits<size_t>::max();
    size_t connections_max = std::numeric_limits<size_t>::max();
    size_t connections_per_host_max = std::numeric_limits<size_t>::max();
    std::map<std::string, size_t> connections_per_host_overrides = {};  // host -> its own limit
    double connection_creation_rate = 0;  // per second; 0 = no limit
    // The connection_creation_rate quota of an address, or nullopt (no limit). Called on each
    // accepted connection; null: none.
    std::function<std::optional<double>(const std::string& host)> host_connection_rate = {};
};

enum class Admission : uint8_t { admitted, over_host_limit, over_host_rate };

// Parses max.connections.per.ip.overrides: "host:count,host:count" (empty: none). One-line error.
Result<std::map<std::string, size_t>, std::string> parse_connection_overrides(std::string_view v);

class ServerLimits {
public:
    ServerLimits(Scheduler& scheduler, ServerLimitsOptions options);
    ServerLimits(const ServerLimits&) = delete;
    ServerLimits& operator=(const ServerLimits&) = delete;

    // Suspends while max.connections connections are open. False when cancelled.
    bool wait_connection_slot();
    // Suspends while max.connection.creation.rate is used up (then counts the connection about to
    // be accepted). False when cancelled.
    bool wait_connection_rate();
    // Counts a just-accepted connection from `host`; anything but `admitted` (nothing counted)
    // when the host is at its connection limit or over its creation rate, and the connection must
    // be closed. Does not suspend.
    // `rated`: whether the creation-rate quotas apply to this listener at all.
    Admission admit_connection(const std::string& host, bool rated = true);
    // A connection admitted above has closed. Does not suspend.
    void release_connection(const std::string& host);

    // Suspends until `bytes` more request bytes fit (or nothing is held). False when cancelled.
    bool wait_request_bytes(size_t bytes);
    // Counts `bytes` of requests as held / released. Do not suspend.
    void hold_request_bytes(size_t bytes);
    void release_request_bytes(size_t bytes);

    size_t connections() const { return connections_; }
    size_t queued_bytes() const { return queued_bytes_; }
    size_t connections_from(const std::string& host) const;

private:
    Scheduler& scheduler_;
    ServerLimitsOptions options_;
    std::optional<TokenBucket> creation_rate_;
    std::map<std::string, TokenBucket> host_rates_;  // swept of full buckets once a minute
    Instant last_sweep_;
    size_t connections_ = 0;
    std::map<std::string, size_t> per_host_;
    size_t queued_bytes_ = 0;
    WaitQueue connection_room_;
    WaitQueue byte_room_;
};

}  // namespace eddy::net
