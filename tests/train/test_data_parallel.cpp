// The data-parallel gradient step without MPI: the shard tree gives the same bits for every
// way of splitting the shards into contiguous rank ranges, and the sharded step computes the
// gradient of the global batch's mean (checked against the unsharded step in one process).
#include <gtest/gtest.h>

#include <barrier>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "ffnn/tensor/random.hpp"
#include "ffnn/train/data_parallel.hpp"

namespace ffnn {
namespace {

// The tree sum of leaves[first, first + count) written independently of combine_blocks:
// straight from the definition in data_parallel.hpp, on the leaves themselves.
std::vector<float> tree_sum(const std::vector<std::vector<float>>& leaves, std::size_t first,
                            std::size_t count) {
    if (count == 1) return leaves[first];
    const std::size_t half = count / 2;
    std::vector<float> left = tree_sum(leaves, first, half);
    if (first + half >= leaves.size()) return left;
    const std::vector<float> right = tree_sum(leaves, first + half, half);
    for (std::size_t i = 0; i < left.size(); ++i) left[i] = left[i] + right[i];
    return left;
}

std::size_t pow2_at_least(std::size_t n) {
    std::size_t p = 1;
    while (p < n) p *= 2;
    return p;
}

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

TEST(ShardBlocks, AreTheMaximalAlignedNodesOfARange) {
    auto blocks = [](std::size_t a, std::size_t b, std::size_t s) {
        std::vector<std::pair<std::size_t, std::size_t>> out;
        for (const ShardBlock& k : shard_blocks(a, b, s)) out.emplace_back(k.first, k.count);
        return out;
    };
    using V = std::vector<std::pair<std::size_t, std::size_t>>;
    EXPECT_EQ(blocks(0, 16, 16), (V{{0, 16}}));
    EXPECT_EQ(blocks(1, 4, 16), (V{{1, 1}, {2, 2}}));
    EXPECT_EQ(blocks(6, 11, 16), (V{{6, 2}, {8, 2}, {10, 1}}));
    EXPECT_EQ(blocks(0, 3, 3), (V{{0, 2}, {2, 1}}));
    EXPECT_TRUE(blocks(5, 5, 8).empty());
    EXPECT_THROW(shard_blocks(2, 9, 8), std::invalid_argument);
}

TEST(ShardTree, SameBitsForEveryRankCount) {
    // Leaves of very different magnitudes, so that another order of the additions would show.
    Rng rng(7);
    constexpr std::size_t kWidth = 64;
    bool some_order_differs = false;
    for (std::size_t shards = 1; shards <= 17; ++shards) {
        std::vector<std::vector<float>> leaves(shards, std::vector<float>(kWidth));
        for (auto& leaf : leaves)
            for (float& v : leaf)
                v = static_cast<float>(rng.normal() * std::pow(10.0, rng.uniform01() * 8 - 4));
        const std::vector<float> expected = tree_sum(leaves, 0, pow2_at_least(shards));
        std::vector<float> serial(kWidth, 0.0f);
        for (const auto& leaf : leaves)
            for (std::size_t i = 0; i < kWidth; ++i) serial[i] += leaf[i];
        some_order_differs = some_order_differs || !same_bits(serial, expected);

        for (int ranks = 1; ranks <= static_cast<int>(shards) + 2; ++ranks) {
            // Every rank's blocks, each summed as that rank would, concatenated in rank order.
            std::vector<ShardBlock> blocks;
            std::vector<float> sums;
            for (int r = 0; r < ranks; ++r) {
                const RankRange range = rank_range(shards, r, ranks);
                for (const ShardBlock& b : shard_blocks(range.first, range.end, shards)) {
                    blocks.push_back(b);
                    std::vector<std::vector<float>> part(leaves.begin() + b.first,
                                                         leaves.begin() + b.first + b.count);
                    const std::vector<float> s = tree_sum(part, 0, b.count);
                    sums.insert(sums.end(), s.begin(), s.end());
                }
            }
            std::vector<float> out(kWidth);
            combine_blocks(blocks, sums, kWidth, shards, out);
            EXPECT_TRUE(same_bits(out, expected)) << shards << " shards over " << ranks << " ranks";
        }
    }
    EXPECT_TRUE(some_order_differs) << "the leaves are too tame to tell the orders apart";
}

// A small classifier and a batch of 10 rows (shards of 2 and 3 rows with S = 4).
struct Trainee {
    Model<float> model;
    std::unique_ptr<Optimizer<float>> optimizer;
    explicit Trainee(const OptimizerConfig& oc) : model(spec()) {
        optimizer = make_optimizer<float>(oc, model.parameters());
    }
    static ModelSpec spec() {
        ModelSpec s;
        s.n_inputs = 4;
        s.hidden = {8};
        s.n_classes = 3;
        s.seed = 3;
        return s;
    }
};

void batch(Tensor<float>& x, std::vector<int>& y) {
    Rng rng(11);
    x = Tensor<float>::zeros(Shape{10, 4});
    y.resize(10);
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(rng.normal());
    for (std::size_t i = 0; i < y.size(); ++i) y[i] = static_cast<int>(i % 3);
}

TEST(DataParallelStep, OneShardIsTheTrainStep) {
    OptimizerConfig oc;
    oc.lr = 0.1;
    oc.momentum = 0.9;
    Trainee a(oc), b(oc);
    Tensor<float> x;
    std::vector<int> y;
    batch(x, y);
    DataParallelStep step(b.model, *b.optimizer, nullptr, 1, ReduceKind::Fixed);
    for (int k = 0; k < 3; ++k) EXPECT_EQ(a.model.train_step(x, y, *a.optimizer), step.step(x, y));
    for (const char* name : {"layers.0.W", "layers.0.b", "layers.1.W", "layers.1.b"}) {
        const Tensor<float>& va = *a.model.parameter(name).value;
        const Tensor<float>& vb = *b.model.parameter(name).value;
        EXPECT_EQ(std::memcmp(va.data(), vb.data(), va.size() * sizeof(float)), 0) << name;
    }
}

TEST(DataParallelStep, ShardsGiveTheGradientOfTheWholeBatchMean) {
    // Four shards of 2, 3, 2, 3 rows, each weighted 1 / 10 (a mean per shard would weight the
    // rows of the 2-row shards 1.5 times as much as the others: off by far more than 1e-6).
    for (ReduceKind reduce : {ReduceKind::Fixed, ReduceKind::Fast}) {
        OptimizerConfig oc;
        oc.lr = 0.5;
        Trainee a(oc), b(oc);
        Tensor<float> x;
        std::vector<int> y;
        batch(x, y);
        DataParallelStep step(b.model, *b.optimizer, nullptr, 4, reduce);
        const float la = a.model.train_step(x, y, *a.optimizer);
        const float lb = step.step(x, y);
        EXPECT_NEAR(la, lb, 1e-6) << to_string(reduce);
        for (const char* name : {"layers.0.W", "layers.0.b", "layers.1.W", "layers.1.b"}) {
            const Tensor<float>& ga = *a.model.parameter(name).grad;
            const Tensor<float>& gb = *b.model.parameter(name).grad;
            for (std::size_t i = 0; i < ga.size(); ++i)
                ASSERT_NEAR(ga[i], gb[i], 1e-6)
                    << to_string(reduce) << " " << name << "[" << i << "]";
        }
        EXPECT_EQ(step.steps(), 1u);
    }
}

// P ranks as P threads of this process: each collective copies every rank's part into a
// shared slot, waits for all, and reads them in rank order (an MPI stand-in for the tests).
class ThreadGroup {
  public:
    explicit ThreadGroup(int size) : size_(size), sync_(size), floats_(size), bytes_(size) {}

