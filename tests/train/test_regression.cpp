// Regression end to end through the library: prepare_data takes the target columns out of a
// CSV file, fit trains on mse, and the metrics are in the targets' units. Known answers: a
// linear target that a network without a hidden layer must recover (its coefficients read
// back through the saved scaling), and a smooth non-linear pair of targets.
#include <gtest/gtest.h>

#include <cmath>
#include <sstream>
#include <string>

#include "ffnn/nn/config_error.hpp"
#include "ffnn/tensor/parallel.hpp"
#include "ffnn/train/data_parallel.hpp"
#include "ffnn/train/regression_metrics.hpp"
#include "ffnn/train/trainer.hpp"
#include "test_helpers.hpp"

using namespace ffnn;

namespace {

// 400 rows on a 20 x 20 grid of (a, b) in [-1, 1]^2, a noise column c that no target uses,
// and the targets of `f(a, b)` (one column per name).
template <class F>
std::string grid_csv(const std::vector<std::string>& targets, F f) {
    std::ostringstream s;
    s.precision(9);
    s << "a,b,c";
    for (const auto& t : targets) s << "," << t;
    s << "\n";
    for (int i = 0; i < 20; ++i)
        for (int j = 0; j < 20; ++j) {
            const double a = -1 + i / 9.5, b = -1 + j / 9.5, c = ((i * 7 + j * 3) % 11) / 11.0;
            s << a << "," << b << "," << c;
            for (double y : f(a, b)) s << "," << y;
            s << "\n";
        }
    return s.str();
}

TrainConfig regression_config(const std::string& csv, const std::string& label) {
    TrainConfig c;
    c.data.csv = csv;
    c.data.label = label;
    c.data.task = LabelTask::Regression;
    c.batch_size = 16;
    return c;
}

struct Trained {
    PreparedData data;
    Model<float> model;
    TrainOutcome out;
};

// f throws a ConfigError about `field` whose message holds `part`.
template <class F>
void expect_config_error(F f, const std::string& field, const std::string& part) {
    try {
        f();
        ADD_FAILURE() << "no ConfigError for " << field;
    } catch (const ConfigError& e) {
        EXPECT_EQ(e.field(), field) << e.what();
        EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
    }
}

Trained train(const TrainConfig& c) {
    PreparedData data = prepare_data(c);
    Model<float> model = build_model(c, data.train.num_features(), data.num_outputs());
    TrainOutcome out = fit(model, data, c);
    return {std::move(data), std::move(model), std::move(out)};
}

}  // namespace

TEST(Regression, PrepareDataTakesTheTargetsOutAndScalesThemOnTheTrainingPart) {
    ffnn_test::TempDir tmp;
    const std::string csv = tmp.file("lin.csv");
    ffnn_test::write_bytes(csv, grid_csv({"y"}, [](double a, double b) {
                               return std::vector<double>{100 + 20 * a - 30 * b};
                           }));
    PreparedData d = prepare_data(regression_config(csv, ""));  // no label: the last column
    ASSERT_TRUE(d.regression());
    EXPECT_EQ(d.train.feature_names, (std::vector<std::string>{"a", "b", "c"}));
    EXPECT_EQ(d.train.target_names, (std::vector<std::string>{"y"}));
    EXPECT_EQ(d.label_column, "y");
    EXPECT_EQ(d.num_outputs(), 1u);
    EXPECT_EQ(d.train.size() + d.val.size() + d.test.size(), 400u);
    EXPECT_EQ(d.test.size(), 80u);  // test_split 0.2
    ASSERT_TRUE(d.target_standardizer.fitted());
    // Standardised on the training part: mean 0 and population sd 1 there, in double.
    double sum = 0, sq = 0;
    for (std::size_t i = 0; i < d.train.size(); ++i) sum += d.train.targets(i, 0);
    const double mean = sum / double(d.train.size());
    for (std::size_t i = 0; i < d.train.size(); ++i)
        sq += (d.train.targets(i, 0) - mean) * (d.train.targets(i, 0) - mean);
    EXPECT_NEAR(mean, 0.0, 1e-6);
    EXPECT_NEAR(std::sqrt(sq / double(d.train.size())), 1.0, 1e-6);
    // The targets are not among the features, and the outputs say what they are.
    const ModelOutputs o = d.outputs();
    EXPECT_EQ(o.task, ModelTask::Regression);
    EXPECT_EQ(o.names, d.train.target_names);
    EXPECT_TRUE(o.scales_targets());

    TrainConfig raw = regression_config(csv, "y");
    raw.data.standardize_targets = false;
    PreparedData r = prepare_data(raw);
    EXPECT_FALSE(r.target_standardizer.fitted());
    EXPECT_FLOAT_EQ(
        r.train.targets(0, 0),
        d.target_standardizer.mean()(0) + d.target_standardizer.scale()(0) * d.train.targets(0, 0));
}

