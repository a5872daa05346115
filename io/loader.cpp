// DataLoader: per-epoch deterministic shuffles, batches gathered into reused buffers.
#include "ffnn/io/loader.hpp"

#include <cstring>
#include <numeric>
#include <stdexcept>
#include <string>

#include "ffnn/tensor/parallel.hpp"
#include "ffnn/tensor/random.hpp"

namespace ffnn {

std::uint64_t epoch_seed(std::uint64_t seed, std::size_t epoch) {
    // splitmix64's finaliser (Steele, Lea & Flood 2014) on seed + (epoch+1) * golden gamma:
    // nearby seeds and epochs give unrelated streams.
    std::uint64_t z = seed + (static_cast<std::uint64_t>(epoch) + 1) * 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

DataLoader::DataLoader(const Tensor<float>& X, std::span<const int> labels,
                       std::vector<std::size_t> indices, const LoaderOptions& options)
    : X_(X.view()),
      labels_(labels.begin(), labels.end()),
      indices_(std::move(indices)),
      options_(options) {
    if (X_.rank() != 2)
        throw std::invalid_argument("DataLoader: X must be (N, D), got " + X_.shape().to_string());
    if (options_.batch_size == 0)
        throw std::invalid_argument("DataLoader: batch size must be at least 1");
    const std::size_t n = X_.rows();
    if (!labels_.empty() && labels_.size() != n)
        throw std::invalid_argument("DataLoader: " + std::to_string(labels_.size()) +
                                    " labels for X " + X_.shape().to_string());
    for (std::size_t i : indices_)
        if (i >= n)
            throw std::invalid_argument("DataLoader: index " + std::to_string(i) +
                                        " out of range for X " + X_.shape().to_string());
}

DataLoader::DataLoader(const Tensor<float>& X, std::span<const int> labels,
                       const LoaderOptions& options)
    : DataLoader(X, labels, std::vector<std::size_t>(X.rank() >= 1 ? X.rows() : 0), options) {
    std::iota(indices_.begin(), indices_.end(), std::size_t(0));
}

std::size_t DataLoader::batches_per_epoch() const {
    const std::size_t n = indices_.size(), b = options_.batch_size;
    return options_.drop_last ? n / b : (n + b - 1) / b;
}

void DataLoader::start_epoch(std::size_t epoch) {
    epoch_ = epoch;
    pos_ = 0;
    started_ = true;
    order_ = indices_;  // reuses order_'s storage after the first epoch
    if (options_.shuffle) {
        Rng rng(epoch_seed(options_.seed, epoch));
        rng.shuffle(order_);
    }
}

std::span<const std::size_t> DataLoader::next_indices() {
    if (!started_) start_epoch(0);
    const std::size_t n = order_.size();
    if (pos_ >= n) return {};
    const std::size_t b = std::min(options_.batch_size, n - pos_);
    if (b < options_.batch_size && options_.drop_last) {
        pos_ = n;
        return {};
    }
    std::span<const std::size_t> batch(order_.data() + pos_, b);
    pos_ += b;
    return batch;
}

namespace {

// src (N, C), batch (B) -> dst (B, C): the listed rows, into dst's storage when it is large
// enough. The rows are shuffled, so each is a fresh stream from memory and the copy waits
// on memory latency, not bandwidth: from kParallelThreshold elements the threads copy
// rows in parallel. A batch of 128 Fashion-MNIST rows (784 floats each, from a 169 MB
// array in shuffled order) took 48.5 us on 1 thread and 25 us on 2 (Xeon model 207,
// bench/RESULTS.md "The batch gather"), against a training step of about 700 us. A copy:
// the same bytes for any thread count.
void copy_rows(const Tensor<float>& src, std::span<const std::size_t> batch, Tensor<float>& dst) {
    const std::size_t c = src.cols();
    dst.resize({batch.size(), c});
    const auto rows = static_cast<std::ptrdiff_t>(batch.size());
    const float* from = src.data();
    float* to = dst.data();
#pragma omp parallel for schedule(static) if (batch.size() * c >= kParallelThreshold)
    for (std::ptrdiff_t r = 0; r < rows; ++r)
        std::memcpy(to + std::size_t(r) * c, from + batch[std::size_t(r)] * c, c * sizeof(float));
}

}  // namespace

void DataLoader::set_targets(const Tensor<float>& targets) {
    if (targets.rank() != 2 || targets.rows() != X_.rows())
        throw std::invalid_argument("DataLoader: targets of shape " + targets.shape().to_string() +
                                    " for X of shape " + X_.shape().to_string() +
                                    "; expected (N, T) with X's N rows");
    targets_ = targets.view();
}

bool DataLoader::next(Tensor<float>& xb, Tensor<float>& tb) {
    if (targets_.rank() != 2) throw std::logic_error("DataLoader::next: no targets were set");
    std::span<const std::size_t> batch = next_indices();
    if (batch.empty()) return false;
    copy_rows(X_, batch, xb);        // (B, D)
    copy_rows(targets_, batch, tb);  // (B, T)
    return true;
}

bool DataLoader::next(Tensor<float>& xb, std::vector<int>& yb) {
    std::span<const std::size_t> batch = next_indices();
    if (batch.empty()) return false;
    // X (N, D), batch (B) -> xb (B, D), yb (B)
    copy_rows(X_, batch, xb);
    yb.resize(labels_.empty() ? 0 : batch.size());
    for (std::size_t r = 0; r < yb.size(); ++r) yb[r] = labels_[batch[r]];
    return true;
}

}  // namespace ffnn
