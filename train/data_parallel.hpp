// The gradient step of data-parallel training: one global mini-batch, cut into a fixed number
// of shards, over the ranks of a Communicator, with the same bits whatever the rank count.
//
// The batch of N rows (the --batch-size the user gave) is cut into S shards, shard s being
// rows [s N / S, (s + 1) N / S) (empty when N < S, at the end of an epoch). Rank r of P takes
// the shards [r S / P, (r + 1) S / P) (contiguous; rank_range). Each shard's gradient is
// computed on its own: zero_grad, forward and backward of the shard's rows, with the loss
// dividing by the global N (Loss::set_mean_rows), so each row's gradient term is the one a
// single process computes on the whole batch. Then the shard gradients are summed, the sum
// given to the optimiser (which clips it, when asked, then updates).
//
// ReduceKind::Fixed sums the S shard gradients along one binary tree over the shard indices,
// fixed by S alone: node [i, i + 2^k) (i a multiple of 2^k) = left half + right half; a node
// starting at or past S is absent, and a node whose right half is absent is its left half.
// Each rank sums the nodes wholly inside its shard range locally: its range splits into the
// maximal aligned nodes inside it (shard_blocks), at most 2 log2(S) of them. One Allgatherv
// of the packed block sums gives every rank every block, in shard order, and every rank adds
// the blocks up the same tree (combine_blocks). Every addition is the one a single process
// does, whatever P: the weights and the losses are bit-identical for P = 1, 2, 3, ... with the
// same S. The bytes each rank receives: (blocks of all ranks - its own) x (parameters + 1) x 4;
// P blocks in all when P divides S and both are powers of two, at most P (2 log2(S/P) + 2).
//
// ReduceKind::Fast lets each rank add its shards' gradients by accumulating in backward, then
// one MPI_Allreduce of the packed sum: MPI picks the order, so the bits depend on P (and on
// the MPI library's algorithm), not the run's correctness.
//
// One collective per step, of one buffer packing every parameter's gradient in parameter
// order, then the loss, then the batch's statistics (batch_stats). The loss of the batch
// travels with the gradients, so that every rank sees the same value and stops at the same
// divergence; the statistics, so that the epoch's running training metrics are the same
// bits on every rank and for every rank count.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "ffnn/nn/model.hpp"
#include "ffnn/nn/names.hpp"
#include "ffnn/nn/optim.hpp"
#include "ffnn/train/distributed.hpp"

namespace ffnn {

enum class ReduceKind { Fixed, Fast };

inline constexpr NamedValue<ReduceKind> kReduceNames[] = {{ReduceKind::Fixed, "fixed"},
                                                          {ReduceKind::Fast, "fast"}};
inline std::string to_string(ReduceKind kind) {
    return std::string(name_of<ReduceKind>(kReduceNames, kind));
}

// The shard count a batch of batch_size rows gets when none is given: one shard per
// kRowsPerShard rows (rounded up). Derived from the batch alone, never from the rank count,
// so that the result of a run does not change with P. Each shard costs a pass of
// parameter-sized work (its own dW, packed and added), measured on 784-256-128-10 at one
// thread as 0.16-0.28 ms a shard against 0.9 ms for a whole 128-row step (bench/RESULTS.md):
// 256 rows keeps a single process at batch <= 256 unsharded (its speed and bits unchanged)
// and costs about 7 % at batch 1024 (4 shards). Under mpirun give --shards >= P.
inline constexpr std::size_t kRowsPerShard = 256;
std::size_t default_shards(std::size_t batch_size);

// An aligned node of the shard tree: shards [first, first + count), count a power of two and
// first a multiple of it, clipped to the shard count.
struct ShardBlock {
    std::size_t first = 0, count = 0;
};
// The maximal aligned nodes inside shards [first, end) of a tree over `shards` shards, in
// shard order (what one rank sums locally).
std::vector<ShardBlock> shard_blocks(std::size_t first, std::size_t end, std::size_t shards);
// The root of the tree from the sums of blocks that cover [0, shards) in order (every rank's
// shard_blocks, rank after rank): block b's sum is sums[b * width, (b + 1) * width). Writes
// out (width). Additions in tree order; out may not alias sums. workspace: one buffer per
// tree level, kept by a caller that combines every step (fresh pages cost more than the sum).
void combine_blocks(std::span<const ShardBlock> blocks, std::span<const float> sums,
                    std::size_t width, std::size_t shards, std::span<float> out,
                    std::vector<std::vector<float>>& workspace);
void combine_blocks(std::span<const ShardBlock> blocks, std::span<const float> sums,
                    std::size_t width, std::size_t shards, std::span<float> out);

class DataParallelStep {
  public:
    // The model and optimiser of this rank (the optimiser over model.parameters()); comm
    // nullptr means one process. shards >= 1.
    DataParallelStep(Model<float>& model, Optimizer<float>& optimizer, Communicator* comm,
                     std::size_t shards, ReduceKind reduce);

