// Client quotas: entity and value validation as Kafka's ClientQuotaControlManager checks them,
// Kafka's eight-level precedence with the sharing group each level implies, the ip entity's
// connection rate, and DescribeClientQuotas's filters (exact, default, any; strict).
#include "services/security/client_quota.h"

#include <doctest/doctest.h>

#include <cmath>
#include <limits>

using namespace eddy::security;

namespace {

QuotaEntity entity(std::vector<QuotaEntityInput> in) {
    QuotaEntity e;
    const auto err = make_quota_entity(in, e);
    REQUIRE_MESSAGE(!err, err.value_or(""));
    return e;
}

std::optional<std::string> entity_error(std::vector<QuotaEntityInput> in) {
    QuotaEntity e;
    return make_quota_entity(in, e);
}

}  // namespace

TEST_CASE("client quota: entities are checked as Kafka checks them") {
    CHECK(entity_error({{"user", "alice"}, {"client-id", std::nullopt}}) == std::nullopt);
    CHECK(entity_error({{"ip", "10.0.0.1"}}) == std::nullopt);
    CHECK(entity_error({{"ip", "::1"}}) == std::nullopt);
    CHECK(entity_error({{"ip", std::nullopt}}) == std::nullopt);
    CHECK(entity_error({}) == "Invalid empty client quota entity");
    CHECK(entity_error({{"group", "g"}})->find("Unknown client quota entity type") == 0);
    CHECK(entity_error({{"user", "a"}, {"user", "b"}})->find("Duplicate entity type") == 0);
    CHECK(entity_error({{"ip", "10.0.0.1"}, {"user", "a"}})->find("cannot be combined") !=
          std::string::npos);
    CHECK(entity_error({{"ip", "example.com"}})->find("not a valid IP address") !=
          std::string::npos);
    CHECK(entity_error({{"ip", "300.1.1.1"}}).has_value());
    CHECK(entity_error({{"ip", "1.2.3"}}).has_value());
    CHECK(entity_error({{"user", ""}}).has_value());
    const std::string at_limit(limits::quota_entity_name_max, 'u');
    const std::string over_limit(limits::quota_entity_name_max + 1, 'u');
    CHECK(entity_error({{"user", at_limit}}) == std::nullopt);
    CHECK(entity_error({{"user", over_limit}}).has_value());
    // Components are kept in type order, whatever order the request used.
    CHECK(entity({{"client-id", "c"}, {"user", "u"}}) == entity({{"user", "u"}, {"client-id", "c"}}));
    CHECK(entity({{"client-id", "c"}, {"user", std::nullopt}}).to_string() ==
          "user=<default>,client-id=c");
}

TEST_CASE("client quota: values must suit their key and entity") {
    const QuotaEntity user = entity({{"user", "alice"}});
    const QuotaEntity ip = entity({{"ip", std::nullopt}});
    CHECK(quota_value_invalid(user, QuotaKey::producer_byte_rate, 1024) == std::nullopt);
    CHECK(quota_value_invalid(user, QuotaKey::request_percentage, 12.5) == std::nullopt);
    CHECK(quota_value_invalid(user, QuotaKey::producer_byte_rate, 1.5).has_value());
    CHECK(quota_value_invalid(user, QuotaKey::producer_byte_rate, 0).has_value());
    CHECK(quota_value_invalid(user, QuotaKey::consumer_byte_rate, -5).has_value());
    CHECK(quota_value_invalid(user, QuotaKey::request_percentage, std::nan("")).has_value());
    CHECK(quota_value_invalid(user, QuotaKey::request_percentage, std::numeric_limits<double>::infinity()).has_value());
    CHECK(quota_value_invalid(user, QuotaKey::connection_creation_rate, 10).has_value());
    CHECK(quota_value_invalid(ip, QuotaKey::connection_creation_rate, 10) == std::nullopt);
    CHECK(quota_value_invalid(ip, QuotaKey::producer_byte_rate, 10).has_value());
    CHECK(quota_key_from_string("producer_byte_rate") == QuotaKey::producer_byte_rate);
    CHECK(quota_key_from_string("producer_bytes_rate") == std::nullopt);
}

