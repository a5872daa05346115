// GEMM blocking, per micro-kernel, and the micro-kernel interface shared by tensor/matmul.cpp
// and the micro-kernels in tensor/kernels/.
//
// Three micro-kernels, chosen at run time (matmul.hpp says how):
//   portable  gemm_portable.cpp  plain C++, compiled with the project's flags (baseline x86-64,
//                                SSE2, in the `portable` preset)
//   avx2      gemm_avx2.cpp      AVX2 + FMA, 16 ymm; compiled with -mavx2 -mfma whatever
//                                FFNN_NATIVE says (and -mno-avx512f, so that it is the code a
//                                Zen 3 runs even in a -march=native build on an AVX-512 CPU)
//   avx512    gemm_avx512.cpp    AVX-512F, 32 zmm; compiled with -mavx512f -mavx2 -mfma
// Only function pointers chosen after the cpuid check (cpu.hpp) reach the AVX files: no AVX
// code sits in a header or in a file compiled for the baseline. The AVX files keep their
// helpers in anonymous namespaces and call no inline function of this header, so they emit
// no weak (COMDAT) symbol that the linker could pick over the baseline copy of a shared
// inline function (`nm -C` on their objects lists none).
//
// The register block MR x NR is fixed by each micro-kernel at compile time; the cache blocks
// KC, MC, NC are chosen so that each packed operand sits in the cache level it is reused from
// (Goto & van de Geijn 2008, section 6; Low et al. 2016 derive the same sizes analytically):
//
//   B micro-panel  KC x NR   reused MC/MR times by the IR loop  -> keep in L1
//   A block        MC x KC   reused NC/NR times by the JR loop  -> keep in L2
//   B block        KC x NC   reused M/MC times by the IC loop   -> keep in L3
//
// KC is derived at run time from the L1d size the OS reports (cpu.hpp), by kc_for_l1 below:
// the B micro-panel takes half of L1 (the other half holds the A micro-panel streaming in
// from L2, the C tile and the next B micro-panel), rounded down to a multiple of 32 and kept
// within [256, 384]:
//
//   kernel, type     NR   32 KiB L1 (Zen 3)   48 KiB L1 (Sapphire Rapids)
//   avx2 fp32        16   256 (BLIS's value)  384 (the value measured best here before)
//   avx2 fp64         8   256 (BLIS's value)  384
//   avx512 fp32      32   256 (floor)         256 (floor; half of L1 would be 192)
//   avx512 fp64      16   256 (floor)         256 (floor)
//   portable fp32     8   384 (cap)           384
//   portable fp64     4   384 (cap)           384
//
// The floor 256: for the AVX-512 kernel (NR = 32) half of a 48 KiB L1 gives 192, which
// measured slower than 256 and 384 (2048^3, one thread, medians of 3: KC 128 185 GFLOP/s,
// 192 192, 256 198, 384 199, with MC 168 or 336 alike), because each micro-kernel call loads
// and stores its C tile once per KC steps. So the AVX-512 B micro-panel (32 KiB) takes 2/3 of
// a 48 KiB L1 and relies on the L2 streaming the rest. The cap 384: larger KC (512) measured
// no better on the 48 KiB machine with the avx2 kernel, and it keeps the A block MC x KC
// within a quarter to half of a 512 KiB L2. MC and NC are per-kernel constants (the table
// below); MC is a multiple of MR, NC of NR (static_asserts below).
//
// Register budgets:
//   avx2 fp32 6x16, fp64 6x8: 12 accumulators + 2 B vectors + 1 A broadcast = 15 of 16 ymm.
//   avx512 fp32 14x32, fp64 14x16: 28 accumulators + 2 B vectors + 1 A broadcast = 31 of
//     32 zmm (the broadcast is folded into the FMA as an embedded {1to16} memory operand
//     where the compiler can). 28 independent FMA chains cover the FMA latency (4 cycles)
//     times the two 512-bit FMA ports (8 in flight) more than 3 times over, and per step k the
//     kernel issues 28 FMAs against 2 B loads and 14 A broadcasts (16 loads, 2-3 load ports):
//     the FMA ports, not the loads, are the bottleneck.
//   portable fp32 4x8, fp64 4x4: 8 accumulators of 4 floats / 2 doubles = 8 of 16 xmm.
//
// Cache arithmetic of MC and NC (per core; KC as on the 48 KiB machine):
//   avx2 fp32    MC = 144: A block 144*384*4 B = 216 KiB (2 MiB L2: a tenth; 512 KiB L2 with
//                KC = 256: 144 KiB, 28 %). NC = 4080: B block 384*4080*4 B = 6 MiB in L3.
//   avx2 fp64    MC = 72: A block 72*384*8 B = 216 KiB.  NC = 4080: 12 MiB in L3.
//   avx512 fp32  MC = 168: A block 168*256*4 B = 168 KiB.  NC = 4096: 4 MiB in L3.
//   avx512 fp64  MC = 84: A block 84*256*8 B = 168 KiB.    NC = 4096: 8 MiB in L3.
//   portable     MC = 144 (fp32) / 72 (fp64): 216 KiB.     NC = 4080 / 4080.
//
// Measured (bench_matmul, fp32, quiet machine, see bench/RESULTS.md for the session):
//   avx2 on the 48 KiB L1 machine: BLIS's Haswell values MC/KC/NC = 144/256/4080, 144/384 and
//   288/384 were within noise (~65-75 GFLOP/s at 256^3 .. 2048^3); 144/384 was ahead at
//   2048^3 and on the network shapes. Larger KC (512) or MC (576) were not better.
//   avx512 (Xeon with AVX-512, 48 KiB L1, 2 MiB L2, 2026-12-01, one thread, 2048^3): the KC
//   candidates above; MC 112, 168, 336 and 504 within 1 % of each other at a given KC, so the
//   smaller A block (168) is kept, which also suits a 1 MiB L2 (Zen 4).
#pragma once

