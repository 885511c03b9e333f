// ssl.principal.mapping.rules: how a client certificate's subject ("CN=alice,OU=eng,O=acme")
// becomes a principal name (Kafka's SslPrincipalMapper, KIP-371).
//
// Syntax: rules separated by commas (whitespace and newlines around them are ignored; Eddy also
// accepts a bare newline as a separator, which Kafka does not), each either
//   DEFAULT                         — the subject unchanged
//   RULE:pattern/replacement/[L|U]  — if `pattern` matches the whole subject, the subject with
//                                     every match of `pattern` replaced by `replacement`,
//                                     then lower- (L) or upper-cased (U)
// Inside pattern and replacement a backslash escapes the next character (so `\/` is a slash and
// `\,` a comma). Rules are tried in order; the first that matches names the principal; when none
// matches, authentication fails (Kafka's NoMatchingRule). Empty items (",,") are ignored.
//
// Replacement: `$n` is capturing group n as Java's Matcher reads it (the longest digit run whose
// value is a group); a `$n` beyond the pattern's groups stays literal text, as Kafka's
// escapeLiteralBackReferences makes it. `$` followed by no digit, `${name}` and a trailing `\`
// are refused when the rules are parsed (Java would fail at authentication time).
//
// Limits and differences from Kafka, because patterns go through std::regex (ECMAScript grammar,
// libstdc++'s breadth-first matcher, whose stack use does not grow with the input) instead of
// java.util.regex: Java-only syntax (possessive quantifiers, `(?i)` inline flags, named groups,
// \p{..}) and back-references are refused as invalid patterns, and so are counted repetitions
// above 1000 or whose counts multiply past 100000 (libstdc++ copies the repeated part that many
// times); L/U change ASCII letters only.
// Inputs are bounded so matching time is too: limits::principal_mapping_rules_chars_max for the
// rule text and limits::certificate_subject_max for a subject (a longer subject maps to an error,
// never a crash).
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/result.h"

namespace eddy::security {

namespace limits {
// The whole ssl.principal.mapping.rules value. Real configurations are a few lines.
inline constexpr size_t principal_mapping_rules_chars_max = 16 * 1024;
// An RFC 2253 subject. X.509 names are in practice well under 1 KiB; the bound keeps the regex
// matcher's recursion shallow.
inline constexpr size_t certificate_subject_max = 4096;
}  // namespace limits

class SslPrincipalMapper {
public:
    // The mapper of the default rule set ("DEFAULT": the subject is the name).
    SslPrincipalMapper();

    // Parses the configuration value; the error names the offending rule.
    static Result<SslPrincipalMapper, std::string> parse(std::string_view rules);

    // The principal name for a certificate subject, or why none (no rule matched, the subject is
    // too long, or the regex engine gave up on it).
    Result<std::string, std::string> map(std::string_view subject) const;

    // The rules in their configuration syntax, one per element (for logs and tests).
    std::vector<std::string> describe() const;

    struct Rule;

private:
    // Rules hold compiled regexes; shared so the mapper copies cheaply and stays immutable.
    std::vector<std::shared_ptr<const Rule>> rules_;
};

}  // namespace eddy::security
