// compare_libtorch: the training steps of bench_train in PyTorch's C++ frontend (libtorch),
// the C++ twin of bench/compare_pytorch.py. It shows what PyTorch costs without Python: the
// same models, batch sizes, optimiser and input pools, the same measuring loop, the same JSON
// lines, with "frontend": "libtorch".
//
//   compare_libtorch THREADS [REPETITIONS]
//
//   train/784-256-128-10/batch:128   the Fashion-MNIST network, every thread count
//   train/4-16-3/batch:32            the Iris network, THREADS = 1 only (as in Python)
//   grid/784-H-H-10/batch:B          the scaling grid of issue 12: (H, B) = (128, 128),
//                                    (512, 128), (2048, 128), (256, 32), (256, 1024)
//
// A step is what a user writes: zero_grad, forward through Sequential(Linear, ReLU, ...),
// cross_entropy on the logits (mean over the batch, as CrossEntropyLoss), backward, SGD step
// (lr 0.01, momentum 0.9), fp32, autograd on throughout (no NoGradGuard anywhere). Inputs are
// 8 batches of standard normal features with uniform labels, cycled so that no single batch
// stays in cache. Each case: 20 warm-up steps (allocator, thread pool), 0.2 s to count how
// many steps fill a repetition of about 1 s (0.5 s for Iris), then REPETITIONS repetitions;
// the line reports their median.
//
// Threads: at::set_num_threads(THREADS) for intra-op work and one inter-op thread (a
// training step of a Sequential has no independent operations to overlap). OpenBLAS reads
// OPENBLAS_NUM_THREADS and OPENBLAS_CORETYPE, and libgomp OMP_WAIT_POLICY, from the
// environment at load time, so bench/compare_train.sh starts one process per setting and sets
// them; the line echoes them.
//
// Built only with -DFFNN_LIBTORCH=ON (Debian's libtorch-dev): see bench/CMakeLists.txt.
#include <torch/torch.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

namespace {

constexpr int kPool = 8;        // batches cycled through, as in compare_pytorch.py
constexpr int kWarmup = 20;     // steps before anything is timed
constexpr double kProbe = 0.2;  // seconds of steps counted to size a repetition
// The scaling grid, (H, batch) pairs of 784-H-H-10, as bench_train's kGrid.
constexpr int64_t kGrid[][2] = {{128, 128}, {512, 128}, {2048, 128}, {256, 32}, {256, 1024}};

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

// sizes = {D, H1, ..., K}: Linear layers with a ReLU between each pair, none after the last.
torch::nn::Sequential mlp(const std::vector<int64_t>& sizes) {
    torch::nn::Sequential net;
    for (std::size_t i = 0; i + 1 < sizes.size(); ++i) {
        net->push_back(torch::nn::Linear(sizes[i], sizes[i + 1]));
        if (i + 2 < sizes.size()) net->push_back(torch::nn::ReLU());
    }
    return net;
}

// Samples per second of each repetition.
std::vector<double> measure(const std::vector<int64_t>& sizes, int64_t batch, double seconds,
                            int repetitions) {
    torch::manual_seed(1);
    torch::nn::Sequential model = mlp(sizes);
    torch::optim::SGD optimizer(model->parameters(),
                                torch::optim::SGDOptions(/*lr=*/0.01).momentum(0.9));
    // x (batch, D) float32, y (batch) int64 class indices in [0, K).
    std::vector<torch::Tensor> xs, ys;
    for (int i = 0; i < kPool; ++i) {
        xs.push_back(torch::randn({batch, sizes.front()}));
        ys.push_back(torch::randint(0, sizes.back(), {batch}, torch::kLong));
    }
    auto step = [&](std::size_t i) {
        // zero_grad zeroes the gradients in place, as Python's zero_grad(set_to_none=False).
        optimizer.zero_grad();
        torch::Tensor loss =
            torch::nn::functional::cross_entropy(model->forward(xs[i % kPool]), ys[i % kPool]);
        loss.backward();
        optimizer.step();
    };

    for (int i = 0; i < kWarmup; ++i) step(static_cast<std::size_t>(i));
    const Clock::time_point probe = Clock::now();
    std::size_t n = 0;
    while (seconds_since(probe) < kProbe) step(n++);
    const auto per = std::max<std::size_t>(
        1, static_cast<std::size_t>(static_cast<double>(n) * seconds / kProbe));

    std::vector<double> rates;
    for (int r = 0; r < repetitions; ++r) {
        const Clock::time_point t0 = Clock::now();
        for (std::size_t i = 0; i < per; ++i) step(i);
        rates.push_back(static_cast<double>(per * static_cast<std::size_t>(batch)) /
                        seconds_since(t0));
    }
    return rates;
}

// The median as Python's statistics.median: the mean of the middle two for an even count.
double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const std::size_t m = v.size() / 2;
    return v.size() % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

// The shortest decimal that reads back as the same double, as Python's json.dumps writes it.
std::string number(double x) {
    char buf[64];
    const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, x);
    if (ec != std::errc()) throw std::runtime_error("compare_libtorch: cannot format a number");
    return std::string(buf, end);
}

