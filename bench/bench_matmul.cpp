// Matrix product benchmarks: the naive triple loop, ffnn's blocked gemm and (when OpenBLAS
// is found) cblas_sgemm / cblas_dgemm on the same shapes, plus the FMA peak of the machine,
// all reporting a "GFLOP/s" counter (2 M N K flops per product; wall-clock time, since the
// products use several threads).
//
// Names read implementation/operation/MxNxK/threads:T, e.g. ffnn/sgemm/1024x1024x1024/threads:2.
// The operation says the transposes: sgemm is C = A B, sgemm_tn is C = A^T B (the weight
// gradient X^T dZ of a dense layer), sgemm_nt is C = A B^T (the input gradient dZ W^T).
// The thread count is applied to both ffnn (OpenMP) and OpenBLAS before each run.
//
// Shapes: squares 64 .. 2048 (the naive loop up to 1024 only, one iteration per run at 512
// and above), the MNIST network's forward products (batch 128: 784 -> 256 -> 128 -> 10), its
// backward products, the Iris network's 32x16x4, and fp64 squares 256 and 1024.
//
// Typical use (medians of 3 runs):
//   bench_matmul --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
//   bench_matmul --benchmark_filter='/1024x1024x1024/'
#include <benchmark/benchmark.h>
#include <omp.h>

#include <cstddef>
#include <string>
#include <vector>

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#endif

#if defined(FFNN_HAVE_OPENBLAS)
#include <cblas.h>
#endif

#include "ffnn/tensor/matmul.hpp"
#include "ffnn/tensor/parallel.hpp"
#include "ffnn/tensor/random.hpp"

namespace {

using ffnn::Trans;

enum class Impl { Naive, Ffnn, OpenBlas };

const char* impl_name(Impl impl) {
    switch (impl) {
        case Impl::Naive:
            return "naive";
        case Impl::Ffnn:
            return "ffnn";
        case Impl::OpenBlas:
            return "openblas";
    }
    return "?";
}

void set_all_threads(int threads) {
    ffnn::set_threads(threads);
#if defined(FFNN_HAVE_OPENBLAS)
    openblas_set_num_threads(threads);
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

// One product C (M, N) = op(A) op(B), timed in a loop.
template <class T>
void run_gemm(benchmark::State& state, Impl impl, Trans ta, Trans tb, std::size_t M, std::size_t N,
              std::size_t K, int threads) {
    ffnn::Rng rng(1);
    const ffnn::Shape a_shape = ta == Trans::No ? ffnn::Shape{M, K} : ffnn::Shape{K, M};
    const ffnn::Shape b_shape = tb == Trans::No ? ffnn::Shape{K, N} : ffnn::Shape{N, K};
    ffnn::Tensor<T> A = ffnn::uniform<T>(a_shape, T(-1), T(1), rng);
    ffnn::Tensor<T> B = ffnn::uniform<T>(b_shape, T(-1), T(1), rng);
    ffnn::Tensor<T> C = ffnn::Tensor<T>::zeros(ffnn::Shape{M, N});
    const std::size_t lda = a_shape[1], ldb = b_shape[1];
    set_all_threads(threads);
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
        }
        benchmark::DoNotOptimize(C.data());
        benchmark::ClobberMemory();
    }
    state.counters["GFLOP/s"] = benchmark::Counter(
        2.0 * double(M) * double(N) * double(K) * double(state.iterations()) * 1e-9,
        benchmark::Counter::kIsRate);
}

template <class T>
void add_gemm(Impl impl, Trans ta, Trans tb, std::size_t M, std::size_t N, std::size_t K,
              int threads) {
    std::string op = sizeof(T) == 4 ? "sgemm" : "dgemm";
    if (ta == Trans::Yes || tb == Trans::Yes)
        op += std::string("_") + (ta == Trans::Yes ? "t" : "n") + (tb == Trans::Yes ? "t" : "n");
    const std::string name = std::string(impl_name(impl)) + "/" + op + "/" + std::to_string(M) +
                             "x" + std::to_string(N) + "x" + std::to_string(K) +
                             "/threads:" + std::to_string(threads);
    auto* b = benchmark::RegisterBenchmark(name.c_str(), [=](benchmark::State& state) {
        run_gemm<T>(state, impl, ta, tb, M, N, K, threads);
    });
    b->UseRealTime()->Unit(benchmark::kMicrosecond);
    // The naive loop at 512^3 and above takes 0.1 s to several seconds per product.
    if (impl == Impl::Naive && M * N * K >= std::size_t(512) * 512 * 512) b->Iterations(1);
}

// The fast implementations (ffnn, and OpenBLAS when present) on 1 and 2 threads, and the
// naive loop (single-threaded) when asked.
template <class T>
void add_shape(Trans ta, Trans tb, std::size_t M, std::size_t N, std::size_t K, bool naive) {
    if (naive) add_gemm<T>(Impl::Naive, ta, tb, M, N, K, 1);
    for (int threads : {1, 2}) {
        add_gemm<T>(Impl::Ffnn, ta, tb, M, N, K, threads);
#if defined(FFNN_HAVE_OPENBLAS)
        add_gemm<T>(Impl::OpenBlas, ta, tb, M, N, K, threads);
#endif
    }
}

#if defined(__AVX2__) && defined(__FMA__)
// Peak FMA throughput: each thread runs kChains independent chains of _mm256_fmadd_ps on
// registers only (no memory traffic). kChains = 10 covers latency (4 cycles) x 2 FMA ports
// with margin. Each FMA is 8 lanes x 2 flops.
void peak_fma(benchmark::State& state) {
    constexpr int kChains = 10;
    constexpr long kSteps = 1 << 20;  // FMA steps per chain per iteration
    const int threads = int(state.range(0));
    for (auto _ : state) {
        float sink = 0;
#pragma omp parallel num_threads(threads) reduction(+ : sink)
        {
            __m256 acc[kChains];
            for (int c = 0; c < kChains; ++c) acc[c] = _mm256_set1_ps(float(c) * 1e-3f);
            const __m256 x = _mm256_set1_ps(0.999999f), y = _mm256_set1_ps(1e-7f);
            for (long s = 0; s < kSteps; ++s) {
#pragma GCC unroll 10
                for (int c = 0; c < kChains; ++c) acc[c] = _mm256_fmadd_ps(acc[c], x, y);
            }
            __m256 sum = acc[0];
            for (int c = 1; c < kChains; ++c) sum = _mm256_add_ps(sum, acc[c]);
            sink += _mm256_cvtss_f32(sum);
        }
        benchmark::DoNotOptimize(sink);
    }
    state.counters["GFLOP/s"] = benchmark::Counter(
        double(state.iterations()) * threads * kChains * double(kSteps) * 16 * 1e-9,
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
#if defined(__AVX2__) && defined(__FMA__)
    benchmark::RegisterBenchmark("peak/fma256", peak_fma)
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
    for (std::size_t n : {256, 1024}) add_shape<double>(Trans::No, Trans::No, n, n, n, false);
    return 0;
}
const int registered = register_all();

}  // namespace

BENCHMARK_MAIN();
