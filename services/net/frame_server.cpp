#include "services/net/frame_server.h"

#include <memory>
#include <vector>

namespace eddy::net {

namespace {

// A frame body read off the wire: allocated without zeroing (make_unique_for_overwrite), since
// the socket read overwrites every byte at once — zeroing megabytes of produce data first cost
// a visible share of the broker's CPU.
// Shared, not unique, only because the handler fiber's std::function must be copyable.
struct FrameBody {
    std::shared_ptr<std::byte[]> data;
    size_t size = 0;
    MutableByteSpan span() { return {data.get(), size}; }
};

// A frame's int32 length prefix, checked against the limit before anything is allocated.
Result<size_t, NetError> read_frame_length(Connection& c, size_t frame_bytes_max) {
    std::byte header[4];
    size_t got = 0;
    while (got < sizeof header) {
        TRY_ASSIGN(size_t n, c.read_some(MutableByteSpan(header + got, sizeof header - got)));
        if (n == 0) {
            return fail(got == 0 ? NetError::closed : NetError::connection_reset);
        }
        got += n;
    }
    const auto length = static_cast<int32_t>(load_be<uint32_t>(header));
    if (length < 0 || static_cast<size_t>(length) > frame_bytes_max) {
        return fail(NetError::io_error);
    }
    return static_cast<size_t>(length);
}

// The body of a frame whose length prefix has been read: read_frame()'s contract.
Result<FrameBody, NetError> read_frame_body(Connection& c, size_t length) {
    FrameBody body;
    body.size = length;
    body.data = std::make_unique_for_overwrite<std::byte[]>(body.size);
    TRY_VOID(read_exact(c, body.span()));
    return body;
}

// The bytes of a response held in memory (file ranges are read from disk as they are sent).
size_t memory_bytes(const FrameParts& parts) {
    size_t n = 0;
    for (const auto& p : parts) {
        n += p.file ? 0 : p.bytes.size();
    }
    return n;
}

uint64_t frame_bytes(const FrameParts& parts) {
    uint64_t n = 0;
    for (const auto& p : parts) {
        n += p.size();
    }
    return n;
}

}  // namespace

// One request in flight: its response (nullopt answers "no response") and its frame's size.
struct FrameServer::Slot {
    Future<std::optional<FrameParts>> response;
    size_t bytes = 0;  // the request frame's
};

struct FrameServer::Conn {
    Conn(Env& env, uint64_t id_, std::unique_ptr<Connection> c, size_t depth)
        : id(id_), conn(std::move(c)), responses(env.scheduler, depth), room(env.scheduler) {}
    uint64_t id;
    std::unique_ptr<Connection> conn;
    ConnectionInfo info;
    ConnectionControl control;
    Instant last_active;
    // Response slots in request order; the channel's capacity is the pipeline depth.
    Channel<Slot> responses;
    // Bytes of the frames whose response is not written yet, plus the in-memory bytes of the
    // responses not written yet (pipeline_bytes_max).
    size_t bytes_in_flight = 0;
    WaitQueue room;  // the reader waits here while bytes_in_flight is over the budget
    uint64_t since_reorder = 0;  // responses written since the last reorder_responses swap
    // Set when the newest request read so far releases its turn (null: none read yet).
    std::shared_ptr<Event> last_turn;
    FiberRef reader;
    FiberRef writer;
    std::vector<FiberRef> handlers;
};

Result<void, NetError> write_frame(Connection& c, ByteSpan body) {
    ASSERT(body.size() <= INT32_MAX);
    Bytes buf(4 + body.size());
    store_be<uint32_t>(buf.data(), static_cast<uint32_t>(body.size()));
    std::copy(body.begin(), body.end(), buf.begin() + 4);
    return c.write_all(buf);
}

Result<void, NetError> write_frame(Connection& c, const FrameParts& parts) {
    uint64_t total = 0;
    for (const auto& p : parts) {
        total += p.size();
    }
    ASSERT(total <= INT32_MAX);
    // Leading byte parts go out with the size prefix in one write.
    Bytes head(4);
    store_be<uint32_t>(head.data(), static_cast<uint32_t>(total));
    size_t i = 0;
    for (; i < parts.size() && !parts[i].file; ++i) {
        head.insert(head.end(), parts[i].bytes.begin(), parts[i].bytes.end());
    }
    TRY_VOID(c.write_all(head));
    for (; i < parts.size(); ++i) {
        const auto& p = parts[i];
        if (p.file) {
            if (p.length > 0) {
                TRY_VOID(c.send_file(*p.file, p.offset, p.length));
            }
        } else if (!p.bytes.empty()) {
            TRY_VOID(c.write_all(p.bytes));
        }
    }
    return {};
}

Result<Bytes, NetError> read_frame(Connection& c, size_t frame_bytes_max) {
    TRY_ASSIGN(const size_t length, read_frame_length(c, frame_bytes_max));
    Bytes body(length);
    TRY_VOID(read_exact(c, body));
    return body;
}

FrameServer::FrameServer(Env& env, std::unique_ptr<Listener> listener, FrameHandler handler,
                         FrameServerOptions options)
    : FrameServer(
          env, std::move(listener),
          PartsHandler([h = std::move(handler)](
                           const ConnectionInfo& info, MutableByteSpan frame,
                           RequestTurn& turn) -> Result<std::optional<FrameParts>, HandlerError> {
              turn.release();  // see FrameHandler
              auto r = h(info, frame);
              if (!r.ok()) {
                  return fail(r.error());
              }
              if (!*r) {
                  return std::optional<FrameParts>();
              }
              FrameParts parts(1);
              parts[0].bytes = std::move(**r);
              return std::optional<FrameParts>(std::move(parts));
          }),
          options) {}

FrameServer::FrameServer(Env& env, std::unique_ptr<Listener> listener, PartsHandler handler,
                         FrameServerOptions options)
    : env_(env),
      listener_(std::move(listener)),
      handler_(std::move(handler)),
      options_(options),
      limits_(options_.limits
                  ? options_.limits
                  : std::make_shared<ServerLimits>(env.scheduler, ServerLimitsOptions{})),
      all_closed_(env.scheduler) {
    ASSERT(options_.pipeline_depth >= 1);
    ASSERT(options_.pipeline_depth <= limits::pipeline_depth_max);
    all_closed_.set();
}

FrameServer::~FrameServer() {
    // Destroyed without stop() only when the node crashes and its fibers are being unwound.
    listener_->close();
}

void FrameServer::start() {
    acceptor_ = env_.scheduler.spawn("frame-accept", [this] { accept_loop(); });
    sweeper_ = env_.scheduler.spawn("frame-idle-sweep", [this] { sweep_idle(); });
}

void FrameServer::accept_loop() {
    while (!stopping_) {
        // max.connections: at the limit, stop accepting until a connection closes.
        if (!limits_->wait_connection_slot()) {
            return;
        }
        // max.connection.creation.rate: at the rate, wait before accepting the next one.
        if (options_.connection_rates && !limits_->wait_connection_rate()) {
            return;
        }
        auto r = listener_->accept();
        if (!r.ok()) {
            if (r.error() == NetError::closed || r.error() == NetError::cancelled) {
                return;
            }
            env_.log.warn("accept failed: %s", to_string(r.error()));
            continue;
        }
        const Address peer = (*r)->peer();
        const Admission admission =
            limits_->admit_connection(peer.host, options_.connection_rates);
        if (admission != Admission::admitted) {
            if (admission == Admission::over_host_limit) {
                env_.log.warn("closing a connection from %s: max.connections.per.ip (%zu open)",
                              peer.to_string().c_str(), limits_->connections_from(peer.host));
            } else {
                env_.log.warn("closing a connection from %s: over its connection_creation_rate "
                              "quota", peer.to_string().c_str());
            }
            env_.tracer.event("net.refuse", {{"peer", peer.to_string()}});
            (*r)->close();
            continue;
        }
        const uint64_t id = next_id_++;
        auto c = std::make_unique<Conn>(env_, id, std::move(r).value(), options_.pipeline_depth);
        c->control.read = options_.initial_read_mode;
        c->info = ConnectionInfo{id, c->conn->peer(), c->conn->peer_identity(), &c->control};
        c->last_active = env_.clock.now();
        Conn& ref = *c;
        connections_.emplace(id, std::move(c));
        all_closed_.reset();
        env_.tracer.event("net.accept", {{"conn", id}, {"peer", ref.info.peer.to_string()}});
        env_.log.debug("connection %llu from %s:%u opened", static_cast<unsigned long long>(id),
                       ref.info.peer.host.c_str(), static_cast<unsigned>(ref.info.peer.port));
        ref.writer = env_.scheduler.spawn("frame-write", [this, &ref] { write_loop(ref); });
        ref.reader = env_.scheduler.spawn("frame-read", [this, &ref] { read_loop(ref); });
    }
}

void FrameServer::read_loop(Conn& c) {
    while (!stopping_) {
        // The byte budget: wait for responses to be written. (The depth is the channel's.)
        bool room = true;
        while (c.bytes_in_flight >= options_.pipeline_bytes_max && !c.responses.closed()) {
            if (c.room.wait() != WakeReason::notified) {
                room = false;
                break;
            }
        }
        if (!room || c.responses.closed()) {
            break;
        }
        // A throttled client's connection is muted: nothing is read from it until then.
        if (c.control.muted_until > env_.scheduler.now() &&
            env_.scheduler.sleep_until(c.control.muted_until) != WakeReason::timeout) {
            break;  // cancelled: the server is stopping
        }
        const size_t frame_max = c.control.read.frame_bytes_max.value_or(options_.frame_bytes_max);
        auto length = read_frame_length(*c.conn, frame_max);
        if (!length.ok()) {
            if (length.error() == NetError::io_error) {
                env_.log.warn("connection %llu from %s: frame larger than %zu bytes, closing",
                              static_cast<unsigned long long>(c.id),
                              c.info.peer.to_string().c_str(), frame_max);
                c.conn->close();
            }
            break;
        }
        // queued.max.request.bytes: the process holds at most that many request bytes.
        if (!limits_->wait_request_bytes(*length)) {
            break;
        }
        limits_->hold_request_bytes(*length);
        auto frame = read_frame_body(*c.conn, *length);
        if (!frame.ok()) {
            limits_->release_request_bytes(*length);
            break;
        }
        c.last_active = env_.clock.now();
        const size_t bytes = frame->size;
        auto promise = std::make_shared<Promise<std::optional<FrameParts>>>(env_.scheduler);
        c.bytes_in_flight += bytes;
        if (!c.responses.send(Slot{promise->future(), bytes}).ok()) {
            c.bytes_in_flight -= bytes;
            limits_->release_request_bytes(bytes);
            break;
        }
        ++frames_handled_;
        // The turn chain: this request starts once the previous one has released its turn.
        std::shared_ptr<Event> previous = std::move(c.last_turn);
        c.last_turn = std::make_shared<Event>(env_.scheduler);
        // Handlers run in their own fibers so a slow one (a long-poll fetch, a produce waiting for
        // its sync) does not stop the next request from being read.
        std::erase_if(c.handlers, [](const FiberRef& f) { return f.done(); });
        c.handlers.push_back(env_.scheduler.spawn(
            "frame-handle",
            [this, &c, promise, previous = std::move(previous), turn = RequestTurn(c.last_turn),
             body = std::move(frame).value()]() mutable {
                if (previous && !previous->wait().ok()) {
                    // Cancelled before its turn (nothing cancels handlers today): running it
                    // now could reorder the connection's requests, so close instead.
                    c.conn->close();
                    turn.release();
                    promise.reset();  // the broken promise makes the writer stop
                    return;
                }
                previous.reset();
                auto r = handler_(c.info, body.span(), turn);
                turn.release();
                if (!r.ok()) {
                    c.conn->close();
                    promise.reset();  // the broken promise makes the writer stop
                    return;
                }
                if (*r) {
                    const uint64_t size = frame_bytes(**r);
                    if (size > static_cast<uint64_t>(INT32_MAX)) {
                        env_.log.warn(
                            "connection %llu from %s: a %llu-byte response does not fit "
                            "a frame, closing",
                            static_cast<unsigned long long>(c.id), c.info.peer.to_string().c_str(),
                            static_cast<unsigned long long>(size));
                        c.conn->close();
                        promise.reset();
                        return;
                    }
                    // Unwritten responses count against the connection's budget (slow readers).
                    c.bytes_in_flight += memory_bytes(**r);
                }
                promise->set_value(std::move(r).value());
            }));
        // Let the handler run until it finishes or parks before reading on: a response it builds
        // at once then counts against the budget before the next request is read, so a stream
        // of small requests asking for big answers cannot pile up responses in memory.
        env_.scheduler.yield();
        // Lockstep: wait until this request's response is written (or the connection is done).
        bool open = true;
        while (c.control.read.lockstep && c.bytes_in_flight > 0 && !c.responses.closed()) {
            if (c.room.wait() != WakeReason::notified) {
                open = false;
                break;
            }
        }
        if (!open || (c.control.read.lockstep && c.control.close_after_response)) {
            break;  // the writer drains what is queued, then closes the connection
        }
    }
    c.responses.close();
}

bool FrameServer::write_response(Conn& c, Slot& slot) {
    auto response = slot.response.get();
    if (!response.ok()) {
        limits_->release_request_bytes(slot.bytes);
        return false;  // the handler asked to close the connection
    }
    const size_t held = slot.bytes + (*response ? memory_bytes(**response) : 0);
    const bool written =
        !*response || write_frame(*c.conn, static_cast<const FrameParts&>(**response)).ok();
    limits_->release_request_bytes(slot.bytes);
    if (!written) {
        return false;
    }
    if (*response) {
        c.last_active = env_.clock.now();
    }
    ASSERT(c.bytes_in_flight >= held);
    c.bytes_in_flight -= held;
    c.room.notify_all();
    return true;
}

void FrameServer::write_loop(Conn& c) {
    while (true) {
        auto next = c.responses.recv();
        if (!next.ok()) {
            break;  // closed and drained
        }
        // The planted bug: from every fifth response on, the first one with a successor already
        // queued (once it is ready itself: successors queue meanwhile) lets that successor go
        // first.
        if (options_.reorder_responses && ++c.since_reorder >= 5) {
            (void)next->response.get();
            if (auto later = c.responses.try_recv()) {
                c.since_reorder = 0;
                env_.tracer.event("net.reorder", {{"conn", c.id}});
                if (!write_response(c, *later)) {
                    limits_->release_request_bytes(next->bytes);
                    break;
                }
            }
        }
        if (!write_response(c, *next)) {
            break;
        }
    }
    c.conn->close();
    c.responses.close();
    c.room.notify_all();  // a reader waiting for room sees the closed channel
    for (auto& h : c.handlers) {
        h.join();
    }
    c.reader.join();
    // The requests whose responses were never written give their bytes back.
    while (auto rest = c.responses.try_recv()) {
        limits_->release_request_bytes(rest->bytes);
    }
    limits_->release_connection(c.info.peer.host);
    env_.tracer.event("net.close", {{"conn", c.id}});
    env_.log.debug("connection %llu from %s:%u closed", static_cast<unsigned long long>(c.id),
                   c.info.peer.host.c_str(), static_cast<unsigned>(c.info.peer.port));
    const uint64_t id = c.id;
    // Destroying the Conn destroys this fiber's own FiberRef; the fiber record stays alive until
    // the executor sees it finish.
    connections_.erase(id);
    if (connections_.empty()) {
        all_closed_.set();
    }
}

void FrameServer::sweep_idle() {
    const Duration period = std::min(options_.idle_timeout / 4, Duration::seconds(30));
    while (!stopping_) {
        if (env_.scheduler.sleep_for(period) == WakeReason::cancelled) {
            return;
        }
        const Instant now = env_.clock.now();
        for (auto& [id, c] : connections_) {
            if (now - c->last_active > options_.idle_timeout) {
                env_.log.info("connection %llu idle for %lld ms, closing",
                              static_cast<unsigned long long>(id),
                              static_cast<long long>((now - c->last_active).to_millis()));
                c->conn->close();
            }
        }
    }
}

void FrameServer::stop() {
    if (stopping_) {
        (void)all_closed_.wait();
        return;
    }
    stopping_ = true;
    listener_->close();
    acceptor_.cancel_and_join();
    sweeper_.cancel_and_join();
    // Stop reading: cancel each reader; the writers drain what is in flight and close.
    for (auto& [id, c] : connections_) {
        (void)id;
        c->reader.cancel();
    }
    (void)all_closed_.wait();
}

}  // namespace eddy::net
