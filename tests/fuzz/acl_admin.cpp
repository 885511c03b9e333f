// Fuzz target: the ACL admin path (services/security/acl_admin.h) and the principal mapping
// rules (services/security/principal_mapping.h) on untrusted input.
//
// Input layout: a selector byte, a version byte (mod 4), then the body. Selector mod 5:
//   0 CreateAcls, 1 DescribeAcls, 2 DeleteAcls — the body is the request at that version, run
//     against an authorizer holding a few ACLs; 3 an AccessControlEntryRecord (version 0) replayed
//     onto it; 4 ssl.principal.mapping.rules, a NUL, then a certificate subject.
// Invariants (a failure aborts): nothing a request or record carries reaches an ASSERT; every
// record create_acls / delete_acls emit is consistent with the ACL set and applies; CreateAcls
// answers once per creation and DeleteAcls once per filter; after DeleteAcls is applied, no
// remaining ACL matches a filter that succeeded; DescribeAcls lists only ACLs its filter matches;
// the authorizer answers for every ACL's own resource.
#include "services/security/acl_admin.h"

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/base/assert.h"
#include "services/security/principal_mapping.h"

using namespace eddy;
using namespace eddy::security;

namespace {

Authorizer seeded() {
    Authorizer authz(AuthorizerConfig{{"User:admin"}, false});
    const AclBinding seeds[] = {
        {{ResourceType::topic, "t", PatternType::literal},
         {"User:alice", "*", AclOperation::read, AclPermissionType::allow}},
        {{ResourceType::topic, "t", PatternType::prefixed},
         {"User:*", "10.0.0.1", AclOperation::all, AclPermissionType::deny}},
        {{ResourceType::group, "*", PatternType::literal},
         {"User:bob", "*", AclOperation::describe, AclPermissionType::allow}},
        {{ResourceType::cluster, "kafka-cluster", PatternType::literal},
         {"User:broker", "*", AclOperation::cluster_action, AclPermissionType::allow}},
    };
    uint64_t n = 1;
    for (const auto& b : seeds) {
        authz.add_acl(Uuid::from_words(n++, 0xf022), b);
    }
    return authz;
}

void check_answers(const Authorizer& authz) {
    const KafkaPrincipal alice{"User", "alice"};
    for (const auto& [id, b] : authz.acls_by_id()) {
        (void)id;
        const std::string_view name = b.pattern.name;
        (void)authz.authorize(alice, "10.0.0.1", AclOperation::describe, b.pattern.resource_type,
                              name);
        (void)authz.authorize_by_resource_type(alice, "10.0.0.1", AclOperation::write,
                                               b.pattern.resource_type);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 2) {
        return 0;
    }
    const uint8_t selector = data[0] % 5;
    const auto version = static_cast<int16_t>(data[1] % 4);
    const ByteSpan body(reinterpret_cast<const std::byte*>(data + 2), size - 2);
    protocol::Reader r(body);
    Authorizer authz = seeded();
    uint64_t next_id = 100;
    auto new_id = [&next_id] { return Uuid::from_words(next_id++, 0xf022); };

    switch (selector) {
        case 0: {
            auto req = protocol::CreateAclsRequest::decode(r, version);
            if (!req.ok()) {
                return 0;
            }
            auto out = create_acls(authz, *req, new_id);
            ASSERT(out.response.results_.size() == req->creations_.size());
            for (const auto& rec : out.records) {
                ASSERT(!acl_record_inconsistency(authz, AclRecord{rec}));
                apply_acl_record(authz, AclRecord{rec});
            }
            break;
        }
        case 1: {
            auto req = protocol::DescribeAclsRequest::decode(r, version);
            if (!req.ok()) {
                return 0;
            }
            const auto resp = describe_acls(authz, *req);
            const AclBindingFilter filter = filter_of(*req);
            for (const auto& res : resp.resources_) {
                for (const auto& d : res.acls_) {
                    const AclBinding b{
                        {resource_type_from_code(res.resource_type_), res.resource_name_,
                         pattern_type_from_code(res.pattern_type_)},
                        {d.principal_, d.host_, operation_from_code(d.operation_),
                         permission_type_from_code(d.permission_type_)}};
                    ASSERT(authz.id_of(b).has_value(), "DescribeAcls listed an unknown ACL");
                    ASSERT(filter.matches(b), "DescribeAcls listed an ACL its filter rejects");
                }
            }
            break;
        }
        case 2: {
            auto req = protocol::DeleteAclsRequest::decode(r, version);
            if (!req.ok()) {
                return 0;
            }
            auto out = delete_acls(authz, *req);
            ASSERT(out.response.filter_results_.size() == req->filters_.size());
            for (const auto& rec : out.records) {
                ASSERT(!acl_record_inconsistency(authz, AclRecord{rec}));
                apply_acl_record(authz, AclRecord{rec});
            }
            for (size_t i = 0; i < req->filters_.size(); ++i) {
                if (out.response.filter_results_[i].error_code_ != 0) {
                    continue;
                }
                ASSERT(authz.acls(filter_of(req->filters_[i])).empty(),
                       "an ACL a DeleteAcls filter matched survived");
            }
            break;
        }
        case 3: {
            auto rec = protocol::records::AccessControlEntryRecord::decode(r, 0);
            if (!rec.ok()) {
                return 0;
            }
            if (!acl_record_inconsistency(authz, AclRecord{*rec})) {
                apply_acl_record(authz, AclRecord{*rec});
                protocol::records::RemoveAccessControlEntryRecord remove;
                remove.id_ = rec->id_;
                ASSERT(!acl_record_inconsistency(authz, AclRecord{remove}));
            }
            break;
        }
        default: {
            const std::string_view text(reinterpret_cast<const char*>(data + 2), size - 2);
            const size_t nul = text.find('\0');
            const std::string_view rules = text.substr(0, nul);
            const std::string_view subject =
                nul == std::string_view::npos ? std::string_view() : text.substr(nul + 1);
            auto mapper = SslPrincipalMapper::parse(rules);
            if (mapper.ok()) {
                (void)mapper->map(subject);
            }
            return 0;
        }
    }
    check_answers(authz);
    return 0;
}
