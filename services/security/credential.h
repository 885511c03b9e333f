// SCRAM credentials as the broker stores them, and the lookup interface the SASL layer reads them
// through. A credential is what RFC 5802 §3 lets a server keep instead of the password: the salt,
// the iteration count, StoredKey = H(ClientKey) and ServerKey. Knowing it does not let anyone log
// in as the user (the proof needs ClientKey), though it does let someone impersonate the server.
//
// The store is abstract so that the controller's metadata image (UserScramCredentialRecord,
// KIP-554) can back it later; InMemoryScramCredentialStore serves tests, the simulator and static
// configs. Lookups never suspend.
//
// Credentials come from metadata written by peers or from files, so nothing here trusts them:
// validate_scram_credential() reports a malformed one as an error, never an ASSERT.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "core/base/bytes.h"
#include "core/base/result.h"

namespace eddy::security {

namespace limits {
// Kafka accepts SCRAM credentials with 4096..16384 iterations (ScramMechanism's minIterations,
// and the upper bound kafka-configs enforces): fewer is too cheap to brute-force, more lets a
// credential (or a hostile server, for the client side) make every login burn CPU.
inline constexpr int32_t scram_iterations_min = 4096;
inline constexpr int32_t scram_iterations_max = 16384;
// Salts Eddy generates; credentials written by other tools may carry other (non-empty) lengths.
inline constexpr size_t scram_salt_bytes = 32;
inline constexpr size_t scram_salt_bytes_max = 1024;
}  // namespace limits

enum class ScramMechanism : uint8_t { sha256, sha512 };

// "SCRAM-SHA-256" / "SCRAM-SHA-512", the IANA names Kafka uses in sasl.enabled.mechanisms.
std::string_view scram_mechanism_name(ScramMechanism m);
std::optional<ScramMechanism> parse_scram_mechanism(std::string_view name);
// Output size of the mechanism's hash: the length of StoredKey, ServerKey, proofs, signatures.
size_t scram_digest_bytes(ScramMechanism m);

struct ScramCredential {
    Bytes salt;
    Bytes stored_key;
    Bytes server_key;
    int32_t iterations = 0;

    bool operator==(const ScramCredential&) const = default;
};

// Why a credential cannot be used (salt empty or too long, key sizes not the digest size,
// iterations out of bounds), or ok.
Result<void, std::string> validate_scram_credential(ScramMechanism m, const ScramCredential& c);

class ScramCredentialStore {
public:
    virtual ~ScramCredentialStore() = default;
    // The credential of `user` for `mechanism`, or nullopt when the user has none for it. Does
    // not suspend.
    virtual std::optional<ScramCredential> find(std::string_view user,
                                                ScramMechanism mechanism) const = 0;
};

// A map-backed store (ordered, so iteration never depends on hashing).
class InMemoryScramCredentialStore final : public ScramCredentialStore {
public:
    // Replaces any credential the user had for this mechanism. The credential must be valid
    // (callers validate input first): an invalid one here is a programmer error.
    void put(std::string user, ScramMechanism mechanism, ScramCredential credential);
    void remove(std::string_view user, ScramMechanism mechanism);
    std::optional<ScramCredential> find(std::string_view user,
                                        ScramMechanism mechanism) const override;
    size_t size() const { return credentials_.size(); }

private:
    std::map<std::pair<std::string, ScramMechanism>, ScramCredential, std::less<>> credentials_;
};

// Equality of two byte strings in time that depends only on their lengths (CRYPTO_memcmp), for
// proofs, signatures and password digests. Different lengths compare unequal at once: callers
// compare fixed-size digests so the length says nothing secret.
bool constant_time_equal(ByteSpan a, ByteSpan b);

}  // namespace eddy::security
