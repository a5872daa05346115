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

#include <utility>

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

// c (R x 2W, row stride ldc) = alpha * a b + beta * c for the first R rows of an MR x 2W
// tile, W = vector width: R = MR is the micro-kernel, R < MR the edge kernel of the last tile
// of an M edge (the packed A panel keeps its MR values per column). The loops over the R
// rows are fully unrolled, so acc[][] lives in registers; each row's operations and their
// order do not depend on R, so neither do its bits.
template <class T, std::size_t R>
inline void kernel_rows_2v(std::size_t kc, const T* __restrict a, const T* __restrict b,
                           T* __restrict c, std::size_t ldc, T alpha, T beta) {
    using S = Vec512<T>;
    using V = typename S::V;
    constexpr std::size_t MR = RegisterBlock<GemmKernel::Avx512, T>::MR;
    constexpr std::size_t W = S::kWidth, NR = 2 * W;
    static_assert(RegisterBlock<GemmKernel::Avx512, T>::NR == NR, "kernel shape != table");
    static_assert(R >= 1 && R <= MR, "rows of the tile");

    // Ask for the C tile early (a row is 128 bytes: 2 or 3 lines): it arrives while the k loop
    // runs. Into L2, not L1: with a row stride that is a multiple of 4 KiB (2048^3) the 14
    // rows fall into the same L1 set (12 ways) and would evict each other and the B
    // micro-panel; measured at 2048^3, one thread: 198 GFLOP/s with T0, 203 with T1.
#pragma GCC unroll 14
    for (std::size_t i = 0; i < R; ++i) {
        _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc), _MM_HINT_T1);
        _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc + NR - 1), _MM_HINT_T1);
    }

    V acc0[R], acc1[R];
#pragma GCC unroll 14
    for (std::size_t i = 0; i < R; ++i) acc0[i] = acc1[i] = S::zero();

#pragma GCC unroll 2
    for (std::size_t k = 0; k < kc; ++k) {
        const V b0 = S::load(b);
        const V b1 = S::load(b + W);
#pragma GCC unroll 14
        for (std::size_t i = 0; i < R; ++i) {
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
        for (std::size_t i = 0; i < R; ++i) {
            S::storeu(c + i * ldc, S::mul(va, acc0[i]));
            S::storeu(c + i * ldc + W, S::mul(va, acc1[i]));
        }
    } else {
        const V vb = S::set1(beta);
#pragma GCC unroll 14
        for (std::size_t i = 0; i < R; ++i) {
            T* row = c + i * ldc;
            S::storeu(row, S::fma(vb, S::loadu(row), S::mul(va, acc0[i])));
            S::storeu(row + W, S::fma(vb, S::loadu(row + W), S::mul(va, acc1[i])));
        }
    }
}

