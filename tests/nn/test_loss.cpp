// Losses: gradient checks of the input gradient, a hand-computed cross-entropy, stability on
// huge logits, and the error paths.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "ffnn/nn/gradcheck.hpp"
#include "ffnn/nn/loss.hpp"
#include "ffnn/tensor/random.hpp"

namespace ffnn {
namespace {

// See tests/nn/test_activations.cpp for why 1e-7.
constexpr double kGradTol = 1e-7;

Tensor<double> random_logits(std::size_t n, std::size_t k, std::uint64_t seed) {
    Rng rng(seed);
    return normal<double>(Shape{n, k}, 0.0, 2.0, rng);
}

TEST(LossGrad, CrossEntropyLabels) {
    SoftmaxCrossEntropy<double> ce;
    std::vector<int> labels = {0, 2, 1, 3, 3};
    GradCheckReport r = gradcheck(ce, random_logits(5, 4, 1), labels);
    EXPECT_LE(r.max_rel_error(), kGradTol) << r.to_string();
}

TEST(LossGrad, CrossEntropySoftTargets) {
    SoftmaxCrossEntropy<double> ce;
    Rng rng(2);
    Tensor<double> t = uniform<double>(Shape{5, 4}, 0.0, 1.0, rng);  // not normalised on purpose
    GradCheckReport r = gradcheck(ce, random_logits(5, 4, 3), t);
    EXPECT_LE(r.max_rel_error(), kGradTol) << r.to_string();
}

// Class weights (--class-weight): the weighted loss's gradient against central differences,
// with labels and with soft targets.
TEST(LossGrad, WeightedCrossEntropy) {
    SoftmaxCrossEntropy<double> ce;
    ce.set_class_weights({0.5, 2.0, 1.0, 3.25});
    std::vector<int> labels = {0, 2, 1, 3, 3};
    GradCheckReport r = gradcheck(ce, random_logits(5, 4, 11), labels);
    EXPECT_LE(r.max_rel_error(), kGradTol) << r.to_string();
    Rng rng(12);
    Tensor<double> t = uniform<double>(Shape{5, 4}, 0.0, 1.0, rng);
    GradCheckReport r2 = gradcheck(ce, random_logits(5, 4, 13), t);
    EXPECT_LE(r2.max_rel_error(), kGradTol) << r2.to_string();
}

TEST(LossGrad, MeanSquaredError) {
    MeanSquaredError<double> mse;
    std::vector<int> labels = {1, 0, 2, 2};
    GradCheckReport r1 = gradcheck(mse, random_logits(4, 3, 4), labels);
    EXPECT_LE(r1.max_rel_error(), kGradTol) << r1.to_string();
    GradCheckReport r2 = gradcheck(mse, random_logits(4, 3, 5), random_logits(4, 3, 6));
    EXPECT_LE(r2.max_rel_error(), kGradTol) << r2.to_string();
}

TEST(LossGrad, BinaryCrossEntropy) {
    BinaryCrossEntropy<double> bce;
    std::vector<int> binary = {1, 0, 0, 1, 1};
    GradCheckReport r1 = gradcheck(bce, random_logits(5, 1, 7), binary);
    EXPECT_LE(r1.max_rel_error(), kGradTol) << r1.to_string();
    std::vector<int> classes = {2, 0, 1, 1, 2};
    GradCheckReport r2 = gradcheck(bce, random_logits(5, 3, 8), classes);
    EXPECT_LE(r2.max_rel_error(), kGradTol) << r2.to_string();
    Rng rng(9);
    Tensor<double> t = uniform<double>(Shape{5, 3}, 0.0, 1.0, rng);
    GradCheckReport r3 = gradcheck(bce, random_logits(5, 3, 10), t);
    EXPECT_LE(r3.max_rel_error(), kGradTol) << r3.to_string();
}

TEST(CrossEntropy, HandComputedValue) {
    // Row 0: logits (0, 0), label 0: -log(1/2) = log 2.
    // Row 1: logits (ln 3, 0), label 1: -log(1 / (3 + 1)) = log 4.
    // Mean: (log 2 + log 4) / 2 = 1.5 log 2.
    Tensor<double> z = {{0.0, 0.0}, {std::log(3.0), 0.0}};
    std::vector<int> labels = {0, 1};
    SoftmaxCrossEntropy<double> ce;
    EXPECT_NEAR(ce.forward(z, labels), 1.5 * std::log(2.0), 1e-15);
    // dlogits = (softmax - onehot) / N: row 0 (0.5 - 1, 0.5) / 2, row 1 (0.75, 0.25 - 1) / 2.
    const Tensor<double>& g = ce.backward();
    EXPECT_NEAR(g(0, 0), -0.25, 1e-15);
    EXPECT_NEAR(g(0, 1), 0.25, 1e-15);
    EXPECT_NEAR(g(1, 0), 0.375, 1e-15);
    EXPECT_NEAR(g(1, 1), -0.375, 1e-15);
    // The one-hot tensor form gives the same value.
    Tensor<double> onehot = {{1.0, 0.0}, {0.0, 1.0}};
    EXPECT_NEAR(ce.forward(z, onehot), 1.5 * std::log(2.0), 1e-15);
}

TEST(CrossEntropy, ClassWeightsScaleEachRowByItsClass) {
    // The rows of HandComputedValue with weights 3 (class 0) and 0.5 (class 1):
    // (3 log 2 + 0.5 log 4) / 2 = 2 log 2; row r's gradient is w_y (softmax - onehot) / N.
    Tensor<double> z = {{0.0, 0.0}, {std::log(3.0), 0.0}};
    std::vector<int> labels = {0, 1};
    SoftmaxCrossEntropy<double> ce;
    ce.set_class_weights({3.0, 0.5});
    EXPECT_NEAR(ce.forward(z, labels), 2.0 * std::log(2.0), 1e-15);
    const Tensor<double>& g = ce.backward();
    EXPECT_NEAR(g(0, 0), -0.75, 1e-15);
    EXPECT_NEAR(g(1, 1), -0.1875, 1e-15);
    // The one-hot target form weighs the same way.
    Tensor<double> onehot = {{1.0, 0.0}, {0.0, 1.0}};
    EXPECT_NEAR(ce.forward(z, onehot), 2.0 * std::log(2.0), 1e-15);
    // Weights of 1 give the unweighted bits.
    SoftmaxCrossEntropy<double> plain, ones;
    ones.set_class_weights({1.0, 1.0});
    EXPECT_EQ(plain.forward(z, labels), ones.forward(z, labels));
    EXPECT_THROW(ce.set_class_weights({1.0, 0.0}), std::invalid_argument);
    ce.set_class_weights({1.0, 1.0, 1.0});
    EXPECT_THROW(ce.forward(z, labels), std::invalid_argument);  // 3 weights, 2 classes
}

TEST(CrossEntropy, StableOnHugeLogits) {
    Tensor<float> z = {{1000.f, -1000.f, 0.f}, {-1000.f, 1000.f, 1000.f}};
    std::vector<int> labels = {1, 0};
    SoftmaxCrossEntropy<float> ce;
    float loss = ce.forward(z, labels);
    EXPECT_TRUE(std::isfinite(loss));
    // Row 0: logsumexp = 1000, loss 1000 - (-1000) = 2000. Row 1: logsumexp = 1000 + log 2,
    // loss 2000 + log 2. Mean 2000 + log(2) / 2; float keeps ~7 digits of 2000.
    EXPECT_NEAR(loss, 2000.0 + std::log(2.0) / 2, 1e-3);
    for (float g : ce.backward()) EXPECT_TRUE(std::isfinite(g));
}

// Logits of NaN or inf (an overflowed forward pass) give a NaN loss, the signal fit() stops
// on. The search for the row's maximum used to run past the row when no logit equalled the
// NaN maximum (eval segfaulted on such a row); the last row here puts NaN at the very end.
TEST(CrossEntropy, NonFiniteLogitsGiveNanAndStayInTheirRow) {
    const float nan = std::numeric_limits<float>::quiet_NaN();
    const float inf = std::numeric_limits<float>::infinity();
    for (const std::vector<float>& row : std::vector<std::vector<float>>{
             {nan, 1.f, 2.f}, {1.f, inf, 2.f}, {inf, -inf, 0.f}, {1.f, 2.f, nan}}) {
        Tensor<float> z = Tensor<float>::from_vector(row, Shape{1, 3});
        SoftmaxCrossEntropy<float> ce;
        const std::vector<int> labels = {0};
        EXPECT_TRUE(std::isnan(ce.forward(z, labels)))
            << row[0] << ", " << row[1] << ", " << row[2];
    }
}

TEST(BinaryCrossEntropy, StableOnHugeLogits) {
    Tensor<float> z = Tensor<float>::from_vector({1000.f, -1000.f}, Shape{2, 1});
    std::vector<int> labels = {0, 1};
    BinaryCrossEntropy<float> bce;
    // Each term is max(z, 0) - z y + log1p(exp(-|z|)) = 1000.
    EXPECT_NEAR(bce.forward(z, labels), 1000.0f, 1e-3f);
    for (float g : bce.backward()) EXPECT_TRUE(std::isfinite(g));
}

// The value on confident rows keeps its precision: log(1 + 2 e^-20) = 4.1223e-9 is not lost
// to float rounding of logsumexp (which is 20 to float precision). Tolerance: a few float
// ulps of the loss itself, not of the largest logit.
TEST(CrossEntropy, ConfidentRowsKeepTheLossPrecision) {
    SoftmaxCrossEntropy<float> ce;
    const Tensor<float> z{{20.f, 0.f, 0.f}, {0.f, 12.f, 3.f}};
    const std::vector<int> y = {0, 1};
    const double exact0 = std::log1p(2.0 * std::exp(-20.0));
    const double exact1 = std::log1p(std::exp(-12.0) + std::exp(-9.0));
    const double value = ce.forward(z, y);
    EXPECT_NEAR(value, (exact0 + exact1) / 2.0, 1e-6 * (exact0 + exact1) / 2.0);
    // One row alone: 4.1e-9, which float logsumexp would give as 0.
    const Tensor<float> z0{{20.f, 0.f, 0.f}};
    const std::vector<int> y0 = {0};
    EXPECT_NEAR(ce.forward(z0, y0), exact0, 1e-6 * exact0);
    // A wrong label: 20 + log(1 + 2 e^-20), a float step of 20 is the precision there.
    const std::vector<int> y1 = {1};
    EXPECT_NEAR(ce.forward(z0, y1), 20.0 + exact0, 2e-6);
}

TEST(LossErrors, BadLabelsNameRowAndShape) {
    SoftmaxCrossEntropy<float> ce;
    Tensor<float> z = Tensor<float>::zeros(Shape{3, 4});
    std::vector<int> bad = {0, 4, 1};
    try {
        ce.forward(z, bad);
        FAIL() << "expected an exception";
    } catch (const std::invalid_argument& e) {
        std::string msg = e.what();
        EXPECT_NE(msg.find("label 4"), std::string::npos) << msg;
        EXPECT_NE(msg.find("row 1"), std::string::npos) << msg;
        EXPECT_NE(msg.find("3x4"), std::string::npos) << msg;
    }
    std::vector<int> negative = {0, -1, 1};
    EXPECT_THROW(ce.forward(z, negative), std::invalid_argument);
    std::vector<int> too_few = {0, 1};
    try {
        ce.forward(z, too_few);
        FAIL() << "expected an exception";
    } catch (const std::invalid_argument& e) {
        std::string msg = e.what();
        EXPECT_NE(msg.find("2 labels"), std::string::npos) << msg;
        EXPECT_NE(msg.find("3x4"), std::string::npos) << msg;
    }
    BinaryCrossEntropy<float> bce;
    std::vector<int> not_binary = {0, 2};
    EXPECT_THROW(bce.forward(Tensor<float>::zeros(Shape{2, 1}), not_binary), std::invalid_argument);
}

TEST(LossErrors, TargetShapeMismatch) {
    MeanSquaredError<float> mse;
    try {
        mse.forward(Tensor<float>::zeros(Shape{3, 4}), Tensor<float>::zeros(Shape{4, 3}));
        FAIL() << "expected an exception";
    } catch (const std::invalid_argument& e) {
        std::string msg = e.what();
        EXPECT_NE(msg.find("3x4"), std::string::npos) << msg;
        EXPECT_NE(msg.find("4x3"), std::string::npos) << msg;
    }
    EXPECT_THROW(parse_name<LossKind>(kLossNames, "hinge", "loss"), std::invalid_argument);
    EXPECT_EQ(parse_name<LossKind>(kLossNames, "CE", "loss"), LossKind::CrossEntropy);
    EXPECT_EQ(make_loss<float>(LossKind::BCE)->name(), "bce");
}

}  // namespace
}  // namespace ffnn
