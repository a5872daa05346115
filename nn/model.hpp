// Model<T>: a sequence of modules followed by a loss, with the training step and evaluation.
//
// Built from types, in code:
//   auto model = Model<float>::sequential(linear<float>(4, 16, ActivationKind::ReLU, {}, 1),
//                                         linear<float>(16, 3, ActivationKind::Identity, {}, 2));
// or from a ModelSpec, the usual shape of a classifier:
//   FullyConnected(hidden[0], activation) -> ... -> FullyConnected(hidden[h-1], activation)
//   -> FullyConnected(n_classes, identity)                      (the logits, (N, K))
// and the loss (softmax cross-entropy by default) applied to the logits. The spec's layers
// draw their weights from one Rng(seed): layer i is seeded with the i-th draw of it.
//
// Parameters are named "layers.<i>.W" and "layers.<i>.b", i counting FullyConnected layers
// from 0 ("modules.<j>.<name>" for parameters of any other module); parameters() returns them
// in that order (checkpoints use these names).
//
// Training is the explicit loop, with an optimiser the caller owns:
//   model.zero_grad();
//   float loss = model.loss().forward(model.forward(x), labels);
//   model.backward(model.loss().backward());
//   optimizer.step();
// and train_step(x, labels, optimizer) is the same with the last two calls fused
// (backward_and_step). They are the fast path: zero_grad lets each FullyConnected write its
// gradients in the next backward instead of zeroing them first, backward skips the first
// layer's input gradient, which training never uses (backward(dlogits, true) computes it:
// gradient checks and saliency need it), and backward_and_step updates each block of a weight
// as soon as its gradient is written, while the block is still in cache, instead of in a
// separate pass over every parameter, its gradient and its optimiser state afterwards.
//
// Steady state: forward, backward, the loss and the optimiser step reuse member workspaces,
// so a training step allocates nothing once the first one has run with the same batch size.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "ffnn/nn/activations.hpp"
#include "ffnn/nn/config_error.hpp"
#include "ffnn/nn/fully_connected.hpp"
#include "ffnn/nn/init.hpp"
#include "ffnn/nn/loss.hpp"
#include "ffnn/nn/module.hpp"
#include "ffnn/nn/optim.hpp"

namespace ffnn {

struct ModelSpec {
    std::size_t n_inputs = 0;                          // D of the first layer
    std::vector<std::size_t> hidden;                   // widths of the hidden layers (may be empty)
    ActivationSpec activation = ActivationKind::ReLU;  // of every hidden layer
    std::size_t n_classes = 0;                         // K: width of the output layer
    Init init{};                                       // of every layer's W
    std::uint64_t seed = 0;
    LossKind loss = LossKind::CrossEntropy;

    // Each value against its range; throws ConfigError naming the field ("model.hidden").
    // n_inputs and n_classes come from the data and are checked by the Model constructor.
    void validate() const;
};

struct EvalResult {
    double loss = 0.0;      // mean loss over all samples
    double accuracy = 0.0;  // fraction of samples whose argmax logit equals the label
    std::size_t n = 0;
    std::size_t correct = 0;
    std::size_t non_finite = 0;  // rows whose logits were not all finite (counted as wrong)
};

template <class T>
class Model {
  public:
    // An empty model with softmax cross-entropy; add modules with add().
    Model();
    // Builds the layers described above. Throws ConfigError on a bad spec.
    explicit Model(const ModelSpec& spec);
    // A model of the given modules, in order (unique_ptrs of any Module<T> types).
    template <class... M>
    static Model sequential(std::unique_ptr<M>... modules) {
        Model m;
        (m.add(std::move(modules)), ...);
        return m;
    }
    Model(Model&&) noexcept = default;
    Model& operator=(Model&&) noexcept = default;

    // Appends a layer (named "layers.<i>") or any other module.
    Model& add(std::unique_ptr<FullyConnected<T>> layer);
    Model& add(std::unique_ptr<Module<T>> module);
    void set_loss(std::unique_ptr<Loss<T>> loss);
    // Weights per class for the loss (SoftmaxCrossEntropy::set_class_weights); empty clears
    // them. Throws std::invalid_argument when the loss is not softmax cross-entropy.
    void set_class_weights(std::vector<double> weights);
    Loss<T>& loss() { return *loss_; }

    // x (N, D) -> logits (N, K), valid until the next forward.
    const Tensor<T>& forward(const Tensor<T>& x);
    // dlogits (N, K) -> dx (N, D); parameter gradients accumulate (see zero_grad).
    // With input_grad false (the default) the first module skips dx, which training does not
    // need, and an empty tensor is returned.
    const Tensor<T>& backward(const Tensor<T>& dlogits, bool input_grad = false);
    // forward and the loss, without backward. The loss gradient is left in loss().backward().
    T compute_loss(const Tensor<T>& x, std::span<const int> labels);
    T compute_loss(const Tensor<T>& x, const Tensor<T>& target);

