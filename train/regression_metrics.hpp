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

#include "ffnn/io/standardize.hpp"
#include "ffnn/nn/model.hpp"
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

// The average of each metric over the targets, summed in target order (scikit-learn's
// uniform_average; RMSE is the mean of the targets' RMSEs).
TargetMetrics mean_of(const std::vector<TargetMetrics>& per_target);

// predicted, truth (N, T) with N >= 1. Throws std::invalid_argument naming the shapes.
RegressionMetrics regression_metrics(const Tensor<float>& predicted, const Tensor<float>& truth);

// A regression network on one part of the data.
struct RegressionEval {
    // The training objective: the mean over N T of (output - target)^2 in the network's units
    // (standardised targets when the run standardised them), as the mse loss computes it.
    double loss = 0;
    RegressionMetrics metrics;   // in the targets' units; empty per_target when N = 0
    std::size_t non_finite = 0;  // rows with a non-finite output (their metrics are NaN)
};

// X (N, D) -> the network's outputs mapped to the targets' units (N, T): inverse of
// target_standardizer when it is fitted. Forward passes of batch_size rows.
Tensor<float> predict_values(Model<float>& model, const Tensor<float>& X,
                             const Standardizer& target_standardizer, std::size_t batch_size = 256);

// X (N, D) as the network takes it, targets (N, T) in the network's units (standardised
// with target_standardizer when it is fitted). Sums in double in row order.
RegressionEval evaluate_regression(Model<float>& model, const Tensor<float>& X,
                                   const Tensor<float>& targets,
                                   const Standardizer& target_standardizer,
                                   std::size_t batch_size = 256);

// "MSE 0.0123  RMSE 0.111  MAE 0.0871  R^2 0.954" for a person.
std::string format_target_metrics(const TargetMetrics& m);

}  // namespace ffnn
