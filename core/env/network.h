// Network: the only way Eddy's logic talks to other processes. Connections are TCP-like byte
// streams: bytes of one connection arrive in order and intact, or the connection breaks; reads
// may return fewer bytes than asked for at any split point; a connection may be reset at any
// time. Every method that waits for the peer suspends the calling fiber.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "core/base/bytes.h"
#include "core/base/result.h"
#include "core/base/time.h"
#include "core/env/disk.h"

namespace eddy {

enum class NetError : uint8_t {
    connection_refused,
    connection_reset,
    timed_out,
    address_in_use,
    unreachable,
    closed,     // this side closed the connection or listener
    cancelled,  // the fiber was cancelled while waiting
    io_error,
};

const char* to_string(NetError e);

struct Address {
    std::string host;
    uint16_t port = 0;
    auto operator<=>(const Address&) const = default;
    std::string to_string() const { return host + ":" + std::to_string(port); }
};

class Connection {
public:
    virtual ~Connection() = default;
    // Suspends until at least one byte, end of stream (returns 0) or an error.
    virtual Result<size_t, NetError> read_some(MutableByteSpan buf) = 0;
    // Suspends until all bytes are handed to the transport (not until the peer has read them).
    virtual Result<void, NetError> write_all(ByteSpan data) = 0;
    // Sends `length` bytes of `file` from `offset` (sendfile on POSIX, a copy in simulation).
    virtual Result<void, NetError> send_file(File& file, uint64_t offset, uint64_t length) = 0;
    // Closes both directions. Pending and later reads and writes of this side fail with closed;
    // the peer sees end of stream. Does not suspend.
    virtual void close() = 0;
    virtual const Address& peer() const = 0;
    // The verified TLS peer identity (certificate subject), if any.
    virtual std::optional<std::string> peer_identity() const { return std::nullopt; }
};

class Listener {
public:
    virtual ~Listener() = default;
    // Suspends until a peer connects.
    virtual Result<std::unique_ptr<Connection>, NetError> accept() = 0;
    // The bound address (with the real port when port 0 was asked for).
    virtual Address local_address() const = 0;
    // Stops accepting; a pending accept() fails with closed. Does not suspend.
    virtual void close() = 0;
};

class Network {
public:
    virtual ~Network() = default;
    // Does not suspend.
    virtual Result<std::unique_ptr<Listener>, NetError> listen(const Address& address) = 0;
    // Suspends until connected, refused, or the timeout passes.
    virtual Result<std::unique_ptr<Connection>, NetError> connect(const Address& address,
                                                                  Duration timeout) = 0;
};

// Reads exactly buf.size() bytes. End of stream before that is connection_reset.
Result<void, NetError> read_exact(Connection& c, MutableByteSpan buf);

}  // namespace eddy
