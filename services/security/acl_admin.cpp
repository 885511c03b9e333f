#include "services/security/acl_admin.h"

#include <set>

#include "core/base/assert.h"
#include "core/protocol/error_codes.h"

namespace eddy::security {

namespace {

using protocol::records::AccessControlEntryRecord;
using protocol::records::RemoveAccessControlEntryRecord;

// Random ids collide with negligible probability; this many draws in a row colliding means the
// id source is broken (a programmer error), not bad luck.
constexpr int id_draws_max = 64;

constexpr const char* no_authorizer_message = "No Authorizer is configured on the broker";

// Sets a result's error fields: the generated default message is "", Kafka sends null with NONE.
template <typename R>
void set_error(R& r, int16_t error, std::optional<std::string> message = std::nullopt) {
    r.error_code_ = error;
    r.error_message_ = std::move(message);
}

// AccessControlEntryRecord and DeleteAclsMatchingAcl spell a binding with the same fields.
template <typename T>
void set_binding_fields(T& out, const AclBinding& b) {
    out.resource_type_ = code(b.pattern.resource_type);
    out.resource_name_ = b.pattern.name;
    out.pattern_type_ = code(b.pattern.pattern_type);
    out.principal_ = b.entry.principal;
    out.host_ = b.entry.host;
    out.operation_ = code(b.entry.operation);
    out.permission_type_ = code(b.entry.permission);
}

}  // namespace

AccessControlEntryRecord acl_record(const Uuid& id, const AclBinding& b) {
    AccessControlEntryRecord r;
    r.id_ = id;
    set_binding_fields(r, b);
    return r;
}

AclBinding binding_of(const AccessControlEntryRecord& r) {
    return AclBinding{ResourcePattern{resource_type_from_code(r.resource_type_), r.resource_name_,
                                      pattern_type_from_code(r.pattern_type_)},
                      AccessControlEntry{r.principal_, r.host_, operation_from_code(r.operation_),
                                         permission_type_from_code(r.permission_type_)}};
}

std::optional<std::string> acl_record_inconsistency(const Authorizer& acls, const AclRecord& r) {
    if (const auto* add = std::get_if<AccessControlEntryRecord>(&r)) {
        if (auto why = acls.add_inconsistency(add->id_, binding_of(*add))) {
            return "AccessControlEntryRecord: " + *why;
        }
        return std::nullopt;
    }
    const auto& remove = std::get<RemoveAccessControlEntryRecord>(r);
    if (acls.acl(remove.id_) == nullptr) {
        return std::string("RemoveAccessControlEntryRecord: no ACL with that id");
    }
    return std::nullopt;
}

void apply_acl_record(Authorizer& acls, const AclRecord& r) {
    ASSERT(!acl_record_inconsistency(acls, r), "an ACL record inconsistent with the ACL set");
    if (const auto* add = std::get_if<AccessControlEntryRecord>(&r)) {
        acls.add_acl(add->id_, binding_of(*add));
    } else {
        acls.remove_acl(std::get<RemoveAccessControlEntryRecord>(r).id_);
    }
}

std::vector<AccessControlEntryRecord> acl_snapshot_records(const Authorizer& acls) {
    std::vector<AccessControlEntryRecord> out;
    out.reserve(acls.acl_count());
    for (const auto& [id, binding] : acls.acls_by_id()) {
        out.push_back(acl_record(id, binding));
    }
    return out;
}

Result<AclBinding, std::string> binding_of(const protocol::CreateAclsRequest::AclCreation& c) {
    AclBinding b{ResourcePattern{resource_type_from_code(c.resource_type_), c.resource_name_,
                                 pattern_type_from_code(c.resource_pattern_type_)},
                 AccessControlEntry{c.principal_, c.host_, operation_from_code(c.operation_),
                                    permission_type_from_code(c.permission_type_)}};
    if (auto why = binding_invalid(b)) {
        return fail(std::move(*why));
    }
    return b;
}

CreateAclsOutcome create_acls(const Authorizer& acls, const protocol::CreateAclsRequest& request,
                              const std::function<Uuid()>& new_id) {
    CreateAclsOutcome out;
    std::set<AclBinding> created;  // bindings this request already adds
    std::set<Uuid> drawn;
    for (const auto& creation : request.creations_) {
        protocol::CreateAclsResponse::AclCreationResult result;
        set_error(result, kafka_error::none);
        auto binding = binding_of(creation);
        if (!binding.ok()) {
            set_error(result, kafka_error::invalid_request, binding.error());
        } else if (acls.id_of(*binding) || created.contains(*binding)) {
            // Already present: success without a record (Kafka's existingAcls check).
        } else if (acls.acl_count() + created.size() >= limits::acls_max) {
            set_error(
                result, kafka_error::invalid_request,
                "The cluster holds the maximum of " + std::to_string(limits::acls_max) + " ACLs");
        } else {
            Uuid id = new_id();
            int draws = 1;
            while (id.is_zero() || acls.acl(id) != nullptr || drawn.contains(id)) {
                ASSERT(draws < id_draws_max, "the ACL id source keeps repeating itself");
                id = new_id();
                ++draws;
            }
            drawn.insert(id);
            created.insert(*binding);
            ASSERT(!acls.add_inconsistency(id, *binding));
            out.records.push_back(acl_record(id, *binding));
        }
        out.response.results_.push_back(std::move(result));
    }
    ASSERT(out.response.results_.size() == request.creations_.size());
    ASSERT(out.records.size() == created.size());
    return out;
}

namespace {

// DescribeAclsRequest and DeleteAclsFilter spell a filter with the same fields.
template <typename T>
AclBindingFilter filter_fields(const T& f) {
    return AclBindingFilter{
        ResourcePatternFilter{resource_type_from_code(f.resource_type_filter_),
                              f.resource_name_filter_,
                              pattern_type_from_code(f.pattern_type_filter_)},
        AccessControlEntryFilter{f.principal_filter_, f.host_filter_,
                                 operation_from_code(f.operation_),
                                 permission_type_from_code(f.permission_type_)}};
}

}  // namespace

AclBindingFilter filter_of(const protocol::DescribeAclsRequest& r) { return filter_fields(r); }

AclBindingFilter filter_of(const protocol::DeleteAclsRequest::DeleteAclsFilter& f) {
    return filter_fields(f);
}

namespace {

// Kafka's validateFilter messages.
std::optional<std::string> filter_unknown(const AclBindingFilter& f) {
    if (f.pattern.is_unknown()) {
        return std::string("Unknown patternFilter.");
    }
    if (f.entry.is_unknown()) {
        return std::string("Unknown entryFilter.");
    }
    return std::nullopt;
}

}  // namespace

protocol::DescribeAclsResponse describe_acls(const Authorizer& acls,
                                             const protocol::DescribeAclsRequest& request) {
    protocol::DescribeAclsResponse out;
    set_error(out, kafka_error::none);
    const AclBindingFilter filter = filter_of(request);
    if (auto why = filter_unknown(filter)) {
        set_error(out, kafka_error::invalid_request, std::move(*why));
        return out;
    }
    // acls() lists in AclBinding order, which sorts by pattern first: one group per pattern.
    for (const auto& [binding, id] : acls.acls(filter)) {
        (void)id;
        const ResourcePattern& p = binding.pattern;
        if (out.resources_.empty() ||
            out.resources_.back().resource_type_ != code(p.resource_type) ||
            out.resources_.back().resource_name_ != p.name ||
            out.resources_.back().pattern_type_ != code(p.pattern_type)) {
            protocol::DescribeAclsResponse::DescribeAclsResource resource;
            resource.resource_type_ = code(p.resource_type);
            resource.resource_name_ = p.name;
            resource.pattern_type_ = code(p.pattern_type);
            out.resources_.push_back(std::move(resource));
        }
        protocol::DescribeAclsResponse::AclDescription d;
        d.principal_ = binding.entry.principal;
        d.host_ = binding.entry.host;
        d.operation_ = code(binding.entry.operation);
        d.permission_type_ = code(binding.entry.permission);
        out.resources_.back().acls_.push_back(std::move(d));
    }
    return out;
}

DeleteAclsOutcome delete_acls(const Authorizer& acls, const protocol::DeleteAclsRequest& request) {
    DeleteAclsOutcome out;
    std::set<Uuid> removed;
    for (const auto& f : request.filters_) {
        protocol::DeleteAclsResponse::DeleteAclsFilterResult result;
        set_error(result, kafka_error::none);
        const AclBindingFilter filter = filter_of(f);
        if (auto why = filter_unknown(filter)) {
            set_error(result, kafka_error::invalid_request, std::move(*why));
            out.response.filter_results_.push_back(std::move(result));
            continue;
        }
        for (const auto& [binding, id] : acls.acls(filter)) {
            protocol::DeleteAclsResponse::DeleteAclsMatchingAcl m;
            set_error(m, kafka_error::none);
            set_binding_fields(m, binding);
            result.matching_acls_.push_back(std::move(m));
            if (removed.insert(id).second) {
                RemoveAccessControlEntryRecord r;
                r.id_ = id;
                out.records.push_back(r);
            }
        }
        out.response.filter_results_.push_back(std::move(result));
    }
    ASSERT(out.response.filter_results_.size() == request.filters_.size());
    return out;
}

namespace {

// One SECURITY_DISABLED result per item (creation or filter), as Kafka's getErrorResponse.
template <typename R>
std::vector<R> security_disabled_results(size_t n) {
    std::vector<R> out(n);
    for (R& r : out) {
        set_error(r, kafka_error::security_disabled, no_authorizer_message);
    }
    return out;
}

}  // namespace

protocol::CreateAclsResponse create_acls_security_disabled(
    const protocol::CreateAclsRequest& request) {
    protocol::CreateAclsResponse out;
    out.results_ = security_disabled_results<protocol::CreateAclsResponse::AclCreationResult>(
        request.creations_.size());
    return out;
}

protocol::DescribeAclsResponse describe_acls_security_disabled() {
    protocol::DescribeAclsResponse out;
    set_error(out, kafka_error::security_disabled, no_authorizer_message);
    return out;
}

protocol::DeleteAclsResponse delete_acls_security_disabled(
    const protocol::DeleteAclsRequest& request) {
    protocol::DeleteAclsResponse out;
    out.filter_results_ =
        security_disabled_results<protocol::DeleteAclsResponse::DeleteAclsFilterResult>(
            request.filters_.size());
    return out;
}

}  // namespace eddy::security
