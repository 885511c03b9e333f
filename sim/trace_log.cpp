#include "sim/trace_log.h"

#include <cstdio>

#include "core/base/random.h"

namespace eddy::sim {
namespace {

void append_json_string(std::string& out, std::string_view s) {
    out.push_back('"');
    for (char c : s) {
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            default:
                if (static_cast<unsigned char>(c) < 0x20) {
                    char buf[8];
                    std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
                    out += buf;
                } else {
                    out.push_back(c);
                }
        }
    }
    out.push_back('"');
}

}  // namespace

std::string hex64(uint64_t v) {
    char buf[20];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
    return buf;
}

void TraceLog::record(std::string_view node, std::string_view kind,
                      std::initializer_list<TraceField> fields) {
    line_.clear();
    line_ += "{\"i\":";
    line_ += std::to_string(seq_++);
    line_ += ",\"t\":";
    line_ += std::to_string(executor_.now().to_nanos());
    line_ += ",\"n\":";
    append_json_string(line_, node);
    line_ += ",\"k\":";
    append_json_string(line_, kind);
    for (const auto& f : fields) {
        line_.push_back(',');
        append_json_string(line_, f.key);
        line_.push_back(':');
        if (const auto* i = std::get_if<int64_t>(&f.value)) {
            line_ += std::to_string(*i);
        } else if (const auto* s = std::get_if<std::string_view>(&f.value)) {
            append_json_string(line_, *s);
        } else {
            line_ += std::get<bool>(f.value) ? "true" : "false";
        }
    }
    line_.push_back('}');
    if (StepHash* h = executor_.step_hash(); h != nullptr) {
        h->event(StepKind::trace, stable_hash(line_), 0, 0, node, line_);
    } else {
        hash_ = stable_hash(line_, hash_);
    }
    if (sink_) {
        sink_(line_);
    }
}

}  // namespace eddy::sim
