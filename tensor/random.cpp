// Rng implementation: xoshiro256** over splitmix64 seeding, see random.hpp.
#include "ffnn/tensor/random.hpp"

#include <cmath>
#include <numbers>
#include <stdexcept>
#include <string>

namespace ffnn {

namespace {

std::uint64_t splitmix64(std::uint64_t& x) {
    std::uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

std::uint64_t rotl(std::uint64_t x, int k) {
    return (x << k) | (x >> (64 - k));
}

}  // namespace

void Rng::reseed(std::uint64_t seed) {
    std::uint64_t x = seed;
    for (auto& s : s_) s = splitmix64(x);  // never all zero: splitmix64 is a bijection of a counter
    has_spare_ = false;
    spare_ = 0.0;
}

std::uint64_t Rng::next_u64() {
    const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
}

double Rng::uniform01() {
    return static_cast<double>(next_u64() >> 11) * 0x1.0p-53;
}

float Rng::uniform01f() {
    return static_cast<float>(next_u64() >> 40) * 0x1.0p-24f;
}

std::uint64_t Rng::below(std::uint64_t n) {
    if (n == 0) throw std::invalid_argument("Rng::below: n must be positive");
    // Lemire (2019), "Fast random integer generation in an interval".
    unsigned __int128 m = static_cast<unsigned __int128>(next_u64()) * n;
    std::uint64_t low = static_cast<std::uint64_t>(m);
    if (low < n) {
        const std::uint64_t threshold = (0 - n) % n;
        while (low < threshold) {
            m = static_cast<unsigned __int128>(next_u64()) * n;
            low = static_cast<std::uint64_t>(m);
        }
    }
    return static_cast<std::uint64_t>(m >> 64);
}

double Rng::normal() {
    if (has_spare_) {
        has_spare_ = false;
        return spare_;
    }
    // u1 in (0, 1] so that log(u1) is finite.
    double u1 = 1.0 - uniform01();
    double u2 = uniform01();
    double r = std::sqrt(-2.0 * std::log(u1));
    double theta = 2.0 * std::numbers::pi * u2;
    spare_ = r * std::sin(theta);
    has_spare_ = true;
    return r * std::cos(theta);
}

void Rng::shuffle(std::span<std::size_t> v) {
    for (std::size_t i = v.size(); i > 1; --i) {
        std::size_t j = static_cast<std::size_t>(below(i));
        std::swap(v[i - 1], v[j]);
    }
}

std::vector<std::size_t> Rng::permutation(std::size_t n) {
    std::vector<std::size_t> p(n);
    for (std::size_t i = 0; i < n; ++i) p[i] = i;
    shuffle(p);
    return p;
}

template <class T>
void fill_uniform(Tensor<T>& t, T low, T high, Rng& rng) {
    if (!(low <= high))
        throw std::invalid_argument("uniform: low (" + std::to_string(low) +
                                    ") must not exceed high (" + std::to_string(high) + ")");
    T* p = t.data();
    for (std::size_t i = 0; i < t.size(); ++i) {
        T u = std::is_same_v<T, float> ? static_cast<T>(rng.uniform01f())
                                       : static_cast<T>(rng.uniform01());
        p[i] = low + (high - low) * u;
    }
}

template <class T>
void fill_normal(Tensor<T>& t, T mean, T stddev, Rng& rng) {
    if (!(stddev >= 0))
        throw std::invalid_argument("normal: stddev must be non-negative, got " +
                                    std::to_string(stddev));
    T* p = t.data();
    for (std::size_t i = 0; i < t.size(); ++i) p[i] = mean + stddev * static_cast<T>(rng.normal());
}

template <class T>
Tensor<T> uniform(const Shape& shape, T low, T high, Rng& rng) {
    Tensor<T> t = Tensor<T>::empty(shape);
    fill_uniform(t, low, high, rng);
    return t;
}

template <class T>
Tensor<T> normal(const Shape& shape, T mean, T stddev, Rng& rng) {
    Tensor<T> t = Tensor<T>::empty(shape);
    fill_normal(t, mean, stddev, rng);
    return t;
}

#define FFNN_INSTANTIATE(T)                                  \
    template Tensor<T> uniform<T>(const Shape&, T, T, Rng&); \
    template Tensor<T> normal<T>(const Shape&, T, T, Rng&);  \
    template void fill_uniform<T>(Tensor<T>&, T, T, Rng&);   \
    template void fill_normal<T>(Tensor<T>&, T, T, Rng&);
FFNN_INSTANTIATE(float)
FFNN_INSTANTIATE(double)
#undef FFNN_INSTANTIATE

}  // namespace ffnn
