// The server side of a SCRAM exchange. See scram_server.h.
#include "services/security/scram_server.h"

#include <utility>

#include "services/security/sasl_text.h"
#include "services/security/scram.h"
#include "services/security/scram_encoding.h"

namespace eddy::security {
namespace {

// Domain separation for the values derived from the fake-credential key: changing these changes
// every unknown user's salt, which an observer could notice, so never.
constexpr std::string_view fake_salt_label = "eddy scram fake salt";
constexpr std::string_view fake_stored_label = "eddy scram fake stored key";
constexpr std::string_view fake_server_label = "eddy scram fake server key";

Bytes labelled_hmac(ScramMechanism m, ByteSpan key, std::string_view label, std::string_view user) {
    std::string data(label);
    data.push_back('\0');
    data += scram_mechanism_name(m);
    data.push_back('\0');
    data += user;
    return scram_hmac(m, key, as_bytes(data));
}

}  // namespace

std::string_view scram_error_value(ScramError e) {
    switch (e) {
        case ScramError::invalid_encoding:
            return "invalid-encoding";
        case ScramError::extensions_not_supported:
            return "extensions-not-supported";
        case ScramError::invalid_proof:
            return "invalid-proof";
        case ScramError::channel_bindings_dont_match:
            return "channel-bindings-dont-match";
        case ScramError::channel_binding_not_supported:
            return "channel-binding-not-supported";
        case ScramError::invalid_username_encoding:
            return "invalid-username-encoding";
        case ScramError::other_error:
            return "other-error";
    }
    UNREACHABLE("ScramError out of range");
}

ScramServerExchange::ScramServerExchange(ScramMechanism mechanism,
                                         const ScramCredentialStore& store,
                                         const ScramFakeCredentials& fake, std::string server_nonce)
    : mechanism_(mechanism), store_(store), fake_(fake), server_nonce_(std::move(server_nonce)) {
    ASSERT(valid_scram_nonce(server_nonce_), "server nonce must be printable without ','");
    ASSERT(!fake_.key.empty(), "the fake-credential key must be set");
    ASSERT(fake_.iterations >= limits::scram_iterations_min &&
           fake_.iterations <= limits::scram_iterations_max);
}

const std::string& ScramServerExchange::username() const {
    ASSERT(state_ == State::succeeded, "username() before the exchange succeeded");
    return username_;
}

ScramServerExchange::Step ScramServerExchange::receive(std::string_view client_message) {
    switch (state_) {
        case State::awaiting_client_first:
            return on_client_first(client_message);
        case State::awaiting_client_final:
            return on_client_final(client_message);
        case State::succeeded:
        case State::failed:
            break;
    }
    UNREACHABLE("SCRAM exchange fed after it ended");
}

ScramServerExchange::Step ScramServerExchange::failure(ScramError error, std::string detail) {
    state_ = State::failed;
    Step step;
    step.message = "e=" + std::string(scram_error_value(error));
    step.done = true;
    step.error = error;
    step.detail = std::move(detail);
    return step;
}

ScramCredential ScramServerExchange::fake_credential(std::string_view user) const {
    ScramCredential c;
    Bytes salt = labelled_hmac(mechanism_, fake_.key, fake_salt_label, user);
    static_assert(limits::scram_salt_bytes <= 32, "both digests are at least 32 bytes");
    salt.resize(limits::scram_salt_bytes);
    c.salt = std::move(salt);
    c.stored_key = labelled_hmac(mechanism_, fake_.key, fake_stored_label, user);
    c.server_key = labelled_hmac(mechanism_, fake_.key, fake_server_label, user);
    c.iterations = fake_.iterations;
    ASSERT(validate_scram_credential(mechanism_, c).ok());
    return c;
}

ScramServerExchange::Step ScramServerExchange::on_client_first(std::string_view message) {
    // gs2-header = gs2-cbind-flag "," [ authzid ] ","
    const size_t flag_end = message.find(',');
    if (flag_end == std::string_view::npos) {
        return failure(ScramError::invalid_encoding, "client-first has no gs2 header");
    }
    const std::string_view flag = message.substr(0, flag_end);
    if (flag.starts_with("p=")) {
        return failure(ScramError::channel_binding_not_supported,
                       "client asked for channel binding, which Eddy does not offer");
    }
    if (flag != "n" && flag != "y") {
        return failure(ScramError::invalid_encoding, "bad gs2 channel-binding flag");
    }
    const size_t authzid_end = message.find(',', flag_end + 1);
    if (authzid_end == std::string_view::npos) {
        return failure(ScramError::invalid_encoding, "client-first gs2 header is not terminated");
    }
    const std::string_view authzid_attr = message.substr(flag_end + 1, authzid_end - flag_end - 1);
    std::optional<std::string> authzid;
    if (!authzid_attr.empty()) {
        if (!authzid_attr.starts_with("a=")) {
            return failure(ScramError::invalid_encoding, "bad authzid in the gs2 header");
        }
        authzid = decode_saslname(authzid_attr.substr(2));
        if (!authzid) {
            return failure(ScramError::invalid_username_encoding, "bad authzid encoding");
        }
    }
    const std::string_view bare = message.substr(authzid_end + 1);
    auto attrs = split_scram_attributes(bare);
    if (!attrs) {
        return failure(ScramError::invalid_encoding, "client-first is not a list of attributes");
    }
    size_t i = 0;
    if (i < attrs->size() && (*attrs)[i].name == "m") {
        return failure(ScramError::extensions_not_supported, "mandatory extension in client-first");
    }
    if (attrs->size() < 2 || (*attrs)[0].name != "n" || (*attrs)[1].name != "r") {
        return failure(ScramError::invalid_encoding, "client-first needs n= then r=");
    }
    auto user = decode_saslname((*attrs)[0].value);
    if (!user) {
        return failure(ScramError::invalid_username_encoding, "bad username encoding");
    }
    const std::string_view client_nonce = (*attrs)[1].value;
    if (!valid_scram_nonce(client_nonce)) {
        return failure(ScramError::invalid_encoding, "bad client nonce");
    }
    for (i = 2; i < attrs->size(); ++i) {
        // Kafka's clients send "tokenauth=true" to log in with a delegation token (KIP-48).
        if ((*attrs)[i].name == "tokenauth") {
            return failure(ScramError::extensions_not_supported,
                           "delegation-token authentication is not supported");
        }
        // Any other optional extension is ignored, as RFC 5802 §5.1 asks.
    }
    if (authzid && *authzid != *user) {
        return failure(ScramError::other_error, "authorization id '" + printable_text(*authzid) +
                                                    "' is not the user name '" +
                                                    printable_text(*user) + "'");
    }

    // The fake credential is derived for every user, known or not, so that the work done here
    // does not depend on whether the user exists.
    ScramCredential fake = fake_credential(*user);
    std::optional<ScramCredential> found = store_.find(*user, mechanism_);
    if (found) {
        auto valid = validate_scram_credential(mechanism_, *found);
        if (!valid.ok()) {
            return failure(ScramError::other_error,
                           "stored " + std::string(scram_mechanism_name(mechanism_)) +
                               " credential of '" + printable_text(*user) +
                               "' is unusable: " + valid.error());
        }
        credential_ = std::move(*found);
        user_known_ = true;
    } else {
        credential_ = std::move(fake);
        user_known_ = false;
    }
    username_ = std::move(*user);
    gs2_header_ = std::string(message.substr(0, authzid_end + 1));
    client_first_bare_ = std::string(bare);
    nonce_ = std::string(client_nonce) + server_nonce_;
    server_first_ = "r=" + nonce_ + ",s=" + base64_encode(credential_.salt) +
                    ",i=" + std::to_string(credential_.iterations);
    state_ = State::awaiting_client_final;
    Step step;
    step.message = server_first_;
    return step;
}

ScramServerExchange::Step ScramServerExchange::on_client_final(std::string_view message) {
    auto attrs = split_scram_attributes(message);
    if (!attrs || attrs->size() < 3 || (*attrs)[0].name != "c" || (*attrs)[1].name != "r" ||
        attrs->back().name != "p") {
        return failure(ScramError::invalid_encoding, "client-final needs c=, r=, ..., p=");
    }
    for (size_t i = 2; i + 1 < attrs->size(); ++i) {
        if ((*attrs)[i].name == "m" || (*attrs)[i].name == "p") {
            return failure(ScramError::extensions_not_supported,
                           "unexpected attribute in client-final");
        }
    }
    // p= is the last attribute, so everything before the last ',' is the message without proof.
    const std::string_view without_proof = message.substr(0, message.rfind(','));

    auto binding = base64_decode((*attrs)[0].value);
    if (!binding) {
        return failure(ScramError::invalid_encoding, "channel binding is not base64");
    }
    // Without channel binding, c= carries exactly the gs2 header of client-first (RFC 5802 §7).
    if (as_chars(*binding) != gs2_header_) {
        return failure(ScramError::channel_bindings_dont_match,
                       "channel binding does not repeat the gs2 header");
    }
    // Kafka's ScramSaslServer only requires the client-final nonce to *end with* the
    // server-first one, and librdkafka (2.0.2 at least) relies on it: its r= is its own nonce
    // followed by the whole server-first nonce. The proof covers the message as sent, so this
    // admits no replay: the server's fresh nonce must still be there, at the end.
    if (!(*attrs)[1].value.ends_with(nonce_)) {
        return failure(ScramError::other_error, "nonce does not match the server-first nonce");
    }
    auto proof = base64_decode(attrs->back().value);
    if (!proof) {
        return failure(ScramError::invalid_encoding, "proof is not base64");
    }
    if (proof->size() != scram_digest_bytes(mechanism_)) {
        return failure(ScramError::invalid_proof, "proof has the wrong size");
    }

    std::string auth_message = client_first_bare_;
    auth_message += ',';
    auth_message += server_first_;
    auth_message += ',';
    auth_message += without_proof;
    const Bytes client_signature =
        scram_hmac(mechanism_, credential_.stored_key, as_bytes(auth_message));
    const Bytes client_key = xor_bytes(*proof, client_signature);
    const bool proof_matches =
        constant_time_equal(scram_hash(mechanism_, client_key), credential_.stored_key);
    // Computed for unknown users too, so both paths cost the same.
    const Bytes server_signature =
        scram_hmac(mechanism_, credential_.server_key, as_bytes(auth_message));
    if (!user_known_) {
        return failure(ScramError::invalid_proof,
                       "unknown user '" + printable_text(username_) + "'");
    }
    if (!proof_matches) {
        return failure(ScramError::invalid_proof,
                       "wrong password for '" + printable_text(username_) + "'");
    }
    state_ = State::succeeded;
    Step step;
    step.message = "v=" + base64_encode(server_signature);
    step.done = true;
    return step;
}

}  // namespace eddy::security
