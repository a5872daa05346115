// Regression metrics against values worked out by hand (and equal to scikit-learn's
// mean_squared_error, mean_absolute_error and r2_score on the same columns).
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "ffnn/train/regression_metrics.hpp"
#include "test_helpers.hpp"

namespace ffnn {
namespace {

TEST(RegressionMetrics, HandComputedColumns) {
    // Column 0: y = 1 2 3 4, p = 1 2 3 5: one error of -1. MSE = MAE = 1/4, RMSE = 1/2;
    // mean y = 2.5, SS_tot = 2.25 + 0.25 + 0.25 + 2.25 = 5, R^2 = 1 - 1/5 = 0.8.
    // Column 1: constant y = 2 predicted exactly: R^2 = 1 by convention, errors 0.
    // Column 2: constant y = 2, p = 3 3 3 3: MSE = MAE = RMSE = 1, R^2 = 0 by convention.
    const Tensor<float> truth = {{1, 2, 2}, {2, 2, 2}, {3, 2, 2}, {4, 2, 2}};
    const Tensor<float> pred = {{1, 2, 3}, {2, 2, 3}, {3, 2, 3}, {5, 2, 3}};
    const RegressionMetrics m = regression_metrics(pred, truth);
    ASSERT_EQ(m.per_target.size(), 3u);
    EXPECT_EQ(m.n, 4u);
    // Every value is exact in double (quarters and fifths of small integers, to rounding).
    EXPECT_DOUBLE_EQ(m.per_target[0].mse, 0.25);
    EXPECT_DOUBLE_EQ(m.per_target[0].rmse, 0.5);
    EXPECT_DOUBLE_EQ(m.per_target[0].mae, 0.25);
    EXPECT_DOUBLE_EQ(m.per_target[0].r2, 0.8);
    EXPECT_EQ(m.per_target[1].mse, 0.0);
    EXPECT_EQ(m.per_target[1].r2, 1.0);
    EXPECT_EQ(m.per_target[2].mse, 1.0);
    EXPECT_EQ(m.per_target[2].mae, 1.0);
    EXPECT_EQ(m.per_target[2].r2, 0.0);
    EXPECT_DOUBLE_EQ(m.mean.mse, (0.25 + 0 + 1) / 3);
    EXPECT_DOUBLE_EQ(m.mean.r2, (0.8 + 1 + 0) / 3);
}

TEST(RegressionMetrics, PredictingTheMeanScoresZeroAndWorseIsNegative) {
    const auto column = [](std::vector<float> v) {
        const std::size_t n = v.size();
        return Tensor<float>::from_vector(std::move(v), Shape{n, 1});
    };
    const Tensor<float> truth = column({0, 2, 4});
    const Tensor<float> mean = column({2, 2, 2});
    EXPECT_NEAR(regression_metrics(mean, truth).per_target[0].r2, 0.0, 1e-15);
    // p = y + 3: SS_res = 27, SS_tot = 8: R^2 = 1 - 27/8 = -2.375.
    const Tensor<float> off = column({3, 5, 7});
    EXPECT_DOUBLE_EQ(regression_metrics(off, truth).per_target[0].r2, -2.375);
}

TEST(RegressionMetrics, ShapesMustAgree) {
    const Tensor<float> a = Tensor<float>::from_vector({1, 2}, Shape{1, 2});
    const Tensor<float> b = Tensor<float>::from_vector({1, 2}, Shape{2, 1});
    EXPECT_THROW_CONTAINS(regression_metrics(a, b), std::invalid_argument, "predictions 1x2",
                          "targets 2x1");
    const Tensor<float> empty = Tensor<float>::zeros(Shape{0, 1});
    EXPECT_THROW(regression_metrics(empty, empty), std::invalid_argument);
}

TEST(RegressionMetrics, Formatting) {
    TargetMetrics t{.mse = 0.25, .rmse = 0.5, .mae = 0.25, .r2 = 0.8};
    EXPECT_EQ(format_target_metrics(t), "MSE 0.25  RMSE 0.5  MAE 0.25  R^2 0.8000");
}

}  // namespace
}  // namespace ffnn
