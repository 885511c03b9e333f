// The ACL admin calls (KIP-140) of the client, for `eddy acl add|list|remove`: one request to any
// broker, retried on connection failures and retriable whole-request codes; the per-binding and
// per-filter outcomes are left in the response for the caller.
#include "services/client/client.h"

namespace eddy::client {

Result<protocol::CreateAclsResponse, ClientError> Client::create_acls(
    const protocol::CreateAclsRequest& request) {
    const Instant d = deadline();
    return with_retries(d, [&]() -> Result<protocol::CreateAclsResponse, ClientError> {
        TRY_ASSIGN(BrokerConnection * conn, any_broker(d));
        return conn->call<protocol::CreateAclsResponse>(request, d);
    });
}

Result<protocol::DescribeAclsResponse, ClientError> Client::describe_acls(
    const protocol::DescribeAclsRequest& request) {
    const Instant d = deadline();
    return with_retries(d, [&]() -> Result<protocol::DescribeAclsResponse, ClientError> {
        TRY_ASSIGN(BrokerConnection * conn, any_broker(d));
        TRY_ASSIGN(auto resp, conn->call<protocol::DescribeAclsResponse>(request, d));
        if (resp.error_code_ != error_code::none) {
            return fail(ClientError{resp.error_code_, resp.error_message_.value_or("")});
        }
        return resp;
    });
}

Result<protocol::DeleteAclsResponse, ClientError> Client::delete_acls(
    const protocol::DeleteAclsRequest& request) {
    const Instant d = deadline();
    return with_retries(d, [&]() -> Result<protocol::DeleteAclsResponse, ClientError> {
        TRY_ASSIGN(BrokerConnection * conn, any_broker(d));
        return conn->call<protocol::DeleteAclsResponse>(request, d);
    });
}

}  // namespace eddy::client
