// Running the runs of a sweep: every setting over every seed, on a pool of std::thread workers.
//
// Iris and digits are far too small for the kernels' OpenMP threads to pay off (a batch of 16
// rows is microseconds of work), so a sweep parallelises across runs instead: `jobs` workers
// each take the next run of the grid and train it with config.threads OpenMP threads
// (1 by default in a sweep). A run is fully determined by its configuration and seed (the
// split, the initialisation and the batch order all derive from the seed, and the kernels
// give the same result for any thread count), so the results do not depend on the number of
// workers or the order in which runs finish; they are returned in grid order (setting-major,
// then seed).
//
// Over the ranks of a Communicator (mpirun), run i of the grid is trained by rank i mod P
// alone (round robin, so that each rank gets a share of every setting), with `jobs` workers
// there; then every rank's results travel to every rank (one allgather of their bytes:
// every double as it was, so the results are bit-identical to a one-process sweep) and come
// back in grid order. The ranks must run the same binary on the same kind of machine.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "ffnn/train/distributed.hpp"
#include "ffnn/train/early_stopping.hpp"
#include "ffnn/train/trainer.hpp"

namespace ffnn {

// One setting of a sweep: a full training configuration (the seed aside) and its name.
struct SweepSetting {
    std::string name;    // unique in the sweep; letters, digits, '.', '-', '_'
    TrainConfig config;  // config.seed is replaced by each run's seed
    std::string why;     // why the setting is in the grid (may be empty)
};

struct SweepRun {
    std::size_t setting = 0;  // index into the settings
    std::uint64_t seed = 0;
    TrainOutcome outcome;  // history, final metrics, divergence
    double seconds = 0;    // wall time of the run: data preparation, training, evaluation
    // The data as this run saw it (the split depends on the seed, the sizes do not).
    std::size_t n_train = 0, n_val = 0, n_test = 0, n_features = 0, n_classes = 0;
    std::size_t n_parameters = 0;
    std::size_t best_epoch = 0;  // by config.early_stopping.monitor; 0 when no epoch finished
};

// Called after each run finishes (from the worker thread, one call at a time): the run, the
// number finished so far and the total (of this rank's runs, under a communicator).
using RunDone = std::function<void(const SweepRun&, std::size_t, std::size_t)>;
// Called in the worker thread as soon as a run has trained (before RunDone; calls from
// different workers may overlap), with the trained model (at its final weights: the best
// epoch's when early stopping restores them), early stopping's record of the best epoch and
// its weights, and the run's data: what saving the run's model needs.
using RunModel =
    std::function<void(const SweepRun&, Model<float>&, const EarlyStopping&, const PreparedData&)>;

// Trains every (setting, seed) pair; `jobs` >= 1 workers. A run that diverges is a result, not
// an error. Any other error (an unreadable data file) stops the sweep: the workers finish their
// current run and the first error in grid order is rethrown. With comm (collective): the
// runs spread over its ranks as above, and an error on any rank becomes the same RankFailure
// on every rank once each has stopped.
std::vector<SweepRun> run_sweep(const std::vector<SweepSetting>& settings,
                                const std::vector<std::uint64_t>& seeds, int jobs,
                                const RunDone& on_done = {}, const RunModel& on_model = {},
                                Communicator* comm = nullptr);

// One run, in the calling thread (what each worker does), with early stopping as its
// configuration says (train/early_stopping.hpp).
SweepRun run_one(const SweepSetting& setting, std::size_t setting_index, std::uint64_t seed,
                 const RunModel& on_model = {});

}  // namespace ffnn