    // x (N, D) -> softmax of the logits (N, K), valid until the next call.
    const Tensor<T>& predict_proba(const Tensor<T>& x);
    // x (N, D) -> argmax of the logits per row (N); ties go to the lowest class. A row whose
    // logits are not all finite (NaN or inf: an input far outside the training range, or
    // non-finite weights) has no class: kNoPrediction, never a class id that looks real.
    static constexpr int kNoPrediction = -1;
    std::vector<int> predict(const Tensor<T>& x);

    // backward(dlogits) then optimizer.step(), with the step fused into the backward when it
    // can be (see the top of the file): the optimiser is fusable (no clipping), its parameter
    // list is this model's (parameter_list(), same tensors in the same order), every module
    // accepts set_fused_update, zero_grad came before and set_fused_step(false) was not called.
    // Otherwise the two calls in turn. The same bits either way.
    void backward_and_step(const Tensor<T>& dlogits, Optimizer<T>& optimizer);
    // Whether backward_and_step may fuse (default true): false, for benchmarks and tests of
    // the separate step.
    void set_fused_step(bool enabled) { fused_step_ = enabled; }
    // Whether the last backward_and_step (or train_step) ran fused.
    bool last_step_fused() const { return last_step_fused_; }

    // zero_grad, forward, loss, backward_and_step: the explicit loop above, in one call.
    // Returns the loss (computed before the step).
    T train_step(const Tensor<T>& x, std::span<const int> labels, Optimizer<T>& optimizer);
    T train_step(const Tensor<T>& x, const Tensor<T>& target, Optimizer<T>& optimizer);

    // X (N, D), labels (N): mean loss and accuracy, in batches of batch_size rows.
    EvalResult evaluate(const Tensor<T>& X, std::span<const int> labels,
                        std::size_t batch_size = 256);

    // {"layers.0.W", W, dW}, {"layers.0.b", b, db}, ... in layer order. A copy of the list
    // the model keeps (the pointers are what matter).
    std::vector<Param<T>> parameters();
    // The same list without the copy (for hot loops: no allocation).
    const std::vector<Param<T>>& parameter_list();
    // Starts a new gradient: the next backward writes the gradients instead of adding to them
    // (FullyConnected layers skip the pass that would zero dW and db; other modules zero
    // theirs now). Between zero_grad and that backward the gradients are not meaningful;
    // a second backward after it accumulates, as usual.
    void zero_grad();
    // Copies value into the named parameter; throws std::invalid_argument on an unknown name
    // (listing the valid ones) or a shape mismatch (naming both shapes).
    void set_parameter(const std::string& name, const Tensor<T>& value);
    Param<T>& parameter(const std::string& name);
    std::size_t num_parameters();  // total number of scalars

    // Architecture, for checkpoint metadata.
    // {D, H_0, H_1, ..., K}: the input width then each FullyConnected width.
    std::vector<std::size_t> layer_sizes() const;
    // One activation per FullyConnected layer (relu, ..., identity).
    std::vector<ActivationSpec> layer_activations() const;
    // The spec the model was built from (n_inputs == 0 for a model assembled with add()).
    const ModelSpec& spec() const { return spec_; }
    // One line for logs: "4 -> 8 (relu) -> 3 (identity), loss cross_entropy".
    std::string summary() const;

    std::size_t num_modules() const { return modules_.size(); }
    Module<T>& module(std::size_t i) { return *modules_.at(i); }
    // The FullyConnected layers in order (what "layers.<i>" indexes).
    const std::vector<FullyConnected<T>*>& layers() const { return layers_; }

  private:
    void rebuild_parameters();

    ModelSpec spec_;
    std::vector<std::unique_ptr<Module<T>>> modules_;
    std::vector<FullyConnected<T>*> layers_;  // the modules added as layers, in order
    std::unique_ptr<Loss<T>> loss_;
    std::vector<Param<T>> params_;  // qualified names; rebuilt when modules change
    bool params_dirty_ = true;
    bool fused_step_ = true;               // set_fused_step
    bool last_step_fused_ = false;         // last_step_fused
    std::unique_ptr<SoftMax<T>> softmax_;  // for predict_proba
    Tensor<T> proba_;                      // output of predict_proba, (N, K)
};

// Whether every parameter of the model is finite (false after a diverged run).
template <class T>
bool weights_finite(Model<T>& model);

// logits (N, K), labels (N): the rows whose prediction (Model::predict's rule: the first
// maximum, none for a row that is not finite) is the label.
template <class T>
std::size_t correct_rows(const Tensor<T>& logits, std::span<const int> labels);

}  // namespace ffnn
