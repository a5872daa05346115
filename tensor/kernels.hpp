// Element-wise kernels: the scalar functions and the loops over raw pointers.
//
// Layer 1 of the element-wise design (see ops.hpp): *_scalar functions say what one element
// does. Layer 2: map loops over raw pointers, `omp parallel for simd` when n reaches
// kParallelThreshold and a plain `omp simd` loop below it. The loops are header templates so
// that nn/ can fuse its own element-wise work with the same threading policy.
//
// Every loop splits the index range statically, and every element is computed independently,
// so results do not depend on the thread count.
#pragma once

#include <cmath>
#include <cstddef>

#include "tensor/parallel.hpp"

namespace ffnn {

// ---- layer 1: one element ----
template <class T>
inline T relu_scalar(T x) {
    return x > T(0) ? x : T(0);
}
// ReLU'(x) taken as 0 at x == 0 (the subgradient PyTorch uses).
template <class T>
inline T relu_grad_scalar(T x, T dy) {
    return x > T(0) ? dy : T(0);
}
// Stable logistic: never evaluates exp of a large positive number.
template <class T>
inline T sigmoid_scalar(T x) {
    if (x >= T(0)) {
        T e = std::exp(-x);
        return T(1) / (T(1) + e);
    }
    T e = std::exp(x);
    return e / (T(1) + e);
}

// ---- layer 2: loops over raw pointers ----
// out[i] = f(a[i]) for i in [0, n). out may equal a (in place).
template <class T, class F>
inline void map1(const T* a, T* out, std::size_t n, F f) {
    if (n >= kParallelThreshold) {
#pragma omp parallel for simd schedule(static)
        for (std::size_t i = 0; i < n; ++i) out[i] = f(a[i]);
    } else {
#pragma omp simd
        for (std::size_t i = 0; i < n; ++i) out[i] = f(a[i]);
    }
}

// out[i] = f(a[i], b[i]). out may equal a or b.
template <class T, class F>
inline void map2(const T* a, const T* b, T* out, std::size_t n, F f) {
    if (n >= kParallelThreshold) {
#pragma omp parallel for simd schedule(static)
        for (std::size_t i = 0; i < n; ++i) out[i] = f(a[i], b[i]);
    } else {
#pragma omp simd
        for (std::size_t i = 0; i < n; ++i) out[i] = f(a[i], b[i]);
    }
}

// out[r, c] = f(a[r, c], b[c]) for a (rows, cols) and a row vector b (cols).
template <class T, class F>
inline void map_rows(const T* a, const T* b, T* out, std::size_t rows, std::size_t cols, F f) {
    if (rows * cols >= kParallelThreshold && rows > 1) {
#pragma omp parallel for schedule(static)
        for (std::size_t r = 0; r < rows; ++r) {
            const T* ar = a + r * cols;
            T* o = out + r * cols;
#pragma omp simd
            for (std::size_t c = 0; c < cols; ++c) o[c] = f(ar[c], b[c]);
        }
    } else {
        for (std::size_t r = 0; r < rows; ++r) {
            const T* ar = a + r * cols;
            T* o = out + r * cols;
#pragma omp simd
            for (std::size_t c = 0; c < cols; ++c) o[c] = f(ar[c], b[c]);
        }
    }
}

// ReLU forward y = max(x, 0) and backward dx = dy * [x > 0]: the kernels bench_relu times.
template <class T>
inline void relu_forward(const T* x, T* y, std::size_t n) {
    map1(x, y, n, [](T v) { return relu_scalar(v); });
}
template <class T>
inline void relu_backward(const T* x, const T* dy, T* dx, std::size_t n) {
    map2(x, dy, dx, n, [](T v, T g) { return relu_grad_scalar(v, g); });
}

// The naive references: plain scalar loops, kept for tests and benchmarks. Auto-vectorisation
// is switched off for them so that they stay the one-element-at-a-time baseline they claim to be.
#define FFNN_NO_VECTORIZE __attribute__((optimize("no-tree-vectorize")))
template <class T>
FFNN_NO_VECTORIZE inline void relu_forward_naive(const T* x, T* y, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) y[i] = x[i] > T(0) ? x[i] : T(0);
}
template <class T>
FFNN_NO_VECTORIZE inline void relu_backward_naive(const T* x, const T* dy, T* dx, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) dx[i] = x[i] > T(0) ? dy[i] : T(0);
}

}  // namespace ffnn
