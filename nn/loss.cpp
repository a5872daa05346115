// Losses fused with their gradients (see loss.hpp for the formulas and conventions).
//
// Each loss works row by row: one pass computes the row's loss term (in double) and writes
// the row of the gradient. Rows are independent, so the row loop may run in parallel; the
// terms are then summed serially in row order, which keeps the value identical for any
// thread count.
#include "ffnn/nn/loss.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <stdexcept>

#include "ffnn/tensor/kernels.hpp"
#include "ffnn/tensor/parallel.hpp"

namespace ffnn {

namespace {

template <class T>
void check_rank2(const char* op, const Tensor<T>& input) {
    if (input.rank() != 2)
        throw std::invalid_argument(std::string(op) + ": input must be rank 2 (N, K), got " +
                                    input.shape().to_string());
}

template <class T>
void check_target(const char* op, const Tensor<T>& input, const Tensor<T>& target) {
    check_rank2(op, input);
    if (!(input.shape() == target.shape()))
        throw std::invalid_argument(std::string(op) + ": input is " + input.shape().to_string() +
                                    " but target is " + target.shape().to_string());
}

double ordered_sum(const std::vector<double>& v) {
    double s = 0.0;
    for (double x : v) s += x;
    return s;
}

}  // namespace

template <class T>
void check_labels(const char* op, const Tensor<T>& logits, std::span<const int> labels) {
    check_rank2(op, logits);
    const std::size_t N = logits.dim(0), K = logits.dim(1);
    if (labels.size() != N)
        throw std::invalid_argument(std::string(op) + ": " + std::to_string(labels.size()) +
                                    " labels for input " + logits.shape().to_string() +
                                    " (expects one label per row)");
    for (std::size_t r = 0; r < N; ++r)
        if (labels[r] < 0 || static_cast<std::size_t>(labels[r]) >= K)
            throw std::invalid_argument(std::string(op) + ": label " + std::to_string(labels[r]) +
                                        " at row " + std::to_string(r) + " is out of range [0, " +
                                        std::to_string(K) + ") for input " +
                                        logits.shape().to_string());
}

// ---- SoftmaxCrossEntropy ----

namespace {

// Writes softmax(z_r) into g_r and returns log(s) = log(sum(exp(z_r - m))) in double, setting
// m to the row maximum, so that logsumexp(z_r) = m + log(s) and the loss of label y is
// (m - z_y) + log(s). On a confident row both terms are tiny: m + log(s) rounded to float, or
// s itself (1 + something far below float's epsilon), would lose the loss entirely. So log(s)
// is log1p of the sum of the other terms, exp(z_k - m) = g_k s, each a float of full relative
// precision, added in double.
template <class T>
double softmax_and_log_sum(const T* z, T* g, std::size_t K, T& m) {
    T sum;
    m = softmax_row(z, g, K, sum);
    // The first maximum: its term is exp(0) = 1. A row with a NaN has none equal to m (NaN
    // equals nothing): the bound stops the search at the last element, and the loss is NaN.
    std::size_t top = 0;
    while (top + 1 < K && z[top] != m) ++top;
    double rest = 0.0;
    for (std::size_t k = 0; k < K; ++k)
        if (k != top) rest += static_cast<double>(g[k]);
    return std::log1p(rest * static_cast<double>(sum));
}

}  // namespace

template <class T>
void SoftmaxCrossEntropy<T>::set_class_weights(std::vector<double> weights) {
    for (std::size_t k = 0; k < weights.size(); ++k)
        if (!(std::isfinite(weights[k]) && weights[k] > 0))
            throw std::invalid_argument("cross_entropy: class weight " + std::to_string(k) +
                                        " must be positive and finite, got " +
                                        format_number(weights[k]));
    weights_ = std::move(weights);
}

template <class T>
void SoftmaxCrossEntropy<T>::check_weights(std::size_t K) const {
    if (!weights_.empty() && weights_.size() != K)
        throw std::invalid_argument("cross_entropy: " + std::to_string(weights_.size()) +
                                    " class weights for logits of " + std::to_string(K) +
                                    " classes");
}

template <class T>
T SoftmaxCrossEntropy<T>::forward(const Tensor<T>& logits, std::span<const int> labels) {
    // logits (N, K), labels (N) -> loss; dlogits (N, K) = w_y (softmax - onehot) / N, with
    // w_y = 1 without class weights (a multiplication by 1 is exact: the same bits)
    check_labels("cross_entropy", logits, labels);
    const std::size_t N = logits.dim(0), K = logits.dim(1);
    check_weights(K);
    this->grad_.resize(logits.shape());
    this->row_loss_.resize(N);
    if (N == 0) return T(0);
    const T inv_n = T(1) / static_cast<T>(this->mean_rows(N));
    const T* zp = logits.data();
    T* gp = this->grad_.data();
    double* lp = this->row_loss_.data();
    for_each_row(N, K, [&](std::size_t r) {
        const T* z = zp + r * K;
        T* g = gp + r * K;
        T m;
        const double log_s = softmax_and_log_sum(z, g, K, m);
        const std::size_t y = static_cast<std::size_t>(labels[r]);
        const double w = weights_.empty() ? 1.0 : weights_[y];
        const T scale = inv_n * static_cast<T>(w);
        lp[r] = w * ((static_cast<double>(m) - static_cast<double>(z[y])) + log_s);
#pragma omp simd
        for (std::size_t k = 0; k < K; ++k) g[k] *= scale;
        g[y] -= scale;
    });
    return static_cast<T>(ordered_sum(this->row_loss_) / static_cast<double>(this->mean_rows(N)));
}

template <class T>
T SoftmaxCrossEntropy<T>::forward(const Tensor<T>& logits, const Tensor<T>& target) {
    // logits (N, K), target (N, K) -> loss; dlogits = (softmax * rowsum(t) - t) / N, with
    // class weights t_k replaced by w_k t_k throughout
    check_target("cross_entropy", logits, target);
    const std::size_t N = logits.dim(0), K = logits.dim(1);
    check_weights(K);
    this->grad_.resize(logits.shape());
    this->row_loss_.resize(N);
    if (N == 0) return T(0);
    const T inv_n = T(1) / static_cast<T>(this->mean_rows(N));
    const T* zp = logits.data();
    const T* tp = target.data();
    T* gp = this->grad_.data();
    double* lp = this->row_loss_.data();
    for_each_row(N, K, [&](std::size_t r) {
        const T* z = zp + r * K;
        const T* t = tp + r * K;
        T* g = gp + r * K;
        T m;
        const double log_s = softmax_and_log_sum(z, g, K, m);
        double loss = 0.0;
        T tsum = 0;
        for (std::size_t k = 0; k < K; ++k) {
            const T wt = weights_.empty() ? t[k] : static_cast<T>(weights_[k]) * t[k];
            loss += static_cast<double>(wt) *
                    ((static_cast<double>(m) - static_cast<double>(z[k])) + log_s);
            tsum += wt;
        }
        lp[r] = loss;
        if (weights_.empty()) {
#pragma omp simd
            for (std::size_t k = 0; k < K; ++k) g[k] = (g[k] * tsum - t[k]) * inv_n;
        } else {
            for (std::size_t k = 0; k < K; ++k)
                g[k] = (g[k] * tsum - static_cast<T>(weights_[k]) * t[k]) * inv_n;
        }
    });
    return static_cast<T>(ordered_sum(this->row_loss_) / static_cast<double>(this->mean_rows(N)));
}

// ---- MeanSquaredError ----

template <class T>
T MeanSquaredError<T>::forward(const Tensor<T>& input, const Tensor<T>& target) {
    // input (N, K), target (N, K) -> mean (x - t)^2; dinput = 2 (x - t) / (N K)
    check_target("mse", input, target);
    const std::size_t N = input.dim(0), K = input.dim(1);
    this->grad_.resize(input.shape());
    this->row_loss_.resize(N);
    if (N * K == 0) return T(0);
    const T scale = T(2) / static_cast<T>(this->mean_rows(N) * K);
    const T* xp = input.data();
    const T* tp = target.data();
    T* gp = this->grad_.data();
    double* lp = this->row_loss_.data();
    for_each_row(N, K, [&](std::size_t r) {
        double s = 0.0;
        for (std::size_t k = 0; k < K; ++k) {
            const T d = xp[r * K + k] - tp[r * K + k];
            s += static_cast<double>(d) * static_cast<double>(d);
            gp[r * K + k] = scale * d;
        }
        lp[r] = s;
    });
    return static_cast<T>(ordered_sum(this->row_loss_) /
                          static_cast<double>(this->mean_rows(N) * K));
}

template <class T>
T MeanSquaredError<T>::forward(const Tensor<T>& input, std::span<const int> labels) {
    // input (N, K), labels (N) -> mean over N K of (x - onehot)^2
    check_labels("mse", input, labels);
    const std::size_t N = input.dim(0), K = input.dim(1);
    this->grad_.resize(input.shape());
    this->row_loss_.resize(N);
    if (N * K == 0) return T(0);
    const T scale = T(2) / static_cast<T>(this->mean_rows(N) * K);
    const T* xp = input.data();
    T* gp = this->grad_.data();
    double* lp = this->row_loss_.data();
    for_each_row(N, K, [&](std::size_t r) {
        const std::size_t y = static_cast<std::size_t>(labels[r]);
        double s = 0.0;
        for (std::size_t k = 0; k < K; ++k) {
            const T d = xp[r * K + k] - (k == y ? T(1) : T(0));
            s += static_cast<double>(d) * static_cast<double>(d);
            gp[r * K + k] = scale * d;
        }
        lp[r] = s;
    });
    return static_cast<T>(ordered_sum(this->row_loss_) /
                          static_cast<double>(this->mean_rows(N) * K));
}

// ---- BinaryCrossEntropy on logits ----

namespace {

// One element: loss max(z, 0) - z t + log1p(exp(-|z|)) and gradient sigmoid(z) - t.
template <class T>
inline double bce_term(T z, T t, T scale, T& g) {
    g = scale * (sigmoid_scalar(z) - t);
    const double zd = z, td = t;
    return std::max(zd, 0.0) - zd * td + std::log1p(std::exp(-std::abs(zd)));
}

}  // namespace

template <class T>
T BinaryCrossEntropy<T>::forward(const Tensor<T>& logits, const Tensor<T>& target) {
    // logits (N, K), target (N, K) in [0, 1] -> mean over N K; dlogits = (sigmoid - t) / (N K)
    check_target("bce", logits, target);
    const std::size_t N = logits.dim(0), K = logits.dim(1);
    this->grad_.resize(logits.shape());
    this->row_loss_.resize(N);
    if (N * K == 0) return T(0);
    const T scale = T(1) / static_cast<T>(this->mean_rows(N) * K);
    const T* zp = logits.data();
    const T* tp = target.data();
    T* gp = this->grad_.data();
    double* lp = this->row_loss_.data();
    for_each_row(N, K, [&](std::size_t r) {
        double s = 0.0;
        for (std::size_t k = 0; k < K; ++k)
            s += bce_term(zp[r * K + k], tp[r * K + k], scale, gp[r * K + k]);
        lp[r] = s;
    });
    return static_cast<T>(ordered_sum(this->row_loss_) /
                          static_cast<double>(this->mean_rows(N) * K));
}

template <class T>
T BinaryCrossEntropy<T>::forward(const Tensor<T>& logits, std::span<const int> labels) {
    // logits (N, 1) with labels 0/1, or logits (N, K) with labels as one-hot targets.
    check_rank2("bce", logits);
    const std::size_t N = logits.dim(0), K = logits.dim(1);
    if (K == 1) {
        if (labels.size() != N)
            throw std::invalid_argument("bce: " + std::to_string(labels.size()) +
                                        " labels for input " + logits.shape().to_string() +
                                        " (expects one label per row)");
        for (std::size_t r = 0; r < N; ++r)
            if (labels[r] != 0 && labels[r] != 1)
                throw std::invalid_argument("bce: label " + std::to_string(labels[r]) + " at row " +
                                            std::to_string(r) + " must be 0 or 1 for input " +
                                            logits.shape().to_string());
    } else {
        check_labels("bce", logits, labels);
    }
    this->grad_.resize(logits.shape());
    this->row_loss_.resize(N);
    if (N * K == 0) return T(0);
    const T scale = T(1) / static_cast<T>(this->mean_rows(N) * K);
    const T* zp = logits.data();
    T* gp = this->grad_.data();
    double* lp = this->row_loss_.data();
    for_each_row(N, K, [&](std::size_t r) {
        double s = 0.0;
        for (std::size_t k = 0; k < K; ++k) {
            const T t = K == 1 ? static_cast<T>(labels[r])
                               : (k == static_cast<std::size_t>(labels[r]) ? T(1) : T(0));
            s += bce_term(zp[r * K + k], t, scale, gp[r * K + k]);
        }
        lp[r] = s;
    });
    return static_cast<T>(ordered_sum(this->row_loss_) /
                          static_cast<double>(this->mean_rows(N) * K));
}

// ---- names ----

template <class T>
std::unique_ptr<Loss<T>> make_loss(LossKind kind) {
    switch (kind) {
        case LossKind::CrossEntropy:
            return std::make_unique<SoftmaxCrossEntropy<T>>();
        case LossKind::MSE:
            return std::make_unique<MeanSquaredError<T>>();
        case LossKind::BCE:
            return std::make_unique<BinaryCrossEntropy<T>>();
    }
    throw std::invalid_argument("make_loss: not a LossKind");
}

#define FFNN_INSTANTIATE(T)                                   \
    template class Loss<T>;                                   \
    template class SoftmaxCrossEntropy<T>;                    \
    template class MeanSquaredError<T>;                       \
    template class BinaryCrossEntropy<T>;                     \
    template std::unique_ptr<Loss<T>> make_loss<T>(LossKind); \
    template void check_labels<T>(const char*, const Tensor<T>&, std::span<const int>);
FFNN_INSTANTIATE(float)
FFNN_INSTANTIATE(double)
#undef FFNN_INSTANTIATE

}  // namespace ffnn
