// PasswordVerifier (services/security/password_verifier.h): passwords checked against stored
// SCRAM credentials of either mechanism; successes cached until the credential changes or the
// entry expires; checks that miss the cache limited by the token bucket; unknown users cost a
// derivation too.
#include "services/security/password_verifier.h"

#include <doctest/doctest.h>

#include "services/security/scram.h"

using namespace eddy;
using namespace eddy::security;

namespace {

ScramCredential credential(ScramMechanism m, std::string_view password, std::string_view salt) {
    auto c = derive_scram_credential(m, password, to_bytes(salt), limits::scram_iterations_min);
    REQUIRE(c.ok());
    return std::move(c).value();
}

Instant at_seconds(double s) {
    return Instant::from_nanos(static_cast<int64_t>(s * 1e9));
}

}  // namespace

TEST_CASE("password verifier: either mechanism, cached until the credential changes") {
    InMemoryScramCredentialStore store;
    store.put("alice", ScramMechanism::sha256, credential(ScramMechanism::sha256, "a-256", "s1"));
    store.put("bob", ScramMechanism::sha512, credential(ScramMechanism::sha512, "b-512", "s2"));
    store.put("bob", ScramMechanism::sha256, credential(ScramMechanism::sha256, "b-256", "s3"));
    PasswordVerifier v;
    const Instant t0 = at_seconds(100);

    CHECK(v.verify(store, "alice", "a-256", t0) == PasswordCheck::accepted);
    CHECK(v.derivations() == 1);
    // The same password again: the cache answers, no PBKDF2.
    CHECK(v.verify(store, "alice", "a-256", t0 + Duration::seconds(5)) ==
          PasswordCheck::accepted);
    CHECK(v.derivations() == 1);
    CHECK(v.verify(store, "alice", "a-25", t0) == PasswordCheck::rejected);
    CHECK(v.verify(store, "alice", "", t0) == PasswordCheck::rejected);
    CHECK(v.derivations() == 3);

    // bob's SHA-512 and SHA-256 credentials have different passwords: either logs in.
    CHECK(v.verify(store, "bob", "b-512", t0) == PasswordCheck::accepted);
    CHECK(v.verify(store, "bob", "b-256", t0) == PasswordCheck::accepted);
    CHECK(v.verify(store, "bob", "a-256", t0) == PasswordCheck::rejected);
    const uint64_t before = v.derivations();
    CHECK(v.verify(store, "bob", "b-256", t0) == PasswordCheck::accepted);
    CHECK(v.derivations() == before);

    // Unknown users are refused after a derivation like a wrong password's.
    CHECK(v.verify(store, "carol", "a-256", t0) == PasswordCheck::rejected);
    CHECK(v.derivations() == before + 1);

    // A new password takes effect at once: the cached entry matched the old credential.
    store.put("alice", ScramMechanism::sha256, credential(ScramMechanism::sha256, "new", "s4"));
    CHECK(v.verify(store, "alice", "a-256", t0) == PasswordCheck::rejected);
    CHECK(v.verify(store, "alice", "new", t0) == PasswordCheck::accepted);
    // A deleted user is refused whatever the cache holds.
    store.remove("alice", ScramMechanism::sha256);
    CHECK(v.verify(store, "alice", "new", t0) == PasswordCheck::rejected);
}

TEST_CASE("password verifier: cache entries expire; the cache stays bounded") {
    InMemoryScramCredentialStore store;
    for (int i = 0; i < 5; ++i) {
        const std::string user = "u" + std::to_string(i);
        store.put(user, ScramMechanism::sha256, credential(ScramMechanism::sha256, user, user));
    }
    PasswordVerifierOptions o;
    o.cache_max = 3;
    o.cache_ttl = Duration::seconds(60);
    PasswordVerifier v(o);
    const Instant t0 = at_seconds(1);
    CHECK(v.verify(store, "u0", "u0", t0) == PasswordCheck::accepted);
    CHECK(v.verify(store, "u0", "u0", t0 + Duration::seconds(59)) == PasswordCheck::accepted);
    CHECK(v.derivations() == 1);
    CHECK(v.verify(store, "u0", "u0", t0 + Duration::seconds(60)) == PasswordCheck::accepted);
    CHECK(v.derivations() == 2);
    for (int i = 1; i < 5; ++i) {
        const std::string user = "u" + std::to_string(i);
        CHECK(v.verify(store, user, user, t0) == PasswordCheck::accepted);
        CHECK(v.cached() <= 3);
    }
}

TEST_CASE("password verifier: checks that miss the cache are rate-limited") {
    InMemoryScramCredentialStore store;
    store.put("alice", ScramMechanism::sha512, credential(ScramMechanism::sha512, "pw", "salt"));
    PasswordVerifierOptions o;
    o.derivations_per_second = 2;
    o.burst = 3;
    PasswordVerifier v(o);
    const Instant t0 = at_seconds(10);
    CHECK(v.verify(store, "alice", "pw", t0) == PasswordCheck::accepted);
    CHECK(v.verify(store, "alice", "x", t0) == PasswordCheck::rejected);
    CHECK(v.verify(store, "nobody", "x", t0) == PasswordCheck::rejected);
    // The burst is spent: no PBKDF2 for anyone whose check the cache cannot answer...
    CHECK(v.verify(store, "alice", "y", t0) == PasswordCheck::throttled);
    CHECK(v.verify(store, "nobody", "y", t0) == PasswordCheck::throttled);
    CHECK(v.derivations() == 3);
    // ...while the cached credentials still pass.
    CHECK(v.verify(store, "alice", "pw", t0) == PasswordCheck::accepted);
    // Half a second later one token is back (2 per second).
    CHECK(v.verify(store, "alice", "z", t0 + Duration::millis(500)) == PasswordCheck::rejected);
    CHECK(v.verify(store, "alice", "z", t0 + Duration::millis(500)) == PasswordCheck::throttled);
    // Never more than the burst, however long the pause.
    const Instant later = t0 + Duration::hours(1);
    int checked = 0;
    while (v.verify(store, "alice", "w", later) != PasswordCheck::throttled) {
        ++checked;
        REQUIRE(checked < 10);
    }
    CHECK(checked == 3);
}
