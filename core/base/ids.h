// Strong id types: a NodeId is not an Offset is not a LeaderEpoch, even though all are integers.
#pragma once

#include <compare>
#include <cstdint>
#include <functional>

namespace eddy {

template <typename Tag, typename Rep>
class StrongId {
public:
    using rep = Rep;
    constexpr StrongId() = default;
    constexpr explicit StrongId(Rep v) : v_(v) {}
    constexpr Rep value() const { return v_; }
    constexpr auto operator<=>(const StrongId&) const = default;

private:
    Rep v_{};
};

using NodeId = StrongId<struct NodeIdTag, int32_t>;
using PartitionId = StrongId<struct PartitionIdTag, int32_t>;
using LeaderEpoch = StrongId<struct LeaderEpochTag, int32_t>;
using ProducerId = StrongId<struct ProducerIdTag, int64_t>;
using ProducerEpoch = StrongId<struct ProducerEpochTag, int16_t>;
using GenerationId = StrongId<struct GenerationIdTag, int32_t>;

// Offsets get arithmetic: the log does `offset + 1` all day.
class Offset {
public:
    constexpr Offset() = default;
    constexpr explicit Offset(int64_t v) : v_(v) {}
    constexpr int64_t value() const { return v_; }
    constexpr Offset operator+(int64_t d) const { return Offset(v_ + d); }
    constexpr Offset operator-(int64_t d) const { return Offset(v_ - d); }
    constexpr int64_t operator-(Offset o) const { return v_ - o.v_; }
    constexpr auto operator<=>(const Offset&) const = default;

private:
    int64_t v_ = 0;
};

}  // namespace eddy

template <typename Tag, typename Rep>
struct std::hash<eddy::StrongId<Tag, Rep>> {
    size_t operator()(const eddy::StrongId<Tag, Rep>& id) const noexcept {
        return std::hash<Rep>{}(id.value());
    }
};