// A JSON string of an environment variable, or `fallback` when unset. The values expected
// here (core names, thread counts) need no escaping; anything else is replaced by "?".
std::string env_string(const char* name, const char* fallback) {
    const char* v = std::getenv(name);
    std::string s = v ? v : fallback;
    for (char& c : s)
        if (c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20) c = '?';
    return "\"" + s + "\"";
}

int positive(const char* text, const char* what) {
    char* end = nullptr;
    const long v = std::strtol(text, &end, 10);
    if (end == text || *end != '\0' || v < 1 || v > 1024) {
        std::fprintf(stderr, "compare_libtorch: %s must be an integer from 1 to 1024, got '%s'\n",
                     what, text);
        std::exit(2);
    }
    return static_cast<int>(v);
}

struct Case {
    std::string prefix;  // "train/" or "grid/"
    std::vector<int64_t> sizes;
    int64_t batch;
    double seconds;  // length of one repetition
};

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2 || argc > 3) {
        std::fprintf(stderr, "usage: compare_libtorch THREADS [REPETITIONS]\n");
        return 2;
    }
    const int threads = positive(argv[1], "THREADS");
    const int reps = argc > 2 ? positive(argv[2], "REPETITIONS") : 5;
    // Inter-op first: it can only be set before any inter-op work has started.
    at::set_num_interop_threads(1);
    at::set_num_threads(threads);

    std::vector<Case> cases{{"train/", {784, 256, 128, 10}, 128, 1.0}};
    if (threads == 1) cases.push_back({"train/", {4, 16, 3}, 32, 0.5});
    for (const auto& [h, batch] : kGrid) cases.push_back({"grid/", {784, h, h, 10}, batch, 1.0});

    for (const Case& c : cases) {
        const std::vector<double> rates = measure(c.sizes, c.batch, c.seconds, reps);
        const double med = median(rates);
        std::string name = c.prefix;
        for (std::size_t i = 0; i < c.sizes.size(); ++i) {
            if (i) name += '-';
            name += std::to_string(c.sizes[i]);
        }
        name += "/batch:" + std::to_string(c.batch);
        std::string reps_json = "[";
        for (std::size_t i = 0; i < rates.size(); ++i) {
            if (i) reps_json += ", ";
            reps_json += number(rates[i]);
        }
        reps_json += "]";
        // The keys of compare_pytorch.py, in its order, then the frontend.
        std::printf(
            "{\"name\": \"%s\", \"threads\": %d, \"samples_per_second\": %s, \"step_us\": %s, "
            "\"repetitions\": %s, \"openblas_coretype\": %s, \"openblas_threads\": %s, "
            "\"omp_wait_policy\": %s, \"torch\": \"%s\", \"frontend\": \"libtorch\"}\n",
            name.c_str(), threads, number(med).c_str(),
            number(static_cast<double>(c.batch) / med * 1e6).c_str(), reps_json.c_str(),
            env_string("OPENBLAS_CORETYPE", "auto").c_str(),
            env_string("OPENBLAS_NUM_THREADS", "unset").c_str(),
            env_string("OMP_WAIT_POLICY", "default").c_str(), TORCH_VERSION);
        std::fflush(stdout);
    }
    return 0;
}