TEST(Regression, ALinearNetworkRecoversALinearTarget) {
    // y = 100 + 20 a - 30 b exactly; the network (no hidden layer) is linear in the
    // standardised units, so it can fit y to float rounding. After training, the predictions
    // at (a, b) = (0, 0), (1, 0), (0, 1) read back the intercept and both coefficients; c
    // must get no weight. Tolerances: 1e-3 of the target's scale (sd ~ 21), far above float
    // rounding of the fitted weights and far below any real misfit.
    ffnn_test::TempDir tmp;
    const std::string csv = tmp.file("lin.csv");
    ffnn_test::write_bytes(csv, grid_csv({"y"}, [](double a, double b) {
                               return std::vector<double>{100 + 20 * a - 30 * b};
                           }));
    TrainConfig c = regression_config(csv, "y");
    c.model.hidden = {};
    c.epochs = 150;
    c.optimizer.lr = 0.02;
    Trained t = train(c);
    ASSERT_FALSE(t.out.diverged) << t.out.message;
    ASSERT_EQ(t.out.test_metrics.per_target.size(), 1u);
    const TargetMetrics& m = t.out.test_metrics.per_target[0];
    EXPECT_GT(m.r2, 1 - 1e-7);
    EXPECT_LT(m.rmse, 0.02);
    EXPECT_NEAR(m.rmse * m.rmse, m.mse, 1e-9 + 1e-6 * m.mse);

    // Raw inputs -> standardised -> network -> targets' units.
    Tensor<float> probe = Tensor<float>::zeros(Shape{3, 3});
    probe(0, 2) = probe(1, 2) = probe(2, 2) = 0.5f;
    probe(1, 0) = 1;  // a = 1
    probe(2, 1) = 1;  // b = 1
    t.data.standardizer.transform(probe);
    const Tensor<float> y = predict_values(t.model, probe, t.data.target_standardizer);
    EXPECT_NEAR(y(0, 0), 100.0, 0.02);
    EXPECT_NEAR(y(1, 0) - y(0, 0), 20.0, 0.02);
    EXPECT_NEAR(y(2, 0) - y(0, 0), -30.0, 0.02);
}

TEST(Regression, TwoNonLinearTargetsAreLearned) {
    // y1 = sin(2a) + b^2 and y2 = a b: smooth, so 32 tanh units fit both closely on the grid.
    // Thresholds: R^2 0.97 on the held-out rows (the run reaches about 0.99; a network that
    // ignored one input, or a target mixed up with the other, stays far below).
    ffnn_test::TempDir tmp;
    const std::string csv = tmp.file("two.csv");
    ffnn_test::write_bytes(csv, grid_csv({"y1", "y2"}, [](double a, double b) {
                               return std::vector<double>{std::sin(2 * a) + b * b, a * b};
                           }));
    TrainConfig c = regression_config(csv, "y1, y2");
    c.model.hidden = {32};
    c.model.activation = ActivationKind::TanH;
    c.optimizer.kind = OptimizerKind::Adam;
    c.optimizer.momentum = 0;
    c.optimizer.lr = 0.01;
    c.epochs = 200;
    Trained t = train(c);
    ASSERT_FALSE(t.out.diverged) << t.out.message;
    EXPECT_EQ(t.data.train.target_names, (std::vector<std::string>{"y1", "y2"}));
    ASSERT_EQ(t.out.test_metrics.per_target.size(), 2u);
    for (const TargetMetrics& m : t.out.test_metrics.per_target) EXPECT_GT(m.r2, 0.97);
    // The mean is the mean of the two.
    const auto& p = t.out.test_metrics.per_target;
    EXPECT_DOUBLE_EQ(t.out.test_metrics.mean.r2, (p[0].r2 + p[1].r2) / 2);
    // Each epoch's record carries the metrics; accuracy does not exist.
    ASSERT_EQ(t.out.history.size(), c.epochs);
    EXPECT_TRUE(std::isnan(t.out.history.back().train_accuracy));
    EXPECT_GT(t.out.history.back().val_metrics.r2, 0.9);
    EXPECT_LT(t.out.history.back().train_loss, t.out.history.front().train_loss);
}

