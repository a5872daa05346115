// Model: whole-model gradient checks (2 and 3 layers), naming and architecture, training to
// 100% on a separable set, thread-count determinism, prediction and evaluation, errors.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>

#include "ffnn/nn/gradcheck.hpp"
#include "ffnn/nn/model.hpp"
#include "ffnn/tensor/parallel.hpp"
#include "ffnn/tensor/random.hpp"

namespace ffnn {
namespace {

// See tests/nn/test_activations.cpp: a correct backward gives ~1e-9 with h = 1e-6 in double.
constexpr double kGradTol = 1e-7;

std::vector<int> random_labels(std::size_t n, int k, std::uint64_t seed) {
    Rng rng(seed);
    std::vector<int> y(n);
    for (auto& v : y) v = static_cast<int>(rng.below(static_cast<std::uint64_t>(k)));
    return y;
}

// Three well-separated Gaussian blobs in 2-D (centres 5 apart, std 0.4).
struct Blobs {
    Tensor<float> X;
    std::vector<int> y;
};
Blobs make_blobs(std::size_t per_class, std::uint64_t seed) {
    const float centres[3][2] = {{0.f, 3.f}, {-3.f, -2.f}, {3.f, -2.f}};
    Rng rng(seed);
    Blobs b{Tensor<float>::empty(Shape{3 * per_class, 2}), {}};
    for (std::size_t i = 0; i < 3 * per_class; ++i) {
        const int c = static_cast<int>(i % 3);
        b.X(i, 0) = centres[c][0] + 0.4f * static_cast<float>(rng.normal());
        b.X(i, 1) = centres[c][1] + 0.4f * static_cast<float>(rng.normal());
        b.y.push_back(c);
    }
    return b;
}

struct ModelCase {
    std::vector<std::size_t> hidden;
    std::string activation;
    std::string loss;
};

class ModelGradTest : public ::testing::TestWithParam<ModelCase> {};

TEST_P(ModelGradTest, EveryParameterAndInputMatchCentralDifferences) {
    const ModelCase& c = GetParam();
    ModelSpec spec{.n_inputs = 5,
                   .hidden = c.hidden,
                   .activation = parse_activation(c.activation),
                   .n_classes = 3,
                   .init = {InitKind::XavierUniform},
                   .seed = 17,
                   .loss = parse_name<LossKind>(kLossNames, c.loss, "loss")};
    Model<double> model(spec);
    Rng rng(4);
    // Non-zero biases so that the bias gradients are checked at a generic point.
    for (auto& p : model.parameters())
        if (p.name.back() == 'b') fill_uniform(*p.value, -0.3, 0.3, rng);
    Tensor<double> x = normal<double>(Shape{4, 5}, 0.0, 1.0, rng);
    std::vector<int> labels = random_labels(4, 3, 5);
    GradCheckReport r = gradcheck(model, x, labels);
    // Kinked activations: every hidden pre-activation is > 1e-3 away from 0 for these seeds,
    // asserted so that a change of data cannot silently cross a kink.
    for (auto* fc : model.layers())
        for (double z : fc->z()) ASSERT_GT(std::abs(z), 1e-3);
    ASSERT_EQ(r.entries.size(), 2 * (c.hidden.size() + 1) + 1);
    EXPECT_EQ(r.entries.front().name, "layers.0.W");
    EXPECT_EQ(r.entries.back().name, "input");
    EXPECT_LE(r.max_rel_error(), kGradTol) << r.to_string();
}

INSTANTIATE_TEST_SUITE_P(TwoAndThreeLayers, ModelGradTest,
                         ::testing::Values(ModelCase{{7}, "tanh", "cross_entropy"},
                                           ModelCase{{7}, "relu", "cross_entropy"},
                                           ModelCase{{7}, "sigmoid", "mse"},
                                           ModelCase{{6, 5}, "tanh", "cross_entropy"},
                                           ModelCase{{6, 5}, "relu", "cross_entropy"},
                                           ModelCase{{6, 5}, "gelu", "cross_entropy"},
                                           ModelCase{{6, 5}, "elu", "bce"},
                                           ModelCase{{6, 5}, "leaky_relu:0.1", "cross_entropy"}),
                         [](const auto& info) {
                             std::string s = std::to_string(info.param.hidden.size() + 1) +
                                             "layers_" + info.param.activation + "_" +
                                             info.param.loss;
                             for (char& ch : s)
                                 if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
                             return s;
                         });

TEST(Model, ArchitectureAndParameterNames) {
    Model<float> m(ModelSpec{.n_inputs = 4,
                             .hidden = {8, 6},
                             .activation = ActivationKind::ReLU,
                             .n_classes = 3,
                             .init = {InitKind::HeNormal},
                             .seed = 1});
    EXPECT_EQ(m.layer_sizes(), (std::vector<std::size_t>{4, 8, 6, 3}));
    const std::vector<ActivationSpec> acts{ActivationKind::ReLU, ActivationKind::ReLU,
                                           ActivationKind::Identity};
    EXPECT_EQ(m.layer_activations(), acts);
    EXPECT_EQ(m.spec().activation, ActivationSpec(ActivationKind::ReLU));
    EXPECT_EQ(m.spec().init, Init{InitKind::HeNormal});
    EXPECT_EQ(m.summary(), "4 -> 8 (relu) -> 6 (relu) -> 3 (identity), loss cross_entropy");
    auto ps = m.parameters();
    std::vector<std::string> names;
    for (auto& p : ps) names.push_back(p.name);
    EXPECT_EQ(names, (std::vector<std::string>{"layers.0.W", "layers.0.b", "layers.1.W",
                                               "layers.1.b", "layers.2.W", "layers.2.b"}));
    EXPECT_EQ(ps[2].value->shape(), (Shape{8, 6}));
    EXPECT_EQ(m.num_parameters(), 4u * 8 + 8 + 8 * 6 + 6 + 6 * 3 + 3);
}

TEST(Model, SameSeedSameWeights) {
    ModelSpec spec{.n_inputs = 3, .hidden = {5}, .n_classes = 2, .seed = 99};
    Model<float> a(spec), b(spec);
    auto pa = a.parameters(), pb = b.parameters();
    for (std::size_t i = 0; i < pa.size(); ++i)
        EXPECT_EQ(std::memcmp(pa[i].value->data(), pb[i].value->data(),
                              pa[i].value->size() * sizeof(float)),
                  0);
    spec.seed = 100;
    Model<float> c(spec);
    EXPECT_NE((*c.parameters()[0].value)[0], (*pa[0].value)[0]);
}

TEST(Model, TrainsToFullAccuracyOnSeparableData) {
    Blobs data = make_blobs(20, 3);
    Model<float> m(ModelSpec{.n_inputs = 2,
                             .hidden = {16},
                             .activation = ActivationKind::ReLU,
                             .n_classes = 3,
                             .seed = 42});
    Adam<float> opt(m.parameters(), /*lr=*/0.05);
    const float first = m.train_step(data.X, data.y, opt);
    float last = first;
    for (int step = 0; step < 200; ++step) last = m.train_step(data.X, data.y, opt);
    EXPECT_LT(last, first);
    EvalResult r = m.evaluate(data.X, data.y, 7);  // 7: batches that do not divide 60
    EXPECT_EQ(r.n, 60u);
    EXPECT_EQ(r.correct, 60u);
    EXPECT_EQ(r.accuracy, 1.0);
    // evaluate's batched loss equals the full-batch loss: float sums of 60 terms of O(0.01).
    EXPECT_NEAR(r.loss, m.compute_loss(data.X, data.y), 1e-5);
    std::vector<int> pred = m.predict(data.X);
    EXPECT_EQ(pred, data.y);
}

TEST(Model, BitIdenticalWeightsWithOneAndTwoThreads) {
    // Large enough that the element-wise, softmax and loss loops cross kParallelThreshold
    // (512 x 256 = 131072 elements) and so run in parallel with two threads.
    Rng rng(8);
    Tensor<float> X = normal<float>(Shape{512, 16}, 0.f, 1.f, rng);
    std::vector<int> y = random_labels(512, 3, 9);
    auto train = [&](int threads) {
        set_threads(threads);
        Model<float> m(ModelSpec{.n_inputs = 16,
                                 .hidden = {256},
                                 .activation = ActivationKind::GELU,
                                 .n_classes = 3,
                                 .seed = 5});
        OptimizerConfig oc;
        oc.kind = OptimizerKind::Adam;
        oc.lr = 0.01;
        oc.clip_norm = 1.0;
        auto opt = make_optimizer<float>(oc, m.parameters());
        for (int s = 0; s < 4; ++s) m.train_step(X, y, *opt);
        std::vector<float> w;
        for (auto& p : m.parameters()) w.insert(w.end(), p.value->begin(), p.value->end());
        return w;
    };
    const int saved = max_threads();
    std::vector<float> w1 = train(1), w2 = train(2);
    set_threads(saved);
    ASSERT_EQ(w1.size(), w2.size());
    EXPECT_EQ(std::memcmp(w1.data(), w2.data(), w1.size() * sizeof(float)), 0);
}

TEST(Model, PredictProbaRowsSumToOne) {
    Model<float> m(ModelSpec{.n_inputs = 3, .hidden = {4}, .n_classes = 5, .seed = 2});
    Rng rng(1);
    Tensor<float> x = normal<float>(Shape{6, 3}, 0.f, 10.f, rng);
    const Tensor<float>& p = m.predict_proba(x);
    ASSERT_EQ(p.shape(), (Shape{6, 5}));
    std::vector<int> pred = m.predict(x);
    for (std::size_t r = 0; r < 6; ++r) {
        float s = 0;
        std::size_t best = 0;
        for (std::size_t k = 0; k < 5; ++k) {
            s += p(r, k);
            if (p(r, k) > p(r, best)) best = k;
        }
        EXPECT_NEAR(s, 1.0f, 1e-6f);  // five float terms
        EXPECT_EQ(pred[r], static_cast<int>(best));
    }
}

// An input so large that the products overflow gives logits of inf and NaN: such a row has
// no prediction (it used to be class 0, a class that looks real) and evaluate counts it.
TEST(Model, RowsWithNonFiniteLogitsHaveNoPrediction) {
    Model<float> m(ModelSpec{.n_inputs = 2, .hidden = {8}, .n_classes = 3, .seed = 4});
    auto x = Tensor<float>::from_vector({0.5f, -0.25f, 3e38f, -3e38f, 1.0f, 2.0f}, Shape{3, 2});
    const std::vector<int> pred = m.predict(x);
    EXPECT_GE(pred[0], 0);
    EXPECT_EQ(pred[1], Model<float>::kNoPrediction);
    EXPECT_GE(pred[2], 0);
    const std::vector<int> labels = {pred[0], 0, pred[2]};
    EvalResult r = m.evaluate(x, labels);
    EXPECT_EQ(r.non_finite, 1u);
    EXPECT_EQ(r.correct, 2u);  // the non-finite row is wrong whatever its label
    EXPECT_TRUE(weights_finite(m));
    m.parameter("layers.0.W").value->data()[3] = std::numeric_limits<float>::quiet_NaN();
    EXPECT_FALSE(weights_finite(m));
}

TEST(Model, SetParameterChecksNameAndShape) {
    Model<float> m(ModelSpec{.n_inputs = 3, .hidden = {4}, .n_classes = 2});
    m.set_parameter("layers.1.b", Tensor<float>{0.5f, -0.5f});
    EXPECT_EQ((*m.parameter("layers.1.b").value)[1], -0.5f);
    try {
        m.set_parameter("layers.0.W", Tensor<float>::zeros(Shape{4, 3}));
        FAIL() << "expected an exception";
    } catch (const std::invalid_argument& e) {
        std::string msg = e.what();
        EXPECT_NE(msg.find("3x4"), std::string::npos) << msg;
        EXPECT_NE(msg.find("4x3"), std::string::npos) << msg;
    }
    try {
        m.set_parameter("layers.7.W", Tensor<float>::zeros(Shape{1, 1}));
        FAIL() << "expected an exception";
    } catch (const std::invalid_argument& e) {
        std::string msg = e.what();
        EXPECT_NE(msg.find("layers.7.W"), std::string::npos) << msg;
        EXPECT_NE(msg.find("layers.1.b"), std::string::npos) << msg;
    }
}

TEST(Model, ErrorPaths) {
    Model<float> m(ModelSpec{.n_inputs = 3, .hidden = {4}, .n_classes = 2});
    SGD<float> opt(m.parameters(), 0.1);
    std::vector<int> bad = {0, 2};
    try {
        m.train_step(Tensor<float>::zeros(Shape{2, 3}), bad, opt);
        FAIL() << "expected an exception";
    } catch (const std::invalid_argument& e) {
        std::string msg = e.what();
        EXPECT_NE(msg.find("label 2"), std::string::npos) << msg;
        EXPECT_NE(msg.find("2x2"), std::string::npos) << msg;
    }
    try {
        m.forward(Tensor<float>::zeros(Shape{2, 4}));
        FAIL() << "expected an exception";
    } catch (const std::invalid_argument& e) {
        std::string msg = e.what();
        EXPECT_NE(msg.find("2x4"), std::string::npos) << msg;
        EXPECT_NE(msg.find("3x4"), std::string::npos) << msg;
    }
    auto field_of = [](const ModelSpec& spec) -> std::string {
        try {
            Model<float> bad_model(spec);
        } catch (const ConfigError& e) {
            return e.field();
        }
        return "(no error)";
    };
    EXPECT_EQ(field_of({.n_inputs = 3, .hidden = {}, .n_classes = 0}), "model.n_classes");
    EXPECT_EQ(field_of({.n_inputs = 3, .hidden = {4, 0}, .n_classes = 2}), "model.hidden");
    EXPECT_EQ(
        field_of(
            {.n_inputs = 3, .hidden = {4}, .activation = ActivationKind::SoftMax, .n_classes = 2}),
        "model.activation");
    // Names are parsed at the edge, once: a typo never reaches a Model.
    EXPECT_THROW(parse_activation("swish"), std::invalid_argument);
    EXPECT_THROW(parse_init("orthogonal"), std::invalid_argument);
    EXPECT_THROW(parse_name<LossKind>(kLossNames, "hinge", "loss"), std::invalid_argument);
}

std::vector<float> flat_weights(Model<float>& m) {
    std::vector<float> w;
    for (auto& p : m.parameters()) w.insert(w.end(), p.value->begin(), p.value->end());
    return w;
}

// The loop a user writes by hand is train_step, to the bit; and both equal a plain loop
// that zeroes every gradient and computes the first layer's input gradient (the work the
// fast path skips), up to the sign of zero (0 + x and x differ only for x = -0).
TEST(Model, ExplicitLoopIsTrainStepBitForBit) {
    Rng rng(12);
    Tensor<float> X = normal<float>(Shape{40, 6}, 0.f, 1.f, rng);
    std::vector<int> y = random_labels(40, 3, 13);
    const ModelSpec spec{.n_inputs = 6,
                         .hidden = {9, 7},
                         .activation = ActivationKind::TanH,
                         .n_classes = 3,
                         .seed = 8};
    OptimizerConfig oc;
    oc.lr = 0.1;
    oc.momentum = 0.9;
    oc.clip_norm = 0.5;  // small enough to clip: the clipping is part of the step
    Model<float> a(spec), b(spec), c(spec);
    auto oa = make_optimizer<float>(oc, a.parameters());
    auto ob = make_optimizer<float>(oc, b.parameters());
    auto ocp = make_optimizer<float>(oc, c.parameters());
    for (int step = 0; step < 6; ++step) {
        Tensor<float> xb = X.rows(step * 5 % 35, step * 5 % 35 + 5);
        std::span<const int> yb = std::span<const int>(y).subspan(step * 5 % 35, 5);
        const float la = a.train_step(xb, yb, *oa);

        b.zero_grad();
        const float lb = b.loss().forward(b.forward(xb), yb);
        b.backward(b.loss().backward());
        ob->step();

        for (auto& p : c.parameters()) p.grad->zero();
        const float lc = c.loss().forward(c.forward(xb), yb);
        const Tensor<float>& dx = c.backward(c.loss().backward(), /*input_grad=*/true);
        EXPECT_EQ(dx.shape(), xb.shape());
        ocp->step();

        EXPECT_EQ(std::memcmp(&la, &lb, sizeof la), 0);
        EXPECT_EQ(la, lc);
        EXPECT_GT(oa->last_grad_norm(), oc.clip_norm) << "the test must exercise clipping";
    }
    const std::vector<float> wa = flat_weights(a), wb = flat_weights(b), wc = flat_weights(c);
    ASSERT_EQ(wa.size(), wb.size());
    EXPECT_EQ(std::memcmp(wa.data(), wb.data(), wa.size() * sizeof(float)), 0);
    EXPECT_EQ(wa, wc);
}

// The optimiser step fused into the backward (Model::backward_and_step, what train_step runs)
// gives the bits of backward then step, for every update rule, on 1 and 2 threads, with each
// way FullyConnected can take W (its cache rule, every W by blocks, every W whole). In
// 600-512-16-3 the first dW product (600x512 by the batch) runs packed, the others unpacked;
// at batch 128 the output layer's (16x3x128) is computed as C^T. The fused path must really
// run (last_step_fused), or the test would compare the separate step with itself.
TEST(Model, FusedStepIsTheSeparateStepBitForBit) {
    Rng rng(21);
    Tensor<float> X = normal<float>(Shape{256, 600}, 0.f, 1.f, rng);
    std::vector<int> y = random_labels(256, 3, 22);
    using FusedW = FullyConnected<float>::FusedW;
    const ModelSpec spec{.n_inputs = 600, .hidden = {512, 16}, .n_classes = 3, .seed = 4};
    std::vector<OptimizerConfig> configs(5);
    configs[0].lr = 0.05;
    configs[1].momentum = 0.9;
    configs[1].weight_decay = 1e-3;
    configs[2].momentum = 0.8;
    configs[2].nesterov = true;
    configs[3].kind = OptimizerKind::Adam;
    configs[3].weight_decay = 1e-2;
    configs[4].kind = OptimizerKind::AdamW;
    configs[4].weight_decay = 1e-2;
    const int saved = max_threads();
    for (FusedW how : {FusedW::Auto, FusedW::Blocks, FusedW::Whole})
        for (int threads : {1, 2})
            for (const OptimizerConfig& oc : configs) {
                set_threads(threads);
                SCOPED_TRACE(to_string(oc.kind) + " momentum " + std::to_string(oc.momentum) +
                             (oc.nesterov ? " nesterov" : "") + ", " + std::to_string(threads) +
                             " thread(s), W " + std::to_string(int(how)));
                Model<float> fused(spec), separate(spec);
                for (FullyConnected<float>* layer : fused.layers()) layer->set_fused_w(how);
                separate.set_fused_step(false);
                auto of = make_optimizer<float>(oc, fused.parameters());
                auto os = make_optimizer<float>(oc, separate.parameters());
                const std::size_t begin[] = {0, 32, 160}, rows[] = {32, 128, 64};
                for (int step = 0; step < 3; ++step) {
                    Tensor<float> xb = X.rows(begin[step], begin[step] + rows[step]);
                    std::span<const int> yb =
                        std::span<const int>(y).subspan(begin[step], rows[step]);
                    fused.train_step(xb, yb, *of);
                    EXPECT_TRUE(fused.last_step_fused());
                    separate.train_step(xb, yb, *os);
                    EXPECT_FALSE(separate.last_step_fused());
                }
                const std::vector<float> wf = flat_weights(fused), ws = flat_weights(separate);
                ASSERT_EQ(wf.size(), ws.size());
                EXPECT_EQ(std::memcmp(wf.data(), ws.data(), wf.size() * sizeof(float)), 0);
                const auto sf = of->state(), ss = os->state();
                ASSERT_EQ(sf.size(), ss.size());
                for (std::size_t i = 0; i < sf.size(); ++i)
                    EXPECT_EQ(std::memcmp(sf[i].value->data(), ss[i].value->data(),
                                          sf[i].value->size() * sizeof(float)),
                              0)
                        << sf[i].name;
            }
    set_threads(saved);
}

// A model with activation modules between its layers (Model::sequential) fuses too: they have
// no parameters to hand over.
TEST(Model, FusedStepWithActivationModules) {
    Rng rng(41);
    Tensor<float> X = normal<float>(Shape{24, 4}, 0.f, 1.f, rng);
    std::vector<int> y = random_labels(24, 2, 42);
    auto make = [] {
        return Model<float>::sequential(linear<float>(4, 5), std::make_unique<TanH<float>>(),
                                        linear<float>(5, 2));
    };
    Model<float> fused = make(), separate = make();
    separate.set_fused_step(false);
    OptimizerConfig oc;
    oc.momentum = 0.9;
    auto of = make_optimizer<float>(oc, fused.parameters());
    auto os = make_optimizer<float>(oc, separate.parameters());
    for (int step = 0; step < 3; ++step) {
        fused.train_step(X, y, *of);
        EXPECT_TRUE(fused.last_step_fused());
        separate.train_step(X, y, *os);
    }
    EXPECT_EQ(flat_weights(fused), flat_weights(separate));
}

// A backward that throws before any update (dlogits of the wrong shape) leaves the weights and
// the optimiser's step count as they were, as the separate step does.
TEST(Model, FusedStepThatThrowsLeavesTheOptimiserUntouched) {
    const ModelSpec spec{.n_inputs = 3, .hidden = {4}, .n_classes = 2, .seed = 1};
    Model<float> m(spec);
    OptimizerConfig oc;
    oc.kind = OptimizerKind::Adam;
    auto opt = make_optimizer<float>(oc, m.parameters());
    Rng rng(43);
    const Tensor<float> x = normal<float>(Shape{5, 3}, 0.f, 1.f, rng);
    m.zero_grad();
    m.forward(x);
    const std::vector<float> before = flat_weights(m);
    const Tensor<float> wrong = Tensor<float>::zeros(Shape{4, 2});  // the forward had 5 rows
    EXPECT_THROW(m.backward_and_step(wrong, *opt), std::invalid_argument);
    EXPECT_EQ(opt->step_count(), 0);
    EXPECT_EQ(flat_weights(m), before);
}

// Where the step cannot be fused, backward_and_step is backward then step: with clipping
// (every gradient is needed first), an optimiser over part of the model, and a second
// backward that accumulates onto the first (no zero_grad in between).
TEST(Model, BackwardAndStepFallsBackWhereItCannotFuse) {
    Rng rng(31);
    Tensor<float> X = normal<float>(Shape{20, 5}, 0.f, 1.f, rng);
    std::vector<int> y = random_labels(20, 3, 32);
    const ModelSpec spec{.n_inputs = 5, .hidden = {8}, .n_classes = 3, .seed = 6};
    OptimizerConfig oc;
    oc.lr = 0.1;
    oc.momentum = 0.9;
    auto expect_same = [](Model<float>& a, Model<float>& b, const char* what) {
        const std::vector<float> wa = flat_weights(a), wb = flat_weights(b);
        EXPECT_EQ(std::memcmp(wa.data(), wb.data(), wa.size() * sizeof(float)), 0) << what;
    };
    {
        OptimizerConfig clip = oc;
        clip.clip_norm = 0.1;
        Model<float> a(spec), b(spec);
        auto oa = make_optimizer<float>(clip, a.parameters());
        auto ob = make_optimizer<float>(clip, b.parameters());
        a.train_step(X, y, *oa);
        EXPECT_FALSE(a.last_step_fused()) << "clipping";
        b.zero_grad();
        b.loss().forward(b.forward(X), y);
        b.backward(b.loss().backward());
        ob->step();
        expect_same(a, b, "clipping");
    }
    {
        Model<float> a(spec), b(spec);
        std::vector<Param<float>> pa = a.parameters(), pb = b.parameters();
        pa.pop_back();  // the last bias stays fixed
        pb.pop_back();
        SGD<float> oa(pa, oc), ob(pb, oc);
        const std::vector<float> before = flat_weights(a);
        a.train_step(X, y, oa);
        EXPECT_FALSE(a.last_step_fused()) << "part of the model";
        b.zero_grad();
        b.loss().forward(b.forward(X), y);
        b.backward(b.loss().backward());
        ob.step();
        expect_same(a, b, "part of the model");
        EXPECT_EQ(flat_weights(a).back(), before.back()) << "a parameter outside the optimiser";
    }
    {
        Model<float> a(spec), b(spec);
        auto oa = make_optimizer<float>(oc, a.parameters());
        auto ob = make_optimizer<float>(oc, b.parameters());
        a.zero_grad();
        a.loss().forward(a.forward(X.rows(0, 10)), std::span<const int>(y).subspan(0, 10));
        a.backward(a.loss().backward());
        a.loss().forward(a.forward(X.rows(10, 20)), std::span<const int>(y).subspan(10, 10));
        a.backward_and_step(a.loss().backward(), *oa);
        EXPECT_FALSE(a.last_step_fused()) << "accumulation";
        b.zero_grad();
        b.loss().forward(b.forward(X.rows(0, 10)), std::span<const int>(y).subspan(0, 10));
        b.backward(b.loss().backward());
        b.loss().forward(b.forward(X.rows(10, 20)), std::span<const int>(y).subspan(10, 10));
        b.backward(b.loss().backward());
        ob->step();
        expect_same(a, b, "accumulation");
    }
}

// Model::sequential with typed layers is the ModelSpec network when given the same seeds.
TEST(Model, SequentialOfTypedLayersEqualsTheSpec) {
    const ModelSpec spec{.n_inputs = 4,
                         .hidden = {16},
                         .activation = ActivationKind::ReLU,
                         .n_classes = 3,
                         .seed = 42};
    Model<float> from_spec(spec);
    Rng seeds(42);  // the spec's rule: layer i is seeded with the i-th draw of Rng(seed)
    const std::uint64_t s0 = seeds.next_u64(), s1 = seeds.next_u64();
    auto typed = Model<float>::sequential(linear<float>(4, 16, ActivationKind::ReLU, {}, s0),
                                          linear<float>(16, 3, ActivationKind::Identity, {}, s1));
    EXPECT_EQ(typed.summary(), from_spec.summary());
    EXPECT_EQ(typed.layer_sizes(), from_spec.layer_sizes());
    EXPECT_EQ(flat_weights(typed), flat_weights(from_spec));
    // A module that is not a layer gets a "modules.<j>" name and is printed by name.
    auto mixed = Model<float>::sequential(linear<float>(4, 5), std::make_unique<TanH<float>>(),
                                          linear<float>(5, 2));
    EXPECT_EQ(mixed.summary(), "4 -> 5 (identity) -> tanh -> 2 (identity), loss cross_entropy");
    EXPECT_EQ(mixed.parameters()[2].name, "layers.1.W");
    EXPECT_EQ(mixed.layers().size(), 2u);
}

}  // namespace
}  // namespace ffnn
