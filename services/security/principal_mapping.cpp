// The rule parser is hand-written rather than Kafka's splitting regex: it accepts the same rule
// texts (and bare newlines as separators), reports the offending rule, and never hands
// unbounded text to std::regex. std::regex reports bad patterns and matcher exhaustion by
// throwing std::regex_error; those two sites catch exactly that type and turn it into an error
// value (services/ never lets an exception escape).
#include "services/security/principal_mapping.h"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <regex>
#include <variant>

#include "core/base/assert.h"

namespace eddy::security {

namespace {

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

// Counted repetitions (`a{n}`, `a{n,}`, `a{n,m}`) are compiled by libstdc++ into n (or m)
// copies of the repeated part, nested ones into the product; a bound too long for a long
// overflows inside the library (undefined behaviour), as does a long back-reference number. Why
// the pattern has one of those, or nullopt: each bound at most 1000 and their product at most
// 100000, no back-reference.
std::optional<std::string> counted_repetition_problem(std::string_view pattern) {
    constexpr uint64_t bound_max = 1000;
    constexpr uint64_t product_max = 100000;
    uint64_t product = 1;
    for (size_t i = 0; i < pattern.size(); ++i) {
        if (pattern[i] == '\\') {
            // A back-reference's number is read whole before libstdc++ refuses it (they are
            // refused: see above), and a long one overflows the same way.
            if (i + 1 < pattern.size() && pattern[i + 1] >= '0' && pattern[i + 1] <= '9' &&
                (pattern[i + 1] != '0' ||
                 (i + 2 < pattern.size() && pattern[i + 2] >= '0' && pattern[i + 2] <= '9'))) {
                return std::string("a back-reference (not supported)");
            }
            ++i;  // an escaped character, `\{` included
            continue;
        }
        if (pattern[i] != '{') {
            continue;
        }
        uint64_t largest = 0;
        size_t j = i + 1;
        for (int part = 0; part < 2; ++part) {
            uint64_t n = 0;
            size_t digits = 0;
            while (j < pattern.size() && pattern[j] >= '0' && pattern[j] <= '9') {
                if (++digits > 4) {
                    return "a repetition count above " + std::to_string(bound_max);
                }
                n = n * 10 + static_cast<uint64_t>(pattern[j] - '0');
                ++j;
            }
            if (n > bound_max) {
                return "a repetition count above " + std::to_string(bound_max);
            }
            largest = std::max(largest, n);
            if (part == 0 && j < pattern.size() && pattern[j] == ',') {
                ++j;
                continue;
            }
            break;
        }
        product *= std::max<uint64_t>(largest, 1);
        if (product > product_max) {
            return "repetition counts whose product is above " + std::to_string(product_max);
        }
    }
    return std::nullopt;
}

// One piece of a compiled replacement: literal text or a capturing group's number.
using ReplacementPiece = std::variant<std::string, size_t>;

std::string quoted(std::string_view s) { return "`" + std::string(s) + "`"; }

// Java's Matcher.appendReplacement syntax after Kafka's escapeLiteralBackReferences: `\x` is x,
// `$n` a group read greedily while it names a group, `$n` naming no group literal text.
Result<std::vector<ReplacementPiece>, std::string> compile_replacement(std::string_view text,
                                                                       size_t groups) {
    std::vector<ReplacementPiece> pieces;
    std::string literal;
    size_t i = 0;
    while (i < text.size()) {
        const char c = text[i];
        if (c == '\\') {
            if (i + 1 == text.size()) {
                return fail("replacement " + quoted(text) + " ends in an escaping backslash");
            }
            literal.push_back(text[i + 1]);
            i += 2;
            continue;
        }
        if (c != '$') {
            literal.push_back(c);
            ++i;
            continue;
        }
        size_t digits_end = i + 1;
        while (digits_end < text.size() && text[digits_end] >= '0' && text[digits_end] <= '9') {
            ++digits_end;
        }
        if (digits_end == i + 1) {
            return fail("replacement " + quoted(text) +
                        " has a `$` not followed by a group number (named groups are not "
                        "supported)");
        }
        const std::string_view digits = text.substr(i + 1, digits_end - i - 1);
        if (digits[0] != '0') {
            // Kafka's escapeLiteralBackReferences: drop trailing digits while the number names no
            // group and has two or more digits; if even then it names none, the `$` is literal.
            size_t kept = digits.size();
            auto value_of = [&](size_t n) {
                size_t v = 0;
                for (size_t k = 0; k < n; ++k) {
                    v = v * 10 + static_cast<size_t>(digits[k] - '0');
                    if (v > groups) {
                        return groups + 1;  // saturate: only "beyond the groups" matters
                    }
                }
                return v;
            };
            while (kept > 1 && value_of(kept) > groups) {
                --kept;
            }
            if (value_of(kept) > groups) {
                literal.push_back('$');
                i += 1;  // the digits follow as ordinary literal characters
                continue;
            }
        }
        // Java: the first digit is the group; further digits join while the number stays a group.
        size_t group = static_cast<size_t>(digits[0] - '0');
        size_t used = 1;
        while (used < digits.size()) {
            const size_t next = group * 10 + static_cast<size_t>(digits[used] - '0');
            if (next > groups) {
                break;
            }
            group = next;
            ++used;
        }
        ASSERT(group <= groups);
        if (!literal.empty()) {
            pieces.emplace_back(std::move(literal));
            literal.clear();
        }
        pieces.emplace_back(group);
        i += 1 + used;
    }
    if (!literal.empty()) {
        pieces.emplace_back(std::move(literal));
    }
    return pieces;
}

char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }
char ascii_upper(char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; }

// Reads a RULE segment up to its unescaped '/': the raw text (escapes kept, as Kafka hands the
// pattern to the regex compiler and the replacement to appendReplacement unchanged).
std::optional<std::string_view> read_segment(std::string_view text, size_t& pos) {
    const size_t start = pos;
    while (pos < text.size()) {
        if (text[pos] == '\\') {
            if (pos + 1 == text.size()) {
                return std::nullopt;
            }
            pos += 2;
            continue;
        }
        if (text[pos] == '/') {
            const std::string_view segment = text.substr(start, pos - start);
            ++pos;
            return segment;
        }
        ++pos;
    }
    return std::nullopt;
}

}  // namespace