TEST(Regression, TheSameSeedGivesTheSameBitsOnOneAndTwoThreads) {
    ffnn_test::TempDir tmp;
    const std::string csv = tmp.file("two.csv");
    ffnn_test::write_bytes(csv, grid_csv({"y1", "y2"}, [](double a, double b) {
                               return std::vector<double>{std::sin(2 * a) + b * b, a * b};
                           }));
    TrainConfig c = regression_config(csv, "y1,y2");
    c.batch_size = 512;  // two shards of 256 rows... of a 280-row training part: one batch
    c.epochs = 5;
    const int threads_before = max_threads();
    c.threads = 1;
    Trained one = train(c);
    c.threads = 2;
    Trained two = train(c);
    set_threads(threads_before);
    for (std::size_t e = 0; e < c.epochs; ++e) {
        EXPECT_EQ(one.out.history[e].train_loss, two.out.history[e].train_loss) << e;
        EXPECT_EQ(one.out.history[e].val_metrics.mse, two.out.history[e].val_metrics.mse) << e;
    }
    const auto& a = one.model.parameter_list();
    const auto& b = two.model.parameter_list();
    for (std::size_t i = 0; i < a.size(); ++i)
        for (std::size_t k = 0; k < a[i].value->size(); ++k)
            ASSERT_EQ(a[i].value->data()[k], b[i].value->data()[k]) << a[i].name;
}

TEST(Regression, ShardedStepsWithTargetsMatchTheWholeBatchStep) {
    // The same step cut into 3 shards (their gradients summed, each row weighted 1 / N) and
    // taken whole: the same weights up to float rounding of the sums (1e-6 relative).
    ModelSpec spec;
    spec.n_inputs = 3;
    spec.hidden = {5};
    spec.n_classes = 2;
    spec.loss = LossKind::MSE;
    spec.seed = 7;
    Model<float> whole(spec), sharded(spec);
    Tensor<float> x = Tensor<float>::empty(Shape{10, 3}), y = Tensor<float>::empty(Shape{10, 2});
    for (std::size_t i = 0; i < x.size(); ++i) x.data()[i] = std::sin(0.7f * float(i));
    for (std::size_t i = 0; i < y.size(); ++i) y.data()[i] = std::cos(1.3f * float(i));
    OptimizerConfig oc;
    oc.lr = 0.1;
    auto o1 = make_optimizer<float>(oc, whole.parameters());
    auto o2 = make_optimizer<float>(oc, sharded.parameters());
    DataParallelStep step1(whole, *o1, nullptr, 1, ReduceKind::Fixed);
    DataParallelStep step3(sharded, *o2, nullptr, 3, ReduceKind::Fixed);
    const float l1 = step1.step(x, y), l3 = step3.step(x, y);
    EXPECT_NEAR(l1, l3, 1e-6 * std::fabs(l1));
    const auto& a = whole.parameter_list();
    const auto& b = sharded.parameter_list();
    for (std::size_t i = 0; i < a.size(); ++i)
        for (std::size_t k = 0; k < a[i].value->size(); ++k)
            EXPECT_NEAR(a[i].value->data()[k], b[i].value->data()[k],
                        1e-6 * (1 + std::fabs(a[i].value->data()[k])))
                << a[i].name;
    Tensor<float> short_y = Tensor<float>::empty(Shape{9, 2});
    EXPECT_THROW_CONTAINS(step3.step(x, short_y), std::invalid_argument, "9x2", "10 rows");
}

TEST(Regression, BadRegressionDataAndSettingsAreRefusedByName) {
    ffnn_test::TempDir tmp;
    const std::string csv = tmp.file("lin.csv");
    ffnn_test::write_bytes(csv, "a,b,y\n1,2,3\n2,3,x5\n");
    EXPECT_THROW_CONTAINS(prepare_data(regression_config(csv, "y")), std::runtime_error,
                          "lin.csv:3", "column 'y'", "expected a finite number");
    ffnn_test::write_bytes(csv, "a,b,y\n1,2,3\n2,3,5\n3,1,4\n4,4,4\n5,2,1\n");
    EXPECT_THROW_CONTAINS(prepare_data(regression_config(csv, "z")), std::runtime_error,
                          "no numeric column 'z'", "a, b, y");
    EXPECT_THROW_CONTAINS(prepare_data(regression_config(csv, "a,b,y")), std::runtime_error,
                          "no feature is left");
    expect_config_error([&] { prepare_data(regression_config(csv, "y,y")); }, "data.label",
                        "named twice");
    TrainConfig tiny = regression_config(csv, "y");
    tiny.data.val_split = 0.4;
    tiny.data.test_split = 0.4;
    EXPECT_THROW_CONTAINS(prepare_data(tiny), std::runtime_error, "5 rows leave 1 row",
                          "at least 2");
    TrainConfig named = regression_config("", "y");
    expect_config_error([&] { named.validate(); }, "data.task", "iris");
    TrainConfig several;
    several.data.csv = csv;
    several.data.label = "b,y";
    expect_config_error([&] { several.validate(); }, "data.label", "task regression");
    TrainConfig weighted = regression_config(csv, "y");
    weighted.class_weight = "balanced";
    expect_config_error([&] { weighted.validate(); }, "class_weight", "classification");
    TrainConfig accuracy = regression_config(csv, "y");
    accuracy.early_stopping.monitor = Monitor::ValAccuracy;
    expect_config_error([&] { accuracy.validate(); }, "early_stopping.monitor", "val_loss");
    // And the configuration round-trips with its task.
    TrainConfig back = TrainConfig::from_json(regression_config(csv, "y").to_json());
    EXPECT_TRUE(back.data.regression());
    EXPECT_TRUE(back.data.standardize_targets);
}