#include <algorithm>
#include <cstddef>

#include "ffnn/tensor/matmul.hpp"

// Set to 1 by tensor/CMakeLists.txt when the AVX2 and AVX-512 kernel files are built (x86-64).
#ifndef FFNN_GEMM_X86
#define FFNN_GEMM_X86 0
#endif

namespace ffnn::gemm_detail {

// Register block of each kernel, fixed by its code.
template <GemmKernel K, class T>
struct RegisterBlock;
template <>
struct RegisterBlock<GemmKernel::Portable, float> {
    static constexpr std::size_t MR = 4, NR = 8;
};
template <>
struct RegisterBlock<GemmKernel::Portable, double> {
    static constexpr std::size_t MR = 4, NR = 4;
};
template <>
struct RegisterBlock<GemmKernel::Avx2, float> {
    static constexpr std::size_t MR = 6, NR = 16;
};
template <>
struct RegisterBlock<GemmKernel::Avx2, double> {
    static constexpr std::size_t MR = 6, NR = 8;
};
template <>
struct RegisterBlock<GemmKernel::Avx512, float> {
    static constexpr std::size_t MR = 14, NR = 32;
};
template <>
struct RegisterBlock<GemmKernel::Avx512, double> {
    static constexpr std::size_t MR = 14, NR = 16;
};

// Cache blocks MC and NC of each kernel (cache arithmetic at the top of the file).
template <GemmKernel K, class T>
struct CacheBlock;
template <>
struct CacheBlock<GemmKernel::Portable, float> {
    static constexpr std::size_t MC = 144, NC = 4080;
};
template <>
struct CacheBlock<GemmKernel::Portable, double> {
    static constexpr std::size_t MC = 72, NC = 4080;
};
template <>
struct CacheBlock<GemmKernel::Avx2, float> {
    static constexpr std::size_t MC = 144, NC = 4080;
};
template <>
struct CacheBlock<GemmKernel::Avx2, double> {
    static constexpr std::size_t MC = 72, NC = 4080;
};
template <>
struct CacheBlock<GemmKernel::Avx512, float> {
    static constexpr std::size_t MC = 168, NC = 4096;
};
template <>
struct CacheBlock<GemmKernel::Avx512, double> {
    static constexpr std::size_t MC = 84, NC = 4096;
};

template <GemmKernel K, class T>
constexpr bool blocking_is_consistent() {
    using R = RegisterBlock<K, T>;
    using C = CacheBlock<K, T>;
    return C::MC % R::MR == 0 && C::NC % R::NR == 0 && R::MR > 0 && R::NR > 0;
}
static_assert(blocking_is_consistent<GemmKernel::Portable, float>(), "MC % MR, NC % NR");
static_assert(blocking_is_consistent<GemmKernel::Portable, double>(), "MC % MR, NC % NR");
static_assert(blocking_is_consistent<GemmKernel::Avx2, float>(), "MC % MR, NC % NR");
static_assert(blocking_is_consistent<GemmKernel::Avx2, double>(), "MC % MR, NC % NR");
static_assert(blocking_is_consistent<GemmKernel::Avx512, float>(), "MC % MR, NC % NR");
static_assert(blocking_is_consistent<GemmKernel::Avx512, double>(), "MC % MR, NC % NR");

// KC for an L1d of l1_bytes: the B micro-panel (KC x NR elements of elem_bytes) takes half of
// L1, rounded down to a multiple of 32, within [kMinKC, kMaxKC] (table at the top).
constexpr std::size_t kMinKC = 256, kMaxKC = 384;
constexpr std::size_t kc_for_l1(std::size_t l1_bytes, std::size_t nr, std::size_t elem_bytes) {
    const std::size_t kc = l1_bytes / 2 / (nr * elem_bytes) / 32 * 32;
    return std::clamp(kc, kMinKC, kMaxKC);
}
static_assert(kc_for_l1(32 * 1024, 16, 4) == 256 && kc_for_l1(48 * 1024, 16, 4) == 384);
static_assert(kc_for_l1(48 * 1024, 32, 4) == 256 && kc_for_l1(32 * 1024, 8, 8) == 256);

// Size thresholds of gemm (work = M * N * K multiply-adds), kept with the blocking so that
// the tuning constants are in one place (the tests also use them to reach every path).
//
// parallel_work(kernel): below it the product runs on one thread. Entering and leaving a
// parallel region costs ~1.3 us on the quiet machine (bench_matmul overhead/omp_fork_join,
// 2 threads), so threading breaks even around 2 * 1.3 us * (multiply-adds per second of one
// core) in a loop of the same product. In training it costs more: the operands were written
// by the previous step on one core (the weights by the update, the activations by the layer
// before), and the second thread first pulls its share into its own L1/L2. So the value is
// set from training steps, not from bench_matmul's loop, and is the same for every kernel:
//   5 * 2^15 = 163,840 (kParallelWork). Measured on the Xeon model 167 (2026-12-01, medians of
//     5, us per training step, 1 vs 2 threads, bench_train train/64-64-10/batch:32, the
//     digits network whose products are all <= 2^17): with 2^17 as the threshold of avx2 and
//     portable (threading its (32,64,64) forward and (64,64,32) weight-gradient products),
//     avx2 10.4 vs 22.9, portable 17.0 vs 27.2; with 5 * 2^15, 10.3 vs 10.4 and 17.0 vs 17.0
//     (avx512, which had it already: 8.2 vs 8.2). Thresholds of 2^18 and 2^20 changed nothing
//     for avx2 on 784-256-128-10 at batch 128 (1.33-1.35 ms on 1 thread, 0.84-0.85 on 2) or
//     784-256-256-10 at batch 32. In bench_matmul's loop, where A and B stay in both cores'
//     caches, the 2^17 products did gain from threads (avx2 (32,64,64) 2.39 vs 2.02 us), and
//     for avx512 they lost already there ((32,64,64) 2.54 vs 2.77, X^T dZ (64,64,32) 1.87 vs
//     2.37); (128,10,128) = 5 * 2^15 gains on every kernel (avx2 4.8 vs 3.5 us, avx512 6.54
//     vs 4.66 packed). fp64 uses the same value (not measured separately).
constexpr std::size_t kParallelWork = 5 * (std::size_t(1) << 15);
constexpr std::size_t parallel_work(GemmKernel) {
    return kParallelWork;
}
// Unpacked products (op(B) = B only; small_avx2, small_avx512): C is computed straight from
// A and B, R rows of C at a time, with no packing. B is read once per R rows of C, so the
// unpacked path is kept to products whose B stays in cache. use_unpacked is the rule; it
// depends on the shape, the kernel and the cache sizes only, never on the thread count, so
// the bits of C do not depend on the thread count either.
//
// kSmallWork: below it packing always costs more than it saves (the Iris network's 32x16x4
// is 2048 multiply-adds), for every kernel that has an unpacked loop. Measured with the
// 4-row AVX2 loop on the development machine, one thread, fp32, unpacked vs packed: 0.2 vs
// 0.2 us at 32x16x4, 0.4 vs 0.8 at 32x3x16, 1.4 vs 2.4 at 64x32x16, 2.6 vs 6.7 at 64x64x16.
constexpr std::size_t kSmallWork = std::size_t(1) << 16;
// AVX-512 (small_avx512: 8 rows of C x 2 zmm, 16 accumulators) runs unpacked far longer,
// for op(A) = A whenever B (K x N) fits in half the L2 (7/8 of it on AMD, below): B is read
// once per 8 rows of C and must stay in cache. Measured on the Xeon model 167 (L2 2 MiB),
// fp32, one thread, unpacked against packed, GFLOP/s: 64^3 211 vs 131, 128^3 207 vs 159, 256^3
// 207 vs 193, 512^3 (B 1 MiB) 193 vs 190, 1024^3 (B 4 MiB) 75 vs 181; 128x10x128 91 vs 54;
// 128x256x784 182 vs 176; 32x256x784 203 vs 117. With op(A) = A^T the strided broadcasts lose once
// the product grows (784x256x128: 180 vs 208; 64x64x32: 201 vs 146), so there it stays below 2^21.
constexpr std::size_t kUnpackedTransAWork = std::size_t(1) << 21;
// Above it, A^T B still runs unpacked when C has at most kUnpackedTransAMaxRows rows and B
// fits in half the L2 (7/8 on AMD): packing B then costs as much as the product (B is packed once
// for 32 rows of C). Measured after the loop's flags became compile-time (gemm_avx512.cpp), Xeon
// model 167, one thread, GFLOP/s unpacked vs packed: 16x256x784 143 vs 76, 32x256x784 140 vs 119,
// 32x784x256 129 vs 122; 40x256x784 135 vs 133 and 48x256x784 135 vs 133 (even), 32x512x784 (B 1.5
// MiB) 114 vs 119, 32x1024x512 (B 2 MiB) 71 vs 113.
constexpr std::size_t kUnpackedTransAMaxRows = 32;
// On AMD both limits on B are 7/8 of the L2 instead of half: its L3 feeds the loop's stream
// of B rows fast enough that a B past half the L2 still runs faster unpacked. Measured on an
// AMD EPYC family 26 model 2 (Zen 5: L1d 48 KiB, L2 1 MiB), fp32, medians of 7 alternating
// rounds, GFLOP/s unpacked vs packed on 1 thread (2 threads):
//   B 784 KiB   32x256x784 235 vs 156 (410 vs 233), 64x256x784 245 vs 193 (461 vs 336),
//               128x256x784 249 vs 205 (435 vs 361), A^T 32x256x784 236 vs 159 (377 vs 235)
//   B 1 MiB     512^3 235 vs 229 (406 vs 439), 96x512x512 222 vs 197 (425 vs 401)
//   B 1.5 MiB   32x512x784 171 vs 145 (368 vs 259), 128x512x784 223 vs 209 (403 vs 383)
//   B 2 MiB     512x1024x512 172 vs 226, 256x512x1024 214 vs 219 (346 vs 406)
//   B 3-4 MiB   32x1024x784 112 vs 157, 1024^3 155 vs 217
// 7/8 takes the first row (the forward product of a layer with 784 inputs) and leaves a B
// the size of the L2 to the packed path, which won 512^3 on 2 threads. The products between
// 1 and 1.5 MiB that still gain (few rows of C) stay packed: one CPU of each vendor measured.
constexpr std::size_t unpacked_b_limit_avx512(std::size_t l2_bytes, bool amd) {
    return amd ? l2_bytes / 8 * 7 : l2_bytes / 2;
}
// AVX2 (small_avx2: 6 rows of C x 2 ymm, 12 accumulators) has half the vector width and
// half the registers, so the packed 6x16 kernel catches up sooner: the unpacked loop wins
// while B fits in the L1d (any M), or while C has fewer than kUnpackedMaxRowsAvx2 rows (B
// read from L2 at most 11 times) and B fits in half the L2; op(A) = A^T follows the same
// rule. Measured on the Xeon model 167 (L1d 48 KiB, L2 2 MiB) with the avx2 kernel forced
// (FFNN_KERNEL=avx2 bench_matmul, ffnn-avx2 against ffnn-avx2-packed, as an AMD Zen 3 runs
// it), fp32, medians of 5, GFLOP/s unpacked vs packed on 1 thread (2 threads), load average
// 1.5 (bench/RESULTS.md, "Unpacked AVX2 products", has the command and every shape):
//   B in L1:          64^3 117 vs 95 (163 vs 129), 32x64x64 110 vs 82, 128x10x128 68 vs 52
//                     (93 vs 73), 512x32x256 118 vs 94, 1024x10x128 70 vs 57; A^T 64x64x32
//                     113 vs 95, 128x10x128 67 vs 57, 784x128x32 109 vs 111 (211 vs 177)
//   M < 64, B in L2:  32x256x784 109 vs 95 (196 vs 174), 48x256x784 115 vs 112 (227 vs 213),
//                     32x256x256 105 vs 87; A^T 32x256x784 105 vs 96 (197 vs 174)
// With every product with B in half the L2 forced unpacked (an earlier build of the same
// session, 13:23-13:25 UTC), the packed path won the rest: 128^3 107 vs 111, 128x256x784 110
// vs 113, 256^3 115 vs 118, 512^3 110 vs 119 (198 vs 231), A^T 256x128x128 109 vs 114,
// 784x256x128 104 vs 122; and M = 64 with B in the L2 won on 1 thread but lost on 2
// (64x256x784 113 vs 112, 140 vs 126 us per call on 2 threads; 64x256x256 1.07 and 0.92
// times the packed path), so the row limit is 64. On a Zen 3 (L1d 32 KiB, L2 512 KiB) the
// same rule takes fewer products unpacked; not measured there.
constexpr std::size_t kUnpackedMaxRowsAvx2 = 64;
// Columns of C per chunk of the unpacked loops, in bytes: 2 ymm (small_avx2) or 2 zmm
// (small_avx512). A thread's range of columns starts on a chunk (matmul.cpp, gemm).
constexpr std::size_t unpacked_chunk_bytes(GemmKernel kernel) {
    return kernel == GemmKernel::Avx512 ? 128 : 64;
}
// Whether gemm runs op(A) (M, K) B (K, N) unpacked with this kernel, on a CPU whose L1d and
// L2 per core hold l1_bytes and l2_bytes, AMD's when amd. The portable kernel has no unpacked
// loop.
constexpr bool use_unpacked(GemmKernel kernel, bool trans_a, std::size_t M, std::size_t N,
                            std::size_t K, std::size_t elem_bytes, std::size_t l1_bytes,
                            std::size_t l2_bytes, bool amd = false) {
    const std::size_t work = M * N * K, b_bytes = K * N * elem_bytes;
    if (work < kSmallWork) return kernel != GemmKernel::Portable;
    switch (kernel) {
        case GemmKernel::Portable:
            return false;
        case GemmKernel::Avx2:
            return b_bytes <= l1_bytes || (M < kUnpackedMaxRowsAvx2 && b_bytes <= l2_bytes / 2);
        case GemmKernel::Avx512: {
            const std::size_t b_limit = unpacked_b_limit_avx512(l2_bytes, amd);
            return trans_a ? work < kUnpackedTransAWork ||
                                 (M <= kUnpackedTransAMaxRows && b_bytes <= b_limit)
                           : b_bytes <= b_limit;
        }
    }
    return false;
}

// Narrow weight gradients (narrow_tn_avx512, narrow_tn_avx2): C (M, N) = alpha A^T B + beta C
// with A stored (K, M) and N <= kNarrowMaxN runs through a loop that vectorises along the
// rows of C (AVX-512: 2N accumulators of 16 rows each, 2N + 2 A vectors + 1 broadcast <= 32
// zmm; AVX2: N accumulators of 8 rows, N + 2 <= 16 ymm; both give N <= 14) below
// kUnpackedTransAWork multiply-adds, AVX-512's limit for unpacked A^T B; larger products were
// not measured and keep the unpacked or packed path. For AVX2 that range also holds products
// its unpacked rule sent to the packed path (B past the L1d with 64 rows or more, e.g.
// 200x10x1000), where the narrow loop is the faster: avx2, one thread, GFLOP/s, narrow
// against packed, 200x10x1000 94 vs 53, 100x14x1000 101 vs 61, 64x10x2000 94 vs 51. fp32
// only: fp64 products are the gradient checks' and keep the unpacked loops.
// AVX2 on the Xeon model 167, one thread, GFLOP/s, the narrow loop against the row-wise
// unpacked loop and its scratch C^T: 64x10x32 90 vs 61 and 79, 128x10x128 102 vs 62 and 95,
// 100x10x37 88 vs 61 and 77 (as a Zen 3 would run it; not measured on one).
constexpr std::size_t kNarrowMaxN = 14;
// The work from which the narrow loop is threaded: twice kParallelWork with AVX-512, which
// is fast enough that at 128x10x128 (kParallelWork) the second thread costs more than it
// saves; kParallelWork with AVX2. Xeon model 167, fp32, medians of 9, us on 1 vs 2 threads:
//   avx512  128x10x128 2.02 vs 2.13, 256x10x128 4.30 vs 3.29, 512x10x128 8.60 vs 5.71
//   avx2    128x10x128 3.81 vs 3.02, 256x10x128 8.85 vs 5.70, 512x10x128 18.65 vs 10.20
constexpr std::size_t narrow_parallel_work(GemmKernel kernel) {
    return kernel == GemmKernel::Avx512 ? 2 * kParallelWork : kParallelWork;
}
constexpr bool use_narrow_tn(GemmKernel kernel, bool trans_a, std::size_t M, std::size_t N,
                             std::size_t K) {
    return kernel != GemmKernel::Portable && trans_a && N <= kNarrowMaxN &&
           M * N * K < kUnpackedTransAWork;
}

// Micro-kernel contract, for one MR x NR tile of C:
//   a: packed A micro-panel, kc columns of MR values   (a[k * MR + i] = op(A)(i, k))
//   b: packed B micro-panel, kc rows of NR values      (b[k * NR + j] = op(B)(k, j))
//   c: the tile, row stride ldc;  c = alpha * a b + beta * c,
//   and when beta == 0, c is only written (NaN or garbage in c is ignored).
// a and b are 64-byte aligned; c has no alignment requirement.
template <class T>
using MicroKernel = void (*)(std::size_t kc, const T* a, const T* b, T* c, std::size_t ldc, T alpha,
                             T beta);
// Edge micro-kernel, for the last tile of an M edge (M not a multiple of MR): rows [0, rows)
// of the tile only, 1 <= rows < MR, from the same packed panels (a still holds MR values per
// column, the rows past `rows` zero). Each row is computed with the micro-kernel's operations
// in its order, so a row of C has the same bits whichever of the two computed it. Without it
// the full micro-kernel runs on the edge tile, into a scratch tile: at M = 128 with MR = 14
// the tenth tile computes 14 rows for 2 (8.6 % of the product's FMAs wasted). AVX-512 has one
// (uedge_avx512, one instantiation per row count); measured on the AMD EPYC family 25 model 17
// (Zen 4), one thread, GFLOP/s before and after: sgemm_nt 128x784x256 95.7 and 102.5, sgemm_tn
// 256x128x128 100.6 and 105.0, 128x2048x512 with op(B) = B^T 2951-3019 and 2776-2778 us
// (bench/RESULTS.md, "The edge kernel"). AVX2 has one too (uedge_avx2; MR = 6, 3 % wasted at
// M = 128 without it; same CPU, FFNN_KERNEL=avx2, us before and after: 128x256x128 with op(B) =
// B^T 88.7-89.7 and 87.4-87.6, 128x2048x784 4296-4392 and 4189-4316); the portable kernel has
// none.
template <class T>
using EdgeKernel = void (*)(std::size_t rows, std::size_t kc, const T* a, const T* b, T* c,
                            std::size_t ldc, T alpha, T beta);
// Unpacked product with op(B) = B: C (M, N) = alpha op(A) B + beta C, beta == 0 overwriting C
// (NaN in C ignored). Used by gemm where use_unpacked says so.
// Narrow C = alpha A^T B + beta C (use_narrow_tn), A stored (K, M), B stored (K, N),
// 1 <= N <= kNarrowMaxN; beta == 0 overwrites C.
template <class T>
using NarrowKernel = void (*)(std::size_t M, std::size_t N, std::size_t K, T alpha, const T* A,
                              std::size_t lda, const T* B, std::size_t ldb, T beta, T* C,
                              std::size_t ldc);
// Packing of stored rows into the columns of micro-panels, for the packings that transpose
// (op(A) = A into MR-row panels, op(B) = B^T into NR-column panels):
//   dst[k * width + i] = src[i * ld + k] for i < rows, k < kc; 0 for rows <= i < width.
template <class T>
using PackTransposed = void (*)(const T* src, std::size_t ld, std::size_t rows, std::size_t kc,
                                T* dst, std::size_t width);
// The write of a tile of a product computed as C^T into the caller's C:
//   c[s * ldc + r] = tile[r * ld + s] (+ beta * c[s * ldc + r]) for r < rows <= MR, s < cols,
// C only written when beta == 0.
template <class T>
using TileOutTransposed = void (*)(const T* tile, std::size_t ld, std::size_t rows,
                                   std::size_t cols, T* c, std::size_t ldc, T beta);
template <class T>
using SmallKernel = void (*)(bool trans_a, std::size_t M, std::size_t N, std::size_t K, T alpha,
                             const T* A, std::size_t lda, const T* B, std::size_t ldb, T beta, T* C,
                             std::size_t ldc);

void ukernel_portable(std::size_t kc, const float* a, const float* b, float* c, std::size_t ldc,
                      float alpha, float beta);
void ukernel_portable(std::size_t kc, const double* a, const double* b, double* c, std::size_t ldc,
                      double alpha, double beta);

#if FFNN_GEMM_X86
// Defined in gemm_avx2.cpp and gemm_avx512.cpp: call only when cpu_info() says the CPU has
// the instruction set.
void ukernel_avx2(std::size_t kc, const float* a, const float* b, float* c, std::size_t ldc,
                  float alpha, float beta);
void ukernel_avx2(std::size_t kc, const double* a, const double* b, double* c, std::size_t ldc,
                  double alpha, double beta);
void uedge_avx2(std::size_t rows, std::size_t kc, const float* a, const float* b, float* c,
                std::size_t ldc, float alpha, float beta);  // EdgeKernel
void uedge_avx2(std::size_t rows, std::size_t kc, const double* a, const double* b, double* c,
                std::size_t ldc, double alpha, double beta);  // EdgeKernel
void narrow_tn_avx2(std::size_t M, std::size_t N, std::size_t K, float alpha, const float* A,
                    std::size_t lda, const float* B, std::size_t ldb, float beta, float* C,
                    std::size_t ldc);  // 1 <= N <= kNarrowMaxN, A stored (K, M), B (K, N)
void pack_transposed_avx2(const float* src, std::size_t ld, std::size_t rows, std::size_t kc,
                          float* dst, std::size_t width);  // PackTransposed
void tile_out_transposed_avx2(const float* tile, std::size_t ld, std::size_t rows, std::size_t cols,
                              float* c, std::size_t ldc,
                              float beta);  // TileOutTransposed, rows <= 8
void small_avx2(bool trans_a, std::size_t M, std::size_t N, std::size_t K, float alpha,
                const float* A, std::size_t lda, const float* B, std::size_t ldb, float beta,
                float* C, std::size_t ldc);
void small_avx2(bool trans_a, std::size_t M, std::size_t N, std::size_t K, double alpha,
                const double* A, std::size_t lda, const double* B, std::size_t ldb, double beta,
                double* C, std::size_t ldc);
void small_avx512(bool trans_a, std::size_t M, std::size_t N, std::size_t K, float alpha,
                  const float* A, std::size_t lda, const float* B, std::size_t ldb, float beta,
                  float* C, std::size_t ldc);
void small_avx512(bool trans_a, std::size_t M, std::size_t N, std::size_t K, double alpha,
                  const double* A, std::size_t lda, const double* B, std::size_t ldb, double beta,
                  double* C, std::size_t ldc);
void narrow_tn_avx512(std::size_t M, std::size_t N, std::size_t K, float alpha, const float* A,
                      std::size_t lda, const float* B, std::size_t ldb, float beta, float* C,
                      std::size_t ldc);  // 1 <= N <= kNarrowMaxN, A stored (K, M), B (K, N)
void pack_transposed_avx512(const float* src, std::size_t ld, std::size_t rows, std::size_t kc,
                            float* dst, std::size_t width);  // PackTransposed
void tile_out_transposed_avx512(const float* tile, std::size_t ld, std::size_t rows,
                                std::size_t cols, float* c, std::size_t ldc,
                                float beta);  // TileOutTransposed, rows <= 16
void ukernel_avx512(std::size_t kc, const float* a, const float* b, float* c, std::size_t ldc,
                    float alpha, float beta);
void ukernel_avx512(std::size_t kc, const double* a, const double* b, double* c, std::size_t ldc,
                    double alpha, double beta);
void uedge_avx512(std::size_t rows, std::size_t kc, const float* a, const float* b, float* c,
                  std::size_t ldc, float alpha, float beta);  // EdgeKernel
void uedge_avx512(std::size_t rows, std::size_t kc, const double* a, const double* b, double* c,
                  std::size_t ldc, double alpha, double beta);  // EdgeKernel
#endif

}  // namespace ffnn::gemm_detail
