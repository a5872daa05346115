// FullyConnected: gradient checks with every activation, forward against a naive loop,
// accumulation of parameter gradients, lazy initialisation and shape errors.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <utility>

#include "ffnn/nn/fully_connected.hpp"
#include "ffnn/nn/gradcheck.hpp"
#include "ffnn/tensor/parallel.hpp"
#include "ffnn/tensor/random.hpp"

namespace ffnn {
namespace {

// See tests/nn/test_activations.cpp: a correct backward gives ~1e-9 with h = 1e-6 in double.
constexpr double kGradTol = 1e-7;

class FullyConnectedGradTest : public ::testing::TestWithParam<std::string> {};

TEST_P(FullyConnectedGradTest, ParametersAndInputMatchCentralDifferences) {
    // x (5, 3) -> y (5, 4); lazy: D = 3 is taken from the first forward.
    FullyConnected<double> fc(4, parse_activation(GetParam()), Init{}, /*seed=*/7);
    Rng rng(5);
    Tensor<double> x = normal<double>(Shape{5, 3}, 0.0, 1.0, rng);
    // A non-zero bias, so that db and the kinks are exercised away from z = 0 exactly.
    fc.forward(x);
    fill_uniform(fc.b(), -0.5, 0.5, rng);
    GradCheckReport r = gradcheck(fc, x, {.h = 1e-6, .seed = 9});
    ASSERT_EQ(r.entries.size(), 3u);  // W, b, input
    EXPECT_EQ(r.entries[0].name, "W");
    EXPECT_EQ(r.entries[0].shape, (Shape{3, 4}));
    EXPECT_EQ(r.entries[1].name, "b");
    EXPECT_EQ(r.entries[2].name, "input");
    // Kinks (relu, leaky_relu): with this fixed seed every pre-activation is > 1e-3 away
    // from 0, asserted here so that a change of data cannot silently cross a kink.
    for (double z : fc.z()) ASSERT_GT(std::abs(z), 1e-3);
    EXPECT_LE(r.max_rel_error(), kGradTol) << GetParam() << "\n" << r.to_string();
}

INSTANTIATE_TEST_SUITE_P(EachActivation, FullyConnectedGradTest,
                         ::testing::Values("identity", "relu", "leaky_relu:0.1", "elu", "selu",
                                           "gelu", "sigmoid", "tanh", "softmax"),
                         [](const auto& info) {
                             std::string s = info.param;
                             for (char& c : s)
                                 if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                             return s;
                         });

TEST(FullyConnected, ForwardMatchesNaiveLoop) {
    FullyConnected<double> fc(3, parse_activation("tanh"), Init{}, 1, /*n_in=*/4);
    Rng rng(2);
    fill_uniform(fc.b(), -1.0, 1.0, rng);
    Tensor<double> x = normal<double>(Shape{6, 4}, 0.0, 1.0, rng);
    const Tensor<double>& y = fc.forward(x);
    ASSERT_EQ(y.shape(), (Shape{6, 3}));
    for (std::size_t n = 0; n < 6; ++n)
        for (std::size_t h = 0; h < 3; ++h) {
            double z = fc.b()[h];
            for (std::size_t d = 0; d < 4; ++d) z += x(n, d) * fc.W()(d, h);
            // Same products summed in possibly another order: a few ulps.
            EXPECT_NEAR(y(n, h), std::tanh(z), 1e-14);
        }
}

TEST(FullyConnected, BackwardAccumulatesAndZeroGradResets) {
    FullyConnected<double> fc(3, parse_activation("sigmoid"), Init{}, 1, 4);
    Rng rng(3);
    Tensor<double> x = normal<double>(Shape{5, 4}, 0.0, 1.0, rng);
    Tensor<double> dy = normal<double>(Shape{5, 3}, 0.0, 1.0, rng);
    fc.forward(x);
    fc.backward(dy);
    Tensor<double> dW1 = fc.dW().clone(), db1 = fc.db().clone();
    fc.forward(x);
    fc.backward(dy);
    for (std::size_t i = 0; i < dW1.size(); ++i) EXPECT_DOUBLE_EQ(fc.dW()[i], 2 * dW1[i]);
    for (std::size_t i = 0; i < db1.size(); ++i) EXPECT_DOUBLE_EQ(fc.db()[i], 2 * db1[i]);
    fc.zero_grad();
    for (double v : fc.dW()) EXPECT_EQ(v, 0.0);
    for (double v : fc.db()) EXPECT_EQ(v, 0.0);
}

// The fused passes apply_bias / apply_backward_bias against the separate steps they replace
// (add b row by row, apply; apply_backward, sum the columns in row order), bit for bit: both
// do the same operations on each element in the same order. Sizes: tiny, ragged (H not a
// multiple of the 16-column band), above kParallelThreshold (300 x 250, column bands on two
// threads); z and dy are unaligned row views of larger tensors; 1 and 2 threads; db
// accumulated onto old values and written.
TEST(FullyConnected, FusedActivationPassesMatchSeparateSteps) {
    const int saved = max_threads();
    const std::pair<std::size_t, std::size_t> sizes[] = {{7, 5}, {1, 33}, {300, 250}, {261, 257}};
    for (const char* name : {"identity", "relu", "tanh", "leaky_relu:0.1"}) {
        auto act = make_activation<float>(parse_activation(name));
        for (auto [N, H] : sizes) {
            Rng rng(N * 1000 + H);
            Tensor<float> zbig = normal<float>(Shape{N + 1, H}, 0.f, 1.f, rng);
            Tensor<float> dybig = normal<float>(Shape{N + 1, H}, 0.f, 1.f, rng);
            Tensor<float> b = normal<float>(Shape{H}, 0.f, 1.f, rng);
            Tensor<float> db0 = normal<float>(Shape{H}, 0.f, 1.f, rng);
            Tensor<float> dy = dybig.rows(1, N + 1);
            // Reference: the separate steps, serial.
            Tensor<float> zr = zbig.rows(1, N + 1).clone(), yr, dzr;
            for (std::size_t r = 0; r < N; ++r)
                for (std::size_t c = 0; c < H; ++c) zr(r, c) = zr(r, c) + b[c];
            act->apply(zr, yr);
            act->apply_backward(zr, yr, dy, dzr);
            for (bool accumulate : {true, false}) {
                Tensor<float> dbr = accumulate ? db0.clone() : Tensor<float>::zeros(Shape{H});
                for (std::size_t r = 0; r < N; ++r)
                    for (std::size_t c = 0; c < H; ++c) dbr[c] += dzr(r, c);
                for (int threads : {1, 2}) {
                    set_threads(threads);
                    Tensor<float> zc = zbig.clone();
                    Tensor<float> z = zc.rows(1, N + 1);  // unaligned when H % 16 != 0
                    Tensor<float> y, dz, db = db0.clone();
                    const Tensor<float>& yo = act->apply_bias(z, b, y);
                    const Tensor<float>& dzo =
                        act->apply_backward_bias(z, yo, dy, dz, db, accumulate);
                    const std::string where = std::string(name) + " " + std::to_string(N) + "x" +
                                              std::to_string(H) + " threads " +
                                              std::to_string(threads) +
                                              (accumulate ? " accumulate" : " overwrite");
                    ASSERT_EQ(yo.shape(), zr.shape()) << where;
                    ASSERT_EQ(dzo.shape(), zr.shape()) << where;
                    std::size_t bad = 0;
                    for (std::size_t i = 0; i < N * H; ++i)
                        bad += (z[i] != zr[i]) + (yo[i] != yr[i]) + (dzo[i] != dzr[i]);
                    for (std::size_t c = 0; c < H; ++c) bad += db[c] != dbr[c];
                    EXPECT_EQ(bad, 0u) << where;
                }
            }
        }
    }
    set_threads(saved);
}

// defer_zero_grad then backward gives exactly the gradients of zero_grad then backward, for
// an activation with its own fused pass (relu), the identity (dz is dy) and the default
// (tanh); the identity's y() follows z() through batch-size changes.
TEST(FullyConnected, DeferredZeroGradEqualsZeroGradThenBackward) {
    for (const char* name : {"relu", "identity", "tanh"}) {
        FullyConnected<float> eager(24, parse_activation(name), Init{}, 9, 19),
            lazy(24, parse_activation(name), Init{}, 9, 19);
        Rng rng(4);
        for (std::size_t N : {std::size_t(13), std::size_t(40), std::size_t(13)}) {
            Tensor<float> x = normal<float>(Shape{N, 19}, 0.f, 1.f, rng);
            Tensor<float> dy = normal<float>(Shape{N, 24}, 0.f, 1.f, rng);
            eager.zero_grad();
            eager.forward(x);
            eager.backward(dy);
            lazy.defer_zero_grad();  // dW, db still hold the last step's gradients here
            const Tensor<float>& y = lazy.forward(x);
            ASSERT_EQ(y.shape(), (Shape{N, 24})) << name;
            for (std::size_t i = 0; i < y.size(); ++i) ASSERT_EQ(y[i], eager.y()[i]) << name;
            if (std::string(name) == "identity") {
                for (std::size_t i = 0; i < y.size(); ++i) ASSERT_EQ(y[i], lazy.z()[i]);
            }
            lazy.backward(dy);
            for (std::size_t i = 0; i < eager.dW().size(); ++i)
                ASSERT_EQ(lazy.dW()[i], eager.dW()[i]) << name << " N=" << N;
            for (std::size_t i = 0; i < eager.db().size(); ++i)
                ASSERT_EQ(lazy.db()[i], eager.db()[i]) << name << " N=" << N;
        }
    }
}

TEST(FullyConnected, LazyAndEagerInitialisationDrawTheSameWeights) {
    FullyConnected<float> lazy(8, parse_activation("relu"), Init{}, 42);
    FullyConnected<float> eager(8, parse_activation("relu"), Init{}, 42, 5);
    EXPECT_FALSE(lazy.initialized());
    lazy.forward(Tensor<float>::ones(Shape{2, 5}));
    ASSERT_TRUE(lazy.initialized());
    EXPECT_EQ(lazy.n_in(), 5u);
    ASSERT_EQ(lazy.W().shape(), eager.W().shape());
    for (std::size_t i = 0; i < lazy.W().size(); ++i) EXPECT_EQ(lazy.W()[i], eager.W()[i]);
    for (float v : eager.b()) EXPECT_EQ(v, 0.0f);
}

TEST(FullyConnected, ShapeErrorsNameTheShapes) {
    FullyConnected<float> fc(3, parse_activation("relu"), Init{}, 1, 4);
    try {
        fc.forward(Tensor<float>::zeros(Shape{2, 5}));
        FAIL() << "expected an exception";
    } catch (const std::invalid_argument& e) {
        std::string msg = e.what();
        EXPECT_NE(msg.find("2x5"), std::string::npos) << msg;
        EXPECT_NE(msg.find("4x3"), std::string::npos) << msg;
    }
    fc.forward(Tensor<float>::zeros(Shape{2, 4}));
    try {
        fc.backward(Tensor<float>::zeros(Shape{2, 4}));
        FAIL() << "expected an exception";
    } catch (const std::invalid_argument& e) {
        std::string msg = e.what();
        EXPECT_NE(msg.find("2x4"), std::string::npos) << msg;
        EXPECT_NE(msg.find("2x3"), std::string::npos) << msg;
    }
    EXPECT_THROW(FullyConnected<float>(0, parse_activation("relu")), std::invalid_argument);
    EXPECT_THROW(linear<float>(0, 3), std::invalid_argument);
}

}  // namespace
}  // namespace ffnn
