#include "services/security/principal.h"

#include "services/security/principal_mapping.h"

namespace eddy::security {

KafkaPrincipal anonymous_principal() {
    return KafkaPrincipal{std::string(user_principal_type), "ANONYMOUS"};
}

Result<KafkaPrincipal, std::string> parse_principal(std::string_view text) {
    const size_t colon = text.find(':');
    if (text.empty() || colon == std::string_view::npos) {
        return fail("expected a principal in the format principalType:principalName but got `" +
                    std::string(text) + "`");
    }
    return KafkaPrincipal{std::string(text.substr(0, colon)), std::string(text.substr(colon + 1))};
}

Result<KafkaPrincipal, std::string> build_principal(const AuthenticatedSession& session,
                                                    const SslPrincipalMapper& ssl_mapper) {
    switch (session.protocol) {
        case SecurityProtocol::plaintext:
            return anonymous_principal();
        case SecurityProtocol::sasl_plaintext:
        case SecurityProtocol::sasl_ssl:
            if (!session.sasl_authorization_id) {
                return fail(std::string("a SASL session without an authorization id"));
            }
            return KafkaPrincipal{std::string(user_principal_type), *session.sasl_authorization_id};
        case SecurityProtocol::ssl: {
            if (!session.ssl_peer_subject) {
                // No client certificate (ssl.client.auth=none or requested): Kafka's
                // SslAuthenticationContext gets SSLPeerUnverifiedException and answers ANONYMOUS.
                return anonymous_principal();
            }
            TRY_ASSIGN(std::string name, ssl_mapper.map(*session.ssl_peer_subject));
            return KafkaPrincipal{std::string(user_principal_type), std::move(name)};
        }
    }
    UNREACHABLE("SecurityProtocol out of range");
}

}  // namespace eddy::security
