// FullyConnected: gradient checks with every activation, forward against a naive loop,
// accumulation of parameter gradients, lazy initialisation and shape errors.
#include <gtest/gtest.h>

#include <cmath>

#include "nn/fully_connected.hpp"
#include "nn/gradcheck.hpp"
#include "tensor/random.hpp"

namespace ffnn {
namespace {

// See test_nn_activations.cpp: a correct backward gives ~1e-9 with h = 1e-6 in double.
constexpr double kGradTol = 1e-7;

class FullyConnectedGradTest : public ::testing::TestWithParam<std::string> {};

TEST_P(FullyConnectedGradTest, ParametersAndInputMatchCentralDifferences) {
    // x (5, 3) -> y (5, 4); lazy: D = 3 is taken from the first forward.
    FullyConnected<double> fc(4, GetParam(), Init{}, /*seed=*/7);
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
    FullyConnected<double> fc(3, "tanh", Init{}, 1, /*n_in=*/4);
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
    FullyConnected<double> fc(3, "sigmoid", Init{}, 1, 4);
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

TEST(FullyConnected, LazyAndEagerInitialisationDrawTheSameWeights) {
    FullyConnected<float> lazy(8, "relu", Init{}, 42);
    FullyConnected<float> eager(8, "relu", Init{}, 42, 5);
    EXPECT_FALSE(lazy.initialized());
    lazy.forward(Tensor<float>::ones(Shape{2, 5}));
    ASSERT_TRUE(lazy.initialized());
    EXPECT_EQ(lazy.n_in(), 5u);
    ASSERT_EQ(lazy.W().shape(), eager.W().shape());
    for (std::size_t i = 0; i < lazy.W().size(); ++i) EXPECT_EQ(lazy.W()[i], eager.W()[i]);
    for (float v : eager.b()) EXPECT_EQ(v, 0.0f);
}

TEST(FullyConnected, ShapeErrorsNameTheShapes) {
    FullyConnected<float> fc(3, "relu", Init{}, 1, 4);
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
    EXPECT_THROW(FullyConnected<float>(0, "relu"), std::invalid_argument);
    EXPECT_THROW(FullyConnected<float>(3, "nope"), std::invalid_argument);
}

}  // namespace
}  // namespace ffnn
