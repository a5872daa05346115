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
    using Mask = __mmask16;
    static constexpr std::size_t kWidth = 16;
    static Mask mask(std::size_t n) { return Mask((1u << n) - 1u); }  // lanes [0, n), n < 16
    static V maskz_loadu(Mask m, const float* p) { return _mm512_maskz_loadu_ps(m, p); }
    static void mask_storeu(float* p, Mask m, V v) { _mm512_mask_storeu_ps(p, m, v); }
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
    using Mask = __mmask8;
    static constexpr std::size_t kWidth = 8;
    static Mask mask(std::size_t n) { return Mask((1u << n) - 1u); }  // lanes [0, n), n < 8
    static V maskz_loadu(Mask m, const double* p) { return _mm512_maskz_loadu_pd(m, p); }
    static void mask_storeu(double* p, Mask m, V v) { _mm512_mask_storeu_pd(p, m, v); }
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

// Small products without packing, op(B) = B: C (M, N) = alpha op(A) B + beta C, R rows of C
// at a time. Each row chunk of C is 1 or 2 zmm wide (the last one masked: masked loads and
// stores neither read nor write past the end of a row, and a masked-off lane of a load reads
// 0). Per step p, the chunk of B's row p is loaded once and each of the R values op(A)(i, p)
// broadcast into R (or 2R) FMAs.
//
// Why R = 8 with 2 vectors: 16 independent accumulators cover the FMA latency (4 cycles) on
// two ports with room to spare, and 16 + 2 + 1 registers leave the rest of the 32 zmm free.
// The whole of B is read once per 8 rows of C, so the driver keeps this path to products
// whose B stays in cache (gemm_config.hpp, small_work_avx512). Padding to packed tiles costs
// most exactly where this path is used: N = 10 classes fills 10 of 32 lanes of a packed
// tile, but 10 of the 16 lanes of one masked vector here.
// Rows [i0, i0 + R) of C, columns [j, j + W) or [j, j + 2W) (Two), the last vector masked
// by m (all ones for a full one).
template <class T, std::size_t R, bool Two>
inline void small_chunk_512(const T* __restrict a, std::size_t sa_i, std::size_t sa_p,
                            std::size_t K, T alpha, const T* __restrict B, std::size_t ldb, T beta,
                            T* __restrict c, std::size_t ldc, typename Vec512<T>::Mask m) {
    using S = Vec512<T>;
    using V = typename S::V;
    constexpr std::size_t W = S::kWidth;
    V acc0[R], acc1[R];
#pragma GCC unroll 8
    for (std::size_t r = 0; r < R; ++r) acc0[r] = acc1[r] = S::zero();
    for (std::size_t p = 0; p < K; ++p) {
        const T* b = B + p * ldb;
        const V b0 = Two ? S::loadu(b) : S::maskz_loadu(m, b);
        const V b1 = Two ? S::maskz_loadu(m, b + W) : S::zero();
#pragma GCC unroll 8
        for (std::size_t r = 0; r < R; ++r) {
            const V ar = S::set1(a[r * sa_i + p * sa_p]);
            acc0[r] = S::fma(ar, b0, acc0[r]);
            if constexpr (Two) acc1[r] = S::fma(ar, b1, acc1[r]);
        }
    }
    const V va = S::set1(alpha), vb = S::set1(beta);
    // beta == 0 overwrites: the old C (possibly NaN) is never read.
    auto put = [&](T* dst, V acc, typename S::Mask mm) {
        if (beta == T(0))
            S::mask_storeu(dst, mm, S::mul(va, acc));
        else
            S::mask_storeu(dst, mm, S::fma(vb, S::maskz_loadu(mm, dst), S::mul(va, acc)));
    };
    const auto full = typename S::Mask(~typename S::Mask(0));
#pragma GCC unroll 8
    for (std::size_t r = 0; r < R; ++r) {
        T* row = c + r * ldc;
        if constexpr (Two) {
            put(row, acc0[r], full);
            put(row + W, acc1[r], m);
        } else {
            put(row, acc0[r], m);
        }
    }
}

template <class T, std::size_t R>
inline void small_rows_512(bool trans_a, std::size_t i0, std::size_t N, std::size_t K, T alpha,
                           const T* A, std::size_t lda, const T* B, std::size_t ldb, T beta, T* C,
                           std::size_t ldc) {
    using S = Vec512<T>;
    constexpr std::size_t W = S::kWidth;
    const std::size_t sa_i = trans_a ? 1 : lda, sa_p = trans_a ? lda : 1;  // A(i, p) strides
    const T* a = A + i0 * sa_i;
    T* c = C + i0 * ldc;
    const auto full = typename S::Mask(~typename S::Mask(0));
    std::size_t j = 0;
    for (; j + 2 * W <= N; j += 2 * W)
        small_chunk_512<T, R, true>(a, sa_i, sa_p, K, alpha, B + j, ldb, beta, c + j, ldc, full);
    const std::size_t left = N - j;  // < 2W
    if (left > W)
        small_chunk_512<T, R, true>(a, sa_i, sa_p, K, alpha, B + j, ldb, beta, c + j, ldc,
                                    S::mask(left - W));
    else if (left == W)
        small_chunk_512<T, R, false>(a, sa_i, sa_p, K, alpha, B + j, ldb, beta, c + j, ldc, full);
    else if (left > 0)
        small_chunk_512<T, R, false>(a, sa_i, sa_p, K, alpha, B + j, ldb, beta, c + j, ldc,
                                     S::mask(left));
}

template <class T>
inline void small_512(bool trans_a, std::size_t M, std::size_t N, std::size_t K, T alpha,
                      const T* A, std::size_t lda, const T* B, std::size_t ldb, T beta, T* C,
                      std::size_t ldc) {
    constexpr std::size_t R = 8;
    std::size_t i = 0;
    for (; i + R <= M; i += R)
        small_rows_512<T, R>(trans_a, i, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    // The last M - i < 8 rows: 4, 2 and 1 at a time, so no row is computed twice.
    for (; i + 4 <= M; i += 4)
        small_rows_512<T, 4>(trans_a, i, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    for (; i + 2 <= M; i += 2)
        small_rows_512<T, 2>(trans_a, i, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    for (; i < M; ++i) small_rows_512<T, 1>(trans_a, i, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

}  // namespace

void small_avx512(bool trans_a, std::size_t M, std::size_t N, std::size_t K, float alpha,
                  const float* A, std::size_t lda, const float* B, std::size_t ldb, float beta,
                  float* C, std::size_t ldc) {
    small_512<float>(trans_a, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

void small_avx512(bool trans_a, std::size_t M, std::size_t N, std::size_t K, double alpha,
                  const double* A, std::size_t lda, const double* B, std::size_t ldb, double beta,
                  double* C, std::size_t ldc) {
    small_512<double>(trans_a, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

void ukernel_avx512(std::size_t kc, const float* a, const float* b, float* c, std::size_t ldc,
                    float alpha, float beta) {
    kernel_mr_2v<float>(kc, a, b, c, ldc, alpha, beta);
}

void ukernel_avx512(std::size_t kc, const double* a, const double* b, double* c, std::size_t ldc,
                    double alpha, double beta) {
    kernel_mr_2v<double>(kc, a, b, c, ldc, alpha, beta);
}

}  // namespace ffnn::gemm_detail
