// TlsSettings parsing and the SSL_CTX builder. See tls_context.h.
#include "net-posix/tls_context.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <fstream>
#include <sstream>

#include "core/base/assert.h"

namespace eddy::tls {
namespace {

// The largest keystore or truststore file read: certificate files are a few kB; a bigger one is
// the wrong file, not a certificate.
constexpr size_t store_file_bytes_max = 4 * 1024 * 1024;
// session id context of the server: OpenSSL refuses to resume a session with a verified client
// certificate unless one is set.
constexpr unsigned char session_id_context[] = "eddy";

struct BioFree {
    void operator()(BIO* b) const { BIO_free(b); }
};
struct X509Free {
    void operator()(X509* x) const { X509_free(x); }
};
struct PkeyFree {
    void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct CtxFree {
    void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
};
struct P12Free {
    void operator()(PKCS12* p) const { PKCS12_free(p); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;
using X509Ptr = std::unique_ptr<X509, X509Free>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using CtxPtr = std::unique_ptr<SSL_CTX, CtxFree>;

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

std::vector<std::string> split_commas(std::string_view v) {
    std::vector<std::string> out;
    size_t start = 0;
    while (start <= v.size()) {
        size_t comma = v.find(',', start);
        if (comma == std::string_view::npos) {
            comma = v.size();
        }
        std::string item(v.substr(start, comma - start));
        item.erase(0, item.find_first_not_of(" \t"));
        item.erase(item.find_last_not_of(" \t") + 1);
        if (!item.empty()) {
            out.push_back(std::move(item));
        }
        start = comma + 1;
    }
    return out;
}

std::string get(const Properties& p, std::string_view key) {
    const auto it = p.find(key);
    return it == p.end() ? std::string() : it->second;
}

// Reads a whole (small) file. One line on failure.
Result<std::string, std::string> read_file(const std::string& path, const char* what) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return fail(std::string("cannot read ") + what + " '" + path +
                    "': " + std::strerror(errno));
    }
    std::ostringstream ss;
    ss << in.rdbuf();
    std::string text = std::move(ss).str();
    if (text.size() > store_file_bytes_max) {
        return fail(std::string(what) + " '" + path + "' is larger than 4 MiB");
    }
    return text;
}

Result<std::string, std::string> source_text(const Source& s, const char* what) {
    if (!s.path.empty()) {
        return read_file(s.path, what);
    }
    if (s.text.size() > store_file_bytes_max) {
        return fail(std::string("inline ") + what + " is larger than 4 MiB");
    }
    return s.text;
}

std::string source_name(const Source& s, const char* what) {
    return s.path.empty() ? std::string("inline ") + what : std::string(what) + " '" + s.path + "'";
}

bool looks_like_jks(const std::string& bytes) {
    return bytes.size() >= 4 && static_cast<unsigned char>(bytes[0]) == 0xfe &&
           static_cast<unsigned char>(bytes[1]) == 0xed &&
           static_cast<unsigned char>(bytes[2]) == 0xfe &&
           static_cast<unsigned char>(bytes[3]) == 0xed;
}

BioPtr memory_bio(const std::string& text) {
    ASSERT(text.size() <= store_file_bytes_max, "source_text() bounds what is parsed");
    return BioPtr(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

// The password callback: never the terminal prompt OpenSSL falls back to without one.
int password_cb(char* buf, int size, int /*rwflag*/, void* userdata) {
    const auto* password = static_cast<const std::string*>(userdata);
    if (password == nullptr || password->empty() || size <= 0) {
        return 0;
    }
    const size_t n = std::min(password->size(), static_cast<size_t>(size));
    std::memcpy(buf, password->data(), n);
    return static_cast<int>(n);
}

std::vector<X509Ptr> read_pem_certificates(const std::string& text) {
    std::vector<X509Ptr> out;
    BioPtr bio = memory_bio(text);
    for (;;) {
        X509* x = PEM_read_bio_X509(bio.get(), nullptr, password_cb, nullptr);
        if (x == nullptr) {
            break;
        }
        out.emplace_back(x);
    }
    ERR_clear_error();  // the end of the text reads as "no start line"
    return out;
}

struct Pkcs12Contents {
    PkeyPtr key;                 // null in a truststore
    std::vector<X509Ptr> certs;  // the key's certificate first, then the others
};

// Opens a PKCS#12 file (`what`: keystore or truststore, for the messages).
Result<Pkcs12Contents, std::string> read_pkcs12(const Source& file, const std::string& password,
                                                const std::string& what) {
    TRY_ASSIGN(const std::string der, source_text(file, what.c_str()));
    BioPtr bio = memory_bio(der);
    std::unique_ptr<PKCS12, P12Free> p12(d2i_PKCS12_bio(bio.get(), nullptr));
    if (!p12) {
        ERR_clear_error();
        return fail(source_name(file, what.c_str()) + " is not a PKCS#12 file" +
                    (looks_like_jks(der) ? " (it looks like JKS, which Eddy does not read: "
                                           "convert it with keytool -importkeystore "
                                           "-deststoretype PKCS12)"
                                         : ""));
    }
    EVP_PKEY* key = nullptr;
    X509* leaf = nullptr;
    STACK_OF(X509)* extra = nullptr;
    if (PKCS12_parse(p12.get(), password.c_str(), &key, &leaf, &extra) != 1) {
        return fail(source_name(file, what.c_str()) + ": cannot open it (wrong ssl." + what +
                    ".password?): " + openssl_errors("PKCS12_parse failed"));
    }
    Pkcs12Contents out;
    out.key.reset(key);
    if (leaf != nullptr) {
        out.certs.emplace_back(leaf);
    }
    while (extra != nullptr && sk_X509_num(extra) > 0) {
        out.certs.emplace_back(sk_X509_shift(extra));
    }
    sk_X509_free(extra);
    return out;
}

// Loads the private key and the certificate chain into ctx.
Result<void, std::string> load_identity(SSL_CTX* ctx, const TlsSettings& s) {
    PkeyPtr key;
    std::vector<X509Ptr> chain;
    if (!s.pkcs12.empty()) {
        TRY_ASSIGN(Pkcs12Contents p12, read_pkcs12(s.pkcs12, s.pkcs12_password, "keystore"));
        key = std::move(p12.key);
        chain = std::move(p12.certs);
    } else {
        TRY_ASSIGN(const std::string key_text, source_text(s.key, "keystore"));
        TRY_ASSIGN(const std::string chain_text, source_text(s.certificate_chain, "keystore"));
        BioPtr bio = memory_bio(key_text);
        key.reset(PEM_read_bio_PrivateKey(bio.get(), nullptr, password_cb,
                                          const_cast<std::string*>(&s.key_password)));
        if (!key) {
            std::string why = openssl_errors("no private key found");
            if (looks_like_jks(key_text)) {
                why = "it looks like a JKS keystore, which Eddy does not read (use PEM or PKCS12)";
            } else if (key_text.find("ENCRYPTED") != std::string::npos) {
                why = s.key_password.empty() ? "the key is encrypted: set ssl.key.password"
                                             : "wrong ssl.key.password (" + why + ")";
            }
            return fail("cannot read the private key from " + source_name(s.key, "keystore") +
                        ": " + why);
        }
        chain = read_pem_certificates(chain_text);
        if (chain.empty()) {
            return fail("no certificate in " + source_name(s.certificate_chain, "keystore"));
        }
    }
    if (!key) {
        return fail(std::string("the keystore holds no private key"));
    }
    if (chain.empty()) {
        return fail(std::string("the keystore holds no certificate"));
    }
    if (SSL_CTX_use_certificate(ctx, chain.front().get()) != 1) {
        return fail("cannot use the certificate: " + openssl_errors("rejected"));
    }
    for (size_t i = 1; i < chain.size(); ++i) {
        // add1: the SSL_CTX takes its own reference.
        if (SSL_CTX_add1_chain_cert(ctx, chain[i].get()) != 1) {
            return fail("cannot use the certificate chain: " + openssl_errors("rejected"));
        }
    }
    if (SSL_CTX_use_PrivateKey(ctx, key.get()) != 1 || SSL_CTX_check_private_key(ctx) != 1) {
        return fail("the private key does not match the certificate: " +
                    openssl_errors("mismatch"));
    }
    return {};
}

Result<void, std::string> load_trust(SSL_CTX* ctx, const TlsSettings& s) {
    std::vector<X509Ptr> cas;
    if (!s.trusted_pkcs12.empty()) {
        TRY_ASSIGN(Pkcs12Contents p12,
                   read_pkcs12(s.trusted_pkcs12, s.trusted_pkcs12_password, "truststore"));
        cas = std::move(p12.certs);
    } else if (!s.trusted.empty()) {
        TRY_ASSIGN(const std::string text, source_text(s.trusted, "truststore"));
        cas = read_pem_certificates(text);
    } else {
        // No truststore: the system's CAs, as librdkafka and the JVM do.
        if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
            return fail("cannot load the system's CA certificates: " + openssl_errors("failed"));
        }
        return {};
    }
    if (cas.empty()) {
        return fail("no certificate in " + source_name(s.trusted, "truststore"));
    }
    X509_STORE* store = SSL_CTX_get_cert_store(ctx);
    for (const auto& ca : cas) {
        if (X509_STORE_add_cert(store, ca.get()) != 1) {
            ERR_clear_error();  // the same CA twice is not an error worth refusing
        }
        // The CA names a server sends in its CertificateRequest (which client cert to pick).
        (void)SSL_CTX_add_client_CA(ctx, ca.get());
    }
    return {};
}

bool is_tls13_suite(const std::string& name) {
    return name.rfind("TLS_AES_", 0) == 0 || name.rfind("TLS_CHACHA20_", 0) == 0;
}

Result<void, std::string> set_ciphers(SSL_CTX* ctx, const std::vector<std::string>& suites) {
    std::string v12;
    std::string v13;
    for (const auto& name : suites) {
        if (is_tls13_suite(name)) {
            v13 += (v13.empty() ? "" : ":") + name;
            continue;
        }
        // Kafka users write the IANA names Java uses (TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256);
        // OpenSSL knows its own (ECDHE-RSA-AES128-GCM-SHA256). Accept both.
        const char* openssl_name = OPENSSL_cipher_name(name.c_str());
        const std::string n = openssl_name != nullptr && std::strcmp(openssl_name, "(NONE)") != 0
                                  ? openssl_name
                                  : name;
        v12 += (v12.empty() ? "" : ":") + n;
    }
    if (!v12.empty() && SSL_CTX_set_cipher_list(ctx, v12.c_str()) != 1) {
        return fail("ssl.cipher.suites: no known TLSv1.2 cipher suite in '" + v12 + "'");
    }
    if (!v13.empty() && SSL_CTX_set_ciphersuites(ctx, v13.c_str()) != 1) {
        return fail("ssl.cipher.suites: unknown TLSv1.3 cipher suite in '" + v13 + "'");
    }
    ERR_clear_error();
    return {};
}

Result<ClientAuth, std::string> parse_client_auth(const std::string& v) {
    const std::string l = lower(v);
    if (l.empty() || l == "none") {
        return ClientAuth::none;
    }
    if (l == "requested") {
        return ClientAuth::requested;
    }
    if (l == "required") {
        return ClientAuth::required;
    }
    return fail("ssl.client.auth: expected none, requested or required, got '" + v + "'");
}

Result<void, std::string> parse_protocols(const std::string& v, TlsSettings& s) {
    if (v.empty()) {
        return {};
    }
    s.tls12 = false;
    s.tls13 = false;
    for (const auto& p : split_commas(v)) {
        if (p == "TLSv1.2") {
            s.tls12 = true;
        } else if (p == "TLSv1.3") {
            s.tls13 = true;
        } else if (p == "TLSv1" || p == "TLSv1.1") {
            // Kafka still accepts these; they are broken and OpenSSL 3 refuses them at its
            // default security level. Skip them rather than fail a config that also lists 1.2.
        } else {
            return fail("ssl.enabled.protocols: unknown protocol '" + p + "' (TLSv1.2, TLSv1.3)");
        }
    }
    if (!s.tls12 && !s.tls13) {
        return fail("ssl.enabled.protocols: none of TLSv1.2, TLSv1.3 in '" + v + "'");
    }
    return {};
}

// ssl.<store>.type, lower-cased: "pem" (also when unset) or "pkcs12"; JKS is refused with the
// way out.
Result<std::string, std::string> store_type(const Properties& p, const std::string& store) {
    const std::string key = "ssl." + store + ".type";
    const std::string type = lower(get(p, key));
    if (type == "jks") {
        return fail(key + "=JKS is not supported: use PEM or PKCS12 (keytool -importkeystore " +
                    "-deststoretype PKCS12 converts a JKS " + store + ")");
    }
    if (!type.empty() && type != "pem" && type != "pkcs12") {
        return fail(key + ": expected PEM or PKCS12, got '" + get(p, key) + "'");
    }
    return type.empty() ? std::string("pem") : type;
}

// A PKCS12 store: ssl.<store>.location (required) and ssl.<store>.password.
Result<void, std::string> pkcs12_store(const Properties& p, const std::string& store, Source& file,
                                       std::string& password) {
    file.path = get(p, "ssl." + store + ".location");
    if (file.path.empty()) {
        return fail("ssl." + store + ".type=PKCS12 needs ssl." + store + ".location");
    }
    password = get(p, "ssl." + store + ".password");
    return {};
}

Result<bool, std::string> parse_identification(const std::string& v) {
    const std::string l = lower(v);
    if (l.empty() || l == "none") {
        return false;
    }
    if (l == "https") {
        return true;
    }
    return fail("ssl.endpoint.identification.algorithm: expected https or empty, got '" + v + "'");
}

}  // namespace

std::string openssl_errors(const char* fallback) {
    std::string out;
    unsigned long e = 0;
    while ((e = ERR_get_error()) != 0) {
        char buf[256];
        ERR_error_string_n(e, buf, sizeof buf);
        // "error:0A000086:SSL routines::certificate verify failed" → the reason after the last ':'.
        const char* reason = std::strrchr(buf, ':');
        out += (out.empty() ? "" : "; ") + std::string(reason != nullptr ? reason + 1 : buf);
    }
    return out.empty() ? std::string(fallback) : out;
}

std::optional<std::string> TlsContext::certificate_subject() const {
    const X509* cert = SSL_CTX_get0_certificate(current_);
    if (cert == nullptr) {
        return std::nullopt;
    }
    return subject_rfc2253(cert);
}

std::string subject_rfc2253(const X509* cert) {
    ASSERT(cert != nullptr);
    BioPtr bio(BIO_new(BIO_s_mem()));
    // RFC 2253 reverses the DER order (CN first), as Java's X500Principal.getName() does;
    // without ESC_MSB so that UTF-8 names stay readable, as Java prints them.
    constexpr unsigned long flags =
        XN_FLAG_RFC2253 & ~static_cast<unsigned long>(ASN1_STRFLGS_ESC_MSB);
    if (X509_NAME_print_ex(bio.get(), X509_get_subject_name(cert), 0, flags) < 0) {
        ERR_clear_error();
        return "";
    }
    char* data = nullptr;
    const long n = BIO_get_mem_data(bio.get(), &data);
    return n > 0 ? std::string(data, static_cast<size_t>(n)) : std::string();
}

Result<TlsSettings, std::string> settings_from_kafka(const Properties& p) {
    TlsSettings s;
    // The keystore: a PKCS12 file, one PEM file (key and chain), or the two inline PEM values.
    TRY_ASSIGN(const std::string ks_type, store_type(p, "keystore"));
    const std::string location = get(p, "ssl.keystore.location");
    const std::string inline_key = get(p, "ssl.keystore.key");
    const std::string inline_chain = get(p, "ssl.keystore.certificate.chain");
    if (!location.empty() && (!inline_key.empty() || !inline_chain.empty())) {
        return fail(std::string(
            "ssl.keystore.location and ssl.keystore.key/ssl.keystore.certificate.chain are "
            "exclusive: set one"));
    }
    if (inline_key.empty() != inline_chain.empty()) {
        return fail(std::string(
            "ssl.keystore.key and ssl.keystore.certificate.chain go together: set both"));
    }
    if (ks_type == "pkcs12") {
        TRY_VOID(pkcs12_store(p, "keystore", s.pkcs12, s.pkcs12_password));
    } else if (!location.empty()) {
        s.key.path = location;  // one PEM file: the private key and the certificate chain
        s.certificate_chain.path = location;
    } else {
        s.key.text = inline_key;
        s.certificate_chain.text = inline_chain;
    }
    s.key_password = get(p, "ssl.key.password");

    // The truststore: a PKCS12 file, a PEM file, or inline PEM certificates.
    TRY_ASSIGN(const std::string ts_type, store_type(p, "truststore"));
    const std::string ts_location = get(p, "ssl.truststore.location");
    if (!ts_location.empty() && !get(p, "ssl.truststore.certificates").empty()) {
        return fail(std::string(
            "ssl.truststore.location and ssl.truststore.certificates are exclusive: set one"));
    }
    if (ts_type == "pkcs12") {
        TRY_VOID(pkcs12_store(p, "truststore", s.trusted_pkcs12, s.trusted_pkcs12_password));
    } else if (!ts_location.empty()) {
        s.trusted.path = ts_location;
    } else {
        s.trusted.text = get(p, "ssl.truststore.certificates");
    }
    TRY_ASSIGN(s.client_auth, parse_client_auth(get(p, "ssl.client.auth")));
    TRY_VOID(parse_protocols(get(p, "ssl.enabled.protocols"), s));
    s.cipher_suites = split_commas(get(p, "ssl.cipher.suites"));
    if (p.contains("ssl.endpoint.identification.algorithm")) {
        TRY_ASSIGN(s.verify_hostname,
                   parse_identification(get(p, "ssl.endpoint.identification.algorithm")));
    }
    return s;
}

Result<TlsSettings, std::string> settings_from_librdkafka(const Properties& p) {
    TlsSettings s;
    const std::string cert = get(p, "ssl.certificate.location");
    const std::string key = get(p, "ssl.key.location");
    if (cert.empty() != key.empty()) {
        return fail(std::string("ssl.certificate.location and ssl.key.location go together"));
    }
    s.certificate_chain.path = cert;
    s.key.path = key;
    s.key_password = get(p, "ssl.key.password");
    s.trusted.path = get(p, "ssl.ca.location");
    s.cipher_suites = split_commas(get(p, "ssl.cipher.suites"));
    if (p.contains("ssl.endpoint.identification.algorithm")) {
        TRY_ASSIGN(s.verify_hostname,
                   parse_identification(get(p, "ssl.endpoint.identification.algorithm")));
    }
    return s;
}

Result<SSL_CTX*, std::string> build_ssl_ctx(Role role, const TlsSettings& s) {
    ERR_clear_error();
    CtxPtr ctx(SSL_CTX_new(role == Role::server ? TLS_server_method() : TLS_client_method()));
    if (!ctx) {
        return fail("cannot create a TLS context: " + openssl_errors("SSL_CTX_new failed"));
    }
    ASSERT(s.tls12 || s.tls13, "no TLS version enabled");
    SSL_CTX_set_min_proto_version(ctx.get(), s.tls12 ? TLS1_2_VERSION : TLS1_3_VERSION);
    SSL_CTX_set_max_proto_version(ctx.get(), s.tls13 ? TLS1_3_VERSION : TLS1_2_VERSION);
    // Renegotiation is a TLS 1.2 feature nobody needs here and a known attack surface.
    SSL_CTX_set_options(ctx.get(), SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
    // Writes may complete in parts and be retried from a moved buffer (TlsConnection encrypts
    // into a memory BIO and never needs either, but both make OpenSSL's contract the simple one).
    SSL_CTX_set_mode(ctx.get(),
                     SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    TRY_VOID(set_ciphers(ctx.get(), s.cipher_suites));
    const bool has_identity = !s.pkcs12.empty() || !s.key.empty();
    if (has_identity) {
        TRY_VOID(load_identity(ctx.get(), s));
    } else if (role == Role::server) {
        return fail(std::string(
            "a TLS listener needs a certificate: set ssl.keystore.location (or ssl.keystore.key "
            "and ssl.keystore.certificate.chain)"));
    }
    TRY_VOID(load_trust(ctx.get(), s));
    if (role == Role::server) {
        int mode = SSL_VERIFY_NONE;
        if (s.client_auth == ClientAuth::requested) {
            mode = SSL_VERIFY_PEER;
        } else if (s.client_auth == ClientAuth::required) {
            mode = SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
        }
        SSL_CTX_set_verify(ctx.get(), mode, nullptr);
        SSL_CTX_set_session_id_context(ctx.get(), session_id_context,
                                       sizeof session_id_context - 1);
    } else {
        SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
    }
    return ctx.release();
}

// --- TlsContext ---

TlsContext::TlsContext(Role role, TlsSettings settings, Options options)
    : role_(role), settings_(std::move(settings)), options_(options) {}

TlsContext::~TlsContext() { SSL_CTX_free(current_); }

Result<std::shared_ptr<TlsContext>, std::string> TlsContext::create(Role role, TlsSettings settings,
                                                                    Options options) {
    std::shared_ptr<TlsContext> c(new TlsContext(role, std::move(settings), options));
    // Stamps first: a file replaced while we read it is then read again at the next check.
    c->stamps_ = c->stamps();
    TRY_ASSIGN(c->current_, build_ssl_ctx(role, c->settings_));
    return c;
}

std::vector<TlsContext::FileStamp> TlsContext::stamps() const {
    std::vector<FileStamp> out;
    for (const Source* s : {&settings_.key, &settings_.certificate_chain, &settings_.pkcs12,
                            &settings_.trusted, &settings_.trusted_pkcs12}) {
        if (s->path.empty()) {
            continue;
        }
        FileStamp st;
        st.path = s->path;
        struct stat sb {};
        if (::stat(s->path.c_str(), &sb) == 0) {
            st.mtime_ns = static_cast<int64_t>(sb.st_mtim.tv_sec) * 1'000'000'000 +
                          static_cast<int64_t>(sb.st_mtim.tv_nsec);
            st.size = sb.st_size;
            st.inode = sb.st_ino;
        }
        out.push_back(std::move(st));
    }
    return out;
}

SSL_CTX* TlsContext::for_new_connection(Instant now) {
    ASSERT(current_ != nullptr);
    if (checked_at_.has_value() && now < *checked_at_ + options_.reload_check_interval) {
        return current_;
    }
    checked_at_ = now;
    auto fresh = stamps();
    if (fresh == stamps_) {
        return current_;
    }
    stamps_ = std::move(fresh);
    auto built = build_ssl_ctx(role_, settings_);
    if (!built.ok()) {
        report_ = "certificate files changed but cannot be loaded, kept the previous ones: " +
                  built.error();
        return current_;
    }
    SSL_CTX_free(current_);  // connections that use it hold their own reference
    current_ = built.value();
    ++reloads_;
    report_ = "reloaded the TLS certificates (the keystore or truststore files changed)";
    return current_;
}

std::optional<std::string> TlsContext::take_reload_report() {
    auto r = std::move(report_);
    report_.reset();
    return r;
}

}  // namespace eddy::tls
