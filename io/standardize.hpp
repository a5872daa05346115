// Standardizer: per-feature (x - mean) / scale, fitted on the training part only.
//
// Fit on the training rows only, so that nothing of the validation or test rows leaks into
// the model, then transform every part with the same mean and scale. The mean and scale are
// Tensor<float> of shape (D) so a checkpoint can save them and prediction can restore them.
//
//   mean[j]  = average of column j over the fitted rows
//   scale[j] = population standard deviation of column j (divide by N, not N - 1), or 1
//              when the column is constant (std at or below kConstantColumnTolerance times
//              |mean|, i.e. within float rounding of its own values, or exactly 0): such a
//              column becomes all zeros instead of dividing by ~0. Digits has pixels that are
//              0 in every image. The rule is relative to the column alone, so a feature in
//              tiny units (Iris in units of 1e8 m) is standardised as in the original units.
// Sums are accumulated in double with two passes (mean, then squared deviations), which
// avoids the cancellation of the one-pass sum-of-squares formula.
#pragma once

#include <cstddef>
#include <span>

#include "ffnn/tensor/tensor.hpp"

namespace ffnn {

// Relative spread below which a column counts as constant: float's epsilon (2^-23), the
// resolution at which the stored values could differ at all.
inline constexpr double kConstantColumnTolerance = 1.1920928955078125e-07;

class Standardizer {
  public:
    Standardizer() = default;
    // Restores a fitted standardiser (from a checkpoint): mean and scale (D), scale > 0 and
    // every value finite; otherwise std::invalid_argument.
    Standardizer(Tensor<float> mean, Tensor<float> scale);

    // X (N, D): fit on the listed rows only / on every row. Throws if no row is given or an
    // index is out of range.
    void fit(const Tensor<float>& X, std::span<const std::size_t> rows);
    void fit(const Tensor<float>& X);

    // X (N, D) in place: X[i][j] = (X[i][j] - mean[j]) / scale[j]. Throws unless fitted and
    // X has D columns.
    void transform(Tensor<float>& X) const;
    // The inverse, in place: X[i][j] = X[i][j] * scale[j] + mean[j].
    void inverse_transform(Tensor<float>& X) const;

    bool fitted() const { return fitted_; }
    std::size_t num_features() const { return mean_.size(); }
    const Tensor<float>& mean() const { return mean_; }    // (D)
    const Tensor<float>& scale() const { return scale_; }  // (D)

  private:
    void check_input(const Tensor<float>& X, const char* what) const;
    Tensor<float> mean_ = Tensor<float>::zeros({0});
    Tensor<float> scale_ = Tensor<float>::zeros({0});
    bool fitted_ = false;
};

}  // namespace ffnn
