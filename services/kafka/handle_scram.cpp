// SCRAM credentials (KIP-554): AlterUserScramCredentials is forwarded to the active controller,
// which commits UserScramCredentialRecord / RemoveUserScramCredentialRecord to the metadata log
// (controller/scram_admin.cpp); DescribeUserScramCredentials is answered from this node's image,
// as are the SASL sessions' lookups (ImageScramCredentials). Descriptions carry mechanisms and
// iterations only, never salts or keys.
#include <set>

#include "services/kafka/broker.h"
#include "services/kafka/forwarding.h"

namespace eddy::kafka {

using protocol::AlterUserScramCredentialsRequest;
using protocol::AlterUserScramCredentialsResponse;
using protocol::DescribeUserScramCredentialsRequest;
using protocol::DescribeUserScramCredentialsResponse;

std::optional<security::ScramCredential> Broker::ImageScramCredentials::find(
    std::string_view user, security::ScramMechanism mechanism) const {
    if (!broker_.controller_) {
        return std::nullopt;  // not started: nobody can authenticate yet
    }
    const auto& all = broker_.controller_->image().scram_credentials();
    const auto it = all.find(controller::MetadataImage::ScramKey(std::string(user), mechanism));
    if (it == all.end()) {
        return std::nullopt;
    }
    return it->second;
}

namespace {

std::string_view mechanism_text(int8_t code) {
    const auto m = controller::scram_mechanism_from_code(code);
    return m ? security::scram_mechanism_name(*m) : std::string_view("UNKNOWN");
}

// "alice: upsert SCRAM-SHA-256 iterations=8192, delete SCRAM-SHA-512": one user's changes in an
// audit line (never a salt or a key).
std::string scram_changes_text(const AlterUserScramCredentialsRequest& req,
                               const std::string& user) {
    std::string out = protocol::echo(user) + ":";
    const char* sep = " ";
    for (const auto& u : req.upsertions_) {
        if (u.name_ == user) {
            out += sep;
            out += "upsert ";
            out += mechanism_text(u.mechanism_);
            out += " iterations=" + std::to_string(u.iterations_);
            sep = ", ";
        }
    }
    for (const auto& d : req.deletions_) {
        if (d.name_ == user) {
            out += sep;
            out += "delete ";
            out += mechanism_text(d.mechanism_);
            sep = ", ";
        }
    }
    return out;
}

}  // namespace

AlterUserScramCredentialsResponse Broker::handle_alter_user_scram_credentials(
    const RequestContext& ctx, const AlterUserScramCredentialsRequest& req) {
    // Kafka asks ALTER on the cluster (and DESCRIBE for the description below);
    // requests forwarded on the controller listener were authorized by the broker that sent them.
    if (ctx.listener_kind == ListenerKind::client &&
        !allowed_on_cluster(ctx, security::AclOperation::alter)) {
        return error_response(req, kafka_error::cluster_authorization_failed,
                              "Cluster authorization failed.");
    }
    if (ctx.listener_kind == ListenerKind::client) {
        auto resp =
            forward<AlterUserScramCredentialsResponse>(*controller_channel_, req, admin_timeout);
        for (const auto& r : resp.results_) {
            audit_admin(ctx, "USER", scram_changes_text(req, r.user_), r.error_code_);
        }
        return resp;
    }
    return controller_->alter_user_scram_credentials(req);
}

DescribeUserScramCredentialsResponse Broker::handle_describe_user_scram_credentials(
    const RequestContext& ctx, const DescribeUserScramCredentialsRequest& req) {
    using Result = DescribeUserScramCredentialsResponse::DescribeUserScramCredentialsResult;
    const auto& all = controller_->image().scram_credentials();
    DescribeUserScramCredentialsResponse resp;
    resp.error_code_ = kafka_error::none;
    resp.error_message_ = std::nullopt;
    if (!allowed_on_cluster(ctx, security::AclOperation::describe)) {
        resp.error_code_ = kafka_error::cluster_authorization_failed;
        return resp;
    }
    auto describe = [&all](const std::string& user) {
        Result r;
        r.user_ = user;
        r.error_message_ = std::nullopt;
        for (auto it = all.lower_bound(controller::MetadataImage::ScramKey(
                 user, security::ScramMechanism::sha256));
             it != all.end() && it->first.first == user; ++it) {
            DescribeUserScramCredentialsResponse::CredentialInfo info;
            info.mechanism_ = controller::scram_mechanism_code(it->first.second);
            info.iterations_ = it->second.iterations;
            r.credential_infos_.push_back(info);
        }
        if (r.credential_infos_.empty()) {
            r.error_code_ = kafka_error::resource_not_found;
            r.error_message_ = "Attempt to describe a user credential that does not exist: " +
                               protocol::echo(user);
        }
        return r;
    };
    if (!req.users_ || req.users_->empty()) {
        // Every user with a credential, in name order.
        std::set<std::string> users;
        for (const auto& entry : all) {
            users.insert(entry.first.first);
        }
        for (const auto& user : users) {
            resp.results_.push_back(describe(user));
        }
        return resp;
    }
    std::set<std::string> asked;
    for (const auto& u : *req.users_) {
        if (!asked.insert(u.name_).second) {
            // Kafka: a user named twice is an error for that user.
            Result r;
            r.user_ = u.name_;
            r.error_code_ = kafka_error::duplicate_resource;
            r.error_message_ = "Cannot describe SCRAM credentials for the same user twice in a "
                               "single request: " + protocol::echo(u.name_);
            resp.results_.push_back(std::move(r));
            continue;
        }
        resp.results_.push_back(describe(u.name_));
    }
    return resp;
}

}  // namespace eddy::kafka
