// Model-based property: the indexed Authorizer against a naive linear scan written straight from
// the rules of StandardAuthorizer (every ACL looked at, no index), over random ACL sets built by
// random adds and removes, random requests and random DescribeAcls-style filters. Names,
// principals and hosts come from small alphabets so prefixes, wildcards and collisions are
// common.
#include <doctest/doctest.h>
#include <rapidcheck.h>

#include <algorithm>
#include <map>

#include "services/security/authorizer.h"

using namespace eddy::security;

namespace {

const std::vector<std::string> names = {"a", "ab", "abc", "abd", "b", "ba", "*", "a*"};
const std::vector<std::string> principals = {"User:alice", "User:bob", "User:*", "Group:alice",
                                             "User:a:b"};
const std::vector<KafkaPrincipal> request_principals = {{"User", "alice"},  {"User", "bob"},
                                                        {"Group", "alice"}, {"User", "a:b"},
                                                        {"User", "*"},      {"User", "carol"}};
const std::vector<std::string> hosts = {"*", "10.0.0.1", "10.0.0.2"};
const std::vector<ResourceType> types = {ResourceType::topic, ResourceType::group,
                                         ResourceType::cluster};

// rc::gen::inRange scales its range with the test size, which would make early tests pick only
// the first elements; the choice of alphabet element should not depend on the size.
template <typename T>
const T& pick(const std::vector<T>& v) {
    return v[*rc::gen::resize(rc::kNominalSize, rc::gen::inRange<size_t>(0, v.size()))];
}

// Every concrete operation, with DESCRIBE / DESCRIBE_CONFIGS and the operations implying them
// repeated so that implication cases (and DENYs that must not imply) come up often.
const std::vector<AclOperation> operations = {AclOperation::all,
                                              AclOperation::read,
                                              AclOperation::read,
                                              AclOperation::write,
                                              AclOperation::create,
                                              AclOperation::delete_,
                                              AclOperation::alter,
                                              AclOperation::describe,
                                              AclOperation::describe,
                                              AclOperation::describe,
                                              AclOperation::cluster_action,
                                              AclOperation::describe_configs,
                                              AclOperation::describe_configs,
                                              AclOperation::alter_configs,
                                              AclOperation::alter_configs,
                                              AclOperation::idempotent_write,
                                              AclOperation::create_tokens,
                                              AclOperation::describe_tokens};

AclOperation concrete_operation() { return pick(operations); }

AclBinding random_binding() {
    const ResourceType type = pick(types);
    const std::string name =
        type == ResourceType::cluster ? std::string(cluster_resource_name) : pick(names);
    const PatternType pattern = *rc::gen::element(PatternType::literal, PatternType::prefixed);
    return AclBinding{
        ResourcePattern{type, name, pattern},
        AccessControlEntry{pick(principals), pick(hosts), concrete_operation(),
                           *rc::gen::element(AclPermissionType::allow, AclPermissionType::deny)}};
}

// Whether a stored pattern applies to a resource: literal name or "*", or a prefix of the name.
bool model_applies(const ResourcePattern& pattern, ResourceType type, const std::string& name) {
    if (pattern.resource_type != type) {
        return false;
    }
    if (pattern.pattern_type == PatternType::literal) {
        return pattern.name == name || pattern.name == "*";
    }
    return name.size() >= pattern.name.size() &&
           name.compare(0, pattern.name.size(), pattern.name) == 0;
}

// The rules, one ACL at a time.
AuthorizationResult model_authorize(const std::map<Uuid, AclBinding>& acls,
                                    const AuthorizerConfig& config, const KafkaPrincipal& p,
                                    const std::string& host, AclOperation op, ResourceType type,
                                    const std::string& name) {
    if (config.super_users.contains(p.type + ":" + p.name)) {
        return AuthorizationResult::allowed;
    }
    bool applies = false;
    bool allow = false;
    bool deny = false;
    for (const auto& entry : acls) {
        const AclBinding& b = entry.second;
        if (!model_applies(b.pattern, type, name)) {
            continue;
        }
        applies = true;
        const bool principal_ok =
            b.entry.principal == "User:*" || b.entry.principal == p.type + ":" + p.name;
        const bool host_ok = b.entry.host == "*" || b.entry.host == host;
        const AclOperation a = b.entry.operation;
        bool op_ok = a == AclOperation::all || a == op;
        if (!op_ok && b.entry.permission == AclPermissionType::allow) {
            op_ok = (op == AclOperation::describe &&
                     (a == AclOperation::read || a == AclOperation::write ||
                      a == AclOperation::delete_ || a == AclOperation::alter)) ||
                    (op == AclOperation::describe_configs && a == AclOperation::alter_configs);
        }
        if (principal_ok && host_ok && op_ok) {
            (b.entry.permission == AclPermissionType::allow ? allow : deny) = true;
        }
    }
    if (deny) {
        return AuthorizationResult::denied;
    }
    if (allow || (!applies && config.allow_everyone_if_no_acl_found)) {
        return AuthorizationResult::allowed;
    }
    return AuthorizationResult::denied;
}

}  // namespace

