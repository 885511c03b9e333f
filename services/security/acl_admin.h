// The ACL admin APIs (CreateAcls 30, DescribeAcls 29, DeleteAcls 31; KIP-140) as pure functions
// from the generated request structs and the current ACL set to the response and the metadata
// records that carry the change, so a broker or controller handler only authorizes the caller
// (ALTER / DESCRIBE on the cluster), calls these, appends the records and applies them.
//
// Records: an ACL lives in the metadata log as an AccessControlEntryRecord (its Uuid is the ACL's
// id) and is removed by a RemoveAccessControlEntryRecord naming that id, as in KRaft. The
// functions here never change the Authorizer: the caller applies the records once the metadata
// log has them (apply_acl_record), so every node converges on the same ACL set.
//
// Per-binding outcomes follow Kafka's AclControlManager: an invalid binding fails alone with
// INVALID_REQUEST and a message; creating an ACL that exists (or twice in one request) succeeds
// without a second record; a DeleteAcls filter with UNKNOWN fields fails alone with
// INVALID_REQUEST; an ACL matched by several filters is listed under each but removed once.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "core/base/result.h"
#include "core/protocol/generated/create_acls.h"
#include "core/protocol/generated/delete_acls.h"
#include "core/protocol/generated/describe_acls.h"
#include "core/protocol/generated/records/access_control_entry_record.h"
#include "core/protocol/generated/records/remove_access_control_entry_record.h"
#include "services/security/acl.h"
#include "services/security/authorizer.h"

namespace eddy::security {

// --- metadata records ------------------------------------------------------------------------

protocol::records::AccessControlEntryRecord acl_record(const Uuid& id, const AclBinding& binding);
// The binding a record carries (codes converted; not validated — see acl_record_inconsistency).
AclBinding binding_of(const protocol::records::AccessControlEntryRecord& record);

using AclRecord = std::variant<protocol::records::AccessControlEntryRecord,
                               protocol::records::RemoveAccessControlEntryRecord>;

// Why a record cannot follow the ACL set (an id in use or unknown, an invalid binding, …), in one
// line; nullopt when it can. Records from disk or peers are checked with this first.
std::optional<std::string> acl_record_inconsistency(const Authorizer& acls, const AclRecord& r);
// Applies a consistent record (ASSERT).
void apply_acl_record(Authorizer& acls, const AclRecord& r);
// The records that rebuild the ACL set on an empty one, in id order (for metadata snapshots).
std::vector<protocol::records::AccessControlEntryRecord> acl_snapshot_records(
    const Authorizer& acls);

// --- CreateAcls ------------------------------------------------------------------------------

struct CreateAclsOutcome {
    protocol::CreateAclsResponse response;  // one result per creation, in request order
    std::vector<protocol::records::AccessControlEntryRecord> records;  // the ACLs to add
};

// `new_id` draws a fresh random id (from Env's Random: ids must not repeat across controllers
// and restarts); ids already in use or drawn earlier in this request are drawn again.
CreateAclsOutcome create_acls(const Authorizer& acls, const protocol::CreateAclsRequest& request,
                              const std::function<Uuid()>& new_id);

// The binding a creation names, or the INVALID_REQUEST message for it.
Result<AclBinding, std::string> binding_of(
    const protocol::CreateAclsRequest::AclCreation& creation);

// --- DescribeAcls ----------------------------------------------------------------------------

// The ACLs the request's filter matches, grouped by resource pattern, in AclBinding order; or
// INVALID_REQUEST when the filter has UNKNOWN fields.
protocol::DescribeAclsResponse describe_acls(const Authorizer& acls,
                                             const protocol::DescribeAclsRequest& request);

AclBindingFilter filter_of(const protocol::DescribeAclsRequest& request);

// --- DeleteAcls ------------------------------------------------------------------------------

struct DeleteAclsOutcome {
    protocol::DeleteAclsResponse response;  // one result per filter, in request order
    std::vector<protocol::records::RemoveAccessControlEntryRecord> records;  // each id once
};

DeleteAclsOutcome delete_acls(const Authorizer& acls, const protocol::DeleteAclsRequest& request);

AclBindingFilter filter_of(const protocol::DeleteAclsRequest::DeleteAclsFilter& filter);

// --- no authorizer configured ----------------------------------------------------------------

// The answers when authorizer.class.name is unset: SECURITY_DISABLED (54) for every creation,
// the describe, and every filter, as Kafka's AclApis answers.
protocol::CreateAclsResponse create_acls_security_disabled(
    const protocol::CreateAclsRequest& request);
protocol::DescribeAclsResponse describe_acls_security_disabled();
protocol::DeleteAclsResponse delete_acls_security_disabled(
    const protocol::DeleteAclsRequest& request);

}  // namespace eddy::security
