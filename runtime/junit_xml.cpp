// JUnit XML. See junit_xml.h.
#include "runtime/junit_xml.h"

#include <cstdint>
#include <cstdio>

namespace eddy::junit {

namespace {

// The code point of the UTF-8 sequence at s[i] and its length; length 0 when the bytes there are
// not a well-formed sequence (overlong forms and surrogates included).
struct Decoded {
    uint32_t code_point = 0;
    size_t length = 0;
};

Decoded decode_utf8(std::string_view s, size_t i) {
    const auto byte = [&](size_t k) { return static_cast<uint8_t>(s[k]); };
    const uint8_t lead = byte(i);
    // Lead byte: the sequence's length, its payload bits and the smallest code point it may carry.
    size_t length = 0;
    uint32_t cp = 0;
    uint32_t min = 0;
    if (lead < 0x80) {
        return {lead, 1};
    }
    if ((lead & 0xE0) == 0xC0) {
        length = 2;
        cp = lead & 0x1Fu;
        min = 0x80;
    } else if ((lead & 0xF0) == 0xE0) {
        length = 3;
        cp = lead & 0x0Fu;
        min = 0x800;
    } else if ((lead & 0xF8) == 0xF0) {
        length = 4;
        cp = lead & 0x07u;
        min = 0x10000;
    } else {
        return {};
    }
    if (i + length > s.size()) {
        return {};
    }
    for (size_t k = 1; k < length; ++k) {
        if ((byte(i + k) & 0xC0) != 0x80) {
            return {};
        }
        cp = (cp << 6) | (byte(i + k) & 0x3Fu);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
        return {};
    }
    return {cp, length};
}

// XML 1.0's Char production.
bool xml_char(uint32_t cp) {
    return cp == 0x9 || cp == 0xA || cp == 0xD || (cp >= 0x20 && cp <= 0xD7FF) ||
           (cp >= 0xE000 && cp <= 0xFFFD) || (cp >= 0x10000 && cp <= 0x10FFFF);
}

std::string escape(std::string_view text, bool attribute) {
    static constexpr const char* replacement = "\xEF\xBF\xBD";  // U+FFFD
    std::string out;
    out.reserve(text.size() + text.size() / 8);
    for (size_t i = 0; i < text.size();) {
        const Decoded d = decode_utf8(text, i);
        if (d.length == 0 || !xml_char(d.code_point)) {
            out += replacement;
            i += d.length == 0 ? 1 : d.length;
            continue;
        }
        switch (d.code_point) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '"':
                out += "&quot;";
                break;
            case '\'':
                out += "&apos;";
                break;
            case '\t':
                out += attribute ? "&#9;" : "\t";
                break;
            case '\n':
                out += attribute ? "&#10;" : "\n";
                break;
            case '\r':
                out += "&#13;";
                break;  // a parser would fold a bare CR into LF
            default:
                out.append(text.substr(i, d.length));
                break;
        }
        i += d.length;
    }
    return out;
}

std::string seconds(double s) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3f", s);
    return buf;
}

}  // namespace

std::string escape_text(std::string_view text) { return escape(text, false); }
std::string escape_attribute(std::string_view text) { return escape(text, true); }

std::string to_xml(std::string_view name, const std::vector<TestSuite>& suites) {
    size_t tests = 0;
    size_t failures = 0;
    size_t skipped = 0;
    double total = 0;
    std::string body;
    for (const TestSuite& suite : suites) {
        size_t suite_failures = 0;
        size_t suite_skipped = 0;
        double suite_seconds = 0;
        std::string cases;
        for (const TestCase& c : suite.cases) {
            suite_seconds += c.seconds;
            cases += "    <testcase name=\"" + escape_attribute(c.name) + "\" classname=\"" +
                     escape_attribute(c.classname) + "\" time=\"" + seconds(c.seconds) + "\"";
            const bool has_output = !c.system_out.empty();
            if (c.outcome == Outcome::passed && !has_output) {
                cases += "/>\n";
                continue;
            }
            cases += ">\n";
            switch (c.outcome) {
                case Outcome::passed:
                    break;
                case Outcome::failed:
                    ++suite_failures;
                    cases += "      <failure message=\"" + escape_attribute(c.message) +
                             "\" type=\"" + escape_attribute(c.type) + "\">" +
                             escape_text(c.details) + "</failure>\n";
                    break;
                case Outcome::skipped:
                    ++suite_skipped;
                    cases += "      <skipped message=\"" + escape_attribute(c.message) + "\">" +
                             escape_text(c.details) + "</skipped>\n";
                    break;
            }
            if (has_output) {
                cases += "      <system-out>" + escape_text(c.system_out) + "</system-out>\n";
            }
            cases += "    </testcase>\n";
        }
        body += "  <testsuite name=\"" + escape_attribute(suite.name) + "\" tests=\"" +
                std::to_string(suite.cases.size()) + "\" failures=\"" +
                std::to_string(suite_failures) + "\" errors=\"0\" skipped=\"" +
                std::to_string(suite_skipped) + "\" time=\"" + seconds(suite_seconds) + "\">\n" +
                cases + "  </testsuite>\n";
        tests += suite.cases.size();
        failures += suite_failures;
        skipped += suite_skipped;
        total += suite_seconds;
    }
    return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"" +
           escape_attribute(name) + "\" tests=\"" + std::to_string(tests) + "\" failures=\"" +
           std::to_string(failures) + "\" errors=\"0\" skipped=\"" + std::to_string(skipped) +
           "\" time=\"" + seconds(total) + "\">\n" + body + "</testsuites>\n";
}

}  // namespace eddy::junit
