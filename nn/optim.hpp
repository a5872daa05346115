// Optimisers over a parameter list, and gradient clipping by global norm.
//
// An optimiser is an object the user owns. It holds the {name, value, grad} list it was built
// with (Module::parameters or Model::parameters) and updates every value in place from its
// grad in step(), after clipping the gradients to clip_norm when that is set. It never zeroes
// gradients by itself: the training loop calls Model::zero_grad before each backward. A
// learning-rate schedule is applied from outside, with set_lr before the step.
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
//
// Fused step. The update is elementwise, so it can also run block by block during the
// backward pass, each block of a weight updated as soon as gemm has written its gradient and
// while that block is still in the cache of the core that wrote it (Model::backward_and_step:
// begin_fused_step, the modules' update_block calls, end_fused_step). Every element goes
// through the same operations as in step(), so both give the same bits. Not with clip_norm,
// which needs every gradient before the first update.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ffnn/nn/module.hpp"
#include "ffnn/nn/names.hpp"

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
    double clip_norm = 0.0;     // clip the gradients to this global norm before a step; 0: off

    // Each value against its range; throws ConfigError naming the field ("optimizer.lr").
    void validate() const;
};

inline constexpr NamedValue<OptimizerKind> kOptimizerNames[] = {
    {OptimizerKind::SGD, "sgd"}, {OptimizerKind::Adam, "adam"}, {OptimizerKind::AdamW, "adamw"}};
inline std::string to_string(OptimizerKind kind) {
    return std::string(name_of<OptimizerKind>(kOptimizerNames, kind));
}

template <class T>
class Optimizer : public ParamUpdater<T> {
  public:
    // Validates config (OptimizerConfig::validate).
    Optimizer(std::vector<Param<T>> params, const OptimizerConfig& config);
    Optimizer(const Optimizer&) = delete;
    Optimizer& operator=(const Optimizer&) = delete;
    virtual ~Optimizer() = default;

    // Clips the gradients when clip_norm is set, then updates every parameter from its gradient.
    void step();
    // Zeroes every gradient in the list.
    void zero_grad();

    const OptimizerConfig& config() const { return config_; }
    double lr() const { return config_.lr; }
    // The learning rate of the next steps, from a schedule. It may be 0 (a cosine schedule
    // ends at min_lr = 0); the configured rate must be positive.
    void set_lr(double lr);
    double weight_decay() const { return config_.weight_decay; }
    // The global gradient norm before clipping at the last step (0 when clipping is off).
    double last_grad_norm() const { return last_grad_norm_; }
    // Steps taken so far (the value of the "step" state tensor).
    long long step_count() const { return static_cast<long long>(step_[0]); }

    const std::vector<Param<T>>& params() const { return params_; }
    // Named state tensors, for checkpoints: restore by writing into *value (same shape).
    virtual std::vector<NamedTensor<T>> state();
    std::string name() const { return to_string(config_.kind); }

    // The fused step (see the top of this file). fusable(): whether this configuration allows
    // it. begin_fused_step() before the backward pass counts the step and prepares its
    // scalars; update_block (ParamUpdater) updates one block of a parameter in the list
    // (blocks of other tensors are ignored); end_fused_step() after the backward throws
    // std::logic_error unless the blocks covered as many elements as the parameters have (a
    // count: it catches a module that hands over less than its parameters, not one element
    // updated twice and another missed). cancel_fused_step(), when the backward throws,
    // undoes the step count if no element was updated yet (the shape checks come first);
    // after a partial update the step stays counted and the parameters are partly updated.
    bool fusable() const { return config_.clip_norm == 0; }
    void begin_fused_step();
    void cancel_fused_step();
    void update_block(const Tensor<T>& value, std::size_t r0, std::size_t r1, std::size_t c0,
                      std::size_t c1) override;
    void update_all(const Tensor<T>& value) override;
    void end_fused_step();

  protected:
    // Once per step, before any update: sizes the state buffers, counts the step and computes
    // the step's scalars.
    virtual void prepare() = 0;
    // The rule on elements [j0, j1) of parameter i, on gradients already clipped: serial and
    // elementwise, so that any split of a parameter into spans gives the same bits.
    virtual void update_span(std::size_t i, std::size_t j0, std::size_t j1) = 0;
    // Parameter i whole, one span per thread above kParallelThreshold elements.
    void update_param(std::size_t i);
    // The index of the parameter whose value tensor is `value`; params_.size() if none.
    std::size_t index_of(const Tensor<T>& value) const;
    // Makes buffer `buf` match the shape of parameter `p` (zeroed when (re)allocated).
    static void ensure_like(Tensor<T>& buf, const Tensor<T>& p);

    std::vector<Param<T>> params_;
    OptimizerConfig config_;
    double last_grad_norm_ = 0.0;
    Tensor<T> step_;                              // (1): steps taken
    std::atomic<std::size_t> fused_elements_{0};  // elements updated since begin_fused_step
};

template <class T>
class SGD final : public Optimizer<T> {
  public:
    SGD(std::vector<Param<T>> params, double lr, double momentum = 0.0, double weight_decay = 0.0,
        bool nesterov = false);
    // config.kind must be SGD.
    SGD(std::vector<Param<T>> params, const OptimizerConfig& config);
    std::vector<NamedTensor<T>> state() override;
    double momentum() const { return this->config_.momentum; }

  private:
    void prepare() override;
    void update_span(std::size_t i, std::size_t j0, std::size_t j1) override;
    std::vector<Tensor<T>> velocity_;  // one per parameter, same shape; empty without momentum
};

// Adam, and AdamW when decoupled_weight_decay is true.
template <class T>
class Adam final : public Optimizer<T> {
  public:
    Adam(std::vector<Param<T>> params, double lr, double beta1 = 0.9, double beta2 = 0.999,
         double eps = 1e-8, double weight_decay = 0.0, bool decoupled_weight_decay = false);
    // config.kind must be Adam or AdamW.
    Adam(std::vector<Param<T>> params, const OptimizerConfig& config);
    std::vector<NamedTensor<T>> state() override;

  private:
    void prepare() override;
    void update_span(std::size_t i, std::size_t j0, std::size_t j1) override;
    std::vector<Tensor<T>> m_;  // first moment per parameter ("exp_avg")
    std::vector<Tensor<T>> v_;  // second moment per parameter ("exp_avg_sq")
    // This step's scalars (prepare): p -= step_size m / (sqrt(v) / c2 + eps).
    T step_size_ = 0, c2_ = 1;
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
