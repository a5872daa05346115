// Regression metrics; see regression_metrics.hpp.
#include "ffnn/train/regression_metrics.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace ffnn {

Tensor<float> predict_values(Model<float>& model, const Tensor<float>& X,
                             const Standardizer& target_standardizer, std::size_t batch_size) {
    if (X.rank() != 2 || batch_size == 0)
        throw std::invalid_argument("predict_values: X of shape " + X.shape().to_string() +
                                    " (expected (N, D)) and batch size " +
                                    std::to_string(batch_size));
    const std::size_t N = X.rows();
    Tensor<float> out;
    for (std::size_t a = 0; a < N; a += batch_size) {
        const std::size_t b = std::min(N, a + batch_size);
        const Tensor<float>& y = model.forward(X.rows(a, b));  // (b - a, T)
        if (a == 0) out = Tensor<float>::empty(Shape{N, y.cols()});
        std::copy_n(y.data(), y.size(), out.data() + a * y.cols());
    }
    if (N == 0) out = Tensor<float>::empty(Shape{0, model.layer_sizes().back()});
    if (target_standardizer.fitted() && N > 0) target_standardizer.inverse_transform(out);
    return out;
}

RegressionEval evaluate_regression(Model<float>& model, const Tensor<float>& X,
                                   const Tensor<float>& targets,
                                   const Standardizer& target_standardizer,
                                   std::size_t batch_size) {
    RegressionEval out;
    const std::size_t N = X.rank() == 2 ? X.rows() : 0;
    if (targets.rank() != 2 || targets.rows() != N)
        throw std::invalid_argument("evaluate_regression: targets of shape " +
                                    targets.shape().to_string() + " for inputs of shape " +
                                    X.shape().to_string());
    if (N == 0) return out;
    // The outputs in the network's units first (the loss), then both in the targets' units.
    Tensor<float> predicted = predict_values(model, X, Standardizer(), batch_size);  // (N, T)
    if (predicted.cols() != targets.cols())
        throw std::invalid_argument("evaluate_regression: the network has " +
                                    std::to_string(predicted.cols()) + " outputs for " +
                                    std::to_string(targets.cols()) + " targets");
    const std::size_t T = targets.cols();
    double sum = 0;
    for (std::size_t i = 0; i < N; ++i) {
        bool finite = true;
        for (std::size_t t = 0; t < T; ++t) {
            const double e = static_cast<double>(predicted(i, t)) - targets(i, t);
            sum += e * e;
            finite = finite && std::isfinite(predicted(i, t));
        }
        out.non_finite += finite ? 0 : 1;
    }
    out.loss = sum / static_cast<double>(N * T);
    // The metrics in the network's units, then scaled: y - p = scale (t - o) per target, so
    // MSE scales by scale^2, RMSE and MAE by scale, and R^2 not at all. Undoing the scaling on
    // the values instead would add the mean back in float and round every error to the
    // resolution of the targets' magnitude (a target of 1e6 + small noise gave R^2 1.0).
    out.metrics = regression_metrics(predicted, targets);
    if (target_standardizer.fitted()) {
        for (std::size_t t = 0; t < T; ++t) {
            const double s = target_standardizer.scale()(t);
            TargetMetrics& m = out.metrics.per_target[t];
            m.mse *= s * s;
            m.rmse *= s;
            m.mae *= s;
        }
        out.metrics.mean = mean_of(out.metrics.per_target);
    }
    return out;
}

TargetMetrics mean_of(const std::vector<TargetMetrics>& per_target) {
    TargetMetrics mean;
    const double T = static_cast<double>(per_target.size());
    for (const TargetMetrics& m : per_target) {
        mean.mse += m.mse / T;
        mean.rmse += m.rmse / T;
        mean.mae += m.mae / T;
        mean.r2 += m.r2 / T;
    }
    return mean;
}

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
    }
    out.mean = mean_of(out.per_target);
    return out;
}

std::string format_target_metrics(const TargetMetrics& m) {
    char buf[128];
    std::snprintf(buf, sizeof buf, "MSE %.6g  RMSE %.6g  MAE %.6g  R^2 %.4f", m.mse, m.rmse, m.mae,
                  m.r2);
    return buf;
}

}  // namespace ffnn
