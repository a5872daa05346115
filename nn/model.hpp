// Model<T>: a sequence of modules followed by a loss, with training and evaluation helpers.
//
// A model is normally built from a ModelSpec, the same fields the CLI takes as flags
// (--hidden 64,32 --activation relu --init xavier_uniform --seed 1):
//   FullyConnected(hidden[0], activation) -> ... -> FullyConnected(hidden[h-1], activation)
//   -> FullyConnected(n_classes, identity)                      (the logits, (N, K))
// and the loss (softmax cross-entropy by default) applied to the logits. The layers'
// weights are drawn from one Rng(seed): layer i is seeded with the i-th draw of it.
//
// Parameters are named "layers.<i>.W" and "layers.<i>.b", i counting FullyConnected layers
// from 0; parameters() returns them in that order (checkpoints use these names).
//
// Steady state: forward, backward, the loss and the optimiser step reuse member workspaces,
// so a train_step allocates nothing once the first one has run with the same batch size.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "ffnn/nn/activations.hpp"
#include "ffnn/nn/fully_connected.hpp"
#include "ffnn/nn/loss.hpp"
#include "ffnn/nn/module.hpp"
#include "ffnn/nn/optim.hpp"

namespace ffnn {

struct ModelSpec {
    std::size_t n_inputs = 0;             // D of the first layer
    std::vector<std::size_t> hidden;      // widths of the hidden layers (may be empty)
    std::string activation = "relu";      // of every hidden layer (make_activation names)
    std::size_t n_classes = 0;            // K: width of the output layer
    std::string init = "xavier_uniform";  // parse_init names
    std::uint64_t seed = 0;
    std::string loss = "cross_entropy";  // make_loss names
};

struct EvalResult {
    double loss = 0.0;      // mean loss over all samples
    double accuracy = 0.0;  // fraction of samples whose argmax logit equals the label
    std::size_t n = 0;
    std::size_t correct = 0;
};

template <class T>
class Model {
  public:
    // An empty model with softmax cross-entropy; add modules with add().
    Model();
    // Builds the layers described above. Throws std::invalid_argument on a zero width, an
    // unknown activation, init or loss name.
    explicit Model(const ModelSpec& spec);
    Model(Model&&) noexcept = default;
    Model& operator=(Model&&) noexcept = default;

    void add(std::unique_ptr<Module<T>> module);
    void set_loss(std::unique_ptr<Loss<T>> loss);
    Loss<T>& loss() { return *loss_; }

    // The optimiser train_step uses. The config form builds one over parameters().
    void set_optimizer(std::unique_ptr<Optimizer<T>> optimizer);
    void set_optimizer(const OptimizerConfig& config);
    Optimizer<T>* optimizer() { return optimizer_.get(); }
    // Clip gradients to this global norm in train_step before the step (0: off, the default).
    void set_clip_grad_norm(double max_norm);
    // The norm before clipping of the last train_step's gradients (0 when clipping is off).
    double last_grad_norm() const { return last_grad_norm_; }

    // x (N, D) -> logits (N, K), valid until the next forward.
    const Tensor<T>& forward(const Tensor<T>& x);
    // dlogits (N, K) -> dx (N, D); parameter gradients accumulate.
    // With input_grad false the first module skips dx (training does not need it) and an
    // empty tensor is returned.
    const Tensor<T>& backward(const Tensor<T>& dlogits, bool input_grad = true);
    // forward and the loss, without backward. The loss gradient is left in loss().backward().
    T compute_loss(const Tensor<T>& x, std::span<const int> labels);
    T compute_loss(const Tensor<T>& x, const Tensor<T>& target);

    // x (N, D) -> softmax of the logits (N, K), valid until the next call.
    const Tensor<T>& predict_proba(const Tensor<T>& x);
    // x (N, D) -> argmax of the logits per row (N); ties go to the lowest class.
    std::vector<int> predict(const Tensor<T>& x);

    // zero_grad, forward, loss, backward, [clip], optimiser step. Returns the loss (computed
    // before the step). Throws std::logic_error without an optimiser.
    T train_step(const Tensor<T>& x, std::span<const int> labels);
    T train_step(const Tensor<T>& x, const Tensor<T>& target);

    // X (N, D), labels (N): mean loss and accuracy, in batches of batch_size rows.
    EvalResult evaluate(const Tensor<T>& X, std::span<const int> labels,
                        std::size_t batch_size = 256);

    // {"layers.0.W", W, dW}, {"layers.0.b", b, db}, ... in layer order. A copy of the list
    // the model keeps (the pointers are what matter); train_step walks its own copy.
    std::vector<Param<T>> parameters();
    // The same list without the copy (for hot loops: no allocation).
    const std::vector<Param<T>>& parameter_list();
    void zero_grad();
    // Copies value into the named parameter; throws std::invalid_argument on an unknown name
    // (listing the valid ones) or a shape mismatch (naming both shapes).
    void set_parameter(const std::string& name, const Tensor<T>& value);
    Param<T>& parameter(const std::string& name);
    std::size_t num_parameters();  // total number of scalars

    // Architecture, for checkpoint metadata.
    // {D, H_0, H_1, ..., K}: the input width then each FullyConnected width.
    std::vector<std::size_t> layer_sizes() const;
    // One activation spec per FullyConnected layer ("relu", ..., "identity").
    std::vector<std::string> activation_names() const;
    // The spec the model was built from (n_inputs == 0 for a model assembled with add()).
    const ModelSpec& spec() const { return spec_; }
    // One line for logs: "4 -> 8 (relu) -> 3 (identity), loss cross_entropy".
    std::string summary() const;

    std::size_t num_modules() const { return modules_.size(); }
    Module<T>& module(std::size_t i) { return *modules_.at(i); }
    // The FullyConnected layers in order (what "layers.<i>" indexes).
    std::vector<FullyConnected<T>*> layers() const;

  private:
    void rebuild_parameters();

    ModelSpec spec_;
    std::vector<std::unique_ptr<Module<T>>> modules_;
    std::unique_ptr<Loss<T>> loss_;
    std::unique_ptr<Optimizer<T>> optimizer_;
    std::vector<Param<T>> params_;  // qualified names; rebuilt when modules change
    bool params_dirty_ = true;
    double clip_norm_ = 0.0;
    double last_grad_norm_ = 0.0;
    std::unique_ptr<SoftMax<T>> softmax_;  // for predict_proba
    Tensor<T> proba_;                      // output of predict_proba, (N, K)
};

}  // namespace ffnn
