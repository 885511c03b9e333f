// Fuzz target: SCRAM on both sides. The server session (services/security/sasl_server_session.h)
// gets arbitrary client-first/client-final bytes; Eddy's SCRAM client gets arbitrary server-first
// and server-final messages; and a real client/server exchange runs with one byte of either
// client message flipped. Nothing the peer sends may reach an ASSERT, and nobody may be
// authenticated without the password.
//
// Input: byte 0 picks the mode (% 3), byte 1 the mechanism (bit 0); the rest is a list of
// messages, each a 2-byte big-endian length then that many bytes (a short last one is cut).
//   mode 0, server: up to three messages fed as SASL tokens after a handshake. The store holds
//           alice/alice-secret: a session may only end authenticated as alice.
//   mode 1, client: user "user", password "pencil", nonce "rOprNGfwEbeRWgbNEkqO" (RFC 7677's, so
//           the RFC's server messages make a valid seed); messages 1-2 are server-first/-final.
//   mode 2, exchange: message 1 the user, 2 the password, 3 a mutation (which client message,
//           where, xor mask) applied to what the client sends.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/base/assert.h"
#include "core/base/bytes.h"
#include "core/base/random.h"
#include "services/security/sasl_server_session.h"
#include "services/security/scram.h"
#include "services/security/scram_client.h"

using namespace eddy;
using namespace eddy::security;

namespace {

std::vector<std::string> split_messages(const uint8_t* data, size_t size) {
    std::vector<std::string> out;
    size_t pos = 0;
    while (pos + 2 <= size && out.size() < 4) {
        const size_t len = (size_t{data[pos]} << 8) | data[pos + 1];
        pos += 2;
        const size_t n = std::min(len, size - pos);
        out.emplace_back(reinterpret_cast<const char*>(data + pos), n);
        pos += n;
    }
    return out;
}

struct Fixture {
    InMemoryScramCredentialStore store;
    SaslServerConfig config;

    Fixture() {
        config.enabled_mechanisms = {SaslMechanism::scram_sha_256, SaslMechanism::scram_sha_512};
        config.scram_credentials = &store;
        config.scram_fake.key = to_bytes("fuzz fake-salt key");
        for (const ScramMechanism m : {ScramMechanism::sha256, ScramMechanism::sha512}) {
            // The minimum iterations keep each exchange cheap for the fuzzer.
            auto c = derive_scram_credential(m, "alice-secret", as_bytes("fuzz salt"),
                                             limits::scram_iterations_min);
            ASSERT(c.ok());
            store.put("alice", m, std::move(c).value());
        }
        ASSERT(validate_sasl_server_config(config).ok());
    }
};

const Fixture& fixture() {
    static const Fixture f;
    return f;
}

void run_server(ScramMechanism m, const std::vector<std::string>& messages) {
    Random random(1);
    SaslRandomFromRandom sasl_random(random);
    SaslServerSession session(fixture().config, sasl_random);
    ASSERT(!session.handshake(scram_mechanism_name(m)).error);
    for (const std::string& message : messages) {
        if (session.state() == SaslServerSession::State::closed || session.authenticated()) {
            break;
        }
        auto out = session.authenticate(as_bytes(message));
        ASSERT(!(out.complete && out.error), "complete and failed at once");
        if (out.error) {
            ASSERT(!out.error_message.empty());
            ASSERT(out.log_detail.find('\n') == std::string::npos, "log lines stay one line");
            ASSERT(out.close_connection, "one attempt allowed");
        }
    }
    if (session.authenticated()) {
        ASSERT(session.principal() == "alice", "only alice has a credential");
    }
}

void run_client(ScramMechanism m, const std::vector<std::string>& messages) {
    ScramClientExchange client(m, "user", "pencil", "rOprNGfwEbeRWgbNEkqO");
    (void)client.client_first();
    if (messages.empty()) {
        return;
    }
    auto client_final = client.receive_server_first(messages[0]);
    if (!client_final.ok()) {
        ASSERT(client.state() == ScramClientExchange::State::failed);
        return;
    }
    ASSERT(client_final->starts_with("c=biws,r=rOprNGfwEbeRWgbNEkqO"));
    if (messages.size() < 2) {
        return;
    }
    const bool ok = client.receive_server_final(messages[1]).ok();
    ASSERT(ok == (client.state() == ScramClientExchange::State::succeeded));
}

void run_exchange(ScramMechanism m, const std::vector<std::string>& messages) {
    if (messages.size() < 2 || messages[0].empty()) {
        return;
    }
    const std::string& user = messages[0];
    const std::string& password = messages[1];
    // The mutation: byte 0 which client message (0 first, 1 final), bytes 1-2 where, byte 3 mask.
    size_t mutate_message = 2;  // none
    size_t mutate_at = 0;
    uint8_t mask = 0;
    if (messages.size() >= 3 && messages[2].size() >= 4) {
        const auto& spec = messages[2];
        mutate_message = static_cast<uint8_t>(spec[0]) % 2;
        mutate_at = (size_t{static_cast<uint8_t>(spec[1])} << 8) | static_cast<uint8_t>(spec[2]);
        mask = static_cast<uint8_t>(spec[3]);
    }
    auto mutate = [&](std::string message, size_t index) {
        if (index == mutate_message && !message.empty()) {
            message[mutate_at % message.size()] =
                static_cast<char>(static_cast<uint8_t>(message[mutate_at % message.size()]) ^ mask);
        }
        return message;
    };
    const bool mutated = mutate_message < 2 && mask != 0;

    Random random(2);
    SaslRandomFromRandom sasl_random(random);
    SaslServerSession session(fixture().config, sasl_random);
    ASSERT(!session.handshake(scram_mechanism_name(m)).error);
    ScramClientExchange client(m, user, password, "fuzzclientnonce");
    auto first = session.authenticate(as_bytes(mutate(client.client_first(), 0)));
    bool client_ok = false;
    if (!first.error) {
        ASSERT(!first.complete);
        auto client_final = client.receive_server_first(as_chars(first.challenge));
        if (client_final.ok()) {
            auto last = session.authenticate(as_bytes(mutate(*client_final, 1)));
            client_ok = client.receive_server_final(as_chars(last.challenge)).ok();
            ASSERT(client_ok == last.complete, "the client accepts exactly the server's success");
        }
    }
    // PBKDF2 keys HMAC with the password, and HMAC pads a key shorter than the hash's block
    // with zeros: "alice-secret" followed by NULs is the same key (RFC 2104), in every SCRAM
    // implementation. Such a password is right.
    const size_t block = m == ScramMechanism::sha256 ? 64 : 128;
    const bool right = user == "alice" && password.starts_with("alice-secret") &&
                       password.size() <= block &&
                       password.find_first_not_of('\0', 12) == std::string::npos;
    if (session.authenticated()) {
        ASSERT(session.principal() == "alice");
        // A flip in an attribute the proof covers cannot pass; nor can a wrong password.
        ASSERT(right || mutated, "authenticated without the password");
    } else if (!mutated) {
        ASSERT(!right, "alice with her password must get in");
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 2) {
        return 0;
    }
    const ScramMechanism m = (data[1] & 1) != 0 ? ScramMechanism::sha512 : ScramMechanism::sha256;
    const std::vector<std::string> messages = split_messages(data + 2, size - 2);
    switch (data[0] % 3) {
        case 0:
            run_server(m, messages);
            break;
        case 1:
            run_client(m, messages);
            break;
        default:
            run_exchange(m, messages);
            break;
    }
    return 0;
}
