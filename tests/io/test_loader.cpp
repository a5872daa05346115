// DataLoader: batch counts, the short last batch and drop_last, every index once per epoch,
// per-epoch reshuffles that depend only on (seed, epoch), rows copied faithfully, and no
// reallocation of the batch buffers in steady state.
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>

#include "ffnn/io/loader.hpp"
#include "ffnn/tensor/parallel.hpp"
#include "test_helpers.hpp"

using namespace ffnn;

namespace {

// X (N, 3) with X[i] = (i, 10 i, -i): a row identifies its index.
Tensor<float> numbered(std::size_t n) {
    Tensor<float> X = Tensor<float>::empty({n, 3});
    for (std::size_t i = 0; i < n; ++i) {
        X.at(i, 0) = static_cast<float>(i);
        X.at(i, 1) = 10.0f * static_cast<float>(i);
        X.at(i, 2) = -static_cast<float>(i);
    }
    return X;
}

// All rows of one epoch, in visiting order, decoded from the batches; checks rows and labels.
std::vector<std::size_t> run_epoch(DataLoader& loader, std::size_t epoch,
                                   const std::vector<int>& labels,
                                   std::vector<std::size_t>* batch_sizes = nullptr) {
    loader.start_epoch(epoch);
    Tensor<float> xb;
    std::vector<int> yb;
    std::vector<std::size_t> seen;
    while (loader.next(xb, yb)) {
        EXPECT_EQ(xb.rank(), 2u);
        EXPECT_EQ(xb.cols(), 3u);
        EXPECT_EQ(yb.size(), xb.rows());
        if (batch_sizes) batch_sizes->push_back(xb.rows());
        for (std::size_t r = 0; r < xb.rows(); ++r) {
            const auto i = static_cast<std::size_t>(xb.at(r, 0));
            EXPECT_EQ(xb.at(r, 1), 10.0f * static_cast<float>(i));
            EXPECT_EQ(xb.at(r, 2), -static_cast<float>(i));
            EXPECT_EQ(yb[r], labels[i]);
            seen.push_back(i);
        }
    }
    return seen;
}

std::vector<int> labels_for(std::size_t n) {
    std::vector<int> y(n);
    for (std::size_t i = 0; i < n; ++i) y[i] = static_cast<int>(i % 7);
    return y;
}

}  // namespace

TEST(DataLoader, BatchCountsAndShortLastBatch) {
    Tensor<float> X = numbered(23);
    auto y = labels_for(23);
    DataLoader keep(X, y, {.batch_size = 5, .seed = 1});
    EXPECT_EQ(keep.batches_per_epoch(), 5u);
    std::vector<std::size_t> sizes;
    run_epoch(keep, 0, y, &sizes);
    EXPECT_EQ(sizes, (std::vector<std::size_t>{5, 5, 5, 5, 3}));

    DataLoader drop(X, y, {.batch_size = 5, .seed = 1, .drop_last = true});
    EXPECT_EQ(drop.batches_per_epoch(), 4u);
    sizes.clear();
    auto seen = run_epoch(drop, 0, y, &sizes);
    EXPECT_EQ(sizes, (std::vector<std::size_t>{5, 5, 5, 5}));
    EXPECT_EQ(seen.size(), 20u);

    // Exact multiple: no short batch either way; batch larger than the data: one batch.
    Tensor<float> X20 = numbered(20);
    auto y20 = labels_for(20);
    EXPECT_EQ(DataLoader(X20, y20, {.batch_size = 5, .drop_last = true}).batches_per_epoch(), 4u);
    DataLoader one(X20, y20, {.batch_size = 64});
    EXPECT_EQ(one.batches_per_epoch(), 1u);
    sizes.clear();
    run_epoch(one, 0, y20, &sizes);
    EXPECT_EQ(sizes, std::vector<std::size_t>{20});
    EXPECT_EQ(DataLoader(X20, y20, {.batch_size = 64, .drop_last = true}).batches_per_epoch(), 0u);
}

TEST(DataLoader, EveryIndexOncePerEpochOverASubset) {
    Tensor<float> X = numbered(50);
    auto y = labels_for(50);
    std::vector<std::size_t> subset;
    for (std::size_t i = 3; i < 50; i += 3) subset.push_back(i);
    DataLoader loader(X, y, subset, {.batch_size = 4, .seed = 9});
    EXPECT_EQ(loader.size(), subset.size());
    for (std::size_t e = 0; e < 4; ++e) {
        auto seen = run_epoch(loader, e, y);
        std::sort(seen.begin(), seen.end());
        EXPECT_EQ(seen, subset) << "epoch " << e;
    }
}

