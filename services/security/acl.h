// Kafka's ACL model (KIP-11, KIP-140 for the admin filters, KIP-290 for prefixed patterns,
// KIP-373 for delegation-token operations): resource patterns, access control entries, the
// bindings that pair them, and the filters DescribeAcls / DeleteAcls select bindings with.
//
// The enum values are Kafka's wire codes (org.apache.kafka.common.acl.AclOperation,
// AclPermissionType, org.apache.kafka.common.resource.ResourceType, PatternType), so a code read
// off the wire converts with *_from_code, and an unrecognised code becomes `unknown`, as
// Kafka's fromCode does. `any`/`match`/`unknown` exist only in filters; a stored binding
// (binding_invalid() == nullopt) never holds them.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace eddy::security {

enum class ResourceType : int8_t {
    unknown = 0,
    any = 1,
    topic = 2,
    group = 3,
    cluster = 4,
    transactional_id = 5,
    delegation_token = 6,
    user = 7,  // KIP-373: CREATE_TOKENS / DESCRIBE_TOKENS on behalf of another user
};

enum class PatternType : int8_t {
    unknown = 0,
    any = 1,    // filters: any pattern type, name compared exactly
    match = 2,  // filters: every stored pattern that would match the filter's name
    literal = 3,
    prefixed = 4,
};

enum class AclOperation : int8_t {
    unknown = 0,
    any = 1,
    all = 2,
    read = 3,
    write = 4,
    create = 5,
    delete_ = 6,
    alter = 7,
    describe = 8,
    cluster_action = 9,
    describe_configs = 10,
    alter_configs = 11,
    idempotent_write = 12,
    create_tokens = 13,
    describe_tokens = 14,
};

enum class AclPermissionType : int8_t {
    unknown = 0,
    any = 1,
    deny = 2,
    allow = 3,
};

ResourceType resource_type_from_code(int8_t code);
PatternType pattern_type_from_code(int8_t code);
AclOperation operation_from_code(int8_t code);
AclPermissionType permission_type_from_code(int8_t code);

// Kafka's names: "TOPIC", "PREFIXED", "DESCRIBE_CONFIGS", "ALLOW".
const char* to_string(ResourceType t);
const char* to_string(PatternType t);
const char* to_string(AclOperation op);
const char* to_string(AclPermissionType p);

constexpr int8_t code(ResourceType t) { return static_cast<int8_t>(t); }
constexpr int8_t code(PatternType t) { return static_cast<int8_t>(t); }
constexpr int8_t code(AclOperation op) { return static_cast<int8_t>(op); }
constexpr int8_t code(AclPermissionType p) { return static_cast<int8_t>(p); }

// A LITERAL pattern with this name matches every resource of its type.
inline constexpr std::string_view wildcard_resource = "*";
// An ACL host that matches every client address.
inline constexpr std::string_view wildcard_host = "*";
// An ACL principal that matches every principal (of any type, as in Kafka).
inline constexpr std::string_view wildcard_principal = "User:*";
// The one name of the CLUSTER resource.
inline constexpr std::string_view cluster_resource_name = "kafka-cluster";

struct ResourcePattern {
    ResourceType resource_type = ResourceType::unknown;
    std::string name;
    PatternType pattern_type = PatternType::literal;

    auto operator<=>(const ResourcePattern&) const = default;
};

struct AccessControlEntry {
    std::string principal;  // "User:alice", or wildcard_principal
    std::string host;       // an IP address, or wildcard_host
    AclOperation operation = AclOperation::unknown;
    AclPermissionType permission = AclPermissionType::unknown;

    auto operator<=>(const AccessControlEntry&) const = default;
};

// One ACL. The ordering (pattern: type, name, pattern type; then the entry) is the order every
// listing of ACLs uses, so responses do not depend on insertion order or hashing.
struct AclBinding {
    ResourcePattern pattern;
    AccessControlEntry entry;

    auto operator<=>(const AclBinding&) const = default;
};

// Why `binding` may not be stored as an ACL (Kafka's AclControlManager.validateNewAcl plus the
// broker's checks), as the message CreateAcls returns; nullopt when it may. Checks: a concrete
// resource type; LITERAL or PREFIXED; a non-empty name, "kafka-cluster" for CLUSTER; a concrete
// operation and ALLOW/DENY; a principal of the form type:name; a host that is "*" or an IP
// address. (Kafka accepts any host string, but an ACL whose host is not an IP address can never
// match, since hosts are compared with the client's address: Eddy refuses it instead.)
std::optional<std::string> binding_invalid(const AclBinding& binding);

// "*", an IPv4 dotted quad, or an IPv6 address in the textual forms of RFC 4291 §2.2.
bool valid_acl_host(std::string_view host);

struct ResourcePatternFilter {
    ResourceType resource_type = ResourceType::any;
    std::optional<std::string> name;  // nullopt: any name
    PatternType pattern_type = PatternType::any;

    // Kafka's ResourcePatternFilter.matches: type ANY or equal; pattern type ANY/MATCH or equal;
    // then a name filter compares exactly, except under MATCH, where a stored LITERAL matches if
    // it equals the name or is "*", and a stored PREFIXED if it is a prefix of the name.
    bool matches(const ResourcePattern& pattern) const;
    // A filter Kafka refuses (INVALID_REQUEST): an unknown resource type or pattern type.
    bool is_unknown() const;
};

struct AccessControlEntryFilter {
    std::optional<std::string> principal;  // nullopt: any
    std::optional<std::string> host;       // nullopt: any
    AclOperation operation = AclOperation::any;
    AclPermissionType permission = AclPermissionType::any;

    // Exact comparisons; ANY and nullopt match everything. "User:*" in a filter matches only
    // ACLs whose principal is literally "User:*", as in Kafka.
    bool matches(const AccessControlEntry& entry) const;
    bool is_unknown() const;
};

struct AclBindingFilter {
    ResourcePatternFilter pattern;
    AccessControlEntryFilter entry;

    bool matches(const AclBinding& binding) const {
        return pattern.matches(binding.pattern) && entry.matches(binding.entry);
    }
    bool is_unknown() const { return pattern.is_unknown() || entry.is_unknown(); }
};

// Everything: ANY resource, any name, ANY pattern, any principal/host, ANY operation/permission.
AclBindingFilter match_all_filter();

}  // namespace eddy::security
