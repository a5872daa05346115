// GEMM blocking constants and the micro-kernel interface shared by tensor/matmul.cpp and the
// micro-kernels in tensor/kernels/.
//
// One table per element type. The register block MR x NR is fixed by the micro-kernel; the
// cache blocks KC, MC, NC are chosen so that each packed operand sits in the cache level it is
// reused from (Goto & van de Geijn 2008, section 6; Low et al. 2016 derive the same sizes
// analytically):
//
//   B micro-panel  KC x NR   reused MC/MR times by the IR loop  -> keep in L1
//   A block        MC x KC   reused NC/NR times by the JR loop  -> keep in L2
//   B block        KC x NC   reused M/MC times by the IC loop   -> keep in L3
//
// Caches of the development machine (lscpu: Intel Xeon, family 6 model 207, KVM guest):
//   L1d 48 KiB per core, L2 2 MiB per core, L3 300 MiB shared.
//
// fp32, AVX2 kernel 6x16 (12 accumulators + 2 B vectors + 1 A broadcast = 15 of 16 ymm):
//   KC = 384: B micro-panel 384*16*4 B = 24 KiB, half of the 48 KiB L1, + A micro-panel
//             9 KiB + the C tile; the rest of L1 holds the next B micro-panel streaming in.
//             (On a 32 KiB L1 this should drop back to BLIS's 256: 16 KiB.)
//   MC = 144: A block 144*384*4 B = 216 KiB, a tenth of the 2 MiB L2, so it stays resident
//             while the B micro-panels stream through L1.
//   NC = 4080: B block 384*4080*4 B = 6 MiB, shared by the threads, in L3.
// fp64, AVX2 kernel 6x8 (same register budget, 4 doubles per ymm), BLIS's Haswell values:
//   KC = 256: B micro-panel 256*8*8 B = 16 KiB, A micro-panel 12 KiB.
//   MC = 72:  A block 72*256*8 B = 144 KiB in L2.   NC = 4080: B block 8 MiB in L3.
//
// Measured (bench_matmul, fp32, one thread, 3 interleaved rounds of 3 runs, medians, on the
// machine above while it was shared): BLIS's Haswell values MC/KC/NC = 144/256/4080 and
// 144/384 and 288/384 were within noise of each other (~65-75 GFLOP/s at 256^3 .. 2048^3);
// 144/384 was ahead at 2048^3 (72 vs 61-69) and on the network shapes, so it is used.
// Larger KC (512) or MC (576) were not better. fp64 was not tuned separately.
//
// The portable kernel (no AVX2/FMA, e.g. FFNN_NATIVE=OFF, baseline x86-64 = SSE2, 16 xmm):
//   fp32 4x8 (8 accumulators of 4 floats), fp64 4x4 (8 accumulators of 2 doubles).
#pragma once

#include <cstddef>

#if defined(__AVX2__) && defined(__FMA__)
#define FFNN_GEMM_AVX2 1
#else
#define FFNN_GEMM_AVX2 0
#endif

