// QuotaManager: throttles that make a client that honours them converge on its quota, sharing
// groups from Kafka's precedence, a throttle never longer than the quota's sample span, altered
// quotas taking effect, and idle groups forgotten. The property: whatever a client sends, if it
// waits out each throttle it is given, the bytes it gets through in T seconds stay within
// quota × T plus one window's burst.
#include "services/kafka/quota_manager.h"

#include <doctest/doctest.h>
#include <rapidcheck.h>

using namespace eddy;
using namespace eddy::kafka;
using eddy::security::ClientQuotas;
using eddy::security::QuotaEntity;
using eddy::security::QuotaEntityInput;
using eddy::security::QuotaKey;

namespace {

QuotaEntity entity(std::vector<QuotaEntityInput> in) {
    QuotaEntity e;
    REQUIRE(!security::make_quota_entity(in, e));
    return e;
}

Instant at(double seconds) {
    return Instant::from_nanos(static_cast<int64_t>(seconds * 1e9)) + Duration::hours(1);
}

double secs(Duration d) { return static_cast<double>(d.to_nanos()) / 1e9; }

}  // namespace

TEST_CASE("quota manager: no quota, no throttle") {
    QuotaManager m;
    ClientQuotas q;
    CHECK(m.record(q, QuotaKey::producer_byte_rate, "alice", "app", 1e9, at(0)) ==
          Duration::zero());
    CHECK(m.buckets() == 0);
}

TEST_CASE("quota manager: a client that waits out its throttles gets its quota") {
    QuotaManager m;
    ClientQuotas q;
    q.set(entity({{"user", "alice"}}), QuotaKey::producer_byte_rate, 100'000);
    double t = 0;
    double sent = 0;
    while (t < 20) {
        const Duration wait = m.record(q, QuotaKey::producer_byte_rate, "alice", "app", 16'384,
                                       at(t));
        sent += 16'384;
        t += 0.001 + secs(wait);  // 1 ms to send the next request, after the throttle
    }
    const double rate = sent / t;
    CHECK(rate > 100'000 * 0.95);
    CHECK(rate < 100'000 * 1.10);  // one window's burst spread over 20 s
}

TEST_CASE("quota manager: the sharing group follows the matched entity") {
    QuotaManager m;
    ClientQuotas q;
    q.set(entity({{"user", "alice"}}), QuotaKey::producer_byte_rate, 1000);
    q.set(entity({{"client-id", std::nullopt}}), QuotaKey::producer_byte_rate, 1000);
    // alice's clients share one budget: the second client is throttled by the first one's bytes.
    CHECK(m.record(q, QuotaKey::producer_byte_rate, "alice", "a", 1000, at(0)) == Duration::zero());
    CHECK(m.record(q, QuotaKey::producer_byte_rate, "alice", "b", 500, at(0)) ==
          Duration::millis(500));
    // Other users fall to {client-id=<default>}: a budget per client id.
    CHECK(m.record(q, QuotaKey::producer_byte_rate, "bob", "a", 1000, at(0)) == Duration::zero());
    CHECK(m.record(q, QuotaKey::producer_byte_rate, "carol", "b", 1000, at(0)) ==
          Duration::zero());
    CHECK(m.record(q, QuotaKey::producer_byte_rate, "dave", "a", 250, at(0)) ==
          Duration::millis(250));
    CHECK(m.owed(q, QuotaKey::producer_byte_rate, "dave", "a", at(0.1)) == Duration::millis(150));
    CHECK(m.owed(q, QuotaKey::producer_byte_rate, "dave", "a", at(1)) == Duration::zero());
}

TEST_CASE("quota manager: one throttle is bounded by the sample span; debt beyond is forgiven") {
    QuotaManager m(QuotaManagerOptions{Duration::seconds(1), 11});
    ClientQuotas q;
    q.set(entity({{"user", "alice"}}), QuotaKey::consumer_byte_rate, 1000);
    const Duration wait = m.record(q, QuotaKey::consumer_byte_rate, "alice", "", 1e9, at(0));
    CHECK(wait == Duration::seconds(11));
    CHECK(m.owed(q, QuotaKey::consumer_byte_rate, "alice", "", at(11)) == Duration::zero());
}

TEST_CASE("quota manager: an altered quota applies to the next request") {
    QuotaManager m;
    ClientQuotas q;
    const QuotaEntity alice = entity({{"user", "alice"}});
    q.set(alice, QuotaKey::producer_byte_rate, 1000);
    CHECK(m.record(q, QuotaKey::producer_byte_rate, "alice", "", 2000, at(0)) == Duration::seconds(1));
    q.set(alice, QuotaKey::producer_byte_rate, 4000);
    // The debt is the same 1000 bytes, now paid back four times as fast.
    CHECK(m.owed(q, QuotaKey::producer_byte_rate, "alice", "", at(0)) == Duration::millis(250));
    q.remove(alice, QuotaKey::producer_byte_rate);
    CHECK(m.record(q, QuotaKey::producer_byte_rate, "alice", "", 1e6, at(0)) == Duration::zero());
}

TEST_CASE("quota manager: request_percentage charges seconds of request time") {
    QuotaManager m;
    ClientQuotas q;
    q.set(entity({{"user", std::nullopt}}), QuotaKey::request_percentage, 50);  // half a thread
    CHECK(m.record(q, QuotaKey::request_percentage, "alice", "", 0.5, at(0)) == Duration::zero());
    CHECK(m.record(q, QuotaKey::request_percentage, "alice", "", 0.25, at(0)) ==
          Duration::millis(500));
}

TEST_CASE("quota manager: groups idle long enough to be full again are dropped") {
    QuotaManager m;
    ClientQuotas q;
    q.set(entity({{"client-id", std::nullopt}}), QuotaKey::producer_byte_rate, 1000);
    for (int i = 0; i < 100; ++i) {
        (void)m.record(q, QuotaKey::producer_byte_rate, "u", "client-" + std::to_string(i), 10,
                       at(0));
    }
    CHECK(m.buckets() == 100);
    (void)m.record(q, QuotaKey::producer_byte_rate, "u", "client-0", 10, at(120));
    CHECK(m.buckets() == 1);
}

TEST_CASE("property: a client honouring its throttles stays within quota x (T + one window)") {
    const bool ok = rc::check("quota bound", [] {
        const double rate = *rc::gen::inRange(100, 1'000'000);
        // Requests of up to ten windows' worth (no debt is ever forgiven), after pauses of up to
        // two seconds.
        const auto requests = *rc::gen::container<std::vector<std::pair<int, int>>>(
            rc::gen::pair(rc::gen::inRange(0, 1001), rc::gen::inRange(0, 2000)));
        QuotaManager m;
        ClientQuotas q;
        q.set(entity({{"user", "u"}}), QuotaKey::producer_byte_rate, rate);
        double t = 0;
        double sent = 0;
        for (const auto& r : requests) {
            const double bytes = std::floor(rate * r.first / 100.0);
            t += r.second / 1000.0;
            const Duration wait = m.record(q, QuotaKey::producer_byte_rate, "u", "", bytes, at(t));
            RC_ASSERT(wait >= Duration::zero());
            RC_ASSERT(wait <= m.throttle_max());
            sent += bytes;
            t += secs(wait);
            // The bucket starts one window full and refills at the rate.
            RC_ASSERT(sent <= rate * (t + 1.0) + 1.0);
        }
    });
    CHECK(ok);
}
