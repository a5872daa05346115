// Steady-state training does not allocate: after the first steps, train_step (forward, loss,
// backward, clipping, optimiser update) reuses every workspace, including when the batch size
// alternates between a full and a smaller last batch, as in an epoch loop.
//
// This file replaces the global operator new to count heap allocations; it is its own test
// executable so that the counter affects nothing else.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>

#include "ffnn/nn/model.hpp"
#include "ffnn/tensor/random.hpp"

namespace {
std::atomic<long> g_allocations{0};
}

void* operator new(std::size_t n) {
    ++g_allocations;
    if (void* p = std::malloc(n ? n : 1)) return p;
    throw std::bad_alloc();
}
void* operator new(std::size_t n, std::align_val_t a) {
    ++g_allocations;
    std::size_t al = static_cast<std::size_t>(a);
    if (void* p = std::aligned_alloc(al, (n + al - 1) / al * al)) return p;
    throw std::bad_alloc();
}
void operator delete(void* p) noexcept {
    std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
    std::free(p);
}
void operator delete(void* p, std::align_val_t) noexcept {
    std::free(p);
}
void operator delete(void* p, std::size_t, std::align_val_t) noexcept {
    std::free(p);
}

namespace ffnn {
namespace {

TEST(Allocation, TrainStepAllocatesNothingInSteadyState) {
    Rng rng(1);
    Tensor<float> X = normal<float>(Shape{52, 10}, 0.f, 1.f, rng);
    std::vector<int> y(52);
    for (std::size_t i = 0; i < y.size(); ++i) y[i] = static_cast<int>(i % 4);
    // tanh takes the default fused passes of Activation, relu its own; the identity output
    // layer keeps y as a view of z, which must not force a reallocation on batch changes.
    for (ActivationKind act : {ActivationKind::TanH, ActivationKind::ReLU})
        for (OptimizerKind kind : {OptimizerKind::SGD, OptimizerKind::Adam}) {
            Model<float> m(ModelSpec{
                .n_inputs = 10, .hidden = {16, 12}, .activation = act, .n_classes = 4, .seed = 3});
            OptimizerConfig oc;
            oc.kind = kind;
            oc.momentum = kind == OptimizerKind::SGD ? 0.9 : 0.0;
            oc.clip_norm = 5.0;
            auto opt = make_optimizer<float>(oc, m.parameters());
            // One "epoch": a batch of 32 rows and a last batch of 20.
            auto epoch = [&] {
                m.train_step(X.rows(0, 32), std::span<const int>(y).subspan(0, 32), *opt);
                m.train_step(X.rows(32, 52), std::span<const int>(y).subspan(32, 20), *opt);
            };
            const long start = g_allocations.load();
            epoch();  // sizes every workspace for both batch sizes
            const long before = g_allocations.load();
            EXPECT_GT(before - start, 0) << "the counter must see the first epoch's workspaces";
            for (int e = 0; e < 3; ++e) epoch();
            EXPECT_EQ(g_allocations.load() - before, 0) << to_string(act) << " " << opt->name();
        }
}

}  // namespace
}  // namespace ffnn
