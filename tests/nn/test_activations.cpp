// Activations: numeric gradient checks for every activation module, softmax properties and
// stability, known values, and name parsing.
#include <gtest/gtest.h>

#include <cmath>

#include "ffnn/nn/activations.hpp"
#include "ffnn/nn/gradcheck.hpp"
#include "ffnn/tensor/random.hpp"

namespace ffnn {
namespace {

// Central differences in double with h = 1e-6 have truncation error ~h^2 f''' ~ 1e-12 and
// rounding error ~eps |f| / h ~ 1e-10 for the O(1) objectives here: relative errors of a
// correct backward land near 1e-9 or below, so 1e-7 catches any real mistake.
constexpr double kGradTol = 1e-7;

// Normal draws pushed at least kKinkGap away from 0, so that ReLU-like kinks are never
// crossed by the +-h perturbation of the gradient check.
constexpr double kKinkGap = 1e-3;

Tensor<double> away_from_zero(const Shape& s, std::uint64_t seed) {
    Rng rng(seed);
    Tensor<double> x = normal<double>(s, 0.0, 1.5, rng);
    for (double& v : x) v = v >= 0 ? v + kKinkGap : v - kKinkGap;
    return x;
}

class ActivationGradTest : public ::testing::TestWithParam<std::string> {};

TEST_P(ActivationGradTest, BackwardMatchesCentralDifferences) {
    auto act = make_activation<double>(parse_activation(GetParam()));
    Tensor<double> x = away_from_zero(Shape{6, 5}, 11);
    GradCheckReport r = gradcheck(*act, x, {.h = 1e-6, .seed = 3});
    ASSERT_EQ(r.entries.size(), 1u);  // input only: activations have no parameters
    EXPECT_LE(r.max_rel_error(), kGradTol) << GetParam() << "\n" << r.to_string();
}

INSTANTIATE_TEST_SUITE_P(All, ActivationGradTest,
                         ::testing::Values("identity", "relu", "leaky_relu", "leaky_relu:0.2",
                                           "elu", "elu:0.5", "selu", "gelu", "sigmoid", "tanh",
                                           "softmax"),
                         [](const auto& info) {
                             std::string s = info.param;
                             for (char& c : s)
                                 if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                             return s;
                         });

TEST(SoftMax, RowsSumToOneAndSurviveHugeLogits) {
    Tensor<float> z = {{1000.f, -1000.f, 0.f}, {-1000.f, -1000.f, -1000.f}, {1.f, 2.f, 3.f}};
    SoftMax<float> sm;
    const Tensor<float>& y = sm.forward(z);
    for (std::size_t r = 0; r < 3; ++r) {
        float s = 0;
        for (std::size_t k = 0; k < 3; ++k) {
            EXPECT_TRUE(std::isfinite(y(r, k)));
            s += y(r, k);
        }
        // Three terms in float: rounding stays within a few ulps of 1.
        EXPECT_NEAR(s, 1.0f, 1e-6f);
    }
    EXPECT_FLOAT_EQ(y(0, 0), 1.0f);
    EXPECT_FLOAT_EQ(y(1, 0), 1.0f / 3.0f);
    // Row 2 against the direct formula (small logits: no overflow either way).
    const double e1 = std::exp(1.0), e2 = std::exp(2.0), e3 = std::exp(3.0);
    EXPECT_NEAR(y(2, 2), e3 / (e1 + e2 + e3), 1e-6);
}

TEST(SoftMax, BackwardIsJacobianVectorProduct) {
    // Against the explicit Jacobian J_jk = y_j (delta_jk - y_k) for one row.
    Tensor<double> z = {{0.3, -1.2, 2.0, 0.5}};
    Tensor<double> dy = {{1.0, -0.5, 0.25, 2.0}};
    SoftMax<double> sm;
    const Tensor<double>& y = sm.forward(z);
    const Tensor<double>& dz = sm.backward(dy);
    for (std::size_t k = 0; k < 4; ++k) {
        double ref = 0;
        for (std::size_t j = 0; j < 4; ++j)
            ref += dy(0, j) * y(0, j) * ((j == k ? 1.0 : 0.0) - y(0, k));
        EXPECT_NEAR(dz(0, k), ref, 1e-15);
    }
}

TEST(Sigmoid, StableForLargeMagnitudes) {
    Tensor<float> z = {{-1000.f, -50.f, 0.f, 50.f, 1000.f}};
    Sigmoid<float> s;
    const Tensor<float>& y = s.forward(z);
    for (float v : y) EXPECT_TRUE(std::isfinite(v));
    EXPECT_EQ(y(0, 0), 0.0f);
    EXPECT_EQ(y(0, 2), 0.5f);
    EXPECT_EQ(y(0, 4), 1.0f);
    const Tensor<float>& dz = s.backward(Tensor<float>{{1.f, 1.f, 1.f, 1.f, 1.f}});
    for (float v : dz) EXPECT_TRUE(std::isfinite(v));
    EXPECT_EQ(dz(0, 2), 0.25f);
}

TEST(Activations, KnownValues) {
    Tensor<double> z = {{-2.0, -0.5, 0.0, 1.0}};
    Tensor<double> y;
    LeakyReLU<double>(0.1).apply(z, y);
    EXPECT_DOUBLE_EQ(y(0, 0), -0.2);
    EXPECT_DOUBLE_EQ(y(0, 3), 1.0);
    ELU<double>(1.0).apply(z, y);
    EXPECT_DOUBLE_EQ(y(0, 1), std::exp(-0.5) - 1.0);
    ReLU<double>().apply(z, y);
    EXPECT_EQ(y(0, 1), 0.0);
    EXPECT_EQ(y(0, 3), 1.0);
    // GELU(1) = Phi(1) = 0.8413447460685429 (standard normal table); exact erf form.
    GELU<double>().apply(z, y);
    EXPECT_NEAR(y(0, 3), 0.8413447460685429, 1e-15);
    EXPECT_EQ(y(0, 2), 0.0);
}

TEST(Activations, Gains) {
    // torch.nn.init.calculate_gain values.
    EXPECT_DOUBLE_EQ(ReLU<float>().gain(), std::sqrt(2.0));
    EXPECT_DOUBLE_EQ(TanH<float>().gain(), 5.0 / 3.0);
    EXPECT_DOUBLE_EQ(Sigmoid<float>().gain(), 1.0);
    EXPECT_DOUBLE_EQ(Identity<float>().gain(), 1.0);
    EXPECT_DOUBLE_EQ(SELU<float>().gain(), 0.75);
    EXPECT_DOUBLE_EQ(LeakyReLU<float>(0.2).gain(), std::sqrt(2.0 / (1.0 + 0.04)));
}

TEST(Activations, ParseNames) {
    EXPECT_EQ(to_string(parse_activation("ReLU")), "relu");
    EXPECT_EQ(to_string(parse_activation("leaky_relu:0.2")), "leaky_relu:0.2");
    EXPECT_EQ(to_string(parse_activation("Leaky-ReLU")), "leaky_relu:0.01");  // default filled in
    EXPECT_EQ(parse_activation("elu:0.5"), (ActivationSpec{ActivationKind::ELU, 0.5}));
    EXPECT_EQ(parse_activation("linear"), ActivationSpec(ActivationKind::Identity));
    EXPECT_EQ(make_activation<float>({ActivationKind::ELU, 0.5})->spec(),
              (ActivationSpec{ActivationKind::ELU, 0.5}));
    try {
        parse_activation("swish");
        FAIL() << "expected an exception";
    } catch (const std::invalid_argument& e) {
        std::string msg = e.what();
        EXPECT_NE(msg.find("swish"), std::string::npos) << msg;
        EXPECT_NE(msg.find("gelu"), std::string::npos) << msg;
        EXPECT_NE(msg.find("leaky_relu"), std::string::npos) << msg;
        EXPECT_EQ(msg.find("linear"), std::string::npos) << "aliases are not listed: " << msg;
    }
    EXPECT_THROW(parse_activation("relu:2"), std::invalid_argument);
    EXPECT_THROW(parse_activation("leaky_relu:abc"), std::invalid_argument);
    // The typed form rejects a parameter its kind does not take, too.
    EXPECT_THROW(make_activation<float>({ActivationKind::ReLU, 2.0}), std::invalid_argument);
}

// Every kind has exactly one canonical name, and it reads back to the same kind.
TEST(Activations, NameTableRoundTrips) {
    for (const auto& e : kActivationNames) {
        if (e.alias) continue;
        const ActivationSpec spec(e.value);
        EXPECT_EQ(make_activation<double>(spec)->name(), e.name);
        EXPECT_EQ(parse_activation(e.name).kind, e.value);
    }
}

TEST(Activations, BackwardShapeMismatchThrows) {
    TanH<float> t;
    t.forward(Tensor<float>::zeros(Shape{2, 3}));
    try {
        t.backward(Tensor<float>::zeros(Shape{3, 2}));
        FAIL() << "expected an exception";
    } catch (const std::invalid_argument& e) {
        std::string msg = e.what();
        EXPECT_NE(msg.find("3x2"), std::string::npos) << msg;
        EXPECT_NE(msg.find("2x3"), std::string::npos) << msg;
    }
}

}  // namespace
}  // namespace ffnn
