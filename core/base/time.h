// Time types. Monotonic time (Instant) is for every timeout, session and lease; wall time
// (WallTime) only for Kafka timestamps, retention by time and log lines. They are distinct types
// with no conversion between them, so a timeout can never be computed from a wall clock that jumps.
#pragma once

#include <compare>
#include <cstdint>
#include <limits>

namespace eddy {

// A span of time in nanoseconds. Never a bare integer of milliseconds.
class Duration {
public:
    constexpr Duration() = default;
    static constexpr Duration nanos(int64_t n) { return Duration(n); }
    static constexpr Duration micros(int64_t n) { return Duration(n * 1000); }
    static constexpr Duration millis(int64_t n) { return Duration(n * 1000'000); }
    static constexpr Duration seconds(int64_t n) { return Duration(n * 1000'000'000); }
    static constexpr Duration minutes(int64_t n) { return seconds(n * 60); }
    static constexpr Duration hours(int64_t n) { return seconds(n * 3600); }
    static constexpr Duration max() { return Duration(std::numeric_limits<int64_t>::max() / 4); }
    static constexpr Duration zero() { return Duration(0); }

    constexpr int64_t to_nanos() const { return ns_; }
    constexpr int64_t to_micros() const { return ns_ / 1000; }
    constexpr int64_t to_millis() const { return ns_ / 1000'000; }
    constexpr double to_seconds() const { return static_cast<double>(ns_) / 1e9; }

    constexpr Duration operator+(Duration o) const { return Duration(ns_ + o.ns_); }
    constexpr Duration operator-(Duration o) const { return Duration(ns_ - o.ns_); }
    constexpr Duration operator*(int64_t k) const { return Duration(ns_ * k); }
    constexpr Duration operator/(int64_t k) const { return Duration(ns_ / k); }
    constexpr Duration& operator+=(Duration o) {
        ns_ += o.ns_;
        return *this;
    }
    constexpr auto operator<=>(const Duration&) const = default;

private:
    constexpr explicit Duration(int64_t ns) : ns_(ns) {}
    int64_t ns_ = 0;
};

// A point on a node's monotonic clock. Never decreases.
class Instant {
public:
    constexpr Instant() = default;
    static constexpr Instant from_nanos(int64_t n) { return Instant(n); }
    static constexpr Instant max() { return Instant(std::numeric_limits<int64_t>::max() / 2); }
    constexpr int64_t to_nanos() const { return ns_; }

    constexpr Instant operator+(Duration d) const { return Instant(ns_ + d.to_nanos()); }
    constexpr Instant operator-(Duration d) const { return Instant(ns_ - d.to_nanos()); }
    constexpr Duration operator-(Instant o) const { return Duration::nanos(ns_ - o.ns_); }
    constexpr auto operator<=>(const Instant&) const = default;

private:
    constexpr explicit Instant(int64_t ns) : ns_(ns) {}
    int64_t ns_ = 0;
};

// Wall-clock time: nanoseconds since the Unix epoch. May jump, drift, go backwards.
class WallTime {
public:
    constexpr WallTime() = default;
    static constexpr WallTime from_nanos(int64_t n) { return WallTime(n); }
    static constexpr WallTime from_millis(int64_t ms) { return WallTime(ms * 1000'000); }
    constexpr int64_t to_nanos() const { return ns_; }
    // Kafka timestamps are milliseconds since the epoch.
    constexpr int64_t to_millis() const { return ns_ / 1000'000; }

    constexpr WallTime operator+(Duration d) const { return WallTime(ns_ + d.to_nanos()); }
    constexpr WallTime operator-(Duration d) const { return WallTime(ns_ - d.to_nanos()); }
    constexpr Duration operator-(WallTime o) const { return Duration::nanos(ns_ - o.ns_); }
    constexpr auto operator<=>(const WallTime&) const = default;

private:
    constexpr explicit WallTime(int64_t ns) : ns_(ns) {}
    int64_t ns_ = 0;
};

}  // namespace eddy
