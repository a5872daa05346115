// AVX-512F GEMM micro-kernels: fp32 14x32 and fp64 14x16 (see gemm_config.hpp for the
// contract and the register budget).
//
// Both keep a 14-row by 2-vector tile of C in 28 zmm accumulators. Each step k loads one row
// of the packed B micro-panel (2 zmm), and for each of the 14 values of the packed A column
// broadcasts it (folded by the compiler into the FMA as an embedded {1to16} / {1to8} memory
// operand) and issues 2 FMAs: 28 independent FMAs per step, against 2 + 14 loads. 28 + 2 + 1
// = 31 of the 32 zmm registers are live.
//
// Why 14 rows and 2 vectors (not 1 vector and more rows, or 4 vectors and fewer): the ratio of
// FMAs to loads per step is MR*2 / (MR + 2) = 1.75 here, against 1.2 for 6x4v and 1.0 for 31x1v,
// so with two FMA ports and two or three load ports the loads keep up; and two B vectors make
// NR = 32 floats, two cache lines per B row, which the packing writes aligned.
//
// This file is compiled with -mavx512f -mavx2 -mfma (tensor/CMakeLists.txt) whatever the
// project's flags, and only called through the function pointers matmul.cpp selects after
// checking the CPU and the OS (cpu.hpp).
#include <immintrin.h>

#include "ffnn/tensor/kernels/gemm_config.hpp"

#if !defined(__AVX512F__)
#error "gemm_avx512.cpp must be compiled with -mavx512f (see tensor/CMakeLists.txt)"
#endif

namespace ffnn::gemm_detail {
namespace {

template <class T>
struct Vec512;

template <>
struct Vec512<float> {
    using V = __m512;
    static constexpr std::size_t kWidth = 16;
    static V load(const float* p) { return _mm512_load_ps(p); }
    static V loadu(const float* p) { return _mm512_loadu_ps(p); }
    static void storeu(float* p, V v) { _mm512_storeu_ps(p, v); }
    static V set1(float x) { return _mm512_set1_ps(x); }
    static V zero() { return _mm512_setzero_ps(); }
    static V fma(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
    static V mul(V a, V b) { return _mm512_mul_ps(a, b); }
};

template <>
struct Vec512<double> {
    using V = __m512d;
    static constexpr std::size_t kWidth = 8;
    static V load(const double* p) { return _mm512_load_pd(p); }
    static V loadu(const double* p) { return _mm512_loadu_pd(p); }
    static void storeu(double* p, V v) { _mm512_storeu_pd(p, v); }
    static V set1(double x) { return _mm512_set1_pd(x); }
    static V zero() { return _mm512_setzero_pd(); }
    static V fma(V a, V b, V c) { return _mm512_fmadd_pd(a, b, c); }
    static V mul(V a, V b) { return _mm512_mul_pd(a, b); }
};

// c (MR x 2W, row stride ldc) = alpha * a b + beta * c, with W = vector width. The loops over
// the MR rows are fully unrolled, so acc[][] lives in registers.
template <class T>
inline void kernel_mr_2v(std::size_t kc, const T* __restrict a, const T* __restrict b,
                         T* __restrict c, std::size_t ldc, T alpha, T beta) {
    using S = Vec512<T>;
    using V = typename S::V;
    constexpr std::size_t MR = RegisterBlock<GemmKernel::Avx512, T>::MR;
    constexpr std::size_t W = S::kWidth, NR = 2 * W;
    static_assert(RegisterBlock<GemmKernel::Avx512, T>::NR == NR, "kernel shape != table");

    // Ask for the C tile early (a row is 128 bytes: 2 or 3 lines): it arrives while the k loop
    // runs. Into L2, not L1: with a row stride that is a multiple of 4 KiB (2048^3) the 14
    // rows fall into the same L1 set (12 ways) and would evict each other and the B
    // micro-panel; measured at 2048^3, one thread: 198 GFLOP/s with T0, 203 with T1.
#pragma GCC unroll 14
    for (std::size_t i = 0; i < MR; ++i) {
        _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc), _MM_HINT_T1);
        _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc + NR - 1), _MM_HINT_T1);
    }

    V acc0[MR], acc1[MR];
#pragma GCC unroll 14
    for (std::size_t i = 0; i < MR; ++i) acc0[i] = acc1[i] = S::zero();

#pragma GCC unroll 2
    for (std::size_t k = 0; k < kc; ++k) {
        const V b0 = S::load(b);
        const V b1 = S::load(b + W);
#pragma GCC unroll 14
        for (std::size_t i = 0; i < MR; ++i) {
            const V ai = S::set1(a[i]);
            acc0[i] = S::fma(ai, b0, acc0[i]);
            acc1[i] = S::fma(ai, b1, acc1[i]);
        }
        a += MR;
        b += NR;
    }

    const V va = S::set1(alpha);
    if (beta == T(0)) {  // overwrite: never read C, so NaN in the old C cannot leak in
#pragma GCC unroll 14
        for (std::size_t i = 0; i < MR; ++i) {
            S::storeu(c + i * ldc, S::mul(va, acc0[i]));
            S::storeu(c + i * ldc + W, S::mul(va, acc1[i]));
        }
    } else {
        const V vb = S::set1(beta);
#pragma GCC unroll 14
        for (std::size_t i = 0; i < MR; ++i) {
            T* row = c + i * ldc;
            S::storeu(row, S::fma(vb, S::loadu(row), S::mul(va, acc0[i])));
            S::storeu(row + W, S::fma(vb, S::loadu(row + W), S::mul(va, acc1[i])));
        }
    }
}

}  // namespace

void ukernel_avx512(std::size_t kc, const float* a, const float* b, float* c, std::size_t ldc,
                    float alpha, float beta) {
    kernel_mr_2v<float>(kc, a, b, c, ldc, alpha, beta);
}

void ukernel_avx512(std::size_t kc, const double* a, const double* b, double* c, std::size_t ldc,
                    double alpha, double beta) {
    kernel_mr_2v<double>(kc, a, b, c, ldc, alpha, beta);
}

}  // namespace ffnn::gemm_detail