    class Rank final : public Communicator {
      public:
        Rank(ThreadGroup& g, int rank) : g_(g), rank_(rank) {}
        int rank() const override { return rank_; }
        int size() const override { return g_.size_; }
        void allreduce_sum(std::span<float> data) override {
            g_.floats_[rank_].assign(data.begin(), data.end());
            g_.sync_.arrive_and_wait();
            for (std::size_t i = 0; i < data.size(); ++i) {
                float sum = 0.0f;
                for (const auto& part : g_.floats_) sum += part[i];
                data[i] = sum;
            }
            g_.sync_.arrive_and_wait();
        }
        void allgatherv(std::span<const float> send, std::span<float> recv,
                        std::span<const std::size_t> counts) override {
            EXPECT_EQ(send.size(), counts[static_cast<std::size_t>(rank_)]);
            g_.floats_[rank_].assign(send.begin(), send.end());
            g_.sync_.arrive_and_wait();
            std::size_t at = 0;
            for (const auto& part : g_.floats_) {
                std::copy(part.begin(), part.end(), recv.begin() + static_cast<long>(at));
                at += part.size();
            }
            EXPECT_EQ(at, recv.size());
            g_.sync_.arrive_and_wait();
        }
        std::vector<std::string> allgather_bytes(const std::string& mine) override {
            g_.bytes_[rank_] = mine;
            g_.sync_.arrive_and_wait();
            std::vector<std::string> all = g_.bytes_;
            g_.sync_.arrive_and_wait();
            return all;
        }
        void abort(int code) override { std::exit(code); }

