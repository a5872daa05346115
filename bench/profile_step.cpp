// profile_step: where the time of one training step goes, operation by operation.
//
//   build/release/bench/profile_step [HIDDEN] [BATCH] [THREADS] [STEPS] [fused|separate]
//     default 256,128  128  (every core)  400  fused: the Fashion-MNIST network 784-256-128-10
//
// The step of Model::train_step taken apart: zero_grad, then each module's forward (layer i:
// the product X W, the bias and the activation; the loss: softmax cross-entropy and its
// gradient), each module's backward in reverse order (layer i: dZ through the activation,
// dW = X^T dZ, db, and dX = dZ W^T except for the first layer), and the SGD update: fused
// into the backward as Model::backward_and_step does it (the last phase is then zero_grad
// and the step's bookkeeping alone), or separate, a pass after the backward. Each
// phase is timed with steady_clock around the call, over STEPS steps after 50 warm-up steps;
// the table gives each phase's median microseconds per step, its share of the summed
// medians, and for the products the rate in GFLOP/s (2 M N K flops per product). The clock
// reads cost ~20 ns each, far below the phases measured (the smallest is a few us).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <vector>

#include "ffnn/nn/model.hpp"
#include "ffnn/tensor/parallel.hpp"
#include "ffnn/tensor/random.hpp"

namespace {

using Clock = std::chrono::steady_clock;

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0 : v[v.size() / 2];
}

constexpr const char* kUsage =
    "usage: profile_step [HIDDEN] [BATCH] [THREADS] [STEPS] [fused|separate]";

// A positive integer (at most max), or exits with a message naming the argument.
std::size_t parse_count(const char* name, const std::string& text, std::size_t max) {
    std::size_t value = 0, used = 0;
    try {
        if (!text.empty() && text[0] != '-') value = std::stoul(text, &used);
    } catch (const std::exception&) {
        used = 0;
    }
    if (used == 0 || used != text.size() || value == 0 || value > max) {
        std::fprintf(stderr, "profile_step: %s must be an integer from 1 to %zu, got '%s'\n%s\n",
                     name, max, text.c_str(), kUsage);
        std::exit(2);
    }
    return value;
}

