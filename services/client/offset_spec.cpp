// Offset-spec and ISO-8601 parsing.
#include "services/client/offset_spec.h"

#include <algorithm>
#include <charconv>
#include <optional>

namespace eddy::client {

namespace {

std::optional<int64_t> parse_int(std::string_view s) {
    if (s.empty()) {
        return std::nullopt;
    }
    int64_t v = 0;
    const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size()) {
        return std::nullopt;
    }
    return v;
}

bool all_digits(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Fixed-width decimal field at s[pos, pos+n).
std::optional<int64_t> field(std::string_view s, size_t pos, size_t n) {
    if (pos + n > s.size() || !all_digits(s.substr(pos, n))) {
        return std::nullopt;
    }
    return parse_int(s.substr(pos, n));
}

// Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar (H. Hinnant's algorithm).
int64_t days_from_civil(int64_t y, int64_t m, int64_t d) {
    y -= m <= 2 ? 1 : 0;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const int64_t yoe = y - era * 400;
    const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

bool leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int64_t days_in_month(int64_t y, int64_t m) {
    constexpr int64_t days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && leap(y) ? 29 : days[m - 1];
}

}  // namespace

Result<int64_t, std::string> parse_iso8601_ms(std::string_view t) {
    const std::string bad = "invalid date-time '" + std::string(t) +
                            "' (expected YYYY-MM-DD[THH:MM[:SS[.fff]]][Z|+HH:MM])";
    const auto y = field(t, 0, 4);
    const auto mo = field(t, 5, 2);
    const auto d = field(t, 8, 2);
    if (!y || !mo || !d || t[4] != '-' || t[7] != '-' || *mo < 1 || *mo > 12 || *d < 1 ||
        *d > days_in_month(*y, *mo)) {
        return fail(bad);
    }
    int64_t hh = 0;
    int64_t mm = 0;
    int64_t ss = 0;
    int64_t ms = 0;
    int64_t zone_minutes = 0;
    size_t pos = 10;
    if (pos < t.size() && (t[pos] == 'T' || t[pos] == 't' || t[pos] == ' ')) {
        const auto h = field(t, pos + 1, 2);
        const auto mi = field(t, pos + 4, 2);
        if (!h || !mi || t.size() < pos + 6 || t[pos + 3] != ':' || *h > 23 || *mi > 59) {
            return fail(bad);
        }
        hh = *h;
        mm = *mi;
        pos += 6;
        if (pos < t.size() && t[pos] == ':') {
            const auto s = field(t, pos + 1, 2);
            if (!s || *s > 60) {
                return fail(bad);
            }
            ss = std::min<int64_t>(*s, 59);
            pos += 3;
            if (pos < t.size() && (t[pos] == '.' || t[pos] == ',')) {
                size_t end = pos + 1;
                while (end < t.size() && t[end] >= '0' && t[end] <= '9') {
                    ++end;
                }
                if (end == pos + 1) {
                    return fail(bad);
                }
                // Milliseconds from the first three fraction digits.
                std::string frac(t.substr(pos + 1, std::min<size_t>(3, end - pos - 1)));
                frac.resize(3, '0');
                ms = *parse_int(frac);
                pos = end;
            }
        }
        if (pos < t.size()) {
            if (t[pos] == 'Z' || t[pos] == 'z') {
                pos += 1;
            } else if (t[pos] == '+' || t[pos] == '-') {
                const auto zh = field(t, pos + 1, 2);
                std::optional<int64_t> zm;
                size_t next = pos + 3;
                if (next < t.size() && t[next] == ':') {
                    zm = field(t, next + 1, 2);
                    next += 3;
                } else {
                    zm = field(t, next, 2);
                    next += 2;
                }
                if (!zh || !zm || *zh > 23 || *zm > 59) {
                    return fail(bad);
                }
                zone_minutes = (t[pos] == '-' ? -1 : 1) * (*zh * 60 + *zm);
                pos = next;
            }
        }
    }
    if (pos != t.size()) {
        return fail(bad);
    }
    const int64_t days = days_from_civil(*y, *mo, *d);
    const int64_t seconds = days * 86400 + hh * 3600 + mm * 60 + ss - zone_minutes * 60;
    return seconds * 1000 + ms;
}

Result<OffsetSpec, std::string> parse_offset_spec(std::string_view spec) {
    using Kind = OffsetSpec::Kind;
    if (spec == "start" || spec == "beginning" || spec == "earliest" || spec == "oldest") {
        return OffsetSpec{Kind::start, 0};
    }
    if (spec == "end" || spec == "latest" || spec == "newest") {
        return OffsetSpec{Kind::end, 0};
    }
    const std::string bad = "invalid offset '" + std::string(spec) +
                            "' (expected start, end, N, -N, +N, @MS or @YYYY-MM-DDTHH:MM:SS)";
    if (spec.empty()) {
        return fail(bad);
    }
    if (spec[0] == '@') {
        const std::string_view ts = spec.substr(1);
        if (all_digits(ts)) {
            const auto v = parse_int(ts);
            if (!v) {
                return fail(bad);
            }
            return OffsetSpec{Kind::timestamp, *v};
        }
        TRY_ASSIGN(const int64_t ms, parse_iso8601_ms(ts));
        return OffsetSpec{Kind::timestamp, ms};
    }
    if ((spec[0] == '-' || spec[0] == '+') && all_digits(spec.substr(1))) {
        const auto v = parse_int(spec.substr(1));
        if (!v) {
            return fail(bad);
        }
        return OffsetSpec{spec[0] == '-' ? Kind::from_end : Kind::from_start, *v};
    }
    if (all_digits(spec)) {
        const auto v = parse_int(spec);
        if (!v) {
            return fail(bad);
        }
        return OffsetSpec{Kind::absolute, *v};
    }
    return fail(bad);
}

int64_t resolve_offset(const OffsetSpec& spec, int64_t log_start, int64_t high_watermark,
                       std::optional<int64_t> timestamp_offset) {
    using Kind = OffsetSpec::Kind;
    switch (spec.kind) {
        case Kind::start: return log_start;
        case Kind::end: return high_watermark;
        case Kind::absolute: return std::clamp(spec.value, log_start, std::max(log_start, high_watermark));
        case Kind::from_end: return std::max(log_start, high_watermark - spec.value);
        case Kind::from_start: return std::min(high_watermark, log_start + spec.value);
        case Kind::timestamp: return timestamp_offset.value_or(high_watermark);
    }
    return high_watermark;
}

}  // namespace eddy::client
