#include "services/metrics/exposition.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "core/base/assert.h"

namespace eddy::metrics {

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), counts_(bounds_.size() + 1, 0) {
    for (size_t i = 0; i < bounds_.size(); ++i) {
        ASSERT(std::isfinite(bounds_[i]));
        ASSERT(i == 0 || bounds_[i - 1] < bounds_[i], "histogram bounds must ascend");
    }
}

void Histogram::observe(double value) {
    const auto it = std::lower_bound(bounds_.begin(), bounds_.end(), value);
    ++counts_[static_cast<size_t>(it - bounds_.begin())];
    sum_ += value;
    ++count_;
}

void Histogram::add(const Histogram& other) {
    ASSERT(other.bounds_ == bounds_, "histograms with different buckets");
    for (size_t i = 0; i < counts_.size(); ++i) {
        counts_[i] += other.counts_[i];
    }
    sum_ += other.sum_;
    count_ += other.count_;
}

std::vector<double> latency_buckets() {
    return {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
            0.05,   0.1,     0.25,   0.5,   1,      2.5,   5,     10};
}

std::vector<double> size_buckets() {
    std::vector<double> out;
    for (double b = 1; b <= 1024 * 1024; b *= 4) {
        out.push_back(b);
    }
    return out;
}

std::string Exposition::escape_label(std::string_view value) {
    std::string out;
    out.reserve(value.size());
    for (const char ch : value) {
        switch (ch) {
            case '\\': out += "\\\\"; break;
            case '"': out += "\\\""; break;
            case '\n': out += "\\n"; break;
            default: out.push_back(ch);
        }
    }
    return out;
}

std::string Exposition::format_value(double value) {
    if (std::isnan(value)) {
        return "NaN";
    }
    if (std::isinf(value)) {
        return value > 0 ? "+Inf" : "-Inf";
    }
    char buf[64];
    const auto r = std::to_chars(buf, buf + sizeof buf, value);
    ASSERT(r.ec == std::errc());
    return std::string(buf, r.ptr);
}

void Exposition::family(std::string_view name, Type type, std::string_view help) {
    out_ += "# HELP ";
    out_ += name;
    out_ += ' ';
    for (const char ch : help) {  // HELP escapes backslash and newline only
        if (ch == '\\') {
            out_ += "\\\\";
        } else if (ch == '\n') {
            out_ += "\\n";
        } else {
            out_.push_back(ch);
        }
    }
    out_ += "\n# TYPE ";
    out_ += name;
    out_ += type == Type::counter ? " counter\n" : type == Type::gauge ? " gauge\n" : " histogram\n";
}

void Exposition::labels(const Labels& labels, const std::pair<std::string, std::string>* extra) {
    if (labels.empty() && extra == nullptr) {
        return;
    }
    out_ += '{';
    bool first = true;
    auto one = [&](const std::string& k, const std::string& v) {
        if (!first) {
            out_ += ',';
        }
        first = false;
        out_ += k;
        out_ += "=\"";
        out_ += escape_label(v);
        out_ += '"';
    };
    for (const auto& [k, v] : labels) {
        one(k, v);
    }
    if (extra != nullptr) {
        one(extra->first, extra->second);
    }
    out_ += '}';
}

void Exposition::sample(std::string_view name, const Labels& l, double value) {
    line(name, l, format_value(value));
}

void Exposition::sample(std::string_view name, const Labels& l, uint64_t value) {
    line(name, l, std::to_string(value));
}

void Exposition::sample(std::string_view name, const Labels& l, int64_t value) {
    line(name, l, std::to_string(value));
}

void Exposition::single(std::string_view name, Type type, std::string_view help,
                        int64_t value) {
    family(name, type, help);
    sample(name, Labels{}, value);
}

void Exposition::line(std::string_view name, const Labels& l, const std::string& value) {
    out_ += name;
    labels(l, nullptr);
    out_ += ' ';
    out_ += value;
    out_ += '\n';
}

void Exposition::histogram(std::string_view name, const Labels& l, const Histogram& h) {
    const std::string bucket = std::string(name) + "_bucket";
    uint64_t cumulative = 0;
    for (size_t i = 0; i <= h.bounds().size(); ++i) {
        cumulative += h.counts()[i];
        const std::pair<std::string, std::string> le{
            "le", i < h.bounds().size() ? format_value(h.bounds()[i]) : "+Inf"};
        out_ += bucket;
        labels(l, &le);
        out_ += ' ' + std::to_string(cumulative) + '\n';
    }
    sample(std::string(name) + "_sum", l, h.sum());
    sample(std::string(name) + "_count", l, h.count());
}

}  // namespace eddy::metrics
