// Element-wise operations, broadcasting, reductions and transpose against scalar loops.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <string>

#include "ffnn/tensor/kernels.hpp"
#include "ffnn/tensor/ops.hpp"
#include "ffnn/tensor/parallel.hpp"
#include "ffnn/tensor/random.hpp"
#include "test_helpers.hpp"

using ffnn::Rng;
using ffnn::Shape;
using ffnn::Tensor;

template <class T>
class TensorOps : public ::testing::Test {};
using Types = ::testing::Types<float, double>;
TYPED_TEST_SUITE(TensorOps, Types);

// Sizes below and above the parallel threshold, with ragged tails for the simd loops.
const std::size_t kSizes[] = {1, 7, 1000, ffnn::kParallelThreshold + 13};

TYPED_TEST(TensorOps, BinaryMatchesScalarLoops) {
    using T = TypeParam;
    Rng rng(3);
    for (std::size_t n : kSizes) {
        auto a = ffnn::uniform<T>(Shape{n}, T(-2), T(2), rng);
        auto b = ffnn::uniform<T>(Shape{n}, T(0.5), T(3), rng);
        auto add = a + b, sub = a - b, mul = a * b, div = a / b;
        auto mx = ffnn::maximum(a, b), mn = ffnn::minimum(a, b);
        auto gt = ffnn::greater(a, b), le = ffnn::less_equal(a, T(0));
        for (std::size_t i = 0; i < n; ++i) {
            // Each result is one IEEE operation on the same operands: exact equality.
            EXPECT_EQ(add[i], a[i] + b[i]);
            EXPECT_EQ(sub[i], a[i] - b[i]);
            EXPECT_EQ(mul[i], a[i] * b[i]);
            EXPECT_EQ(div[i], a[i] / b[i]);
            EXPECT_EQ(mx[i], std::max(a[i], b[i]));
            EXPECT_EQ(mn[i], std::min(a[i], b[i]));
            EXPECT_EQ(gt[i], a[i] > b[i] ? T(1) : T(0));
            EXPECT_EQ(le[i], a[i] <= T(0) ? T(1) : T(0));
        }
        auto c = a.clone();
        c += b;
        c *= T(2);
        c -= T(1);
        for (std::size_t i = 0; i < n; ++i) EXPECT_EQ(c[i], (a[i] + b[i]) * T(2) - T(1));
        auto y = b.clone();
        ffnn::axpy(T(0.5), a, y);
        for (std::size_t i = 0; i < n; ++i) EXPECT_EQ(y[i], b[i] + T(0.5) * a[i]);
    }
}

TYPED_TEST(TensorOps, UnaryMatchesStdMath) {
    using T = TypeParam;
    Rng rng(4);
    for (std::size_t n : kSizes) {
        auto a = ffnn::uniform<T>(Shape{n}, T(-5), T(5), rng);
        auto p = ffnn::abs(a) + T(0.1);
        auto e = ffnn::exp(a), t = ffnn::tanh(a), s = ffnn::sigmoid(a), r = ffnn::relu(a);
        auto l = ffnn::log(p), q = ffnn::sqrt(p), ab = ffnn::abs(a);
        for (std::size_t i = 0; i < n; ++i) {
            EXPECT_EQ(e[i], std::exp(a[i]));
            EXPECT_EQ(t[i], std::tanh(a[i]));
            // Two algebraically equal forms of the logistic differ by a few ulps.
            EXPECT_NEAR(s[i], T(1) / (T(1) + std::exp(-a[i])),
                        T(4) * std::numeric_limits<T>::epsilon());
            EXPECT_EQ(r[i], a[i] > 0 ? a[i] : T(0));
            EXPECT_EQ(l[i], std::log(p[i]));
            EXPECT_EQ(q[i], std::sqrt(p[i]));
            EXPECT_EQ(ab[i], std::abs(a[i]));
        }
        auto in = a.clone();
        ffnn::relu_(in);
        for (std::size_t i = 0; i < n; ++i) EXPECT_EQ(in[i], r[i]);
        ffnn::sigmoid_(in);
        ffnn::exp_(in);
        for (std::size_t i = 0; i < n; ++i) EXPECT_EQ(in[i], std::exp(ffnn::sigmoid_scalar(r[i])));
    }
}

TYPED_TEST(TensorOps, SigmoidIsStableForLargeInputs) {
    using T = TypeParam;
    Tensor<T> z{T(-1000), T(-50), T(0), T(50), T(1000)};
    auto s = ffnn::sigmoid(z);
    for (T v : s) EXPECT_TRUE(std::isfinite(v));
    EXPECT_EQ(s[0], T(0));
    EXPECT_EQ(s[2], T(0.5));
    EXPECT_EQ(s[4], T(1));
}

