// AVX2/FMA GEMM micro-kernels: fp32 6x16 and fp64 6x8 (see gemm_config.hpp for the contract).
//
// Both keep a 6-row by 2-vector tile of C in 12 ymm accumulators. Each step k loads one row
// of the packed B micro-panel (2 vectors), broadcasts the 6 values of the packed A column one
// at a time and issues 12 independent FMAs: 12 chains are enough to cover the FMA latency
// (4 cycles) times the two FMA ports with a few to spare, and 12 + 2 + 1 = 15 of the 16 ymm
// registers are live (the BLIS Haswell kernels use the same shape).
//
// small_avx2 is the avx2 configuration's unpacked path for small products (6 rows x 2 ymm,
// masked edges; use_unpacked in gemm_config.hpp says which products take it).
//
// This file is compiled with -mavx2 -mfma (tensor/CMakeLists.txt) whatever the project's
// flags, and only called through the function pointers matmul.cpp selects after checking the
// CPU (cpu.hpp).
#include <immintrin.h>

#include <utility>

#include "ffnn/tensor/kernels/gemm_config.hpp"

#if !defined(__AVX2__) || !defined(__FMA__)
#error "gemm_avx2.cpp must be compiled with -mavx2 -mfma (see tensor/CMakeLists.txt)"
#endif

namespace ffnn::gemm_detail {
namespace {

// The few vector operations the kernel needs, for each element type.
template <class T>
struct Vec;

template <>
struct Vec<float> {
    using V = __m256;
    static constexpr std::size_t kWidth = 8;
    static V load(const float* p) { return _mm256_load_ps(p); }
    static V loadu(const float* p) { return _mm256_loadu_ps(p); }
    static void storeu(float* p, V v) { _mm256_storeu_ps(p, v); }
    static V broadcast(const float* p) { return _mm256_broadcast_ss(p); }
    static V set1(float x) { return _mm256_set1_ps(x); }
    static V zero() { return _mm256_setzero_ps(); }
    static V fma(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
    static V mul(V a, V b) { return _mm256_mul_ps(a, b); }
    // Lanes [0, n) of a vector, n < 8: the others read as 0 and are not written.
    static __m256i mask(std::size_t n) {
        return _mm256_cmpgt_epi32(_mm256_set1_epi32(int(n)),
                                  _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    }
    static V maskload(const float* p, __m256i m) { return _mm256_maskload_ps(p, m); }
    static void maskstore(float* p, __m256i m, V v) { _mm256_maskstore_ps(p, m, v); }
};

template <>
struct Vec<double> {
    using V = __m256d;
    static constexpr std::size_t kWidth = 4;
    static V load(const double* p) { return _mm256_load_pd(p); }
    static V loadu(const double* p) { return _mm256_loadu_pd(p); }
    static void storeu(double* p, V v) { _mm256_storeu_pd(p, v); }
    static V broadcast(const double* p) { return _mm256_broadcast_sd(p); }
    static V set1(double x) { return _mm256_set1_pd(x); }
    static V zero() { return _mm256_setzero_pd(); }
    static V fma(V a, V b, V c) { return _mm256_fmadd_pd(a, b, c); }
    static V mul(V a, V b) { return _mm256_mul_pd(a, b); }
    static __m256i mask(std::size_t n) {
        return _mm256_cmpgt_epi64(_mm256_set1_epi64x(static_cast<long long>(n)),
                                  _mm256_setr_epi64x(0, 1, 2, 3));
    }
    static V maskload(const double* p, __m256i m) { return _mm256_maskload_pd(p, m); }
    static void maskstore(double* p, __m256i m, V v) { _mm256_maskstore_pd(p, m, v); }
};

// c (6 x 2W, row stride ldc) = alpha * a b + beta * c, with W = vector width.
template <class T>
inline void kernel_6x2v(std::size_t kc, const T* __restrict a, const T* __restrict b,
                        T* __restrict c, std::size_t ldc, T alpha, T beta) {
    using S = Vec<T>;
    using V = typename S::V;
    constexpr std::size_t MR = 6, W = S::kWidth, NR = 2 * W;
    static_assert(RegisterBlock<GemmKernel::Avx2, T>::MR == MR &&
                      RegisterBlock<GemmKernel::Avx2, T>::NR == NR,
                  "kernel shape != table");

    // Touch the C tile early: its lines arrive while the k loop runs.
    for (std::size_t i = 0; i < MR; ++i) {
        _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc), _MM_HINT_T0);
        _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc + NR - 1), _MM_HINT_T0);
    }

