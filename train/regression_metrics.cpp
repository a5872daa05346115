// Regression metrics; see regression_metrics.hpp.
#include "ffnn/train/regression_metrics.hpp"

#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace ffnn {

RegressionMetrics regression_metrics(const Tensor<float>& predicted, const Tensor<float>& truth) {
    if (predicted.rank() != 2 || predicted.shape() != truth.shape() || predicted.rows() == 0)
        throw std::invalid_argument(
            "regression_metrics: predictions " + predicted.shape().to_string() + " and targets " +
            truth.shape().to_string() + " must be the same (N, T) with N >= 1");
    const std::size_t N = truth.rows(), T = truth.cols();
    RegressionMetrics out;
    out.n = N;
    out.per_target.resize(T);
    for (std::size_t t = 0; t < T; ++t) {
        double sum_y = 0;
        for (std::size_t i = 0; i < N; ++i) sum_y += static_cast<double>(truth(i, t));
        const double mean_y = sum_y / static_cast<double>(N);
        double ss_res = 0, ss_tot = 0, abs_err = 0;
        for (std::size_t i = 0; i < N; ++i) {
            const double y = truth(i, t), e = y - static_cast<double>(predicted(i, t));
            ss_res += e * e;
            abs_err += std::fabs(e);
            ss_tot += (y - mean_y) * (y - mean_y);
        }
        TargetMetrics& m = out.per_target[t];
        m.mse = ss_res / static_cast<double>(N);
        m.rmse = std::sqrt(m.mse);
        m.mae = abs_err / static_cast<double>(N);
        m.r2 = ss_tot > 0 ? 1.0 - ss_res / ss_tot : (ss_res == 0 ? 1.0 : 0.0);
        out.mean.mse += m.mse / static_cast<double>(T);
        out.mean.rmse += m.rmse / static_cast<double>(T);
        out.mean.mae += m.mae / static_cast<double>(T);
        out.mean.r2 += m.r2 / static_cast<double>(T);
    }
    return out;
}

std::string format_target_metrics(const TargetMetrics& m) {
    char buf[128];
    std::snprintf(buf, sizeof buf, "MSE %.6g  RMSE %.6g  MAE %.6g  R^2 %.4f", m.mse, m.rmse, m.mae,
                  m.r2);
    return buf;
}

}  // namespace ffnn
