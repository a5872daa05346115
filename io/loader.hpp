// DataLoader: mini-batches over a subset of a data set's rows, reshuffled every epoch.
//
// Epoch e's order depends only on (seed, e), not on how many epochs ran before: the loader
// seeds an Rng with splitmix64-style mixing of seed and e and shuffles the subset's indices.
// So a run that resumes at epoch 7 sees the same batches as one that never stopped.
//
// next(xb, yb) copies the rows of the current batch into xb (B, D) and their labels into yb
// (B), reusing both buffers: after the first batch of the largest size, steady-state
// training allocates nothing. Every index of the subset appears exactly once per epoch; the
// last batch is shorter (N mod B rows) unless drop_last, which skips it.
//
// Usage:
//   DataLoader loader(data.X, data.labels, split.train, {.batch_size = 32, .seed = 1});
//   for (std::size_t epoch = 0; epoch < epochs; ++epoch) {
//       loader.start_epoch(epoch);
//       while (loader.next(xb, yb)) { ... }
//   }
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "ffnn/tensor/tensor.hpp"

namespace ffnn {

struct LoaderOptions {
    std::size_t batch_size = 32;
    std::uint64_t seed = 0;
    bool shuffle = true;     // false: the subset's own order every epoch (evaluation)
    bool drop_last = false;  // true: skip the last batch when it is short
};

class DataLoader {
  public:
    // X (N, D); labels (N) or empty (unlabelled: yb stays empty); indices: rows of X to
    // visit, each < N. The loader keeps a view of X (shared storage, no copy), so X must not
    // be resized while the loader is in use. Throws std::invalid_argument on a shape
    // mismatch, an index out of range or batch_size 0.
    DataLoader(const Tensor<float>& X, std::span<const int> labels,
               std::vector<std::size_t> indices, const LoaderOptions& options);
    // Over every row of X in order.
    DataLoader(const Tensor<float>& X, std::span<const int> labels, const LoaderOptions& options);

    // Sets up epoch `epoch` (its order and position 0). next() before any start_epoch runs
    // epoch 0.
    void start_epoch(std::size_t epoch);
    // The next batch: xb (B, D), yb (B). Returns false (buffers untouched) at the epoch's end.
    bool next(Tensor<float>& xb, std::vector<int>& yb);
    // Regression: targets (N, T) for the rows of X, kept as a view like X. Throws
    // std::invalid_argument unless targets has X's N rows.
    void set_targets(const Tensor<float>& targets);
    // The next batch with its targets: xb (B, D), tb (B, T) (set_targets first: throws
    // std::logic_error otherwise). Returns false (buffers untouched) at the epoch's end.
    bool next(Tensor<float>& xb, Tensor<float>& tb);

    // The row indices of the next batch, without copying (for code that gathers itself).
    // Returns an empty span at the epoch's end; advances like next().
    std::span<const std::size_t> next_indices();

    std::size_t size() const { return indices_.size(); }  // examples per epoch (before drop_last)
    std::size_t batch_size() const { return options_.batch_size; }
    std::size_t batches_per_epoch() const;
    std::size_t epoch() const { return epoch_; }
    // This epoch's visiting order.
    const std::vector<std::size_t>& order() const { return order_; }

  private:
    Tensor<float> X_;        // view of the caller's X (N, D)
    Tensor<float> targets_;  // view of the caller's targets (N, T), or empty
    std::vector<int> labels_;
    std::vector<std::size_t> indices_;
    LoaderOptions options_;
    std::vector<std::size_t> order_;
    std::size_t epoch_ = 0;
    std::size_t pos_ = 0;
    bool started_ = false;
};

// The Rng seed of epoch `epoch` for a loader seeded with `seed` (splitmix64 finaliser of
// their mix): exposed so tests and tools can reproduce an order.
std::uint64_t epoch_seed(std::uint64_t seed, std::size_t epoch);

}  // namespace ffnn
