// Optimisers against hand-computed update sequences, weight decay conventions, gradient
// clipping, state listing and learning-rate schedules.
#include <gtest/gtest.h>

#include <cmath>

#include "ffnn/nn/config_error.hpp"
#include "ffnn/nn/optim.hpp"
#include "ffnn/nn/schedule.hpp"

namespace ffnn {
namespace {

// Double arithmetic on O(1) numbers over three steps: agreement to 1e-12 leaves room only
// for rounding, not for a wrong formula.
constexpr double kTol = 1e-12;

// One scalar parameter p with objective f(p) = p^2 / 2, so grad = p.
struct Quadratic {
    Tensor<double> p = Tensor<double>::full(Shape{1}, 1.0);
    Tensor<double> g = Tensor<double>::zeros(Shape{1});
    std::vector<Param<double>> params() { return {{"p", &p, &g}}; }
    void compute_grad() { g[0] = p[0]; }
};

TEST(SGD, MomentumMatchesHandComputedSteps) {
    // PyTorch convention, lr 0.1, mu 0.9, p0 = 1, g = p:
    //   1: v = 1,                 p = 1 - 0.1 * 1       = 0.9
    //   2: v = 0.9 * 1 + 0.9 = 1.8, p = 0.9 - 0.18     = 0.72
    //   3: v = 0.9 * 1.8 + 0.72 = 2.34, p = 0.72 - 0.234 = 0.486
    Quadratic q;
    SGD<double> opt(q.params(), 0.1, 0.9);
    const double expected[] = {0.9, 0.72, 0.486};
    for (double e : expected) {
        q.compute_grad();
        opt.step();
        EXPECT_NEAR(q.p[0], e, kTol);
    }
    EXPECT_EQ(opt.step_count(), 3);
    auto state = opt.state();
    ASSERT_EQ(state.size(), 2u);
    EXPECT_EQ(state[0].name, "step");
    EXPECT_EQ(state[1].name, "p.momentum");
    EXPECT_NEAR((*state[1].value)[0], 2.34, kTol);
}

TEST(SGD, NesterovMatchesHandComputedSteps) {
    // g' = g + mu v after v = mu v + g; lr 0.1, mu 0.9, p0 = 1, g = p:
    //   1: v = 1,     g' = 1.9,     p = 0.81
    //   2: v = 1.71,  g' = 2.349,   p = 0.5751
    //   3: v = 2.1141, g' = 2.47779, p = 0.327321
    Quadratic q;
    SGD<double> opt(q.params(), 0.1, 0.9, 0.0, /*nesterov=*/true);
    const double expected[] = {0.81, 0.5751, 0.327321};
    for (double e : expected) {
        q.compute_grad();
        opt.step();
        EXPECT_NEAR(q.p[0], e, kTol);
    }
}

TEST(SGD, WeightDecayIsAddedToTheGradient) {
    // Zero loss gradient, wd 0.1, lr 0.1: p <- p - 0.1 * 0.1 p = 0.99 p per step.
    Quadratic q;
    SGD<double> opt(q.params(), 0.1, 0.0, 0.1);
    for (int i = 0; i < 3; ++i) opt.step();
    EXPECT_NEAR(q.p[0], 0.99 * 0.99 * 0.99, kTol);
}

TEST(Adam, MatchesHandComputedSteps) {
    // lr 0.1, b1 0.9, b2 0.999, eps 1e-8, p0 = 1, g = p (Kingma & Ba 2015, Algorithm 1):
    //   1: m = 0.1, v = 0.001, m^ = 1, v^ = 1, p = 1 - 0.1 / (1 + 1e-8) = 0.900000001
    //   2: g = 0.9, m = 0.18, v = 0.001809, m^ = 0.18 / 0.19, v^ = 0.001809 / 0.001999,
    //      p = 0.8004122297123382
    //   3: p = 0.701586274504415
    // (steps 2 and 3 evaluated with the same formulas in a separate double-precision script)
    Quadratic q;
    Adam<double> opt(q.params(), 0.1);
    const double expected[] = {0.900000001, 0.8004122297123382, 0.701586274504415};
    for (double e : expected) {
        q.compute_grad();
        opt.step();
        EXPECT_NEAR(q.p[0], e, kTol);
    }
    auto state = opt.state();
    ASSERT_EQ(state.size(), 3u);
    EXPECT_EQ(state[1].name, "p.exp_avg");
    EXPECT_EQ(state[2].name, "p.exp_avg_sq");
    EXPECT_EQ((*state[0].value)[0], 3.0);
}

TEST(AdamW, DecoupledWeightDecay) {
    // Step 1, wd 0.1, lr 0.1: p = 1 * (1 - 0.01) = 0.99, then the Adam step of size
    // lr * 1 / (1 + 1e-8) with the gradient taken before the decay: 0.890000001.
    Quadratic q;
    Adam<double> opt(q.params(), 0.1, 0.9, 0.999, 1e-8, 0.1, /*decoupled=*/true);
    q.compute_grad();
    opt.step();
    EXPECT_NEAR(q.p[0], 0.99 - 0.1 / (1 + 1e-8), kTol);
    EXPECT_EQ(opt.name(), "adamw");

    // Adam's L2 form instead adds wd p to the gradient: g = 1.1, and the first Adam step
    // is lr * sign(g) (m^ / sqrt(v^) = 1) : p = 1 - 0.1 / (1 + 1e-8 / 1.1).
    Quadratic q2;
    Adam<double> l2(q2.params(), 0.1, 0.9, 0.999, 1e-8, 0.1, false);
    q2.compute_grad();
    l2.step();
    EXPECT_NEAR(q2.p[0], 1 - 0.1 * 1.1 / (1.1 + 1e-8), kTol);
}

// Five float Adam steps against the same update computed in double from the same gradients.
// beta2 = 0.9999 is where computing 1 - beta2 in float would be 1.7e-4 off (1 - 0.9999f =
// 1.000166e-4), an 8e-5 relative error of every step (8e-7 here, 4e-6 after five); the
// tolerance, 5e-7, is four float ulps of p near 1 (float rounding of five updates of 0.01).
TEST(AdamStep, MatchesAnIndependentDoubleComputation) {
    Tensor<float> p = Tensor<float>::full(Shape{1}, 1.0f), g = Tensor<float>::zeros(Shape{1});
    Adam<float> adam({{"p", &p, &g}}, /*lr=*/0.01, 0.9, 0.9999, 1e-8);
    const float grads[] = {0.3f, -0.2f, 0.5f, 0.1f, -0.4f};
    double pd = 1.0, m = 0.0, v = 0.0;
    const double b1 = 0.9, b2 = 0.9999, lr = 0.01, eps = 1e-8;
    for (int t = 1; t <= 5; ++t) {
        const double gt = grads[t - 1];
        g[0] = grads[t - 1];
        adam.step();
        m = b1 * m + (1 - b1) * gt;
        v = b2 * v + (1 - b2) * gt * gt;
        const double mhat = m / (1 - std::pow(b1, t)), vhat = v / (1 - std::pow(b2, t));
        pd -= lr * mhat / (std::sqrt(vhat) + eps);
        EXPECT_NEAR(p[0], pd, 5e-7) << "step " << t;
    }
}

TEST(ClipGradNorm, ScalesToTheMaximum) {
    Tensor<double> a = Tensor<double>::zeros(Shape{1}), ga = Tensor<double>::full(Shape{1}, 3.0);
    Tensor<double> b = Tensor<double>::zeros(Shape{1}), gb = Tensor<double>::full(Shape{1}, 4.0);
    std::vector<Param<double>> ps = {{"a", &a, &ga}, {"b", &b, &gb}};
    EXPECT_DOUBLE_EQ(global_grad_norm(ps), 5.0);
    EXPECT_DOUBLE_EQ(clip_grad_norm(ps, 1.0), 5.0);
    // Scale 1 / (5 + 1e-6): the new norm is 1 up to the 1e-6 guard, 2e-7 relative.
    EXPECT_NEAR(global_grad_norm(ps), 1.0, 1e-6);
    EXPECT_NEAR(ga[0] / gb[0], 0.75, kTol);
    // Below the maximum nothing changes.
    EXPECT_NEAR(clip_grad_norm(ps, 10.0), 1.0, 1e-6);
    EXPECT_NEAR(global_grad_norm(ps), 1.0, 1e-6);
}

TEST(Optimizer, ParsingAndFactory) {
    auto parse = [](const char* t) {
        return parse_name<OptimizerKind>(kOptimizerNames, t, "optimizer");
    };
    EXPECT_EQ(parse("Adam"), OptimizerKind::Adam);
    EXPECT_EQ(parse("adamw"), OptimizerKind::AdamW);
    try {
        parse("rmsprop");
        FAIL() << "expected an exception";
    } catch (const std::invalid_argument& e) {
        std::string msg = e.what();
        EXPECT_NE(msg.find("rmsprop"), std::string::npos) << msg;
        EXPECT_NE(msg.find("sgd, adam, adamw"), std::string::npos) << msg;
    }
    Quadratic q;
    OptimizerConfig c;
    c.kind = OptimizerKind::AdamW;
    c.lr = 0.5;
    auto opt = make_optimizer<double>(c, q.params());
    EXPECT_EQ(opt->name(), "adamw");
    EXPECT_EQ(opt->lr(), 0.5);
    EXPECT_THROW(SGD<double>(q.params(), -1.0), std::invalid_argument);
    EXPECT_THROW(SGD<double>(q.params(), 0.1, 0.0, 0.0, true), std::invalid_argument);
}

// Each value is checked once, in OptimizerConfig::validate, with the field in the error.
TEST(Optimizer, ConfigErrorsNameTheField) {
    auto field_of = [](OptimizerConfig c) -> std::string {
        try {
            c.validate();
        } catch (const ConfigError& e) {
            return e.field() + ": " + e.what();
        }
        return "(valid)";
    };
    OptimizerConfig c;
    EXPECT_EQ(field_of(c), "(valid)");
    c.lr = -1;
    EXPECT_EQ(field_of(c),
              "optimizer.lr: lr must be positive and within float's range (1.2e-38 to 3.4e38), "
              "got -1");
    c = {};
    c.lr = 0;  // a configured rate of 0 is an error; a schedule may reach 0 through set_lr
    EXPECT_EQ(field_of(c).substr(0, 12), "optimizer.lr");
    c = {};
    c.momentum = 1.0;
    EXPECT_EQ(field_of(c).substr(0, 18), "optimizer.momentum");
    c = {};
    c.nesterov = true;
    EXPECT_EQ(field_of(c).substr(0, 18), "optimizer.nesterov");
    c = {};
    c.kind = OptimizerKind::Adam;
    c.momentum = 0.9;  // SGD's, not Adam's
    EXPECT_EQ(field_of(c).substr(0, 18), "optimizer.momentum");
    c = {};
    c.kind = OptimizerKind::Adam;
    c.beta2 = 1.0;
    EXPECT_EQ(field_of(c).substr(0, 15), "optimizer.beta2");
    c = {};
    c.clip_norm = -0.5;
    EXPECT_EQ(field_of(c).substr(0, 19), "optimizer.clip_norm");

    Quadratic q;
    SGD<double> sgd(q.params(), 0.1);
    EXPECT_NO_THROW(sgd.set_lr(0.0));
    EXPECT_THROW(sgd.set_lr(-0.1), ConfigError);
}

TEST(Schedule, Formulas) {
    ScheduleConfig step{ScheduleKind::Step, 2, 0.5, 100, 0.0};
    LrSchedule s(step, 1.0);
    EXPECT_DOUBLE_EQ(s(0), 1.0);
    EXPECT_DOUBLE_EQ(s(1), 1.0);
    EXPECT_DOUBLE_EQ(s(2), 0.5);
    EXPECT_DOUBLE_EQ(s(5), 0.25);

    LrSchedule e({ScheduleKind::Exponential, 1, 0.9, 1, 0.0}, 2.0);
    EXPECT_NEAR(e(3), 2.0 * 0.729, 1e-15);

    LrSchedule c({ScheduleKind::Cosine, 1, 1.0, 10, 0.1}, 1.0);
    EXPECT_DOUBLE_EQ(c(0), 1.0);
    EXPECT_NEAR(c(5), 0.55, 1e-15);  // halfway: min + (max - min) / 2
    EXPECT_NEAR(c(10), 0.1, 1e-15);
    EXPECT_NEAR(c(25), 0.1, 1e-15);  // stays at min_lr after t_max

    LrSchedule k({}, 0.3);
    EXPECT_EQ(k(1000), 0.3);

    EXPECT_EQ(parse_name<ScheduleKind>(kScheduleNames, "cosine", "schedule"), ScheduleKind::Cosine);
    EXPECT_THROW(parse_name<ScheduleKind>(kScheduleNames, "linear", "schedule"),
                 std::invalid_argument);
    EXPECT_THROW(LrSchedule({ScheduleKind::Step, 0, 0.1, 1, 0.0}, 1.0), std::invalid_argument);
}

}  // namespace
}  // namespace ffnn
