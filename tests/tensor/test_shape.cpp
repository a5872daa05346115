// Shape::size() and Tensor allocation are overflow-checked: extents whose product, or whose
// byte count, does not fit in size_t throw std::length_error naming the shape, instead of
// wrapping around to a small block that later writes run past (issue 13: a checkpoint
// declaring 2^62 inputs got a 64-byte block for 2^62 floats).
//
// The reference is the same product in unsigned __int128, which cannot overflow for four
// extents below 2^32, compared with size() on shapes on both sides of the limit.
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <stdexcept>
#include <vector>

#include "ffnn/tensor/random.hpp"
#include "ffnn/tensor/tensor.hpp"
#include "test_helpers.hpp"

using ffnn::Shape;
using ffnn::Tensor;

namespace {

constexpr std::size_t kMax = std::numeric_limits<std::size_t>::max();

// The product of the non-zero extents, exactly.
unsigned __int128 exact_bound(const std::vector<std::size_t>& dims) {
    unsigned __int128 p = 1;
    for (std::size_t d : dims) p *= d ? d : 1;
    return p;
}

}  // namespace

TEST(ShapeSize, ProductsThatOverflowThrowNamingTheShape) {
    EXPECT_THROW_CONTAINS(Shape({std::size_t(1) << 32, std::size_t(1) << 32}).size(),
                          std::length_error, "4294967296x4294967296");
    EXPECT_THROW_CONTAINS(Shape({kMax, 2}).size(), std::length_error, "Shape");
    EXPECT_THROW(Shape({65536, 65536, 65536, 65536}).size(), std::length_error);
    // A zero extent does not hide an overflowing row length (cols() would overflow).
    EXPECT_THROW(Shape({0, std::size_t(1) << 40, std::size_t(1) << 40}).size(), std::length_error);
}

TEST(ShapeSize, ProductsAtTheLimitAreExact) {
    EXPECT_EQ(Shape({kMax}).size(), kMax);
    EXPECT_EQ(Shape({kMax, 1, 1, 1}).size(), kMax);
    EXPECT_EQ(Shape({std::size_t(1) << 32, (std::size_t(1) << 32) - 1}).size(),
              (std::size_t(1) << 32) * ((std::size_t(1) << 32) - 1));
    EXPECT_EQ(Shape({0, kMax}).size(), 0u);
    EXPECT_EQ(Shape{}.size(), 1u);
}

TEST(ShapeSize, AgreesWithA128BitProductOnRandomShapes) {
    ffnn::Rng rng(13);
    int overflowing = 0, fitting = 0;
    for (int trial = 0; trial < 4000; ++trial) {
        std::vector<std::size_t> dims(1 + rng.below(4));
        // Extents below 2^b for a random b of 1 to 32 bits, so that both outcomes are common.
        for (std::size_t& d : dims) d = rng.below(std::uint64_t(1) << (1 + rng.below(32)));
        const Shape s = Shape::from_range(dims.begin(), dims.end());
        if (exact_bound(dims) > kMax) {
            ++overflowing;
            EXPECT_THROW(s.size(), std::length_error) << s.to_string();
        } else {
            ++fitting;
            unsigned __int128 p = 1;
            for (std::size_t d : dims) p *= d;
            EXPECT_EQ(s.size(), static_cast<std::size_t>(p)) << s.to_string();
        }
    }
    // Both branches ran often enough to mean something.
    EXPECT_GT(overflowing, 100);
    EXPECT_GT(fitting, 100);
}

template <class T>
class TensorAllocation : public ::testing::Test {};
using Types = ::testing::Types<float, double>;
TYPED_TEST_SUITE(TensorAllocation, Types);

TYPED_TEST(TensorAllocation, ByteCountsThatOverflowThrowBeforeAllocating) {
    using T = TypeParam;
    // 2^62 elements fit in size_t, but not 2^62 * sizeof(T) bytes.
    const Shape huge{std::size_t(1) << 62};
    EXPECT_THROW_CONTAINS(Tensor<T>::empty(huge), std::length_error, "4611686018427387904");
    EXPECT_THROW(Tensor<T>::zeros(Shape({std::size_t(1) << 31, std::size_t(1) << 31})),
                 std::length_error);
    // The largest count whose bytes fit but whose rounding up to 64 bytes would not.
    EXPECT_THROW(Tensor<T>::empty(Shape{kMax / sizeof(T)}), std::length_error);
    // Through resize, as the layers' workspaces grow.
    Tensor<T> t = Tensor<T>::zeros(Shape{2, 2});
    EXPECT_THROW(t.resize(Shape({std::size_t(1) << 33, std::size_t(1) << 31})), std::length_error);
    EXPECT_EQ(t.size(), 4u);  // unchanged
}

TEST(TensorAllocation, ArangeWithTooManyElementsThrows) {
    EXPECT_THROW(Tensor<double>::arange(0.0, 1e30, 1.0), std::length_error);
}
