// JAAS config parsing. See jaas_config.h.
#include "services/security/jaas_config.h"

#include <optional>

#include "core/base/assert.h"
#include "services/security/sasl_text.h"

namespace eddy::security {
namespace {

enum class TokenKind : uint8_t { word, quoted, equals, semicolon, end };

struct Token {
    TokenKind kind = TokenKind::end;
    std::string text;  // the word or the unescaped string
    size_t offset = 0;
};

bool word_char(char c) {
    const auto u = static_cast<unsigned char>(c);
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '$' || c == '-' || u >= 0x80;
}

std::string at(size_t offset) { return "at offset " + std::to_string(offset); }

class Tokenizer {
public:
    explicit Tokenizer(std::string_view text) : text_(text) {}

    Result<Token, std::string> next() {
        TRY_VOID(skip_space_and_comments());
        Token t;
        t.offset = pos_;
        if (pos_ == text_.size()) {
            t.kind = TokenKind::end;
            return t;
        }
        const char c = text_[pos_];
        if (c == '=' || c == ';') {
            t.kind = c == '=' ? TokenKind::equals : TokenKind::semicolon;
            ++pos_;
            return t;
        }
        if (c == '"' || c == '\'') {
            t.kind = TokenKind::quoted;
            TRY_ASSIGN(t.text, quoted(c));
            return t;
        }
        if (word_char(c)) {
            t.kind = TokenKind::word;
            while (pos_ < text_.size() && word_char(text_[pos_])) {
                t.text.push_back(text_[pos_++]);
            }
            return t;
        }
        return fail("unexpected character '" + printable_text(std::string_view(&c, 1)) + "' " +
                    at(pos_));
    }

private:
    Result<void, std::string> skip_space_and_comments() {
        while (pos_ < text_.size()) {
            const char c = text_[pos_];
            if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f') {
                ++pos_;
            } else if (text_.substr(pos_, 2) == "//") {
                const size_t eol = text_.find('\n', pos_);
                pos_ = eol == std::string_view::npos ? text_.size() : eol + 1;
            } else if (text_.substr(pos_, 2) == "/*") {
                const size_t close = text_.find("*/", pos_ + 2);
                if (close == std::string_view::npos) {
                    return fail("unterminated /* comment " + at(pos_));
                }
                pos_ = close + 2;
            } else {
                break;
            }
        }
        return {};
    }

    // A string in `quote`s starting at pos_, with Java's escapes.
    Result<std::string, std::string> quoted(char quote) {
        const size_t start = pos_;
        ++pos_;
        std::string out;
        while (true) {
            if (pos_ == text_.size() || text_[pos_] == '\n' || text_[pos_] == '\r') {
                return fail("unterminated quoted string " + at(start));
            }
            const char c = text_[pos_++];
            if (c == quote) {
                return out;
            }
            if (c != '\\') {
                out.push_back(c);
                continue;
            }
            if (pos_ == text_.size()) {
                return fail("unterminated quoted string " + at(start));
            }
            const char e = text_[pos_++];
            // Java's named escapes; octal; anything else stands for itself (\\ \" \').
            constexpr std::string_view named = "abfnrtv";
            constexpr std::string_view named_values = "\a\b\f\n\r\t\v";
            static_assert(named.size() == named_values.size());
            if (const size_t k = named.find(e); k != std::string_view::npos) {
                out.push_back(named_values[k]);
            } else if (e >= '0' && e <= '7') {
                // Up to three octal digits, the third only when the first is 0..3, so the value
                // stays within a byte (as StreamTokenizer does).
                unsigned value = static_cast<unsigned>(e - '0');
                const size_t digits_max = e <= '3' ? 3 : 2;
                for (size_t n = 1; n < digits_max && pos_ < text_.size() && text_[pos_] >= '0' &&
                                   text_[pos_] <= '7';
                     ++n) {
                    value = value * 8 + static_cast<unsigned>(text_[pos_++] - '0');
                }
                ASSERT(value <= 0xff);
                out.push_back(static_cast<char>(value));
            } else {
                out.push_back(e);
            }
        }
    }

