// bench_train: whole training steps, in samples per second (Google Benchmark's
// items_per_second), the figure bench/compare_pytorch.sh sets against PyTorch.
//
//   train/784-256-128-10/batch:128/threads:T   the Fashion-MNIST network, SGD momentum 0.9,
//                                              fp32, T = 1 and 2 OpenMP threads
//   train/64-64-10/batch:32                    the digits network, T = 1 and 2: small
//   train/784-256-256-10/batch:32              products, where threads may not pay
//   train/4-16-3/batch:32                      the assignment's Iris network, one thread:
//                                              the time of one step is the figure
//   explicit/...                               the same steps written as the explicit loop
//                                              (zero_grad, forward, loss, backward_and_step)
//   separate/...                               the explicit loop with the optimiser step as a
//                                              pass of its own after the backward (backward,
//                                              then step): what the fused step gains
//   grid/784-H-H-10/batch:B/threads:T          the scaling grid of issue 12: H = 128, 512,
//                                              2048 at batch 128, and batch 32 and 1024 at
//                                              H = 256; T = 1 and 2
//
// Each step is model.train_step: zero_grad, forward, softmax cross-entropy, and the backward
// with the optimiser update fused into it; the explicit rows show that a hand-written loop is
// as fast. The inputs are a
// fixed pool of random batches (normal, as standardised features are), cycled so that no single
// batch stays in cache.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "ffnn/nn/model.hpp"
#include "ffnn/tensor/parallel.hpp"
#include "ffnn/tensor/random.hpp"

namespace {

constexpr std::size_t kPool = 8;  // batches cycled through

enum class Loop { TrainStep, Explicit, Separate };

void train_steps(benchmark::State& state, std::size_t d, std::vector<std::size_t> hidden,
                 std::size_t k, std::size_t batch, Loop loop = Loop::TrainStep) {
    ffnn::set_threads(static_cast<int>(state.range(0)));
    ffnn::ModelSpec spec;
    spec.n_inputs = d;
    spec.hidden = std::move(hidden);
    spec.n_classes = k;
    spec.activation = ffnn::ActivationKind::ReLU;
    spec.seed = 1;
    ffnn::Model<float> model(spec);
    ffnn::SGD<float> optimizer(model.parameters(), /*lr=*/0.01, /*momentum=*/0.9);

    ffnn::Rng rng(7);
    std::vector<ffnn::Tensor<float>> xs;
    std::vector<std::vector<int>> ys;
    for (std::size_t i = 0; i < kPool; ++i) {
        xs.push_back(ffnn::normal<float>(ffnn::Shape{batch, d}, 0.0f, 1.0f, rng));
        std::vector<int> y(batch);
        for (auto& v : y) v = static_cast<int>(rng.below(k));
        ys.push_back(std::move(y));
    }
    std::size_t i = 0;
    for (auto _ : state) {
        float loss;
        if (loop == Loop::TrainStep) {
            loss = model.train_step(xs[i], ys[i], optimizer);
        } else {
            model.zero_grad();
            loss = model.loss().forward(model.forward(xs[i]), ys[i]);
            if (loop == Loop::Explicit) {
                model.backward_and_step(model.loss().backward(), optimizer);
            } else {
                model.backward(model.loss().backward());
                optimizer.step();
            }
        }
        benchmark::DoNotOptimize(loss);
        i = (i + 1) % kPool;
    }
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * batch));
}

void fashion_mlp(benchmark::State& state) {
    train_steps(state, 784, {256, 128}, 10, 128);
}
// Small networks where threads may not pay: the digits network (64 -> 64 -> 10) at batch
// 32, as `ffnn train --dataset digits --hidden 64 --batch-size 32` trains it, and
// 784-256-256-10 at batch 32.
void digits_mlp(benchmark::State& state) {
    train_steps(state, 64, {64}, 10, 32);
}
void mnist_256x2_batch32(benchmark::State& state) {
    train_steps(state, 784, {256, 256}, 10, 32);
}
void iris_mlp(benchmark::State& state) {
    train_steps(state, 4, {16}, 3, 32);
}
void fashion_mlp_explicit(benchmark::State& state) {
    train_steps(state, 784, {256, 128}, 10, 128, Loop::Explicit);
}
void iris_mlp_explicit(benchmark::State& state) {
    train_steps(state, 4, {16}, 3, 32, Loop::Explicit);
}
void fashion_mlp_separate(benchmark::State& state) {
    train_steps(state, 784, {256, 128}, 10, 128, Loop::Separate);
}

// The grid: (H, batch) pairs of 784-H-H-10.
constexpr std::size_t kGrid[][2] = {{128, 128}, {512, 128}, {2048, 128}, {256, 32}, {256, 1024}};

const int kGridRegistered = [] {
    for (const auto& [h, batch] : kGrid) {
        const std::string name = "grid/784-" + std::to_string(h) + "-" + std::to_string(h) +
                                 "-10/batch:" + std::to_string(batch);
        benchmark::RegisterBenchmark(name.c_str(),
                                     [h = h, batch = batch](benchmark::State& state) {
                                         train_steps(state, 784, {h, h}, 10, batch);
                                     })
            ->ArgName("threads")
            ->Arg(1)
            ->Arg(2)
            ->UseRealTime();
    }
    return 0;
}();

}  // namespace

BENCHMARK(fashion_mlp)
    ->Name("train/784-256-128-10/batch:128")
    ->ArgName("threads")
    ->Arg(1)
    ->Arg(2)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(digits_mlp)
    ->Name("train/64-64-10/batch:32")
    ->ArgName("threads")
    ->Arg(1)
    ->Arg(2)
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(mnist_256x2_batch32)
    ->Name("train/784-256-256-10/batch:32")
    ->ArgName("threads")
    ->Arg(1)
    ->Arg(2)
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(iris_mlp)
    ->Name("train/4-16-3/batch:32")
    ->ArgName("threads")
    ->Arg(1)
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(fashion_mlp_explicit)
    ->Name("explicit/784-256-128-10/batch:128")
    ->ArgName("threads")
    ->Arg(1)
    ->Arg(2)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(iris_mlp_explicit)
    ->Name("explicit/4-16-3/batch:32")
    ->ArgName("threads")
    ->Arg(1)
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(fashion_mlp_separate)
    ->Name("separate/784-256-128-10/batch:128")
    ->ArgName("threads")
    ->Arg(1)
    ->Arg(2)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
