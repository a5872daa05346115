// The data-parallel gradient step; see data_parallel.hpp for the shards and the tree.
#include "ffnn/train/data_parallel.hpp"

#include <algorithm>
#include <cassert>
#include <chrono>
#include <cmath>
#include <stdexcept>

namespace ffnn {

std::size_t default_shards(std::size_t batch_size) {
    return std::max<std::size_t>(1, (batch_size + kRowsPerShard - 1) / kRowsPerShard);
}

namespace {

// The smallest power of two >= n (n >= 1): the span of the tree's root.
std::size_t root_span(std::size_t n) {
    std::size_t p = 1;
    while (p < n) p *= 2;
    return p;
}

// Pushes leaf `s` onto a stack of aligned nodes and merges the top two while they are the two
// halves of one node: what stays on the stack are the maximal aligned nodes seen so far.
// merge(lower, upper) adds the upper (right) half into the lower (left) one.
template <class Merge>
void push_leaf(std::vector<ShardBlock>& stack, std::size_t s, Merge merge) {
    stack.push_back({s, 1});
    while (stack.size() >= 2) {
        ShardBlock& lower = stack[stack.size() - 2];
        const ShardBlock& upper = stack.back();
        if (lower.count != upper.count || lower.first % (2 * lower.count) != 0) break;
        merge(stack.size() - 2, stack.size() - 1);
        lower.count *= 2;
        stack.pop_back();
    }
}

// The sum of tree node [first, first + count), from the blocks: a pointer to it (width
// values), either a block's own sum in `sums` or `out` written with left + right. scratch holds
// one buffer of width per tree level (sized by the caller), where a right half is built; a
// left half is built in out itself, so each level adds in one pass, reading two, writing one.
const float* eval_node(std::span<const ShardBlock> blocks, std::span<const float> sums,
                       std::size_t width, std::size_t shards, std::size_t first, std::size_t count,
                       float* out, std::vector<std::vector<float>>& scratch, std::size_t depth) {
    for (std::size_t b = 0; b < blocks.size(); ++b)
        if (blocks[b].first == first && blocks[b].count == count) return sums.data() + b * width;
    // Not a block: the node straddles blocks (a leaf is always inside a block, so count > 1).
    if (count < 2)
        throw std::logic_error("combine_blocks: shard " + std::to_string(first) +
                               " is in no block");
    const std::size_t half = count / 2;
    const float* left =
        eval_node(blocks, sums, width, shards, first, half, out, scratch, depth + 1);
    if (first + half >= shards) return left;  // the right half is absent: the node is its left
    std::vector<float>& buffer = scratch.at(depth);
    buffer.resize(width);
    const float* right = eval_node(blocks, sums, width, shards, first + half, half, buffer.data(),
                                   scratch, depth + 1);
    for (std::size_t i = 0; i < width; ++i) out[i] = left[i] + right[i];
    return out;
}

}  // namespace

std::vector<ShardBlock> shard_blocks(std::size_t first, std::size_t end, std::size_t shards) {
    if (first > end || end > shards)
        throw std::invalid_argument("shard_blocks: range [" + std::to_string(first) + ", " +
                                    std::to_string(end) + ") is not inside " +
                                    std::to_string(shards) + " shards");
    std::vector<ShardBlock> stack;
    for (std::size_t s = first; s < end; ++s) push_leaf(stack, s, [](std::size_t, std::size_t) {});
    return stack;
}

void combine_blocks(std::span<const ShardBlock> blocks, std::span<const float> sums,
                    std::size_t width, std::size_t shards, std::span<float> out) {
    std::vector<std::vector<float>> workspace;
    combine_blocks(blocks, sums, width, shards, out, workspace);
}

void combine_blocks(std::span<const ShardBlock> blocks, std::span<const float> sums,
                    std::size_t width, std::size_t shards, std::span<float> out,
                    std::vector<std::vector<float>>& workspace) {
    if (sums.size() != blocks.size() * width || out.size() != width || shards == 0)
        throw std::invalid_argument("combine_blocks: " + std::to_string(blocks.size()) +
                                    " blocks of " + std::to_string(width) + " values, but " +
                                    std::to_string(sums.size()) + " sums");
    const std::size_t root = root_span(shards);
    std::size_t levels = 1;
    for (std::size_t c = root; c > 1; c /= 2) ++levels;
    if (workspace.size() < levels) workspace.resize(levels);
    const float* root_sum =
        eval_node(blocks, sums, width, shards, 0, root, out.data(), workspace, 0);
    if (root_sum != out.data()) std::copy_n(root_sum, width, out.data());
}

DataParallelStep::DataParallelStep(Model<float>& model, Optimizer<float>& optimizer,
                                   Communicator* comm, std::size_t shards, ReduceKind reduce)
    : model_(model), optimizer_(optimizer), comm_(comm), shards_(shards), reduce_(reduce) {
    if (shards_ == 0) throw std::invalid_argument("DataParallelStep: shards must be at least 1");
    if (comm_) {
        rank_ = comm_->rank();
        size_ = comm_->size();
    }
    for (const Param<float>& p : model_.parameter_list()) width_ += p.grad->size();
    const std::vector<std::size_t> sizes = model_.layer_sizes();
    stats_width_ = 2 * std::max<std::size_t>(1, sizes.empty() ? 1 : sizes.back());
    stats_.assign(stats_width_, 0.0f);
    shard_stats_.assign(stats_width_, 0.0f);
    width_ += 1 + stats_width_;  // the loss, the statistics
    counts_.assign(static_cast<std::size_t>(size_), 0);
    for (int r = 0; r < size_; ++r) {
        const RankRange range = rank_range(shards_, r, size_);
        const std::vector<ShardBlock> b = shard_blocks(range.first, range.end, shards_);
        if (r == rank_) {
            my_first_block_ = all_blocks_.size();
            my_blocks_ = b.size();
        }
        all_blocks_.insert(all_blocks_.end(), b.begin(), b.end());
        counts_[static_cast<std::size_t>(r)] =
            (reduce_ == ReduceKind::Fixed ? b.size() : 1) * width_;
    }
    sum_.resize(width_);
}

void DataParallelStep::pack(float* out, float loss, const float* stats) {
    for (const Param<float>& p : model_.parameter_list())
        out = std::copy_n(p.grad->data(), p.grad->size(), out);
    *out++ = loss;
    std::copy_n(stats, stats_width_, out);
}

void DataParallelStep::unpack(const float* in) {
    for (const Param<float>& p : model_.parameter_list()) {
        std::copy_n(in, p.grad->size(), p.grad->data());
        in += p.grad->size();
    }
}

float DataParallelStep::shard_loss(const Tensor<float>& x, const Truth& y, std::size_t a,
                                   std::size_t b, float* stats) {
    const Tensor<float>& out = model_.forward(x.rows(a, b));  // (b - a, K)
    if (!y.target) {
        const std::span<const int> labels = y.labels.subspan(a, b - a);
        stats[0] += static_cast<float>(correct_rows(out, labels));
        return model_.loss().forward(out, labels);
    }
    const Tensor<float> target = y.target->rows(a, b);  // (b - a, T)
    const std::size_t T = out.cols();
    if (2 * T <= stats_width_ && target.cols() == T) {
        for (std::size_t t = 0; t < T; ++t) {
            float* s = stats + 2 * t;
            for (std::size_t r = 0; r < out.rows(); ++r) {
                const float e = out(r, t) - target(r, t);
                s[0] += e * e;
                s[1] += std::fabs(e);
            }
        }
    }
    return model_.loss().forward(out, target);
}

void DataParallelStep::local_fixed(const Tensor<float>& x, const Truth& y) {
    const std::size_t N = x.rows();
    const RankRange mine = rank_range(shards_, rank_, size_);
    std::vector<ShardBlock> nodes;
    stack_.resize(std::max(stack_.size(), my_blocks_ + 1));
    std::size_t depth = 0;  // buffers of stack_ in use, one per node of `nodes`
    for (std::size_t s = mine.first; s < mine.end; ++s) {
        if (stack_.size() <= depth) stack_.resize(depth + 1);
        std::vector<float>& leaf = stack_[depth];
        leaf.resize(width_);
        const std::size_t a = s * N / shards_, b = (s + 1) * N / shards_;
        if (a == b) {
            std::fill(leaf.begin(), leaf.end(), 0.0f);  // an empty shard adds nothing
        } else {
            // rows [a, b) of x (b - a, D): its gradient alone, each row weighted 1 / N
            model_.zero_grad();
            std::fill(shard_stats_.begin(), shard_stats_.end(), 0.0f);
            const float loss = shard_loss(x, y, a, b, shard_stats_.data());
            model_.backward(model_.loss().backward());
            pack(leaf.data(), loss, shard_stats_.data());
        }
        ++depth;
        push_leaf(nodes, s, [&](std::size_t lower, std::size_t upper) {
            std::vector<float>& l = stack_[lower];
            const std::vector<float>& u = stack_[upper];
            for (std::size_t i = 0; i < width_; ++i) l[i] = l[i] + u[i];
            --depth;
        });
    }
    assert(nodes.size() == my_blocks_);
    send_.resize(my_blocks_ * width_);
    for (std::size_t b = 0; b < my_blocks_; ++b)
        std::copy(stack_[b].begin(), stack_[b].end(), send_.begin() + b * width_);
}

void DataParallelStep::local_fast(const Tensor<float>& x, const Truth& y) {
    const std::size_t N = x.rows();
    const RankRange mine = rank_range(shards_, rank_, size_);
    model_.zero_grad();
    bool any = false;
    float loss = 0.0f;
    std::fill(shard_stats_.begin(), shard_stats_.end(), 0.0f);  // the sum of this rank's
    for (std::size_t s = mine.first; s < mine.end; ++s) {
        const std::size_t a = s * N / shards_, b = (s + 1) * N / shards_;
        if (a == b) continue;
        // backward after the first one adds into the gradients
        loss += shard_loss(x, y, a, b, shard_stats_.data());
        model_.backward(model_.loss().backward());
        any = true;
    }
    send_.resize(width_);
    if (any)
        pack(send_.data(), loss, shard_stats_.data());
    else
        std::fill(send_.begin(), send_.end(), 0.0f);  // after zero_grad alone, grads are stale
}

float DataParallelStep::step(const Tensor<float>& x, std::span<const int> labels) {
    if (labels.size() != x.rows())
        throw std::invalid_argument("DataParallelStep: " + std::to_string(labels.size()) +
                                    " labels for a batch of " + std::to_string(x.rows()) + " rows");
    stats_used_ = 1;  // on every rank, whether it has a shard or not
    if (shards_ == 1 && size_ == 1) return whole(x, Truth{labels, nullptr});
    return run(x, Truth{labels, nullptr});
}

float DataParallelStep::step(const Tensor<float>& x, const Tensor<float>& target) {
    if (target.rank() != 2 || target.rows() != x.rows())
        throw std::invalid_argument("DataParallelStep: targets of shape " +
                                    target.shape().to_string() + " for a batch of " +
                                    std::to_string(x.rows()) + " rows");
    stats_used_ = 2 * target.cols() <= stats_width_ ? 2 * target.cols() : 0;
    if (shards_ == 1 && size_ == 1) return whole(x, Truth{{}, &target});
    return run(x, Truth{{}, &target});
}

float DataParallelStep::whole(const Tensor<float>& x, const Truth& y) {
    // Model::train_step's four calls, with the statistics taken from the forward pass.
    ++steps_;
    model_.zero_grad();
    std::fill(stats_.begin(), stats_.end(), 0.0f);
    const float loss = shard_loss(x, y, 0, x.rows(), stats_.data());
    model_.backward_and_step(model_.loss().backward(), optimizer_);
    return loss;
}

float DataParallelStep::run(const Tensor<float>& x, const Truth& y) {
    ++steps_;
    Loss<float>& loss = model_.loss();
    loss.set_mean_rows(x.rows());
    try {
        if (reduce_ == ReduceKind::Fixed)
            local_fixed(x, y);
        else
            local_fast(x, y);
    } catch (...) {
        loss.set_mean_rows(0);
        throw;
    }
    loss.set_mean_rows(0);

    // Only the collective is timed: in one process there is none.
    const auto t0 = std::chrono::steady_clock::now();
    auto add_reduce_time = [&] {
        if (size_ > 1)
            reduce_seconds_ +=
                std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    };
    if (reduce_ == ReduceKind::Fixed) {
        recv_.resize(all_blocks_.size() * width_);
        if (size_ == 1)
            recv_ = send_;
        else
            comm_->allgatherv(send_, recv_, counts_);
        add_reduce_time();
        combine_blocks(all_blocks_, recv_, width_, shards_, sum_, tree_);
    } else {
        if (size_ > 1) comm_->allreduce_sum(send_);
        add_reduce_time();
        sum_ = send_;
    }
    unpack(sum_.data());
    optimizer_.step();
    const float* tail = sum_.data() + (width_ - 1 - stats_width_);  // the loss, then the stats
    std::copy_n(tail + 1, stats_width_, stats_.data());
    return tail[0];
}

}  // namespace ffnn
