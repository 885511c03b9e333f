// SCRAM credential validation, the in-memory store, constant-time comparison. See credential.h.
#include "services/security/credential.h"

#include <openssl/crypto.h>

namespace eddy::security {

std::string_view scram_mechanism_name(ScramMechanism m) {
    switch (m) {
        case ScramMechanism::sha256:
            return "SCRAM-SHA-256";
        case ScramMechanism::sha512:
            return "SCRAM-SHA-512";
    }
    UNREACHABLE("ScramMechanism out of range");
}

std::optional<ScramMechanism> parse_scram_mechanism(std::string_view name) {
    // Mechanism names are case-sensitive in Kafka (ScramMechanism.forMechanismName).
    for (const ScramMechanism m : {ScramMechanism::sha256, ScramMechanism::sha512}) {
        if (name == scram_mechanism_name(m)) {
            return m;
        }
    }
    return std::nullopt;
}

size_t scram_digest_bytes(ScramMechanism m) {
    switch (m) {
        case ScramMechanism::sha256:
            return 32;
        case ScramMechanism::sha512:
            return 64;
    }
    UNREACHABLE("ScramMechanism out of range");
}

Result<void, std::string> validate_scram_credential(ScramMechanism m, const ScramCredential& c) {
    if (c.salt.empty() || c.salt.size() > limits::scram_salt_bytes_max) {
        return fail("salt of " + std::to_string(c.salt.size()) + " bytes (must be 1.." +
                    std::to_string(limits::scram_salt_bytes_max) + ")");
    }
    const size_t digest = scram_digest_bytes(m);
    if (c.stored_key.size() != digest || c.server_key.size() != digest) {
        return fail("stored/server key of " + std::to_string(c.stored_key.size()) + "/" +
                    std::to_string(c.server_key.size()) + " bytes, " +
                    std::string(scram_mechanism_name(m)) + " needs " + std::to_string(digest));
    }
    if (c.iterations < limits::scram_iterations_min ||
        c.iterations > limits::scram_iterations_max) {
        return fail("iterations " + std::to_string(c.iterations) + " outside " +
                    std::to_string(limits::scram_iterations_min) + ".." +
                    std::to_string(limits::scram_iterations_max));
    }
    return {};
}

void InMemoryScramCredentialStore::put(std::string user, ScramMechanism mechanism,
                                       ScramCredential credential) {
    ASSERT(validate_scram_credential(mechanism, credential).ok(), "validate before storing");
    ASSERT(!user.empty(), "a SCRAM user has a name");
    credentials_.insert_or_assign(std::pair{std::move(user), mechanism}, std::move(credential));
}

void InMemoryScramCredentialStore::remove(std::string_view user, ScramMechanism mechanism) {
    credentials_.erase(std::pair{std::string(user), mechanism});
}

std::optional<ScramCredential> InMemoryScramCredentialStore::find(std::string_view user,
                                                                  ScramMechanism mechanism) const {
    auto it = credentials_.find(std::pair{std::string(user), mechanism});
    if (it == credentials_.end()) {
        return std::nullopt;
    }
    return it->second;
}

bool constant_time_equal(ByteSpan a, ByteSpan b) {
    if (a.size() != b.size()) {
        return false;
    }
    return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace eddy::security
