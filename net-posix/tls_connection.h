// TlsConnection: a core Connection that runs TLS (OpenSSL) over another Connection — in
// production a non-blocking PosixConnection parked on the reactor.
//
// How it waits: OpenSSL reads and writes two memory BIOs, never the socket. When SSL_read wants
// ciphertext (WANT_READ) the fiber reads some from the inner connection — which parks on the
// reactor's FdWatch exactly as a plaintext read does — and feeds it to the input BIO; records
// OpenSSL produces are taken from the output BIO and written with the inner connection's
// write_all. OpenSSL itself never blocks and never sees a file descriptor, so the fiber model, the
// edge-triggered reactor protocol and its "no lost wakeup" argument are the inner connection's,
// unchanged. The price is one extra copy of each byte (between the BIO and the socket), which is
// also what makes send_file a copy (below).
//
// One reader fiber and one writer fiber may use the connection at once, as with any Connection
// (the FrameServer has both): OpenSSL calls never suspend, so they never interleave on the one
// thread; only the inner reads and writes suspend. The inner connection has one writer at a time:
// whoever is flushing the output BIO keeps flushing until it is empty, and a writer that finds a
// flush in progress waits for it to finish (its own records go out with it).
//
// send_file: TLS encrypts in user space, so the file range is read (File::read_at, pread on POSIX)
// in 64 KiB pieces and written through TLS: no zero copy. (kTLS would allow sendfile(2) again;
// not done: it needs the kernel module, cipher-specific key export and a plaintext fallback.)
//
// close(): sends close_notify if it can do so without waiting (nothing else is being written and
// the socket takes it at once), then closes the inner connection. Does not suspend.
//
// peer_identity(): the subject (RFC 2253, "CN=alice,OU=eng,O=acme") of the certificate the peer
// presented and OpenSSL verified against the truststore; nullopt when the peer sent none.
#pragma once

#include <openssl/types.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/env/network.h"
#include "core/fiber/executor.h"
#include "core/fiber/sync.h"
#include "net-posix/tls_context.h"

namespace eddy::tls {

class TlsConnection final : public Connection {
public:
    // Runs the handshake over `raw` in ctx's role and returns the established connection.
    // `server_name` (client side): the host to verify the certificate against (when the settings
    // ask for it) and to send as SNI. Suspends until done, a failure (one line: "certificate
    // verify failed", "peer did not return a certificate", "not a TLS handshake", …), or the
    // deadline ("timed out"), after which `raw` is closed.
    static Result<std::unique_ptr<TlsConnection>, std::string> handshake(
        FiberExecutor& executor, std::unique_ptr<Connection> raw, TlsContext& ctx, Instant deadline,
        const std::string& server_name = "");

    ~TlsConnection() override;
    TlsConnection(const TlsConnection&) = delete;
    TlsConnection& operator=(const TlsConnection&) = delete;

    // Suspends until at least one byte of plaintext, end of stream (0: close_notify or the
    // peer closed the socket), or an error (a TLS error is connection_reset).
    Result<size_t, NetError> read_some(MutableByteSpan buf) override;
    // Suspends until every byte is encrypted and handed to the inner connection.
    Result<void, NetError> write_all(ByteSpan data) override;
    // A read/write copy through TLS (see the file comment). Suspends.
    Result<void, NetError> send_file(File& file, uint64_t offset, uint64_t length) override;
    // Does not suspend.
    void close() override;
    const Address& peer() const override { return raw_->peer(); }
    std::optional<std::string> peer_identity() const override { return peer_identity_; }

    // "TLSv1.3" etc. (tests, logs).
    std::string protocol_version() const;
    // The last TLS error, for logs (empty if none).
    const std::string& last_error() const { return last_error_; }

private:
    TlsConnection(FiberExecutor& executor, std::unique_ptr<Connection> raw, SSL* ssl);
    // SSL_do_handshake until it completes. Suspends.
    Result<void, std::string> run_handshake();
    // Reads ciphertext from the inner connection into the input BIO. Suspends.
    Result<void, NetError> fill();
    // Writes everything in the output BIO to the inner connection (waits for another flusher
    // first). Suspends.
    Result<void, NetError> flush();
    // An SSL error other than WANT_*: remembered for logs, reported as connection_reset.
    NetError ssl_failure(int ssl_error, const char* what);

    std::unique_ptr<Connection> raw_;
    SSL* ssl_;
    BIO* in_bio_;   // owned by ssl_
    BIO* out_bio_;  // owned by ssl_
    std::vector<std::byte> in_buffer_;
    std::vector<std::byte> out_buffer_;
    bool flushing_ = false;
    WaitQueue flush_done_;
    bool closed_ = false;
    bool eof_ = false;  // close_notify received or the inner connection ended
    std::optional<std::string> peer_identity_;
    std::string last_error_;
};

}  // namespace eddy::tls
