// FullyConnected<T>: y = act(x W + b) with an explicit backward (see fully_connected.hpp).
//
// Every workspace is a member resized in place, and every product goes to matmul with the
// transpose flags, so that after the first step a forward/backward pair allocates nothing.
#include "ffnn/nn/fully_connected.hpp"

#include <stdexcept>

#include "ffnn/tensor/cpu.hpp"
#include "ffnn/tensor/matmul.hpp"
#include "ffnn/tensor/parallel.hpp"

namespace ffnn {

template <class T>
FullyConnected<T>::FullyConnected(std::size_t n_out, std::unique_ptr<Activation<T>> activation,
                                  Init init, std::uint64_t seed, std::size_t n_in)
    : n_out_(n_out), act_(std::move(activation)), init_(init), seed_(seed) {
    if (n_out == 0) throw std::invalid_argument("fully_connected: n_out must be positive");
    if (!act_) throw std::invalid_argument("fully_connected: activation must not be null");
    if (n_in > 0) initialize(n_in);
}

template <class T>
FullyConnected<T>::FullyConnected(std::size_t n_out, const ActivationSpec& activation, Init init,
                                  std::uint64_t seed, std::size_t n_in)
    : FullyConnected(n_out, make_activation<T>(activation), init, seed, n_in) {}

template <class T>
void FullyConnected<T>::initialize(std::size_t n_in) {
    if (n_in == 0) throw std::invalid_argument("fully_connected: n_in must be positive");
    n_in_ = n_in;
    W_ = Tensor<T>::empty(Shape{n_in_, n_out_});
    Rng rng(seed_);
    init_weight(W_, init_, act_->gain(), rng);
    b_ = Tensor<T>::zeros(Shape{n_out_});
    dW_ = Tensor<T>::zeros(Shape{n_in_, n_out_});
    db_ = Tensor<T>::zeros(Shape{n_out_});
}

template <class T>
const Tensor<T>& FullyConnected<T>::forward(const Tensor<T>& x) {
    // x (N, D), W (D, H), b (H) -> z = x W + b (N, H), y = act(z) (N, H)
    if (x.rank() != 2)
        throw std::invalid_argument("fully_connected forward: x must be rank 2 (N, D), got " +
                                    x.shape().to_string());
    if (!initialized()) initialize(x.dim(1));
    if (x.dim(1) != n_in_)
        throw std::invalid_argument("fully_connected forward: x is " + x.shape().to_string() +
                                    " but W is " + W_.shape().to_string() + " (expects " +
                                    std::to_string(n_in_) + " input columns)");
    x_ = x.view();
    // For the identity y_ is a view of z_; drop it first so that z_ owns its storage alone
    // and matmul can resize it in place when the batch size changes.
    if (y_.shares_storage_with(z_)) y_ = null_view<T>();
    // (The bias and activation fused into this product, each block of z as gemm finishes it,
    // made the step slower on 2 threads: 784-256-128-10 at batch 128, Xeon model 167, five
    // paired rounds of profile_step, layer 0's forward 200-205 us against 181-206 and the step
    // 592-611 against 570-601.)
    matmul(x, Trans::No, W_, Trans::No, z_);              // beta = 0: z_ resized to (N, H)
    const Tensor<T>& out = act_->apply_bias(z_, b_, y_);  // z_ += b, y_ = act(z_)
    if (&out != &y_) y_ = out.view();
    return y_;
}

template <class T>
const Tensor<T>& FullyConnected<T>::backward(const Tensor<T>& dy) {
    // dy (N, H) -> dz (N, H); dW (D, H) += x^T dz; db (H) += colsum(dz); dx (N, D) = dz W^T
    if (!(dy.shape() == y_.shape()) || x_.rank() != 2)
        throw std::invalid_argument("fully_connected backward: dy is " + dy.shape().to_string() +
                                    " but the last forward produced " + y_.shape().to_string() +
                                    (x_.rank() != 2 ? " (no forward since the last release)" : ""));
    // accumulate false after defer_zero_grad: write dW and db (beta = 0) rather than add.
    const bool accumulate = !overwrite_grad_;
    if (accumulate && updater_ != nullptr)
        throw std::logic_error(
            "fully_connected backward: a fused update needs defer_zero_grad "
            "first (an accumulating gradient is not final after one backward)");
    overwrite_grad_ = false;
    // dz (N, H) and db; dz is dy itself for the identity. Column sums in row order: the same
    // bits for any thread count.
    const Tensor<T>& dz = act_->apply_backward_bias(z_, y_, dy, dz_, db_, accumulate);
    // dx before dW: with a fused update the dW product changes W as it goes.
    if (input_grad_) {
        matmul(dz, Trans::No, W_, Trans::Yes, dx_);
    } else {
        // The first layer in training: dx would be discarded, and dz W^T costs as much as
        // the forward product of this layer.
        dx_.resize(Shape{0, n_in_});
    }
    const T beta = accumulate ? T(1) : T(0);
    if (updater_ == nullptr) {
        matmul(x_, Trans::Yes, dz, Trans::No, dW_, T(1), beta);
        return dx_;
    }
    // Each block of dW (D, H) goes to the updater with the same block of W.
    auto update_w = [](void* self, std::size_t r0, std::size_t r1, std::size_t c0, std::size_t c1) {
        auto* fc = static_cast<FullyConnected*>(self);
        fc->updater_->update_block(fc->W_, r0, r1, c0, c1);
    };
    const bool by_blocks =
        fused_w_ == FusedW::Auto ? update_w_by_blocks() : fused_w_ == FusedW::Blocks;
    if (by_blocks) {
        matmul(x_, Trans::Yes, dz, Trans::No, dW_, T(1), beta,
               GemmBlockDone{update_w, this, /*whole_rows=*/true});
    } else {
        matmul(x_, Trans::Yes, dz, Trans::No, dW_, T(1), beta);
        updater_->update_all(W_);
    }
    updater_->update_block(b_, 0, 1, 0, n_out_);  // b (H) as one row
    return dx_;
}

template <class T>
bool FullyConnected<T>::update_w_by_blocks() const {
    // A thread's share of dW, W and the momentum (SGD's three arrays of W's shape; Adam's
    // second moment is a fourth, not counted: the rule only decides speed) against half of
    // its core's L2. Measured on the Xeon model 167 (L2 2 MiB per core), profile_step
    // 256,128 128 T 1000, us per step, update of each W by blocks / right after its product /
    // the separate step after the backward: 2 threads 661-674 / 602-616 / 629-632, and by
    // this rule (blocks for the 256x128 layer, 0.2 MiB per thread; after the product for the
    // 784x256 one, 1.2 MiB) 590; 1 thread 875-880 / 888-895 / 871-897, the rule 866-895. A
    // block is then 20 % slower to update than the streaming pass over the whole of W: the
    // three arrays no longer stay in L2 between two steps, and the blocks' rows of 128
    // columns are short streams for the prefetcher.
    constexpr std::size_t kArrays = 3;
    const std::size_t share = kArrays * W_.size() * sizeof(T) / std::size_t(max_threads());
    return share <= cpu_info().l2_bytes / 2;
}

template <class T>
std::vector<Param<T>> FullyConnected<T>::parameters() {
    return {{"W", &W_, &dW_}, {"b", &b_, &db_}};
}

template <class T>
void FullyConnected<T>::zero_grad() {
    overwrite_grad_ = false;
    dW_.zero();
    db_.zero();
}

template <class T>
std::string FullyConnected<T>::name() const {
    return "fully_connected(" + (n_in_ ? std::to_string(n_in_) : std::string("?")) + " -> " +
           std::to_string(n_out_) + ", " + to_string(act_->spec()) + ")";
}

template class FullyConnected<float>;
template class FullyConnected<double>;

}  // namespace ffnn
