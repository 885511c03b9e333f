// FrameServer: the network server skeleton every Eddy service that speaks Kafka's framing uses.
// It accepts connections on a Listener, reads size-prefixed frames (int32 big-endian length, then
// that many bytes), hands each frame to a handler, and writes the handler's responses back in
// request order, framed the same way. Written only against Env, so it runs unchanged under the
// simulator and on real sockets.
//
// Per connection: a reader fiber reads frames and starts one handler fiber per frame; a writer
// fiber writes each response as soon as it and all before it are ready. A handler may answer
// nothing (Kafka's acks=0 produce), which keeps its place in the order without writing bytes.
//
// Pipelining and turns. Requests of one connection are pipelined (at most `pipeline_depth` and
// about `pipeline_bytes_max` request bytes in flight: the reader stops reading while either is
// reached, which pushes back on the client through TCP), and each takes its *turn*: a handler is
// entered only once every earlier request of the connection has released its turn, so requests
// take effect in the order they arrived whatever the scheduler does (the simulator runs ready
// fibers in a random order). A handler's turn is released when it returns, or earlier with
// RequestTurn::release() once all that is left of it is waiting — a produce whose appends are
// done and that only waits for its sync, a long-poll fetch. That is what lets the pipelined
// produce requests of one connection share a group commit while their appends keep the
// connection's order. Responses are written in request order either way (unless the planted bug
// FrameServerOptions::reorder_responses is set).
//
// Responses are a byte body (FrameHandler) or a list of parts, byte runs and file ranges sent
// with send_file (PartsHandler: the zero-copy fetch path).
//
// Bad input: a frame longer than frame_bytes_max, or a negative length, closes the connection
// before anything is allocated. Connections idle for longer than idle_timeout are closed.
//
// Memory: a connection's budget (pipeline_bytes_max) counts the bytes of its requests in flight
// *and* the bytes of responses waiting to be written, so a client that sends but does not read
// stops being read once its unread responses fill the budget (and is closed when idle). Across the
// process, ServerLimits bounds request bytes and connections. A response larger than a Kafka frame
// can carry (INT32_MAX bytes) is never written: the connection is closed and the event logged, so
// nothing a request asks for can reach write_frame's assertion.
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
#include "services/net/server_limits.h"

namespace eddy::net {

namespace limits {
constexpr size_t pipeline_depth_max = 1024;
}

// How a connection's reader reads. A SASL listener starts each connection in lockstep with small
// frames (sasl.server.max.receive.size) and switches to the defaults once the client has
// authenticated.
struct ReadMode {
    std::optional<size_t> frame_bytes_max;  // nullopt: FrameServerOptions::frame_bytes_max
    // Read the next frame only once every response so far is written, so that a handler's change
    // to the read mode (or close_after_response) applies to the very next frame.
    bool lockstep = false;
};

// Per-connection state a handler may change while it holds its turn. Lives as long as the
// connection.
struct ConnectionControl {
    ReadMode read;
    // In lockstep: once the response being built is written, close the connection (Kafka's
    // "answer, then close" after a failed authentication).
    bool close_after_response = false;
    // Quota throttling (KIP-219): no further frame is read from the connection before this
    // instant (frames already read still run). A handler sets it; the reader sleeps it out.
    Instant muted_until;
    // The handler's own per-connection state (the broker's authentication state), created by the
    // handler on the connection's first frame and destroyed with the connection.
    std::shared_ptr<void> state;
};

struct FrameServerOptions {
    size_t frame_bytes_max = 100 * 1024 * 1024;     // Kafka's socket.request.max.bytes default
    Duration idle_timeout = Duration::minutes(10);  // Kafka's connections.max.idle.ms default
    size_t pipeline_depth = 16;                     // requests in flight per connection
    // No new frame is read while the requests in flight (read, response not yet written) hold
    // this many bytes; one request is always admitted, so a connection holds at most this plus
    // one frame_bytes_max.
    size_t pipeline_bytes_max = 64 * 1024 * 1024;
    // Process-wide limits shared with the process's other servers (queued.max.request.bytes,
    // max.connections, max.connections.per.ip); null: this server gets unlimited ones of its own.
    std::shared_ptr<ServerLimits> limits;
    // Planted bug `reorder-responses` (scenarios/planted_bugs.h; never set in production): now and
    // then, when the next response is already queued, the writer sends that one first.
    bool reorder_responses = false;
    // How every new connection starts reading (ReadMode).
    ReadMode initial_read_mode;
    // Whether the connection-creation rates of `limits` apply (not on the controller listener:
    // the quorum's own connections are never throttled).
    bool connection_rates = true;
};

// What the server knows about a connection, for the handler.
struct ConnectionInfo {
    uint64_t id;
    Address peer;
    std::optional<std::string> peer_identity;
    // Never null for connections of a FrameServer.
    ConnectionControl* control = nullptr;
};

// A request's turn on its connection (see the file comment). The handler holds it while it runs;
// release() lets the connection's next request start. Idempotent; does not suspend.
class RequestTurn {
public:
    // A turn that is released from the start (a handler called outside a FrameServer).
    RequestTurn() = default;
    explicit RequestTurn(std::shared_ptr<Event> released) : released_(std::move(released)) {}
    void release() {
        if (released_) {
            released_->set();
        }
    }
    bool released() const { return !released_ || released_->is_set(); }

private:
    std::shared_ptr<Event> released_;  // set when the turn passes to the next request
};

// Handles one frame; may suspend. Returns the response frame body, or nothing for no response.
// Returning an error closes the connection (unparseable input). A FrameHandler releases its turn
// as soon as it is entered: the requests of a connection run concurrently, only started in order
// (fine for stateless services such as an echo).
enum class HandlerError : uint8_t { close_connection };
// The frame's bytes are valid until the handler returns.
using FrameHandler = std::function<Result<std::optional<Bytes>, HandlerError>(const ConnectionInfo&,
                                                                              ByteSpan frame)>;

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
// A PartsHandler is handed its request's turn and decides when to release it (at the latest, the
// server releases it when the handler returns). The frame's bytes are valid, and the handler's to
// modify in place (the produce path stamps offsets into them), until it returns.
using PartsHandler = std::function<Result<std::optional<FrameParts>, HandlerError>(
    const ConnectionInfo&, MutableByteSpan frame, RequestTurn& turn)>;

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
    struct Slot;
    void accept_loop();
    void read_loop(Conn& c);
    void write_loop(Conn& c);
    // Writes one slot's response once its handler is done; false: the connection is finished.
    bool write_response(Conn& c, Slot& slot);
    void sweep_idle();

    Env& env_;
    std::unique_ptr<Listener> listener_;
    PartsHandler handler_;
    FrameServerOptions options_;
    bool stopping_ = false;
    uint64_t next_id_ = 1;
    uint64_t frames_handled_ = 0;
    std::map<uint64_t, std::unique_ptr<Conn>> connections_;
    std::shared_ptr<ServerLimits> limits_;
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
