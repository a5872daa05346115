// Matrix product benchmarks: the naive triple loop, ffnn's blocked gemm with each of its
// micro-kernels, (when OpenBLAS is found) cblas_sgemm / cblas_dgemm and (when BLIS is
// found) bli_sgemm / bli_dgemm on the same shapes,
// plus the FMA peak of the machine for each instruction set, all reporting a "GFLOP/s"
// counter (2 M N K flops per product; wall-clock time, since the products use several
// threads).
//
// Names read implementation/operation/MxNxK/threads:T, e.g.
// ffnn-avx512/sgemm/1024x1024x1024/threads:2. ffnn runs once per micro-kernel this CPU
// supports (ffnn-portable, ffnn-avx2, ffnn-avx512); with FFNN_KERNEL set, only that one.
// Products with op(B) = B up to 2^27 multiply-adds also run as ffnn-K-packed, with the
// unpacked path switched off (set_gemm_unpacked_path(false)): the packed path the rule
// use_unpacked (tensor/kernels/gemm_config.hpp) is measured against.
// The context printed at the start names the kernel ffnn picks by default, the caches it
// saw, and the kernel OpenBLAS runs (openblas_get_corename; OPENBLAS_CORETYPE changes it),
// and the BLIS configuration (bli_arch_string; BLIS_ARCH_TYPE changes it).
// BLIS is called through its typed API with row and column strides (bli_sgemm), never
// through its cblas_* (libblis exports those too; bench/CMakeLists.txt links it after
// OpenBLAS so that cblas_* is OpenBLAS's, and the context names the library it came from).
// Before the benchmarks run, BLIS's product is checked once against ffnn's (check_blis):
// a mismatch beyond the bound stops the program.
// The operation says the transposes: sgemm is C = A B, sgemm_tn is C = A^T B (the weight
// gradient X^T dZ of a dense layer), sgemm_nt is C = A B^T (the input gradient dZ W^T).
// The thread count is applied to ffnn (OpenMP), OpenBLAS and BLIS before each run.
// Rows that pair up have the same name after the implementation: ffnn-avx2/sgemm/64x64x64/
// threads:1, openblas/sgemm/64x64x64/threads:1, blis/sgemm/64x64x64/threads:1.
//
// Shapes: squares 64 .. 2048 (the naive loop up to 1024 only, one iteration per run at 512
// and above), the MNIST network's forward products (batch 128: 784 -> 256 -> 128 -> 10), its
// backward products, the Iris network's 32x16x4, small training shapes (batch 32, the
// digits network), shapes around the unpacked rule's boundaries, and fp64 squares 256 and
// 1024.
//
// Typical use (medians of 5 runs):
//   bench_matmul --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
//   bench_matmul --benchmark_filter='/1024x1024x1024/'
//   FFNN_KERNEL=avx2 bench_matmul --benchmark_filter='ffnn'
#include <benchmark/benchmark.h>
#include <omp.h>

#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#if defined(FFNN_HAVE_OPENBLAS)
#include <cblas.h>
#include <dlfcn.h>
#endif

#if defined(FFNN_HAVE_BLIS)
#include <blis.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>
#endif

#include "ffnn/tensor/cpu.hpp"
#include "ffnn/tensor/matmul.hpp"
#include "ffnn/tensor/parallel.hpp"
#include "ffnn/tensor/random.hpp"

