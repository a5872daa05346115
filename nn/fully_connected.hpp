// FullyConnected<T>: an affine layer followed by its activation, y = act(x W + b).
//
// Parameters W (D, H), stored row-major so that x W needs no transpose, and b (H).
// Forward and backward run on the whole batch through matmul (tensor/matmul.hpp):
//   forward   z = x W + b          matmul(x, No, W, No, z), then b added to each row and
//             y = act(z)             y = act(z) in the same sweep (Activation::apply_bias);
//                                    for the identity y is a view of z (no copy)
//   backward  dz = act'(z, y) dy   one sweep computing dz and db (apply_backward_bias);
//             db += colsum(dz)       for the identity dz is dy itself (no copy)
//             dW += x^T dz         matmul(x, Yes, dz, No, dW, 1, beta = 1): accumulates
//             dx = dz W^T          matmul(dz, No, W, Yes, dx)
//
// The input width D is given up front (n_in > 0) or taken from the first forward (lazy
// initialisation, drawing W with an Rng seeded from the stored seed). W is drawn by the
// layer's Init with the activation's gain; b starts at zero.
#pragma once

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>

#include "ffnn/nn/activations.hpp"
#include "ffnn/nn/init.hpp"
#include "ffnn/nn/module.hpp"

namespace ffnn {

template <class T>
class FullyConnected final : public Module<T> {
  public:
    // n_out = H. n_in = D, or 0 to take it from the first forward. seed feeds the Rng that
    // draws W (the same seed gives the same W for the same D, H and T).
    FullyConnected(std::size_t n_out, std::unique_ptr<Activation<T>> activation, Init init = {},
                   std::uint64_t seed = 0, std::size_t n_in = 0);
    // The activation by kind: FullyConnected<float>(16, ActivationKind::ReLU).
    explicit FullyConnected(std::size_t n_out, const ActivationSpec& activation = {},
                            Init init = {}, std::uint64_t seed = 0, std::size_t n_in = 0);

    // Allocates W (n_in, H) and b (H), draws W, zeros b and both gradients. Called by the
    // first forward when D was not given; calling it again redraws the weights.
    void initialize(std::size_t n_in);
    bool initialized() const { return n_in_ > 0; }

    // x (N, D) -> y (N, H)
    const Tensor<T>& forward(const Tensor<T>& x) override;
    // dy (N, H) -> dx (N, D); dW (D, H) and db (H) accumulate.
    const Tensor<T>& backward(const Tensor<T>& dy) override;
    void set_input_grad(bool enabled) override { input_grad_ = enabled; }
    // {"W", W, dW}, {"b", b, db}.
    std::vector<Param<T>> parameters() override;
    void zero_grad() override;
    // Model::zero_grad: instead of zeroing dW and db now (a pass over dW, the largest array of
    // the step), the next backward writes them (matmul beta = 0) instead of accumulating. The
    // result is the same as zero_grad then backward; until that backward, dW and db still
    // hold the old gradients. zero_grad() cancels it.
    void defer_zero_grad() override { overwrite_grad_ = true; }
    // The update fused into backward: dx = dz W^T is computed first, from the old W; then the
    // dW product hands each block of dW to the updater as gemm finishes it (GemmBlockDone),
    // or, for a W too large for the blocks to stay in cache, all of W right after the
    // product; db whole after it. Needs the deferred zeroing (a gradient that accumulates onto an
    // earlier backward's is not final after one): without it, set_fused_update refuses
    // (returns false) and backward throws std::logic_error if an updater is set anyway.
    // How a fused update takes W: Auto (the cache rule in the .cpp), Blocks (each block of
    // dW as the product finishes it) or Whole (all of W right after the product). The same
    // numbers every way; for tests and benchmarks.
    enum class FusedW { Auto, Blocks, Whole };
    void set_fused_w(FusedW how) { fused_w_ = how; }
    bool set_fused_update(ParamUpdater<T>* updater) override {
        if (updater != nullptr && !overwrite_grad_) {
            updater_ = nullptr;
            return false;
        }
        updater_ = updater;
        return true;
    }
    void release() override { x_ = null_view<T>(); }
    std::string name() const override;

    std::size_t n_in() const { return n_in_; }    // D, 0 until initialised
    std::size_t n_out() const { return n_out_; }  // H
    const Activation<T>& activation() const { return *act_; }
    const Init& init() const { return init_; }
    std::uint64_t seed() const { return seed_; }

    Tensor<T>& W() { return W_; }
    Tensor<T>& b() { return b_; }
    Tensor<T>& dW() { return dW_; }
    Tensor<T>& db() { return db_; }
    const Tensor<T>& W() const { return W_; }
    const Tensor<T>& b() const { return b_; }
    // The pre-activation and output of the last forward, (N, H).
    const Tensor<T>& z() const { return z_; }
    const Tensor<T>& y() const { return y_; }

  private:
    std::size_t n_in_ = 0;  // D
    std::size_t n_out_;     // H
    std::unique_ptr<Activation<T>> act_;
    Init init_;
    std::uint64_t seed_;

    Tensor<T> W_, dW_;  // (D, H)
    Tensor<T> b_, db_;  // (H)

    Tensor<T> x_;   // view of the input of the last forward, (N, D): for dW = x^T dz
    Tensor<T> z_;   // pre-activation x W + b of the last forward, (N, H): for act'
    Tensor<T> y_;   // output act(z) of the last forward, (N, H): for act' (sigmoid, tanh, ...);
                    // a view of z_ when the activation is the identity
    Tensor<T> dz_;  // workspace: gradient w.r.t. z, (N, H)
    Tensor<T> dx_;  // input gradient of the last backward, (N, D)
    bool overwrite_grad_ = false;  // set by defer_zero_grad: next backward writes dW, db
    bool input_grad_ = true;       // false: backward skips dx = dz W^T and returns an empty tensor
    ParamUpdater<T>* updater_ = nullptr;  // set_fused_update: backward updates W and b
    FusedW fused_w_ = FusedW::Auto;       // set_fused_w
    // With an updater: W updated block by block in the dW product (true), or whole right
    // after it (false, when the blocks would not stay in cache; see the .cpp).
    bool update_w_by_blocks() const;
};

// A layer D -> H with its activation, for Model::sequential or Model::add:
//   linear<float>(4, 16, ActivationKind::ReLU, Init{InitKind::HeNormal}, /*seed=*/1)
template <class T>
std::unique_ptr<FullyConnected<T>> linear(std::size_t n_in, std::size_t n_out,
                                          const ActivationSpec& activation = {}, Init init = {},
                                          std::uint64_t seed = 0) {
    if (n_in == 0) throw std::invalid_argument("linear: n_in must be positive");
    return std::make_unique<FullyConnected<T>>(n_out, activation, init, seed, n_in);
}

}  // namespace ffnn