    V c00 = S::zero(), c01 = S::zero(), c10 = S::zero(), c11 = S::zero();
    V c20 = S::zero(), c21 = S::zero(), c30 = S::zero(), c31 = S::zero();
    V c40 = S::zero(), c41 = S::zero(), c50 = S::zero(), c51 = S::zero();

#pragma GCC unroll 4
    for (std::size_t k = 0; k < kc; ++k) {
        const V b0 = S::load(b);
        const V b1 = S::load(b + W);
        V ai = S::broadcast(a + 0);
        c00 = S::fma(ai, b0, c00);
        c01 = S::fma(ai, b1, c01);
        ai = S::broadcast(a + 1);
        c10 = S::fma(ai, b0, c10);
        c11 = S::fma(ai, b1, c11);
        ai = S::broadcast(a + 2);
        c20 = S::fma(ai, b0, c20);
        c21 = S::fma(ai, b1, c21);
        ai = S::broadcast(a + 3);
        c30 = S::fma(ai, b0, c30);
        c31 = S::fma(ai, b1, c31);
        ai = S::broadcast(a + 4);
        c40 = S::fma(ai, b0, c40);
        c41 = S::fma(ai, b1, c41);
        ai = S::broadcast(a + 5);
        c50 = S::fma(ai, b0, c50);
        c51 = S::fma(ai, b1, c51);
        a += MR;
        b += NR;
    }

    const V va = S::set1(alpha);
    auto write_row = [&](T* row, V lo, V hi) {
        if (beta == T(0)) {  // overwrite: never read C, so NaN in the old C cannot leak in
            S::storeu(row, S::mul(va, lo));
            S::storeu(row + W, S::mul(va, hi));
        } else {
            const V vb = S::set1(beta);
            S::storeu(row, S::fma(vb, S::loadu(row), S::mul(va, lo)));
            S::storeu(row + W, S::fma(vb, S::loadu(row + W), S::mul(va, hi)));
        }
    };
    write_row(c + 0 * ldc, c00, c01);
    write_row(c + 1 * ldc, c10, c11);
    write_row(c + 2 * ldc, c20, c21);
    write_row(c + 3 * ldc, c30, c31);
    write_row(c + 4 * ldc, c40, c41);
    write_row(c + 5 * ldc, c50, c51);
}

// The edge kernel: rows [0, R) of the 6 x 2W tile, R < 6, for the last tile of an M edge
// (the packed A panel keeps its 6 values per column). Each row gets kernel_6x2v's operations
// in its order, so the same bits as when the row falls in a full tile.
template <class T, std::size_t R>
inline void kernel_rows_2v(std::size_t kc, const T* __restrict a, const T* __restrict b,
                           T* __restrict c, std::size_t ldc, T alpha, T beta) {
    using S = Vec<T>;
    using V = typename S::V;
    constexpr std::size_t MR = RegisterBlock<GemmKernel::Avx2, T>::MR, W = S::kWidth, NR = 2 * W;
    static_assert(R >= 1 && R < MR, "rows of an edge tile");
    for (std::size_t i = 0; i < R; ++i) {
        _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc), _MM_HINT_T0);
        _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc + NR - 1), _MM_HINT_T0);
    }
    V lo[R], hi[R];
#pragma GCC unroll 6
    for (std::size_t i = 0; i < R; ++i) lo[i] = hi[i] = S::zero();
#pragma GCC unroll 4
    for (std::size_t k = 0; k < kc; ++k) {
        const V b0 = S::load(b);
        const V b1 = S::load(b + W);
#pragma GCC unroll 6
        for (std::size_t i = 0; i < R; ++i) {
            const V ai = S::broadcast(a + i);
            lo[i] = S::fma(ai, b0, lo[i]);
            hi[i] = S::fma(ai, b1, hi[i]);
        }
        a += MR;
        b += NR;
    }
    const V va = S::set1(alpha);
