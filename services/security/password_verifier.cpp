#include "services/security/password_verifier.h"

#include <algorithm>

#include "core/base/assert.h"
#include "services/security/scram.h"

namespace eddy::security {

namespace {

constexpr ScramMechanism mechanisms[] = {ScramMechanism::sha512, ScramMechanism::sha256};

Bytes password_check(ByteSpan stored_key, std::string_view password) {
    return scram_hmac(ScramMechanism::sha256, stored_key, as_bytes(password));
}

}  // namespace

PasswordVerifier::PasswordVerifier(PasswordVerifierOptions options)
    : options_(options) {
    ASSERT(options_.derivations_per_second > 0 && options_.burst >= 1);
    ASSERT(options_.cache_max > 0);
}

PasswordCheck PasswordVerifier::verify(const ScramCredentialStore& store, std::string_view user,
                                       std::string_view password, Instant now) {
    // The user's credentials that can be checked at all (a malformed one from the metadata log
    // would make PBKDF2 misbehave, so it counts as absent).
    std::vector<std::pair<ScramMechanism, ScramCredential>> credentials;
    for (const ScramMechanism m : mechanisms) {
        auto c = store.find(user, m);
        if (c && validate_scram_credential(m, *c).ok()) {
            credentials.emplace_back(m, std::move(*c));
        }
    }
    for (const auto& [m, c] : credentials) {
        if (cache_hit(Key(std::string(user), m), c, password, now)) {
            return PasswordCheck::accepted;
        }
    }
    if (!take_token(now)) {
        return PasswordCheck::throttled;
    }
    if (credentials.empty()) {
        // As long as a wrong password of a user with a SHA-512 credential at the minimum count.
        ScramCredential fake;
        fake.salt = to_bytes("eddy: no such user");
        fake.iterations = limits::scram_iterations_min;
        fake.stored_key = Bytes(scram_digest_bytes(ScramMechanism::sha512));
        (void)matches(ScramMechanism::sha512, fake, password);
        return PasswordCheck::rejected;
    }
    bool first = true;
    for (const auto& [m, c] : credentials) {
        if (!first) {
            bucket_->take(1, now);  // the bucket lends the second derivation (file comment)
        }
        first = false;
        if (matches(m, c, password)) {
            remember(Key(std::string(user), m), c, password, now);
            return PasswordCheck::accepted;
        }
    }
    return PasswordCheck::rejected;
}

bool PasswordVerifier::cache_hit(const Key& key, const ScramCredential& c,
                                 std::string_view password, Instant now) const {
    const auto it = cache_.find(key);
    if (it == cache_.end() || now >= it->second.expires) {
        return false;
    }
    const Entry& e = it->second;
    if (e.iterations != c.iterations || e.salt != c.salt || e.stored_key != c.stored_key) {
        return false;  // the credential changed since: this entry vouches for nothing
    }
    return constant_time_equal(e.password_check, password_check(c.stored_key, password));
}

void PasswordVerifier::remember(Key key, const ScramCredential& c, std::string_view password,
                                Instant now) {
    if (cache_.size() >= options_.cache_max && !cache_.contains(key)) {
        std::erase_if(cache_, [now](const auto& kv) { return now >= kv.second.expires; });
        if (cache_.size() >= options_.cache_max) {
            cache_.clear();
        }
    }
    cache_[std::move(key)] = Entry{c.salt, c.iterations, c.stored_key,
                                   password_check(c.stored_key, password),
                                   now + options_.cache_ttl};
}

bool PasswordVerifier::take_token(Instant now) {
    if (!bucket_) {
        // In debt by at most the one derivation lent to a user's second credential.
        bucket_.emplace(options_.derivations_per_second, options_.burst, 1.0, now);
    }
    bucket_->refill(now);
    if (bucket_->tokens() < 1) {
        return false;
    }
    bucket_->take(1, now);
    return true;
}

bool PasswordVerifier::matches(ScramMechanism m, const ScramCredential& c,
                               std::string_view password) {
    ++derivations_;
    const Bytes salted = scram_salted_password(m, password, c.salt, c.iterations);
    const Bytes stored_key = scram_hash(m, scram_client_key(m, salted));
    return constant_time_equal(stored_key, c.stored_key);
}

}  // namespace eddy::security
