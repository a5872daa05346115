// Module<T>: the one interface every layer of ffnn implements.
//
// Dimension letters, used in every shape comment under nn/:
//   N  batch size: the rows of an input; every module maps a batch at once
//   D  input features of a layer (its fan_in)
//   H  output features of a layer (its fan_out)
//   K  classes: the width of the last layer's output (the logits) and of the loss input
// All tensors are rank 2 and row-major: one sample per row.
//
// A module has an explicit forward and backward, no autograd:
//   forward(x)   x (N, D) -> y (N, H); caches what backward needs (each module says what,
//                at the member);
//   backward(dy) dy (N, H) -> dx (N, D); ACCUMULATES into the parameter gradients, so
//                zero_grad() is a separate step and gradient accumulation is free.
// Both return a reference to a member workspace that stays valid until the next call of the
// same method: steady-state training never allocates, because the workspaces are reused
// through Tensor::resize.
//
// parameters() is the single list of {name, value, grad} that the optimiser, the gradient
// check, checkpoints and loggers all walk. The pointers point into the module, so a module
// must not be moved after its parameter list has been taken (Model keeps modules on the heap).
//
// T is float for training and double for gradient checking; every module is explicitly
// instantiated for both.
#pragma once

#include <string>
#include <vector>

#include "ffnn/tensor/tensor.hpp"

namespace ffnn {

// One trainable tensor and its gradient (same shape). name is local to the module ("W", "b")
// or qualified by the model ("layers.0.W").
template <class T>
struct Param {
    std::string name;
    Tensor<T>* value = nullptr;
    Tensor<T>* grad = nullptr;
};

// A named tensor without a gradient: optimiser state ("layers.0.W.exp_avg", "step").
template <class T>
struct NamedTensor {
    std::string name;
    Tensor<T>* value = nullptr;
};

// A view of one shared empty tensor. Assigning it to a cached input drops the reference to
// that input's storage without allocating (a default-constructed Tensor allocates).
template <class T>
Tensor<T> null_view() {
    static const Tensor<T> empty;
    return empty.view();
}

// What updates a parameter from its gradient, block by block, during a backward pass (the
// optimiser, in Model::backward_and_step): update_block(value, r0, r1, c0, c1) takes rows
// [r0, r1) and columns [c0, c1) of the parameter whose value tensor is `value`, seen as a
// (size / cols, cols) matrix with cols its last dimension. Its gradient there must be final.
// Calls come from several threads at once (gemm reports blocks from its parallel region) and
// are safe for disjoint blocks.
template <class T>
class ParamUpdater {
  public:
    virtual void update_block(const Tensor<T>& value, std::size_t r0, std::size_t r1,
                              std::size_t c0, std::size_t c1) = 0;
    // The whole parameter, on every thread (not from inside a parallel region).
    virtual void update_all(const Tensor<T>& value) = 0;

  protected:
    ~ParamUpdater() = default;
};

template <class T>
class Module {
  public:
    Module() = default;
    Module(const Module&) = delete;
    Module& operator=(const Module&) = delete;
    virtual ~Module() = default;

    // x (N, D) -> y (N, H). The input must stay unchanged until backward (modules keep a
    // view of it, not a copy).
    virtual const Tensor<T>& forward(const Tensor<T>& x) = 0;
    // dy (N, H) -> dx (N, D), using what the last forward cached. Adds to parameter gradients.
    virtual const Tensor<T>& backward(const Tensor<T>& dy) = 0;
    // Whether backward computes dx. A model's first module may skip it during training,
    // where nothing consumes the input gradient; backward then returns an empty tensor.
    // Modules whose dx costs nothing extra may ignore this.
    virtual void set_input_grad(bool enabled) { (void)enabled; }
    // The trainable tensors, names local to the module. Empty for parameter-free modules.
    virtual std::vector<Param<T>> parameters() { return {}; }
    // Sets every parameter gradient to zero.
    virtual void zero_grad() {
        for (auto& p : parameters()) p.grad->zero();
    }
    // zero_grad for a training step: a module whose next backward can write its gradients
    // instead of adding to them (FullyConnected) defers the zeroing to it, saving a pass over
    // the gradients; until that backward they hold stale values. The default zeroes now.
    virtual void defer_zero_grad() { zero_grad(); }
    // The optimiser's update fused into backward: with an updater set, the next backward after a
    // (deferred) zero_grad hands every element of every parameter to it, each block as soon as
    // its gradient is final, and no longer reads a parameter once it has handed it over.
    // nullptr turns it off. A module that cannot do this returns false (the default; Model
    // then steps the optimiser after the backward as before); a module without parameters
    // has nothing to hand over and returns true.
    virtual bool set_fused_update(ParamUpdater<T>* updater) {
        return updater == nullptr || parameters().empty();
    }
    // Drops the views of the last input, so that the module that produced it can reuse its
    // storage in place when the batch size changes. Model calls it before each forward.
    virtual void release() {}
    // A short description: "relu", "fully_connected(4 -> 8, tanh)".
    virtual std::string name() const = 0;
};

}  // namespace ffnn
