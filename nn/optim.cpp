// Optimisers (see optim.hpp for the update rules and their sources).
//
// Each update is one flat loop per parameter over raw pointers (`omp simd`, `omp parallel
// for simd` above kParallelThreshold elements): every element is independent, so the result
// does not depend on the thread count.
#include "ffnn/nn/optim.hpp"

#include <cctype>
#include <cmath>
#include <stdexcept>

#include "ffnn/tensor/parallel.hpp"

namespace ffnn {

namespace {

// body(i) for i in [0, n), element-wise.
template <class F>
inline void for_each_element(std::size_t n, F body) {
    if (n >= kParallelThreshold) {
#pragma omp parallel for simd schedule(static)
        for (std::size_t i = 0; i < n; ++i) body(i);
    } else {
#pragma omp simd
        for (std::size_t i = 0; i < n; ++i) body(i);
    }
}

void check_hyper(const char* op, const char* what, double v, bool positive) {
    if (!std::isfinite(v) || v < 0 || (positive && v == 0))
        throw std::invalid_argument(std::string(op) + ": " + what + " must be " +
                                    (positive ? "positive" : "non-negative") + " and finite, got " +
                                    std::to_string(v));
}

}  // namespace

// ---- names ----

const std::vector<std::string>& optimizer_names() {
    static const std::vector<std::string> names = {"sgd", "adam", "adamw"};
    return names;
}

OptimizerKind parse_optimizer(std::string_view name) {
    std::string s(name);
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (s == "sgd") return OptimizerKind::SGD;
    if (s == "adam") return OptimizerKind::Adam;
    if (s == "adamw") return OptimizerKind::AdamW;
    throw std::invalid_argument("unknown optimizer '" + std::string(name) +
                                "'; valid: sgd, adam, adamw");
}

std::string to_string(OptimizerKind kind) {
    switch (kind) {
        case OptimizerKind::SGD:
            return "sgd";
        case OptimizerKind::Adam:
            return "adam";
        case OptimizerKind::AdamW:
            return "adamw";
    }
    return "?";
}

// ---- Optimizer ----

template <class T>
Optimizer<T>::Optimizer(std::vector<Param<T>> params, double lr, double weight_decay)
    : params_(std::move(params)),
      lr_(0.0),
      weight_decay_(weight_decay),
      step_(Tensor<T>::zeros(Shape{1})) {
    set_lr(lr);
    check_hyper("optimizer", "weight_decay", weight_decay, false);
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
    check_hyper("optimizer", "lr", lr, false);
    lr_ = lr;
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

template <class T>
SGD<T>::SGD(std::vector<Param<T>> params, double lr, double momentum, double weight_decay,
            bool nesterov)
    : Optimizer<T>(std::move(params), lr, weight_decay), momentum_(momentum), nesterov_(nesterov) {
    check_hyper("sgd", "momentum", momentum, false);
    if (nesterov && momentum == 0.0)
        throw std::invalid_argument("sgd: nesterov needs a positive momentum");
    if (momentum_ > 0) {
        velocity_.resize(this->params_.size());
        for (std::size_t i = 0; i < velocity_.size(); ++i)
            this->ensure_like(velocity_[i], *this->params_[i].value);
    }
}

template <class T>
void SGD<T>::step() {
    const T lr = static_cast<T>(this->lr_), wd = static_cast<T>(this->weight_decay_);
    const T mu = static_cast<T>(momentum_);
    for (std::size_t i = 0; i < this->params_.size(); ++i) {
        Tensor<T>& pv = *this->params_[i].value;
        const Tensor<T>& pg = *this->params_[i].grad;
        T* p = pv.data();
        const T* g = pg.data();
        const std::size_t n = pv.size();
        if (momentum_ == 0.0) {
            for_each_element(n, [=](std::size_t j) { p[j] -= lr * (g[j] + wd * p[j]); });
            continue;
        }
        this->ensure_like(velocity_[i], pv);
        T* v = velocity_[i].data();
        if (nesterov_) {
            for_each_element(n, [=](std::size_t j) {
                const T gj = g[j] + wd * p[j];
                v[j] = mu * v[j] + gj;
                p[j] -= lr * (gj + mu * v[j]);
            });
        } else {
            for_each_element(n, [=](std::size_t j) {
                v[j] = mu * v[j] + (g[j] + wd * p[j]);
                p[j] -= lr * v[j];
            });
        }
    }
    this->step_[0] += T(1);
}

template <class T>
std::vector<NamedTensor<T>> SGD<T>::state() {
    auto s = Optimizer<T>::state();
    for (std::size_t i = 0; i < velocity_.size(); ++i)
        s.push_back({this->params_[i].name + ".momentum", &velocity_[i]});
    return s;
}

// ---- Adam / AdamW ----

template <class T>
Adam<T>::Adam(std::vector<Param<T>> params, double lr, double beta1, double beta2, double eps,
              double weight_decay, bool decoupled_weight_decay)
    : Optimizer<T>(std::move(params), lr, weight_decay),
      beta1_(beta1),
      beta2_(beta2),
      eps_(eps),
      decoupled_(decoupled_weight_decay) {
    if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1))
        throw std::invalid_argument("adam: betas must lie in [0, 1), got " + std::to_string(beta1) +
                                    ", " + std::to_string(beta2));
    check_hyper("adam", "eps", eps, true);
    m_.resize(this->params_.size());
    v_.resize(this->params_.size());
    for (std::size_t i = 0; i < this->params_.size(); ++i) {
        this->ensure_like(m_[i], *this->params_[i].value);
        this->ensure_like(v_[i], *this->params_[i].value);
    }
}

