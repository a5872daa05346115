// Initialisers: bounds and moments of large draws against the formulas, gains, parsing.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "ffnn/nn/activations.hpp"
#include "ffnn/nn/fully_connected.hpp"
#include "ffnn/nn/init.hpp"

namespace ffnn {
namespace {

struct Moments {
    double mean = 0, var = 0, max_abs = 0;
};

Moments moments(const Tensor<float>& w) {
    Moments m;
    for (float v : w) m.mean += v;
    m.mean /= static_cast<double>(w.size());
    for (float v : w) {
        m.var += (v - m.mean) * (v - m.mean);
        m.max_abs = std::max(m.max_abs, static_cast<double>(std::abs(v)));
    }
    m.var /= static_cast<double>(w.size() - 1);
    return m;
}

// W (D, H) = (200, 300): n = 60000 draws. Tolerances are 5 standard errors of the estimate
// (the draws are fixed by the seed, so the test is deterministic; 5 SE would fail by chance
// with probability below 1e-6 for a fresh seed).
constexpr std::size_t kD = 200, kH = 300;
constexpr double kN = static_cast<double>(kD * kH);
constexpr double kSigmas = 5.0;

TEST(Init, XavierUniformBoundsAndMoments) {
    for (double gain : {1.0, std::sqrt(2.0), 5.0 / 3.0}) {
        Tensor<float> W = Tensor<float>::empty(Shape{kD, kH});
        Rng rng(123);
        init_weight(W, parse_init("xavier_uniform"), gain, rng);
        const double a = gain * std::sqrt(6.0 / (kD + kH));
        EXPECT_DOUBLE_EQ(xavier_uniform_bound(kD, kH, gain), a);
        Moments m = moments(W);
        EXPECT_LE(m.max_abs, a * (1 + 1e-6));  // float rounding of the bound
        // P(all 60000 draws below 0.999 a) = 0.9995^60000 ~ e^-30.
        EXPECT_GT(m.max_abs, 0.999 * a);
        // U(-a, a): mean 0, variance a^2 / 3; SE(mean) = sqrt(a^2/3 / n),
        // SE(var) = sqrt((E x^4 - var^2) / n) = sqrt((a^4/5 - a^4/9) / n).
        EXPECT_NEAR(m.mean, 0.0, kSigmas * std::sqrt(a * a / 3 / kN));
        EXPECT_NEAR(m.var, a * a / 3,
                    kSigmas * std::sqrt((a * a * a * a * (1.0 / 5 - 1.0 / 9)) / kN));
    }
}

TEST(Init, NormalInitialisersHaveTheFormulaStd) {
    // Xavier normal with gain 1: s = sqrt(2 / (fan_in + fan_out)); He normal with the ReLU
    // gain sqrt 2: s = sqrt(2 / fan_in) (He et al. 2015, eq. 10).
    struct Case {
        const char* name;
        double gain;
        double stddev;
    } cases[] = {{"xavier_normal", 1.0, std::sqrt(2.0 / (kD + kH))},
                 {"he_normal", std::sqrt(2.0), std::sqrt(2.0 / kD)}};
    for (const Case& c : cases) {
        Tensor<float> W = Tensor<float>::empty(Shape{kD, kH});
        Rng rng(7);
        init_weight(W, parse_init(c.name), c.gain, rng);
        Moments m = moments(W);
        const double s2 = c.stddev * c.stddev;
        // N(0, s^2): SE(mean) = s / sqrt(n), SE(var) = s^2 sqrt(2 / n).
        EXPECT_NEAR(m.mean, 0.0, kSigmas * c.stddev / std::sqrt(kN)) << c.name;
        EXPECT_NEAR(m.var, s2, kSigmas * s2 * std::sqrt(2.0 / kN)) << c.name;
    }
}

TEST(Init, HeUniformBound) {
    Tensor<float> W = Tensor<float>::empty(Shape{kD, kH});
    Rng rng(9);
    init_weight(W, parse_init("he_uniform"), std::sqrt(2.0), rng);
    // He et al. 2015: variance 2 / fan_in, so a = sqrt(3 * 2 / fan_in).
    const double a = std::sqrt(6.0 / kD);
    EXPECT_NEAR(he_uniform_bound(kD, std::sqrt(2.0)), a, 1e-15);
    Moments m = moments(W);
    EXPECT_LE(m.max_abs, a * (1 + 1e-6));
    EXPECT_NEAR(m.var, a * a / 3, kSigmas * std::sqrt((a * a * a * a * (1.0 / 5 - 1.0 / 9)) / kN));
}

TEST(Init, ConstantAndZeros) {
    Tensor<double> W = Tensor<double>::empty(Shape{3, 4});
    Rng rng(1);
    init_weight(W, parse_init("constant:0.25"), 1.0, rng);
    for (double v : W) EXPECT_EQ(v, 0.25);
    init_weight(W, parse_init("zeros"), 1.0, rng);
    for (double v : W) EXPECT_EQ(v, 0.0);
    EXPECT_EQ(to_string(parse_init("constant:0.25")), "constant:0.25");
}

TEST(Init, LayerUsesItsActivationGain) {
    // A relu layer's Xavier bound carries gain sqrt 2; its bias starts at zero.
    FullyConnected<float> fc(300, ActivationKind::ReLU, parse_init("xavier_uniform"), 3, 200);
    const double a = std::sqrt(2.0) * std::sqrt(6.0 / 500.0);
    Moments m = moments(fc.W());
    EXPECT_LE(m.max_abs, a * (1 + 1e-6));
    EXPECT_GT(m.max_abs, 0.999 * a);
    for (float b : fc.b()) EXPECT_EQ(b, 0.0f);
}

TEST(Init, UnknownNameListsTheValidOnes) {
    try {
        parse_init("orthogonal");
        FAIL() << "expected an exception";
    } catch (const std::invalid_argument& e) {
        std::string msg = e.what();
        EXPECT_NE(msg.find("orthogonal"), std::string::npos) << msg;
        EXPECT_NE(msg.find("xavier_uniform"), std::string::npos) << msg;
        EXPECT_NE(msg.find("he_normal"), std::string::npos) << msg;
    }
    EXPECT_THROW(parse_init("constant:x"), std::invalid_argument);
}

}  // namespace
}  // namespace ffnn
