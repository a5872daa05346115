// Element-wise operations, broadcasting, reductions and transpose on Tensor<T>.
//
// Three layers, as everywhere in ffnn:
//   1. a scalar function (relu_scalar, sigmoid_scalar, ...) in tensor/kernels.hpp,
//   2. a loop over raw pointers (tensor/kernels.hpp), `omp parallel for simd` when the
//      element count reaches kParallelThreshold (tensor/parallel.hpp), serial below it,
//   3. the Tensor-level call declared here, which checks shapes and throws
//      std::invalid_argument naming the operation and both shapes.
//
// Broadcasting: a binary op takes two tensors of the same shape, or a matrix a (N, H) and a
// row vector b of shape (H) or (1, H), applied to every row (the bias of a layer).
//
// Reductions are deterministic whatever the thread count: the input is cut into a fixed
// partition (kReduceBlock elements, or one row / one column), each part is reduced in order,
// and the partial results are combined in a fixed order.
#pragma once

#include <cstddef>
#include <vector>

#include "ffnn/tensor/tensor.hpp"

namespace ffnn {

// ---- binary, tensor with tensor (same shape, or row-vector broadcast over rows) ----
template <class T>
Tensor<T> operator+(const Tensor<T>& a, const Tensor<T>& b);
template <class T>
Tensor<T> operator-(const Tensor<T>& a, const Tensor<T>& b);
template <class T>
Tensor<T> operator*(const Tensor<T>& a, const Tensor<T>& b);
template <class T>
Tensor<T> operator/(const Tensor<T>& a, const Tensor<T>& b);
template <class T>
Tensor<T> maximum(const Tensor<T>& a, const Tensor<T>& b);
template <class T>
Tensor<T> minimum(const Tensor<T>& a, const Tensor<T>& b);

// In place: a op= b, with the same broadcasting rule (b may be a row vector).
template <class T>
Tensor<T>& operator+=(Tensor<T>& a, const Tensor<T>& b);
template <class T>
Tensor<T>& operator-=(Tensor<T>& a, const Tensor<T>& b);
template <class T>
Tensor<T>& operator*=(Tensor<T>& a, const Tensor<T>& b);
template <class T>
Tensor<T>& operator/=(Tensor<T>& a, const Tensor<T>& b);

// ---- with a scalar ----
template <class T>
Tensor<T> operator+(const Tensor<T>& a, T s);
template <class T>
Tensor<T> operator-(const Tensor<T>& a, T s);
template <class T>
Tensor<T> operator*(const Tensor<T>& a, T s);
template <class T>
Tensor<T> operator/(const Tensor<T>& a, T s);
template <class T>
Tensor<T> operator+(T s, const Tensor<T>& a);
template <class T>
Tensor<T> operator-(T s, const Tensor<T>& a);
template <class T>
Tensor<T> operator*(T s, const Tensor<T>& a);
template <class T>
Tensor<T> operator/(T s, const Tensor<T>& a);
template <class T>
Tensor<T> operator-(const Tensor<T>& a);
template <class T>
Tensor<T>& operator+=(Tensor<T>& a, T s);
template <class T>
Tensor<T>& operator-=(Tensor<T>& a, T s);
template <class T>
Tensor<T>& operator*=(Tensor<T>& a, T s);
template <class T>
Tensor<T>& operator/=(Tensor<T>& a, T s);
template <class T>
Tensor<T> maximum(const Tensor<T>& a, T s);
template <class T>
Tensor<T> minimum(const Tensor<T>& a, T s);

// y += alpha * x (same shape): the optimiser's workhorse.
template <class T>
void axpy(T alpha, const Tensor<T>& x, Tensor<T>& y);

// ---- unary ----
template <class T>
Tensor<T> exp(const Tensor<T>& a);
template <class T>
Tensor<T> log(const Tensor<T>& a);
template <class T>
Tensor<T> tanh(const Tensor<T>& a);
template <class T>
Tensor<T> sigmoid(const Tensor<T>& a);  // stable for large |x|
template <class T>
Tensor<T> relu(const Tensor<T>& a);
template <class T>
Tensor<T> abs(const Tensor<T>& a);
template <class T>
Tensor<T> sqrt(const Tensor<T>& a);
template <class T>
Tensor<T> square(const Tensor<T>& a);

// In place.
template <class T>
Tensor<T>& exp_(Tensor<T>& a);
template <class T>
Tensor<T>& log_(Tensor<T>& a);
template <class T>
Tensor<T>& tanh_(Tensor<T>& a);
template <class T>
Tensor<T>& sigmoid_(Tensor<T>& a);
template <class T>
Tensor<T>& relu_(Tensor<T>& a);
template <class T>
Tensor<T>& abs_(Tensor<T>& a);
template <class T>
Tensor<T>& sqrt_(Tensor<T>& a);

// ---- comparisons: masks of 1 where true, 0 where false ----
template <class T>
Tensor<T> greater(const Tensor<T>& a, const Tensor<T>& b);
template <class T>
Tensor<T> greater_equal(const Tensor<T>& a, const Tensor<T>& b);
template <class T>
Tensor<T> less(const Tensor<T>& a, const Tensor<T>& b);
template <class T>
Tensor<T> less_equal(const Tensor<T>& a, const Tensor<T>& b);
template <class T>
Tensor<T> equal(const Tensor<T>& a, const Tensor<T>& b);
template <class T>
Tensor<T> greater(const Tensor<T>& a, T s);
template <class T>
Tensor<T> greater_equal(const Tensor<T>& a, T s);
template <class T>
Tensor<T> less(const Tensor<T>& a, T s);
template <class T>
Tensor<T> less_equal(const Tensor<T>& a, T s);
template <class T>
Tensor<T> equal(const Tensor<T>& a, T s);

// ---- reductions ----
// Over all elements. max and argmax of an empty tensor throw. In max and argmax (here and
// along an axis) NaN is the largest value: the first NaN is the answer, as in NumPy.
template <class T>
T sum(const Tensor<T>& a);
template <class T>
T mean(const Tensor<T>& a);
template <class T>
T max(const Tensor<T>& a);
template <class T>
std::size_t argmax(const Tensor<T>& a);  // first maximum, flat index
// Along an axis of a rank-2 tensor (N, H): axis 0 gives (H), axis 1 gives (N).
template <class T>
Tensor<T> sum(const Tensor<T>& a, int axis);
template <class T>
Tensor<T> mean(const Tensor<T>& a, int axis);
template <class T>
Tensor<T> max(const Tensor<T>& a, int axis);
template <class T>
std::vector<std::size_t> argmax(const Tensor<T>& a, int axis);
// out (H) = sum over rows of a (N, H), written into out (resized): db in backward.
template <class T>
void sum_rows_into(const Tensor<T>& a, Tensor<T>& out);

// ---- layout ----
// (R, C) -> (C, R), a new tensor (blocked copy).
template <class T>
Tensor<T> transpose(const Tensor<T>& a);

// True when every element of a and b satisfies |a - b| <= atol + rtol * |b|.
template <class T>
bool allclose(const Tensor<T>& a, const Tensor<T>& b, T rtol, T atol);

}  // namespace ffnn
