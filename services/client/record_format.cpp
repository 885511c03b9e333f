// Record formatting for `eddy consume`.
#include "services/client/record_format.h"

#include <cstdio>

namespace eddy::client {

namespace {

void append_headers(std::string& out, const ConsumerRecord& r) {
    bool first = true;
    for (const RecordHeader& h : r.headers) {
        if (!first) {
            out += ',';
        }
        first = false;
        out += h.key;
        out += '=';
        if (h.value) {
            out += *h.value;
        }
    }
}

int64_t length_of(const std::optional<std::string>& s) {
    return s ? static_cast<int64_t>(s->size()) : -1;
}

}  // namespace

Result<RecordFormatter, std::string> RecordFormatter::parse(std::string_view format) {
    RecordFormatter f;
    std::string literal;
    auto flush = [&] {
        if (!literal.empty()) {
            f.parts_.push_back(Part{0, literal});
            literal.clear();
        }
    };
    for (size_t i = 0; i < format.size(); ++i) {
        const char c = format[i];
        if (c == '\\' && i + 1 < format.size()) {
            const char e = format[++i];
            switch (e) {
                case 'n': literal += '\n'; break;
                case 't': literal += '\t'; break;
                case 'r': literal += '\r'; break;
                case '\\': literal += '\\'; break;
                default:
                    literal += '\\';
                    literal += e;
            }
            continue;
        }
        if (c != '%') {
            literal += c;
            continue;
        }
        if (i + 1 >= format.size()) {
            return fail(std::string("format ends with a lone '%'"));
        }
        const char t = format[++i];
        switch (t) {
            case '%': literal += '%'; break;
            case 't': case 'p': case 'o': case 'T': case 'd': case 'k': case 'v': case 's':
            case 'K': case 'S': case 'V': case 'h':
                flush();
                f.parts_.push_back(Part{t, {}});
                break;
            default:
                return fail("unknown format token '%" + std::string(1, t) +
                            "' (known: %t %p %o %T %d %k %v %s %K %S %V %h %%)");
        }
    }
    flush();
    const bool ends_with_newline =
        !f.parts_.empty() && f.parts_.back().token == 0 && !f.parts_.back().text.empty() &&
        f.parts_.back().text.back() == '\n';
    if (!ends_with_newline) {
        f.parts_.push_back(Part{0, "\n"});
    }
    return f;
}

std::string RecordFormatter::format(const ConsumerRecord& r) const {
    std::string out;
    for (const Part& p : parts_) {
        switch (p.token) {
            case 0: out += p.text; break;
            case 't': out += r.topic; break;
            case 'p': out += std::to_string(r.partition.value()); break;
            case 'o': out += std::to_string(r.offset.value()); break;
            case 'T':
            case 'd': out += std::to_string(r.timestamp_ms); break;
            case 'k': out += r.key.value_or(""); break;
            case 'v':
            case 's': out += r.value.value_or(""); break;
            case 'K': out += std::to_string(length_of(r.key)); break;
            case 'S':
            case 'V': out += std::to_string(length_of(r.value)); break;
            case 'h': append_headers(out, r); break;
            default: break;
        }
    }
    return out;
}

void append_json_string(std::string& out, std::string_view s) {
    out += '"';
    for (const char c : s) {
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default:
                if (static_cast<unsigned char>(c) < 0x20) {
                    char buf[8];
                    std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
                    out += buf;
                } else {
                    out += c;
                }
        }
    }
    out += '"';
}

std::string format_json(const ConsumerRecord& r) {
    std::string out = "{\"topic\":";
    append_json_string(out, r.topic);
    out += ",\"partition\":";
    out += std::to_string(r.partition.value());
    out += ",\"offset\":";
    out += std::to_string(r.offset.value());
    out += ",\"timestamp\":";
    out += std::to_string(r.timestamp_ms);
    out += ",\"key\":";
    if (r.key) {
        append_json_string(out, *r.key);
    } else {
        out += "null";
    }
    out += ",\"value\":";
    if (r.value) {
        append_json_string(out, *r.value);
    } else {
        out += "null";
    }
    out += ",\"headers\":[";
    bool first = true;
    for (const RecordHeader& h : r.headers) {
        if (!first) {
            out += ',';
        }
        first = false;
        out += "{\"key\":";
        append_json_string(out, h.key);
        out += ",\"value\":";
        if (h.value) {
            append_json_string(out, *h.value);
        } else {
            out += "null";
        }
        out += '}';
    }
    out += "]}\n";
    return out;
}

}  // namespace eddy::client
