#include "services/security/authorizer.h"

#include <array>
#include <span>

#include "core/base/ascii.h"
#include "core/base/assert.h"

namespace eddy::security {

namespace {

bool concrete(AclOperation op) { return op != AclOperation::any && op != AclOperation::unknown; }
bool concrete(ResourceType t) { return t != ResourceType::any && t != ResourceType::unknown; }

// The name authorize_by_resource_type asks about first (Kafka's default Authorizer does the
// same), so that super users and allow.everyone.if.no.acl.found are honoured.
constexpr std::string_view by_resource_type_probe_name = "hardcode";

// Kafka's AclEntry.supportedOperations: what authorized-operations bit sets may contain.
constexpr std::array topic_operations = {AclOperation::read,
                                         AclOperation::write,
                                         AclOperation::create,
                                         AclOperation::describe,
                                         AclOperation::delete_,
                                         AclOperation::alter,
                                         AclOperation::describe_configs,
                                         AclOperation::alter_configs};
constexpr std::array group_operations = {AclOperation::read, AclOperation::describe,
                                         AclOperation::delete_, AclOperation::describe_configs,
                                         AclOperation::alter_configs};
constexpr std::array cluster_operations = {
    AclOperation::create,        AclOperation::cluster_action,   AclOperation::describe_configs,
    AclOperation::alter_configs, AclOperation::idempotent_write, AclOperation::alter,
    AclOperation::describe};
constexpr std::array transactional_id_operations = {AclOperation::describe, AclOperation::write};
constexpr std::array delegation_token_operations = {AclOperation::describe};
constexpr std::array user_operations = {AclOperation::create_tokens, AclOperation::describe_tokens};

std::span<const AclOperation> supported_operations(ResourceType type) {
    switch (type) {
        case ResourceType::topic:
            return topic_operations;
        case ResourceType::group:
            return group_operations;
        case ResourceType::cluster:
            return cluster_operations;
        case ResourceType::transactional_id:
            return transactional_id_operations;
        case ResourceType::delegation_token:
            return delegation_token_operations;
        case ResourceType::user:
            return user_operations;
        case ResourceType::unknown:
        case ResourceType::any:
            break;
    }
    UNREACHABLE("supported_operations() of a filter-only resource type");
}

}  // namespace

Result<std::set<std::string, std::less<>>, std::string> parse_super_users(std::string_view value) {
    std::set<std::string, std::less<>> out;
    while (true) {
        const size_t semi = value.find(';');
        const std::string_view item = trim_whitespace(value.substr(0, semi));
        if (!item.empty()) {
            if (auto p = parse_principal(item); !p.ok()) {
                return fail("super.users: " + p.error());
            }
            out.emplace(item);
        }
        if (semi == std::string_view::npos) {
            break;
        }
        value.remove_prefix(semi + 1);
    }
    return out;
}

std::optional<AuthorizationResult> entry_result(const AccessControlEntry& e,
                                                const KafkaPrincipal& principal,
                                                std::string_view host, AclOperation operation) {
    ASSERT(concrete(operation));
    // Principals compare as "type:name" text: equal text is equal (type, name).
    if (e.principal != wildcard_principal) {
        const std::string& p = e.principal;
        if (p.size() != principal.type.size() + 1 + principal.name.size() ||
            !p.starts_with(principal.type) || p[principal.type.size()] != ':' ||
            std::string_view(p).substr(principal.type.size() + 1) != principal.name) {
            return std::nullopt;
        }
    }
    if (e.host != wildcard_host && e.host != host) {
        return std::nullopt;
    }
    if (e.operation != AclOperation::all && e.operation != operation) {
        // Implications hold for ALLOW only: ALLOW READ grants DESCRIBE, DENY READ does not deny
        // it (StandardAuthorizerData.findResult).
        if (e.permission != AclPermissionType::allow) {
            return std::nullopt;
        }
        bool implied = false;
        if (operation == AclOperation::describe) {
            implied = e.operation == AclOperation::read || e.operation == AclOperation::write ||
                      e.operation == AclOperation::delete_ || e.operation == AclOperation::alter;
        } else if (operation == AclOperation::describe_configs) {
            implied = e.operation == AclOperation::alter_configs;
        }
        if (!implied) {
            return std::nullopt;
        }
    }
    return e.permission == AclPermissionType::allow ? AuthorizationResult::allowed
                                                    : AuthorizationResult::denied;
}

Authorizer::Authorizer(AuthorizerConfig config) : config_(std::move(config)) {}

std::optional<std::string> Authorizer::add_inconsistency(const Uuid& id,
                                                         const AclBinding& binding) const {
    if (id.is_zero()) {
        return std::string("an ACL with the zero id");
    }
    if (by_id_.contains(id)) {
        return std::string("an ACL id that is already in use");
    }
    if (auto why = binding_invalid(binding)) {
        return "an invalid ACL: " + *why;
    }
    if (id_by_binding_.contains(binding)) {
        return std::string("an ACL identical to one already present under another id");
    }
    if (by_id_.size() >= limits::acls_max) {
        return "more than " + std::to_string(limits::acls_max) + " ACLs";
    }
    return std::nullopt;
}

void Authorizer::add_acl(const Uuid& id, AclBinding binding) {
    ASSERT(!add_inconsistency(id, binding), "an ACL that cannot be added");
    PatternKey key{binding.pattern.resource_type, binding.pattern.pattern_type,
                   binding.pattern.name};
    PatternAcls& acls = by_pattern_[key];
    if (binding.pattern.pattern_type == PatternType::prefixed && acls.empty()) {
        ++prefix_lengths_[{binding.pattern.resource_type, binding.pattern.name.size()}];
    }
    acls.emplace(id, binding.entry);
    id_by_binding_.emplace(binding, id);
    by_id_.emplace(id, std::move(binding));
    ASSERT(by_id_.size() == id_by_binding_.size());
}

void Authorizer::remove_acl(const Uuid& id) {
    auto it = by_id_.find(id);
    ASSERT(it != by_id_.end(), "removing an ACL that does not exist");
    const AclBinding& b = it->second;
    auto pattern_it = by_pattern_.find(
        PatternKeyView{b.pattern.resource_type, b.pattern.pattern_type, b.pattern.name});
    ASSERT(pattern_it != by_pattern_.end());
    ASSERT(pattern_it->second.erase(id) == 1);
    if (pattern_it->second.empty()) {
        by_pattern_.erase(pattern_it);
        if (b.pattern.pattern_type == PatternType::prefixed) {
            auto len_it = prefix_lengths_.find({b.pattern.resource_type, b.pattern.name.size()});
            ASSERT(len_it != prefix_lengths_.end() && len_it->second > 0);
            if (--len_it->second == 0) {
                prefix_lengths_.erase(len_it);
            }
        }
    }
    ASSERT(id_by_binding_.erase(b) == 1);
    by_id_.erase(it);
    ASSERT(by_id_.size() == id_by_binding_.size());
}

const AclBinding* Authorizer::acl(const Uuid& id) const {
    auto it = by_id_.find(id);
    return it == by_id_.end() ? nullptr : &it->second;
}

std::optional<Uuid> Authorizer::id_of(const AclBinding& binding) const {
    auto it = id_by_binding_.find(binding);
    if (it == id_by_binding_.end()) {
        return std::nullopt;
    }
    return it->second;
}

std::vector<std::pair<AclBinding, Uuid>> Authorizer::acls(const AclBindingFilter& filter) const {
    std::vector<std::pair<AclBinding, Uuid>> out;
    // id_by_binding_ iterates in AclBinding order already.
    for (const auto& [binding, id] : id_by_binding_) {
        if (filter.matches(binding)) {
            out.emplace_back(binding, id);
        }
    }
    return out;
}

bool Authorizer::is_super_user(const KafkaPrincipal& principal) const {
    return config_.super_users.contains(principal.to_string());
}

const Authorizer::PatternAcls* Authorizer::find_pattern(ResourceType type, PatternType pattern,
                                                        std::string_view name) const {
    auto it = by_pattern_.find(PatternKeyView{type, pattern, name});
    return it == by_pattern_.end() ? nullptr : &it->second;
}

void Authorizer::check_pattern(const PatternAcls& acls, const KafkaPrincipal& principal,
                               std::string_view host, AclOperation operation, Decision& d) const {
    ASSERT(!acls.empty(), "an empty pattern left in the index");
    d.applies = true;
    for (const auto& [id, entry] : acls) {
        (void)id;
        const auto r = entry_result(entry, principal, host, operation);
        if (r == AuthorizationResult::denied) {
            d.denied = true;
            return;  // DENY wins; nothing else can change the outcome
        }
        if (r == AuthorizationResult::allowed) {
            d.allowed = true;
        }
    }
}

AuthorizationResult Authorizer::authorize(const KafkaPrincipal& principal, std::string_view host,
                                          AclOperation operation, ResourceType resource_type,
                                          std::string_view resource_name) const {
    ASSERT(concrete(operation), "authorize() needs a concrete operation");
    ASSERT(concrete(resource_type), "authorize() needs a concrete resource type");
    if (is_super_user(principal)) {
        return AuthorizationResult::allowed;
    }
    Decision d;
    if (const auto* exact = find_pattern(resource_type, PatternType::literal, resource_name)) {
        check_pattern(*exact, principal, host, operation, d);
    }
    if (!d.denied && resource_name != wildcard_resource) {
        if (const auto* wild =
                find_pattern(resource_type, PatternType::literal, wildcard_resource)) {
            check_pattern(*wild, principal, host, operation, d);
        }
    }
    // PREFIXED patterns: one lookup per prefix length in use for this resource type.
    for (auto it = prefix_lengths_.lower_bound({resource_type, 0});
         !d.denied && it != prefix_lengths_.end() && it->first.first == resource_type; ++it) {
        const size_t length = it->first.second;
        ASSERT(it->second > 0);
        if (length > resource_name.size()) {
            break;  // lengths ascend: no longer prefix fits either
        }
        if (const auto* prefixed = find_pattern(resource_type, PatternType::prefixed,
                                                resource_name.substr(0, length))) {
            check_pattern(*prefixed, principal, host, operation, d);
        }
    }
    if (d.denied) {
        return AuthorizationResult::denied;
    }
    if (d.allowed) {
        return AuthorizationResult::allowed;
    }
    if (!d.applies && config_.allow_everyone_if_no_acl_found) {
        return AuthorizationResult::allowed;
    }
    return AuthorizationResult::denied;
}

AuthorizationResult Authorizer::authorize_by_resource_type(const KafkaPrincipal& principal,
                                                           std::string_view host,
                                                           AclOperation operation,
                                                           ResourceType resource_type) const {
    ASSERT(concrete(operation), "authorize_by_resource_type() needs a concrete operation");
    ASSERT(concrete(resource_type), "authorize_by_resource_type() needs a concrete type");
    if (authorize(principal, host, operation, resource_type, by_resource_type_probe_name) ==
        AuthorizationResult::allowed) {
        return AuthorizationResult::allowed;
    }
    std::set<std::string_view> deny_literal;
    std::set<std::string_view> deny_prefixed;
    std::vector<std::pair<PatternType, std::string_view>> allows;
    const std::string principal_text = principal.to_string();
    for (auto it = by_pattern_.lower_bound(
             PatternKeyView{resource_type, PatternType::unknown, std::string_view()});
         it != by_pattern_.end() && it->first.resource_type == resource_type; ++it) {
        const PatternKey& key = it->first;
        for (const auto& [id, e] : it->second) {
            (void)id;
            // Only the exact operation or ALL counts here: no DESCRIBE implications, as in
            // Kafka's default authorizeByResourceType.
            if (e.operation != operation && e.operation != AclOperation::all) {
                continue;
            }
            if (e.host != wildcard_host && e.host != host) {
                continue;
            }
            if (e.principal != wildcard_principal && e.principal != principal_text) {
                continue;
            }
            if (e.permission == AclPermissionType::deny) {
                if (key.pattern_type == PatternType::literal) {
                    if (key.name == wildcard_resource) {
                        return AuthorizationResult::denied;
                    }
                    deny_literal.insert(key.name);
                } else {
                    ASSERT(key.pattern_type == PatternType::prefixed);
                    deny_prefixed.insert(key.name);
                }
            } else {
                ASSERT(e.permission == AclPermissionType::allow);
                allows.emplace_back(key.pattern_type, key.name);
            }
        }
    }
    bool wildcard_allow = false;
    for (const auto& [pattern_type, name] : allows) {
        if (pattern_type == PatternType::literal && name == wildcard_resource) {
            wildcard_allow = true;
        }
    }
    if (wildcard_allow) {
        return AuthorizationResult::allowed;
    }
    for (const auto& [pattern_type, name] : allows) {
        if (pattern_type == PatternType::literal && deny_literal.contains(name)) {
            continue;
        }
        bool dominated = false;
        for (size_t n = 1; n <= name.size() && !dominated; ++n) {
            dominated = deny_prefixed.contains(name.substr(0, n));
        }
        if (!dominated) {
            return AuthorizationResult::allowed;
        }
    }
    return AuthorizationResult::denied;
}

AuthorizationResult Authorizer::authorize_idempotent_producer(const KafkaPrincipal& principal,
                                                              std::string_view host) const {
    if (authorize(principal, host, AclOperation::idempotent_write, ResourceType::cluster,
                  cluster_resource_name) == AuthorizationResult::allowed) {
        return AuthorizationResult::allowed;
    }
    return authorize_by_resource_type(principal, host, AclOperation::write, ResourceType::topic);
}

int32_t Authorizer::authorized_operations(const KafkaPrincipal& principal, std::string_view host,
                                          ResourceType resource_type,
                                          std::string_view resource_name) const {
    uint32_t bits = 0;
    for (AclOperation op : supported_operations(resource_type)) {
        static_assert(static_cast<int>(AclOperation::describe_tokens) < 32);
        if (authorize(principal, host, op, resource_type, resource_name) ==
            AuthorizationResult::allowed) {
            bits |= 1u << static_cast<unsigned>(code(op));
        }
    }
    return static_cast<int32_t>(bits);
}

}  // namespace eddy::security
