// Activation functions: forward and backward over whole batches (see activations.hpp).
//
// Element-wise activations are written as two scalar lambdas (value, derivative) run by the
// map loops of tensor/kernels.hpp, so they share the threading policy of the tensor ops
// (omp parallel for simd from kParallelThreshold elements, a plain simd loop below) and
// give the same bits for any thread count. SoftMax works row by row: each row is one
// max-subtract, exp, normalise, and its backward one dot product and one axpy.
#include "ffnn/nn/activations.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <stdexcept>
#include <string>

#include "ffnn/tensor/kernels.hpp"

namespace ffnn {

namespace {

// db (H) += colsum(g) (= when !accumulate) for g (N, H), on columns [c0, c1), rows in order.
template <class T>
void column_sum_band(const T* g, T* db, std::size_t N, std::size_t H, std::size_t c0,
                     std::size_t c1, bool accumulate) {
    if (!accumulate)
        for (std::size_t c = c0; c < c1; ++c) db[c] = T(0);
    for (std::size_t r = 0; r < N; ++r) {
        const T* row = g + r * H;
#pragma omp simd
        for (std::size_t c = c0; c < c1; ++c) db[c] += row[c];
    }
}

// who names the activation, op the call ("apply_bias"); the message is built only on error
// (the check runs every training step, which must not allocate).
template <class T>
void check_bias(const Activation<T>& who, const char* op, const Tensor<T>& z, const Tensor<T>& b) {
    if (z.rank() != 2 || b.size() != z.dim(1))
        throw std::invalid_argument(who.name() + " " + op + ": z is " + z.shape().to_string() +
                                    " but b is " + b.shape().to_string() +
                                    " (expects z (N, H) and b (H))");
}

// z (N, H) += b (H) on every row.
template <class T>
void add_bias(Tensor<T>& z, const Tensor<T>& b) {
    map_rows(z.data(), b.data(), z.data(), z.dim(0), z.dim(1), [](T zi, T bi) { return zi + bi; });
}

// db (H) += colsum(g (N, H)), or = when !accumulate.
template <class T>
void column_sum(const Tensor<T>& g, Tensor<T>& db, bool accumulate) {
    const std::size_t N = g.dim(0), H = g.dim(1);
    const T* gp = g.data();
    T* dbp = db.data();
    for_column_bands(N, H, [=](std::size_t c0, std::size_t c1) {
        column_sum_band(gp, dbp, N, H, c0, c1, accumulate);
    });
}

template <class T>
void check_same(const char* op, const Tensor<T>& a, const char* an, const Tensor<T>& b,
                const char* bn) {
    if (!(a.shape() == b.shape()))
        throw std::invalid_argument(std::string(op) + ": " + an + " is " + a.shape().to_string() +
                                    " but " + bn + " is " + b.shape().to_string());
}

// Shapes y like z; y must not be a view sharing z's storage (it would be overwritten while
// read) unless it is z itself.
template <class T>
void prepare_out(const Tensor<T>& z, Tensor<T>& y) {
    if (&y != &z) y.resize(z.shape());
}

// The common frame of an element-wise backward: checks shapes, sizes dz, runs f(z, y, dy).
template <class T, class F>
void elementwise_backward(const char* op, const Tensor<T>& z, const Tensor<T>& y,
                          const Tensor<T>& dy, Tensor<T>& dz, F f) {
    check_same(op, z, "z", y, "y");
    check_same(op, z, "z", dy, "dy");
    if (&dz != &dy) dz.resize(z.shape());
    map3(z.data(), y.data(), dy.data(), dz.data(), z.size(), f);
}

}  // namespace

// ---- Activation: the Module face ----

template <class T>
const Tensor<T>& Activation<T>::forward(const Tensor<T>& x) {
    // x (N, H) -> y (N, H)
    z_ = x.view();
    apply(x, y_);
    return y_;
}

template <class T>
const Tensor<T>& Activation<T>::backward(const Tensor<T>& dy) {
    // dy (N, H) -> dx (N, H)
    if (!(dy.shape() == y_.shape()))
        throw std::invalid_argument(this->name() + " backward: dy is " + dy.shape().to_string() +
                                    " but the last forward produced " + y_.shape().to_string());
    apply_backward(z_, y_, dy, dx_);
    return dx_;
}

template <class T>
const Tensor<T>& Activation<T>::apply_bias(Tensor<T>& z, const Tensor<T>& b, Tensor<T>& y) const {
    // z (N, H), b (H) -> z += b, y = act(z) (N, H)
    check_bias(*this, "apply_bias", z, b);
    add_bias(z, b);
    apply(z, y);
    return y;
}

template <class T>
const Tensor<T>& Activation<T>::apply_backward_bias(const Tensor<T>& z, const Tensor<T>& y,
                                                    const Tensor<T>& dy, Tensor<T>& dz,
                                                    Tensor<T>& db, bool accumulate) const {
    // z, y, dy (N, H) -> dz (N, H); db (H) += colsum(dz)
    check_bias(*this, "apply_backward_bias", dy, db);
    apply_backward(z, y, dy, dz);
    column_sum(dz, db, accumulate);
    return dz;
}

// ---- Identity ----

template <class T>
void Identity<T>::apply(const Tensor<T>& z, Tensor<T>& y) const {
    prepare_out(z, y);
    if (&y != &z) y.copy_from(z);
}

template <class T>
void Identity<T>::apply_backward(const Tensor<T>& z, const Tensor<T>& y, const Tensor<T>& dy,
                                 Tensor<T>& dz) const {
    check_same("identity backward", z, "z", y, "y");
    check_same("identity backward", z, "z", dy, "dy");
    if (&dz == &dy) return;
    dz.resize(dy.shape());
    dz.copy_from(dy);
}

template <class T>
const Tensor<T>& Identity<T>::apply_bias(Tensor<T>& z, const Tensor<T>& b, Tensor<T>&) const {
    // z (N, H), b (H) -> z += b; act(z) is z itself: no copy into y
    check_bias(*this, "apply_bias", z, b);
    add_bias(z, b);
    return z;
}

template <class T>
const Tensor<T>& Identity<T>::apply_backward_bias(const Tensor<T>& z, const Tensor<T>& y,
                                                  const Tensor<T>& dy, Tensor<T>&, Tensor<T>& db,
                                                  bool accumulate) const {
    // dz = dy itself (no copy); db (H) += colsum(dy)
    check_same("identity backward", z, "z", dy, "dy");
    (void)y;  // y is z for the identity (FullyConnected keeps it as a view), nothing to check
    check_bias(*this, "apply_backward_bias", dy, db);
    column_sum(dy, db, accumulate);
    return dy;
}

// ---- ReLU ----

template <class T>
void ReLU<T>::apply(const Tensor<T>& z, Tensor<T>& y) const {
    prepare_out(z, y);
    relu_forward(z.data(), y.data(), z.size());
}

template <class T>
void ReLU<T>::apply_backward(const Tensor<T>& z, const Tensor<T>& y, const Tensor<T>& dy,
                             Tensor<T>& dz) const {
    check_same("relu backward", z, "z", y, "y");
    check_same("relu backward", z, "z", dy, "dy");
    if (&dz != &dy) dz.resize(z.shape());
    relu_backward(z.data(), dy.data(), dz.data(), z.size());
}

template <class T>
const Tensor<T>& ReLU<T>::apply_bias(Tensor<T>& z, const Tensor<T>& b, Tensor<T>& y) const {
    // z (N, H), b (H) -> z += b, y = max(z, 0): one sweep writing both
    check_bias(*this, "apply_bias", z, b);
    prepare_out(z, y);
    const std::size_t H = z.dim(1);
    T* zp = z.data();
    T* yp = y.data();
    const T* bp = b.data();
    for_each_row(z.dim(0), H, [=](std::size_t r) {
        T* zr = zp + r * H;
        T* yr = yp + r * H;
#pragma omp simd
        for (std::size_t c = 0; c < H; ++c) {
            const T v = zr[c] + bp[c];
            zr[c] = v;
            yr[c] = relu_scalar(v);
        }
    });
    return y;
}

template <class T>
const Tensor<T>& ReLU<T>::apply_backward_bias(const Tensor<T>& z, const Tensor<T>& y,
                                              const Tensor<T>& dy, Tensor<T>& dz, Tensor<T>& db,
                                              bool accumulate) const {
    // z, dy (N, H) -> dz = dy [z > 0] (N, H), db (H) += colsum(dz): one sweep, column bands
    check_same("relu backward", z, "z", y, "y");
    check_same("relu backward", z, "z", dy, "dy");
    check_bias(*this, "apply_backward_bias", dy, db);
    if (&dz != &dy) dz.resize(z.shape());
    const std::size_t N = z.dim(0), H = z.dim(1);
    const T* zp = z.data();
    const T* gp = dy.data();
    T* dzp = dz.data();
    T* dbp = db.data();
    for_column_bands(N, H, [=](std::size_t c0, std::size_t c1) {
        if (!accumulate)
            for (std::size_t c = c0; c < c1; ++c) dbp[c] = T(0);
        for (std::size_t r = 0; r < N; ++r) {
            const T* zr = zp + r * H;
            const T* gr = gp + r * H;
            T* dr = dzp + r * H;
#pragma omp simd
            for (std::size_t c = c0; c < c1; ++c) {
                const T d = relu_grad_scalar(zr[c], gr[c]);
                dr[c] = d;
                dbp[c] += d;
            }
        }
    });
    return dz;
}

template <class T>
double ReLU<T>::gain() const {
    return std::numbers::sqrt2;
}

// ---- LeakyReLU ----

template <class T>
LeakyReLU<T>::LeakyReLU(double slope) : slope_(slope) {
    if (!std::isfinite(slope))
        throw std::invalid_argument("leaky_relu: slope must be finite, got " +
                                    std::to_string(slope));
}

template <class T>
void LeakyReLU<T>::apply(const Tensor<T>& z, Tensor<T>& y) const {
    prepare_out(z, y);
    const T s = static_cast<T>(slope_);
    map1(z.data(), y.data(), z.size(), [s](T v) { return v > T(0) ? v : s * v; });
}

template <class T>
void LeakyReLU<T>::apply_backward(const Tensor<T>& z, const Tensor<T>& y, const Tensor<T>& dy,
                                  Tensor<T>& dz) const {
    const T s = static_cast<T>(slope_);
    elementwise_backward("leaky_relu backward", z, y, dy, dz,
                         [s](T zi, T, T g) { return zi > T(0) ? g : s * g; });
}

template <class T>
double LeakyReLU<T>::gain() const {
    return std::sqrt(2.0 / (1.0 + slope_ * slope_));
}

// ---- ELU ----

template <class T>
ELU<T>::ELU(double alpha) : alpha_(alpha) {
    if (!std::isfinite(alpha))
        throw std::invalid_argument("elu: alpha must be finite, got " + std::to_string(alpha));
}

template <class T>
void ELU<T>::apply(const Tensor<T>& z, Tensor<T>& y) const {
    prepare_out(z, y);
    const T a = static_cast<T>(alpha_);
    // expm1 keeps the relative precision of alpha (e^z - 1) for small |z|.
    map1(z.data(), y.data(), z.size(), [a](T v) { return v > T(0) ? v : a * std::expm1(v); });
}

template <class T>
void ELU<T>::apply_backward(const Tensor<T>& z, const Tensor<T>& y, const Tensor<T>& dy,
                            Tensor<T>& dz) const {
    // d/dz alpha (e^z - 1) = alpha e^z = y + alpha for z <= 0.
    const T a = static_cast<T>(alpha_);
    elementwise_backward("elu backward", z, y, dy, dz,
                         [a](T zi, T yi, T g) { return zi > T(0) ? g : g * (yi + a); });
}

// ---- SELU ----

template <class T>
void SELU<T>::apply(const Tensor<T>& z, Tensor<T>& y) const {
    prepare_out(z, y);
    const T a = static_cast<T>(kAlpha), s = static_cast<T>(kScale);
    map1(z.data(), y.data(), z.size(),
         [a, s](T v) { return v > T(0) ? s * v : s * a * std::expm1(v); });
}

template <class T>
void SELU<T>::apply_backward(const Tensor<T>& z, const Tensor<T>& y, const Tensor<T>& dy,
                             Tensor<T>& dz) const {
    // For z <= 0: d/dz s a (e^z - 1) = s a e^z = y + s a.
    const T sa = static_cast<T>(kScale * kAlpha), s = static_cast<T>(kScale);
    elementwise_backward("selu backward", z, y, dy, dz,
                         [sa, s](T zi, T yi, T g) { return zi > T(0) ? s * g : g * (yi + sa); });
}

// ---- GELU (exact, erf form) ----

template <class T>
void GELU<T>::apply(const Tensor<T>& z, Tensor<T>& y) const {
    prepare_out(z, y);
    const T inv_sqrt2 = static_cast<T>(1.0 / std::numbers::sqrt2);
    map1(z.data(), y.data(), z.size(),
         [inv_sqrt2](T v) { return T(0.5) * v * (T(1) + std::erf(v * inv_sqrt2)); });
}

template <class T>
void GELU<T>::apply_backward(const Tensor<T>& z, const Tensor<T>& y, const Tensor<T>& dy,
                             Tensor<T>& dz) const {
    // dy/dz = Phi(z) + z phi(z), phi(z) = exp(-z^2 / 2) / sqrt(2 pi).
    const T inv_sqrt2 = static_cast<T>(1.0 / std::numbers::sqrt2);
    const T inv_sqrt2pi = static_cast<T>(0.5 * std::numbers::inv_sqrtpi * std::numbers::sqrt2);
    elementwise_backward("gelu backward", z, y, dy, dz, [=](T zi, T, T g) {
        T cdf = T(0.5) * (T(1) + std::erf(zi * inv_sqrt2));
        T pdf = inv_sqrt2pi * std::exp(T(-0.5) * zi * zi);
        return g * (cdf + zi * pdf);
    });
}

// ---- Sigmoid ----

template <class T>
void Sigmoid<T>::apply(const Tensor<T>& z, Tensor<T>& y) const {
    prepare_out(z, y);
    map1(z.data(), y.data(), z.size(), [](T v) { return sigmoid_scalar(v); });
}

template <class T>
void Sigmoid<T>::apply_backward(const Tensor<T>& z, const Tensor<T>& y, const Tensor<T>& dy,
                                Tensor<T>& dz) const {
    elementwise_backward("sigmoid backward", z, y, dy, dz,
                         [](T, T yi, T g) { return g * yi * (T(1) - yi); });
}

// ---- TanH ----

template <class T>
void TanH<T>::apply(const Tensor<T>& z, Tensor<T>& y) const {
    prepare_out(z, y);
    map1(z.data(), y.data(), z.size(), [](T v) { return std::tanh(v); });
}

template <class T>
void TanH<T>::apply_backward(const Tensor<T>& z, const Tensor<T>& y, const Tensor<T>& dy,
                             Tensor<T>& dz) const {
    elementwise_backward("tanh backward", z, y, dy, dz,
                         [](T, T yi, T g) { return g * (T(1) - yi * yi); });
}

// ---- SoftMax ----

template <class T>
void SoftMax<T>::apply(const Tensor<T>& z, Tensor<T>& y) const {
    // z (N, K) -> y (N, K), each row max-subtracted so that exp never overflows.
    if (z.rank() != 2)
        throw std::invalid_argument("softmax: expects a rank-2 input (N, K), got " +
                                    z.shape().to_string());
    prepare_out(z, y);
    const std::size_t N = z.dim(0), K = z.dim(1);
    if (K == 0) return;
    const T* zp = z.data();
    T* yp = y.data();
    for_each_row(N, K, [=](std::size_t r) {
        T sum;
        softmax_row(zp + r * K, yp + r * K, K, sum);
    });
}

template <class T>
void SoftMax<T>::apply_backward(const Tensor<T>& z, const Tensor<T>& y, const Tensor<T>& dy,
                                Tensor<T>& dz) const {
    // y (N, K), dy (N, K) -> dz (N, K) = y * (dy - rowsum(dy * y)).
    check_same("softmax backward", z, "z", y, "y");
    check_same("softmax backward", y, "y", dy, "dy");
    if (y.rank() != 2)
        throw std::invalid_argument("softmax backward: expects rank-2 tensors (N, K), got " +
                                    y.shape().to_string());
    if (&dz != &dy) dz.resize(y.shape());
    const std::size_t N = y.dim(0), K = y.dim(1);
    const T* yp = y.data();
    const T* gp = dy.data();
    T* op = dz.data();
    for_each_row(N, K, [=](std::size_t r) {
        const T* yr = yp + r * K;
        const T* gr = gp + r * K;
        T* o = op + r * K;
        T dot = 0;
        for (std::size_t k = 0; k < K; ++k) dot += gr[k] * yr[k];
#pragma omp simd
        for (std::size_t k = 0; k < K; ++k) o[k] = yr[k] * (gr[k] - dot);
    });
}

// ---- names ----

ActivationSpec parse_activation(std::string_view text) {
    const NameAndParameter np = split_parameter(text, "activation");
    ActivationSpec spec(parse_name<ActivationKind>(kActivationNames, np.name, "activation"),
                        np.parameter);
    // Built once to reject a parameter the kind does not take; its spec has the default
    // parameter filled in ("leaky_relu" -> leaky_relu:0.01).
    return make_activation<double>(spec)->spec();
}

std::string to_string(const ActivationSpec& spec) {
    std::string s(name_of<ActivationKind>(kActivationNames, spec.kind));
    if (spec.parameter) s += ":" + format_number(*spec.parameter);
    return s;
}

template <class T>
std::unique_ptr<Activation<T>> make_activation(const ActivationSpec& spec) {
    using K = ActivationKind;
    if (spec.parameter && spec.kind != K::LeakyReLU && spec.kind != K::ELU)
        throw std::invalid_argument("activation " + to_string(spec) + ": " +
                                    std::string(name_of<K>(kActivationNames, spec.kind)) +
                                    " takes no parameter (only leaky_relu and elu do)");
    switch (spec.kind) {
        case K::Identity:
            return std::make_unique<Identity<T>>();
        case K::ReLU:
            return std::make_unique<ReLU<T>>();
        case K::LeakyReLU:
            return std::make_unique<LeakyReLU<T>>(
                spec.parameter.value_or(LeakyReLU<T>::kDefaultSlope));
        case K::ELU:
            return std::make_unique<ELU<T>>(spec.parameter.value_or(ELU<T>::kDefaultAlpha));
        case K::SELU:
            return std::make_unique<SELU<T>>();
        case K::GELU:
            return std::make_unique<GELU<T>>();
        case K::Sigmoid:
            return std::make_unique<Sigmoid<T>>();
        case K::TanH:
            return std::make_unique<TanH<T>>();
        case K::SoftMax:
            return std::make_unique<SoftMax<T>>();
    }
    throw std::invalid_argument("make_activation: not an ActivationKind");
}

#define FFNN_INSTANTIATE(T)       \
    template class Activation<T>; \
    template class Identity<T>;   \
    template class ReLU<T>;       \
    template class LeakyReLU<T>;  \
    template class ELU<T>;        \
    template class SELU<T>;       \
    template class GELU<T>;       \
    template class Sigmoid<T>;    \
    template class TanH<T>;       \
    template class SoftMax<T>;    \
    template std::unique_ptr<Activation<T>> make_activation<T>(const ActivationSpec&);
FFNN_INSTANTIATE(float)
FFNN_INSTANTIATE(double)
#undef FFNN_INSTANTIATE

}  // namespace ffnn
