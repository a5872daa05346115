// Regression metrics, per target column and in the targets' own units (after any target
// standardisation is undone). For a column of N true values y and predictions p:
//   MSE  = (1/N) sum (y_i - p_i)^2          RMSE = sqrt(MSE)
//   MAE  = (1/N) sum |y_i - p_i|
//   R^2  = 1 - SS_res / SS_tot,  SS_res = sum (y_i - p_i)^2,  SS_tot = sum (y_i - mean y)^2
// R^2 is scikit-learn's r2_score: 1 for a perfect fit, 0 for predicting the mean, negative
// for worse; on a constant column (SS_tot = 0) it is 1 when every prediction is exact and 0
// otherwise. Sums are taken in double, in row order, so the figures do not depend on the
// thread count.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "ffnn/tensor/tensor.hpp"

namespace ffnn {

struct TargetMetrics {
    double mse = 0, rmse = 0, mae = 0, r2 = 0;
};

struct RegressionMetrics {
    std::vector<TargetMetrics> per_target;  // (T)
    TargetMetrics mean;                     // the average of each metric over the targets
    std::size_t n = 0;                      // rows
};

// predicted, truth (N, T) with N >= 1. Throws std::invalid_argument naming the shapes.
RegressionMetrics regression_metrics(const Tensor<float>& predicted, const Tensor<float>& truth);

// "MSE 0.0123  RMSE 0.111  MAE 0.0871  R^2 0.954" for a person.
std::string format_target_metrics(const TargetMetrics& m);

}  // namespace ffnn