// The edge kernel for `rows` = 1 .. MR - 1, one instantiation per row count.
template <class T, std::size_t... Rs>
inline void kernel_edge_2v(std::index_sequence<Rs...>, std::size_t rows, std::size_t kc, const T* a,
                           const T* b, T* c, std::size_t ldc, T alpha, T beta) {
    using Fn = void (*)(std::size_t, const T*, const T*, T*, std::size_t, T, T);
    static constexpr Fn table[] = {kernel_rows_2v<T, Rs + 1>...};
    table[rows - 1](kc, a, b, c, ldc, alpha, beta);
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
// Rows [0, R) of C at a and c, columns [0, W) or [0, 2W) (Two) of the chunk at B and c, the
// last vector masked by m when Masked. op(A)(r, p) is a[r + p lda] when TransA, else
// a[r lda + p]. The flags are compile-time so that a full chunk uses plain loads and stores
// and the addresses of A are a base plus a constant or a unit stride. Xeon model 167, one
// thread, GFLOP/s (medians of 9), with the strides and an all-ones mask taken at run time
// before, and this form: 64x64x64 181 -> 193, 32x64x64 182 -> 192, 96x96x96 184 -> 188,
// A^T 64x64x32 157 -> 172, A^T 128x128x32 159 -> 171.
template <class T, std::size_t R, bool Two, bool Masked, bool TransA>
inline void small_chunk_512(const T* __restrict a, std::size_t lda, std::size_t K, T alpha,
                            const T* __restrict B, std::size_t ldb, T beta, T* __restrict c,
                            std::size_t ldc, typename Vec512<T>::Mask m) {
    using S = Vec512<T>;
    using V = typename S::V;
    constexpr std::size_t W = S::kWidth;
    auto load_last = [&](const T* p) { return Masked ? S::maskz_loadu(m, p) : S::loadu(p); };
    V acc0[R], acc1[R];
#pragma GCC unroll 8
    for (std::size_t r = 0; r < R; ++r) acc0[r] = acc1[r] = S::zero();
    for (std::size_t p = 0; p < K; ++p) {
        const T* b = B + p * ldb;
        const V b0 = Two ? S::loadu(b) : load_last(b);
        const V b1 = Two ? load_last(b + W) : S::zero();
        const T* ap = TransA ? a + p * lda : a + p;
#pragma GCC unroll 8
        for (std::size_t r = 0; r < R; ++r) {
            const V ar = S::set1(TransA ? ap[r] : ap[r * lda]);
            acc0[r] = S::fma(ar, b0, acc0[r]);
            if constexpr (Two) acc1[r] = S::fma(ar, b1, acc1[r]);
        }
    }
    const V va = S::set1(alpha), vb = S::set1(beta);
    // beta == 0 overwrites: the old C (possibly NaN) is never read.
    auto put = [&](T* dst, V acc, bool masked) {
        if (masked) {
            S::mask_storeu(dst, m,
                           beta == T(0) ? S::mul(va, acc)
                                        : S::fma(vb, S::maskz_loadu(m, dst), S::mul(va, acc)));
        } else {
            S::storeu(dst,
                      beta == T(0) ? S::mul(va, acc) : S::fma(vb, S::loadu(dst), S::mul(va, acc)));
        }
    };
#pragma GCC unroll 8
    for (std::size_t r = 0; r < R; ++r) {
        T* row = c + r * ldc;
        if constexpr (Two) {
            put(row, acc0[r], false);
            put(row + W, acc1[r], Masked);
        } else {
            put(row, acc0[r], Masked);
        }
    }
}

// Rows [i0, i0 + R) of C, every column: chunks of 2 vectors, then the rest (< 2W columns) as
// one chunk of 1 or 2 vectors whose last one is masked when it is not full.
template <class T, std::size_t R, bool TransA>
inline void small_rows_512(std::size_t i0, std::size_t N, std::size_t K, T alpha, const T* A,
                           std::size_t lda, const T* B, std::size_t ldb, T beta, T* C,
                           std::size_t ldc) {
    using S = Vec512<T>;
    constexpr std::size_t W = S::kWidth;
    const T* a = TransA ? A + i0 : A + i0 * lda;
    T* c = C + i0 * ldc;
    const auto none = typename S::Mask(0);  // unused mask of the unmasked chunks
    std::size_t j = 0;
    for (; j + 2 * W <= N; j += 2 * W)
        small_chunk_512<T, R, true, false, TransA>(a, lda, K, alpha, B + j, ldb, beta, c + j, ldc,
                                                   none);
    const std::size_t left = N - j;  // < 2W
    if (left > W)
        small_chunk_512<T, R, true, true, TransA>(a, lda, K, alpha, B + j, ldb, beta, c + j, ldc,
                                                  S::mask(left - W));
    else if (left == W)
        small_chunk_512<T, R, false, false, TransA>(a, lda, K, alpha, B + j, ldb, beta, c + j, ldc,
                                                    none);
    else if (left > 0)
        small_chunk_512<T, R, false, true, TransA>(a, lda, K, alpha, B + j, ldb, beta, c + j, ldc,
                                                   S::mask(left));
}

template <class T, bool TransA>
inline void small_512(std::size_t M, std::size_t N, std::size_t K, T alpha, const T* A,
                      std::size_t lda, const T* B, std::size_t ldb, T beta, T* C, std::size_t ldc) {
    constexpr std::size_t R = 8;
    std::size_t i = 0;
    for (; i + R <= M; i += R)
        small_rows_512<T, R, TransA>(i, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    // The last M - i < 8 rows: 4, 2 and 1 at a time, so no row is computed twice.
    for (; i + 4 <= M; i += 4)
        small_rows_512<T, 4, TransA>(i, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    for (; i + 2 <= M; i += 2)
        small_rows_512<T, 2, TransA>(i, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    for (; i < M; ++i) small_rows_512<T, 1, TransA>(i, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

template <class T>
inline void small_512(bool trans_a, std::size_t M, std::size_t N, std::size_t K, T alpha,
                      const T* A, std::size_t lda, const T* B, std::size_t ldb, T beta, T* C,
                      std::size_t ldc) {
    if (trans_a)
        small_512<T, true>(M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    else
        small_512<T, false>(M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

// Narrow weight gradients without packing: C (M, N) = alpha A^T B + beta C with A stored
// (K, M), B stored (K, N) and N <= kNarrowMaxN (the output layer's X^T dZ, N = 10 classes).
// Row p of A's storage is column p of op(A), contiguous, so this loop vectorises along the
// rows of C instead of its columns: 32 rows of C at a time in two zmm per column of C, N
// columns, 2N accumulators. Per step p: 2 loads of A, N broadcasts of B(p, j), 2N FMAs with
// every lane used (the row-wise loop fills 10 of 16 lanes at N = 10 and issues a broadcast
// per FMA). The accumulators hold C^T; each 16-row half is transposed in registers (a 16x16
// transpose, columns N..15 zero) and stored as 16 masked rows of N values. Each row of C is
// computed by the same operations in the same order whatever block it falls in, so any split
// of the rows between threads gives the same bits.
//
// Measured on the Xeon model 167, one thread, GFLOP/s, this loop against the row-wise loop
// (and its scratch C^T at K >= 128): 64x10x32 147 vs 72, 128x10x128 163 vs 106, 256x10x128
// 152 vs 90, 100x10x37 119 vs 74 (OpenBLAS, SkylakeX kernels: 124 at 64x10x32, 142 at
// 128x10x128). Writing the columns with scatters instead of the transpose: 124, 155, 142, 102.

// min without <algorithm>: this file emits no function the baseline code could share (see
// gemm_config.hpp).
inline std::size_t min_size(std::size_t a, std::size_t b) {
    return a < b ? a : b;
}

// The first min(n, 16) lanes of a zmm of floats.
inline __mmask16 first_lanes(std::size_t n) {
    return n >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << n) - 1u);
}

// out[e] = (r[0][e], r[1][e], ..., r[15][e]): the transpose of the 16x16 matrix whose rows
// are r[0..15]. Three steps: interleave pairs of rows (unpack), gather 4-row groups within
// each 128-bit lane (shuffle), then a 4x4 transpose of the 128-bit lanes (shuffle_f32x4).
// GCC 12's avx512fintrin.h implements the unmasked unpack and shuffle intrinsics through a
// self-initialised _mm512_undefined_ps(), which -Wuninitialized reports once they are inlined
// here (GCC bug 105593, fixed in GCC 13); the warning is about the header, not this code.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
inline void transpose16x16(const __m512 r[16], __m512 out[16]) {
    __m512 t[16], u[16];
#pragma GCC unroll 8
    for (std::size_t k = 0; k < 8; ++k) {  // t[4g..4g+3] from rows 4g..4g+3
        const std::size_t g = k / 2, h = k % 2;
        t[4 * g + 2 * h] = _mm512_unpacklo_ps(r[2 * k], r[2 * k + 1]);
        t[4 * g + 2 * h + 1] = _mm512_unpackhi_ps(r[2 * k], r[2 * k + 1]);
    }
    // u[4g + q], 128-bit lane L: (r[4g][4L+q], r[4g+1][4L+q], r[4g+2][4L+q], r[4g+3][4L+q]).
#pragma GCC unroll 4
    for (std::size_t g = 0; g < 4; ++g) {
        u[4 * g + 0] = _mm512_shuffle_ps(t[4 * g + 0], t[4 * g + 2], 0x44);
        u[4 * g + 1] = _mm512_shuffle_ps(t[4 * g + 0], t[4 * g + 2], 0xEE);
        u[4 * g + 2] = _mm512_shuffle_ps(t[4 * g + 1], t[4 * g + 3], 0x44);
        u[4 * g + 3] = _mm512_shuffle_ps(t[4 * g + 1], t[4 * g + 3], 0xEE);
    }
    // out[4L + q] = lane L of u[q], u[4 + q], u[8 + q], u[12 + q].
#pragma GCC unroll 4
    for (std::size_t q = 0; q < 4; ++q) {
        const __m512 s0 = _mm512_shuffle_f32x4(u[q], u[4 + q], 0x44);  // lanes 0, 1 of each
        const __m512 s1 = _mm512_shuffle_f32x4(u[q], u[4 + q], 0xEE);  // lanes 2, 3
        const __m512 s2 = _mm512_shuffle_f32x4(u[8 + q], u[12 + q], 0x44);
        const __m512 s3 = _mm512_shuffle_f32x4(u[8 + q], u[12 + q], 0xEE);
        out[0 + q] = _mm512_shuffle_f32x4(s0, s2, 0x88);   // lane 0 of u[q], u[4+q], u[8+q], ..
        out[4 + q] = _mm512_shuffle_f32x4(s0, s2, 0xDD);   // lane 1
        out[8 + q] = _mm512_shuffle_f32x4(s1, s3, 0x88);   // lane 2
        out[12 + q] = _mm512_shuffle_f32x4(s1, s3, 0xDD);  // lane 3
    }
}

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

// Packing of the operands whose stored rows become the columns of a micro-panel: A (M, K)
// into MR-row panels, B stored (N, K) (op(B) = B^T) into NR-column panels. The portable
// packing reads the panel's rows side by side, one element of each per step (a gather, about
// an element per cycle); here 16 rows x 16 columns are loaded as 16 vectors and transposed in
// registers. Xeon model 167, one thread, GFLOP/s before and after (the packing took 28 % of
// the first two in perf before): sgemm_nt 128x784x256 134 -> 165, 32x256x256 93 -> 124,
// 32x784x256 107 -> 127 (bench/RESULTS.md's run at 17:15 UTC for the before), 2048^3 175 ->
// 181.
//   dst[k * width + i] = src[i * ld + k] for i < rows, k < kc; 0 for rows <= i < width.
// out[e] = (src[0][e], ..., src[n_rows - 1][e], 0, ...) for e < nk: the block of rows [0,
// n_rows) and columns [0, nk) of src (row stride ld; n_rows, nk <= 16) transposed. Rows past
// n_rows and columns past nk are not read.
inline void load_transposed16(const float* src, std::size_t ld, std::size_t n_rows, std::size_t nk,
                              __m512 out[16]) {
    const __mmask16 in_mask = first_lanes(nk);  // masked-off lanes read nothing, give 0
    __m512 r[16];
#pragma GCC unroll 16
    for (std::size_t i = 0; i < 16; ++i)
        r[i] = i < n_rows ? _mm512_maskz_loadu_ps(in_mask, src + i * ld) : _mm512_setzero_ps();
    transpose16x16(r, out);
}

// dst[s * ldd + r] = src[r * ld + s] (+ beta times its old value) for r < lanes <= 16 and
// s < n_cols: columns of src written as rows of dst, 16 at a time through load_transposed16.
// Rows of src from n_rows on are not read and give 0. With beta == 0, dst is only written.
void write_transposed16(const float* src, std::size_t ld, std::size_t n_rows, std::size_t n_cols,
                        float* dst, std::size_t ldd, std::size_t lanes, float beta) {
    const __mmask16 m = first_lanes(lanes);
    const __m512 vb = _mm512_set1_ps(beta);
    for (std::size_t s0 = 0; s0 < n_cols; s0 += 16) {
        const std::size_t ns = min_size(16, n_cols - s0);
        __m512 out[16];
        load_transposed16(src + s0, ld, n_rows, ns, out);
#pragma GCC unroll 16
        for (std::size_t e = 0; e < 16; ++e) {
            if (e == ns) break;
            float* row = dst + (s0 + e) * ldd;
            _mm512_mask_storeu_ps(
                row, m,
                beta == 0.0f ? out[e] : _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m, row), out[e]));
        }
    }
}

void pack_transposed_512(const float* src, std::size_t ld, std::size_t rows, std::size_t kc,
                         float* dst, std::size_t width) {
    for (std::size_t i0 = 0; i0 < width; i0 += 16) {  // 16 lanes of each panel row at a time
        const std::size_t n_rows = rows > i0 ? min_size(16, rows - i0) : 0;
        const float* block = n_rows > 0 ? src + i0 * ld : src;  // (not read when n_rows is 0)
        write_transposed16(block, ld, n_rows, kc, dst + i0, width, min_size(16, width - i0), 0.0f);
    }
}

// The tile of a product computed as C^T, written into the caller's C: c[s * ldc + r] =
// tile[r * ld + s] (+ beta times its old value) for r < rows <= 16, s < cols. The portable
// loop writes it one element at a time with a stride of ldc; here 16 columns of the tile at
// a time are transposed in registers and written as rows of C. With beta == 0, C is only
// written.
void tile_out_transposed_512(const float* tile, std::size_t ld, std::size_t rows, std::size_t cols,
                             float* c, std::size_t ldc, float beta) {
    write_transposed16(tile, ld, rows, cols, c, ldc, rows, beta);
}

// Rows [0, rows) of C, rows <= 16, from acc[j] = column j of C over those rows (lanes).
template <std::size_t N>
inline void narrow_store(const __m512* acc, std::size_t rows, float alpha, float beta, float* c,
                         std::size_t ldc) {
    __m512 r[16], out[16];
#pragma GCC unroll 16
    for (std::size_t j = 0; j < 16; ++j) r[j] = j < N ? acc[j] : _mm512_setzero_ps();
    transpose16x16(r, out);
    const __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
    const auto m = __mmask16((1u << N) - 1u);
#pragma GCC unroll 16
    for (std::size_t e = 0; e < 16; ++e) {
        if (e == rows) break;
        float* row = c + e * ldc;
        // beta == 0 overwrites: the old C (possibly NaN) is never read.
        const __m512 v = beta == 0.0f ? _mm512_mul_ps(va, out[e])
                                      : _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m, row),
                                                        _mm512_mul_ps(va, out[e]));
        _mm512_mask_storeu_ps(row, m, v);
    }
}

template <std::size_t N>
void narrow_tn_512(std::size_t M, std::size_t K, float alpha, const float* __restrict A,
                   std::size_t lda, const float* __restrict B, std::size_t ldb, float beta,
                   float* __restrict C, std::size_t ldc) {
    static_assert(N >= 1 && 2 * N + 3 <= 32, "2N accumulators, 2 A vectors, 1 broadcast");
    for (std::size_t i0 = 0; i0 < M; i0 += 32) {
        const std::size_t rows = min_size(32, M - i0);
        const __mmask16 m0 = first_lanes(rows), m1 = first_lanes(rows > 16 ? rows - 16 : 0);
        __m512 acc0[N], acc1[N];
#pragma GCC unroll 14
        for (std::size_t j = 0; j < N; ++j) acc0[j] = acc1[j] = _mm512_setzero_ps();
        const float* a = A + i0;
        for (std::size_t p = 0; p < K; ++p) {
            // Masked-off lanes read 0 and nothing past the end of A's row.
            // (The second half's address is formed only when it lies in A.)
            const __m512 a0 = _mm512_maskz_loadu_ps(m0, a + p * lda);
            const __m512 a1 =
                rows > 16 ? _mm512_maskz_loadu_ps(m1, a + p * lda + 16) : _mm512_setzero_ps();
            const float* b = B + p * ldb;
#pragma GCC unroll 14
            for (std::size_t j = 0; j < N; ++j) {
                const __m512 bj = _mm512_set1_ps(b[j]);
                acc0[j] = _mm512_fmadd_ps(a0, bj, acc0[j]);
                acc1[j] = _mm512_fmadd_ps(a1, bj, acc1[j]);
            }
        }
        narrow_store<N>(acc0, min_size(rows, 16), alpha, beta, C + i0 * ldc, ldc);
        if (rows > 16) narrow_store<N>(acc1, rows - 16, alpha, beta, C + (i0 + 16) * ldc, ldc);
    }
}

template <std::size_t... Ns>
void narrow_tn_dispatch(std::index_sequence<Ns...>, std::size_t M, std::size_t N, std::size_t K,
                        float alpha, const float* A, std::size_t lda, const float* B,
                        std::size_t ldb, float beta, float* C, std::size_t ldc) {
    // One instantiation per N in [1, kNarrowMaxN]: the loops over N must unroll for the
    // accumulators to stay in registers.
    ((N == Ns + 1 ? narrow_tn_512<Ns + 1>(M, K, alpha, A, lda, B, ldb, beta, C, ldc) : void()),
     ...);
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

void narrow_tn_avx512(std::size_t M, std::size_t N, std::size_t K, float alpha, const float* A,
                      std::size_t lda, const float* B, std::size_t ldb, float beta, float* C,
                      std::size_t ldc) {
    narrow_tn_dispatch(std::make_index_sequence<kNarrowMaxN>{}, M, N, K, alpha, A, lda, B, ldb,
                       beta, C, ldc);
}

void pack_transposed_avx512(const float* src, std::size_t ld, std::size_t rows, std::size_t kc,
                            float* dst, std::size_t width) {
    pack_transposed_512(src, ld, rows, kc, dst, width);
}

void tile_out_transposed_avx512(const float* tile, std::size_t ld, std::size_t rows,
                                std::size_t cols, float* c, std::size_t ldc, float beta) {
    tile_out_transposed_512(tile, ld, rows, cols, c, ldc, beta);
}

void ukernel_avx512(std::size_t kc, const float* a, const float* b, float* c, std::size_t ldc,
                    float alpha, float beta) {
    kernel_rows_2v<float, RegisterBlock<GemmKernel::Avx512, float>::MR>(kc, a, b, c, ldc, alpha,
                                                                        beta);
}

void uedge_avx512(std::size_t rows, std::size_t kc, const float* a, const float* b, float* c,
                  std::size_t ldc, float alpha, float beta) {
    constexpr std::size_t MR = RegisterBlock<GemmKernel::Avx512, float>::MR;
    kernel_edge_2v<float>(std::make_index_sequence<MR - 1>{}, rows, kc, a, b, c, ldc, alpha, beta);
}

void ukernel_avx512(std::size_t kc, const double* a, const double* b, double* c, std::size_t ldc,
                    double alpha, double beta) {
    kernel_rows_2v<double, RegisterBlock<GemmKernel::Avx512, double>::MR>(kc, a, b, c, ldc, alpha,
                                                                          beta);
}

void uedge_avx512(std::size_t rows, std::size_t kc, const double* a, const double* b, double* c,
                  std::size_t ldc, double alpha, double beta) {
    constexpr std::size_t MR = RegisterBlock<GemmKernel::Avx512, double>::MR;
    kernel_edge_2v<double>(std::make_index_sequence<MR - 1>{}, rows, kc, a, b, c, ldc, alpha, beta);
}

}  // namespace ffnn::gemm_detail