namespace ffnn::gemm_detail {

template <class T>
struct Blocking;

#if FFNN_GEMM_AVX2
template <>
struct Blocking<float> {
    static constexpr std::size_t MR = 6, NR = 16;  // register block of the AVX2 kernel
    static constexpr std::size_t KC = 384;         // B micro-panel 24 KiB in L1
    static constexpr std::size_t MC = 144;         // A block 216 KiB in L2
    static constexpr std::size_t NC = 4080;        // B block 6 MiB in L3
};
template <>
struct Blocking<double> {
    static constexpr std::size_t MR = 6, NR = 8;
    static constexpr std::size_t KC = 256;   // B micro-panel 16 KiB in L1
    static constexpr std::size_t MC = 72;    // A block 144 KiB in L2
    static constexpr std::size_t NC = 4080;  // B block 8 MiB in L3
};
#else
template <>
struct Blocking<float> {
    static constexpr std::size_t MR = 4, NR = 8;
    static constexpr std::size_t KC = 256;   // B micro-panel 8 KiB in L1
    static constexpr std::size_t MC = 144;   // A block 144 KiB in L2
    static constexpr std::size_t NC = 4080;  // B block 4 MiB in L3
};
template <>
struct Blocking<double> {
    static constexpr std::size_t MR = 4, NR = 4;
    static constexpr std::size_t KC = 256;   // B micro-panel 8 KiB in L1
    static constexpr std::size_t MC = 72;    // A block 144 KiB in L2
    static constexpr std::size_t NC = 4080;  // B block 8 MiB in L3
};
#endif

// Size thresholds of gemm (work = M * N * K multiply-adds), kept with the blocking so that
// the tuning constants are in one place (the tests also use them to reach every path).
//
// kParallelWork: below it the product runs on one thread. Entering and leaving a parallel
// region costs ~1.3 us on the quiet machine (bench_matmul overhead/omp_fork_join, 2 threads),
// so at ~30 GMAC/s per core threading breaks even around 2 * 1.3 us * 30 GMAC/s ~ 2^16.
// Measured with every product threaded (quiet machine, fp32): 64^3 = 2^18 went from 10.0 to
// 6.9 us, (128,10,128) = 1.25 * 2^17 from 18.9 to 13.0 us. 2^17 keeps a margin over the
// break-even; all of the MNIST network's products are above it, the Iris network's below.
constexpr std::size_t kParallelWork = std::size_t(1) << 17;
// kSmallWork: below it packing costs more than it saves, and such products (the Iris
// network's 32x16x4 is 2048) run unpacked (gemm_small in matmul.cpp) on the calling thread
// when op(B) = B and the AVX2 kernels are built. Measured on one thread, fp32, unpacked vs
// packed: 0.2 vs 0.2 us at 32x16x4, 0.4 vs 0.8 at 32x3x16, 1.4 vs 2.4 at 64x32x16, 2.6 vs
// 6.7 at 64x64x16, 9 vs 13 at 64^3 (2^18). The unpacked loop re-reads B once per 4 rows of
// C, so it is kept to products whose B is small enough to stay in L1/L2.
constexpr std::size_t kSmallWork = std::size_t(1) << 16;

template <class T>
constexpr bool blocking_is_consistent() {
    using B = Blocking<T>;
    return B::MC % B::MR == 0 && B::NC % B::NR == 0 && B::KC > 0 && B::MR > 0 && B::NR > 0;
}
static_assert(blocking_is_consistent<float>(), "fp32 GEMM: MC % MR and NC % NR must be 0");
static_assert(blocking_is_consistent<double>(), "fp64 GEMM: MC % MR and NC % NR must be 0");

// Micro-kernel contract, for one MR x NR tile of C:
//   a: packed A micro-panel, kc columns of MR values   (a[k * MR + i] = op(A)(i, k))
//   b: packed B micro-panel, kc rows of NR values      (b[k * NR + j] = op(B)(k, j))
//   c: the tile, row stride ldc;  c = alpha * a b + beta * c,
//   and when beta == 0, c is only written (NaN or garbage in c is ignored).
// a and b are 64-byte aligned; c has no alignment requirement.
void ukernel_portable(std::size_t kc, const float* a, const float* b, float* c, std::size_t ldc,
                      float alpha, float beta);
void ukernel_portable(std::size_t kc, const double* a, const double* b, double* c, std::size_t ldc,
                      double alpha, double beta);
#if FFNN_GEMM_AVX2
void ukernel_avx2(std::size_t kc, const float* a, const float* b, float* c, std::size_t ldc,
                  float alpha, float beta);
void ukernel_avx2(std::size_t kc, const double* a, const double* b, double* c, std::size_t ldc,
                  double alpha, double beta);
// Unpacked product for tiny shapes with op(B) = B: C (M, N) = alpha op(A) B + beta C,
// beta == 0 overwriting C. Used by gemm below its kSmallWork threshold.
void small_avx2(bool trans_a, std::size_t M, std::size_t N, std::size_t K, float alpha,
                const float* A, std::size_t lda, const float* B, std::size_t ldb, float beta,
                float* C, std::size_t ldc);
void small_avx2(bool trans_a, std::size_t M, std::size_t N, std::size_t K, double alpha,
                const double* A, std::size_t lda, const double* B, std::size_t ldb, double beta,
                double* C, std::size_t ldc);
#endif

// The kernel gemm uses: AVX2 when the compiler targets it, the portable one otherwise.
template <class T>
inline void ukernel(std::size_t kc, const T* a, const T* b, T* c, std::size_t ldc, T alpha,
                    T beta) {
#if FFNN_GEMM_AVX2
    ukernel_avx2(kc, a, b, c, ldc, alpha, beta);
#else
    ukernel_portable(kc, a, b, c, ldc, alpha, beta);
#endif
}

}  // namespace ffnn::gemm_detail
