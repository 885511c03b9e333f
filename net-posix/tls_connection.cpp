// TlsConnection: OpenSSL over memory BIOs, ciphertext moved by the inner connection. See
// tls_connection.h.
#include "net-posix/tls_connection.h"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <climits>

#include "core/base/assert.h"
#include "net-posix/file_copy.h"
#include "net-posix/posix_connection.h"

namespace eddy::tls {
namespace {

// Ciphertext read from the inner connection per call: a little more than one full TLS record
// (16 KiB of payload plus header, MAC and padding), so one read usually completes a record.
constexpr size_t in_buffer_bytes = 17 * 1024;
// Plaintext encrypted per SSL_write before the records are flushed: bounds the output BIO (and
// so the memory of one connection) to about this much whatever write_all is given.
constexpr size_t write_chunk_bytes = 64 * 1024;
constexpr size_t out_buffer_bytes = 64 * 1024;

bool is_ip_literal(const std::string& host) {
    unsigned char buf[16];
    return ::inet_pton(AF_INET, host.c_str(), buf) == 1 ||
           ::inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

// A handshake failure as one line a user can act on.
std::string describe_handshake_failure(SSL* ssl, int ssl_error) {
    const long verify = SSL_get_verify_result(ssl);
    const unsigned long first = ERR_peek_error();
    std::string why =
        openssl_errors(ssl_error == SSL_ERROR_SYSCALL ? "connection reset" : "handshake failed");
    if (ERR_GET_LIB(first) == ERR_LIB_SSL) {
        const int reason = ERR_GET_REASON(first);
        if (reason == SSL_R_WRONG_VERSION_NUMBER || reason == SSL_R_HTTP_REQUEST ||
            reason == SSL_R_PACKET_LENGTH_TOO_LONG || reason == SSL_R_UNKNOWN_PROTOCOL) {
            return "not a TLS handshake (a plaintext client on a TLS port?): " + why;
        }
        if (reason == SSL_R_CERTIFICATE_VERIFY_FAILED && verify != X509_V_OK) {
            return "certificate verify failed: " +
                   std::string(X509_verify_cert_error_string(verify));
        }
    }
    return why;
}

}  // namespace

TlsConnection::TlsConnection(FiberExecutor& executor, std::unique_ptr<Connection> raw, SSL* ssl)
    : raw_(std::move(raw)),
      ssl_(ssl),
      in_bio_(BIO_new(BIO_s_mem())),
      out_bio_(BIO_new(BIO_s_mem())),
      in_buffer_(in_buffer_bytes),
      out_buffer_(out_buffer_bytes),
      flush_done_(executor) {
    ASSERT(in_bio_ != nullptr && out_bio_ != nullptr, "out of memory for TLS buffers");
    // An empty memory BIO reads as "retry later" (WANT_READ), not as end of file.
    BIO_set_mem_eof_return(in_bio_, -1);
    SSL_set_bio(ssl_, in_bio_, out_bio_);  // ssl_ owns both from here
}

TlsConnection::~TlsConnection() {
    ASSERT(!flushing_, "TLS connection destroyed while a fiber writes to it");
    close();
    SSL_free(ssl_);
}

Result<std::unique_ptr<TlsConnection>, std::string> TlsConnection::handshake(
    FiberExecutor& executor, std::unique_ptr<Connection> raw, TlsContext& ctx, Instant deadline,
    const std::string& server_name) {
    ASSERT(raw != nullptr);
    SSL* ssl = SSL_new(ctx.for_new_connection(executor.now()));
    if (ssl == nullptr) {
        raw->close();
        return fail("cannot create a TLS session: " + openssl_errors("SSL_new failed"));
    }
    std::unique_ptr<TlsConnection> c(new TlsConnection(executor, std::move(raw), ssl));
    if (ctx.role() == Role::client) {
        SSL_set_connect_state(ssl);
        const std::string& host = server_name;
        if (!host.empty() && !is_ip_literal(host)) {
            (void)SSL_set_tlsext_host_name(ssl, host.c_str());  // SNI is for names only
        }
        if (ctx.settings().verify_hostname && !host.empty()) {
            // Kafka's https identification: the certificate must name the host we dialled (a DNS
            // SAN for a name, an IP SAN for an address).
            const int ok = is_ip_literal(host)
                               ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host.c_str())
                               : SSL_set1_host(ssl, host.c_str());
            if (ok != 1) {
                return fail("cannot verify host name '" + host + "'");
            }
        }
    } else {
        SSL_set_accept_state(ssl);
    }
    // The deadline closes the inner connection, which wakes the handshake wherever it waits.
    struct Timer {
        FiberExecutor& executor;
        FiberExecutor::TimerKey key;
        bool fired = false;
        ~Timer() { executor.cancel_timer(key); }
    };
    Connection* inner = c->raw_.get();
    Timer timer{executor, {}, false};
    timer.key = executor.call_at(deadline, [inner, &timer] {
        timer.fired = true;
        inner->close();
    });
    auto done = c->run_handshake();
    if (!done.ok()) {
        c->raw_->close();
        return fail(timer.fired ? std::string("timed out") : done.error());
    }
    if (const X509* peer = SSL_get0_peer_certificate(ssl);
        peer != nullptr && SSL_get_verify_result(ssl) == X509_V_OK) {
        c->peer_identity_ = subject_rfc2253(peer);
    }
    return c;
}

Result<void, std::string> TlsConnection::run_handshake() {
    for (;;) {
        ERR_clear_error();
        const int r = SSL_do_handshake(ssl_);
        const int e = r == 1 ? SSL_ERROR_NONE : SSL_get_error(ssl_, r);
        std::string failure;
        if (e != SSL_ERROR_NONE && e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
            failure = describe_handshake_failure(ssl_, e);  // before the flush: the error queue
        }
        // Whatever OpenSSL produced goes out first: our flight, or the alert that tells the peer
        // why we give up.
        auto flushed = flush();
        if (!failure.empty()) {
            last_error_ = failure;
            return fail(std::move(failure));
        }
        if (!flushed.ok()) {
            return fail(std::string("connection ") + to_string(flushed.error()) +
                        " during the TLS handshake");
        }
        if (e == SSL_ERROR_NONE) {
            return {};
        }
        if (e == SSL_ERROR_WANT_READ) {
            auto got = fill();
            if (!got.ok()) {
                return fail(std::string("connection ") + to_string(got.error()) +
                            " during the TLS handshake");
            }
            if (eof_) {
                return fail(std::string("the peer closed the connection during the TLS handshake"));
            }
        }
    }
}

Result<void, NetError> TlsConnection::fill() {
    auto n = raw_->read_some(MutableByteSpan(in_buffer_.data(), in_buffer_.size()));
    if (!n.ok()) {
        return fail(closed_ ? NetError::closed : n.error());
    }
    if (n.value() == 0) {
        eof_ = true;
        return {};
    }
    const int wrote = BIO_write(in_bio_, in_buffer_.data(), static_cast<int>(n.value()));
    ASSERT(wrote == static_cast<int>(n.value()), "memory BIO write failed");
    return {};
}

Result<void, NetError> TlsConnection::flush() {
    while (flushing_) {
        const WakeReason r = flush_done_.wait();
        if (closed_) {
            return fail(NetError::closed);
        }
        if (r != WakeReason::notified) {
            return fail(r == WakeReason::timeout ? NetError::timed_out : NetError::cancelled);
        }
    }
    if (BIO_ctrl_pending(out_bio_) == 0) {
        return {};
    }
    flushing_ = true;
    // Lets waiting writers go on whichever way this frame is left (error, cancellation, unwind).
    struct Done {
        TlsConnection& c;
        ~Done() {
            c.flushing_ = false;
            c.flush_done_.notify_all();
        }
    } done{*this};
    while (BIO_ctrl_pending(out_bio_) > 0) {
        if (closed_) {
            return fail(NetError::closed);
        }
        const int n = BIO_read(out_bio_, out_buffer_.data(), static_cast<int>(out_buffer_.size()));
        ASSERT(n > 0, "memory BIO read failed with bytes pending");
        TRY_VOID(raw_->write_all(ByteSpan(out_buffer_.data(), static_cast<size_t>(n))));
    }
    return {};
}

NetError TlsConnection::ssl_failure(int ssl_error, const char* what) {
    last_error_ =
        std::string("TLS ") + what + ": " +
        openssl_errors(ssl_error == SSL_ERROR_SYSCALL ? "connection reset" : "protocol error");
    return NetError::connection_reset;
}

Result<size_t, NetError> TlsConnection::read_some(MutableByteSpan buf) {
    ASSERT(!buf.empty(), "read_some into an empty buffer");
    for (;;) {
        if (closed_) {
            return fail(NetError::closed);
        }
        ERR_clear_error();
        const int n =
            SSL_read(ssl_, buf.data(), static_cast<int>(std::min<size_t>(buf.size(), INT_MAX)));
        const int e = n > 0 ? SSL_ERROR_NONE : SSL_get_error(ssl_, n);
        // Reading may have produced records of our own (a TLS 1.3 KeyUpdate answer, an alert).
        // If a writer is flushing already they go out with its flush.
        if (!flushing_ && BIO_ctrl_pending(out_bio_) > 0) {
            auto f = flush();
            if (!f.ok() && e != SSL_ERROR_NONE) {
                return fail(f.error());
            }
        }
        switch (e) {
            case SSL_ERROR_NONE:
                return static_cast<size_t>(n);
            case SSL_ERROR_ZERO_RETURN:  // close_notify: an orderly end of stream
                return size_t{0};
            case SSL_ERROR_WANT_READ:
                if (eof_) {
                    // The socket ended without close_notify. Kafka's frames carry their own
                    // length, so a truncation shows up as a short frame: report end of stream.
                    return size_t{0};
                }
                TRY_VOID(fill());
                continue;
            case SSL_ERROR_WANT_WRITE:  // not with a memory BIO, but harmless to honour
                TRY_VOID(flush());
                continue;
            default:
                return fail(ssl_failure(e, "read"));
        }
    }
}

Result<void, NetError> TlsConnection::write_all(ByteSpan data) {
    size_t done = 0;
    while (done < data.size()) {
        if (closed_) {
            return fail(NetError::closed);
        }
        const size_t want = std::min(data.size() - done, write_chunk_bytes);
        ERR_clear_error();
        const int n = SSL_write(ssl_, data.data() + done, static_cast<int>(want));
        if (n > 0) {
            done += static_cast<size_t>(n);
            TRY_VOID(flush());
            continue;
        }
        const int e = SSL_get_error(ssl_, n);
        if (e == SSL_ERROR_WANT_WRITE) {
            TRY_VOID(flush());
            continue;
        }
        // WANT_READ would mean a renegotiation, which the context disables.
        (void)flush();  // an alert, if OpenSSL wrote one
        return fail(ssl_failure(e, "write"));
    }
    return flush();
}

Result<void, NetError> TlsConnection::send_file(File& file, uint64_t offset, uint64_t length) {
    return net_posix::copy_file_to(*this, file, offset, length);
}

void TlsConnection::close() {
    if (closed_) {
        return;
    }
    closed_ = true;
    // close_notify, when it can go out without waiting: nothing else is being written (records
    // must not interleave) and the socket's send buffer takes it whole.
    auto* posix = dynamic_cast<PosixConnection*>(raw_.get());
    if (posix != nullptr && !flushing_ && SSL_is_init_finished(ssl_) == 1 &&
        BIO_ctrl_pending(out_bio_) == 0) {
        ERR_clear_error();
        (void)SSL_shutdown(ssl_);
        const int n = BIO_read(out_bio_, out_buffer_.data(), static_cast<int>(out_buffer_.size()));
        if (n > 0) {
            (void)posix->write_now(ByteSpan(out_buffer_.data(), static_cast<size_t>(n)));
        }
        ERR_clear_error();
    }
    raw_->close();
    flush_done_.notify_all();
}

std::string TlsConnection::protocol_version() const { return SSL_get_version(ssl_); }

}  // namespace eddy::tls
