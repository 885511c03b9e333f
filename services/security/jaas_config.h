// JAAS login-module entries as Kafka operators write them in `sasl.jaas.config` (and
// `listener.name.<listener>.<mechanism>.sasl.jaas.config`), e.g.
//
//   org.apache.kafka.common.security.plain.PlainLoginModule required
//       username="admin" password="admin-secret" user_admin="admin-secret"
//       user_alice="alice-secret";
//
// Grammar, following Kafka's JaasConfig (a java.io.StreamTokenizer): an entry is
// `<login module class> <control flag> (<key> = <value>)* ;`. Words are letters, digits and
// `_ . $ -` (and any byte >= 0x80); values are words or strings in double or single quotes with
// Java's escapes (\n \t \r \b \f \a \v, octal \0..\377, and \<c> for any other c meaning c).
// Comments `// ...` and `/* ... */` are skipped. The control flag is required, requisite,
// sufficient or optional, in any case. Unlike Kafka, a key given twice is an error, not a silent
// overwrite: a repeated user_alice is far more likely a mistake than intent.
//
// Input is operator text: every problem is a one-line error naming the offset, never an ASSERT.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/result.h"

namespace eddy::security {

namespace limits {
inline constexpr size_t jaas_config_bytes_max = 1024 * 1024;
}  // namespace limits

enum class JaasControlFlag : uint8_t { required, requisite, sufficient, optional };
std::string_view jaas_control_flag_name(JaasControlFlag f);

struct JaasEntry {
    std::string login_module;  // e.g. "org.apache.kafka.common.security.plain.PlainLoginModule"
    JaasControlFlag flag = JaasControlFlag::required;
    std::map<std::string, std::string> options;  // ordered: iteration is deterministic

    bool operator==(const JaasEntry&) const = default;
};

inline constexpr std::string_view plain_login_module =
    "org.apache.kafka.common.security.plain.PlainLoginModule";
inline constexpr std::string_view scram_login_module =
    "org.apache.kafka.common.security.scram.ScramLoginModule";

// Every entry in `text` (at least one).
Result<std::vector<JaasEntry>, std::string> parse_jaas_config(std::string_view text);
// Exactly one entry, as the sasl.jaas.config property must hold.
Result<JaasEntry, std::string> parse_jaas_entry(std::string_view text);

}  // namespace eddy::security