struct SslPrincipalMapper::Rule {
    bool is_default = true;
    std::string pattern_text;
    std::string replacement_text;
    std::regex pattern;
    std::vector<ReplacementPiece> replacement;
    bool to_lower = false;
    bool to_upper = false;

    std::string describe() const {
        if (is_default) {
            return "DEFAULT";
        }
        return "RULE:" + pattern_text + "/" + replacement_text + "/" +
               (to_lower ? "L" : (to_upper ? "U" : ""));
    }
};

SslPrincipalMapper::SslPrincipalMapper() { rules_.push_back(std::make_shared<const Rule>()); }

Result<SslPrincipalMapper, std::string> SslPrincipalMapper::parse(std::string_view text) {
    if (text.size() > limits::principal_mapping_rules_chars_max) {
        return fail("ssl.principal.mapping.rules is " + std::to_string(text.size()) +
                    " characters, more than the " +
                    std::to_string(limits::principal_mapping_rules_chars_max) + " allowed");
    }
    SslPrincipalMapper mapper;
    mapper.rules_.clear();
    size_t pos = 0;
    while (true) {
        while (pos < text.size() && is_space(text[pos])) {
            ++pos;
        }
        if (pos == text.size()) {
            break;
        }
        if (text[pos] == ',') {  // an empty item, ignored as Kafka does
            ++pos;
            continue;
        }
        const size_t rule_start = pos;
        auto rule = std::make_shared<Rule>();
        const std::string_view rest = text.substr(pos);
        if (rest.starts_with("DEFAULT")) {
            pos += 7;
        } else if (rest.starts_with("RULE:")) {
            pos += 5;
            const auto pattern = read_segment(text, pos);
            const auto replacement = pattern ? read_segment(text, pos) : std::nullopt;
            if (!pattern || !replacement) {
                const size_t end = text.find_first_of(",\n", rule_start);
                return fail("invalid rule " + quoted(text.substr(rule_start, end - rule_start)) +
                            ": expected RULE:pattern/replacement/[LU]");
            }
            if (pos < text.size() && (text[pos] == 'L' || text[pos] == 'U')) {
                rule->to_lower = text[pos] == 'L';
                rule->to_upper = text[pos] == 'U';
                ++pos;
            }
            rule->is_default = false;
            rule->pattern_text = std::string(*pattern);
            rule->replacement_text = std::string(*replacement);
            if (auto problem = counted_repetition_problem(rule->pattern_text)) {
                return fail("invalid pattern " + quoted(rule->pattern_text) + " in rule " +
                            quoted(text.substr(rule_start, pos - rule_start)) + ": " + *problem);
            }
            try {
                // libstdc++'s __polynomial picks its breadth-first matcher: stack use independent
                // of the subject's length (the default depth-first one recurses per character, ~330
                // bytes each, and would overflow a 256 KiB fiber stack on a 1 KiB subject). It
                // keeps ECMAScript's capture priorities (greedy, lazy, alternation order) and
                // refuses back-references, which Kafka's documented rules never use.
                rule->pattern =
                    std::regex(rule->pattern_text,
                               std::regex::ECMAScript | std::regex_constants::__polynomial);
            } catch (const std::regex_error& e) {
                return fail("invalid pattern " + quoted(rule->pattern_text) + " in rule " +
                            quoted(text.substr(rule_start, pos - rule_start)) + ": " + e.what());
            }
            TRY_ASSIGN(rule->replacement,
                       compile_replacement(rule->replacement_text, rule->pattern.mark_count()));
        } else {
            const size_t end = text.find_first_of(",\n", rule_start);
            return fail("invalid rule " + quoted(text.substr(rule_start, end - rule_start)) +
                        ": expected DEFAULT or RULE:pattern/replacement/[LU]");
        }
        // After a rule: a comma, a newline, or the end.
        bool newline = false;
        while (pos < text.size() && is_space(text[pos])) {
            newline = newline || text[pos] == '\n';
            ++pos;
        }
        if (pos < text.size() && text[pos] != ',' && !newline) {
            const size_t end = text.find_first_of(",\n", pos);
            return fail("invalid rule " + quoted(text.substr(rule_start, pos - rule_start)) +
                        ": unexpected " + quoted(text.substr(pos, end - pos)) + " after it");
        }
        mapper.rules_.push_back(std::move(rule));
    }
    return mapper;
}