      private:
        ThreadGroup& g_;
        int rank_;
    };

  private:
    int size_;
    std::barrier<> sync_;
    std::vector<std::vector<float>> floats_;
    std::vector<std::string> bytes_;
};

// Every parameter of the model, concatenated, after `steps` steps of batches of 13 rows over
// 5 shards (shards of 2 or 3 rows) with Adam and clipping; comm nullptr: one process.
std::vector<float> train_steps(Communicator* comm, ReduceKind reduce, int steps) {
    OptimizerConfig oc;
    oc.kind = OptimizerKind::Adam;
    oc.lr = 0.01;
    oc.clip_norm = 0.5;
    Trainee t(oc);
    DataParallelStep step(t.model, *t.optimizer, comm, 5, reduce);
    Rng rng(5);
    for (int k = 0; k < steps; ++k) {
        Tensor<float> x = Tensor<float>::zeros(Shape{13, 4});
        std::vector<int> y(13);
        for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(rng.normal());
        for (int& v : y) v = static_cast<int>(rng.below(3));
        step.step(x, y);
    }
    std::vector<float> all;
    for (const Param<float>& p : t.model.parameter_list())
        all.insert(all.end(), p.value->data(), p.value->data() + p.value->size());
    return all;
}

TEST(DataParallelStep, FixedReductionSameBitsOverRanksAsOneProcess) {
    const std::vector<float> one = train_steps(nullptr, ReduceKind::Fixed, 4);
    for (int ranks : {2, 3, 5, 6}) {
        ThreadGroup group(ranks);
        std::vector<std::vector<float>> result(static_cast<std::size_t>(ranks));
        std::vector<std::thread> threads;
        for (int r = 0; r < ranks; ++r)
            threads.emplace_back([&, r] {
                ThreadGroup::Rank comm(group, r);
                result[static_cast<std::size_t>(r)] = train_steps(&comm, ReduceKind::Fixed, 4);
            });
        for (auto& th : threads) th.join();
        for (int r = 0; r < ranks; ++r)
            EXPECT_TRUE(same_bits(result[static_cast<std::size_t>(r)], one))
                << "rank " << r << " of " << ranks;
    }
}

TEST(DataParallelStep, FastReductionAgreesAcrossRanks) {
    // Not the bits of one process (the sum's order is the reduction's), but every rank holds
    // the same weights, close to one process's.
    const std::vector<float> one = train_steps(nullptr, ReduceKind::Fixed, 4);
    ThreadGroup group(3);
    std::vector<std::vector<float>> result(3);
    std::vector<std::thread> threads;
    for (int r = 0; r < 3; ++r)
        threads.emplace_back([&, r] {
            ThreadGroup::Rank comm(group, r);
            result[static_cast<std::size_t>(r)] = train_steps(&comm, ReduceKind::Fast, 4);
        });
    for (auto& th : threads) th.join();
    EXPECT_TRUE(same_bits(result[0], result[1]));
    EXPECT_TRUE(same_bits(result[0], result[2]));
    for (std::size_t i = 0; i < one.size(); ++i) ASSERT_NEAR(result[0][i], one[i], 1e-5) << i;
}

TEST(DataParallelStep, DefaultShardsComeFromTheBatchSize) {
    EXPECT_EQ(default_shards(1), 1u);
    EXPECT_EQ(default_shards(kRowsPerShard), 1u);
    EXPECT_EQ(default_shards(kRowsPerShard + 1), 2u);
    EXPECT_EQ(default_shards(1024), 1024 / kRowsPerShard);
}

}  // namespace
}  // namespace ffnn
