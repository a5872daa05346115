// bench_reduce: the gradient reduction of data-parallel training alone, without the training
// around it, so that neither compute nor a slow rank's lateness is counted: under
// `mpirun -np P bench_reduce [PARAMETERS] [SHARDS] [REPETITIONS]` every rank packs
// PARAMETERS + 1 floats (default 235146 + 1: the 784-256-128-10 network and the loss), and
// rank 0 prints the median time of
//   fixed     Allgatherv of each rank's tree blocks (data_parallel.hpp) + combine_blocks,
//             with the local block sums already made (their cost is the training's)
//   fast      MPI_Allreduce of one packed buffer
// each after an allreduce of one float that lines the ranks up. Built with MPI only.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "communicator.hpp"
#include "ffnn/train/data_parallel.hpp"

namespace {

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
    auto comm = ffnn::app::make_communicator(argc, argv);
    const std::size_t params = argc > 1 ? std::stoul(argv[1]) : 235146;
    const std::size_t shards = argc > 2 ? std::stoul(argv[2]) : 4;
    const int reps = argc > 3 ? std::atoi(argv[3]) : 50;
    const std::size_t width = params + 1;
    const int P = comm->size();

    std::vector<ffnn::ShardBlock> blocks;
    std::vector<std::size_t> counts;
    std::size_t mine = 0;
    for (int r = 0; r < P; ++r) {
        const ffnn::RankRange range = ffnn::rank_range(shards, r, P);
        auto b = ffnn::shard_blocks(range.first, range.end, shards);
        if (r == comm->rank()) mine = b.size();
        counts.push_back(b.size() * width);
        blocks.insert(blocks.end(), b.begin(), b.end());
    }
    std::vector<float> send(mine * width, 1.0f), recv(blocks.size() * width), sum(width);
    std::vector<float> packed(width, 1.0f), line_up(1, 0.0f);
    std::vector<double> gather_s, combine_s, reduce_s;
    std::vector<std::vector<float>> workspace;
    using Clock = std::chrono::steady_clock;
    auto since = [](Clock::time_point t) {
        return std::chrono::duration<double>(Clock::now() - t).count();
    };
    for (int i = 0; i < reps + 2; ++i) {  // 2 warm-up rounds
        comm->allreduce_sum(line_up);
        auto t0 = Clock::now();
        comm->allgatherv(send, recv, counts);
        const double g = since(t0);
        t0 = Clock::now();
        ffnn::combine_blocks(blocks, recv, width, shards, sum, workspace);
        const double c = since(t0);
        comm->allreduce_sum(line_up);
        t0 = Clock::now();
        comm->allreduce_sum(packed);
        const double r = since(t0);
        if (i < 2) continue;
        gather_s.push_back(g);
        combine_s.push_back(c);
        reduce_s.push_back(r);
    }
    if (comm->rank() == 0) {
        const double mb = static_cast<double>(width) * 4 / 1e6;
        std::printf(
            "%d ranks, %zu shards (%zu tree blocks), %zu floats = %.2f MB per buffer, "
            "median of %d\n",
            P, shards, blocks.size(), width, mb, reps);
        std::printf("fixed: allgatherv %.3f ms + combine %.3f ms = %.3f ms (receives %.2f MB)\n",
                    1e3 * median(gather_s), 1e3 * median(combine_s),
                    1e3 * (median(gather_s) + median(combine_s)),
                    mb * static_cast<double>(blocks.size() - mine));
        std::printf("fast:  allreduce %.3f ms\n", 1e3 * median(reduce_s));
    }
    return 0;
}
