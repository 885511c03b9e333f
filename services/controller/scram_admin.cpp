// AlterUserScramCredentials on the active controller (KIP-554): checks each user's deletions and
// upsertions as Kafka's ScramControlManager does, turns the valid ones into
// UserScramCredentialRecord / RemoveUserScramCredentialRecord, and commits them in one entry.
// The client sends SaltedPassword = Hi(password, salt, iterations), never the password; the
// controller derives StoredKey and ServerKey from it (security::scram_credential_from_salted_password).
#include <set>

#include "services/controller/controller.h"
#include "services/security/scram.h"

namespace eddy::controller {

namespace e = kafka_error;

protocol::AlterUserScramCredentialsResponse Controller::alter_user_scram_credentials(
    const protocol::AlterUserScramCredentialsRequest& req) {
    using protocol::AlterUserScramCredentialsResponse;
    using protocol::records::RemoveUserScramCredentialRecord;
    using protocol::records::UserScramCredentialRecord;
    // Users in order of first appearance, each with its first error (none: all changes valid).
    std::vector<std::string> users;
    std::map<std::string, ApiError> errors;
    auto note = [&users, &errors](const std::string& user, ApiError err) {
        if (!errors.contains(user)) {
            users.push_back(user);
            errors.emplace(user, err);
        } else if (errors[user].ok()) {
            errors[user] = err;
        }
    };
    LockGuard g(mutex_);
    const ApiError caught_up = catch_up();
    std::set<std::pair<std::string, int8_t>> seen;
    std::vector<std::pair<std::string, MetadataRecord>> changes;  // by user
    for (const auto& d : req.deletions_) {
        const auto m = scram_mechanism_from_code(d.mechanism_);
        ApiError err;
        if (d.name_.empty()) {
            err = ApiError::of(e::unacceptable_credential, "Username must not be empty");
        } else if (!m) {
            err = ApiError::of(e::unsupported_sasl_mechanism, "Unknown SCRAM mechanism");
        } else if (!seen.insert({d.name_, d.mechanism_}).second) {
            err = ApiError::of(e::duplicate_resource,
                               "A user credential cannot be altered twice in the same request");
        } else if (caught_up.ok() &&
                   !image().scram_credentials().contains(MetadataImage::ScramKey(d.name_, *m))) {
            err = ApiError::of(e::resource_not_found,
                               "Attempt to delete a user credential that does not exist");
        } else {
            RemoveUserScramCredentialRecord r;
            r.name_ = d.name_;
            r.mechanism_ = d.mechanism_;
            changes.emplace_back(d.name_, r);
        }
        note(d.name_, err);
    }
    for (const auto& u : req.upsertions_) {
        const auto m = scram_mechanism_from_code(u.mechanism_);
        ApiError err;
        if (u.name_.empty()) {
            err = ApiError::of(e::unacceptable_credential, "Username must not be empty");
        } else if (!m) {
            err = ApiError::of(e::unsupported_sasl_mechanism, "Unknown SCRAM mechanism");
        } else if (!seen.insert({u.name_, u.mechanism_}).second) {
            err = ApiError::of(e::duplicate_resource,
                               "A user credential cannot be altered twice in the same request");
        } else if (u.iterations_ < security::limits::scram_iterations_min) {
            err = ApiError::of(e::unacceptable_credential, "Too few iterations");
        } else if (u.iterations_ > security::limits::scram_iterations_max) {
            err = ApiError::of(e::unacceptable_credential, "Too many iterations");
        } else if (auto c = security::scram_credential_from_salted_password(
                       *m, u.salted_password_, u.salt_, u.iterations_);
                   !c.ok()) {
            err = ApiError::of(e::unacceptable_credential, c.error());
        } else {
            UserScramCredentialRecord r;
            r.name_ = u.name_;
            r.mechanism_ = u.mechanism_;
            r.salt_ = c->salt;
            r.stored_key_ = c->stored_key;
            r.server_key_ = c->server_key;
            r.iterations_ = c->iterations;
            changes.emplace_back(u.name_, r);
        }
        note(u.name_, err);
    }
    std::vector<MetadataRecord> records;
    for (const auto& change : changes) {
        if (errors[change.first].ok()) {
            records.push_back(change.second);
        }
    }
    ApiError committed = caught_up;
    if (committed.ok() && !records.empty()) {
        committed = commit(records);
    }
    AlterUserScramCredentialsResponse resp;
    for (const auto& user : users) {
        AlterUserScramCredentialsResponse::AlterUserScramCredentialsResult r;
        r.user_ = user;
        const ApiError& err = errors[user].ok() ? committed : errors[user];
        r.error_code_ = err.code;
        r.error_message_ = err.ok() ? std::nullopt : err.message;
        resp.results_.push_back(std::move(r));
    }
    return resp;
}

}  // namespace eddy::controller
