// SCRAM key derivation on libcrypto. See scram.h.
#include "services/security/scram.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace eddy::security {
namespace {

const EVP_MD* digest_of(ScramMechanism m) {
    switch (m) {
        case ScramMechanism::sha256:
            return EVP_sha256();
        case ScramMechanism::sha512:
            return EVP_sha512();
    }
    UNREACHABLE("ScramMechanism out of range");
}

const unsigned char* uchars(ByteSpan b) { return reinterpret_cast<const unsigned char*>(b.data()); }

int int_size(size_t n) {
    // Everything hashed here is bounded far below 2 GiB (SASL tokens, salts, passwords).
    ASSERT(n <= static_cast<size_t>(INT32_MAX), "crypto input beyond int range");
    return static_cast<int>(n);
}

}  // namespace

Bytes scram_hash(ScramMechanism m, ByteSpan data) {
    Bytes out(scram_digest_bytes(m));
    unsigned int n = 0;
    const int ok =
        EVP_Digest(data.data(), data.size(), reinterpret_cast<unsigned char*>(out.data()), &n,
                   digest_of(m), nullptr);
    // Only an allocation failure inside libcrypto can fail a digest of a fixed algorithm.
    ASSERT(ok == 1 && n == out.size(), "EVP_Digest failed");
    return out;
}

Bytes scram_hmac(ScramMechanism m, ByteSpan key, ByteSpan data) {
    Bytes out(scram_digest_bytes(m));
    unsigned int n = 0;
    const unsigned char* r = HMAC(digest_of(m), key.data(), int_size(key.size()), uchars(data),
                                  data.size(), reinterpret_cast<unsigned char*>(out.data()), &n);
    ASSERT(r != nullptr && n == out.size(), "HMAC failed");
    return out;
}

Bytes scram_salted_password(ScramMechanism m, std::string_view password, ByteSpan salt,
                            int32_t iterations) {
    ASSERT(iterations >= 1);
    Bytes out(scram_digest_bytes(m));
    const int ok = PKCS5_PBKDF2_HMAC(
        password.data(), int_size(password.size()), uchars(salt), int_size(salt.size()), iterations,
        digest_of(m), int_size(out.size()), reinterpret_cast<unsigned char*>(out.data()));
    ASSERT(ok == 1, "PKCS5_PBKDF2_HMAC failed");
    return out;
}

Bytes scram_client_key(ScramMechanism m, ByteSpan salted_password) {
    return scram_hmac(m, salted_password, as_bytes("Client Key"));
}

Bytes scram_server_key(ScramMechanism m, ByteSpan salted_password) {
    return scram_hmac(m, salted_password, as_bytes("Server Key"));
}

Bytes xor_bytes(ByteSpan a, ByteSpan b) {
    ASSERT(a.size() == b.size(), "xor of unequal lengths");
    Bytes out(a.size());
    for (size_t i = 0; i < a.size(); ++i) {
        out[i] = a[i] ^ b[i];
    }
    return out;
}

Result<ScramCredential, std::string> scram_credential_from_salted_password(ScramMechanism m,
                                                                           ByteSpan salted_password,
                                                                           ByteSpan salt,
                                                                           int32_t iterations) {
    if (salted_password.size() != scram_digest_bytes(m)) {
        return fail("salted password of " + std::to_string(salted_password.size()) + " bytes, " +
                    std::string(scram_mechanism_name(m)) + " needs " +
                    std::to_string(scram_digest_bytes(m)));
    }
    ScramCredential c;
    c.salt.assign(salt.begin(), salt.end());
    c.iterations = iterations;
    c.stored_key = scram_hash(m, scram_client_key(m, salted_password));
    c.server_key = scram_server_key(m, salted_password);
    TRY_VOID(validate_scram_credential(m, c));
    return c;
}

Result<ScramCredential, std::string> derive_scram_credential(ScramMechanism m,
                                                             std::string_view password,
                                                             ByteSpan salt, int32_t iterations) {
    // Bounds first: PBKDF2 with a hostile iteration count is the expensive part.
    ScramCredential bounds;
    bounds.salt.assign(salt.begin(), salt.end());
    bounds.iterations = iterations;
    bounds.stored_key.resize(scram_digest_bytes(m));
    bounds.server_key.resize(scram_digest_bytes(m));
    TRY_VOID(validate_scram_credential(m, bounds));
    const Bytes salted = scram_salted_password(m, password, salt, iterations);
    return scram_credential_from_salted_password(m, salted, salt, iterations);
}

}  // namespace eddy::security