// "256,128" -> {256, 128}.
std::vector<std::size_t> parse_widths(const std::string& text) {
    std::vector<std::size_t> out;
    std::size_t start = 0;
    while (start <= text.size()) {
        const std::size_t comma = std::min(text.find(',', start), text.size());
        out.push_back(parse_count("each hidden width", text.substr(start, comma - start), 65536));
        start = comma + 1;
    }
    return out;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc > 6) {
        std::fprintf(stderr, "profile_step: at most 5 arguments, got %d\n%s\n", argc - 1, kUsage);
        return 2;
    }
    const std::vector<std::size_t> hidden = parse_widths(argc > 1 ? argv[1] : "256,128");
    const std::size_t batch = argc > 2 ? parse_count("BATCH", argv[2], 1 << 16) : 128;
    if (argc > 3) ffnn::set_threads(int(parse_count("THREADS", argv[3], 1024)));
    const std::size_t steps = argc > 4 ? parse_count("STEPS", argv[4], 1 << 24) : 400;
    const std::string mode = argc > 5 ? argv[5] : "fused";
    if (mode != "fused" && mode != "separate") {
        std::fprintf(stderr,
                     "profile_step: the fifth argument is fused or separate, got '%s'\n%s\n",
                     mode.c_str(), kUsage);
        return 2;
    }
    const bool fused = mode == "fused";
    constexpr std::size_t D = 784, K = 10, kWarmup = 50, kPool = 8;

    ffnn::ModelSpec spec;
    spec.n_inputs = D;
    spec.hidden = hidden;
    spec.n_classes = K;
    spec.seed = 1;
    ffnn::Model<float> model(spec);
    ffnn::SGD<float> sgd(model.parameters(), /*lr=*/0.01, /*momentum=*/0.9);
    ffnn::Rng rng(7);
    std::vector<ffnn::Tensor<float>> xs;
    std::vector<std::vector<int>> ys;
    for (std::size_t i = 0; i < kPool; ++i) {
        xs.push_back(ffnn::normal<float>(ffnn::Shape{batch, D}, 0.0f, 1.0f, rng));
        std::vector<int> y(batch);
        for (auto& v : y) v = static_cast<int>(rng.below(K));
        ys.push_back(std::move(y));
    }

    // Phases: forward of each module, the loss, backward of each module (reverse), the step.
    const std::size_t M = model.num_modules();
    std::vector<std::string> names;
    for (std::size_t i = 0; i < M; ++i) names.push_back("forward  module " + std::to_string(i));
    names.push_back("loss (softmax cross-entropy + gradient)");
    for (std::size_t i = M; i-- > 0;) names.push_back("backward module " + std::to_string(i));
    names.push_back(fused ? "zero_grad + fused step's bookkeeping" : "zero_grad + sgd step");
    std::vector<std::vector<double>> us(names.size());

    model.module(0).set_input_grad(false);  // as Model::backward does in training
    for (std::size_t s = 0; s < kWarmup + steps; ++s) {
        const ffnn::Tensor<float>& x = xs[s % kPool];
        std::size_t p = 0;
        auto t = Clock::now();
        auto lap = [&] {
            const auto now = Clock::now();
            if (s >= kWarmup)
                us[p].push_back(std::chrono::duration<double, std::micro>(now - t).count());
            ++p;
            t = now;
        };
        const auto t_zero = Clock::now();
        model.zero_grad();
        const double zero_us =
            std::chrono::duration<double, std::micro>(Clock::now() - t_zero).count();
        t = Clock::now();
        const ffnn::Tensor<float>* h = &x;
        for (std::size_t i = 0; i < M; ++i) {
            h = &model.module(i).forward(*h);
            lap();
        }
        model.loss().forward(*h, ys[s % kPool]);
        lap();
        const auto t_begin = Clock::now();
        if (fused) {  // Model::backward_and_step's calls, module by module
            sgd.begin_fused_step();
            for (std::size_t i = 0; i < M; ++i)
                if (!model.module(i).set_fused_update(&sgd)) {
                    std::fprintf(stderr, "profile_step: module %zu cannot fuse the update\n", i);
                    return 1;
                }
        }
        const double begin_us =
            std::chrono::duration<double, std::micro>(Clock::now() - t_begin).count();
        t = Clock::now();
        const ffnn::Tensor<float>* g = &model.loss().backward();
        for (std::size_t i = M; i-- > 0;) {
            g = &model.module(i).backward(*g);
            lap();
        }
        if (fused) {
            for (std::size_t i = 0; i < M; ++i) model.module(i).set_fused_update(nullptr);
            sgd.end_fused_step();
        } else {
            sgd.step();
        }
        const auto now = Clock::now();
        if (s >= kWarmup)
            us[p].push_back(zero_us + begin_us +
                            std::chrono::duration<double, std::micro>(now - t).count());
    }

    // Layer widths for the flop counts: module i is FullyConnected i (the spec's modules).
    const std::vector<std::size_t> sizes = model.layer_sizes();  // D, H..., K
    std::printf("profile_step: %s, batch %zu, %d thread%s, median of %zu steps, %s update\n",
                model.summary().c_str(), batch, ffnn::max_threads(),
                ffnn::max_threads() == 1 ? "" : "s", steps, mode.c_str());
    std::vector<double> med;
    double total = 0;
    for (const auto& v : us) total += med.emplace_back(median(v));
    std::printf("%-42s %10s %7s %9s\n", "phase", "us/step", "share", "GFLOP/s");
    for (std::size_t p = 0; p < names.size(); ++p) {
        double flops = 0;  // the products of the phase
        if (p < M && M == sizes.size() - 1)
            flops = 2.0 * double(batch) * double(sizes[p]) * double(sizes[p + 1]);
        if (p > M && p < 2 * M + 1) {
            const std::size_t i = 2 * M - p;  // module index of this backward
            if (M == sizes.size() - 1)
                flops = 2.0 * double(batch) * double(sizes[i]) * double(sizes[i + 1]) *
                        (i == 0 ? 1.0 : 2.0);  // dW, and dX except for the first layer
        }
        char rate[32] = "";
        if (flops > 0) std::snprintf(rate, sizeof rate, "%9.1f", flops / (med[p] * 1e3));
        std::printf("%-42s %10.1f %6.1f%% %s\n", names[p].c_str(), med[p], 100 * med[p] / total,
                    rate);
    }
    double step_flops = 0;
    for (std::size_t i = 0; i + 1 < sizes.size(); ++i)
        step_flops += 2.0 * double(batch) * double(sizes[i]) * double(sizes[i + 1]) * (i ? 3 : 2);
    std::printf("%-42s %10.1f %6.1f%% %9.1f  (%.0f samples/s)\n", "step (sum of the medians)",
                total, 100.0, step_flops / (total * 1e3), double(batch) / total * 1e6);
    return 0;
}