#pragma GCC unroll 6
    for (std::size_t i = 0; i < R; ++i) {
        T* row = c + i * ldc;
        if (beta == T(0)) {  // overwrite: never read C, so NaN in the old C cannot leak in
            S::storeu(row, S::mul(va, lo[i]));
            S::storeu(row + W, S::mul(va, hi[i]));
        } else {
            const V vb = S::set1(beta);
            S::storeu(row, S::fma(vb, S::loadu(row), S::mul(va, lo[i])));
            S::storeu(row + W, S::fma(vb, S::loadu(row + W), S::mul(va, hi[i])));
        }
    }
}

template <class T, std::size_t... Rs>
inline void kernel_edge_2v(std::index_sequence<Rs...>, std::size_t rows, std::size_t kc, const T* a,
                           const T* b, T* c, std::size_t ldc, T alpha, T beta) {
    using Fn = void (*)(std::size_t, const T*, const T*, T*, std::size_t, T, T);
    static constexpr Fn table[] = {kernel_rows_2v<T, Rs + 1>...};
    table[rows - 1](kc, a, b, c, ldc, alpha, beta);
}

// Products without packing, op(B) = B (not transposed): C (M, N) = alpha op(A) B + beta C,
// R rows of C at a time. Each row chunk of C is 1 or 2 ymm wide; a chunk that ends past the
// last full vector of a row masks its last vector (vmaskmov loads and stores neither read nor
// write the masked-off lanes, and a masked-off lane of a load reads 0). Per step p, the chunk
// of B's row p is loaded once and each of the R values op(A)(i, p) broadcast into R (or 2R)
// FMAs.
//
// Why R = 6 with 2 vectors (the AVX2 counterpart of small_avx512's 8 x 2 zmm): 12 accumulators
// + 2 B vectors + 1 broadcast = 15 of the 16 ymm registers, and 12 independent FMA chains
// cover the FMA latency (4 cycles) times the two FMA ports. Per step the loop issues 12 FMAs
// against 2 B loads and 6 broadcasts (loads too): 6 cycles of FMA ports against 4 of load
// ports, so the FMAs stay the bottleneck (the 4-row loop this replaced issued 8 FMAs against
// 6 loads). The whole of B is read once per 6 rows of C, so the driver keeps this path to
// products whose B stays in cache (use_unpacked in gemm_config.hpp).
// Rows [0, R) of the block at a and c, columns [0, NV * W) of the chunk at B and c; the last
// vector masked by m when Masked (all of it otherwise).
template <class T, std::size_t R, std::size_t NV, bool Masked>
inline void small_chunk(const T* __restrict a, std::size_t sa_i, std::size_t sa_p, std::size_t K,
                        T alpha, const T* __restrict B, std::size_t ldb, T beta, T* __restrict c,
                        std::size_t ldc, __m256i m) {
    using S = Vec<T>;
    using V = typename S::V;
    constexpr std::size_t W = S::kWidth;
    static_assert(NV == 1 || NV == 2, "one or two vectors per row");
    auto load_last = [&](const T* p) { return Masked ? S::maskload(p, m) : S::loadu(p); };
    V acc0[R], acc1[R];
#pragma GCC unroll 6
    for (std::size_t r = 0; r < R; ++r) acc0[r] = acc1[r] = S::zero();
    for (std::size_t p = 0; p < K; ++p) {
        const T* b = B + p * ldb;
        const V b0 = NV == 2 ? S::loadu(b) : load_last(b);
        const V b1 = NV == 2 ? load_last(b + W) : S::zero();
#pragma GCC unroll 6
        for (std::size_t r = 0; r < R; ++r) {
            const V ar = S::broadcast(a + r * sa_i + p * sa_p);
            acc0[r] = S::fma(ar, b0, acc0[r]);
            if constexpr (NV == 2) acc1[r] = S::fma(ar, b1, acc1[r]);
        }
    }
    const V va = S::set1(alpha), vb = S::set1(beta);
    // beta == 0 overwrites: the old C (possibly NaN) is never read.
    auto put = [&](T* dst, V acc, bool masked) {
        if (masked) {
            const V out =
                beta == T(0) ? S::mul(va, acc) : S::fma(vb, S::maskload(dst, m), S::mul(va, acc));
            S::maskstore(dst, m, out);
        } else {
            S::storeu(dst,
                      beta == T(0) ? S::mul(va, acc) : S::fma(vb, S::loadu(dst), S::mul(va, acc)));
        }
    };
#pragma GCC unroll 6
    for (std::size_t r = 0; r < R; ++r) {
        T* row = c + r * ldc;
        if constexpr (NV == 2) {
            put(row, acc0[r], false);
            put(row + W, acc1[r], Masked);
        } else {
            put(row, acc0[r], Masked);
        }
    }
}