TEST(Regression, BatchStatsCountWhatTheStepSawBeforeItsUpdate) {
    // batch_stats of a step are those of the outputs before the step's update, however the
    // batch is sharded: computed here from a forward pass of a copy of the weights.
    ModelSpec spec;
    spec.n_inputs = 3;
    spec.hidden = {4};
    spec.n_classes = 2;
    spec.seed = 11;
    Tensor<float> x = Tensor<float>::empty(Shape{9, 3}), y = Tensor<float>::empty(Shape{9, 2});
    for (std::size_t i = 0; i < x.size(); ++i) x.data()[i] = std::sin(0.9f * float(i));
    for (std::size_t i = 0; i < y.size(); ++i) y.data()[i] = std::cos(0.4f * float(i));
    const std::vector<int> labels = {0, 1, 1, 0, 1, 0, 0, 1, 1};
    for (const std::size_t shards : {1, 3}) {
        SCOPED_TRACE(shards);
        for (const bool regression : {false, true}) {
            ModelSpec s = spec;
            s.loss = regression ? LossKind::MSE : LossKind::CrossEntropy;
            Model<float> model(s), before(s);
            const Tensor<float>& out = before.forward(x);  // (9, 2), the same initial weights
            OptimizerConfig oc;
            oc.lr = 0.5;
            auto opt = make_optimizer<float>(oc, model.parameters());
            DataParallelStep step(model, *opt, nullptr, shards, ReduceKind::Fixed);
            if (!regression) {
                step.step(x, labels);
                ASSERT_EQ(step.batch_stats().size(), 1u);
                EXPECT_EQ(step.batch_stats()[0], float(correct_rows(out, labels)));
                continue;
            }
            step.step(x, y);
            ASSERT_EQ(step.batch_stats().size(), 4u);
            for (std::size_t t = 0; t < 2; ++t) {
                double sse = 0, sae = 0;
                for (std::size_t r = 0; r < 9; ++r) {
                    const double e = double(out(r, t)) - double(y(r, t));
                    sse += e * e;
                    sae += std::fabs(e);
                }
                // Float sums of 9 terms against double: a few float roundings (1e-6).
                EXPECT_NEAR(step.batch_stats()[2 * t], sse, 1e-6 * (1 + sse));
                EXPECT_NEAR(step.batch_stats()[2 * t + 1], sae, 1e-6 * (1 + sae));
            }
        }
    }
}

TEST(Regression, EpochTrainingMetricsAreTheRunningOnesOfTheSteps) {
    // One epoch of one batch: the running loss is that batch's loss, before the update; an
    // evaluation of the weights after the epoch (what train metrics used to be) differs.
    TrainConfig c;  // Iris, 105 training rows
    c.batch_size = 105;
    c.epochs = 1;
    PreparedData data = prepare_data(c);
    Model<float> model = build_model(c, data.train.num_features(), data.num_outputs());
    Model<float> before = build_model(c, data.train.num_features(), data.num_outputs());
    const EvalResult initial = before.evaluate(data.train.X, data.train.labels);
    TrainOutcome out = fit(model, data, c);
    ASSERT_EQ(out.history.size(), 1u);
    EXPECT_NEAR(out.history[0].train_loss, initial.loss, 1e-6 * initial.loss);
    EXPECT_DOUBLE_EQ(out.history[0].train_accuracy, initial.accuracy);
    EXPECT_NE(out.history[0].train_loss, out.train.loss);
}
