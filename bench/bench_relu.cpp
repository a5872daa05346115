// bench_relu: ReLU forward and backward, the naive scalar loop against ffnn's vectorised
// OpenMP kernels, with memcpy of the same bytes as the bandwidth reference.
//
// Inputs are uniform in [-1, 1): random signs, so a branchy naive loop pays for the
// mispredictions it would avoid on all-positive data. Bytes counted per call:
// forward reads x and writes y (8 bytes per float element), backward reads x and dy and
// writes dx (12 bytes), memcpy reads and writes (8 bytes).
//
// The threshold family times the same simd loop forced serial and forced parallel on
// 2 threads around kParallelThreshold: the crossing point is where threading starts to pay.
#include <benchmark/benchmark.h>
#include <omp.h>

#include <cstring>
#include <vector>

#include "ffnn/tensor/kernels.hpp"
#include "ffnn/tensor/parallel.hpp"
#include "ffnn/tensor/random.hpp"

namespace {

struct Buffers {
    ffnn::Tensor<float> x, dy, out;
    explicit Buffers(std::size_t n) {
        ffnn::Rng rng(1234);
        x = ffnn::uniform<float>(ffnn::Shape{n}, -1.0f, 1.0f, rng);
        dy = ffnn::uniform<float>(ffnn::Shape{n}, -1.0f, 1.0f, rng);
        out = ffnn::Tensor<float>::zeros(ffnn::Shape{n});
    }
};

void set_bytes(benchmark::State& state, std::size_t n, std::size_t bytes_per_element) {
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * n * bytes_per_element));
}

void naive_forward(benchmark::State& state) {
    std::size_t n = state.range(0);
    Buffers b(n);
    for (auto _ : state) {
        ffnn::relu_forward_naive(b.x.data(), b.out.data(), n);
        benchmark::ClobberMemory();
    }
    set_bytes(state, n, 8);
}

void naive_backward(benchmark::State& state) {
    std::size_t n = state.range(0);
    Buffers b(n);
    for (auto _ : state) {
        ffnn::relu_backward_naive(b.x.data(), b.dy.data(), b.out.data(), n);
        benchmark::ClobberMemory();
    }
    set_bytes(state, n, 12);
}

void ffnn_forward(benchmark::State& state) {
    std::size_t n = state.range(0);
    ffnn::set_threads(static_cast<int>(state.range(1)));
    Buffers b(n);
    for (auto _ : state) {
        ffnn::relu_forward(b.x.data(), b.out.data(), n);
        benchmark::ClobberMemory();
    }
    set_bytes(state, n, 8);
}

void ffnn_backward(benchmark::State& state) {
    std::size_t n = state.range(0);
    ffnn::set_threads(static_cast<int>(state.range(1)));
    Buffers b(n);
    for (auto _ : state) {
        ffnn::relu_backward(b.x.data(), b.dy.data(), b.out.data(), n);
        benchmark::ClobberMemory();
    }
    set_bytes(state, n, 12);
}

// memcpy over the same n floats: the bandwidth a memory-bound kernel can hope for.
// With 2 threads each copies its half, as the OpenMP kernels split their loops.
void memcpy_reference(benchmark::State& state) {
    std::size_t n = state.range(0);
    int threads = static_cast<int>(state.range(1));
    Buffers b(n);
    const float* src = b.x.data();
    float* dst = b.out.data();
    for (auto _ : state) {
#pragma omp parallel num_threads(threads)
        {
            int t = omp_get_thread_num(), nt = omp_get_num_threads();
            std::size_t lo = n * t / nt, hi = n * (t + 1) / nt;
            std::memcpy(dst + lo, src + lo, (hi - lo) * sizeof(float));
        }
        benchmark::ClobberMemory();
    }
    set_bytes(state, n, 8);
}

// The simd loop of relu_forward, forced serial or forced onto 2 threads.
void threshold_serial(benchmark::State& state) {
    std::size_t n = state.range(0);
    Buffers b(n);
    const float* x = b.x.data();
    float* y = b.out.data();
    for (auto _ : state) {
#pragma omp simd
        for (std::size_t i = 0; i < n; ++i) y[i] = ffnn::relu_scalar(x[i]);
        benchmark::ClobberMemory();
    }
    set_bytes(state, n, 8);
}

void threshold_parallel(benchmark::State& state) {
    std::size_t n = state.range(0);
    Buffers b(n);
    const float* x = b.x.data();
    float* y = b.out.data();
    for (auto _ : state) {
#pragma omp parallel for simd schedule(static) num_threads(2)
        for (std::size_t i = 0; i < n; ++i) y[i] = ffnn::relu_scalar(x[i]);
        benchmark::ClobberMemory();
    }
    set_bytes(state, n, 8);
}

const std::vector<int64_t> kSizes = {4096, 262144, 16777216};

void sizes_only(benchmark::internal::Benchmark* b) {
    for (auto n : kSizes) b->Arg(n);
}
void sizes_threads(benchmark::internal::Benchmark* b) {
    b->ArgNames({"n", "threads"});
    for (auto n : kSizes)
        for (int t : {1, 2}) b->Args({n, t});
}
void threshold_sizes(benchmark::internal::Benchmark* b) {
    for (int64_t n = 4096; n <= (int64_t(1) << 20); n *= 2) b->Arg(n);
}

}  // namespace

BENCHMARK(naive_forward)->Name("naive/relu_forward")->Apply(sizes_only)->UseRealTime();
BENCHMARK(naive_backward)->Name("naive/relu_backward")->Apply(sizes_only)->UseRealTime();
BENCHMARK(ffnn_forward)->Name("ffnn/relu_forward")->Apply(sizes_threads)->UseRealTime();
BENCHMARK(ffnn_backward)->Name("ffnn/relu_backward")->Apply(sizes_threads)->UseRealTime();
BENCHMARK(memcpy_reference)->Name("memcpy")->Apply(sizes_threads)->UseRealTime();
BENCHMARK(threshold_serial)->Name("threshold/serial")->Apply(threshold_sizes)->UseRealTime();
BENCHMARK(threshold_parallel)->Name("threshold/parallel2")->Apply(threshold_sizes)->UseRealTime();

BENCHMARK_MAIN();
