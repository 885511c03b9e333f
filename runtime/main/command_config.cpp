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

Result<std::shared_ptr<tls::TlsContext>, std::string> client_tls_from_file(
    const std::string& path) {
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
    for (const auto& kv : pairs.value()) {
        const std::string& key = kv.first;
        if (key == "security.protocol") {
            protocol = upper(kv.second);
        } else if (librdkafka_keys.contains(key)) {
            librdkafka_style = true;
            ssl[key] = kv.second;
        } else if (common_keys.contains(key)) {
            ssl[key] = kv.second;
        } else if (key.starts_with("sasl.")) {
            return fail("'" + key + "': SASL is not supported by this build yet");
        } else {
            return fail("unknown key '" + key +
                        "' (security.protocol, ssl.ca.location, ssl.certificate.location, "
                        "ssl.key.location, ssl.key.password, "
                        "ssl.endpoint.identification.algorithm, ssl.cipher.suites)");
        }
    }
    if (protocol == "SASL_PLAINTEXT" || protocol == "SASL_SSL") {
        return fail("security.protocol=" + protocol + " is not supported by this build yet");
    }
    if (protocol == "PLAINTEXT") {
        return std::shared_ptr<tls::TlsContext>();
    }
    if (protocol != "SSL") {
        return fail("security.protocol: expected PLAINTEXT or SSL, got '" + protocol + "'");
    }
    auto settings =
        librdkafka_style ? tls::settings_from_librdkafka(ssl) : tls::settings_from_kafka(ssl);
    if (!settings.ok()) {
        return fail(settings.error());
    }
    return tls::TlsContext::create(tls::Role::client, std::move(settings).value());
}

}  // namespace eddy::cli
