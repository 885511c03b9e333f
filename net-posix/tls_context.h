// TlsSettings and TlsContext: what a TLS endpoint is configured with, and the OpenSSL SSL_CTX built
// from it.
//
// TlsSettings speaks Kafka's key names (ssl.keystore.*, ssl.truststore.*, ssl.key.password,
// ssl.client.auth, ssl.enabled.protocols, ssl.cipher.suites,
// ssl.endpoint.identification.algorithm; KIP-651 for the PEM keystore) and, for Eddy's own CLI,
// librdkafka's (ssl.ca.location, ssl.certificate.location, ssl.key.location, ssl.key.password).
// Both end up as the same PEM "sources": a file path or inline PEM text for the private key, the
// certificate chain and the trusted certificates, or one PKCS#12 file.
//
// TlsContext owns the SSL_CTX. Certificate reload without restart: before a new connection is set
// up, for_new_connection() checks — at most once per `reload_check_interval` — whether any file
// the settings name has changed (modification time, size, inode: a rename over the file counts),
// and if so builds a fresh SSL_CTX from the files. Connections already open keep the SSL_CTX they
// started with (each SSL holds a reference), new ones get the new one. A reload that fails (a
// half-written file, a key that does not match the certificate) keeps the previous SSL_CTX and is
// reported once through take_reload_report(), so a bad rotation never takes a listener down.
//
// The files are read on the calling (reactor) thread: they are small local files, read at start
// and at most once per interval after a change.
//
// Invariant: current_ is never null after create().
#pragma once

#include <openssl/types.h>
#include <sys/types.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/base/result.h"
#include "core/base/time.h"

namespace eddy::tls {

enum class Role : uint8_t { server, client };
// ssl.client.auth: none = no client certificate asked for; requested = asked for, verified when
// sent, a client without one is accepted (no identity); required = a client without a trusted
// certificate fails the handshake.
enum class ClientAuth : uint8_t { none, requested, required };

// A PEM (or PKCS#12) input: a file, or inline text; both empty = not configured.
struct Source {
    std::string path;
    std::string text;
    bool empty() const { return path.empty() && text.empty(); }
};

struct TlsSettings {
    Source key;                // PEM private key (possibly encrypted with key_password)
    Source certificate_chain;  // PEM certificates, the leaf first
    std::string key_password;  // ssl.key.password
    Source pkcs12;             // ssl.keystore.type=PKCS12: key + chain in one file
    std::string pkcs12_password;
    Source trusted;         // PEM CA certificates; empty: the system's default CAs
    Source trusted_pkcs12;  // ssl.truststore.type=PKCS12
    std::string trusted_pkcs12_password;
    ClientAuth client_auth = ClientAuth::none;  // server side only
    bool tls12 = true;
    bool tls13 = true;
    std::vector<std::string> cipher_suites;  // IANA (Kafka) or OpenSSL names; empty: defaults
    // Client side: verify that the server's certificate names the host we connected to (a DNS or
    // IP subject alternative name); Kafka's ssl.endpoint.identification.algorithm=https.
    bool verify_hostname = true;
};

using Properties = std::map<std::string, std::string, std::less<>>;

// Kafka's broker keys (every key starts with "ssl."; keys this build does not know are
// ignored here — the config layer rejects them). Fails with one line naming the key.
Result<TlsSettings, std::string> settings_from_kafka(const Properties& ssl);
// librdkafka's client keys (ssl.ca.location, ssl.certificate.location, ssl.key.location,
// ssl.key.password, ssl.endpoint.identification.algorithm, ssl.cipher.suites). One line on error.
Result<TlsSettings, std::string> settings_from_librdkafka(const Properties& ssl);

class TlsContext {
public:
    struct Options {
        Duration reload_check_interval = Duration::seconds(1);
    };

    // Reads the files and builds the SSL_CTX; one line naming what is wrong on failure (a
    // missing file, a key that does not decrypt, a key that does not match the certificate, a
    // server without a certificate, an unknown cipher suite, JKS).
    static Result<std::shared_ptr<TlsContext>, std::string> create(Role role, TlsSettings settings,
                                                                   Options options);
    static Result<std::shared_ptr<TlsContext>, std::string> create(Role role,
                                                                   TlsSettings settings) {
        return create(role, std::move(settings), Options{});
    }
    ~TlsContext();
    TlsContext(const TlsContext&) = delete;
    TlsContext& operator=(const TlsContext&) = delete;

    // The SSL_CTX for a connection starting now, after the reload check described in the file
    // comment. The pointer stays valid until the next call (take a reference with SSL_new).
    // Does not suspend.
    SSL_CTX* for_new_connection(Instant now);
    // What the last reload did ("reloaded …" or "… kept the previous certificates: why"), once;
    // nullopt when there is nothing new to report.
    std::optional<std::string> take_reload_report();
    // How many times the SSL_CTX was rebuilt after create() (tests).
    uint64_t reloads() const { return reloads_; }
    Role role() const { return role_; }
    const TlsSettings& settings() const { return settings_; }
    // The subject (RFC 2253) of the certificate this context presents, if it has one: a
    // broker's own identity on a TLS listener it dials. Does not suspend.
    std::optional<std::string> certificate_subject() const;

private:
    struct FileStamp {
        std::string path;
        int64_t mtime_ns = 0;
        off_t size = 0;
        ino_t inode = 0;
        bool operator==(const FileStamp&) const = default;
    };
    TlsContext(Role role, TlsSettings settings, Options options);
    std::vector<FileStamp> stamps() const;

    Role role_;
    TlsSettings settings_;
    Options options_;
    SSL_CTX* current_ = nullptr;
    std::vector<FileStamp> stamps_;
    std::optional<Instant> checked_at_;
    std::optional<std::string> report_;
    uint64_t reloads_ = 0;
};

// Builds an SSL_CTX from settings (what create() and a reload run). Exposed for tests.
Result<SSL_CTX*, std::string> build_ssl_ctx(Role role, const TlsSettings& settings);

// The subject of a certificate as Kafka prints a principal's name: RFC 2253, most specific
// attribute first ("CN=alice,OU=eng,O=acme"), UTF-8 left as it is.
std::string subject_rfc2253(const X509* cert);
// OpenSSL's error queue as one line (emptied), or `fallback` when it is empty.
std::string openssl_errors(const char* fallback);

}  // namespace eddy::tls
