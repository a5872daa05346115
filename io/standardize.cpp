// Standardizer: two-pass mean and population std in double; in-place transform.
#include "ffnn/io/standardize.hpp"

#include <cmath>
#include <numeric>
#include <stdexcept>
#include <string>
#include <vector>

#include "ffnn/tensor/ops.hpp"

namespace ffnn {

Standardizer::Standardizer(Tensor<float> mean, Tensor<float> scale) {
    if (mean.rank() != 1 || scale.rank() != 1 || mean.size() != scale.size())
        throw std::invalid_argument("Standardizer: mean " + mean.shape().to_string() +
                                    " and scale " + scale.shape().to_string() +
                                    " must both be (D)");
    for (std::size_t j = 0; j < mean.size(); ++j)
        if (!std::isfinite(mean[j]) || !std::isfinite(scale[j]) || !(scale[j] > 0.0f))
            throw std::invalid_argument("Standardizer: feature " + std::to_string(j) +
                                        " has mean " + std::to_string(mean[j]) + " and scale " +
                                        std::to_string(scale[j]) +
                                        " (expected finite values and scale > 0)");
    mean_ = std::move(mean);
    scale_ = std::move(scale);
    fitted_ = true;
}

void Standardizer::fit(const Tensor<float>& X, std::span<const std::size_t> rows) {
    if (X.rank() != 2)
        throw std::invalid_argument("Standardizer::fit: X must be (N, D), got " +
                                    X.shape().to_string());
    if (rows.empty()) throw std::invalid_argument("Standardizer::fit: no rows to fit on");
    const std::size_t n = X.rows(), d = X.cols();
    for (std::size_t i : rows)
        if (i >= n)
            throw std::out_of_range("Standardizer::fit: row " + std::to_string(i) +
                                    " out of range for X " + X.shape().to_string());
    // X (N, D), rows (M) -> mean (D), scale (D)
    std::vector<double> sum(d, 0.0), sq(d, 0.0);
    for (std::size_t i : rows) {
        const float* x = X.data() + i * d;
        for (std::size_t j = 0; j < d; ++j) sum[j] += x[j];
    }
    const double m = static_cast<double>(rows.size());
    for (std::size_t j = 0; j < d; ++j) sum[j] /= m;  // now the mean
    for (std::size_t i : rows) {
        const float* x = X.data() + i * d;
        for (std::size_t j = 0; j < d; ++j) {
            double dev = x[j] - sum[j];
            sq[j] += dev * dev;
        }
    }
    Tensor<float> mean = Tensor<float>::empty({d}), scale = Tensor<float>::empty({d});
    for (std::size_t j = 0; j < d; ++j) {
        double sd = std::sqrt(sq[j] / m);
        // Relative to the column's own magnitude only: a feature measured in small units
        // (1e-8 m) is a feature, not a constant.
        const bool constant = sd <= kConstantColumnTolerance * std::abs(sum[j]);
        mean[j] = static_cast<float>(sum[j]);
        scale[j] = constant ? 1.0f : static_cast<float>(sd);
    }
    mean_ = std::move(mean);
    scale_ = std::move(scale);
    fitted_ = true;
}

void Standardizer::fit(const Tensor<float>& X) {
    if (X.rank() != 2)
        throw std::invalid_argument("Standardizer::fit: X must be (N, D), got " +
                                    X.shape().to_string());
    std::vector<std::size_t> all(X.rows());
    std::iota(all.begin(), all.end(), std::size_t(0));
    fit(X, all);
}

void Standardizer::check_input(const Tensor<float>& X, const char* what) const {
    if (!fitted_) throw std::logic_error(std::string(what) + ": the standardiser is not fitted");
    if (X.rank() != 2 || X.cols() != mean_.size())
        throw std::invalid_argument(std::string(what) + ": X is " + X.shape().to_string() +
                                    " but the standardiser has " + std::to_string(mean_.size()) +
                                    " features");
}

void Standardizer::transform(Tensor<float>& X) const {
    check_input(X, "Standardizer::transform");
    // X (N, D) in place, mean and scale (D) broadcast over the rows (tensor/ops.hpp). Two
    // passes give the same bits as (x - mean) / scale in one (each rounds once per
    // operation); the division is kept rather than a multiply by the reciprocal, which would
    // differ by an ulp, and this runs once per data set.
    X -= mean_;
    X /= scale_;
}

void Standardizer::inverse_transform(Tensor<float>& X) const {
    check_input(X, "Standardizer::inverse_transform");
    X *= scale_;
    X += mean_;
}

}  // namespace ffnn