// Rows [i0, i0 + R) of C, every column: chunks of 2 vectors, then the rest (< 2W columns) as
// one chunk of 1 or 2 vectors whose last one is masked when it is not full.
template <class T, std::size_t R>
inline void small_rows(bool trans_a, std::size_t i0, std::size_t N, std::size_t K, T alpha,
                       const T* A, std::size_t lda, const T* B, std::size_t ldb, T beta, T* C,
                       std::size_t ldc) {
    using S = Vec<T>;
    constexpr std::size_t W = S::kWidth;
    const std::size_t sa_i = trans_a ? 1 : lda, sa_p = trans_a ? lda : 1;  // A(i, p) strides
    const T* a = A + i0 * sa_i;
    T* c = C + i0 * ldc;
    const __m256i none = _mm256_setzero_si256();  // unused mask of the unmasked chunks
    std::size_t j = 0;
    for (; j + 2 * W <= N; j += 2 * W)
        small_chunk<T, R, 2, false>(a, sa_i, sa_p, K, alpha, B + j, ldb, beta, c + j, ldc, none);
    const std::size_t left = N - j;  // < 2W
    if (left > W)
        small_chunk<T, R, 2, true>(a, sa_i, sa_p, K, alpha, B + j, ldb, beta, c + j, ldc,
                                   S::mask(left - W));
    else if (left == W)
        small_chunk<T, R, 1, false>(a, sa_i, sa_p, K, alpha, B + j, ldb, beta, c + j, ldc, none);
    else if (left > 0)
        small_chunk<T, R, 1, true>(a, sa_i, sa_p, K, alpha, B + j, ldb, beta, c + j, ldc,
                                   S::mask(left));
}

