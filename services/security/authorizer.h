// Authorizer: the ACL set of the cluster and Kafka's StandardAuthorizer decision on it
// (org.apache.kafka.metadata.authorizer.StandardAuthorizerData), as pure, deterministic code.
//
// Decision for (principal, host, operation, resource type, resource name):
//  1. a super user (super.users) is always allowed;
//  2. the ACLs that apply to the resource are the LITERAL ones on its exact name, the LITERAL "*"
//     of its type, and the PREFIXED ones whose name starts the resource name;
//  3. of those, an ACL matches the request if its principal is the request's or "User:*", its
//     host is the client's address or "*", and its operation covers the request's: equal, ALL,
//     or — for ALLOW ACLs only — READ/WRITE/DELETE/ALTER cover DESCRIBE and ALTER_CONFIGS covers
//     DESCRIBE_CONFIGS (a DENY READ does not deny DESCRIBE; a DENY ALL denies everything);
//  4. any matching DENY → denied; else any matching ALLOW → allowed; else, if no ACL at all
//     applies to the resource (step 2, whoever it names), allow.everyone.if.no.acl.found decides;
//     otherwise denied.
//
// ACLs are identified by the Uuid of the AccessControlEntryRecord that created them (KRaft
// stores ACLs in the metadata log; RemoveAccessControlEntryRecord names the id). Identical
// bindings are one ACL, as in Kafka's AclControlManager.
//
// Index: an ordered map keyed by (resource type, pattern type, name) → the ACLs of that pattern,
// and per resource type the set of PREFIXED pattern lengths, so a decision looks up the exact
// name, "*", and name[0, n) for each stored prefix length n: O((1 + lengths) · log ACLs).
// Every container is ordered; listings come back in AclBinding order. The object is not shared
// across threads (one reactor per process); a broker rebuilds or updates it as records apply.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/base/result.h"
#include "core/protocol/wire.h"
#include "services/security/acl.h"
#include "services/security/principal.h"

namespace eddy::security {

using protocol::Uuid;

enum class AuthorizationResult : uint8_t { allowed, denied };

struct AuthorizerConfig {
    // super.users: principals in "type:name" form that every check allows.
    std::set<std::string, std::less<>> super_users;
    // allow.everyone.if.no.acl.found (Kafka's default: false).
    bool allow_everyone_if_no_acl_found = false;
};

// super.users: principals separated by semicolons; whitespace around each is trimmed and empty
// items are skipped (Kafka's StandardAuthorizer.getConfiguredSuperUsers). Each must parse as
// type:name; the error names the first that does not.
Result<std::set<std::string, std::less<>>, std::string> parse_super_users(std::string_view value);

namespace limits {
// ACLs one authorizer holds. Kafka has no limit; this one bounds memory against a runaway
// client creating ACLs in a loop. CreateAcls beyond it fails per binding.
inline constexpr size_t acls_max = 100'000;
}  // namespace limits

class Authorizer {
public:
    explicit Authorizer(AuthorizerConfig config = {});

    const AuthorizerConfig& config() const { return config_; }
    void set_config(AuthorizerConfig config) { config_ = std::move(config); }

    // --- the ACL set ---------------------------------------------------------------------------

    // Why an ACL with this id and binding cannot be added (a zero id, an id in use, an identical
    // binding under another id, a binding binding_invalid() refuses, the ACL limit); nullopt when
    // it can. Records read from disk or peers are checked with this before add_acl.
    std::optional<std::string> add_inconsistency(const Uuid& id, const AclBinding& binding) const;
    // Adds an ACL; add_inconsistency() must be nullopt (ASSERT).
    void add_acl(const Uuid& id, AclBinding binding);
    // Removes the ACL with this id, which must exist (ASSERT; check acl(id) for untrusted ids).
    void remove_acl(const Uuid& id);

    const AclBinding* acl(const Uuid& id) const;
    // The id of the ACL equal to `binding`, if there is one.
    std::optional<Uuid> id_of(const AclBinding& binding) const;
    size_t acl_count() const { return by_id_.size(); }
    const std::map<Uuid, AclBinding>& acls_by_id() const { return by_id_; }

    // The ACLs the filter matches, in AclBinding order, with their ids.
    std::vector<std::pair<AclBinding, Uuid>> acls(const AclBindingFilter& filter) const;

    // --- decisions -----------------------------------------------------------------------------