template <class T>
void Adam<T>::step() {
    this->step_[0] += T(1);
    const double t = static_cast<double>(this->step_[0]);
    // Bias corrections folded into two scalars: p -= step_size m / (sqrt(v) / c2 + eps),
    // step_size = lr / (1 - b1^t), c2 = sqrt(1 - b2^t).
    const T step_size = static_cast<T>(this->lr_ / (1.0 - std::pow(beta1_, t)));
    const T c2 = static_cast<T>(std::sqrt(1.0 - std::pow(beta2_, t)));
    const T b1 = static_cast<T>(beta1_), b2 = static_cast<T>(beta2_), eps = static_cast<T>(eps_);
    const T wd = static_cast<T>(this->weight_decay_);
    const T decay = static_cast<T>(1.0 - this->lr_ * this->weight_decay_);
    for (std::size_t i = 0; i < this->params_.size(); ++i) {
        Tensor<T>& pv = *this->params_[i].value;
        const Tensor<T>& pg = *this->params_[i].grad;
        this->ensure_like(m_[i], pv);
        this->ensure_like(v_[i], pv);
        T* p = pv.data();
        const T* g = pg.data();
        T* m = m_[i].data();
        T* v = v_[i].data();
        const std::size_t n = pv.size();
        if (decoupled_) {
            for_each_element(n, [=](std::size_t j) {
                p[j] *= decay;
                const T gj = g[j];
                m[j] = b1 * m[j] + (T(1) - b1) * gj;
                v[j] = b2 * v[j] + (T(1) - b2) * gj * gj;
                p[j] -= step_size * m[j] / (std::sqrt(v[j]) / c2 + eps);
            });
        } else {
            for_each_element(n, [=](std::size_t j) {
                const T gj = g[j] + wd * p[j];
                m[j] = b1 * m[j] + (T(1) - b1) * gj;
                v[j] = b2 * v[j] + (T(1) - b2) * gj * gj;
                p[j] -= step_size * m[j] / (std::sqrt(v[j]) / c2 + eps);
            });
        }
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
    switch (c.kind) {
        case OptimizerKind::SGD:
            return std::make_unique<SGD<T>>(std::move(params), c.lr, c.momentum, c.weight_decay,
                                            c.nesterov);
        case OptimizerKind::Adam:
            return std::make_unique<Adam<T>>(std::move(params), c.lr, c.beta1, c.beta2, c.eps,
                                             c.weight_decay, false);
        case OptimizerKind::AdamW:
            return std::make_unique<Adam<T>>(std::move(params), c.lr, c.beta1, c.beta2, c.eps,
                                             c.weight_decay, true);
    }
    throw std::invalid_argument("make_optimizer: unknown optimizer kind");
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
    check_hyper("clip_grad_norm", "max_norm", max_norm, true);
    const double norm = global_grad_norm(params);
    // The small constant of torch.nn.utils.clip_grad_norm_: keeps the scale finite at norm 0.
    constexpr double kClipEps = 1e-6;
    const double coef = max_norm / (norm + kClipEps);
    if (coef < 1.0) {
        const T c = static_cast<T>(coef);
        for (const auto& p : params) {
            T* g = p.grad->data();
            for_each_element(p.grad->size(), [=](std::size_t j) { g[j] *= c; });
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
