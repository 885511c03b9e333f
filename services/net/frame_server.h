// FrameServer: the network server skeleton every Eddy service that speaks Kafka's framing uses.
// It accepts connections on a Listener, reads size-prefixed frames (int32 big-endian length, then
// that many bytes), hands each frame to a handler, and writes the handler's responses back in
// request order, framed the same way. Written only against Env, so it runs unchanged under the
// simulator and on real sockets.
//
// Per connection: a reader fiber reads frames and starts one handler fiber per frame (at most
// `pipeline_depth` in flight: requests are pipelined, responses stay in order); a writer fiber
// writes each response as soon as it and all before it are ready. A handler may answer nothing
// (Kafka's acks=0 produce), which keeps its place in the order without writing bytes.
//
// Responses are a byte body (FrameHandler) or a list of parts, byte runs and file ranges sent
// with send_file (PartsHandler: the zero-copy fetch path).
//
// Bad input: a frame longer than frame_bytes_max, or a negative length, closes the connection
// before anything is allocated. Connections idle for longer than idle_timeout are closed.
//
// Shutdown: stop() stops accepting, stops reading new frames, lets in-flight requests finish and
// their responses be written, then closes every connection; it suspends until all that is done.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/env/env.h"
#include "core/fiber/sync.h"

namespace eddy::net {

namespace limits {
constexpr size_t pipeline_depth_max = 1024;
}

struct FrameServerOptions {
    size_t frame_bytes_max = 100 * 1024 * 1024;  // Kafka's socket.request.max.bytes default
    Duration idle_timeout = Duration::minutes(10);  // Kafka's connections.max.idle.ms default
    size_t pipeline_depth = 16;                    // requests in flight per connection
};

// What the server knows about a connection, for the handler.
struct ConnectionInfo {
    uint64_t id;
    Address peer;
    std::optional<std::string> peer_identity;
};

// Handles one frame; may suspend. Returns the response frame body, or nothing for no response.
// Returning an error closes the connection (unparseable input).
enum class HandlerError : uint8_t { close_connection };
using FrameHandler =
    std::function<Result<std::optional<Bytes>, HandlerError>(const ConnectionInfo&, Bytes frame)>;

// A response frame body made of parts, written in order: bytes as they are, and file ranges sent
// with Connection::send_file (sendfile(2) on POSIX: the broker's zero-copy fetch path). The frame's
// size prefix is the sum of the parts.
struct FramePart {
    Bytes bytes;                 // used when file is null
    std::shared_ptr<File> file;  // else: `length` bytes of it from `offset`
    uint64_t offset = 0;
    uint64_t length = 0;
    uint64_t size() const { return file ? length : bytes.size(); }
};
using FrameParts = std::vector<FramePart>;
using PartsHandler = std::function<Result<std::optional<FrameParts>, HandlerError>(
    const ConnectionInfo&, Bytes frame)>;

class FrameServer {
public:
    FrameServer(Env& env, std::unique_ptr<Listener> listener, FrameHandler handler,
                FrameServerOptions options = {});
    // The same with responses made of parts (file ranges included).
    FrameServer(Env& env, std::unique_ptr<Listener> listener, PartsHandler handler,
                FrameServerOptions options = {});
    ~FrameServer();
    FrameServer(const FrameServer&) = delete;
    FrameServer& operator=(const FrameServer&) = delete;

    // Starts the accept loop and the idle sweeper. Does not suspend.
    void start();
    // Graceful shutdown as described above. Suspends until every connection is closed.
    void stop();

    Address local_address() const { return listener_->local_address(); }
    size_t connection_count() const { return connections_.size(); }
    uint64_t frames_handled() const { return frames_handled_; }

private:
    struct Conn;
    void accept_loop();
    void read_loop(Conn& c);
    void write_loop(Conn& c);
    void sweep_idle();

    Env& env_;
    std::unique_ptr<Listener> listener_;
    PartsHandler handler_;
    FrameServerOptions options_;
    bool stopping_ = false;
    uint64_t next_id_ = 1;
    uint64_t frames_handled_ = 0;
    std::map<uint64_t, std::unique_ptr<Conn>> connections_;
    FiberRef acceptor_;
    FiberRef sweeper_;
    Event all_closed_;
};

// Writes one frame: the int32 big-endian length, then the body. Suspends.
Result<void, NetError> write_frame(Connection& c, ByteSpan body);
// Writes one frame made of parts (the size prefix is their total). Suspends.
Result<void, NetError> write_frame(Connection& c, const FrameParts& parts);
// Reads one frame. Frames longer than frame_bytes_max fail with io_error before any allocation;
// end of stream at a frame boundary fails with closed.
Result<Bytes, NetError> read_frame(Connection& c, size_t frame_bytes_max);

}  // namespace eddy::net