    // The StandardAuthorizer decision (see the file comment). `host` is the client's address as
    // the connection reports it. `operation` must be concrete (not ANY/UNKNOWN) and
    // `resource_type` too (ASSERT: callers pass constants from the API table, never client
    // input). For the CLUSTER resource pass cluster_resource_name.
    AuthorizationResult authorize(const KafkaPrincipal& principal, std::string_view host,
                                  AclOperation operation, ResourceType resource_type,
                                  std::string_view resource_name) const;

    // Kafka's Authorizer.authorizeByResourceType (KIP-679): may the principal perform `operation`
    // on *some* resource of this type? Used for InitProducerId without a transactional id
    // (WRITE on any topic stands in for IDEMPOTENT_WRITE on the cluster). Allowed if the
    // principal is allowed on a resource named "hardcode" (so super users and
    // allow.everyone.if.no.acl.found apply), else if an ALLOW ACL (operation equal or ALL, no
    // implications) for the principal or User:* and the host or "*" is LITERAL "*", or is a
    // LITERAL name not denied by a LITERAL DENY on the same name nor by a PREFIXED DENY on a
    // prefix of it, or is PREFIXED and not denied by a PREFIXED DENY on a prefix of it. A
    // LITERAL "*" DENY denies outright.
    AuthorizationResult authorize_by_resource_type(const KafkaPrincipal& principal,
                                                   std::string_view host, AclOperation operation,
                                                   ResourceType resource_type) const;

    // InitProducerId without a transactional id (KafkaApis): IDEMPOTENT_WRITE on the cluster, or
    // else WRITE on some topic (authorize_by_resource_type). Refused →
    // CLUSTER_AUTHORIZATION_FAILED.
    AuthorizationResult authorize_idempotent_producer(const KafkaPrincipal& principal,
                                                      std::string_view host) const;

    // The authorized-operations bit set Metadata, DescribeCluster and DescribeGroups return
    // (Kafka's AuthHelper.authorizedOperations): bit `code(op)` set for each operation Kafka
    // lists as supported by the resource type (AclEntry.supportedOperations) that authorize()
    // allows.
    int32_t authorized_operations(const KafkaPrincipal& principal, std::string_view host,
                                  ResourceType resource_type, std::string_view resource_name) const;

    bool is_super_user(const KafkaPrincipal& principal) const;

private:
    struct PatternKey {
        ResourceType resource_type;
        PatternType pattern_type;
        std::string name;
    };
    struct PatternKeyView {
        ResourceType resource_type;
        PatternType pattern_type;
        std::string_view name;
    };
    struct PatternKeyLess {
        using is_transparent = void;
        template <typename A, typename B>
        bool operator()(const A& a, const B& b) const {
            if (a.resource_type != b.resource_type) {
                return a.resource_type < b.resource_type;
            }
            if (a.pattern_type != b.pattern_type) {
                return a.pattern_type < b.pattern_type;
            }
            return std::string_view(a.name) < std::string_view(b.name);
        }
    };
    // The ACLs of one resource pattern, by id.
    using PatternAcls = std::map<Uuid, AccessControlEntry>;

    // Folds the ACLs of one pattern into a decision in progress.
    struct Decision {
        bool applies = false;  // some ACL applies to the resource (whoever it names)
        bool allowed = false;
        bool denied = false;
    };
    void check_pattern(const PatternAcls& acls, const KafkaPrincipal& principal,
                       std::string_view host, AclOperation operation, Decision& d) const;
    const PatternAcls* find_pattern(ResourceType type, PatternType pattern,
                                    std::string_view name) const;

    AuthorizerConfig config_;
    std::map<Uuid, AclBinding> by_id_;
    std::map<AclBinding, Uuid> id_by_binding_;                      // derived from by_id_
    std::map<PatternKey, PatternAcls, PatternKeyLess> by_pattern_;  // derived from by_id_
    // Per resource type: each PREFIXED pattern length in use → how many patterns have it.
    std::map<std::pair<ResourceType, size_t>, size_t> prefix_lengths_;  // derived from by_id_
};

// The decision rule applied to one ACL entry whose pattern applies to the resource: nullopt if
// the entry does not match the request, else its permission's result.
std::optional<AuthorizationResult> entry_result(const AccessControlEntry& entry,
                                                const KafkaPrincipal& principal,
                                                std::string_view host, AclOperation operation);

}  // namespace eddy::security
