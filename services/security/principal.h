// KafkaPrincipal: who a connection is, as Kafka names it ("User:alice"), and the default principal
// builder that derives it from how the connection authenticated (Kafka's
// DefaultKafkaPrincipalBuilder): PLAINTEXT → User:ANONYMOUS, SASL → User:<authorization id>,
// SSL → User:<certificate subject mapped by ssl.principal.mapping.rules>, or User:ANONYMOUS when
// the client sent no certificate.
//
// A principal's text form is "<type>:<name>", split at the first colon, so the name may itself
// contain colons (Kafka's SecurityUtils.parseKafkaPrincipal). ACLs, super.users and the authorizer
// compare principals by that text: equal text ⇔ equal (type, name).
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/base/result.h"

namespace eddy::security {

class SslPrincipalMapper;

inline constexpr std::string_view user_principal_type = "User";

struct KafkaPrincipal {
    std::string type;
    std::string name;

    // "type:name": the form ACLs and super.users hold.
    std::string to_string() const { return type + ":" + name; }
    auto operator<=>(const KafkaPrincipal&) const = default;
};

// User:ANONYMOUS, the principal of an unauthenticated connection.
KafkaPrincipal anonymous_principal();

// "type:name" → principal. Fails (with a one-line reason) when there is no colon, as Kafka does;
// the type or the name may be empty, as in Kafka.
Result<KafkaPrincipal, std::string> parse_principal(std::string_view text);

// Kafka's SecurityProtocol ids.
enum class SecurityProtocol : int16_t { plaintext = 0, ssl = 1, sasl_plaintext = 2, sasl_ssl = 3 };

// What the transport and the SASL exchange established about a connection.
struct AuthenticatedSession {
    SecurityProtocol protocol = SecurityProtocol::plaintext;
    // SASL listeners: the authorization id the mechanism produced (PLAIN and SCRAM give the user
    // name). Must be set once authentication completed on a SASL listener.
    std::optional<std::string> sasl_authorization_id;
    // SSL listeners: the verified client certificate's subject in RFC 2253 form
    // ("CN=alice,OU=eng,O=acme", what Java's X500Principal.getName() gives), or nullopt when the
    // client sent none (ssl.client.auth=none/requested).
    std::optional<std::string> ssl_peer_subject;
};

// Kafka's DefaultKafkaPrincipalBuilder. SASL_SSL takes the SASL identity (the certificate is not
// consulted), as in Kafka. Fails only when ssl.principal.mapping.rules match no rule for the
// subject (Kafka fails the authentication then) or the session lacks the SASL identity.
// GSSAPI's sasl.kerberos.principal.to.local.rules are not supported: the authorization id is used
// as is.
Result<KafkaPrincipal, std::string> build_principal(const AuthenticatedSession& session,
                                                    const SslPrincipalMapper& ssl_mapper);

}  // namespace eddy::security
