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

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <type_traits>

#if defined(__AVX2__)
#include <immintrin.h>
#endif
#if defined(_OPENMP)
#include <omp.h>
#endif

#include "ffnn/tensor/parallel.hpp"

namespace ffnn {

// ---- layer 1: one element ----
// NaN propagates (NaN < 0 is false), as in PyTorch: a ReLU network fed an overflow must
// say NaN, not quietly turn it into 0 and predict class 0. -0 stays -0 (it equals 0).
template <class T>
inline T relu_scalar(T x) {
    return x < T(0) ? T(0) : x;
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

// out[i] = f(a[i], b[i], c[i]): the three-input loop of the activation backward passes
// (z, y, dy). out may equal any input.
template <class T, class F>
inline void map3(const T* a, const T* b, const T* c, T* out, std::size_t n, F f) {
    if (n >= kParallelThreshold) {
#pragma omp parallel for simd schedule(static)
        for (std::size_t i = 0; i < n; ++i) out[i] = f(a[i], b[i], c[i]);
    } else {
#pragma omp simd
        for (std::size_t i = 0; i < n; ++i) out[i] = f(a[i], b[i], c[i]);
    }
}

// body(i) for i in [0, n): the loop of updates that touch several arrays at index i (the
// optimisers' p, g, m, v).
template <class F>
inline void for_each_index(std::size_t n, F body) {
    if (n >= kParallelThreshold) {
#pragma omp parallel for simd schedule(static)
        for (std::size_t i = 0; i < n; ++i) body(i);
    } else {
#pragma omp simd
        for (std::size_t i = 0; i < n; ++i) body(i);
    }
}

// row(r) for every row r of an (N, H) pass: rows split statically over the threads from
// kParallelThreshold elements, serial below. Rows are independent, so the bits do not
// depend on the thread count.
template <class F>
inline void for_each_row(std::size_t N, std::size_t H, F row) {
    if (N * H >= kParallelThreshold && N > 1) {
#pragma omp parallel for schedule(static)
        for (std::size_t r = 0; r < N; ++r) row(r);
    } else {
        for (std::size_t r = 0; r < N; ++r) row(r);
    }
}

// Column bands start on multiples of this many elements (64 bytes of float), so that two
// threads never write the same cache line of a column reduction's output.
inline constexpr std::size_t kBandAlign = 16;

// band(c0, c1) on column bands [c0, c1) covering [0, H) of an (N, H) pass: one band per
// thread from kParallelThreshold elements, one band [0, H) below. A column reduction inside a
// band walks the rows in order, so each column's sum has the same bits for any thread count
// (threads split the columns, never the rows being summed).
template <class F>
inline void for_column_bands(std::size_t N, std::size_t H, F band) {
#if defined(_OPENMP)
    if (N * H >= kParallelThreshold && H >= 2 * kBandAlign) {
#pragma omp parallel
        {
            const std::size_t t = static_cast<std::size_t>(omp_get_thread_num());
            const std::size_t nt = static_cast<std::size_t>(omp_get_num_threads());
            const std::size_t c0 = H * t / nt / kBandAlign * kBandAlign;
            const std::size_t c1 = t + 1 == nt ? H : H * (t + 1) / nt / kBandAlign * kBandAlign;
            if (c0 < c1) band(c0, c1);
        }
        return;
    }
#endif
    (void)N;
    band(std::size_t(0), H);
}

// One row of softmax, the one the SoftMax activation, the softmax cross-entropy and
// predict_proba all use: y = exp(z - max z) / sum(exp(z - max z)) for z, y (K), K >= 1.
// Returns the row maximum m and sets sum = sum(exp(z - m)) (>= 1: the maximum contributes
// exp(0)), so that logsumexp(z) = m + log(sum). y may equal z.
template <class T>
inline T softmax_row(const T* z, T* y, std::size_t K, T& sum) {
    T m = z[0];
    for (std::size_t k = 1; k < K; ++k) m = std::max(m, z[k]);
    T s = 0;
    for (std::size_t k = 0; k < K; ++k) {
        y[k] = std::exp(z[k] - m);
        s += y[k];
    }
    const T inv = T(1) / s;
#pragma omp simd
    for (std::size_t k = 0; k < K; ++k) y[k] *= inv;
    sum = s;
    return m;
}

// ---- streaming stores for outputs far larger than the caches ----
// A plain store to a line that is not in cache first reads the line (read-for-ownership), so
// a kernel that reads 1 array and writes 1 moves 3 arrays' worth of bytes; memcpy avoids the
// extra read with non-temporal stores, which go straight to memory. Above kStreamThreshold
// elements the output cannot stay in cache for its consumer anyway (2^21 floats are 8 MB,
// twice the 2 x 2 MB of L2 of this machine's 2 cores), so the ReLU kernels switch to
// non-temporal stores (_mm256_stream_ps/_pd, then _mm_sfence). Below it the plain loop keeps
// the output in cache for the next kernel. bench_relu, 2 threads, 16,777,216 floats, medians
// of 5 (the memory bandwidth of this shared machine varies by ~20% between runs): plain
// stores 28 GB/s forward and 24 GB/s backward, streaming stores 46 and 33-39 GB/s, memcpy
// 35-36 GB/s (bytes counted: 8 per element forward, 12 backward, 8 for memcpy).
// The streamed values are the same bits as relu_scalar / relu_grad_scalar: max_ps(a, b) is
// a > b ? a : b, so max_ps(0, x) is 0 > x ? 0 : x, which returns x itself for NaN and -0,
// as x < 0 ? 0 : x does.
inline constexpr std::size_t kStreamThreshold = std::size_t(1) << 21;  // elements

namespace kernels_detail {

// Splits [0, n) into one contiguous range per thread (static, so fixed for a thread count)
// and runs body(lo, hi) on each; serial without OpenMP.
template <class F>
inline void for_thread_ranges(std::size_t n, F body) {
#if defined(_OPENMP)
#pragma omp parallel
    {
        const std::size_t t = static_cast<std::size_t>(omp_get_thread_num());
        const std::size_t nt = static_cast<std::size_t>(omp_get_num_threads());
        body(n * t / nt, n * (t + 1) / nt);
    }
#else
    body(std::size_t(0), n);
#endif
}

#if defined(__AVX2__)
// Elements per 256-bit register.
template <class T>
inline constexpr std::size_t kLanes = 32 / sizeof(T);

// Number of leading elements of out[0, n) before the first 32-byte aligned one (stream
// stores need 32-byte alignment).
template <class T>
inline std::size_t head_to_align(const T* out, std::size_t n) {
    const std::uintptr_t mis = reinterpret_cast<std::uintptr_t>(out) & 31u;
    if (mis == 0) return 0;
    if (mis % sizeof(T) != 0) return n;  // cannot align: all scalar
    const std::size_t h = (32u - mis) / sizeof(T);
    return h < n ? h : n;
}

// Software prefetch distance of the streaming loops, in elements (2 KB of float, 32 lines):
// with the stores bypassing the cache, the loads are the whole latency, and prefetching them
// this far ahead raised 1-thread ReLU backward at 16M floats from 13.3 to 16-18 GB/s
// (bench_relu); a prefetch past the end of an array is harmless (it never faults).
inline constexpr std::size_t kPrefetchAhead = 512;
// y[0, n) = relu(x[0, n)) with non-temporal stores for the aligned body.
template <class T>
inline void relu_forward_stream(const T* x, T* y, std::size_t n) {
    const std::size_t h = head_to_align(y, n);
    std::size_t i = 0;
    for (; i < h; ++i) y[i] = relu_scalar(x[i]);
    constexpr std::size_t L = kLanes<T>;
    if constexpr (std::is_same_v<T, float>) {
        const __m256 zero = _mm256_setzero_ps();
        for (; i + L <= n; i += L) {
            _mm_prefetch(reinterpret_cast<const char*>(x + i + kPrefetchAhead), _MM_HINT_T0);
            _mm256_stream_ps(y + i, _mm256_max_ps(zero, _mm256_loadu_ps(x + i)));
        }
    } else {
        const __m256d zero = _mm256_setzero_pd();
        for (; i + L <= n; i += L)
            _mm256_stream_pd(y + i, _mm256_max_pd(zero, _mm256_loadu_pd(x + i)));
    }
    for (; i < n; ++i) y[i] = relu_scalar(x[i]);
    _mm_sfence();  // order the streamed stores before the stores that follow (the barrier)
}

// dx[0, n) = relu'(x) dy with non-temporal stores for the aligned body.
template <class T>
inline void relu_backward_stream(const T* x, const T* dy, T* dx, std::size_t n) {
    const std::size_t h = head_to_align(dx, n);
    std::size_t i = 0;
    for (; i < h; ++i) dx[i] = relu_grad_scalar(x[i], dy[i]);
    constexpr std::size_t L = kLanes<T>;
    if constexpr (std::is_same_v<T, float>) {
        const __m256 zero = _mm256_setzero_ps();
        for (; i + L <= n; i += L) {
            _mm_prefetch(reinterpret_cast<const char*>(x + i + kPrefetchAhead), _MM_HINT_T0);
            _mm_prefetch(reinterpret_cast<const char*>(dy + i + kPrefetchAhead), _MM_HINT_T0);
            const __m256 pos = _mm256_cmp_ps(_mm256_loadu_ps(x + i), zero, _CMP_GT_OQ);
            _mm256_stream_ps(dx + i, _mm256_and_ps(pos, _mm256_loadu_ps(dy + i)));
        }
    } else {
        const __m256d zero = _mm256_setzero_pd();
        for (; i + L <= n; i += L) {
            const __m256d pos = _mm256_cmp_pd(_mm256_loadu_pd(x + i), zero, _CMP_GT_OQ);
            _mm256_stream_pd(dx + i, _mm256_and_pd(pos, _mm256_loadu_pd(dy + i)));
        }
    }
    for (; i < n; ++i) dx[i] = relu_grad_scalar(x[i], dy[i]);
    _mm_sfence();
}
#endif

}  // namespace kernels_detail

// ReLU forward y = max(x, 0) (NaN stays NaN) and backward dx = dy * [x > 0]: the kernels bench_relu
// times. y may equal x, dx may equal x or dy (in place); partial overlap is not allowed.
template <class T>
inline void relu_forward(const T* x, T* y, std::size_t n) {
#if defined(__AVX2__)
    if (n >= kStreamThreshold) {
        kernels_detail::for_thread_ranges(n, [=](std::size_t lo, std::size_t hi) {
            kernels_detail::relu_forward_stream(x + lo, y + lo, hi - lo);
        });
        return;
    }
#endif
    map1(x, y, n, [](T v) { return relu_scalar(v); });
}
template <class T>
inline void relu_backward(const T* x, const T* dy, T* dx, std::size_t n) {
#if defined(__AVX2__)
    if (n >= kStreamThreshold) {
        kernels_detail::for_thread_ranges(n, [=](std::size_t lo, std::size_t hi) {
            kernels_detail::relu_backward_stream(x + lo, dy + lo, dx + lo, hi - lo);
        });
        return;
    }
#endif
    map2(x, dy, dx, n, [](T v, T g) { return relu_grad_scalar(v, g); });
}

// The naive references: plain scalar loops, kept for tests and benchmarks. Auto-vectorisation
// is switched off for them so that they stay the one-element-at-a-time baseline they claim to be.
#define FFNN_NO_VECTORIZE __attribute__((optimize("no-tree-vectorize")))
template <class T>
FFNN_NO_VECTORIZE inline void relu_forward_naive(const T* x, T* y, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) y[i] = x[i] < T(0) ? T(0) : x[i];
}
template <class T>
FFNN_NO_VECTORIZE inline void relu_backward_naive(const T* x, const T* dy, T* dx, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) dx[i] = x[i] > T(0) ? dy[i] : T(0);
}

}  // namespace ffnn