Result<std::string, std::string> SslPrincipalMapper::map(std::string_view subject) const {
    if (subject.size() > limits::certificate_subject_max) {
        return fail("certificate subject of " + std::to_string(subject.size()) +
                    " characters is longer than the " +
                    std::to_string(limits::certificate_subject_max) + " allowed");
    }
    const std::string s(subject);
    for (const auto& rule : rules_) {
        if (rule->is_default) {
            return s;
        }
        std::string out;
        try {
            if (!std::regex_match(s, rule->pattern)) {
                continue;
            }
            // Java's replaceAll: every match (the whole subject matched, but a pattern that can
            // also match the empty string matches again at the end, as in Java).
            auto last = s.cbegin();
            for (std::sregex_iterator it(s.cbegin(), s.cend(), rule->pattern), end; it != end;
                 ++it) {
                const std::smatch& m = *it;
                out.append(m.prefix().first, m.prefix().second);
                for (const auto& piece : rule->replacement) {
                    if (const auto* lit = std::get_if<std::string>(&piece)) {
                        out += *lit;
                    } else {
                        const size_t group = std::get<size_t>(piece);
                        ASSERT(group < m.size());
                        if (m[group].matched) {
                            out.append(m[group].first, m[group].second);
                        }
                    }
                }
                last = m[0].second;
            }
            out.append(last, s.cend());
        } catch (const std::regex_error& e) {
            return fail("rule " + quoted(rule->describe()) + " could not be applied to " +
                        quoted(subject) + ": " + e.what());
        }
        if (rule->to_lower) {
            for (char& c : out) {
                c = ascii_lower(c);
            }
        } else if (rule->to_upper) {
            for (char& c : out) {
                c = ascii_upper(c);
            }
        }
        return out;
    }
    return fail("no ssl.principal.mapping.rules rule applies to " + quoted(subject));
}

std::vector<std::string> SslPrincipalMapper::describe() const {
    std::vector<std::string> out;
    out.reserve(rules_.size());
    for (const auto& rule : rules_) {
        out.push_back(rule->describe());
    }
    return out;
}

}  // namespace eddy::security
