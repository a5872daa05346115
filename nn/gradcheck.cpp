// Gradient checking by central differences (see gradcheck.hpp).
//
// Deliberately simple and slow: two objective evaluations per element, each a full forward.
// It runs in double on small shapes (tests, and the CLI's gradcheck command).
#include "ffnn/nn/gradcheck.hpp"

#include <cmath>
#include <cstdio>
#include <functional>
#include <stdexcept>

#include "ffnn/tensor/random.hpp"

namespace ffnn {

double relative_error(std::span<const double> numeric, std::span<const double> analytic) {
    if (numeric.size() != analytic.size())
        throw std::invalid_argument("relative_error: " + std::to_string(numeric.size()) +
                                    " numeric values but " + std::to_string(analytic.size()) +
                                    " analytic");
    double diff = 0.0, sum = 0.0;
    for (std::size_t i = 0; i < numeric.size(); ++i) {
        const double d = numeric[i] - analytic[i], s = numeric[i] + analytic[i];
        diff += d * d;
        sum += s * s;
    }
    if (diff == 0.0) return 0.0;  // includes 0 / 0: both gradients exactly zero
    if (sum == 0.0) return INFINITY;
    return std::sqrt(diff) / std::sqrt(sum);
}

double GradCheckReport::max_rel_error() const {
    double m = 0.0;
    for (const auto& e : entries) m = std::max(m, e.rel_error);
    return m;
}

std::string GradCheckReport::to_string() const {
    std::string out;
    char line[256];
    std::snprintf(line, sizeof line, "%-16s %-10s %12s %12s %8s %14s %14s\n", "tensor", "shape",
                  "rel_error", "max_abs_err", "worst", "numeric", "analytic");
    out += line;
    for (const auto& e : entries) {
        std::snprintf(line, sizeof line, "%-16s %-10s %12.3e %12.3e %8zu %14.6e %14.6e\n",
                      e.name.c_str(), e.shape.to_string().c_str(), e.rel_error, e.max_abs_error,
                      e.worst_index, e.worst_numeric, e.worst_analytic);
        out += line;
    }
    return out;
}

namespace {

// Compares the analytic gradient `analytic` of tensor `value` with central differences of
// `objective`, perturbing value in place (and restoring it).
GradCheckEntry check_tensor(const std::string& name, Tensor<double>& value,
                            const Tensor<double>& analytic,
                            const std::function<double()>& objective, double h) {
    if (!(value.shape() == analytic.shape()))
        throw std::logic_error("gradcheck: '" + name + "' is " + value.shape().to_string() +
                               " but its gradient is " + analytic.shape().to_string());
    GradCheckEntry e;
    e.name = name;
    e.shape = value.shape();
    std::vector<double> numeric(value.size());
    double* v = value.data();
    for (std::size_t i = 0; i < value.size(); ++i) {
        const double saved = v[i];
        v[i] = saved + h;
        const double fp = objective();
        v[i] = saved - h;
        const double fm = objective();
        v[i] = saved;
        numeric[i] = (fp - fm) / (2.0 * h);
    }
    std::span<const double> ana = analytic.span();
    e.rel_error = relative_error(numeric, ana);
    for (std::size_t i = 0; i < numeric.size(); ++i) {
        const double d = std::abs(numeric[i] - ana[i]);
        if (d > e.max_abs_error || i == 0) {
            e.max_abs_error = d;
            e.worst_index = i;
            e.worst_numeric = numeric[i];
            e.worst_analytic = ana[i];
        }
    }
    return e;
}

// The shared driver: `analytic_pass` runs forward + backward once and returns the input
// gradient; `objective` re-evaluates the scalar.
GradCheckReport run_checks(std::vector<Param<double>> params, Tensor<double>& x,
                           const std::function<const Tensor<double>&()>& analytic_pass,
                           const std::function<double()>& objective, const GradCheckOptions& opt) {
    if (!(opt.h > 0)) throw std::invalid_argument("gradcheck: h must be positive");
    for (auto& p : params) p.grad->zero();
    Tensor<double> dx = analytic_pass().clone();
    // Copy the analytic gradients before the perturbed forwards run.
    std::vector<Tensor<double>> grads;
    grads.reserve(params.size());
    for (auto& p : params) grads.push_back(p.grad->clone());
    GradCheckReport report;
    for (std::size_t i = 0; i < params.size(); ++i)
        report.entries.push_back(
            check_tensor(params[i].name, *params[i].value, grads[i], objective, opt.h));
    if (opt.check_input) report.entries.push_back(check_tensor("input", x, dx, objective, opt.h));
    return report;
}

double dot(const Tensor<double>& a, const Tensor<double>& b) {
    double s = 0.0;
    for (std::size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
    return s;
}

}  // namespace

GradCheckReport gradcheck(Module<double>& module, const Tensor<double>& x_in,
                          const GradCheckOptions& opt) {
    Tensor<double> x = x_in.clone();
    // One forward first: a lazy layer learns its input width and creates its parameters.
    Shape out_shape = module.forward(x).shape();
    Rng rng(opt.seed);
    Tensor<double> R = normal<double>(out_shape, 0.0, 1.0, rng);
    auto analytic = [&]() -> const Tensor<double>& {
        module.forward(x);
        return module.backward(R);
    };
    auto objective = [&]() { return dot(module.forward(x), R); };
    return run_checks(module.parameters(), x, analytic, objective, opt);
}

GradCheckReport gradcheck(Loss<double>& loss, const Tensor<double>& input,
                          std::span<const int> labels, const GradCheckOptions& opt) {
    Tensor<double> x = input.clone();
    auto analytic = [&]() -> const Tensor<double>& {
        loss.forward(x, labels);
        return loss.backward();
    };
    auto objective = [&]() { return static_cast<double>(loss.forward(x, labels)); };
    return run_checks({}, x, analytic, objective, opt);
}

GradCheckReport gradcheck(Loss<double>& loss, const Tensor<double>& input,
                          const Tensor<double>& target, const GradCheckOptions& opt) {
    Tensor<double> x = input.clone();
    auto analytic = [&]() -> const Tensor<double>& {
        loss.forward(x, target);
        return loss.backward();
    };
    auto objective = [&]() { return static_cast<double>(loss.forward(x, target)); };
    return run_checks({}, x, analytic, objective, opt);
}

GradCheckReport gradcheck(Model<double>& model, const Tensor<double>& x_in,
                          std::span<const int> labels, const GradCheckOptions& opt) {
    Tensor<double> x = x_in.clone();
    model.forward(x);  // lazy layers, if any, take their shapes
    auto analytic = [&]() -> const Tensor<double>& {
        model.compute_loss(x, labels);
        return model.backward(model.loss().backward(), /*input_grad=*/true);
    };
    auto objective = [&]() { return static_cast<double>(model.compute_loss(x, labels)); };
    return run_checks(model.parameters(), x, analytic, objective, opt);
}

}  // namespace ffnn