    std::string_view text_;
    size_t pos_ = 0;
};

std::optional<JaasControlFlag> parse_flag(std::string_view word) {
    std::string lower(word);
    for (char& c : lower) {
        if (c >= 'A' && c <= 'Z') {
            c = static_cast<char>(c - 'A' + 'a');
        }
    }
    for (const JaasControlFlag f : {JaasControlFlag::required, JaasControlFlag::requisite,
                                    JaasControlFlag::sufficient, JaasControlFlag::optional}) {
        if (lower == jaas_control_flag_name(f)) {
            return f;
        }
    }
    return std::nullopt;
}

// One entry; `first` is its already-read first token (a word).
Result<JaasEntry, std::string> parse_entry(Tokenizer& tokens, Token first) {
    ASSERT(first.kind == TokenKind::word);
    JaasEntry entry;
    entry.login_module = std::move(first.text);
    TRY_ASSIGN(Token flag, tokens.next());
    if (flag.kind != TokenKind::word) {
        return fail("expected a control flag after '" + printable_text(entry.login_module) + "' " +
                    at(flag.offset));
    }
    auto parsed_flag = parse_flag(flag.text);
    if (!parsed_flag) {
        return fail("control flag '" + printable_text(flag.text) +
                    "' is not required, requisite, sufficient or optional " + at(flag.offset));
    }
    entry.flag = *parsed_flag;
    while (true) {
        TRY_ASSIGN(Token key, tokens.next());
        if (key.kind == TokenKind::semicolon) {
            return entry;
        }
        if (key.kind == TokenKind::end) {
            return fail("JAAS entry '" + printable_text(entry.login_module) +
                        "' is not terminated by ';'");
        }
        if (key.kind != TokenKind::word && key.kind != TokenKind::quoted) {
            return fail("expected an option name or ';' " + at(key.offset));
        }
        if (key.text.empty()) {
            return fail("empty option name " + at(key.offset));
        }
        TRY_ASSIGN(Token equals, tokens.next());
        if (equals.kind != TokenKind::equals) {
            return fail("expected '=' after option '" + printable_text(key.text) + "' " +
                        at(equals.offset));
        }
        TRY_ASSIGN(Token value, tokens.next());
        if (value.kind != TokenKind::word && value.kind != TokenKind::quoted) {
            return fail("value not specified for option '" + printable_text(key.text) + "' " +
                        at(value.offset));
        }
        if (entry.options.contains(key.text)) {
            return fail("option '" + printable_text(key.text) + "' given twice " + at(key.offset));
        }
        entry.options.emplace(std::move(key.text), std::move(value.text));
    }
}

}  // namespace

std::string_view jaas_control_flag_name(JaasControlFlag f) {
    switch (f) {
        case JaasControlFlag::required:
            return "required";
        case JaasControlFlag::requisite:
            return "requisite";
        case JaasControlFlag::sufficient:
            return "sufficient";
        case JaasControlFlag::optional:
            return "optional";
    }
    UNREACHABLE("JaasControlFlag out of range");
}

Result<std::vector<JaasEntry>, std::string> parse_jaas_config(std::string_view text) {
    if (text.size() > limits::jaas_config_bytes_max) {
        return fail("JAAS config of " + std::to_string(text.size()) + " bytes (at most " +
                    std::to_string(limits::jaas_config_bytes_max) + ")");
    }
    Tokenizer tokens(text);
    std::vector<JaasEntry> entries;
    while (true) {
        TRY_ASSIGN(Token first, tokens.next());
        if (first.kind == TokenKind::end) {
            break;
        }
        if (first.kind != TokenKind::word) {
            return fail("expected a login module class name " + at(first.offset));
        }
        TRY_ASSIGN(JaasEntry entry, parse_entry(tokens, std::move(first)));
        entries.push_back(std::move(entry));
    }
    if (entries.empty()) {
        return fail(std::string("JAAS config has no login module"));
    }
    return entries;
}

Result<JaasEntry, std::string> parse_jaas_entry(std::string_view text) {
    TRY_ASSIGN(std::vector<JaasEntry> entries, parse_jaas_config(text));
    if (entries.size() != 1) {
        return fail("JAAS config holds " + std::to_string(entries.size()) +
                    " login modules, sasl.jaas.config takes exactly one");
    }
    return std::move(entries.front());
}

}  // namespace eddy::security
