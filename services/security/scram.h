// SCRAM's key derivation (RFC 5802 §3) for SHA-256 (RFC 7677) and SHA-512, on OpenSSL's libcrypto
// (PKCS5_PBKDF2_HMAC, HMAC, EVP digests): pure computation, deterministic, no I/O, so services/ may
// use it. The salt and the nonces are inputs: randomness comes from the caller's SaslRandom.
//
//   SaltedPassword = PBKDF2-HMAC-H(password, salt, iterations)     (RFC 5802 "Hi")
//   ClientKey      = HMAC(SaltedPassword, "Client Key")
//   StoredKey      = H(ClientKey)
//   ServerKey      = HMAC(SaltedPassword, "Server Key")
//   ClientSignature = HMAC(StoredKey, AuthMessage);  ClientProof = ClientKey XOR ClientSignature
//   ServerSignature = HMAC(ServerKey, AuthMessage)
//
// Passwords are used as their UTF-8 bytes without SASLprep, as Kafka does.
#pragma once

#include <string>
#include <string_view>

#include "core/base/bytes.h"
#include "core/base/result.h"
#include "services/security/credential.h"

namespace eddy::security {

Bytes scram_hash(ScramMechanism m, ByteSpan data);
Bytes scram_hmac(ScramMechanism m, ByteSpan key, ByteSpan data);
// PBKDF2; iterations >= 1 (callers enforce the SCRAM bounds first).
Bytes scram_salted_password(ScramMechanism m, std::string_view password, ByteSpan salt,
                            int32_t iterations);
Bytes scram_client_key(ScramMechanism m, ByteSpan salted_password);
Bytes scram_server_key(ScramMechanism m, ByteSpan salted_password);
// a XOR b, equal sizes.
Bytes xor_bytes(ByteSpan a, ByteSpan b);

// The credential a server stores for `password`: an error (one line) when the salt is empty or
// too long or the iterations fall outside limits::scram_iterations_min..max.
Result<ScramCredential, std::string> derive_scram_credential(ScramMechanism m,
                                                             std::string_view password,
                                                             ByteSpan salt, int32_t iterations);

// The same from a SaltedPassword the client computed, as AlterUserScramCredentials carries it
// (KIP-554: the password itself never reaches the broker). An error also when the salted password
// is not of the digest's size.
Result<ScramCredential, std::string> scram_credential_from_salted_password(ScramMechanism m,
                                                                           ByteSpan salted_password,
                                                                           ByteSpan salt,
                                                                           int32_t iterations);

}  // namespace eddy::security
