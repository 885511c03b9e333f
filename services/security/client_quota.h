// Kafka's client quotas (KIP-13, KIP-55, KIP-124, KIP-546, KIP-612): the entities a quota is set
// on, the quota keys, and the table the metadata image keeps (ClientQuotaRecord) with Kafka's
// precedence rules for finding the quota that applies to a request.
//
// An entity is a set of components, each an entity type (user, client-id, ip) with a name, or no
// name for the type's default: {user=alice}, {user=alice, client-id=<default>}, {ip=<default>}.
// User and client-id combine; ip stands alone and carries only connection_creation_rate.
//
// Precedence (Kafka's docs, "Quotas"): for a request by user U with client id C, the first of
//   {user=U, client-id=C}, {user=U, client-id=<default>}, {user=U},
//   {user=<default>, client-id=C}, {user=<default>, client-id=<default>}, {user=<default>},
//   {client-id=C}, {client-id=<default>}
// that sets the key gives the quota. The quota is shared by everything the matched entity names:
// {user=alice} is one budget for all of alice's clients, {user=<default>} is a budget per user,
// {client-id=<default>} one per client id. resolve() returns that sharing group as the bucket.
#pragma once

#include <compare>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace eddy::security {

enum class QuotaEntityType : uint8_t { user, client_id, ip };
std::string_view to_string(QuotaEntityType t);  // Kafka's names: user, client-id, ip
std::optional<QuotaEntityType> quota_entity_type_from_string(std::string_view s);

enum class QuotaKey : uint8_t {
    producer_byte_rate,        // bytes/s of Produce requests
    consumer_byte_rate,        // bytes/s of Fetch responses
    request_percentage,        // % of one request-handling thread's time (100 = one thread)
    controller_mutation_rate,  // partitions created/deleted per second (KIP-599)
    connection_creation_rate,  // new connections per second from one address (KIP-612)
};
std::string_view to_string(QuotaKey k);
std::optional<QuotaKey> quota_key_from_string(std::string_view s);

// One component of an entity; name nullopt is the type's default.
struct QuotaEntityPart {
    QuotaEntityType type;
    std::optional<std::string> name;
    auto operator<=>(const QuotaEntityPart&) const = default;
    bool operator==(const QuotaEntityPart&) const = default;
};

// Components in type order, each type at most once (make_quota_entity checks).
struct QuotaEntity {
    std::vector<QuotaEntityPart> parts;
    auto operator<=>(const QuotaEntity&) const = default;
    bool operator==(const QuotaEntity&) const = default;
    const QuotaEntityPart* find(QuotaEntityType t) const;
    // "user=alice,client-id=<default>" (for logs, the CLI and error messages).
    std::string to_string() const;
};

namespace limits {
// Entity names are user names, client ids and addresses; Kafka bounds none of them, but a name a
// request carries ends up in the metadata log, so it is bounded like a topic config value.
inline constexpr size_t quota_entity_name_max = 1024;
}  // namespace limits

// Builds an entity from (type string, name) components as the wire carries them. One-line error
// (Kafka's INVALID_REQUEST message) for an unknown type, a repeated type, an empty entity, an ip
// combined with anything, an empty or over-long name, or an ip name that is not an address.
struct QuotaEntityInput {
    std::string_view type;
    std::optional<std::string_view> name;
};
std::optional<std::string> make_quota_entity(const std::vector<QuotaEntityInput>& input,
                                             QuotaEntity& out);

// Why `key` = `value` cannot be set on `entity` (a key the entity type does not take, a value that
// is not a positive finite number, or a fractional rate where Kafka wants whole bytes), or nullopt.
std::optional<std::string> quota_value_invalid(const QuotaEntity& entity, QuotaKey key,
                                               double value);

// The quota that applies and who shares it.
struct ResolvedQuota {
    double value = 0;
    QuotaEntity bucket;  // the matched entity with its defaults filled in by the request's names
    auto operator<=>(const ResolvedQuota&) const = default;
};

class ClientQuotas {
public:
    using Values = std::map<QuotaKey, double>;

    void set(const QuotaEntity& entity, QuotaKey key, double value);
    void remove(const QuotaEntity& entity, QuotaKey key);  // no-op when unset
    // The value set for exactly this entity and key.
    std::optional<double> get(const QuotaEntity& entity, QuotaKey key) const;
    const std::map<QuotaEntity, Values>& entries() const { return entries_; }
    bool empty() const { return entries_.empty(); }

    // The user/client-id quota for `key` by Kafka's precedence (file comment), or nullopt when no
    // entity on the path sets it (unlimited).
    std::optional<ResolvedQuota> resolve(QuotaKey key, std::string_view user,
                                         std::string_view client_id) const;
    // connection_creation_rate for connections from `ip`: {ip=ip}, else {ip=<default>}.
    std::optional<double> connection_rate(std::string_view ip) const;

    bool operator==(const ClientQuotas&) const = default;

private:
    std::map<QuotaEntity, Values> entries_;  // never holds an entity without values
};

// DescribeClientQuotas's filter (KIP-546): components matched exactly, by default, or any name;
// strict excludes entities with types the filter does not mention.
enum class QuotaMatch : int8_t { exact = 0, default_ = 1, any = 2 };
struct QuotaFilterPart {
    QuotaEntityType type;
    QuotaMatch match;
    std::optional<std::string> name;  // for exact
};
struct QuotaFilter {
    std::vector<QuotaFilterPart> parts;
    bool strict = false;
    bool matches(const QuotaEntity& entity) const;
};
// Builds a filter from wire components. One-line error for an unknown type, a repeated type, an
// unknown match type, or an exact match without a name.
struct QuotaFilterInput {
    std::string_view type;
    int8_t match_type;
    std::optional<std::string_view> match;
};
std::optional<std::string> make_quota_filter(const std::vector<QuotaFilterInput>& input,
                                             bool strict, QuotaFilter& out);

}  // namespace eddy::security