TYPED_TEST(TensorOps, ReluKernelsMatchNaive) {
    using T = TypeParam;
    Rng rng(5);
    for (std::size_t n : kSizes) {
        auto x = ffnn::uniform<T>(Shape{n}, T(-1), T(1), rng);
        auto dy = ffnn::uniform<T>(Shape{n}, T(-1), T(1), rng);
        auto y1 = Tensor<T>::empty(Shape{n}), y2 = Tensor<T>::empty(Shape{n});
        auto d1 = Tensor<T>::empty(Shape{n}), d2 = Tensor<T>::empty(Shape{n});
        ffnn::relu_forward(x.data(), y1.data(), n);
        ffnn::relu_forward_naive(x.data(), y2.data(), n);
        ffnn::relu_backward(x.data(), dy.data(), d1.data(), n);
        ffnn::relu_backward_naive(x.data(), dy.data(), d2.data(), n);
        for (std::size_t i = 0; i < n; ++i) {
            EXPECT_EQ(y1[i], y2[i]);
            EXPECT_EQ(d1[i], d2[i]);
        }
    }
}

// The streaming-store path (n >= kStreamThreshold) against the naive loop: bit for bit,
// with an odd length (ragged tail), outputs that start off the 32-byte boundary (scalar
// head), in place, 1 and 2 threads, and the special values -0, NaN and +-inf.
TYPED_TEST(TensorOps, ReluStreamingKernelsMatchNaive) {
    using T = TypeParam;
    Rng rng(15);
    const std::size_t n = ffnn::kStreamThreshold + 13;
    auto xs = ffnn::uniform<T>(Shape{n + 3}, T(-1), T(1), rng);
    auto dys = ffnn::uniform<T>(Shape{n + 3}, T(-1), T(1), rng);
    xs[5] = T(-0.0);
    xs[6] = std::numeric_limits<T>::quiet_NaN();
    xs[7] = std::numeric_limits<T>::infinity();
    xs[8] = -std::numeric_limits<T>::infinity();
    dys[9] = T(-0.0);
    auto ref_y = Tensor<T>::empty(Shape{n}), ref_d = Tensor<T>::empty(Shape{n});
    auto out = Tensor<T>::empty(Shape{n + 3});
    auto same_bits = [](T a, T b) { return std::memcmp(&a, &b, sizeof(T)) == 0; };
    const int saved = ffnn::max_threads();
    for (int threads : {1, 2}) {
        ffnn::set_threads(threads);
        for (std::size_t off : {std::size_t(0), std::size_t(1), std::size_t(3)}) {
            const T* x = xs.data() + off;
            const T* dy = dys.data() + off;
            T* o = out.data() + (3 - off);  // another misalignment than the inputs
            ffnn::relu_forward_naive(x, ref_y.data(), n);
            ffnn::relu_backward_naive(x, dy, ref_d.data(), n);
            ffnn::relu_forward(x, o, n);
            std::size_t bad = 0;
            for (std::size_t i = 0; i < n; ++i) bad += !same_bits(o[i], ref_y[i]);
            EXPECT_EQ(bad, 0u) << "forward, offset " << off << ", " << threads << " threads";
            ffnn::relu_backward(x, dy, o, n);
            bad = 0;
            for (std::size_t i = 0; i < n; ++i) bad += !same_bits(o[i], ref_d[i]);
            EXPECT_EQ(bad, 0u) << "backward, offset " << off << ", " << threads << " threads";
        }
        // In place: y = relu(y), then dx = relu'(x) dx.
        auto inplace = xs.clone();
        ffnn::relu_forward(inplace.data() + 1, inplace.data() + 1, n);
        ffnn::relu_forward_naive(xs.data() + 1, ref_y.data(), n);
        std::size_t bad = 0;
        for (std::size_t i = 0; i < n; ++i) bad += !same_bits(inplace[i + 1], ref_y[i]);
        EXPECT_EQ(bad, 0u) << "in-place forward, " << threads << " threads";
        auto g = dys.clone();
        ffnn::relu_backward(xs.data() + 2, g.data() + 2, g.data() + 2, n);
        ffnn::relu_backward_naive(xs.data() + 2, dys.data() + 2, ref_d.data(), n);
        bad = 0;
        for (std::size_t i = 0; i < n; ++i) bad += !same_bits(g[i + 2], ref_d[i]);
        EXPECT_EQ(bad, 0u) << "in-place backward, " << threads << " threads";
    }
    ffnn::set_threads(saved);
}

