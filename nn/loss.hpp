// Losses: a scalar from a batch of network outputs, fused with its gradient.
//
// forward(input, labels | target) returns the loss value and stores d loss / d input in a
// member tensor that backward() returns, (N, K). Computing the gradient in the same pass is
// what makes softmax cross-entropy stable and cheap: dlogits = (softmax - onehot) / N never
// forms the softmax Jacobian. The value is accumulated per row in double and summed in row
// order, so it is the same for any thread count.
//
//   SoftmaxCrossEntropy  logits (N, K); mean over the batch of
//                        logsumexp(z_r) - z_r[label_r]  (log-sum-exp after subtracting the
//                        row maximum: stable for any finite logits).
//                        With a target tensor t (N, K) (one-hot or probabilities):
//                        mean over rows of sum_k t_k (logsumexp(z) - z_k), gradient
//                        (softmax(z) * rowsum(t) - t) / N.
//   MeanSquaredError     mean over all N*K elements of (x - t)^2 (PyTorch's reduction
//                        'mean'); gradient 2 (x - t) / (N K). Labels mean one-hot targets.
//   BinaryCrossEntropy   on logits, mean over all N*K elements of
//                        max(z, 0) - z t + log1p(exp(-|z|)); gradient (sigmoid(z) - t) / (N K).
//                        Labels: with K == 1, each label is the target 0 or 1; with K > 1,
//                        labels mean one-hot targets.
//
// Labels are class indices in [0, K), one per row. Out-of-range labels, a label count that is
// not N, or a target whose shape differs from the input throw std::invalid_argument with the
// shapes in the message.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ffnn/nn/names.hpp"
#include "ffnn/tensor/tensor.hpp"

namespace ffnn {

enum class LossKind { CrossEntropy, MSE, BCE };

inline constexpr NamedValue<LossKind> kLossNames[] = {
    {LossKind::CrossEntropy, "cross_entropy"},
    {LossKind::CrossEntropy, "ce", true},
    {LossKind::CrossEntropy, "softmax_cross_entropy", true},
    {LossKind::MSE, "mse"},
    {LossKind::BCE, "bce"},
    {LossKind::BCE, "binary_cross_entropy", true},
};

inline std::string to_string(LossKind kind) {
    return std::string(name_of<LossKind>(kLossNames, kind));
}

template <class T>
class Loss {
  public:
    Loss() = default;
    Loss(const Loss&) = delete;
    Loss& operator=(const Loss&) = delete;
    virtual ~Loss() = default;

    // input (N, K), labels (N) -> mean loss; d loss / d input (N, K) kept for backward().
    virtual T forward(const Tensor<T>& input, std::span<const int> labels) = 0;
    // input (N, K), target (N, K) -> mean loss.
    virtual T forward(const Tensor<T>& input, const Tensor<T>& target) = 0;
    // d loss / d input of the last forward, (N, K).
    const Tensor<T>& backward() const { return grad_; }
    // The row count the mean divides by; 0 (the default) means the input's N. A caller that
    // cuts one batch of n rows into parts sets n, so that each part's value and gradient are
    // exactly its rows' terms of the whole batch's mean (train/data_parallel.hpp).
    void set_mean_rows(std::size_t n) { mean_rows_ = n; }
    virtual LossKind kind() const = 0;
    // The kind's name in kLossNames ("cross_entropy").
    std::string name() const { return to_string(kind()); }

  protected:
    std::size_t mean_rows(std::size_t N) const { return mean_rows_ ? mean_rows_ : N; }

    Tensor<T> grad_;                // d loss / d input of the last forward, (N, K)
    std::size_t mean_rows_ = 0;     // see set_mean_rows
    std::vector<double> row_loss_;  // workspace: one loss term per row, (N)
};

// With class weights w (K), each row's loss is multiplied by the weight of its class:
// mean over the batch of w[label_r] (logsumexp(z_r) - z_r[label_r]), gradient
// w[label_r] (softmax(z_r) - onehot_r) / N (docs/derivations.md, section 4). The mean
// divides by N, not by the sum of the weights as PyTorch's weighted 'mean' does: so a
// batch's loss does not depend on which other rows share it, and the balanced weights
// (mean 1 over the training part) keep the scale of the unweighted loss.
template <class T>
class SoftmaxCrossEntropy final : public Loss<T> {
  public:
    T forward(const Tensor<T>& logits, std::span<const int> labels) override;
    T forward(const Tensor<T>& logits, const Tensor<T>& target) override;
    LossKind kind() const override { return LossKind::CrossEntropy; }
    // One positive, finite weight per class (std::invalid_argument otherwise); empty: none.
    // A forward on logits of another K throws.
    void set_class_weights(std::vector<double> weights);
    const std::vector<double>& class_weights() const { return weights_; }

  private:
    void check_weights(std::size_t K) const;
    std::vector<double> weights_;  // (K) or empty
};

template <class T>
class MeanSquaredError final : public Loss<T> {
  public:
    T forward(const Tensor<T>& input, std::span<const int> labels) override;
    T forward(const Tensor<T>& input, const Tensor<T>& target) override;
    LossKind kind() const override { return LossKind::MSE; }
};

template <class T>
class BinaryCrossEntropy final : public Loss<T> {
  public:
    T forward(const Tensor<T>& logits, std::span<const int> labels) override;
    T forward(const Tensor<T>& logits, const Tensor<T>& target) override;
    LossKind kind() const override { return LossKind::BCE; }
};

template <class T>
std::unique_ptr<Loss<T>> make_loss(LossKind kind);

// Checks labels against logits (N, K): labels.size() == N and 0 <= label < K. The message
// names the operation, the offending row and the shapes.
template <class T>
void check_labels(const char* op, const Tensor<T>& logits, std::span<const int> labels);

}  // namespace ffnn
