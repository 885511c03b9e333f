// Bootstrap records: metadata records a node is formatted with, which the first active controller
// of a new cluster commits before anything else, as Kafka's `kafka-storage format --add-scram`
// puts UserScramCredentialRecords in bootstrap.checkpoint. They let a cluster whose only client
// listeners are SASL ones be reached at all: the first SCRAM user exists when the quorum starts.
//
// Text given to `eddy format --add-scram` (and to `eddy broker --add-scram`, which formats at the
// first start), Kafka's syntax:
//   SCRAM-SHA-256=[name=alice,password=alice-secret]
//   SCRAM-SHA-512=[name=alice,iterations=8192,salt="c2FsdA==",saltedpassword="…base64…"]
// Keys: name (required), password or saltedpassword (one of them; saltedpassword needs salt),
// iterations (4096..16384, default 4096), salt (standard base64; default: fresh random bytes).
// A value may be in double quotes (then it may hold ',' and ']'); there are no escapes.
//
// The file `bootstrap.records` in the data directory: "eddy bootstrap records v1\n", a CRC32C
// (4 bytes, big endian) of the rest, then the records as one metadata entry
// (encode_metadata_entry). It is written (atomically, synced) before meta.properties, so a
// formatted directory never lacks the bootstrap it was formatted with. `eddy broker` reads it at
// every start of a controller and hands the records to the broker (BrokerOptions); they apply
// once, to an empty metadata image (a new cluster, Controller::bootstrap), never to a cluster
// that already has any metadata. The file is never rewritten or removed.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/result.h"
#include "core/env/env.h"
#include "services/controller/metadata_image.h"
#include "services/security/sasl_random.h"

namespace eddy::controller {

inline constexpr std::string_view bootstrap_records_file = "bootstrap.records";

// One --add-scram value, parsed.
struct ScramBootstrapSpec {
    security::ScramMechanism mechanism = security::ScramMechanism::sha256;
    std::string name;
    std::optional<std::string> password;
    std::optional<Bytes> salted_password;
    std::optional<Bytes> salt;
    int32_t iterations = 4096;  // Kafka's default
};

// Parses one --add-scram value. Errors are one line naming what is wrong (never the password).
Result<ScramBootstrapSpec, std::string> parse_add_scram(std::string_view text);

// The UserScramCredentialRecord of `spec`, with a fresh salt from `random` unless it has one.
// Errors (one line): a derivation the limits refuse. Does not suspend (PBKDF2 runs here).
Result<protocol::records::UserScramCredentialRecord, std::string> scram_bootstrap_record(
    const ScramBootstrapSpec& spec, security::SaslRandom& random);

// The records of every value, in order; the first error stops (one line, naming the value's
// position). Two values for the same user and mechanism are an error, as in Kafka.
Result<std::vector<MetadataRecord>, std::string> scram_bootstrap_records(
    const std::vector<std::string>& values, security::SaslRandom& random);

// Writes `<dir>/bootstrap.records` (atomically, synced; a failed sync crashes the node).
// Suspends.
Result<void, std::string> write_bootstrap_records(Env& env, const std::string& dir,
                                                  const std::vector<MetadataRecord>& records);
// Reads `<dir>/bootstrap.records`: no records when there is no such file. Errors (one line
// starting with the path): unreadable, damaged, or records that do not decode. Suspends.
Result<std::vector<MetadataRecord>, std::string> read_bootstrap_records(Env& env,
                                                                        const std::string& dir);

}  // namespace eddy::controller
