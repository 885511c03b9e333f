#include "services/security/acl.h"

#include "core/base/assert.h"
#include "services/security/principal.h"

namespace eddy::security {

namespace {

// Kafka's fromCode: every enum here starts at UNKNOWN = 0, and a code past `last` is UNKNOWN.
template <typename E>
E from_code(int8_t c, E last) {
    static_assert(static_cast<int8_t>(E::unknown) == 0);
    if (c < 0 || c > static_cast<int8_t>(last)) {
        return E::unknown;
    }
    return static_cast<E>(c);
}

}  // namespace

ResourceType resource_type_from_code(int8_t c) { return from_code(c, ResourceType::user); }
PatternType pattern_type_from_code(int8_t c) { return from_code(c, PatternType::prefixed); }
AclOperation operation_from_code(int8_t c) { return from_code(c, AclOperation::describe_tokens); }
AclPermissionType permission_type_from_code(int8_t c) {
    return from_code(c, AclPermissionType::allow);
}

const char* to_string(ResourceType t) {
    switch (t) {
        case ResourceType::unknown:
            return "UNKNOWN";
        case ResourceType::any:
            return "ANY";
        case ResourceType::topic:
            return "TOPIC";
        case ResourceType::group:
            return "GROUP";
        case ResourceType::cluster:
            return "CLUSTER";
        case ResourceType::transactional_id:
            return "TRANSACTIONAL_ID";
        case ResourceType::delegation_token:
            return "DELEGATION_TOKEN";
        case ResourceType::user:
            return "USER";
    }
    UNREACHABLE("ResourceType out of range");
}

const char* to_string(PatternType t) {
    switch (t) {
        case PatternType::unknown:
            return "UNKNOWN";
        case PatternType::any:
            return "ANY";
        case PatternType::match:
            return "MATCH";
        case PatternType::literal:
            return "LITERAL";
        case PatternType::prefixed:
            return "PREFIXED";
    }
    UNREACHABLE("PatternType out of range");
}

const char* to_string(AclOperation op) {
    switch (op) {
        case AclOperation::unknown:
            return "UNKNOWN";
        case AclOperation::any:
            return "ANY";
        case AclOperation::all:
            return "ALL";
        case AclOperation::read:
            return "READ";
        case AclOperation::write:
            return "WRITE";
        case AclOperation::create:
            return "CREATE";
        case AclOperation::delete_:
            return "DELETE";
        case AclOperation::alter:
            return "ALTER";
        case AclOperation::describe:
            return "DESCRIBE";
        case AclOperation::cluster_action:
            return "CLUSTER_ACTION";
        case AclOperation::describe_configs:
            return "DESCRIBE_CONFIGS";
        case AclOperation::alter_configs:
            return "ALTER_CONFIGS";
        case AclOperation::idempotent_write:
            return "IDEMPOTENT_WRITE";
        case AclOperation::create_tokens:
            return "CREATE_TOKENS";
        case AclOperation::describe_tokens:
            return "DESCRIBE_TOKENS";
    }
    UNREACHABLE("AclOperation out of range");
}

const char* to_string(AclPermissionType p) {
    switch (p) {
        case AclPermissionType::unknown:
            return "UNKNOWN";
        case AclPermissionType::any:
            return "ANY";
        case AclPermissionType::deny:
            return "DENY";
        case AclPermissionType::allow:
            return "ALLOW";
    }
    UNREACHABLE("AclPermissionType out of range");
}

namespace {

bool valid_ipv4(std::string_view s) {
    int parts = 0;
    size_t i = 0;
    while (true) {
        size_t digits = 0;
        int value = 0;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9' && digits < 4) {
            value = value * 10 + (s[i] - '0');
            ++digits;
            ++i;
        }
        if (digits == 0 || digits > 3 || value > 255) {
            return false;
        }
        ++parts;
        if (i == s.size()) {
            return parts == 4;
        }
        if (s[i] != '.' || parts == 4) {
            return false;
        }
        ++i;
    }
}

bool is_hex(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// RFC 4291 §2.2: eight groups of 1-4 hex digits, one "::" standing for one or more zero groups,
// and optionally a trailing dotted quad standing for the last two groups.
bool valid_ipv6(std::string_view s) {
    if (s.size() < 2 || s.size() > 45) {
        return false;
    }
    const size_t double_colon = s.find("::");
    if (double_colon != std::string_view::npos &&
        s.find("::", double_colon + 1) != std::string_view::npos) {
        return false;
    }
    auto count_groups = [](std::string_view part, bool allow_ipv4_tail, int& groups) {
        groups = 0;
        if (part.empty()) {
            return true;
        }
        size_t start = 0;
        while (true) {
            const size_t colon = part.find(':', start);
            const std::string_view g = part.substr(
                start, colon == std::string_view::npos ? part.size() - start : colon - start);
            if (colon == std::string_view::npos && allow_ipv4_tail &&
                g.find('.') != std::string_view::npos) {
                if (!valid_ipv4(g)) {
                    return false;
                }
                groups += 2;
                return true;
            }
            if (g.empty() || g.size() > 4) {
                return false;
            }
            for (char c : g) {
                if (!is_hex(c)) {
                    return false;
                }
            }
            ++groups;
            if (colon == std::string_view::npos) {
                return true;
            }
            start = colon + 1;
        }
    };
    int head = 0;
    int tail = 0;
    if (double_colon == std::string_view::npos) {
        return count_groups(s, true, head) && head == 8;
    }
    if (!count_groups(s.substr(0, double_colon), false, head) ||
        !count_groups(s.substr(double_colon + 2), true, tail)) {
        return false;
    }
    return head + tail <= 7;
}

}  // namespace

bool valid_acl_host(std::string_view host) {
    return host == wildcard_host || valid_ipv4(host) || valid_ipv6(host);
}

std::optional<std::string> binding_invalid(const AclBinding& b) {
    switch (b.pattern.resource_type) {
        case ResourceType::unknown:
        case ResourceType::any:
            return std::string("Invalid resourceType ") + to_string(b.pattern.resource_type);
        case ResourceType::topic:
        case ResourceType::group:
        case ResourceType::cluster:
        case ResourceType::transactional_id:
        case ResourceType::delegation_token:
        case ResourceType::user:
            break;
    }
    switch (b.pattern.pattern_type) {
        case PatternType::literal:
        case PatternType::prefixed:
            break;
        case PatternType::unknown:
        case PatternType::any:
        case PatternType::match:
            return std::string("Invalid patternType ") + to_string(b.pattern.pattern_type);
    }
    switch (b.entry.operation) {
        case AclOperation::unknown:
        case AclOperation::any:
            return std::string("Invalid operation ") + to_string(b.entry.operation);
        case AclOperation::all:
        case AclOperation::read:
        case AclOperation::write:
        case AclOperation::create:
        case AclOperation::delete_:
        case AclOperation::alter:
        case AclOperation::describe:
        case AclOperation::cluster_action:
        case AclOperation::describe_configs:
        case AclOperation::alter_configs:
        case AclOperation::idempotent_write:
        case AclOperation::create_tokens:
        case AclOperation::describe_tokens:
            break;
    }
    switch (b.entry.permission) {
        case AclPermissionType::allow:
        case AclPermissionType::deny:
            break;
        case AclPermissionType::unknown:
        case AclPermissionType::any:
            return std::string("Invalid permissionType ") + to_string(b.entry.permission);
    }
    if (b.pattern.name.empty()) {
        return std::string("Resource name should not be empty");
    }
    if (b.pattern.resource_type == ResourceType::cluster &&
        b.pattern.name != cluster_resource_name) {
        return "The only valid name for the CLUSTER resource is " +
               std::string(cluster_resource_name);
    }
    if (auto p = parse_principal(b.entry.principal); !p.ok()) {
        return "Could not parse principal: " + p.error();
    }
    if (!valid_acl_host(b.entry.host)) {
        return "Invalid host `" + b.entry.host + "`: expected * or an IP address";
    }
    return std::nullopt;
}

bool ResourcePatternFilter::matches(const ResourcePattern& p) const {
    if (resource_type != ResourceType::any && resource_type != p.resource_type) {
        return false;
    }
    if (pattern_type != PatternType::any && pattern_type != PatternType::match &&
        pattern_type != p.pattern_type) {
        return false;
    }
    if (!name) {
        return true;
    }
    if (pattern_type == PatternType::any || pattern_type == p.pattern_type) {
        return *name == p.name;
    }
    ASSERT(pattern_type == PatternType::match);
    switch (p.pattern_type) {
        case PatternType::literal:
            return *name == p.name || p.name == wildcard_resource;
        case PatternType::prefixed:
            return std::string_view(*name).starts_with(p.name);
        case PatternType::unknown:
        case PatternType::any:
        case PatternType::match:
            // Stored patterns are LITERAL or PREFIXED (binding_invalid); filters never match
            // against filters.
            return false;
    }
    UNREACHABLE("PatternType out of range");
}

bool ResourcePatternFilter::is_unknown() const {
    return resource_type == ResourceType::unknown || pattern_type == PatternType::unknown;
}

bool AccessControlEntryFilter::matches(const AccessControlEntry& e) const {
    if (principal && *principal != e.principal) {
        return false;
    }
    if (host && *host != e.host) {
        return false;
    }
    if (operation != AclOperation::any && operation != e.operation) {
        return false;
    }
    return permission == AclPermissionType::any || permission == e.permission;
}

bool AccessControlEntryFilter::is_unknown() const {
    return operation == AclOperation::unknown || permission == AclPermissionType::unknown;
}

AclBindingFilter match_all_filter() {
    return AclBindingFilter{
        ResourcePatternFilter{ResourceType::any, std::nullopt, PatternType::any},
        AccessControlEntryFilter{std::nullopt, std::nullopt, AclOperation::any,
                                 AclPermissionType::any}};
}

}  // namespace eddy::security