    // x (N, D), labels (N): the whole global batch, the same on every rank. Computes this
    // rank's shard gradients, reduces them, steps the optimiser; returns the batch's loss
    // (the same on every rank).
    float step(const Tensor<float>& x, std::span<const int> labels);
    // The same with targets (N, T) for a loss that takes them (regression with mse).
    float step(const Tensor<float>& x, const Tensor<float>& target);

    // What the last step counted besides the loss, summed over its batch (each shard's sums
    // added along the same tree as the gradients, so the same bits for any rank count):
    //   with labels:  {rows whose prediction is the label}                     (1 value)
    //   with targets: per output t, {sum e^2, sum |e|} at [2t, 2t + 2), e = output - target
    //                 in the network's units                                   (2 T values)
    // Float sums of at most a batch: exact for the counts, ~1e-7 relative for the others.
    // fit() makes the running training metrics of an epoch from them (as Keras reports them:
    // each batch measured with the weights before its step).
    std::span<const float> batch_stats() const { return {stats_.data(), stats_used_}; }

    // Seconds spent in the collective (and waiting in it for the slowest rank) so far.
    double reduce_seconds() const { return reduce_seconds_; }
    std::size_t steps() const { return steps_; }

  private:
    // What a batch's rows are compared with: labels (N), or target (N, T) when not null.
    struct Truth {
        std::span<const int> labels;
        const Tensor<float>* target = nullptr;
    };
    float run(const Tensor<float>& x, const Truth& y);    // sharded, or several ranks
    float whole(const Tensor<float>& x, const Truth& y);  // one shard, one process
    // Forward and loss of rows [a, b) of the batch, leaving the loss gradient for backward,
    // and the rows' statistics (batch_stats) added into stats (stats_width_ values).
    float shard_loss(const Tensor<float>& x, const Truth& y, std::size_t a, std::size_t b,
                     float* stats);
    // This rank's shards' gradients, summed per block of the tree (Fixed) or in one buffer
    // (Fast), into send_.
    void local_fixed(const Tensor<float>& x, const Truth& y);
    void local_fast(const Tensor<float>& x, const Truth& y);
    void pack(float* out, float loss, const float* stats);
    void unpack(const float* in);

    Model<float>& model_;
    Optimizer<float>& optimizer_;
    Communicator* comm_;
    std::size_t shards_;
    ReduceKind reduce_;
    int rank_ = 0, size_ = 1;
    std::size_t width_ = 0;        // packed length: every parameter, the loss, the statistics
    std::size_t stats_width_ = 0;  // 2 x the model's outputs (room for either kind)
    std::vector<float> stats_;     // the last step's statistics, stats_width_ (batch_stats)
    std::vector<float> shard_stats_;
    std::size_t stats_used_ = 0;          // 1 with labels, 2 T with targets
    std::vector<ShardBlock> all_blocks_;  // every rank's blocks, in rank (= shard) order
    std::vector<std::size_t> counts_;     // floats each rank sends: its blocks x width
    std::size_t my_first_block_ = 0, my_blocks_ = 0;
    std::vector<float> send_, recv_, sum_;
    std::vector<std::vector<float>> stack_;  // partial sums of the local tree (Fixed)
    std::vector<std::vector<float>> tree_;   // combine_blocks' workspace
    double reduce_seconds_ = 0;
    std::size_t steps_ = 0;
};

}  // namespace ffnn