TEST_CASE("client quota: Kafka's precedence, most specific first, with its sharing groups") {
    ClientQuotas q;
    const auto key = QuotaKey::producer_byte_rate;
    CHECK(q.resolve(key, "alice", "app") == std::nullopt);
    // Set the levels from the least specific up, checking that each new one wins.
    struct Level {
        std::vector<QuotaEntityInput> entity;
        double value;
        std::vector<QuotaEntityInput> bucket;
    };
    const std::optional<std::string_view> dflt;
    const std::vector<Level> levels = {
        {{{"client-id", dflt}}, 8, {{"client-id", "app"}}},
        {{{"client-id", "app"}}, 7, {{"client-id", "app"}}},
        {{{"user", dflt}}, 6, {{"user", "alice"}}},
        {{{"user", dflt}, {"client-id", dflt}}, 5, {{"user", "alice"}, {"client-id", "app"}}},
        {{{"user", dflt}, {"client-id", "app"}}, 4, {{"user", "alice"}, {"client-id", "app"}}},
        {{{"user", "alice"}}, 3, {{"user", "alice"}}},
        {{{"user", "alice"}, {"client-id", dflt}}, 2, {{"user", "alice"}, {"client-id", "app"}}},
        {{{"user", "alice"}, {"client-id", "app"}}, 1, {{"user", "alice"}, {"client-id", "app"}}},
    };
    for (const auto& level : levels) {
        q.set(entity(level.entity), key, level.value);
        const auto r = q.resolve(key, "alice", "app");
        REQUIRE(r.has_value());
        CHECK(r->value == level.value);
        CHECK(r->bucket == entity(level.bucket));
    }
    // Another user and client fall through to the defaults that match them.
    const auto bob = q.resolve(key, "bob", "other");
    REQUIRE(bob.has_value());
    CHECK(bob->value == 5);  // {user=<default>, client-id=<default>}
    CHECK(bob->bucket == entity({{"user", "bob"}, {"client-id", "other"}}));
    // Keys resolve independently; removal falls back to the next level.
    CHECK(q.resolve(QuotaKey::consumer_byte_rate, "alice", "app") == std::nullopt);
    q.remove(entity({{"user", "alice"}, {"client-id", "app"}}), key);
    CHECK(q.resolve(key, "alice", "app")->value == 2);
    q.remove(entity({{"user", "nobody"}}), key);  // a no-op
    CHECK(q.entries().size() == 7);
}

TEST_CASE("client quota: connection creation rate by address, then the default address") {
    ClientQuotas q;
    CHECK(q.connection_rate("10.0.0.1") == std::nullopt);
    q.set(entity({{"ip", std::nullopt}}), QuotaKey::connection_creation_rate, 5);
    q.set(entity({{"ip", "10.0.0.1"}}), QuotaKey::connection_creation_rate, 50);
    CHECK(q.connection_rate("10.0.0.1") == 50);
    CHECK(q.connection_rate("10.0.0.2") == 5);
}

TEST_CASE("client quota: DescribeClientQuotas filters") {
    ClientQuotas q;
    const auto key = QuotaKey::request_percentage;
    const std::optional<std::string_view> dflt;
    const QuotaEntity alice = entity({{"user", "alice"}});
    const QuotaEntity alice_app = entity({{"user", "alice"}, {"client-id", "app"}});
    const QuotaEntity user_default = entity({{"user", dflt}});
    const QuotaEntity client_default = entity({{"client-id", dflt}});
    for (const auto* e : {&alice, &alice_app, &user_default, &client_default}) {
        q.set(*e, key, 50);
    }
    auto matching = [&q](std::vector<QuotaFilterInput> in, bool strict) {
        QuotaFilter f;
        const auto err = make_quota_filter(in, strict, f);
        REQUIRE_MESSAGE(!err, err.value_or(""));
        std::vector<QuotaEntity> out;
        for (const auto& entry : q.entries()) {
            if (f.matches(entry.first)) {
                out.push_back(entry.first);
            }
        }
        return out;
    };
    CHECK(matching({}, false).size() == 4);
    CHECK(matching({{"user", 0, "alice"}}, false) == std::vector<QuotaEntity>{alice, alice_app});
    CHECK(matching({{"user", 0, "alice"}}, true) == std::vector<QuotaEntity>{alice});
    CHECK(matching({{"user", 1, std::nullopt}}, false) == std::vector<QuotaEntity>{user_default});
    CHECK(matching({{"user", 2, std::nullopt}}, false) == std::vector<QuotaEntity>{alice, alice_app});
    CHECK(matching({{"client-id", 1, std::nullopt}}, true) ==
          std::vector<QuotaEntity>{client_default});
    QuotaFilter f;
    CHECK(make_quota_filter({{"user", 0, std::nullopt}}, false, f).has_value());
    CHECK(make_quota_filter({{"user", 3, "x"}}, false, f).has_value());
    CHECK(make_quota_filter({{"user", 1, std::nullopt}, {"user", 2, std::nullopt}}, false, f)
              .has_value());
    CHECK(make_quota_filter({{"topic", 1, std::nullopt}}, false, f).has_value());
}
