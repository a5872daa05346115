// The gradient checker itself: it must flag a wrong backward, locate the worst element, and
// follow the assignment's metric (0/0 defined as 0).
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "ffnn/nn/gradcheck.hpp"
#include "ffnn/tensor/random.hpp"

namespace ffnn {
namespace {

// y = x * x element-wise, with a backward that is wrong at exactly one element (flat index
// kBadIndex) when `broken` is set.
class Square final : public Module<double> {
  public:
    static constexpr std::size_t kBadIndex = 7;
    explicit Square(bool broken) : broken_(broken) {}
    const Tensor<double>& forward(const Tensor<double>& x) override {
        x_ = x.view();
        y_.resize(x.shape());
        for (std::size_t i = 0; i < x.size(); ++i) y_[i] = x[i] * x[i];
        return y_;
    }
    const Tensor<double>& backward(const Tensor<double>& dy) override {
        dx_.resize(dy.shape());
        for (std::size_t i = 0; i < dy.size(); ++i) dx_[i] = 2 * x_[i] * dy[i];
        if (broken_) dx_[kBadIndex] *= 1.5;
        return dx_;
    }
    std::string name() const override { return "square"; }

  private:
    bool broken_;
    Tensor<double> x_, y_, dx_;
};

TEST(GradCheck, PassesACorrectBackward) {
    Square ok(false);
    Rng rng(1);
    Tensor<double> x = normal<double>(Shape{3, 4}, 0.0, 1.0, rng);
    GradCheckReport r = gradcheck(ok, x);
    ASSERT_EQ(r.entries.size(), 1u);
    EXPECT_EQ(r.entries[0].name, "input");
    EXPECT_EQ(r.entries[0].shape, (Shape{3, 4}));
    // x^2 is exactly quadratic: central differences only see rounding (~1e-10 relative).
    EXPECT_LE(r.max_rel_error(), 1e-7) << r.to_string();
}

TEST(GradCheck, FlagsAndLocatesAWrongElement) {
    Square bad(true);
    Rng rng(1);
    Tensor<double> x = normal<double>(Shape{3, 4}, 0.0, 1.0, rng);
    GradCheckReport r = gradcheck(bad, x);
    // One of 12 elements off by 50%: the relative error is of order 0.1, far above 1e-7.
    EXPECT_GT(r.max_rel_error(), 1e-3) << r.to_string();
    EXPECT_FALSE(r.passed(1e-7));
    EXPECT_EQ(r.entries[0].worst_index, Square::kBadIndex);
    EXPECT_NEAR(r.entries[0].worst_analytic, 1.5 * r.entries[0].worst_numeric,
                1e-6 * std::abs(r.entries[0].worst_numeric));
    EXPECT_NE(r.to_string().find("input"), std::string::npos);
}

TEST(GradCheck, RelativeErrorDefinition) {
    std::vector<double> zero = {0.0, 0.0};
    EXPECT_EQ(relative_error(zero, zero), 0.0);  // 0 / 0 is defined as 0
    std::vector<double> a = {3.0, 0.0}, b = {1.0, 0.0};
    EXPECT_DOUBLE_EQ(relative_error(a, b), 2.0 / 4.0);
    std::vector<double> c = {1.0, -1.0}, d = {-1.0, 1.0};
    EXPECT_TRUE(std::isinf(relative_error(c, d)));  // opposite gradients: ||num + ana|| = 0
    std::vector<double> shorter = {1.0};
    EXPECT_THROW(relative_error(a, shorter), std::invalid_argument);
}

// The weighted loss of --class-weight through a whole model: every parameter and the input.
TEST(GradCheck, ModelWithClassWeightedCrossEntropy) {
    ModelSpec spec{
        .n_inputs = 4, .hidden = {6}, .activation = ActivationKind::TanH, .n_classes = 3};
    spec.seed = 5;
    Model<double> model(spec);
    model.set_class_weights({0.4, 1.0, 2.5});
    Rng rng(6);
    for (auto& p : model.parameters())
        if (p.name.back() == 'b') fill_uniform(*p.value, -0.3, 0.3, rng);
    Tensor<double> x = normal<double>(Shape{6, 4}, 0.0, 1.0, rng);
    const std::vector<int> labels = {0, 1, 2, 2, 1, 0};
    GradCheckReport r = gradcheck(model, x, labels);
    EXPECT_LE(r.max_rel_error(), 1e-7) << r.to_string();
    // And the weights are in effect: without them the loss is another.
    const double weighted = model.compute_loss(x, labels);
    model.set_class_weights({});
    EXPECT_NE(weighted, model.compute_loss(x, labels));
}

}  // namespace
}  // namespace ffnn
