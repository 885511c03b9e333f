// --command-config FILE for the client commands: the connection's security settings, with
// librdkafka's keys (or the ssl.keystore.*/ssl.truststore.* spelling of Kafka's Java tools), so the
// file a user already has for kcat or their application works here too. See client_cli.h.
#include <fstream>
#include <set>
#include <sstream>

#include "runtime/main/client_cli.h"
#include "services/config/config.h"

namespace eddy::cli {
namespace {

// librdkafka's TLS keys.
const std::set<std::string, std::less<>> librdkafka_keys = {
    "ssl.ca.location", "ssl.certificate.location", "ssl.key.location"};
// Keys both spellings share, and Kafka's Java-client keys.
const std::set<std::string, std::less<>> common_keys = {
    "ssl.key.password",
    "ssl.endpoint.identification.algorithm",
    "ssl.cipher.suites",
    "ssl.enabled.protocols",
    "ssl.protocol",
    "ssl.keystore.type",
    "ssl.keystore.location",
    "ssl.keystore.password",
    "ssl.keystore.key",
    "ssl.keystore.certificate.chain",
    "ssl.truststore.type",
    "ssl.truststore.location",
    "ssl.truststore.password",
    "ssl.truststore.certificates",
};

std::string upper(std::string s) {
    for (auto& ch : s) {
        ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    }
    return s;
}

}  // namespace

Result<ClientSecurity, std::string> client_security_from_file(const std::string& path) {
    std::ifstream in(path);
    if (!in) {
        return fail(std::string("cannot read the file"));
    }
    std::stringstream text;
    text << in.rdbuf();
    auto pairs = config::parse_properties(text.str());
    if (!pairs.ok()) {
        return fail(pairs.error());
    }
    std::string protocol = "PLAINTEXT";
    tls::Properties ssl;
    bool librdkafka_style = false;
    std::optional<std::string> mechanism;
    std::optional<std::string> username;
    std::optional<std::string> password;
    for (const auto& kv : pairs.value()) {
        const std::string& key = kv.first;
        if (key == "security.protocol") {
            protocol = upper(kv.second);
        } else if (librdkafka_keys.contains(key)) {
            librdkafka_style = true;
            ssl[key] = kv.second;
        } else if (common_keys.contains(key)) {
            ssl[key] = kv.second;
        } else if (key == "sasl.mechanism" || key == "sasl.mechanisms") {
            mechanism = kv.second;
        } else if (key == "sasl.username") {
            username = kv.second;
        } else if (key == "sasl.password") {
            password = kv.second;
        } else {
            return fail("unknown key '" + key +
                        "' (security.protocol, ssl.ca.location, ssl.certificate.location, "
                        "ssl.key.location, ssl.key.password, "
                        "ssl.endpoint.identification.algorithm, ssl.cipher.suites, "
                        "sasl.mechanism, sasl.username, sasl.password)");
        }
    }
    ClientSecurity out;
    const bool sasl = protocol == "SASL_PLAINTEXT" || protocol == "SASL_SSL";
    if (!sasl && protocol != "PLAINTEXT" && protocol != "SSL") {
        return fail("security.protocol: expected PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL, got '" +
                    protocol + "'");
    }
    if (sasl) {
        if (!username || !password) {
            return fail("security.protocol=" + protocol + " needs sasl.username and sasl.password");
        }
        const std::string name = mechanism.value_or("PLAIN");
        auto m = security::parse_sasl_mechanism(name);
        if (!m) {
            return fail("sasl.mechanism: '" + name +
                        "' is not one of PLAIN, SCRAM-SHA-256, SCRAM-SHA-512");
        }
        out.sasl = client::SaslCredentials{{*m, *username, *password}, nullptr};
    } else if (mechanism || username || password) {
        return fail("sasl.* keys need security.protocol=SASL_PLAINTEXT or SASL_SSL");
    }
    if (protocol == "PLAINTEXT" || protocol == "SASL_PLAINTEXT") {
        return out;
    }
    auto settings =
        librdkafka_style ? tls::settings_from_librdkafka(ssl) : tls::settings_from_kafka(ssl);
    if (!settings.ok()) {
        return fail(settings.error());
    }
    auto context = tls::TlsContext::create(tls::Role::client, std::move(settings).value());
    if (!context.ok()) {
        return fail(context.error());
    }
    out.tls = std::move(context).value();
    return out;
}

}  // namespace eddy::cli
