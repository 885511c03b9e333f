// Tracer: structured events ("raft.role", "net.drop", "disk.crash_loss", …) with fields. The
// simulator writes them as JSON Lines into a running hash (the trace hash that proves a run is
// reproducible); production may log them or drop them. Emitting never suspends.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string_view>
#include <variant>

namespace eddy {

struct TraceField {
    std::string_view key;
    std::variant<int64_t, std::string_view, bool> value;

    TraceField(std::string_view k, std::string_view v) : key(k), value(v) {}
    TraceField(std::string_view k, const char* v) : key(k), value(std::string_view(v)) {}
    TraceField(std::string_view k, bool v) : key(k), value(v) {}
    template <typename I>
        requires std::is_integral_v<I>
    TraceField(std::string_view k, I v) : key(k), value(static_cast<int64_t>(v)) {}
};

class Tracer {
public:
    virtual ~Tracer() = default;
    virtual void event(std::string_view kind, std::initializer_list<TraceField> fields) = 0;
    // False when events are dropped anyway; lets callers skip building expensive fields.
    virtual bool enabled() const { return true; }
};

class NullTracer final : public Tracer {
public:
    void event(std::string_view, std::initializer_list<TraceField>) override {}
    bool enabled() const override { return false; }
};

}  // namespace eddy
