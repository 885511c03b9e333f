// A tiny PKI for the TLS tests, made at test time with OpenSSL's API (no key or certificate is
// checked in): a CA, and leaf certificates it signs with a chosen subject and subject alternative
// names, as PEM text (the key optionally encrypted).
#pragma once

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace eddy::tls_test {

struct Issued {
    std::shared_ptr<EVP_PKEY> key;
    std::shared_ptr<X509> cert;
    std::string key_pem;
    std::string cert_pem;
};

struct Subject {
    std::vector<std::pair<std::string, std::string>> entries;  // in DER order (O, OU, CN)
};

inline std::string bio_text(BIO* bio) {
    char* data = nullptr;
    const long n = BIO_get_mem_data(bio, &data);
    std::string out(data, static_cast<size_t>(n));
    BIO_free(bio);
    return out;
}

inline void add_ext(X509* cert, X509V3_CTX* ctx, int nid, const std::string& value) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, ctx, nid, value.c_str());
    if (ext != nullptr) {
        X509_add_ext(cert, ext, -1);
        X509_EXTENSION_free(ext);
    }
}

// Issues a certificate for `subject`, signed by `issuer` (self-signed CA when null). `san` as in
// openssl.cnf ("IP:127.0.0.1,DNS:localhost"), empty for none. With a password the key PEM is
// PKCS#8, encrypted with AES-256.
inline Issued issue(const Subject& subject, const Issued* issuer, const std::string& san = "",
                    const std::string& password = "", long serial = 1) {
    Issued out;
    out.key.reset(EVP_EC_gen("P-256"), EVP_PKEY_free);
    out.cert.reset(X509_new(), X509_free);
    X509* x = out.cert.get();
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
    X509_gmtime_adj(X509_getm_notBefore(x), -3600);
    X509_gmtime_adj(X509_getm_notAfter(x), 24 * 3600);
    X509_set_pubkey(x, out.key.get());
    X509_NAME* name = X509_get_subject_name(x);
    for (const auto& e : subject.entries) {
        X509_NAME_add_entry_by_txt(name, e.first.c_str(), MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>(e.second.c_str()), -1, -1,
                                   0);
    }
    X509_set_issuer_name(x, issuer != nullptr ? X509_get_subject_name(issuer->cert.get()) : name);
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer != nullptr ? issuer->cert.get() : x, x, nullptr, nullptr, 0);
    const bool ca = issuer == nullptr;
    add_ext(x, &ctx, NID_basic_constraints, ca ? "critical,CA:TRUE" : "CA:FALSE");
    add_ext(x, &ctx, NID_subject_key_identifier, "hash");
    if (ca) {
        add_ext(x, &ctx, NID_key_usage, "critical,keyCertSign,cRLSign");
    } else {
        add_ext(x, &ctx, NID_authority_key_identifier, "keyid:always");
        add_ext(x, &ctx, NID_key_usage, "critical,digitalSignature,keyEncipherment");
    }
    if (!san.empty()) {
        add_ext(x, &ctx, NID_subject_alt_name, san);
    }
    X509_sign(x, issuer != nullptr ? issuer->key.get() : out.key.get(), EVP_sha256());

    BIO* kb = BIO_new(BIO_s_mem());
    if (password.empty()) {
        PEM_write_bio_PrivateKey(kb, out.key.get(), nullptr, nullptr, 0, nullptr, nullptr);
    } else {
        PEM_write_bio_PKCS8PrivateKey(kb, out.key.get(), EVP_aes_256_cbc(), nullptr, 0, nullptr,
                                      const_cast<char*>(password.c_str()));
    }
    out.key_pem = bio_text(kb);
    BIO* cb = BIO_new(BIO_s_mem());
    PEM_write_bio_X509(cb, x);
    out.cert_pem = bio_text(cb);
    return out;
}

inline Subject cn(const std::string& common_name) { return Subject{{{"CN", common_name}}}; }

}  // namespace eddy::tls_test
