// The engine's random numbers: SplitMix64 (Steele, Lea, Flood 2014). One 64-bit state, so it is
// trivially checkpointed, and the same on every platform. The reference uses Philox / NumPy /
// torch generators; matching their streams is not a goal, only their distributions (spec 3.1-3.2).
#pragma once

#include <cstdint>

namespace hrm::train {

class Rng {
public:
    explicit Rng(uint64_t seed = 0) : state_(seed) {}

    uint64_t next() {
        uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }
    // Uniform in [0, 1) with 53 random bits.
    double uniform() { return double(next() >> 11) * 0x1.0p-53; }
    // Uniform integer in [0, n), unbiased (rejection of the top partial range); n > 0.
    uint64_t below(uint64_t n) {
        const uint64_t limit = ~uint64_t(0) - (~uint64_t(0) % n);
        uint64_t x;
        do x = next();
        while (x >= limit);
        return x % n;
    }

    uint64_t state() const { return state_; }
    void set_state(uint64_t s) { state_ = s; }

private:
    uint64_t state_;
};

// A seed derived from (seed, stream): independent streams for each sampler iteration etc.
inline uint64_t derive_seed(uint64_t seed, uint64_t stream) {
    Rng r(seed ^ (0xD1B54A32D192ED03ull * (stream + 1)));
    return r.next();
}

}  // namespace hrm::train
