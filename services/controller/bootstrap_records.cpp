// Bootstrap records: --add-scram parsing, the bootstrap.records file. See bootstrap_records.h.
#include "services/controller/bootstrap_records.h"

#include <charconv>
#include <set>

#include "core/record/crc32c.h"
#include "services/log/checkpoint.h"
#include "services/security/scram.h"
#include "services/security/scram_encoding.h"

namespace eddy::controller {
namespace {

constexpr std::string_view file_magic = "eddy bootstrap records v1\n";
constexpr uint64_t file_bytes_max = 16 << 20;
constexpr size_t crc_bytes = 4;

Result<Bytes, std::string> base64_value(std::string_view key, std::string_view value) {
    auto bytes = security::base64_decode(value);
    if (!bytes || bytes->empty()) {
        return fail(std::string(key) + " is not (non-empty) standard base64");
    }
    return std::move(*bytes);
}

}  // namespace

Result<ScramBootstrapSpec, std::string> parse_add_scram(std::string_view text) {
    const std::string usage =
        " (expected MECHANISM=[name=NAME,password=PASSWORD], e.g. "
        "SCRAM-SHA-256=[name=admin,password=admin-secret])";
    const size_t eq = text.find('=');
    if (eq == std::string_view::npos) {
        return fail("no '='" + usage);
    }
    ScramBootstrapSpec spec;
    const std::string_view mechanism = text.substr(0, eq);
    const auto m = security::parse_scram_mechanism(mechanism);
    if (!m) {
        return fail("unknown SCRAM mechanism '" + std::string(mechanism) +
                    "' (SCRAM-SHA-256 or SCRAM-SHA-512)");
    }
    spec.mechanism = *m;
    std::string_view body = text.substr(eq + 1);
    if (body.size() < 2 || body.front() != '[' || body.back() != ']') {
        return fail("the credential must be in [ ]" + usage);
    }
    body = body.substr(1, body.size() - 2);
    std::set<std::string, std::less<>> seen;
    while (!body.empty()) {
        const size_t key_end = body.find('=');
        if (key_end == std::string_view::npos) {
            return fail("'" + std::string(body.substr(0, body.find(','))) + "' is not KEY=VALUE" +
                        usage);
        }
        const std::string_view key = body.substr(0, key_end);
        body.remove_prefix(key_end + 1);
        std::string_view value;
        if (!body.empty() && body.front() == '"') {
            const size_t close = body.find('"', 1);
            if (close == std::string_view::npos) {
                return fail("the value of " + std::string(key) + " has no closing '\"'");
            }
            value = body.substr(1, close - 1);
            body.remove_prefix(close + 1);
            if (!body.empty() && body.front() != ',') {
                return fail("text after the quoted value of " + std::string(key) + usage);
            }
        } else {
            value = body.substr(0, body.find(','));
            body.remove_prefix(value.size());
        }
        if (!body.empty()) {
            body.remove_prefix(1);  // the ','
            if (body.empty()) {
                return fail("a ',' with nothing after it" + usage);
            }
        }
        if (!seen.insert(std::string(key)).second) {
            return fail(std::string(key) + " is given twice");
        }
        if (key == "name") {
            if (value.empty()) {
                return fail("name is empty");
            }
            spec.name = std::string(value);
        } else if (key == "password") {
            if (value.empty()) {
                return fail("password is empty");
            }
            spec.password = std::string(value);
        } else if (key == "saltedpassword") {
            TRY_ASSIGN(spec.salted_password, base64_value(key, value));
        } else if (key == "salt") {
            TRY_ASSIGN(spec.salt, base64_value(key, value));
            if (spec.salt->size() > security::limits::scram_salt_bytes_max) {
                return fail("salt is longer than " +
                            std::to_string(security::limits::scram_salt_bytes_max) + " bytes");
            }
        } else if (key == "iterations") {
            int32_t n = 0;
            const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
            if (ec != std::errc() || end != value.data() + value.size() ||
                n < security::limits::scram_iterations_min ||
                n > security::limits::scram_iterations_max) {
                return fail("iterations must be a number from " +
                            std::to_string(security::limits::scram_iterations_min) + " to " +
                            std::to_string(security::limits::scram_iterations_max) + ", not '" +
                            std::string(value) + "'");
            }
            spec.iterations = n;
        } else {
            return fail("unknown key '" + std::string(key) +
                        "' (name, password, iterations, salt, saltedpassword)");
        }
    }
    if (spec.name.empty()) {
        return fail("no name" + usage);
    }
    if (spec.password.has_value() == spec.salted_password.has_value()) {
        return fail("give either password or saltedpassword (with salt)" + usage);
    }
    if (spec.salted_password && !spec.salt) {
        return fail("saltedpassword needs the salt it was made with");
    }
    return spec;
}

Result<protocol::records::UserScramCredentialRecord, std::string> scram_bootstrap_record(
    const ScramBootstrapSpec& spec, security::SaslRandom& random) {
    Bytes salt;
    if (spec.salt) {
        salt = *spec.salt;
    } else {
        salt = Bytes(security::limits::scram_salt_bytes);
        random.fill(salt);
    }
    auto credential = spec.password
                          ? security::derive_scram_credential(spec.mechanism, *spec.password, salt,
                                                              spec.iterations)
                          : security::scram_credential_from_salted_password(
                                spec.mechanism, *spec.salted_password, salt, spec.iterations);
    if (!credential.ok()) {
        return fail(credential.error());
    }
    protocol::records::UserScramCredentialRecord r;
    r.name_ = spec.name;
    r.mechanism_ = scram_mechanism_code(spec.mechanism);
    r.salt_ = credential->salt;
    r.stored_key_ = credential->stored_key;
    r.server_key_ = credential->server_key;
    r.iterations_ = credential->iterations;
    return r;
}

Result<std::vector<MetadataRecord>, std::string> scram_bootstrap_records(
    const std::vector<std::string>& values, security::SaslRandom& random) {
    std::vector<MetadataRecord> out;
    std::set<std::pair<std::string, security::ScramMechanism>> users;
    for (size_t i = 0; i < values.size(); ++i) {
        const std::string where = "--add-scram #" + std::to_string(i + 1) + ": ";
        auto spec = parse_add_scram(values[i]);
        if (!spec.ok()) {
            return fail(where + spec.error());
        }
        if (!users.emplace(spec->name, spec->mechanism).second) {
            return fail(where + "a second credential for '" + spec->name + "' with " +
                        std::string(security::scram_mechanism_name(spec->mechanism)));
        }
        auto record = scram_bootstrap_record(*spec, random);
        if (!record.ok()) {
            return fail(where + record.error());
        }
        out.emplace_back(std::move(record).value());
    }
    return out;
}

Result<void, std::string> write_bootstrap_records(Env& env, const std::string& dir,
                                                  const std::vector<MetadataRecord>& records) {
    const Bytes entry = encode_metadata_entry(records);
    Bytes file = to_bytes(file_magic);
    const uint32_t crc = record::crc32c(entry);
    for (int shift = 24; shift >= 0; shift -= 8) {
        file.push_back(static_cast<std::byte>(crc >> shift));
    }
    file.insert(file.end(), entry.begin(), entry.end());
    return log::replace_small_file(env, dir, bootstrap_records_file, file);
}

Result<std::vector<MetadataRecord>, std::string> read_bootstrap_records(Env& env,
                                                                        const std::string& dir) {
    const std::string path = log::join_path(dir, bootstrap_records_file);
    TRY_ASSIGN(std::optional<Bytes> read, log::read_small_file(env.disk, path, file_bytes_max));
    if (!read) {
        return std::vector<MetadataRecord>();
    }
    const Bytes& file = *read;
    const size_t header = file_magic.size() + crc_bytes;
    if (file.size() < header || as_chars(ByteSpan(file.data(), file_magic.size())) != file_magic) {
        return fail(path + ": not an Eddy bootstrap records file");
    }
    uint32_t crc = 0;
    for (size_t i = 0; i < crc_bytes; ++i) {
        crc = (crc << 8) | static_cast<uint8_t>(file[file_magic.size() + i]);
    }
    const ByteSpan entry(file.data() + header, file.size() - header);
    if (record::crc32c(entry) != crc) {
        return fail(path + ": damaged (checksum mismatch)");
    }
    auto records = decode_metadata_entry(entry);
    if (!records.ok()) {
        return fail(path + ": " + records.error());
    }
    return std::move(records).value();
}

}  // namespace eddy::controller
