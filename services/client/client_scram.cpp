// SCRAM credential administration (KIP-554): AlterUserScramCredentials and
// DescribeUserScramCredentials, for `eddy user`. See client.h.
#include <algorithm>
#include <string>

#include "core/protocol/generated/alter_user_scram_credentials.h"
#include "core/protocol/generated/describe_user_scram_credentials.h"
#include "services/client/client.h"
#include "services/controller/metadata_image.h"
#include "services/security/scram.h"

namespace eddy::client {

namespace {

Result<void, ClientError> first_error(const protocol::AlterUserScramCredentialsResponse& resp) {
    for (const auto& r : resp.results_) {
        if (r.error_code_ != error_code::none) {
            return fail(ClientError{r.error_code_, r.user_ + ": " + r.error_message_.value_or("")});
        }
    }
    return {};
}

}  // namespace

Result<void, ClientError> Client::set_scram_credential(const std::string& user,
                                                       security::ScramMechanism mechanism,
                                                       const std::string& password,
                                                       int32_t iterations,
                                                       security::SaslRandom& random) {
    protocol::AlterUserScramCredentialsRequest req;
    protocol::AlterUserScramCredentialsRequest::ScramCredentialUpsertion u;
    u.name_ = user;
    u.mechanism_ = controller::scram_mechanism_code(mechanism);
    u.iterations_ = iterations;
    u.salt_ = Bytes(security::limits::scram_salt_bytes);
    random.fill(u.salt_);
    // Hi() with a count out of bounds is the broker's to refuse (UNACCEPTABLE_CREDENTIAL); only
    // a count PBKDF2 can run is derived here.
    const int32_t derive = std::clamp(iterations, security::limits::scram_iterations_min,
                                      security::limits::scram_iterations_max);
    u.salted_password_ = security::scram_salted_password(mechanism, password, u.salt_, derive);
    req.upsertions_.push_back(std::move(u));
    const Instant d = deadline();
    return with_retries(d, [&]() -> Result<void, ClientError> {
        TRY_ASSIGN(BrokerConnection * conn, any_broker(d));
        TRY_ASSIGN(auto resp, conn->call<protocol::AlterUserScramCredentialsResponse>(req, d));
        return first_error(resp);
    });
}

Result<void, ClientError> Client::delete_scram_credential(const std::string& user,
                                                          security::ScramMechanism mechanism) {
    protocol::AlterUserScramCredentialsRequest req;
    protocol::AlterUserScramCredentialsRequest::ScramCredentialDeletion del;
    del.name_ = user;
    del.mechanism_ = controller::scram_mechanism_code(mechanism);
    req.deletions_.push_back(std::move(del));
    const Instant d = deadline();
    return with_retries(d, [&]() -> Result<void, ClientError> {
        TRY_ASSIGN(BrokerConnection * conn, any_broker(d));
        TRY_ASSIGN(auto resp, conn->call<protocol::AlterUserScramCredentialsResponse>(req, d));
        return first_error(resp);
    });
}

Result<std::vector<Client::ScramUser>, ClientError> Client::list_scram_credentials() {
    protocol::DescribeUserScramCredentialsRequest req;
    req.users_ = std::nullopt;  // every user
    const Instant d = deadline();
    return with_retries(d, [&]() -> Result<std::vector<ScramUser>, ClientError> {
        TRY_ASSIGN(BrokerConnection * conn, any_broker(d));
        TRY_ASSIGN(auto resp, conn->call<protocol::DescribeUserScramCredentialsResponse>(req, d));
        if (resp.error_code_ != error_code::none) {
            return fail(ClientError{resp.error_code_, resp.error_message_.value_or("")});
        }
        std::vector<ScramUser> out;
        for (const auto& r : resp.results_) {
            ScramUser u;
            u.user = r.user_;
            for (const auto& info : r.credential_infos_) {
                if (auto m = controller::scram_mechanism_from_code(info.mechanism_)) {
                    u.credentials.emplace_back(*m, info.iterations_);
                }
            }
            out.push_back(std::move(u));
        }
        return out;
    });
}

}  // namespace eddy::client
