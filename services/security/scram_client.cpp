// The client side of a SCRAM exchange. See scram_client.h.
#include "services/security/scram_client.h"

#include <charconv>
#include <utility>

#include "services/security/sasl_text.h"
#include "services/security/scram.h"
#include "services/security/scram_encoding.h"

namespace eddy::security {
namespace {

// The gs2 header the client sends: no channel binding, no authzid; "biws" is its base64.
constexpr std::string_view gs2_header = "n,,";

}  // namespace

ScramClientExchange::ScramClientExchange(ScramMechanism mechanism, std::string username,
                                         std::string password, std::string client_nonce)
    : mechanism_(mechanism),
      username_(std::move(username)),
      password_(std::move(password)),
      client_nonce_(std::move(client_nonce)) {
    ASSERT(!username_.empty(), "a SCRAM user has a name");
    ASSERT(valid_scram_nonce(client_nonce_), "client nonce must be printable without ','");
}

std::string ScramClientExchange::client_first() {
    ASSERT(state_ == State::initial, "client_first() once, first");
    client_first_bare_ = "n=" + encode_saslname(username_) + ",r=" + client_nonce_;
    state_ = State::awaiting_server_first;
    return std::string(gs2_header) + client_first_bare_;
}

Result<std::string, std::string> ScramClientExchange::receive_server_first(
    std::string_view message) {
    ASSERT(state_ == State::awaiting_server_first, "server-first out of order");
    auto r = answer(message);
    state_ = r.ok() ? State::awaiting_server_final : State::failed;
    return r;
}

Result<std::string, std::string> ScramClientExchange::answer(std::string_view message) {
    if (message.starts_with("e=")) {
        return fail("server refused: " + printable_text(message.substr(2)));
    }
    auto attrs = split_scram_attributes(message);
    if (!attrs) {
        return fail(std::string("server-first is not a list of attributes"));
    }
    if (!attrs->empty() && (*attrs)[0].name == "m") {
        return fail(std::string("server-first has a mandatory extension"));
    }
    if (attrs->size() < 3 || (*attrs)[0].name != "r" || (*attrs)[1].name != "s" ||
        (*attrs)[2].name != "i") {
        return fail(std::string("server-first needs r=, s=, i="));
    }
    const std::string_view nonce = (*attrs)[0].value;
    // The server appends its part to ours; an empty server part would let it replay our nonce.
    if (!valid_scram_nonce(nonce) || nonce.size() <= client_nonce_.size() ||
        !nonce.starts_with(client_nonce_)) {
        return fail(std::string("server nonce does not extend the client nonce"));
    }
    auto salt = base64_decode((*attrs)[1].value);
    if (!salt || salt->empty() || salt->size() > limits::scram_salt_bytes_max) {
        return fail(std::string("server salt is not valid base64 of 1.." +
                                std::to_string(limits::scram_salt_bytes_max) + " bytes"));
    }
    const std::string_view iterations_text = (*attrs)[2].value;
    int32_t iterations = 0;
    const auto [end, ec] = std::from_chars(
        iterations_text.data(), iterations_text.data() + iterations_text.size(), iterations);
    if (ec != std::errc() || end != iterations_text.data() + iterations_text.size() ||
        iterations < limits::scram_iterations_min || iterations > limits::scram_iterations_max) {
        return fail("server iteration count '" + printable_text(iterations_text) + "' outside " +
                    std::to_string(limits::scram_iterations_min) + ".." +
                    std::to_string(limits::scram_iterations_max));
    }

    const std::string without_proof = "c=biws,r=" + std::string(nonce);
    static_assert(gs2_header == "n,,", "c=biws is base64(\"n,,\")");
    std::string auth_message = client_first_bare_;
    auth_message += ',';
    auth_message += message;
    auth_message += ',';
    auth_message += without_proof;

    const Bytes salted = scram_salted_password(mechanism_, password_, *salt, iterations);
    const Bytes client_key = scram_client_key(mechanism_, salted);
    const Bytes stored_key = scram_hash(mechanism_, client_key);
    const Bytes client_signature = scram_hmac(mechanism_, stored_key, as_bytes(auth_message));
    const Bytes proof = xor_bytes(client_key, client_signature);
    expected_server_signature_ =
        scram_hmac(mechanism_, scram_server_key(mechanism_, salted), as_bytes(auth_message));
    return without_proof + ",p=" + base64_encode(proof);
}

Result<void, std::string> ScramClientExchange::receive_server_final(std::string_view message) {
    ASSERT(state_ == State::awaiting_server_final, "server-final out of order");
    state_ = State::failed;
    if (message.starts_with("e=")) {
        return fail("server refused: " + printable_text(message.substr(2)));
    }
    auto attrs = split_scram_attributes(message);
    if (!attrs || attrs->empty() || (*attrs)[0].name != "v") {
        return fail(std::string("server-final is neither v= nor e="));
    }
    auto signature = base64_decode((*attrs)[0].value);
    if (!signature || !constant_time_equal(*signature, expected_server_signature_)) {
        return fail(
            std::string("server signature does not verify: the server does not know "
                        "the credential"));
    }
    state_ = State::succeeded;
    return {};
}

}  // namespace eddy::security
