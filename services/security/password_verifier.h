// PasswordVerifier: checks a user's password against the SCRAM credentials the cluster stores
// (credential.h), for logins that carry the password itself — the admin API's HTTP Basic
// authentication. The check is RFC 5802's own: SaltedPassword = PBKDF2(password, stored salt,
// stored iterations), StoredKey = H(HMAC(SaltedPassword, "Client Key")), compared with the stored
// StoredKey in constant time. A user may hold a SCRAM-SHA-512 and a SCRAM-SHA-256 credential; the
// password is accepted if it matches either.
//
// PBKDF2 is deliberately slow (4096..16384 iterations, milliseconds of the reactor's time), and a
// monitoring system sends the same credentials every few seconds, so:
//  - a successful check is cached for `cache_ttl`: (user, mechanism) → the credential it matched
//    (salt, iterations, StoredKey) and a fast verifier of the password, HMAC-SHA-256 keyed with
//    that StoredKey. A later check with the same password costs one HMAC; a changed or deleted
//    credential no longer matches the entry, so a new password takes effect at once. At most
//    cache_max entries (expired ones go first, then all).
//  - checks that miss the cache draw from a token bucket (derivations_per_second, at most `burst`
//    saved): when it is empty the answer is `throttled` without any PBKDF2, so clients sending
//    wrong or random passwords cannot take more than that share of the CPU. Each PBKDF2 run takes
//    one token (the bucket may go below zero by the second credential of one user).
//  - an unknown user costs one PBKDF2 as well (on a credential derived from nothing secret), so
//    the time taken does not tell which users exist beyond what the iteration count shows.
// The fast verifier in memory lets whoever can read the process's memory test guesses quickly;
// whoever can read it can read the StoredKeys too, which allow impersonating the server anyway.
//
// Deterministic (time is an argument), does no I/O and never suspends.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/base/bytes.h"
#include "core/base/time.h"
#include "core/base/token_bucket.h"
#include "services/security/credential.h"

namespace eddy::security {

struct PasswordVerifierOptions {
    double derivations_per_second = 20;
    double burst = 40;
    Duration cache_ttl = Duration::minutes(10);
    size_t cache_max = 1024;
};

enum class PasswordCheck : uint8_t {
    accepted,
    rejected,   // unknown user or wrong password
    throttled,  // not checked: too many checks missed the cache lately; try again later
};

class PasswordVerifier {
public:
    explicit PasswordVerifier(PasswordVerifierOptions options = {});

    // Whether `password` is `user`'s (see the file comment). Does not suspend.
    PasswordCheck verify(const ScramCredentialStore& store, std::string_view user,
                         std::string_view password, Instant now);

    // PBKDF2 runs so far, and the cache's size (tests, metrics).
    uint64_t derivations() const { return derivations_; }
    size_t cached() const { return cache_.size(); }

private:
    struct Entry {
        Bytes salt;
        int32_t iterations = 0;
        Bytes stored_key;
        Bytes password_check;  // HMAC-SHA-256(stored_key, password)
        Instant expires;
    };
    using Key = std::pair<std::string, ScramMechanism>;

    bool cache_hit(const Key& key, const ScramCredential& c, std::string_view password,
                   Instant now) const;
    void remember(Key key, const ScramCredential& c, std::string_view password, Instant now);
    // Refills the bucket; true (and a token taken) when a derivation may run now.
    bool take_token(Instant now);
    // RFC 5802's check, one PBKDF2 run.
    bool matches(ScramMechanism m, const ScramCredential& c, std::string_view password);

    PasswordVerifierOptions options_;
    std::map<Key, Entry, std::less<>> cache_;
    std::optional<TokenBucket> bucket_;  // made at the first check, on its clock
    uint64_t derivations_ = 0;
};

}  // namespace eddy::security
