// Rng: an explicit, seeded random generator with portable output.
//
// The standard library's distributions are implementation-defined, so the same seed could
// give different numbers with another compiler or standard library. ffnn writes the whole
// chain itself:
//   engine   xoshiro256** (Blackman & Vigna, "Scrambled linear pseudorandom number
//            generators", 2021), state seeded from one 64-bit seed by splitmix64;
//   uniform  the top 24 (float) or 53 (double) bits of one draw, scaled to [0, 1);
//   normal   Box-Muller on two uniforms (Box & Muller 1958), both outputs used.
// There is no global generator: every function that draws takes an Rng&.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "ffnn/tensor/tensor.hpp"

namespace ffnn {

class Rng {
  public:
    explicit Rng(std::uint64_t seed = 0) { reseed(seed); }
    void reseed(std::uint64_t seed);

    std::uint64_t next_u64();
    // Uniform in [0, 1): 53 random bits.
    double uniform01();
    // Uniform in [0, 1) with 24 random bits, exact in float.
    float uniform01f();
    // Uniform integer in [0, n) without modulo bias (Lemire's multiply-shift with rejection).
    std::uint64_t below(std::uint64_t n);
    // Standard normal N(0, 1) by Box-Muller; the second value of each pair is kept.
    double normal();

    // Fisher-Yates shuffle of [first, first + n).
    void shuffle(std::span<std::size_t> values);
    // A random permutation of 0 .. n-1.
    std::vector<std::size_t> permutation(std::size_t n);

  private:
    std::uint64_t s_[4];
    bool has_spare_ = false;
    double spare_ = 0.0;
};

// Tensors filled with draws, in row-major order.
template <class T>
Tensor<T> uniform(const Shape& shape, T low, T high, Rng& rng);
template <class T>
Tensor<T> normal(const Shape& shape, T mean, T stddev, Rng& rng);
template <class T>
void fill_uniform(Tensor<T>& t, T low, T high, Rng& rng);
template <class T>
void fill_normal(Tensor<T>& t, T mean, T stddev, Rng& rng);

}  // namespace ffnn