template <class T>
inline void small_2v(bool trans_a, std::size_t M, std::size_t N, std::size_t K, T alpha, const T* A,
                     std::size_t lda, const T* B, std::size_t ldb, T beta, T* C, std::size_t ldc) {
    constexpr std::size_t R = 6;
    std::size_t i = 0;
    for (; i + R <= M; i += R)
        small_rows<T, R>(trans_a, i, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    // The last M - i < 6 rows as one block, so that B is read once more, not two or three
    // times (it may come from L2). Each row of C gets the same operations in the same order
    // whatever block it falls in.
    switch (M - i) {
        case 5:
            return small_rows<T, 5>(trans_a, i, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
        case 4:
            return small_rows<T, 4>(trans_a, i, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
        case 3:
            return small_rows<T, 3>(trans_a, i, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
        case 2:
            return small_rows<T, 2>(trans_a, i, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
        case 1:
            return small_rows<T, 1>(trans_a, i, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    }
}

// Narrow weight gradients, the AVX2 counterpart of narrow_tn_avx512 (gemm_avx512.cpp has the
// reasoning): C (M, N) = alpha A^T B + beta C with A stored (K, M), N <= kNarrowMaxN,
// vectorised along the rows of C, 8 rows at a time: N accumulators + 1 A vector + 1 broadcast
// <= 16 ymm. Per step p: 1 load of A, N broadcasts, N FMAs with every lane used. The
// accumulators (C^T) are transposed in registers, 8 columns at a time, and stored as 8 rows.

// out[e] = (r[0][e], ..., r[7][e]): the transpose of the 8x8 matrix whose rows are r[0..7].
inline void transpose8x8(const __m256 r[8], __m256 out[8]) {
    __m256 t[8], u[8];
#pragma GCC unroll 4
    for (std::size_t k = 0; k < 4; ++k) {  // t[4g..4g+3] from rows 4g..4g+3
        const std::size_t g = k / 2, h = k % 2;
        t[4 * g + 2 * h] = _mm256_unpacklo_ps(r[2 * k], r[2 * k + 1]);
        t[4 * g + 2 * h + 1] = _mm256_unpackhi_ps(r[2 * k], r[2 * k + 1]);
    }
    // u[4g + q], 128-bit lane L: (r[4g][4L+q], r[4g+1][4L+q], r[4g+2][4L+q], r[4g+3][4L+q]).
#pragma GCC unroll 2
    for (std::size_t g = 0; g < 2; ++g) {
        u[4 * g + 0] = _mm256_shuffle_ps(t[4 * g + 0], t[4 * g + 2], 0x44);
        u[4 * g + 1] = _mm256_shuffle_ps(t[4 * g + 0], t[4 * g + 2], 0xEE);
        u[4 * g + 2] = _mm256_shuffle_ps(t[4 * g + 1], t[4 * g + 3], 0x44);
        u[4 * g + 3] = _mm256_shuffle_ps(t[4 * g + 1], t[4 * g + 3], 0xEE);
    }
#pragma GCC unroll 4
    for (std::size_t q = 0; q < 4; ++q) {
        out[q] = _mm256_permute2f128_ps(u[q], u[4 + q], 0x20);      // lane 0 of each
        out[4 + q] = _mm256_permute2f128_ps(u[q], u[4 + q], 0x31);  // lane 1 of each
    }
}

// The transposing packings (PackTransposed in gemm_config.hpp; gemm_avx512.cpp has the
// reasoning): 8 rows x 8 columns loaded as 8 vectors and transposed in registers. Xeon model
// 167 with the avx2 kernel, one thread, medians of 3, GFLOP/s before and after: sgemm_nt
// 128x784x256 107 -> 112, 32x256x256 85 -> 91, 32x784x256 81 -> 90, 2048^3 115 -> 117.
//   dst[k * width + i] = src[i * ld + k] for i < rows, k < kc; 0 for rows <= i < width.
// out[e] = (src[0][e], ..., src[n_rows - 1][e], 0, ...) for e < nk: the block of rows [0,
// n_rows) and columns [0, nk) of src (row stride ld; n_rows, nk <= 8) transposed. Rows past
// n_rows and columns past nk are not read.
inline void load_transposed8(const float* src, std::size_t ld, std::size_t n_rows, std::size_t nk,
                             __m256 out[8]) {
    const __m256i in_mask = Vec<float>::mask(nk == 8 ? 0 : nk);  // when nk < 8
    __m256 r[8];
#pragma GCC unroll 8
    for (std::size_t i = 0; i < 8; ++i) {
        if (i >= n_rows) {  // (the address of a row past n_rows is never formed)
            r[i] = _mm256_setzero_ps();
            continue;
        }
        const float* row = src + i * ld;
        r[i] = nk == 8 ? _mm256_loadu_ps(row) : _mm256_maskload_ps(row, in_mask);
    }
    transpose8x8(r, out);
}

// dst[s * ldd + r] = src[r * ld + s] (+ beta times its old value) for r < lanes <= 8 and
// s < n_cols: columns of src written as rows of dst, 8 at a time through load_transposed8.
// Rows of src from n_rows on are not read and give 0. With beta == 0, dst is only written.
void write_transposed8(const float* src, std::size_t ld, std::size_t n_rows, std::size_t n_cols,
                       float* dst, std::size_t ldd, std::size_t lanes, float beta) {
    const __m256i m = Vec<float>::mask(lanes == 8 ? 0 : lanes);  // when lanes < 8
    const __m256 vb = _mm256_set1_ps(beta);
    for (std::size_t s0 = 0; s0 < n_cols; s0 += 8) {
        const std::size_t ns = n_cols - s0 < 8 ? n_cols - s0 : 8;
        __m256 out[8];
        load_transposed8(src + s0, ld, n_rows, ns, out);
#pragma GCC unroll 8
        for (std::size_t e = 0; e < 8; ++e) {
            if (e == ns) break;
            float* row = dst + (s0 + e) * ldd;
            if (lanes == 8)
                _mm256_storeu_ps(
                    row, beta == 0.0f ? out[e] : _mm256_fmadd_ps(vb, _mm256_loadu_ps(row), out[e]));
            else
                _mm256_maskstore_ps(row, m,
                                    beta == 0.0f
                                        ? out[e]
                                        : _mm256_fmadd_ps(vb, _mm256_maskload_ps(row, m), out[e]));
        }
    }
}

void pack_transposed_256(const float* src, std::size_t ld, std::size_t rows, std::size_t kc,
                         float* dst, std::size_t width) {
    for (std::size_t i0 = 0; i0 < width; i0 += 8) {  // 8 lanes of each panel row at a time
        const std::size_t n_rows = rows > i0 ? (rows - i0 < 8 ? rows - i0 : 8) : 0;
        const float* block = n_rows > 0 ? src + i0 * ld : src;  // (not read when n_rows is 0)
        write_transposed8(block, ld, n_rows, kc, dst + i0, width, width - i0 < 8 ? width - i0 : 8,
                          0.0f);
    }
}

// The tile of a product computed as C^T into the caller's C (tile_out_transposed_512 in
// gemm_avx512.cpp): c[s * ldc + r] = tile[r * ld + s] (+ beta c) for r < rows <= 8, s < cols.
void tile_out_transposed_256(const float* tile, std::size_t ld, std::size_t rows, std::size_t cols,
                             float* c, std::size_t ldc, float beta) {
    write_transposed8(tile, ld, rows, cols, c, ldc, rows, beta);
}

// Columns [j0, j0 + 8) of rows [0, rows) of C (rows <= 8) from acc[j] = column j over those
// rows; the columns from N on are neither read nor written.
template <std::size_t N, std::size_t J0>
inline void narrow_store_8(const __m256* acc, std::size_t rows, float alpha, float beta, float* c,
                           std::size_t ldc) {
    constexpr std::size_t n = N - J0 < 8 ? N - J0 : 8;  // columns of this group
    __m256 r[8], out[8];
#pragma GCC unroll 8
    for (std::size_t j = 0; j < 8; ++j) r[j] = j < n ? acc[J0 + j] : _mm256_setzero_ps();
    transpose8x8(r, out);
    const __m256 va = _mm256_set1_ps(alpha), vb = _mm256_set1_ps(beta);
    const __m256i m = Vec<float>::mask(n == 8 ? 0 : n);  // used when n < 8
#pragma GCC unroll 8
    for (std::size_t e = 0; e < 8; ++e) {
        if (e == rows) break;
        float* row = c + e * ldc + J0;
        // beta == 0 overwrites: the old C (possibly NaN) is never read.
        if constexpr (n == 8) {
            _mm256_storeu_ps(row, beta == 0.0f ? _mm256_mul_ps(va, out[e])
                                               : _mm256_fmadd_ps(vb, _mm256_loadu_ps(row),
                                                                 _mm256_mul_ps(va, out[e])));
        } else {
            _mm256_maskstore_ps(row, m,
                                beta == 0.0f ? _mm256_mul_ps(va, out[e])
                                             : _mm256_fmadd_ps(vb, _mm256_maskload_ps(row, m),
                                                               _mm256_mul_ps(va, out[e])));
        }
    }
}

template <std::size_t N>
void narrow_tn_256(std::size_t M, std::size_t K, float alpha, const float* __restrict A,
                   std::size_t lda, const float* __restrict B, std::size_t ldb, float beta,
                   float* __restrict C, std::size_t ldc) {
    static_assert(N >= 1 && N + 2 <= 16, "N accumulators, 1 A vector, 1 broadcast");
    for (std::size_t i0 = 0; i0 < M; i0 += 8) {
        const std::size_t rows = M - i0 < 8 ? M - i0 : 8;
        const __m256i m = Vec<float>::mask(rows == 8 ? 0 : rows);
        __m256 acc[N];
#pragma GCC unroll 14
        for (std::size_t j = 0; j < N; ++j) acc[j] = _mm256_setzero_ps();
        const float* a = A + i0;
        for (std::size_t p = 0; p < K; ++p) {
            // Masked-off lanes read 0 and nothing past the end of A's row.
            const __m256 ap =
                rows == 8 ? _mm256_loadu_ps(a + p * lda) : _mm256_maskload_ps(a + p * lda, m);
            const float* b = B + p * ldb;
#pragma GCC unroll 14
            for (std::size_t j = 0; j < N; ++j)
                acc[j] = _mm256_fmadd_ps(ap, _mm256_broadcast_ss(b + j), acc[j]);
        }
        float* c = C + i0 * ldc;
        narrow_store_8<N, 0>(acc, rows, alpha, beta, c, ldc);
        if constexpr (N > 8) narrow_store_8<N, 8>(acc, rows, alpha, beta, c, ldc);
    }
}

template <std::size_t... Ns>
void narrow_tn_dispatch_256(std::index_sequence<Ns...>, std::size_t M, std::size_t N, std::size_t K,
                            float alpha, const float* A, std::size_t lda, const float* B,
                            std::size_t ldb, float beta, float* C, std::size_t ldc) {
    ((N == Ns + 1 ? narrow_tn_256<Ns + 1>(M, K, alpha, A, lda, B, ldb, beta, C, ldc) : void()),
     ...);
}

}  // namespace

void small_avx2(bool trans_a, std::size_t M, std::size_t N, std::size_t K, float alpha,
                const float* A, std::size_t lda, const float* B, std::size_t ldb, float beta,
                float* C, std::size_t ldc) {
    small_2v<float>(trans_a, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

void small_avx2(bool trans_a, std::size_t M, std::size_t N, std::size_t K, double alpha,
                const double* A, std::size_t lda, const double* B, std::size_t ldb, double beta,
                double* C, std::size_t ldc) {
    small_2v<double>(trans_a, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

void narrow_tn_avx2(std::size_t M, std::size_t N, std::size_t K, float alpha, const float* A,
                    std::size_t lda, const float* B, std::size_t ldb, float beta, float* C,
                    std::size_t ldc) {
    narrow_tn_dispatch_256(std::make_index_sequence<kNarrowMaxN>{}, M, N, K, alpha, A, lda, B, ldb,
                           beta, C, ldc);
}

void pack_transposed_avx2(const float* src, std::size_t ld, std::size_t rows, std::size_t kc,
                          float* dst, std::size_t width) {
    pack_transposed_256(src, ld, rows, kc, dst, width);
}

void tile_out_transposed_avx2(const float* tile, std::size_t ld, std::size_t rows, std::size_t cols,
                              float* c, std::size_t ldc, float beta) {
    tile_out_transposed_256(tile, ld, rows, cols, c, ldc, beta);
}

void ukernel_avx2(std::size_t kc, const float* a, const float* b, float* c, std::size_t ldc,
                  float alpha, float beta) {
    kernel_6x2v<float>(kc, a, b, c, ldc, alpha, beta);
}

void ukernel_avx2(std::size_t kc, const double* a, const double* b, double* c, std::size_t ldc,
                  double alpha, double beta) {
    kernel_6x2v<double>(kc, a, b, c, ldc, alpha, beta);
}

void uedge_avx2(std::size_t rows, std::size_t kc, const float* a, const float* b, float* c,
                std::size_t ldc, float alpha, float beta) {
    kernel_edge_2v<float>(
        std::make_index_sequence<RegisterBlock<GemmKernel::Avx2, float>::MR - 1>{}, rows, kc, a, b,
        c, ldc, alpha, beta);
}

void uedge_avx2(std::size_t rows, std::size_t kc, const double* a, const double* b, double* c,
                std::size_t ldc, double alpha, double beta) {
    kernel_edge_2v<double>(
        std::make_index_sequence<RegisterBlock<GemmKernel::Avx2, double>::MR - 1>{}, rows, kc, a, b,
        c, ldc, alpha, beta);
}

}  // namespace ffnn::gemm_detail
