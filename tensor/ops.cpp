// Element-wise operations, broadcasting, reductions and transpose (see ops.hpp).
//
// Layer 3 of the element-wise design: each public function checks shapes at the API boundary,
// then runs a loop from tensor/kernels.hpp.
#include "ffnn/tensor/ops.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "ffnn/tensor/kernels.hpp"
#include "ffnn/tensor/parallel.hpp"

namespace ffnn {

namespace {

enum class Fit { Same, RowBroadcast };

// How b combines with a: same shape, or b is a row vector (H) / (1, H) and a is (N, H).
template <class T>
Fit check_binary(const char* op, const Tensor<T>& a, const Tensor<T>& b) {
    if (a.shape() == b.shape()) return Fit::Same;
    bool b_row = (b.rank() == 1) || (b.rank() == 2 && b.dim(0) == 1);
    if (a.rank() == 2 && b_row && b.size() == a.dim(1)) return Fit::RowBroadcast;
    throw std::invalid_argument(
        std::string(op) + ": shapes " + a.shape().to_string() + " and " + b.shape().to_string() +
        " do not match (expected the same shape, or a row vector of " + "the matrix's width)");
}

template <class T, class F>
Tensor<T> binary(const char* op, const Tensor<T>& a, const Tensor<T>& b, F f) {
    Fit fit = check_binary(op, a, b);
    Tensor<T> out = Tensor<T>::empty(a.shape());
    if (fit == Fit::Same)
        map2(a.data(), b.data(), out.data(), a.size(), f);
    else
        map_rows(a.data(), b.data(), out.data(), a.dim(0), a.dim(1), f);
    return out;
}

template <class T, class F>
Tensor<T>& binary_inplace(const char* op, Tensor<T>& a, const Tensor<T>& b, F f) {
    Fit fit = check_binary(op, a, b);
    if (fit == Fit::Same)
        map2(a.data(), b.data(), a.data(), a.size(), f);
    else
        map_rows(a.data(), b.data(), a.data(), a.dim(0), a.dim(1), f);
    return a;
}

template <class T, class F>
Tensor<T> unary(const Tensor<T>& a, F f) {
    Tensor<T> out = Tensor<T>::empty(a.shape());
    map1(a.data(), out.data(), a.size(), f);
    return out;
}

template <class T, class F>
Tensor<T>& unary_inplace(Tensor<T>& a, F f) {
    map1(a.data(), a.data(), a.size(), f);
    return a;
}

template <class T>
void require_rank2(const char* op, const Tensor<T>& a) {
    if (a.rank() != 2)
        throw std::invalid_argument(std::string(op) + ": expected a rank-2 tensor, got shape " +
                                    a.shape().to_string());
}

int check_axis(const char* op, int axis) {
    if (axis != 0 && axis != 1)
        throw std::invalid_argument(std::string(op) + ": axis must be 0 or 1, got " +
                                    std::to_string(axis));
    return axis;
}

// Sum of p[0 .. n): kReduceBlock-sized blocks summed serially, block sums combined in order.
// The partition depends only on n, so the result is the same for any thread count.
template <class T>
T blocked_sum(const T* p, std::size_t n) {
    std::size_t blocks = (n + kReduceBlock - 1) / kReduceBlock;
    if (blocks <= 1) {
        T s = 0;
        for (std::size_t i = 0; i < n; ++i) s += p[i];
        return s;
    }
    std::vector<T> partial(blocks);
#pragma omp parallel for schedule(static) if (n >= kParallelThreshold)
    for (std::size_t b = 0; b < blocks; ++b) {
        std::size_t lo = b * kReduceBlock, hi = std::min(n, lo + kReduceBlock);
        T s = 0;
        for (std::size_t i = lo; i < hi; ++i) s += p[i];
        partial[b] = s;
    }
    T s = 0;
    for (T v : partial) s += v;
    return s;
}

}  // namespace

// ---- binary ----
template <class T>
Tensor<T> operator+(const Tensor<T>& a, const Tensor<T>& b) {
    return binary("add", a, b, [](T x, T y) { return x + y; });
}
template <class T>
Tensor<T> operator-(const Tensor<T>& a, const Tensor<T>& b) {
    return binary("sub", a, b, [](T x, T y) { return x - y; });
}
template <class T>
Tensor<T> operator*(const Tensor<T>& a, const Tensor<T>& b) {
    return binary("mul", a, b, [](T x, T y) { return x * y; });
}
template <class T>
Tensor<T> operator/(const Tensor<T>& a, const Tensor<T>& b) {
    return binary("div", a, b, [](T x, T y) { return x / y; });
}
template <class T>
Tensor<T> maximum(const Tensor<T>& a, const Tensor<T>& b) {
    return binary("maximum", a, b, [](T x, T y) { return x > y ? x : y; });
}
template <class T>
Tensor<T> minimum(const Tensor<T>& a, const Tensor<T>& b) {
    return binary("minimum", a, b, [](T x, T y) { return x < y ? x : y; });
}
template <class T>
Tensor<T>& operator+=(Tensor<T>& a, const Tensor<T>& b) {
    return binary_inplace("add", a, b, [](T x, T y) { return x + y; });
}
template <class T>
Tensor<T>& operator-=(Tensor<T>& a, const Tensor<T>& b) {
    return binary_inplace("sub", a, b, [](T x, T y) { return x - y; });
}
template <class T>
Tensor<T>& operator*=(Tensor<T>& a, const Tensor<T>& b) {
    return binary_inplace("mul", a, b, [](T x, T y) { return x * y; });
}
template <class T>
Tensor<T>& operator/=(Tensor<T>& a, const Tensor<T>& b) {
    return binary_inplace("div", a, b, [](T x, T y) { return x / y; });
}

// ---- scalar ----
template <class T>
Tensor<T> operator+(const Tensor<T>& a, T s) {
    return unary(a, [s](T x) { return x + s; });
}
template <class T>
Tensor<T> operator-(const Tensor<T>& a, T s) {
    return unary(a, [s](T x) { return x - s; });
}
template <class T>
Tensor<T> operator*(const Tensor<T>& a, T s) {
    return unary(a, [s](T x) { return x * s; });
}
template <class T>
Tensor<T> operator/(const Tensor<T>& a, T s) {
    return unary(a, [s](T x) { return x / s; });
}
template <class T>
Tensor<T> operator+(T s, const Tensor<T>& a) {
    return unary(a, [s](T x) { return s + x; });
}
template <class T>
Tensor<T> operator-(T s, const Tensor<T>& a) {
    return unary(a, [s](T x) { return s - x; });
}
template <class T>
Tensor<T> operator*(T s, const Tensor<T>& a) {
    return unary(a, [s](T x) { return s * x; });
}
template <class T>
Tensor<T> operator/(T s, const Tensor<T>& a) {
    return unary(a, [s](T x) { return s / x; });
}
template <class T>
Tensor<T> operator-(const Tensor<T>& a) {
    return unary(a, [](T x) { return -x; });
}
template <class T>
Tensor<T>& operator+=(Tensor<T>& a, T s) {
    return unary_inplace(a, [s](T x) { return x + s; });
}
template <class T>
Tensor<T>& operator-=(Tensor<T>& a, T s) {
    return unary_inplace(a, [s](T x) { return x - s; });
}
template <class T>
Tensor<T>& operator*=(Tensor<T>& a, T s) {
    return unary_inplace(a, [s](T x) { return x * s; });
}
template <class T>
Tensor<T>& operator/=(Tensor<T>& a, T s) {
    return unary_inplace(a, [s](T x) { return x / s; });
}
template <class T>
Tensor<T> maximum(const Tensor<T>& a, T s) {
    return unary(a, [s](T x) { return x > s ? x : s; });
}
template <class T>
Tensor<T> minimum(const Tensor<T>& a, T s) {
    return unary(a, [s](T x) { return x < s ? x : s; });
}

template <class T>
void axpy(T alpha, const Tensor<T>& x, Tensor<T>& y) {
    if (!(x.shape() == y.shape()))
        throw std::invalid_argument("axpy: x is " + x.shape().to_string() + " but y is " +
                                    y.shape().to_string());
    map2(x.data(), y.data(), y.data(), x.size(), [alpha](T xv, T yv) { return yv + alpha * xv; });
}

// ---- unary ----
template <class T>
Tensor<T> exp(const Tensor<T>& a) {
    return unary(a, [](T x) { return std::exp(x); });
}
template <class T>
Tensor<T> log(const Tensor<T>& a) {
    return unary(a, [](T x) { return std::log(x); });
}
template <class T>
Tensor<T> tanh(const Tensor<T>& a) {
    return unary(a, [](T x) { return std::tanh(x); });
}
template <class T>
Tensor<T> sigmoid(const Tensor<T>& a) {
    return unary(a, [](T x) { return sigmoid_scalar(x); });
}
template <class T>
Tensor<T> relu(const Tensor<T>& a) {
    Tensor<T> out = Tensor<T>::empty(a.shape());
    relu_forward(a.data(), out.data(), a.size());
    return out;
}
template <class T>
Tensor<T> abs(const Tensor<T>& a) {
    return unary(a, [](T x) { return std::abs(x); });
}
template <class T>
Tensor<T> sqrt(const Tensor<T>& a) {
    return unary(a, [](T x) { return std::sqrt(x); });
}
template <class T>
Tensor<T> square(const Tensor<T>& a) {
    return unary(a, [](T x) { return x * x; });
}
template <class T>
Tensor<T>& exp_(Tensor<T>& a) {
    return unary_inplace(a, [](T x) { return std::exp(x); });
}
template <class T>
Tensor<T>& log_(Tensor<T>& a) {
    return unary_inplace(a, [](T x) { return std::log(x); });
}
template <class T>
Tensor<T>& tanh_(Tensor<T>& a) {
    return unary_inplace(a, [](T x) { return std::tanh(x); });
}
template <class T>
Tensor<T>& sigmoid_(Tensor<T>& a) {
    return unary_inplace(a, [](T x) { return sigmoid_scalar(x); });
}
template <class T>
Tensor<T>& relu_(Tensor<T>& a) {
    relu_forward(a.data(), a.data(), a.size());
    return a;
}
template <class T>
Tensor<T>& abs_(Tensor<T>& a) {
    return unary_inplace(a, [](T x) { return std::abs(x); });
}
template <class T>
Tensor<T>& sqrt_(Tensor<T>& a) {
    return unary_inplace(a, [](T x) { return std::sqrt(x); });
}

// ---- comparisons ----
template <class T>
Tensor<T> greater(const Tensor<T>& a, const Tensor<T>& b) {
    return binary("greater", a, b, [](T x, T y) { return x > y ? T(1) : T(0); });
}
template <class T>
Tensor<T> greater_equal(const Tensor<T>& a, const Tensor<T>& b) {
    return binary("greater_equal", a, b, [](T x, T y) { return x >= y ? T(1) : T(0); });
}
template <class T>
Tensor<T> less(const Tensor<T>& a, const Tensor<T>& b) {
    return binary("less", a, b, [](T x, T y) { return x < y ? T(1) : T(0); });
}
template <class T>
Tensor<T> less_equal(const Tensor<T>& a, const Tensor<T>& b) {
    return binary("less_equal", a, b, [](T x, T y) { return x <= y ? T(1) : T(0); });
}
template <class T>
Tensor<T> equal(const Tensor<T>& a, const Tensor<T>& b) {
    return binary("equal", a, b, [](T x, T y) { return x == y ? T(1) : T(0); });
}
template <class T>
Tensor<T> greater(const Tensor<T>& a, T s) {
    return unary(a, [s](T x) { return x > s ? T(1) : T(0); });
}
template <class T>
Tensor<T> greater_equal(const Tensor<T>& a, T s) {
    return unary(a, [s](T x) { return x >= s ? T(1) : T(0); });
}
template <class T>
Tensor<T> less(const Tensor<T>& a, T s) {
    return unary(a, [s](T x) { return x < s ? T(1) : T(0); });
}
template <class T>
Tensor<T> less_equal(const Tensor<T>& a, T s) {
    return unary(a, [s](T x) { return x <= s ? T(1) : T(0); });
}
template <class T>
Tensor<T> equal(const Tensor<T>& a, T s) {
    return unary(a, [s](T x) { return x == s ? T(1) : T(0); });
}

// ---- reductions over all elements ----
template <class T>
T sum(const Tensor<T>& a) {
    return blocked_sum(a.data(), a.size());
}
template <class T>
T mean(const Tensor<T>& a) {
    if (a.size() == 0)
        throw std::invalid_argument("mean: empty tensor of shape " + a.shape().to_string());
    return sum(a) / static_cast<T>(a.size());
}
template <class T>
T max(const Tensor<T>& a) {
    return a[argmax(a)];
}
// max and argmax are order-independent (a comparison picks one element exactly), so they run
// serially: one pass at memory speed. NaN counts as larger than any number (the first NaN
// wins), as in NumPy and PyTorch: a NaN in the data shows in the result instead of being
// skipped.
namespace {
template <class T>
bool beats(T candidate, T best) {
    return candidate > best || (std::isnan(candidate) && !std::isnan(best));
}
}  // namespace
template <class T>
std::size_t argmax(const Tensor<T>& a) {
    if (a.size() == 0)
        throw std::invalid_argument("argmax: empty tensor of shape " + a.shape().to_string());
    const T* p = a.data();
    std::size_t best = 0;
    for (std::size_t i = 1; i < a.size(); ++i)
        if (beats(p[i], p[best])) best = i;
    return best;
}

// ---- reductions along an axis of a (N, H) ----
template <class T>
void sum_rows_into(const Tensor<T>& a, Tensor<T>& out) {
    require_rank2("sum_rows_into", a);
    std::size_t n = a.dim(0), h = a.dim(1);
    out.resize(Shape{h});
    T* o = out.data();
    std::fill(o, o + h, T(0));
    // Rows are added in order 0..N-1 for every column: a fixed order, vectorised over columns.
    for (std::size_t r = 0; r < n; ++r) {
        const T* row = a.data() + r * h;
#pragma omp simd
        for (std::size_t c = 0; c < h; ++c) o[c] += row[c];
    }
}

template <class T>
Tensor<T> sum(const Tensor<T>& a, int axis) {
    require_rank2("sum", a);
    check_axis("sum", axis);
    std::size_t n = a.dim(0), h = a.dim(1);
    Tensor<T> out;
    if (axis == 0) {
        sum_rows_into(a, out);
    } else {
        out = Tensor<T>::empty(Shape{n});
#pragma omp parallel for schedule(static) if (a.size() >= kParallelThreshold)
        for (std::size_t r = 0; r < n; ++r) {
            const T* row = a.data() + r * h;
            T s = 0;
            for (std::size_t c = 0; c < h; ++c) s += row[c];
            out[r] = s;
        }
    }
    return out;
}

template <class T>
Tensor<T> mean(const Tensor<T>& a, int axis) {
    require_rank2("mean", a);
    check_axis("mean", axis);
    std::size_t count = axis == 0 ? a.dim(0) : a.dim(1);
    if (count == 0)
        throw std::invalid_argument("mean: axis " + std::to_string(axis) + " of shape " +
                                    a.shape().to_string() + " is empty");
    Tensor<T> s = sum(a, axis);
    s /= static_cast<T>(count);
    return s;
}

template <class T>
Tensor<T> max(const Tensor<T>& a, int axis) {
    std::vector<std::size_t> idx = argmax(a, axis);
    Tensor<T> out = Tensor<T>::empty(Shape{idx.size()});
    std::size_t h = a.dim(1);
    for (std::size_t i = 0; i < idx.size(); ++i)
        out[i] = axis == 0 ? a.data()[idx[i] * h + i] : a.data()[i * h + idx[i]];
    return out;
}

template <class T>
std::vector<std::size_t> argmax(const Tensor<T>& a, int axis) {
    require_rank2("argmax", a);
    check_axis("argmax", axis);
    std::size_t n = a.dim(0), h = a.dim(1);
    if ((axis == 0 ? n : h) == 0)
        throw std::invalid_argument("argmax: axis " + std::to_string(axis) + " of shape " +
                                    a.shape().to_string() + " is empty");
    if (axis == 1) {
        std::vector<std::size_t> out(n);
        for (std::size_t r = 0; r < n; ++r) {
            const T* row = a.data() + r * h;
            std::size_t best = 0;
            for (std::size_t c = 1; c < h; ++c)
                if (beats(row[c], row[best])) best = c;
            out[r] = best;
        }
        return out;
    }
    std::vector<std::size_t> out(h, 0);
    for (std::size_t r = 1; r < n; ++r) {
        const T* row = a.data() + r * h;
        for (std::size_t c = 0; c < h; ++c)
            if (beats(row[c], a.data()[out[c] * h + c])) out[c] = r;
    }
    return out;
}

// ---- layout ----
template <class T>
Tensor<T> transpose(const Tensor<T>& a) {
    require_rank2("transpose", a);
    std::size_t r = a.dim(0), c = a.dim(1);
    Tensor<T> out = Tensor<T>::empty(Shape{c, r});
    // 32 x 32 tiles: one tile of each of the source and the destination (2 x 4 KiB in float)
    // stays in L1 while it is read row-wise and written column-wise.
    constexpr std::size_t kTile = 32;
    const T* src = a.data();
    T* dst = out.data();
    for (std::size_t i0 = 0; i0 < r; i0 += kTile)
        for (std::size_t j0 = 0; j0 < c; j0 += kTile) {
            std::size_t i1 = std::min(r, i0 + kTile), j1 = std::min(c, j0 + kTile);
            for (std::size_t i = i0; i < i1; ++i)
                for (std::size_t j = j0; j < j1; ++j) dst[j * r + i] = src[i * c + j];
        }
    return out;
}

template <class T>
bool allclose(const Tensor<T>& a, const Tensor<T>& b, T rtol, T atol) {
    if (!(a.shape() == b.shape()))
        throw std::invalid_argument("allclose: shapes " + a.shape().to_string() + " and " +
                                    b.shape().to_string() + " differ");
    for (std::size_t i = 0; i < a.size(); ++i) {
        T d = std::abs(a[i] - b[i]);
        if (!(d <= atol + rtol * std::abs(b[i]))) return false;
    }
    return true;
}

#define FFNN_INSTANTIATE(T)                                                  \
    template Tensor<T> operator+<T>(const Tensor<T>&, const Tensor<T>&);     \
    template Tensor<T> operator-<T>(const Tensor<T>&, const Tensor<T>&);     \
    template Tensor<T> operator*<T>(const Tensor<T>&, const Tensor<T>&);     \
    template Tensor<T> operator/<T>(const Tensor<T>&, const Tensor<T>&);     \
    template Tensor<T> maximum<T>(const Tensor<T>&, const Tensor<T>&);       \
    template Tensor<T> minimum<T>(const Tensor<T>&, const Tensor<T>&);       \
    template Tensor<T>& operator+=<T>(Tensor<T>&, const Tensor<T>&);         \
    template Tensor<T>& operator-=<T>(Tensor<T>&, const Tensor<T>&);         \
    template Tensor<T>& operator*=<T>(Tensor<T>&, const Tensor<T>&);         \
    template Tensor<T>& operator/=<T>(Tensor<T>&, const Tensor<T>&);         \
    template Tensor<T> operator+<T>(const Tensor<T>&, T);                    \
    template Tensor<T> operator-<T>(const Tensor<T>&, T);                    \
    template Tensor<T> operator*<T>(const Tensor<T>&, T);                    \
    template Tensor<T> operator/<T>(const Tensor<T>&, T);                    \
    template Tensor<T> operator+<T>(T, const Tensor<T>&);                    \
    template Tensor<T> operator-<T>(T, const Tensor<T>&);                    \
    template Tensor<T> operator*<T>(T, const Tensor<T>&);                    \
    template Tensor<T> operator/<T>(T, const Tensor<T>&);                    \
    template Tensor<T> operator-<T>(const Tensor<T>&);                       \
    template Tensor<T>& operator+=<T>(Tensor<T>&, T);                        \
    template Tensor<T>& operator-=<T>(Tensor<T>&, T);                        \
    template Tensor<T>& operator*=<T>(Tensor<T>&, T);                        \
    template Tensor<T>& operator/=<T>(Tensor<T>&, T);                        \
    template Tensor<T> maximum<T>(const Tensor<T>&, T);                      \
    template Tensor<T> minimum<T>(const Tensor<T>&, T);                      \
    template void axpy<T>(T, const Tensor<T>&, Tensor<T>&);                  \
    template Tensor<T> exp<T>(const Tensor<T>&);                             \
    template Tensor<T> log<T>(const Tensor<T>&);                             \
    template Tensor<T> tanh<T>(const Tensor<T>&);                            \
    template Tensor<T> sigmoid<T>(const Tensor<T>&);                         \
    template Tensor<T> relu<T>(const Tensor<T>&);                            \
    template Tensor<T> abs<T>(const Tensor<T>&);                             \
    template Tensor<T> sqrt<T>(const Tensor<T>&);                            \
    template Tensor<T> square<T>(const Tensor<T>&);                          \
    template Tensor<T>& exp_<T>(Tensor<T>&);                                 \
    template Tensor<T>& log_<T>(Tensor<T>&);                                 \
    template Tensor<T>& tanh_<T>(Tensor<T>&);                                \
    template Tensor<T>& sigmoid_<T>(Tensor<T>&);                             \
    template Tensor<T>& relu_<T>(Tensor<T>&);                                \
    template Tensor<T>& abs_<T>(Tensor<T>&);                                 \
    template Tensor<T>& sqrt_<T>(Tensor<T>&);                                \
    template Tensor<T> greater<T>(const Tensor<T>&, const Tensor<T>&);       \
    template Tensor<T> greater_equal<T>(const Tensor<T>&, const Tensor<T>&); \
    template Tensor<T> less<T>(const Tensor<T>&, const Tensor<T>&);          \
    template Tensor<T> less_equal<T>(const Tensor<T>&, const Tensor<T>&);    \
    template Tensor<T> equal<T>(const Tensor<T>&, const Tensor<T>&);         \
    template Tensor<T> greater<T>(const Tensor<T>&, T);                      \
    template Tensor<T> greater_equal<T>(const Tensor<T>&, T);                \
    template Tensor<T> less<T>(const Tensor<T>&, T);                         \
    template Tensor<T> less_equal<T>(const Tensor<T>&, T);                   \
    template Tensor<T> equal<T>(const Tensor<T>&, T);                        \
    template T sum<T>(const Tensor<T>&);                                     \
    template T mean<T>(const Tensor<T>&);                                    \
    template T max<T>(const Tensor<T>&);                                     \
    template std::size_t argmax<T>(const Tensor<T>&);                        \
    template Tensor<T> sum<T>(const Tensor<T>&, int);                        \
    template Tensor<T> mean<T>(const Tensor<T>&, int);                       \
    template Tensor<T> max<T>(const Tensor<T>&, int);                        \
    template std::vector<std::size_t> argmax<T>(const Tensor<T>&, int);      \
    template void sum_rows_into<T>(const Tensor<T>&, Tensor<T>&);            \
    template Tensor<T> transpose<T>(const Tensor<T>&);                       \
    template bool allclose<T>(const Tensor<T>&, const Tensor<T>&, T, T);
FFNN_INSTANTIATE(float)
FFNN_INSTANTIATE(double)
#undef FFNN_INSTANTIATE

}  // namespace ffnn