TEST(DataLoader, ReshufflesPerEpochDeterministically) {
    Tensor<float> X = numbered(40);
    auto y = labels_for(40);
    DataLoader a(X, y, {.batch_size = 8, .seed = 123});
    DataLoader b(X, y, {.batch_size = 8, .seed = 123});
    DataLoader c(X, y, {.batch_size = 8, .seed = 124});
    auto a0 = run_epoch(a, 0, y), a1 = run_epoch(a, 1, y), a2 = run_epoch(a, 2, y);
    // Orders differ between epochs (40! orders: equal by chance ~1e-48).
    EXPECT_NE(a0, a1);
    EXPECT_NE(a1, a2);
    // Epoch e's order depends only on (seed, e): b jumps straight to epoch 2, then back to 0.
    EXPECT_EQ(run_epoch(b, 2, y), a2);
    EXPECT_EQ(run_epoch(b, 0, y), a0);
    EXPECT_NE(run_epoch(c, 0, y), a0);
    // next() without start_epoch runs epoch 0.
    DataLoader d(X, y, {.batch_size = 8, .seed = 123});
    Tensor<float> xb;
    std::vector<int> yb;
    ASSERT_TRUE(d.next(xb, yb));
    EXPECT_EQ(static_cast<std::size_t>(xb.at(0, 0)), a0[0]);
    // shuffle = false keeps the subset's order.
    DataLoader plain(X, y, {.batch_size = 8, .seed = 123, .shuffle = false});
    std::vector<std::size_t> in_order(40);
    std::iota(in_order.begin(), in_order.end(), std::size_t(0));
    EXPECT_EQ(run_epoch(plain, 3, y), in_order);
}

TEST(DataLoader, ReusesBatchBuffers) {
    Tensor<float> X = numbered(100);
    auto y = labels_for(100);
    DataLoader loader(X, y, {.batch_size = 16, .seed = 2});
    Tensor<float> xb;
    std::vector<int> yb;
    ASSERT_TRUE(loader.next(xb, yb));
    const float* storage = xb.data();
    const int* labels = yb.data();
    for (std::size_t e = 0; e < 3; ++e) {
        loader.start_epoch(e);
        while (loader.next(xb, yb)) {
            EXPECT_EQ(xb.data(), storage);  // resize() reuses storage large enough
            EXPECT_EQ(yb.data(), labels);
        }
    }
}

TEST(DataLoader, ParallelGatherOneAndTwoThreads) {
    // Batches of 200 rows x 512 columns (102,400 floats, past kParallelThreshold) are
    // gathered by the thread team: every element must be its source row's, for features and
    // regression targets alike, and the batches the same on 1 and 2 threads.
    constexpr std::size_t n = 450, d = 512, t = 400;
    static_assert(200 * d >= kParallelThreshold && 200 * t >= kParallelThreshold);
    Tensor<float> X = Tensor<float>::empty({n, d});
    Tensor<float> T = Tensor<float>::empty({n, t});
    for (std::size_t i = 0; i < n; ++i) {
        for (std::size_t j = 0; j < d; ++j) X.at(i, j) = static_cast<float>(i * d + j);
        for (std::size_t j = 0; j < t; ++j) T.at(i, j) = -static_cast<float>(i * t + j);
    }
    const int saved = max_threads();
    std::vector<std::vector<float>> first;
    for (int threads : {1, 2}) {
        set_threads(threads);
        DataLoader loader(X, {}, {.batch_size = 200, .seed = 5});
        loader.set_targets(T);
        Tensor<float> xb, tb;
        std::size_t batch = 0, rows = 0;
        loader.start_epoch(3);
        while (loader.next(xb, tb)) {
            ASSERT_EQ(xb.cols(), d);
            ASSERT_EQ(tb.rows(), xb.rows());
            for (std::size_t r = 0; r < xb.rows(); ++r) {
                const auto i = static_cast<std::size_t>(xb.at(r, 0)) / d;
                ASSERT_LT(i, n);
                for (std::size_t j = 0; j < d; ++j) ASSERT_EQ(xb.at(r, j), X.at(i, j));
                for (std::size_t j = 0; j < t; ++j) ASSERT_EQ(tb.at(r, j), T.at(i, j));
            }
            rows += xb.rows();
            std::vector<float> flat(xb.data(), xb.data() + xb.size());
            if (threads == 1)
                first.push_back(std::move(flat));
            else
                EXPECT_EQ(flat, first.at(batch)) << "batch " << batch;
            ++batch;
        }
        EXPECT_EQ(rows, n);
        EXPECT_EQ(batch, 3u);  // 200, 200 and the short last batch of 50
    }
    set_threads(saved);
}

TEST(DataLoader, UnlabelledDataAndIndicesOnly) {
    Tensor<float> X = numbered(10);
    DataLoader loader(X, std::vector<int>{}, {.batch_size = 4, .shuffle = false});
    Tensor<float> xb;
    std::vector<int> yb = {1, 2, 3};
    ASSERT_TRUE(loader.next(xb, yb));
    EXPECT_TRUE(yb.empty());
    EXPECT_EQ(xb.rows(), 4u);
    auto idx = loader.next_indices();
    EXPECT_EQ(std::vector<std::size_t>(idx.begin(), idx.end()),
              (std::vector<std::size_t>{4, 5, 6, 7}));
}

TEST(DataLoader, Errors) {
    Tensor<float> X = numbered(10);
    auto y = labels_for(10);
    EXPECT_THROW_CONTAINS(DataLoader(X, y, {.batch_size = 0}), std::invalid_argument, "batch size");
    auto short_labels = labels_for(9);
    EXPECT_THROW_CONTAINS(DataLoader(X, short_labels, {.batch_size = 2}), std::invalid_argument,
                          "9 labels", "10x3");
    std::vector<std::size_t> bad = {1, 10};
    EXPECT_THROW_CONTAINS(DataLoader(X, y, bad, {.batch_size = 2}), std::invalid_argument,
                          "index 10", "10x3");
    Tensor<float> flat = Tensor<float>::zeros({10});
    EXPECT_THROW_CONTAINS(DataLoader(flat, y, {.batch_size = 2}), std::invalid_argument, "(N, D)");
}