namespace {

using ffnn::GemmKernel;
using ffnn::Trans;

enum class Impl { Naive, Ffnn, OpenBlas, Blis };

const char* impl_name(Impl impl) {
    switch (impl) {
        case Impl::Naive:
            return "naive";
        case Impl::Ffnn:
            return "ffnn";
        case Impl::OpenBlas:
            return "openblas";
        case Impl::Blis:
            return "blis";
    }
    return "?";
}

void set_all_threads(int threads) {
    ffnn::set_threads(threads);
#if defined(FFNN_HAVE_OPENBLAS)
    openblas_set_num_threads(threads);
#endif
#if defined(FFNN_HAVE_BLIS)
    bli_thread_set_num_threads(threads);
#endif
}

#if defined(FFNN_HAVE_OPENBLAS)
void blas_gemm(Trans ta, Trans tb, std::size_t M, std::size_t N, std::size_t K, float alpha,
               const float* A, std::size_t lda, const float* B, std::size_t ldb, float beta,
               float* C, std::size_t ldc) {
    cblas_sgemm(CblasRowMajor, ta == Trans::No ? CblasNoTrans : CblasTrans,
                tb == Trans::No ? CblasNoTrans : CblasTrans, int(M), int(N), int(K), alpha, A,
                int(lda), B, int(ldb), beta, C, int(ldc));
}
void blas_gemm(Trans ta, Trans tb, std::size_t M, std::size_t N, std::size_t K, double alpha,
               const double* A, std::size_t lda, const double* B, std::size_t ldb, double beta,
               double* C, std::size_t ldc) {
    cblas_dgemm(CblasRowMajor, ta == Trans::No ? CblasNoTrans : CblasTrans,
                tb == Trans::No ? CblasNoTrans : CblasTrans, int(M), int(N), int(K), alpha, A,
                int(lda), B, int(ldb), beta, C, int(ldc));
}
#endif

#if defined(FFNN_HAVE_BLIS)
// BLIS's typed API: m, n, k are the sizes of op(A) (m, k) and op(B) (k, n); the strides
// describe the matrix as stored, row-major here (row stride ld, column stride 1), so A^T is
// the stored (K, M) matrix with BLIS_TRANSPOSE. alpha and beta are passed by pointer.
void blis_gemm(Trans ta, Trans tb, std::size_t M, std::size_t N, std::size_t K, float alpha,
               const float* A, std::size_t lda, const float* B, std::size_t ldb, float beta,
               float* C, std::size_t ldc) {
    bli_sgemm(ta == Trans::No ? BLIS_NO_TRANSPOSE : BLIS_TRANSPOSE,
              tb == Trans::No ? BLIS_NO_TRANSPOSE : BLIS_TRANSPOSE, dim_t(M), dim_t(N), dim_t(K),
              &alpha, const_cast<float*>(A), inc_t(lda), 1, const_cast<float*>(B), inc_t(ldb), 1,
              &beta, C, inc_t(ldc), 1);
}
void blis_gemm(Trans ta, Trans tb, std::size_t M, std::size_t N, std::size_t K, double alpha,
               const double* A, std::size_t lda, const double* B, std::size_t ldb, double beta,
               double* C, std::size_t ldc) {
    bli_dgemm(ta == Trans::No ? BLIS_NO_TRANSPOSE : BLIS_TRANSPOSE,
              tb == Trans::No ? BLIS_NO_TRANSPOSE : BLIS_TRANSPOSE, dim_t(M), dim_t(N), dim_t(K),
              &alpha, const_cast<double*>(A), inc_t(lda), 1, const_cast<double*>(B), inc_t(ldb), 1,
              &beta, C, inc_t(ldc), 1);
}

// One-time check of BLIS against ffnn (default kernel) on (M, N, K) = (131, 67, 300) for
// each transpose case the benchmarks use (sizes off every MR/NR multiple of either library,
// K past no KC but long enough for rounding to show). Each element of either product is
// an fp32 sum of K products, so |computed - exact| <= gamma_K sum_k |a_ik b_kj|, gamma_K =
// K u / (1 - K u), u = 2^-24 (Higham, Accuracy and Stability of Numerical Algorithms, 2nd
// ed., eq. 3.5; an FMA only removes roundings). The two products then differ by at most
// 2 gamma_K sum_k |a_ik b_kj|: the check divides each difference by that element's
// sum_k |a_ik b_kj| and bounds the largest ratio by 2 gamma_K (3.6e-5 at K = 300). Returns
// the largest ratio and the bound as text for the context, or throws when it is exceeded.
std::string check_blis() {
    constexpr std::size_t M = 131, N = 67, K = 300;
    const double u = std::ldexp(1.0, -24);
    const double bound = 2 * (K * u) / (1 - K * u);
    double worst = 0;
    ffnn::Rng rng(3);
    set_all_threads(2);
    for (auto [ta, tb] : {std::pair{Trans::No, Trans::No}, std::pair{Trans::Yes, Trans::No},
                          std::pair{Trans::No, Trans::Yes}}) {
        const ffnn::Shape a_shape = ta == Trans::No ? ffnn::Shape{M, K} : ffnn::Shape{K, M};
        const ffnn::Shape b_shape = tb == Trans::No ? ffnn::Shape{K, N} : ffnn::Shape{N, K};
        ffnn::Tensor<float> A = ffnn::uniform<float>(a_shape, -1.0f, 1.0f, rng);
        ffnn::Tensor<float> B = ffnn::uniform<float>(b_shape, -1.0f, 1.0f, rng);
        std::vector<float> c_ffnn(M * N), c_blis(M * N, std::numeric_limits<float>::quiet_NaN());
        const std::size_t lda = a_shape[1], ldb = b_shape[1];
        ffnn::gemm<float>(ta, tb, M, N, K, 1.0f, A.data(), lda, B.data(), ldb, 0.0f, c_ffnn.data(),
                          N);
        blis_gemm(ta, tb, M, N, K, 1.0f, A.data(), lda, B.data(), ldb, 0.0f, c_blis.data(), N);
        for (std::size_t i = 0; i < M; ++i)
            for (std::size_t j = 0; j < N; ++j) {
                double mag = 0;  // sum_k |op(A)_ik op(B)_kj|, in double
                for (std::size_t k = 0; k < K; ++k) {
                    const float a = ta == Trans::No ? A.data()[i * lda + k] : A.data()[k * lda + i];
                    const float b = tb == Trans::No ? B.data()[k * ldb + j] : B.data()[j * ldb + k];
                    mag += std::fabs(double(a) * double(b));
                }
                const double diff = std::fabs(double(c_blis[i * N + j]) - c_ffnn[i * N + j]);
                // NaN (an element BLIS did not write) compares false: count it as a failure.
                const double ratio = diff <= bound * mag ? diff / mag : bound * 2;
                worst = std::max(worst, ratio);
            }
    }
    char text[160];
    std::snprintf(text, sizeof text,
                  "sgemm nn/tn/nt 131x67x300 vs ffnn: max |diff| / sum|a b| %.2e, bound 2 gamma_K "
                  "%.2e",
                  worst, bound);
    if (worst > bound)
        throw std::runtime_error(std::string("bench_matmul: BLIS check failed: ") + text);
    return text;
}
#endif

// One product C (M, N) = op(A) op(B), timed in a loop.
template <class T>
void run_gemm(benchmark::State& state, Impl impl, GemmKernel kernel, bool packed, Trans ta,
              Trans tb, std::size_t M, std::size_t N, std::size_t K, int threads) {
    ffnn::Rng rng(1);
    const ffnn::Shape a_shape = ta == Trans::No ? ffnn::Shape{M, K} : ffnn::Shape{K, M};
    const ffnn::Shape b_shape = tb == Trans::No ? ffnn::Shape{K, N} : ffnn::Shape{N, K};
    ffnn::Tensor<T> A = ffnn::uniform<T>(a_shape, T(-1), T(1), rng);
    ffnn::Tensor<T> B = ffnn::uniform<T>(b_shape, T(-1), T(1), rng);
    ffnn::Tensor<T> C = ffnn::Tensor<T>::zeros(ffnn::Shape{M, N});
    const std::size_t lda = a_shape[1], ldb = b_shape[1];
    set_all_threads(threads);
    if (impl == Impl::Ffnn) ffnn::set_gemm_kernel(kernel);
    ffnn::set_gemm_unpacked_path(!packed);
    for (auto _ : state) {
        switch (impl) {
            case Impl::Naive:
                ffnn::gemm_naive<T>(ta, tb, M, N, K, T(1), A.data(), lda, B.data(), ldb, T(0),
                                    C.data(), N);
                break;
            case Impl::Ffnn:
                ffnn::gemm<T>(ta, tb, M, N, K, T(1), A.data(), lda, B.data(), ldb, T(0), C.data(),
                              N);
                break;
            case Impl::OpenBlas:
#if defined(FFNN_HAVE_OPENBLAS)
                blas_gemm(ta, tb, M, N, K, T(1), A.data(), lda, B.data(), ldb, T(0), C.data(), N);
#endif
                break;
            case Impl::Blis:
#if defined(FFNN_HAVE_BLIS)
                blis_gemm(ta, tb, M, N, K, T(1), A.data(), lda, B.data(), ldb, T(0), C.data(), N);
#endif
                break;
        }
        benchmark::DoNotOptimize(C.data());
        benchmark::ClobberMemory();
    }
    ffnn::set_gemm_unpacked_path(true);
    state.counters["GFLOP/s"] = benchmark::Counter(
        2.0 * double(M) * double(N) * double(K) * double(state.iterations()) * 1e-9,
        benchmark::Counter::kIsRate);
}

template <class T>
void add_gemm(Impl impl, GemmKernel kernel, Trans ta, Trans tb, std::size_t M, std::size_t N,
              std::size_t K, int threads, bool packed = false) {
    std::string op = sizeof(T) == 4 ? "sgemm" : "dgemm";
    if (ta == Trans::Yes || tb == Trans::Yes)
        op += std::string("_") + (ta == Trans::Yes ? "t" : "n") + (tb == Trans::Yes ? "t" : "n");
    std::string impl_label = impl_name(impl);
    if (impl == Impl::Ffnn) impl_label += std::string("-") + ffnn::gemm_kernel_name(kernel);
    if (packed) impl_label += "-packed";
    const std::string name = impl_label + "/" + op + "/" + std::to_string(M) + "x" +
                             std::to_string(N) + "x" + std::to_string(K) +
                             "/threads:" + std::to_string(threads);
    auto* b = benchmark::RegisterBenchmark(name.c_str(), [=](benchmark::State& state) {
        run_gemm<T>(state, impl, kernel, packed, ta, tb, M, N, K, threads);
    });
    b->UseRealTime()->Unit(benchmark::kMicrosecond);
    // The naive loop at 512^3 and above takes 0.1 s to several seconds per product.
    if (impl == Impl::Naive && M * N * K >= std::size_t(512) * 512 * 512) b->Iterations(1);
}

// The kernels ffnn is timed with: FFNN_KERNEL's when set (an unknown or unsupported value
// throws, naming it), otherwise every kernel this CPU supports.
std::vector<GemmKernel> bench_kernels() {
    const char* env = std::getenv("FFNN_KERNEL");
    if (env != nullptr && *env != '\0') return {ffnn::gemm_kernel_from_env(env)};
    return ffnn::supported_gemm_kernels();
}

// The fast implementations (ffnn with each kernel, OpenBLAS and BLIS when present) on 1 and 2
// threads, and the naive loop (single-threaded) when asked.
template <class T>
void add_shape(Trans ta, Trans tb, std::size_t M, std::size_t N, std::size_t K, bool naive) {
    if (naive) add_gemm<T>(Impl::Naive, GemmKernel::Portable, ta, tb, M, N, K, 1);
    for (int threads : {1, 2}) {
        for (GemmKernel kernel : bench_kernels()) {
            add_gemm<T>(Impl::Ffnn, kernel, ta, tb, M, N, K, threads);
            if (kernel != GemmKernel::Portable && tb == Trans::No &&
                M * N * K <= (std::size_t(1) << 27))
                add_gemm<T>(Impl::Ffnn, kernel, ta, tb, M, N, K, threads, /*packed=*/true);
        }
#if defined(FFNN_HAVE_OPENBLAS)
        add_gemm<T>(Impl::OpenBlas, GemmKernel::Portable, ta, tb, M, N, K, threads);
#endif
#if defined(FFNN_HAVE_BLIS)
        add_gemm<T>(Impl::Blis, GemmKernel::Portable, ta, tb, M, N, K, threads);
#endif
    }
}

#if defined(__x86_64__)
// Peak FMA throughput of one instruction set: each thread runs kChains independent chains of
// FMAs on registers only (no memory traffic). 12 chains cover the latency (4 cycles) x 2 FMA
// ports with margin, and fit in 16 ymm. Each FMA is W lanes x 2 flops. The functions carry
// their instruction set as a target attribute, so this file needs no -mavx flags, and run only
// when the CPU has it.
constexpr int kChains = 12;
constexpr long kSteps = 1 << 20;  // FMA steps per chain per iteration

__attribute__((target("avx2,fma"))) float fma_chains_256() {
    __m256 acc[kChains];
    for (int c = 0; c < kChains; ++c) acc[c] = _mm256_set1_ps(float(c) * 1e-3f);
    const __m256 x = _mm256_set1_ps(0.999999f), y = _mm256_set1_ps(1e-7f);
    for (long s = 0; s < kSteps; ++s) {
#pragma GCC unroll 12
        for (int c = 0; c < kChains; ++c) acc[c] = _mm256_fmadd_ps(acc[c], x, y);
    }
    __m256 sum = acc[0];
    for (int c = 1; c < kChains; ++c) sum = _mm256_add_ps(sum, acc[c]);
    return _mm256_cvtss_f32(sum);
}

__attribute__((target("avx512f"))) float fma_chains_512() {
    __m512 acc[kChains];
    for (int c = 0; c < kChains; ++c) acc[c] = _mm512_set1_ps(float(c) * 1e-3f);
    const __m512 x = _mm512_set1_ps(0.999999f), y = _mm512_set1_ps(1e-7f);
    for (long s = 0; s < kSteps; ++s) {
#pragma GCC unroll 12
        for (int c = 0; c < kChains; ++c) acc[c] = _mm512_fmadd_ps(acc[c], x, y);
    }
    __m512 sum = acc[0];
    for (int c = 1; c < kChains; ++c) sum = _mm512_add_ps(sum, acc[c]);
    alignas(64) float lanes[16];
    _mm512_store_ps(lanes, sum);
    return lanes[0] + lanes[15];
}

template <int Lanes>
void peak_fma(benchmark::State& state) {
    const int threads = int(state.range(0));
    for (auto _ : state) {
        float sink = 0;
#pragma omp parallel num_threads(threads) reduction(+ : sink)
        sink += Lanes == 16 ? fma_chains_512() : fma_chains_256();
        benchmark::DoNotOptimize(sink);
    }
    state.counters["GFLOP/s"] = benchmark::Counter(
        double(state.iterations()) * threads * kChains * double(kSteps) * Lanes * 2 * 1e-9,
        benchmark::Counter::kIsRate);
}
#endif

// The cost of entering and leaving an OpenMP parallel region with `threads` threads: what a
// product must save by threading before it pays (kParallelWork in tensor/matmul.cpp).
void fork_join(benchmark::State& state) {
    const int threads = int(state.range(0));
    for (auto _ : state) {
        int sink = 0;
#pragma omp parallel num_threads(threads) reduction(+ : sink)
        sink += omp_get_thread_num();
        benchmark::DoNotOptimize(sink);
    }
}

// All registrations, in one place.
int register_all() {
#if defined(__x86_64__)
    const ffnn::CpuInfo& cpu = ffnn::cpu_info();
    if (cpu.avx2_fma)
        benchmark::RegisterBenchmark("peak/fma256", peak_fma<8>)
            ->ArgName("threads")
            ->Arg(1)
            ->Arg(2)
            ->UseRealTime()
            ->Unit(benchmark::kMicrosecond);
    if (cpu.avx512f)
        benchmark::RegisterBenchmark("peak/fma512", peak_fma<16>)
            ->ArgName("threads")
            ->Arg(1)
            ->Arg(2)
            ->UseRealTime()
            ->Unit(benchmark::kMicrosecond);
#endif
    benchmark::RegisterBenchmark("overhead/omp_fork_join", fork_join)
        ->ArgName("threads")
        ->Arg(2)
        ->UseRealTime()
        ->Unit(benchmark::kMicrosecond);
    for (std::size_t n : {64, 128, 256, 512, 1024, 2048})
        add_shape<float>(Trans::No, Trans::No, n, n, n, n <= 1024);
    // Forward products of the MNIST network, batch 128: (M, N, K) = (batch, out, in).
    add_shape<float>(Trans::No, Trans::No, 128, 256, 784, true);
    add_shape<float>(Trans::No, Trans::No, 128, 128, 256, true);
    add_shape<float>(Trans::No, Trans::No, 128, 10, 128, true);
    // Backward: dW (784, 256) = X^T (784, 128) dZ (128, 256); dX (128, 784) = dZ (128, 256) W^T.
    add_shape<float>(Trans::Yes, Trans::No, 784, 256, 128, true);
    add_shape<float>(Trans::No, Trans::Yes, 128, 784, 256, true);
    // The Iris network's hidden layer: batch 32, 4 inputs, 16 hidden units.
    add_shape<float>(Trans::No, Trans::No, 32, 16, 4, true);
    // Small training shapes, where threading may not pay (the threshold parallel_work):
    // 784-256-256-10 at batch 32, forward (32, 256, 784) and (32, 256, 256), the weight
    // gradient (256, 256, 32) and the input gradient (32, 784, 256)-like dZ W^T (32, 256, 256);
    // the digits network 64-64-10 at batch 32: (32, 64, 64), (64, 64, 32) and (32, 64, 10).
    add_shape<float>(Trans::No, Trans::No, 32, 256, 784, false);
    add_shape<float>(Trans::No, Trans::No, 32, 256, 256, false);
    add_shape<float>(Trans::Yes, Trans::No, 256, 256, 32, false);
    add_shape<float>(Trans::No, Trans::Yes, 32, 256, 256, false);
    add_shape<float>(Trans::No, Trans::Yes, 32, 784, 256, false);
    add_shape<float>(Trans::No, Trans::No, 32, 64, 64, false);
    add_shape<float>(Trans::Yes, Trans::No, 64, 64, 32, false);
    add_shape<float>(Trans::No, Trans::Yes, 32, 64, 10, false);
    // The digits output layer (64 -> 10, batch 32): forward (32, 10, 64) and its weight
    // gradient (64, 10, 32); and the weight gradients of the MNIST network's second and
    // output layers at batch 128, (256, 128, 128) and (128, 10, 128), A transposed.
    add_shape<float>(Trans::No, Trans::No, 32, 10, 64, false);
    add_shape<float>(Trans::Yes, Trans::No, 64, 10, 32, false);
    add_shape<float>(Trans::Yes, Trans::No, 256, 128, 128, false);
    add_shape<float>(Trans::Yes, Trans::No, 128, 10, 128, false);
    // Around the boundaries of the unpacked rule (use_unpacked in gemm_config.hpp): few rows
    // with B in the L2, many rows with B in the L1d, and the A^T products of the same kinds.
    for (std::size_t m : {48, 64, 96}) {
        add_shape<float>(Trans::No, Trans::No, m, 256, 784, false);
        add_shape<float>(Trans::No, Trans::No, m, 256, 256, false);
    }
    add_shape<float>(Trans::No, Trans::No, 96, 96, 96, false);
    add_shape<float>(Trans::No, Trans::No, 1024, 10, 128, false);
    add_shape<float>(Trans::No, Trans::No, 512, 32, 256, false);
    add_shape<float>(Trans::Yes, Trans::No, 128, 128, 32, false);
    add_shape<float>(Trans::Yes, Trans::No, 784, 128, 32, false);
    add_shape<float>(Trans::Yes, Trans::No, 32, 256, 784, false);
    for (std::size_t n : {256, 1024}) add_shape<double>(Trans::No, Trans::No, n, n, n, false);
    return 0;
}

// What ran: the default kernel, the caches it was blocked for, OpenBLAS's kernel and the
// library its cblas_sgemm came from, BLIS's version, configuration and the check's result.
void add_context() {
    const ffnn::CpuInfo& cpu = ffnn::cpu_info();
    benchmark::AddCustomContext("ffnn_default_kernel", ffnn::gemm_kernel_name());
    benchmark::AddCustomContext("ffnn_l1d_bytes", std::to_string(cpu.l1d_bytes) +
                                                      (cpu.l1d_from_os ? " (OS)" : " (default)"));
    benchmark::AddCustomContext(
        "ffnn_l2_bytes", std::to_string(cpu.l2_bytes) + (cpu.l2_from_os ? " (OS)" : " (default)"));
    std::string blocking;
    for (GemmKernel k : ffnn::supported_gemm_kernels()) {
        const ffnn::GemmBlocking b = ffnn::gemm_blocking<float>(k);
        blocking += std::string(blocking.empty() ? "" : "; ") + ffnn::gemm_kernel_name(k) + " " +
                    std::to_string(b.MR) + "x" + std::to_string(b.NR) + " KC " +
                    std::to_string(b.KC) + " MC " + std::to_string(b.MC) + " NC " +
                    std::to_string(b.NC);
    }
    benchmark::AddCustomContext("ffnn_fp32_blocking", blocking);
#if defined(FFNN_HAVE_OPENBLAS)
    benchmark::AddCustomContext("openblas_core", openblas_get_corename());
    benchmark::AddCustomContext("openblas_config", openblas_get_config());
    // libblis exports cblas_* too: the OpenBLAS rows are OpenBLAS's only if cblas_sgemm comes
    // from the library that defines openblas_get_corename (the link order decides).
    Dl_info cblas_lib{}, openblas_lib{};
    const bool found =
        dladdr(reinterpret_cast<void*>(&cblas_sgemm), &cblas_lib) != 0 &&
        dladdr(reinterpret_cast<void*>(&openblas_get_corename), &openblas_lib) != 0 &&
        cblas_lib.dli_fname != nullptr && openblas_lib.dli_fname != nullptr;
    if (!found || std::string(cblas_lib.dli_fname) != openblas_lib.dli_fname)
        throw std::runtime_error(std::string("bench_matmul: cblas_sgemm comes from ") +
                                 (found ? cblas_lib.dli_fname : "?") + ", not from OpenBLAS (" +
                                 (found ? openblas_lib.dli_fname : "?") +
                                 "): link libopenblas before libblis");
    benchmark::AddCustomContext("openblas_cblas_from", cblas_lib.dli_fname);
#endif
#if defined(FFNN_HAVE_BLIS)
    benchmark::AddCustomContext("blis_version", bli_info_get_version_str());
    benchmark::AddCustomContext("blis_arch", bli_arch_string(bli_arch_query_id()));
    benchmark::AddCustomContext("blis_check", check_blis());
#endif
}

}  // namespace

int main(int argc, char** argv) {
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    try {
        add_context();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%s\n", e.what());
        return 1;
    }
    register_all();
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
