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
//
// Invariants (asserted): the byte and connection counts never go below zero; every admitted
// connection is released exactly once. Nothing here suspends except the wait_* calls.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <string>

#include "core/base/result.h"
#include "core/env/env.h"
#include "core/fiber/sync.h"

namespace eddy::net {

struct ServerLimitsOptions {
    size_t queued_bytes_max = std::numeric_limits<size_t>::max();
    size_t connections_max = std::numeric_limits<size_t>::max();
    size_t connections_per_host_max = std::numeric_limits<size_t>::max();
    std::map<std::string, size_t> connections_per_host_overrides = {};  // host -> its own limit
};

// Parses max.connections.per.ip.overrides: "host:count,host:count" (empty: none). One-line error.
Result<std::map<std::string, size_t>, std::string> parse_connection_overrides(std::string_view v);

class ServerLimits {
public:
    ServerLimits(Scheduler& scheduler, ServerLimitsOptions options);
    ServerLimits(const ServerLimits&) = delete;
    ServerLimits& operator=(const ServerLimits&) = delete;

    // Suspends while max.connections connections are open. False when cancelled.
    bool wait_connection_slot();
    // Counts a just-accepted connection from `host`; false (nothing counted) when the host is at
    // its limit and the connection must be closed. Does not suspend.
    bool admit_connection(const std::string& host);
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
    ServerLimitsOptions options_;
    size_t connections_ = 0;
    std::map<std::string, size_t> per_host_;
    size_t queued_bytes_ = 0;
    WaitQueue connection_room_;
    WaitQueue byte_room_;
};

}  // namespace eddy::net