TEST_CASE("property: indexed authorizer agrees with a linear scan of the rules") {
    const bool ok = rc::check("authorizer vs linear model", [] {
        AuthorizerConfig config;
        config.allow_everyone_if_no_acl_found = *rc::gen::arbitrary<bool>();
        if (*rc::gen::inRange(0, 4) == 0) {
            config.super_users.insert("User:bob");
        }
        Authorizer authz(config);
        std::map<Uuid, AclBinding> model;
        uint64_t next_id = 1;

        const int steps = *rc::gen::resize(rc::kNominalSize, rc::gen::inRange(0, 60));
        for (int step = 0; step < steps; ++step) {
            if (!model.empty() && *rc::gen::inRange(0, 4) == 0) {
                auto it = model.begin();
                std::advance(it, *rc::gen::inRange<size_t>(0, model.size()));
                authz.remove_acl(it->first);
                model.erase(it);
                continue;
            }
            const AclBinding b = random_binding();
            const Uuid id = Uuid::from_words(next_id++, 7);
            const bool duplicate = std::any_of(model.begin(), model.end(),
                                               [&b](const auto& e) { return e.second == b; });
            RC_ASSERT(authz.add_inconsistency(id, b).has_value() == duplicate);
            if (!duplicate) {
                authz.add_acl(id, b);
                model.emplace(id, b);
            }
        }
        RC_ASSERT(authz.acl_count() == model.size());

        for (int q = 0; q < 100; ++q) {
            const KafkaPrincipal& p = pick(request_principals);
            const std::string host =
                *rc::gen::element(std::string("10.0.0.1"), std::string("10.0.0.2"));
            // Half the requests ask for an operation that other operations imply.
            const AclOperation op =
                *rc::gen::arbitrary<bool>()
                    ? *rc::gen::element(AclOperation::describe, AclOperation::describe_configs)
                    : concrete_operation();
            const ResourceType type = pick(types);
            const std::string name =
                type == ResourceType::cluster
                    ? std::string(cluster_resource_name)
                    : pick(names) +
                          *rc::gen::element(std::string(), std::string(), std::string("c"));
            RC_ASSERT(authz.authorize(p, host, op, type, name) ==
                      model_authorize(model, config, p, host, op, type, name));
        }

        // Filters: the listing equals the model's matches, in AclBinding order.
        for (int q = 0; q < 10; ++q) {
            AclBindingFilter f = match_all_filter();
            if (*rc::gen::arbitrary<bool>()) {
                f.pattern.resource_type = pick(types);
            }
            f.pattern.pattern_type = *rc::gen::element(PatternType::any, PatternType::match,
                                                       PatternType::literal, PatternType::prefixed);
            if (*rc::gen::arbitrary<bool>()) {
                f.pattern.name = pick(names);
            }
            if (*rc::gen::inRange(0, 3) == 0) {
                f.entry.principal = pick(principals);
            }
            if (*rc::gen::inRange(0, 3) == 0) {
                f.entry.operation = concrete_operation();
            }
            std::vector<AclBinding> want;
            for (const auto& e : model) {
                if (f.matches(e.second)) {
                    want.push_back(e.second);
                }
            }
            std::sort(want.begin(), want.end());
            const auto got = authz.acls(f);
            RC_ASSERT(got.size() == want.size());
            for (size_t i = 0; i < got.size(); ++i) {
                RC_ASSERT(got[i].first == want[i]);
                RC_ASSERT(model.at(got[i].second) == want[i]);
            }
        }

        // MATCH on a resource finds exactly the ACLs that apply to it in a decision.
        for (int q = 0; q < 10; ++q) {
            const ResourceType type = pick(types);
            const std::string name =
                type == ResourceType::cluster
                    ? std::string(cluster_resource_name)
                    : pick(names) + *rc::gen::element(std::string(), std::string("c"));
            AclBindingFilter f = match_all_filter();
            f.pattern = ResourcePatternFilter{type, name, PatternType::match};
            size_t applying = 0;
            for (const auto& e : model) {
                applying += model_applies(e.second.pattern, type, name) ? 1 : 0;
            }
            const auto got = authz.acls(f);
            RC_ASSERT(got.size() == applying);
            for (const auto& g : got) {
                RC_ASSERT(model_applies(g.first.pattern, type, name));
            }
        }
    });
    CHECK(ok);
}
