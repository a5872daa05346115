// Optimisers over a parameter list, and gradient clipping by global norm.
//
// An optimiser holds the {name, value, grad} list it was built with (Module::parameters or
// Model::parameters) and updates every value in place from its grad in step(). It never
// zeroes gradients by itself: Model::train_step calls zero_grad before each backward.
// Conventions follow PyTorch's torch.optim so that numbers can be compared one to one:
//
//   SGD    g = grad + wd p                           (L2 weight decay added to the gradient)
//          momentum mu > 0:  v = mu v + g            (v starts at 0, so v_1 = g)
//                            Nesterov: g = g + mu v, otherwise g = v
//          p -= lr g
//   Adam   g = grad + wd p                           (Kingma & Ba 2015; L2 added to gradient)
//          m = b1 m + (1 - b1) g,  v = b2 v + (1 - b2) g^2,  t = t + 1
//          p -= lr (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
//   AdamW  p -= lr wd p first (decoupled weight decay, Loshchilov & Hutter 2019), then the
//          Adam step with g = grad.
//
// state() lists the optimiser's tensors by name ("layers.0.W.momentum", "layers.0.W.exp_avg",
// "layers.0.W.exp_avg_sq", and "step", a (1) tensor holding the step count t) so that a
// checkpoint can save them and restore them in place. "step" is stored in T: exact in float
// up to 2^24 steps. State tensors are allocated by the constructor (zero) for every parameter
// that already has its shape; a parameter that is still empty (a lazy layer) gets its state
// at the first step that sees it with a shape.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ffnn/nn/module.hpp"

namespace ffnn {

enum class OptimizerKind { SGD, Adam, AdamW };

struct OptimizerConfig {
    OptimizerKind kind = OptimizerKind::SGD;
    double lr = 0.01;
    double weight_decay = 0.0;  // L2 for SGD and Adam, decoupled for AdamW
    double momentum = 0.0;      // SGD
    bool nesterov = false;      // SGD; needs momentum > 0
    double beta1 = 0.9;         // Adam, AdamW
    double beta2 = 0.999;       // Adam, AdamW
    double eps = 1e-8;          // Adam, AdamW
};

// "sgd", "adam", "adamw". Throws std::invalid_argument listing the valid names.
OptimizerKind parse_optimizer(std::string_view name);
std::string to_string(OptimizerKind kind);
const std::vector<std::string>& optimizer_names();

template <class T>
class Optimizer {
  public:
    Optimizer(std::vector<Param<T>> params, double lr, double weight_decay);
    Optimizer(const Optimizer&) = delete;
    Optimizer& operator=(const Optimizer&) = delete;
    virtual ~Optimizer() = default;

    // One update of every parameter from its gradient.
    virtual void step() = 0;
    // Zeroes every gradient in the list.
    void zero_grad();

    double lr() const { return lr_; }
    void set_lr(double lr);
    double weight_decay() const { return weight_decay_; }
    // Steps taken so far (the value of the "step" state tensor).
    long long step_count() const { return static_cast<long long>(step_[0]); }

    const std::vector<Param<T>>& params() const { return params_; }
    // Named state tensors, for checkpoints: restore by writing into *value (same shape).
    virtual std::vector<NamedTensor<T>> state();
    virtual std::string name() const = 0;

  protected:
    // Makes buffer `buf` match the shape of parameter `p` (zeroed when (re)allocated).
    static void ensure_like(Tensor<T>& buf, const Tensor<T>& p);

    std::vector<Param<T>> params_;
    double lr_;
    double weight_decay_;
    Tensor<T> step_;  // (1): steps taken
};

template <class T>
class SGD final : public Optimizer<T> {
  public:
    SGD(std::vector<Param<T>> params, double lr, double momentum = 0.0, double weight_decay = 0.0,
        bool nesterov = false);
    void step() override;
    std::vector<NamedTensor<T>> state() override;
    std::string name() const override { return "sgd"; }
    double momentum() const { return momentum_; }

  private:
    double momentum_;
    bool nesterov_;
    std::vector<Tensor<T>> velocity_;  // one per parameter, same shape; empty without momentum
};

// Adam, and AdamW when decoupled_weight_decay is true.
template <class T>
class Adam final : public Optimizer<T> {
  public:
    Adam(std::vector<Param<T>> params, double lr, double beta1 = 0.9, double beta2 = 0.999,
         double eps = 1e-8, double weight_decay = 0.0, bool decoupled_weight_decay = false);
    void step() override;
    std::vector<NamedTensor<T>> state() override;
    std::string name() const override { return decoupled_ ? "adamw" : "adam"; }

  private:
    double beta1_, beta2_, eps_;
    bool decoupled_;
    std::vector<Tensor<T>> m_;  // first moment per parameter ("exp_avg")
    std::vector<Tensor<T>> v_;  // second moment per parameter ("exp_avg_sq")
};

template <class T>
std::unique_ptr<Optimizer<T>> make_optimizer(const OptimizerConfig& config,
                                             std::vector<Param<T>> params);

// sqrt of the sum of squares of every gradient in the list, accumulated in double in list
// order (the same value for any thread count).
template <class T>
double global_grad_norm(const std::vector<Param<T>>& params);

// Scales every gradient by max_norm / (norm + 1e-6) when the global norm exceeds max_norm
// (torch.nn.utils.clip_grad_norm_). Returns the norm before clipping.
template <class T>
double clip_grad_norm(const std::vector<Param<T>>& params, double max_norm);

}  // namespace ffnn
