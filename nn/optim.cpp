// Optimisers (see optim.hpp for the update rules and their sources).
//
// Each rule is one serial `omp simd` loop over a span of a parameter's elements (update_span).
// step() cuts each parameter into one span per thread above kParallelThreshold elements; the
// fused step gets its spans from the rows of the blocks gemm reports. Every element is
// independent, so the result does not depend on the thread count or on the split.
#include "ffnn/nn/optim.hpp"

#include <omp.h>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "ffnn/nn/config_error.hpp"
#include "ffnn/tensor/kernels.hpp"

namespace ffnn {

// ---- Optimizer ----

namespace {

// The optimisers compute in float: a setting must be a normal float (from 1.2e-38 to 3.4e38
// in magnitude), or 0 where 0 is allowed. An lr of 1e39 became inf, and 1e-46 became 0 and
// trained nothing.
bool float_normal(double v) {
    return std::fabs(v) >= std::numeric_limits<float>::min() &&
           std::fabs(v) <= std::numeric_limits<float>::max();
}

}  // namespace

void OptimizerConfig::validate() const {
    const char* o = "optimizer";
    require_config(float_normal(lr) && lr > 0, o, "lr",
                   "positive and within float's range (1.2e-38 to 3.4e38)", lr);
    require_config(weight_decay == 0 || (float_normal(weight_decay) && weight_decay > 0), o,
                   "weight_decay", "0, or positive and within float's range", weight_decay);
    require_config(momentum >= 0 && momentum < 1, o, "momentum", "in [0, 1)", momentum);
    if (nesterov && !(momentum > 0))
        throw ConfigError("optimizer.nesterov",
                          "nesterov needs a positive momentum, got " + format_number(momentum));
    if (kind == OptimizerKind::SGD) {
        const OptimizerConfig d{};
        const char* given = beta1 != d.beta1   ? "beta1"
                            : beta2 != d.beta2 ? "beta2"
                            : eps != d.eps     ? "eps"
                                               : nullptr;
        if (given)
            throw ConfigError(std::string("optimizer.") + given,
                              "beta1, beta2 and eps are Adam's; sgd does not use them");
    } else if (momentum != 0 || nesterov) {
        throw ConfigError("optimizer.momentum", "momentum and nesterov are SGD's; " +
                                                    to_string(kind) +
                                                    " does not use them (beta1 plays that role)");
    }
    require_config(beta1 >= 0 && beta1 < 1, o, "beta1", "in [0, 1)", beta1);
    require_config(beta2 >= 0 && beta2 < 1, o, "beta2", "in [0, 1)", beta2);
    require_config(float_normal(eps) && eps > 0, o, "eps",
                   "positive and within float's range (1.2e-38 to 3.4e38)", eps);
    require_config(clip_norm == 0 || (float_normal(clip_norm) && clip_norm > 0), o, "clip_norm",
                   "0 (no clipping), or positive and within float's range", clip_norm);
}

// ---- Optimizer ----

template <class T>
Optimizer<T>::Optimizer(std::vector<Param<T>> params, const OptimizerConfig& config)
    : params_(std::move(params)), config_(config), step_(Tensor<T>::zeros(Shape{1})) {
    config_.validate();
    for (const auto& p : params_) {
        if (!p.value || !p.grad)
            throw std::invalid_argument("optimizer: parameter '" + p.name + "' has a null tensor");
        if (!(p.value->shape() == p.grad->shape()))
            throw std::invalid_argument("optimizer: parameter '" + p.name + "' is " +
                                        p.value->shape().to_string() + " but its gradient is " +
                                        p.grad->shape().to_string());
    }
}

template <class T>
void Optimizer<T>::set_lr(double lr) {
    require_config(std::isfinite(lr) && lr >= 0, "optimizer", "lr", "non-negative and finite", lr);
    config_.lr = lr;
}

template <class T>
void Optimizer<T>::step() {
    last_grad_norm_ = config_.clip_norm > 0 ? clip_grad_norm(params_, config_.clip_norm) : 0.0;
    prepare();
    for (std::size_t i = 0; i < params_.size(); ++i) update_param(i);
}

template <class T>
void Optimizer<T>::update_param(std::size_t i) {
    // One contiguous span per thread. (Bands of columns, the split of the products that read
    // W and write dW, were slower: 784-256-128-10 at batch 128 on 2 threads, Xeon model 167,
    // 160 against 120 us per step for the update; on one thread of the two, 185.)
    const std::size_t n = params_[i].value->size();
    if (n < kParallelThreshold) {
        update_span(i, 0, n);
        return;
    }
#pragma omp parallel
    {
        const std::size_t t = std::size_t(omp_get_thread_num());
        const std::size_t nt = std::size_t(omp_get_num_threads());
        update_span(i, n * t / nt, n * (t + 1) / nt);
    }
}

template <class T>
std::size_t Optimizer<T>::index_of(const Tensor<T>& value) const {
    std::size_t i = 0;
    while (i < params_.size() && params_[i].value != &value) ++i;
    return i;
}

template <class T>
void Optimizer<T>::begin_fused_step() {
    if (!fusable())
        throw std::logic_error(
            "optimizer: a fused step needs clip_norm 0 (clipping needs every "
            "gradient before the first update)");
    last_grad_norm_ = 0.0;
    prepare();
    fused_elements_.store(0, std::memory_order_relaxed);
}

template <class T>
void Optimizer<T>::update_block(const Tensor<T>& value, std::size_t r0, std::size_t r1,
                                std::size_t c0, std::size_t c1) {
    const std::size_t i = index_of(value);
    if (i == params_.size() || r1 <= r0 || c1 <= c0) return;
    // value seen as (rows, cols), cols its last dimension: row r, columns [c0, c1) is the
    // span [r cols + c0, r cols + c1).
    const std::size_t cols = value.rank() == 0 ? 1 : value.dim(value.rank() - 1);
    for (std::size_t r = r0; r < r1; ++r) update_span(i, r * cols + c0, r * cols + c1);
    fused_elements_.fetch_add((r1 - r0) * (c1 - c0), std::memory_order_relaxed);
}

template <class T>
void Optimizer<T>::update_all(const Tensor<T>& value) {
    const std::size_t i = index_of(value);
    if (i == params_.size()) return;
    update_param(i);
    fused_elements_.fetch_add(value.size(), std::memory_order_relaxed);
}

template <class T>
void Optimizer<T>::cancel_fused_step() {
    if (fused_elements_.load(std::memory_order_relaxed) == 0) step_[0] -= T(1);
}

template <class T>
void Optimizer<T>::end_fused_step() {
    std::size_t total = 0;
    for (const auto& p : params_) total += p.value->size();
    const std::size_t done = fused_elements_.load(std::memory_order_relaxed);
    if (done != total)
        throw std::logic_error("optimizer: the fused step updated " + std::to_string(done) +
                               " parameter elements of " + std::to_string(total) +
                               " (a module did not hand over all of its parameters)");
}

template <class T>
void Optimizer<T>::zero_grad() {
    for (auto& p : params_) p.grad->zero();
}

template <class T>
std::vector<NamedTensor<T>> Optimizer<T>::state() {
    return {{"step", &step_}};
}

template <class T>
void Optimizer<T>::ensure_like(Tensor<T>& buf, const Tensor<T>& p) {
    if (buf.shape() == p.shape()) return;
    buf = Tensor<T>::zeros(p.shape());
}

// ---- SGD ----

namespace {

OptimizerConfig sgd_config(double lr, double momentum, double weight_decay, bool nesterov) {
    OptimizerConfig c;
    c.kind = OptimizerKind::SGD;
    c.lr = lr;
    c.momentum = momentum;
    c.weight_decay = weight_decay;
    c.nesterov = nesterov;
    return c;
}

}  // namespace

template <class T>
SGD<T>::SGD(std::vector<Param<T>> params, double lr, double momentum, double weight_decay,
            bool nesterov)
    : SGD(std::move(params), sgd_config(lr, momentum, weight_decay, nesterov)) {}

template <class T>
SGD<T>::SGD(std::vector<Param<T>> params, const OptimizerConfig& config)
    : Optimizer<T>(std::move(params), config) {
    if (config.kind != OptimizerKind::SGD)
        throw std::invalid_argument("SGD: the configuration is for " + to_string(config.kind));
    if (config.momentum > 0) {
        velocity_.resize(this->params_.size());
        for (std::size_t i = 0; i < velocity_.size(); ++i)
            this->ensure_like(velocity_[i], *this->params_[i].value);
    }
}

template <class T>
void SGD<T>::prepare() {
    if (this->config_.momentum > 0)
        for (std::size_t i = 0; i < this->params_.size(); ++i)
            this->ensure_like(velocity_[i], *this->params_[i].value);
    this->step_[0] += T(1);
}

template <class T>
void SGD<T>::update_span(std::size_t i, std::size_t j0, std::size_t j1) {
    const OptimizerConfig& c = this->config_;
    const T lr = static_cast<T>(c.lr), wd = static_cast<T>(c.weight_decay);
    const T mu = static_cast<T>(c.momentum);
    T* __restrict p = this->params_[i].value->data();
    const T* __restrict g = this->params_[i].grad->data();
    if (c.momentum == 0.0) {
#pragma omp simd
        for (std::size_t j = j0; j < j1; ++j) p[j] -= lr * (g[j] + wd * p[j]);
        return;
    }
    T* __restrict v = velocity_[i].data();
    // (Early returns rather than if/else: clang-tidy 14 takes two `omp simd` loops for
    // identical branches.)
    if (c.nesterov) {
#pragma omp simd
        for (std::size_t j = j0; j < j1; ++j) {
            const T gj = g[j] + wd * p[j];
            v[j] = mu * v[j] + gj;
            p[j] -= lr * (gj + mu * v[j]);
        }
        return;
    }
#pragma omp simd
    for (std::size_t j = j0; j < j1; ++j) {
        v[j] = mu * v[j] + (g[j] + wd * p[j]);
        p[j] -= lr * v[j];
    }
}

template <class T>
std::vector<NamedTensor<T>> SGD<T>::state() {
    auto s = Optimizer<T>::state();
    for (std::size_t i = 0; i < velocity_.size(); ++i)
        s.push_back({this->params_[i].name + ".momentum", &velocity_[i]});
    return s;
}

// ---- Adam / AdamW ----

namespace {

OptimizerConfig adam_config(double lr, double beta1, double beta2, double eps, double weight_decay,
                            bool decoupled) {
    OptimizerConfig c;
    c.kind = decoupled ? OptimizerKind::AdamW : OptimizerKind::Adam;
    c.lr = lr;
    c.beta1 = beta1;
    c.beta2 = beta2;
    c.eps = eps;
    c.weight_decay = weight_decay;
    return c;
}

}  // namespace

template <class T>
Adam<T>::Adam(std::vector<Param<T>> params, double lr, double beta1, double beta2, double eps,
              double weight_decay, bool decoupled_weight_decay)
    : Adam(std::move(params),
           adam_config(lr, beta1, beta2, eps, weight_decay, decoupled_weight_decay)) {}

template <class T>
Adam<T>::Adam(std::vector<Param<T>> params, const OptimizerConfig& config)
    : Optimizer<T>(std::move(params), config) {
    if (config.kind == OptimizerKind::SGD)
        throw std::invalid_argument("Adam: the configuration is for sgd");
    m_.resize(this->params_.size());
    v_.resize(this->params_.size());
    for (std::size_t i = 0; i < this->params_.size(); ++i) {
        this->ensure_like(m_[i], *this->params_[i].value);
        this->ensure_like(v_[i], *this->params_[i].value);
    }
}

template <class T>
void Adam<T>::prepare() {
    const OptimizerConfig& c = this->config_;
    for (std::size_t i = 0; i < this->params_.size(); ++i) {
        this->ensure_like(m_[i], *this->params_[i].value);
        this->ensure_like(v_[i], *this->params_[i].value);
    }
    this->step_[0] += T(1);
    const double t = static_cast<double>(this->step_[0]);
    // Bias corrections folded into two scalars: p -= step_size m / (sqrt(v) / c2 + eps),
    // step_size = lr / (1 - b1^t), c2 = sqrt(1 - b2^t).
    step_size_ = static_cast<T>(c.lr / (1.0 - std::pow(c.beta1, t)));
    c2_ = static_cast<T>(std::sqrt(1.0 - std::pow(c.beta2, t)));
}

template <class T>
void Adam<T>::update_span(std::size_t i, std::size_t j0, std::size_t j1) {
    const OptimizerConfig& c = this->config_;
    const T step_size = step_size_, c2 = c2_;
    const T b1 = static_cast<T>(c.beta1), b2 = static_cast<T>(c.beta2), eps = static_cast<T>(c.eps);
    // 1 - beta computed in double, then rounded: 1 - float(0.999) would be 0.00099998713,
    // an Adam step 1.3e-5 relative too large (1.7e-4 with beta2 = 0.9999).
    const T one_minus_b1 = static_cast<T>(1.0 - c.beta1),
            one_minus_b2 = static_cast<T>(1.0 - c.beta2);
    const T wd = static_cast<T>(c.weight_decay);
    const T decay = static_cast<T>(1.0 - c.lr * c.weight_decay);
    T* __restrict p = this->params_[i].value->data();
    const T* __restrict g = this->params_[i].grad->data();
    T* __restrict m = m_[i].data();
    T* __restrict v = v_[i].data();
    if (c.kind == OptimizerKind::AdamW) {
#pragma omp simd
        for (std::size_t j = j0; j < j1; ++j) {
            p[j] *= decay;
            const T gj = g[j];
            m[j] = b1 * m[j] + one_minus_b1 * gj;
            v[j] = b2 * v[j] + one_minus_b2 * gj * gj;
            p[j] -= step_size * m[j] / (std::sqrt(v[j]) / c2 + eps);
        }
        return;
    }
#pragma omp simd
    for (std::size_t j = j0; j < j1; ++j) {
        const T gj = g[j] + wd * p[j];
        m[j] = b1 * m[j] + one_minus_b1 * gj;
        v[j] = b2 * v[j] + one_minus_b2 * gj * gj;
        p[j] -= step_size * m[j] / (std::sqrt(v[j]) / c2 + eps);
    }
}

template <class T>
std::vector<NamedTensor<T>> Adam<T>::state() {
    auto s = Optimizer<T>::state();
    for (std::size_t i = 0; i < this->params_.size(); ++i) {
        s.push_back({this->params_[i].name + ".exp_avg", &m_[i]});
        s.push_back({this->params_[i].name + ".exp_avg_sq", &v_[i]});
    }
    return s;
}

// ---- factory and clipping ----

template <class T>
std::unique_ptr<Optimizer<T>> make_optimizer(const OptimizerConfig& c,
                                             std::vector<Param<T>> params) {
    if (c.kind == OptimizerKind::SGD) return std::make_unique<SGD<T>>(std::move(params), c);
    return std::make_unique<Adam<T>>(std::move(params), c);
}

template <class T>
double global_grad_norm(const std::vector<Param<T>>& params) {
    double s = 0.0;
    for (const auto& p : params) {
        const T* g = p.grad->data();
        const std::size_t n = p.grad->size();
        for (std::size_t j = 0; j < n; ++j)
            s += static_cast<double>(g[j]) * static_cast<double>(g[j]);
    }
    return std::sqrt(s);
}

template <class T>
double clip_grad_norm(const std::vector<Param<T>>& params, double max_norm) {
    if (!(std::isfinite(max_norm) && max_norm > 0))
        throw std::invalid_argument("clip_grad_norm: max_norm must be positive and finite, got " +
                                    format_number(max_norm));
    const double norm = global_grad_norm(params);
    // The small constant of torch.nn.utils.clip_grad_norm_: keeps the scale finite at norm 0.
    constexpr double kClipEps = 1e-6;
    const double coef = max_norm / (norm + kClipEps);
    if (coef < 1.0) {
        const T c = static_cast<T>(coef);
        for (const auto& p : params) {
            T* g = p.grad->data();
            for_each_index(p.grad->size(), [=](std::size_t j) { g[j] *= c; });
        }
    }
    return norm;
}

#define FFNN_INSTANTIATE(T)                                                          \
    template class Optimizer<T>;                                                     \
    template class SGD<T>;                                                           \
    template class Adam<T>;                                                          \
    template std::unique_ptr<Optimizer<T>> make_optimizer<T>(const OptimizerConfig&, \
                                                             std::vector<Param<T>>); \
    template double global_grad_norm<T>(const std::vector<Param<T>>&);               \
    template double clip_grad_norm<T>(const std::vector<Param<T>>&, double);
FFNN_INSTANTIATE(float)
FFNN_INSTANTIATE(double)
#undef FFNN_INSTANTIATE

}  // namespace ffnn
