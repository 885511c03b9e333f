// Metrics in the Prometheus text exposition format (version 0.0.4), which every scraper reads.
//
// Eddy's metrics are plain counters and histograms kept by the code that counts (one reactor per
// process: no atomics on the hot path) and turned into text only when /metrics is scraped: each
// subsystem's collector walks its own state and writes families into an Exposition. A family's
// HELP and TYPE lines come first, then all its samples; label values are escaped as the format
// asks (backslash, double quote, newline), so client-chosen names such as group ids are safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace eddy::metrics {

using Labels = std::vector<std::pair<std::string, std::string>>;

// A Prometheus histogram with fixed upper bounds (plus +Inf).
class Histogram {
public:
    // `bounds`: ascending and finite.
    explicit Histogram(std::vector<double> bounds);
    void observe(double value);
    // Adds another histogram's observations (same bounds): partitions' histograms summed.
    void add(const Histogram& other);

    const std::vector<double>& bounds() const { return bounds_; }
    // Per bucket, not cumulative: counts()[i] observations <= bounds()[i] and > bounds()[i-1];
    // the last entry counts those above every bound.
    const std::vector<uint64_t>& counts() const { return counts_; }
    double sum() const { return sum_; }
    uint64_t count() const { return count_; }

private:
    std::vector<double> bounds_;
    std::vector<uint64_t> counts_;
    double sum_ = 0;
    uint64_t count_ = 0;
};

// Latencies in seconds: 100 µs to 10 s, about three buckets per decade.
std::vector<double> latency_buckets();
// Sizes and counts: 1 to 1M by powers of four.
std::vector<double> size_buckets();

class Exposition {
public:
    enum class Type : uint8_t { counter, gauge, histogram };
    // Starts a family: its HELP and TYPE lines. Names follow [a-zA-Z_:][a-zA-Z0-9_:]*.
    void family(std::string_view name, Type type, std::string_view help);
    void sample(std::string_view name, const Labels& labels, double value);
    void sample(std::string_view name, const Labels& labels, uint64_t value);
    void sample(std::string_view name, const Labels& labels, int64_t value);
    // A family of one sample without labels: its HELP and TYPE lines, then the sample.
    void single(std::string_view name, Type type, std::string_view help, int64_t value);
    // The _bucket{le=...}, _sum and _count samples of a histogram family `name`.
    void histogram(std::string_view name, const Labels& labels, const Histogram& h);

    const std::string& text() const { return out_; }
    std::string take() { return std::move(out_); }

    // The format's escaping of a label value.
    static std::string escape_label(std::string_view value);
    // A sample value as the format writes it (integers without a fraction, +Inf, NaN).
    static std::string format_value(double value);

private:
    void labels(const Labels& labels, const std::pair<std::string, std::string>* extra);
    void line(std::string_view name, const Labels& labels, const std::string& value);
    std::string out_;
};

}  // namespace eddy::metrics