TYPED_TEST(TensorOps, RowBroadcastAddsTheBiasToEveryRow) {
    using T = TypeParam;
    Rng rng(6);
    for (std::size_t rows : {std::size_t(1), std::size_t(5), std::size_t(3000)}) {
        const std::size_t cols = 37;
        auto a = ffnn::uniform<T>(Shape{rows, cols}, T(-1), T(1), rng);
        auto b = ffnn::uniform<T>(Shape{cols}, T(-1), T(1), rng);
        auto b2 = b.reshape(Shape{1, cols});
        auto s1 = a + b, s2 = a * b2;
        auto in = a.clone();
        in -= b;
        for (std::size_t r = 0; r < rows; ++r)
            for (std::size_t c = 0; c < cols; ++c) {
                EXPECT_EQ(s1(r, c), a(r, c) + b[c]);
                EXPECT_EQ(s2(r, c), a(r, c) * b[c]);
                EXPECT_EQ(in(r, c), a(r, c) - b[c]);
            }
    }
}

TYPED_TEST(TensorOps, ShapeErrorsNameTheOperationAndBothShapes) {
    using T = TypeParam;
    auto a = Tensor<T>::zeros(Shape{3, 4});
    auto b = Tensor<T>::zeros(Shape{4, 3});
    auto v = Tensor<T>::zeros(Shape{3});
    EXPECT_THROW_CONTAINS(a + b, std::invalid_argument, "add: shapes 3x4 and 4x3");
    EXPECT_THROW_CONTAINS(a * v, std::invalid_argument, "mul: shapes 3x4 and 3");
    EXPECT_THROW_CONTAINS(a -= b, std::invalid_argument, "sub: shapes 3x4 and 4x3");
    EXPECT_THROW_CONTAINS(ffnn::axpy(T(1), a, b), std::invalid_argument,
                          "axpy: x is 3x4 but y is 4x3");
    EXPECT_THROW_CONTAINS(ffnn::sum(v, 0), std::invalid_argument,
                          "sum: expected a rank-2 tensor, got shape 3");
    EXPECT_THROW_CONTAINS(ffnn::sum(a, 2), std::invalid_argument, "axis must be 0 or 1, got 2");
    EXPECT_THROW_CONTAINS(ffnn::transpose(v), std::invalid_argument, "transpose");
    auto empty = Tensor<T>::zeros(Shape{0});
    EXPECT_THROW_CONTAINS(ffnn::argmax(empty), std::invalid_argument, "argmax: empty");
}

// NaN is never turned into a number: relu(NaN) is NaN on every path (the scalar loop, the
// bias-fused sweep uses the same relu_scalar, the streaming kernel is compared with it above),
// and max/argmax take NaN as the largest value, flat and per row alike (NumPy's rule).
TYPED_TEST(TensorOps, NanPropagatesThroughReluAndWinsArgmax) {
    using T = TypeParam;
    const T nan = std::numeric_limits<T>::quiet_NaN();
    EXPECT_TRUE(std::isnan(ffnn::relu_scalar(nan)));
    auto x = Tensor<T>::from_vector({T(-1), nan, T(2), T(-0.0)}, Shape{4});
    auto y = ffnn::relu(x);
    EXPECT_EQ(y[0], T(0));
    EXPECT_TRUE(std::isnan(y[1]));
    EXPECT_EQ(y[2], T(2));
    EXPECT_EQ(y[3], T(0));
    // A NaN first in its row was skipped by the row-wise argmax (row 0 -> class 0 only by
    // luck); in the middle of a row it was skipped too (row 1 -> 2).
    auto a =
        Tensor<T>::from_vector({nan, T(1), T(2), T(1), nan, T(3), T(1), T(5), T(3)}, Shape{3, 3});
    const std::vector<std::size_t> rows = ffnn::argmax(a, 1);
    EXPECT_EQ(rows, (std::vector<std::size_t>{0, 1, 1}));
    const std::vector<std::size_t> cols = ffnn::argmax(a, 0);
    EXPECT_EQ(cols, (std::vector<std::size_t>{0, 1, 1}));
    EXPECT_EQ(ffnn::argmax(a), 0u);
    EXPECT_TRUE(std::isnan(ffnn::max(a)));
    auto b = Tensor<T>::from_vector({T(1), T(7), nan}, Shape{3});
    EXPECT_EQ(ffnn::argmax(b), 2u);
}

