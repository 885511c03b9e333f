// SASL mechanism names and listener settings. See sasl_config.h.
#include "services/security/sasl_config.h"

#include <algorithm>
#include <array>

#include "core/base/ascii.h"

namespace eddy::security {
namespace {

constexpr std::array all_mechanisms = {SaslMechanism::plain, SaslMechanism::scram_sha_256,
                                       SaslMechanism::scram_sha_512};

}  // namespace

std::string_view sasl_mechanism_name(SaslMechanism m) {
    switch (m) {
        case SaslMechanism::plain:
            return "PLAIN";
        case SaslMechanism::scram_sha_256:
            return scram_mechanism_name(ScramMechanism::sha256);
        case SaslMechanism::scram_sha_512:
            return scram_mechanism_name(ScramMechanism::sha512);
    }
    UNREACHABLE("SaslMechanism out of range");
}

std::optional<SaslMechanism> parse_sasl_mechanism(std::string_view name) {
    for (const SaslMechanism m : all_mechanisms) {
        if (name == sasl_mechanism_name(m)) {
            return m;
        }
    }
    return std::nullopt;
}

std::optional<ScramMechanism> scram_mechanism_of(SaslMechanism m) {
    switch (m) {
        case SaslMechanism::plain:
            return std::nullopt;
        case SaslMechanism::scram_sha_256:
            return ScramMechanism::sha256;
        case SaslMechanism::scram_sha_512:
            return ScramMechanism::sha512;
    }
    UNREACHABLE("SaslMechanism out of range");
}

Result<std::vector<SaslMechanism>, std::string> parse_sasl_enabled_mechanisms(
    std::string_view value) {
    std::vector<SaslMechanism> out;
    size_t start = 0;
    while (start <= value.size()) {
        const size_t comma = std::min(value.find(',', start), value.size());
        const std::string_view name = trim_whitespace(value.substr(start, comma - start));
        start = comma + 1;
        if (name.empty()) {
            return fail(std::string("sasl.enabled.mechanisms: empty mechanism name in '") +
                        std::string(value) + "'");
        }
        auto m = parse_sasl_mechanism(name);
        if (!m) {
            return fail("sasl.enabled.mechanisms: unsupported mechanism '" + std::string(name) +
                        "' (Eddy serves PLAIN, SCRAM-SHA-256, SCRAM-SHA-512)");
        }
        if (std::find(out.begin(), out.end(), *m) != out.end()) {
            return fail("sasl.enabled.mechanisms: '" + std::string(name) + "' listed twice");
        }
        out.push_back(*m);
    }
    ASSERT(!out.empty());
    return out;
}

Result<SaslLogin, std::string> sasl_login_from_jaas(SaslMechanism mechanism,
                                                    std::string_view jaas) {
    if (jaas.empty()) {
        return fail(std::string("no JAAS line (sasl.jaas.config) with this node's username and "
                                "password"));
    }
    TRY_ASSIGN(const JaasEntry entry, parse_jaas_entry(jaas));
    const auto option = [&entry](const char* key) -> Result<std::string, std::string> {
        const auto it = entry.options.find(key);
        if (it == entry.options.end() || it->second.empty()) {
            return fail("the JAAS line (" + entry.login_module + ") has no " + key +
                        "=\"…\" for this node's own login");
        }
        return it->second;
    };
    SaslLogin out;
    out.mechanism = mechanism;
    TRY_ASSIGN(out.username, option("username"));
    TRY_ASSIGN(out.password, option("password"));
    return out;
}

ScramFakeCredentials make_scram_fake_credentials(SaslRandom& random) {
    ScramFakeCredentials fake;
    fake.key.resize(32);
    random.fill(fake.key);
    fake.iterations = limits::scram_iterations_min;
    return fake;
}

Result<void, std::string> validate_sasl_server_config(const SaslServerConfig& config) {
    if (config.enabled_mechanisms.empty()) {
        return fail(std::string("no SASL mechanism enabled"));
    }
    for (const SaslMechanism m : config.enabled_mechanisms) {
        if (scram_mechanism_of(m) && config.scram_credentials == nullptr) {
            return fail(std::string(sasl_mechanism_name(m)) +
                        " is enabled but no SCRAM credential store is configured");
        }
    }
    const bool scram_enabled =
        std::any_of(config.enabled_mechanisms.begin(), config.enabled_mechanisms.end(),
                    [](SaslMechanism m) { return scram_mechanism_of(m).has_value(); });
    if (scram_enabled && (config.scram_fake.key.empty() ||
                          config.scram_fake.iterations < limits::scram_iterations_min ||
                          config.scram_fake.iterations > limits::scram_iterations_max)) {
        return fail(std::string("SCRAM fake-credential key unset or iterations out of bounds"));
    }
    if (config.token_bytes_max == 0) {
        return fail(std::string("sasl.server.max.receive.size must be positive"));
    }
    if (config.failed_attempts_max == 0) {
        return fail(std::string("at least one SASL attempt must be allowed"));
    }
    return {};
}

}  // namespace eddy::security
