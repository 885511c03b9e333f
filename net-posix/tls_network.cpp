// TlsListener (handshakes in their own fibers) and TlsNetwork (client handshakes). See
// tls_network.h.
#include "net-posix/tls_network.h"

#include <deque>
#include <map>

#include "core/base/assert.h"
#include "core/fiber/sync.h"
#include "net-posix/tls_connection.h"

namespace eddy::tls {
namespace {

// After a failed plain accept (EMFILE, ENOBUFS …) the acceptor pauses this long: retrying at once
// would spin on the same error.
constexpr Duration accept_error_pause = Duration::millis(100);

}  // namespace

// Shared by the TlsListener and its fibers (each holds a reference), so that a fiber woken after
// the listener is gone finds live state.
struct TlsListener::State {
    State(Env& e, std::unique_ptr<Listener> p, std::shared_ptr<TlsContext> c, Options o)
        : env(e),
          plain(std::move(p)),
          context(std::move(c)),
          options(std::move(o)),
          ready_waiters(e.scheduler),
          slot_waiters(e.scheduler) {}

    Env& env;
    std::unique_ptr<Listener> plain;
    std::shared_ptr<TlsContext> context;
    Options options;
    std::deque<std::unique_ptr<Connection>> ready;  // handshaken, not yet accepted
    WaitQueue ready_waiters;                        // accept()
    WaitQueue slot_waiters;                         // the acceptor, at handshakes_max
    std::optional<NetError> accept_error;           // the plain accept's, for accept() to report
    bool closed = false;
    FiberRef acceptor;
    std::map<uint64_t, FiberRef> handshakes;  // in progress, by a local id
    uint64_t next_id = 0;
    uint64_t failed = 0;
};

namespace {

void log_reload(Logger& log, TlsContext& context, const std::string& name) {
    if (auto report = context.take_reload_report()) {
        log.warn("listener %s: %s", name.c_str(), report->c_str());
    }
}

void run_handshake(const std::shared_ptr<TlsListener::State>& st, uint64_t id,
                   std::unique_ptr<Connection> raw) {
    const Address peer = raw->peer();
    auto done = TlsConnection::handshake(st->env.scheduler.executor(), std::move(raw), *st->context,
                                         st->env.clock.now() + st->options.handshake_timeout);
    st->handshakes.erase(id);  // this fiber's own handle: no reference cycle once it ends
    st->slot_waiters.notify_one();
    log_reload(st->env.log, *st->context, st->options.name);
    if (!done.ok()) {
        ++st->failed;
        if (!st->closed) {
            st->env.log.warn("listener %s: TLS handshake with %s failed: %s",
                             st->options.name.c_str(), peer.to_string().c_str(),
                             done.error().c_str());
        }
        return;
    }
    if (st->closed) {
        return;  // the connection closes as it goes out of scope
    }
    st->ready.push_back(std::move(done).value());
    st->ready_waiters.notify_one();
}

void accept_loop(const std::shared_ptr<TlsListener::State>& st) {
    while (!st->closed) {
        if (st->handshakes.size() >= st->options.handshakes_max) {
            if (st->slot_waiters.wait() == WakeReason::cancelled) {
                return;
            }
            continue;
        }
        auto r = st->plain->accept();
        if (!r.ok()) {
            if (r.error() == NetError::closed || r.error() == NetError::cancelled) {
                return;
            }
            st->accept_error = r.error();
            st->ready_waiters.notify_one();
            if (st->env.scheduler.sleep_for(accept_error_pause) == WakeReason::cancelled) {
                return;
            }
            continue;
        }
        const uint64_t id = st->next_id++;
        // The fiber holds the state and its connection; the map holds the fiber for close().
        // (std::function wants a copyable body, hence the shared_ptr around the connection.)
        auto conn = std::make_shared<std::unique_ptr<Connection>>(std::move(r).value());
        st->handshakes.emplace(id, st->env.scheduler.spawn("tls-handshake", [st, id, conn] {
            run_handshake(st, id, std::move(*conn));
        }));
    }
}

}  // namespace

TlsListener::TlsListener(Env& env, std::unique_ptr<Listener> plain,
                         std::shared_ptr<TlsContext> context, Options options)
    : state_(
          std::make_shared<State>(env, std::move(plain), std::move(context), std::move(options))) {
    ASSERT(state_->context->role() == Role::server, "a TLS listener needs a server context");
    local_ = state_->plain->local_address();
    auto st = state_;
    state_->acceptor = env.scheduler.spawn("tls-accept", [st] { accept_loop(st); });
}

TlsListener::~TlsListener() { close(); }

Result<std::unique_ptr<Connection>, NetError> TlsListener::accept() {
    State& st = *state_;
    for (;;) {
        if (st.closed) {
            return fail(NetError::closed);
        }
        if (!st.ready.empty()) {
            auto c = std::move(st.ready.front());
            st.ready.pop_front();
            return c;
        }
        if (st.accept_error.has_value()) {
            const NetError e = *st.accept_error;
            st.accept_error.reset();
            return fail(e);
        }
        if (st.ready_waiters.wait() != WakeReason::notified) {
            return fail(st.closed ? NetError::closed : NetError::cancelled);
        }
    }
}

void TlsListener::close() {
    State& st = *state_;
    if (st.closed) {
        return;
    }
    st.closed = true;
    st.plain->close();  // wakes the acceptor with closed
    if (st.acceptor.valid()) {
        st.acceptor.cancel();
    }
    for (auto& entry : st.handshakes) {
        entry.second.cancel();
    }
    st.ready.clear();
    st.ready_waiters.notify_all();
    st.slot_waiters.notify_all();
}

uint64_t TlsListener::handshakes_failed() const { return state_->failed; }

// --- TlsNetwork ---

TlsNetwork::TlsNetwork(FiberExecutor& executor, Logger& log, Network& inner,
                       std::shared_ptr<TlsContext> context, Duration handshake_timeout)
    : executor_(executor),
      log_(log),
      inner_(inner),
      context_(std::move(context)),
      handshake_timeout_(handshake_timeout) {
    ASSERT(context_->role() == Role::client, "TlsNetwork needs a client context");
}

Result<std::unique_ptr<Listener>, NetError> TlsNetwork::listen(const Address& address) {
    return inner_.listen(address);
}

Result<std::unique_ptr<Connection>, NetError> TlsNetwork::connect(const Address& address,
                                                                  Duration timeout) {
    const Instant deadline = executor_.now() + timeout;
    TRY_ASSIGN(auto raw, inner_.connect(address, timeout));
    auto done = TlsConnection::handshake(executor_, std::move(raw), *context_,
                                         std::min(deadline, executor_.now() + handshake_timeout_),
                                         address.host);
    if (!done.ok()) {
        log_.error("TLS handshake with %s failed: %s", address.to_string().c_str(),
                   done.error().c_str());
        return fail(done.error() == "timed out" ? NetError::timed_out
                                                : NetError::connection_refused);
    }
    return std::unique_ptr<Connection>(std::move(done).value());
}

}  // namespace eddy::tls
