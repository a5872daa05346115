// Gradient checking: analytic gradients (backward) against central differences, in double.
//
// For every tensor that has a gradient (each parameter, and the input), every element v is
// perturbed by +h and -h and the objective re-evaluated:
//   numeric = (f(v + h) - f(v - h)) / (2 h)
// The objective is
//   - for a module: f = sum(y * R) with R a fixed random (N, H) tensor, so backward(R) must
//     give its gradient (this checks backward for an arbitrary upstream gradient, not only
//     for one that happens to be all ones);
//   - for a loss: the loss value, whose gradient is loss.backward();
//   - for a model: the loss of the model's forward on (x, labels).
// Each tensor is summarised by the relative error
//   rel = ||numeric - analytic|| / ||numeric + analytic||    (Frobenius norms; 0 when both
//                                                             gradients are exactly zero)
// and its worst element (largest |numeric - analytic|). With h = 1e-6 in double, the
// truncation error (O(h^2)) and the rounding error (O(eps / h) ~ 1e-10) both stay far below
// the 1e-7 the tests require for smooth functions away from kinks.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "ffnn/nn/loss.hpp"
#include "ffnn/nn/model.hpp"
#include "ffnn/nn/module.hpp"

namespace ffnn {

struct GradCheckEntry {
    std::string name;  // parameter name ("W", "layers.0.b") or "input"
    Shape shape;
    double rel_error = 0.0;       // ||num - ana|| / ||num + ana||
    double max_abs_error = 0.0;   // max |num - ana|
    std::size_t worst_index = 0;  // flat (row-major) index of the worst element
    double worst_numeric = 0.0;
    double worst_analytic = 0.0;
};

struct GradCheckReport {
    std::vector<GradCheckEntry> entries;
    double max_rel_error() const;
    bool passed(double tolerance) const { return max_rel_error() <= tolerance; }
    // A fixed-width table: name, shape, rel error, worst index, numeric, analytic.
    std::string to_string() const;
};

struct GradCheckOptions {
    double h = 1e-6;          // central-difference step
    std::uint64_t seed = 0;   // for R (modules only)
    bool check_input = true;  // include the input gradient
};

// A module in double: parameters and input against f = sum(forward(x) * R).
GradCheckReport gradcheck(Module<double>& module, const Tensor<double>& x,
                          const GradCheckOptions& options = {});
// A loss: its input gradient.
GradCheckReport gradcheck(Loss<double>& loss, const Tensor<double>& input,
                          std::span<const int> labels, const GradCheckOptions& options = {});
GradCheckReport gradcheck(Loss<double>& loss, const Tensor<double>& input,
                          const Tensor<double>& target, const GradCheckOptions& options = {});
// A whole model: every parameter ("layers.0.W", ...) and the input, through the model's loss.
GradCheckReport gradcheck(Model<double>& model, const Tensor<double>& x,
                          std::span<const int> labels, const GradCheckOptions& options = {});

// The relative error of two gradients of the same size, as defined above.
double relative_error(std::span<const double> numeric, std::span<const double> analytic);

}  // namespace ffnn
