// TlsListener and TlsNetwork: TLS on the accepting and on the connecting side, as core Listener and
// Network, so the services above see ordinary connections (with peer_identity()).
//
// TlsListener: a background fiber accepts plain connections and starts one handshake fiber per
// connection; accept() hands out connections whose handshake has completed. So
// - a slow or silent client stalls nobody: its handshake waits in its own fiber, bounded by
//   handshake_timeout, while other clients are accepted and handshaken;
// - what accept() returns is already verified: peer_identity() is known before the first
//   request is read, which is when the FrameServer records it;
// - a client that fails the handshake (a plaintext client, garbage, an untrusted or missing
//   certificate under ssl.client.auth=required) is logged with the reason and closed; accept()
//   never sees it and nothing reaches an assertion.
// At most handshakes_max handshakes run at once; past that the acceptor stops accepting and the
// kernel's backlog pushes back. The certificate reload check (TlsContext) runs for each accepted
// connection, at most once per interval.
//
// TlsNetwork: connect() connects with the inner Network and runs the client handshake against
// the host that was dialled (certificate and, if configured, host name verification); listen()
// is the inner network's (plain). Eddy's CLI uses it when --command-config asks for SSL.
//
// Invariants: one fiber accepts at a time; close() wakes it with closed, stops the acceptor and
// cancels the handshakes in progress. The background fibers share the listener's state by
// shared_ptr, so they may finish after the TlsListener is gone.
#pragma once

#include <memory>
#include <string>

#include "core/env/env.h"
#include "net-posix/tls_context.h"

namespace eddy::tls {

class TlsListener final : public Listener {
public:
    struct Options {
        Duration handshake_timeout = Duration::seconds(10);
        size_t handshakes_max = 1024;
        std::string name = "TLS";  // the listener name, in log lines
    };

    // Takes over `plain` (bound and listening) and starts accepting in the background. Does not
    // suspend.
    TlsListener(Env& env, std::unique_ptr<Listener> plain, std::shared_ptr<TlsContext> context,
                Options options);
    ~TlsListener() override;
    TlsListener(const TlsListener&) = delete;
    TlsListener& operator=(const TlsListener&) = delete;

    // Suspends until a client has completed its handshake, close() (closed) or cancellation.
    Result<std::unique_ptr<Connection>, NetError> accept() override;
    Address local_address() const override { return local_; }
    // Does not suspend.
    void close() override;

    // Handshakes that failed (tests).
    uint64_t handshakes_failed() const;

    // What the listener and its background fibers share (tls_network.cpp).
    struct State;

private:
    std::shared_ptr<State> state_;
    Address local_;
};

class TlsNetwork final : public Network {
public:
    // `context` must have the client role. Every reference must outlive this (it is built before
    // the Env it becomes part of, hence no Env&).
    TlsNetwork(FiberExecutor& executor, Logger& log, Network& inner,
               std::shared_ptr<TlsContext> context,
               Duration handshake_timeout = Duration::seconds(10));

    // Plain: the inner network's listener. Does not suspend.
    Result<std::unique_ptr<Listener>, NetError> listen(const Address& address) override;
    // Connects and runs the TLS handshake; both share the timeout. A failed handshake is logged
    // (error, with the reason) and is connection_refused: the server would not talk to us.
    // Suspends.
    Result<std::unique_ptr<Connection>, NetError> connect(const Address& address,
                                                          Duration timeout) override;

private:
    FiberExecutor& executor_;
    Logger& log_;
    Network& inner_;
    std::shared_ptr<TlsContext> context_;
    Duration handshake_timeout_;
};

}  // namespace eddy::tls