TYPED_TEST(TensorOps, ReductionsMatchScalarLoops) {
    using T = TypeParam;
    Rng rng(8);
    const std::size_t rows = 301, cols = 129;
    auto a = ffnn::uniform<T>(Shape{rows, cols}, T(-1), T(1), rng);
    a(123, 45) = T(5);  // a unique maximum
    // Reference sums in double. Tolerance: a float sum of n terms of magnitude <= 1 has error
    // at most about n * eps * sum|x|; with n = 38,829 and blocked summation the observed error
    // is far smaller, and n * eps bounds it.
    double total = 0;
    for (T v : a) total += double(v);
    const double tol = double(a.size()) * std::numeric_limits<T>::epsilon();
    EXPECT_NEAR(double(ffnn::sum(a)), total, tol);
    EXPECT_NEAR(double(ffnn::mean(a)), total / double(a.size()), tol / double(a.size()));
    EXPECT_EQ(ffnn::max(a), T(5));
    EXPECT_EQ(ffnn::argmax(a), 123 * cols + 45);

    auto s0 = ffnn::sum(a, 0), s1 = ffnn::sum(a, 1), m0 = ffnn::mean(a, 0), m1 = ffnn::mean(a, 1);
    auto mx0 = ffnn::max(a, 0), mx1 = ffnn::max(a, 1);
    auto am0 = ffnn::argmax(a, 0), am1 = ffnn::argmax(a, 1);
    ASSERT_EQ(s0.shape(), (Shape{cols}));
    ASSERT_EQ(s1.shape(), (Shape{rows}));
    for (std::size_t c = 0; c < cols; ++c) {
        double s = 0;
        std::size_t best = 0;
        for (std::size_t r = 0; r < rows; ++r) {
            s += double(a(r, c));
            if (a(r, c) > a(best, c)) best = r;
        }
        EXPECT_NEAR(double(s0[c]), s, rows * std::numeric_limits<T>::epsilon());
        EXPECT_NEAR(double(m0[c]), s / rows, std::numeric_limits<T>::epsilon());
        EXPECT_EQ(am0[c], best);
        EXPECT_EQ(mx0[c], a(best, c));
    }
    for (std::size_t r = 0; r < rows; ++r) {
        double s = 0;
        std::size_t best = 0;
        for (std::size_t c = 0; c < cols; ++c) {
            s += double(a(r, c));
            if (a(r, c) > a(r, best)) best = c;
        }
        EXPECT_NEAR(double(s1[r]), s, cols * std::numeric_limits<T>::epsilon());
        EXPECT_NEAR(double(m1[r]), s / cols, std::numeric_limits<T>::epsilon());
        EXPECT_EQ(am1[r], best);
        EXPECT_EQ(mx1[r], a(r, best));
    }
}

TYPED_TEST(TensorOps, ReductionsAreBitIdenticalForOneAndTwoThreads) {
    using T = TypeParam;
    Rng rng(9);
    auto a = ffnn::uniform<T>(Shape{1000, 300}, T(-1), T(1), rng);
    int saved = ffnn::max_threads();
    ffnn::set_threads(1);
    T s1 = ffnn::sum(a);
    auto r1 = ffnn::sum(a, 1), c1 = ffnn::sum(a, 0);
    ffnn::set_threads(2);
    T s2 = ffnn::sum(a);
    auto r2 = ffnn::sum(a, 1), c2 = ffnn::sum(a, 0);
    ffnn::set_threads(saved);
    EXPECT_EQ(s1, s2);
    for (std::size_t i = 0; i < r1.size(); ++i) EXPECT_EQ(r1[i], r2[i]);
    for (std::size_t i = 0; i < c1.size(); ++i) EXPECT_EQ(c1[i], c2[i]);
}

TYPED_TEST(TensorOps, TransposeMovesEveryElement) {
    using T = TypeParam;
    for (auto [r, c] : {std::pair<std::size_t, std::size_t>{1, 1}, {3, 70}, {65, 33}}) {
        auto a = Tensor<T>::arange(r * c).reshape(Shape{r, c});
        auto t = ffnn::transpose(a);
        ASSERT_EQ(t.shape(), (Shape{c, r}));
        for (std::size_t i = 0; i < r; ++i)
            for (std::size_t j = 0; j < c; ++j) EXPECT_EQ(t(j, i), a(i, j));
    }
}

TYPED_TEST(TensorOps, AllcloseUsesAtolPlusRtol) {
    using T = TypeParam;
    Tensor<T> a{T(1), T(100)};
    Tensor<T> b{T(1.05), T(101)};
    EXPECT_TRUE(ffnn::allclose(a, b, T(0.01), T(0.06)));
    EXPECT_FALSE(ffnn::allclose(a, b, T(0.0), T(0.06)));
}
