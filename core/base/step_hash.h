// StepHash: the simulator's running hash of everything a run does. Every scheduling decision
// (which fiber resumes, which timer fires, a timer held back by a paused node), every network
// delivery, every disk operation, every traced event and every value any seeded Random draws is
// mixed into one 64-bit value with a cheap binary mix (no formatting): two runs of the same seed
// on the same build must end with the same value, and a run that interleaves differently, or
// draws one number more, ends with another. The simulator reports it as the run's trace hash.
//
// Each mixed event is a numbered step. A StepRecorder, when attached (`eddy sim run
// --hash-chain`), receives every step with the hash after it, so two runs can be compared step by
// step and the first divergence found (`eddy sim check-determinism`). Random draws are not steps:
// they are mixed in and counted, and the next step carries how many there were.
//
// Only integers are mixed. Whatever is hashed must be the same in every process: counters, ids,
// virtual times, hashes of names; never an address. Strings passed along are for the recorder's
// description only.
#pragma once

#include <cstdint>
#include <string_view>

namespace eddy {

enum class StepKind : uint8_t {
    resume,          // a fiber resumes: a = fiber id, b = group, c = hash of its name; text = name
    timer,           // a timer fires: a = deadline (ns), b = sequence number, c = owning group
    timer_deferred,  // a due timer of a paused group is held back: a, b, c as for timer
    net_deliver,     // a = connection id, b = bytes (0: end of stream), c = receiving side; text,
                     // text2 = from, to host
    net_hold,        // a segment waits for a partition to heal: as net_deliver
    disk_op,         // a = hash of the op name, b = hash of the path; text = op, text2 = path
    trace,           // a traced event: a = FNV of its JSON line; text = node, text2 = the line
    other,           // anything else a caller wants to mark: a, b, c free; text free
};

struct StepEvent {
    uint64_t index = 0;  // 1, 2, …: the step's number in the run
    uint64_t hash = 0;   // the running hash after this step
    uint64_t draws = 0;  // random draws since the previous step
    StepKind kind = StepKind::other;
    uint64_t a = 0;
    uint64_t b = 0;
    uint64_t c = 0;
    std::string_view text;
    std::string_view text2;
};

class StepRecorder {
public:
    virtual ~StepRecorder() = default;
    // One step, after it was mixed in. Called only while attached; may take its time.
    virtual void step(const StepEvent& e) = 0;
};

class StepHash {
public:
    static constexpr uint64_t basis = 0xcbf29ce484222325ULL;

    // One round of the mix: a bijection of h for a fixed v (an xor, an odd multiply and an
    // xor-shift), so no single step can make two different histories collide.
    static constexpr uint64_t mix(uint64_t h, uint64_t v) {
        h = (h ^ v) * 0xbf58476d1ce4e5b9ULL;
        return h ^ (h >> 31);
    }

    uint64_t value() const { return hash_; }
    uint64_t steps() const { return steps_; }
    uint64_t draws() const { return draws_; }

    // A value drawn by a Random tapped into this hash.
    void draw(uint64_t v) {
        hash_ = mix(hash_, v);
        ++draws_;
    }

    void event(StepKind kind, uint64_t a, uint64_t b = 0, uint64_t c = 0,
               std::string_view text = {}, std::string_view text2 = {}) {
        hash_ = mix(hash_, (uint64_t{static_cast<uint8_t>(kind)} << 56) ^ a);
        hash_ = mix(hash_, b);
        hash_ = mix(hash_, c);
        ++steps_;
        if (recorder_ != nullptr) [[unlikely]] {
            recorder_->step(StepEvent{steps_, hash_, draws_ - draws_at_step_, kind, a, b, c, text,
                                      text2});
        }
        draws_at_step_ = draws_;
    }

    // nullptr detaches. The recorder must outlive its attachment.
    void set_recorder(StepRecorder* r) { recorder_ = r; }
    bool recording() const { return recorder_ != nullptr; }

private:
    uint64_t hash_ = basis;
    uint64_t steps_ = 0;
    uint64_t draws_ = 0;
    uint64_t draws_at_step_ = 0;
    StepRecorder* recorder_ = nullptr;
};

// FNV-1a of a name, for mixing names as integers (the same function as stable_hash in random.h,
// here so that this header stands alone and can run at compile time).
constexpr uint64_t step_name_hash(std::string_view s) {
    uint64_t h = StepHash::basis;
    for (char ch : s) {
        h ^= static_cast<unsigned char>(ch);
        h *= 0x100000001b3ULL;
    }
    return h;
}

}  // namespace eddy
