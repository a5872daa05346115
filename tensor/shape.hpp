// Shape: the extents of a tensor of rank 0 to 4, row-major.
//
// A rank-0 shape is a scalar (size 1). Extents may be 0 (an empty tensor).
// to_string() writes "32x4" ("scalar" for rank 0): every shape error in ffnn uses it.
//
// size() is a checked product: a shape whose extents multiply past SIZE_MAX throws
// std::length_error naming the shape. Zero extents count as 1 in that check, so that every
// partial product (a row length, cols() of a tensor) of a shape with a valid size() fits
// too: (0, 2^40, 2^40) is rejected although its size would be 0.
#pragma once

#include <array>
#include <cstddef>
#include <initializer_list>
#include <stdexcept>
#include <string>

namespace ffnn {

inline constexpr std::size_t kMaxRank = 4;

class Shape {
  public:
    Shape() = default;  // rank 0: a scalar
    Shape(std::initializer_list<std::size_t> dims) {
        if (dims.size() > kMaxRank)
            throw std::invalid_argument("Shape: rank " + std::to_string(dims.size()) +
                                        " exceeds the maximum rank 4");
        for (std::size_t d : dims) dims_[rank_++] = d;
    }
    template <class It>
    static Shape from_range(It first, It last) {
        Shape s;
        for (; first != last; ++first) {
            if (s.rank_ == kMaxRank)
                throw std::invalid_argument("Shape: rank exceeds the maximum rank 4");
            s.dims_[s.rank_++] = static_cast<std::size_t>(*first);
        }
        return s;
    }

    std::size_t rank() const { return rank_; }
    std::size_t operator[](std::size_t axis) const { return dims_[axis]; }
    std::size_t& operator[](std::size_t axis) { return dims_[axis]; }
    const std::size_t* begin() const { return dims_.data(); }
    const std::size_t* end() const { return dims_.data() + rank_; }

    // Product of the extents (1 for a scalar); throws std::length_error when the product
    // of the non-zero extents overflows std::size_t.
    std::size_t size() const {
        std::size_t n = 1, bound = 1;
        for (std::size_t i = 0; i < rank_; ++i) {
            const std::size_t d = dims_[i];
            if (d != 0 && __builtin_mul_overflow(bound, d, &bound)) throw_too_large();
            n *= d;
        }
        return n;
    }

    std::string to_string() const {
        if (rank_ == 0) return "scalar";
        std::string s;
        for (std::size_t i = 0; i < rank_; ++i) {
            if (i) s += 'x';
            s += std::to_string(dims_[i]);
        }
        return s;
    }

    friend bool operator==(const Shape& a, const Shape& b) {
        if (a.rank_ != b.rank_) return false;
        for (std::size_t i = 0; i < a.rank_; ++i)
            if (a.dims_[i] != b.dims_[i]) return false;
        return true;
    }

  private:
    [[noreturn, gnu::cold, gnu::noinline]] void throw_too_large() const {
        throw std::length_error("Shape: the extents of " + to_string() +
                                " multiply past the largest size_t (" +
                                std::to_string(static_cast<std::size_t>(-1)) + ")");
    }

    std::array<std::size_t, kMaxRank> dims_{};
    std::size_t rank_ = 0;
};

}  // namespace ffnn
