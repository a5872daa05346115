// Training runs: from a configuration (train/config.hpp) to a trained model and its learning
// curves. The app, the sweep and the tests all train through fit().
//
//   prepare_data   loads the data set (a CSV file, or iris / digits / fashion-mnist), makes
//                  the stratified train / validation / test split, and standardises every
//                  part with a Standardizer fitted on the training part only;
//   build_model    the network of the configuration: hidden FullyConnected layers with one
//                  activation, a linear output layer of K logits, softmax cross-entropy;
//   fit            the epochs (the loss weighted by data.class_weights when there are
//                  any): an optimiser made from config.optimizer, mini-batches from a
//                  DataLoader reshuffled each epoch, a DataParallelStep on each (the
//                  explicit loop of nn/model.hpp, per shard and over the ranks of comm:
//                  data_parallel.hpp), then the epoch's metrics: on the training part the
//                  running ones of its steps (each batch's loss and accuracy, or errors, with
//                  the weights before its step, as Keras reports them: no second pass over
//                  the training data), on the validation part an evaluation of the epoch's
//                  final weights. It stops at the first non-finite loss and says where,
//                  or when an epoch callback asks it to (early stopping: train/
//                  early_stopping.hpp). What it carries from one epoch to the next besides
//                  the weights is one FitState, so a run restored from a training checkpoint
//                  (train/training_checkpoint.hpp) continues exactly where it was. Every
//                  rank runs all of it on the same data and ends with the same weights and
//                  metrics; only the gradient step talks to the other ranks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "ffnn/io/checkpoint.hpp"
#include "ffnn/io/dataset.hpp"
#include "ffnn/io/standardize.hpp"
#include "ffnn/nn/model.hpp"
#include "ffnn/train/config.hpp"
#include "ffnn/train/distributed.hpp"
#include "ffnn/train/regression_metrics.hpp"

namespace ffnn {

struct PreparedData {
    Dataset train, val, test;   // standardised when the config says so
    Standardizer standardizer;  // fitted on train (unfitted with standardize = false)
    // Regression with standardize_targets: fitted on train's targets, which every part holds
    // standardised (the network's units); unfitted otherwise.
    Standardizer target_standardizer;
    std::string label_column;           // the CSV's label column name ("label" for images; targets
                                        // joined by commas for regression)
    std::string name;                   // config.data.name()
    std::vector<std::string> warnings;  // what a person should know (an empty split part)
    std::vector<double> class_weights;  // (K) from config.class_weight; empty: unweighted

    bool regression() const { return train.has_targets(); }
    // The network's width at the output: K classes or T targets.
    std::size_t num_outputs() const {
        return regression() ? train.target_names.size() : train.num_classes();
    }
    // What the outputs mean, for the checkpoint.
    ModelOutputs outputs() const;
};

// Finds a shipped data file: ./data/<file> if it exists, else the source tree's data/.
std::string shipped_data_path(const std::string& file);

// Regression (config.data.task): the CSV's columns are all numbers; the target columns
// (config.data.label, default the last) are taken out of the features; the split is random
// (as a stratified split of one class); the targets are standardised on the training part
// when config.data.standardize_targets.
// Throws ConfigError on an invalid config, std::runtime_error naming the file on bad data,
// and std::runtime_error on data that would train the wrong task: a single class, a label
// that looks continuous (config.data.task Auto), or a class the split leaves no training
// example of.
PreparedData prepare_data(const TrainConfig& config);
// Collective: checks that every rank prepared the same data (a fingerprint of every value,
// label and class name of the three parts); throws RankFailure on every rank, naming the
// lowest rank whose data differ from rank 0's, otherwise returns.
void agree_on_data(Communicator& comm, const PreparedData& data);
// config.model with n_inputs, n_outputs (classes, or regression targets) and the run's seed;
// a regression run's loss is mse.
Model<float> build_model(const TrainConfig& config, std::size_t n_inputs, std::size_t n_outputs);

struct EpochRecord {
    std::size_t epoch = 0;  // 1-based
    double lr = 0;
    // train_*: the running metrics of the epoch's steps; val_*: the epoch's final weights.
    double train_loss = 0, train_accuracy = 0;
    double val_loss = 0, val_accuracy = 0;  // accuracies are NaN in a regression run
    // Regression: the metrics in the targets' units, averaged over the targets, and each
    // target's (T; filled when there are several).
    TargetMetrics train_metrics, val_metrics;
    std::vector<TargetMetrics> train_targets, val_targets;
    double seconds = 0;  // wall time of this epoch's training (not its evaluation)
};

// Why fit() returned.
enum class StopReason {
    EpochsDone,  // every epoch of the configuration ran
    EarlyStop,   // an epoch callback asked to stop (EarlyStopping, or the caller's own)
    Diverged,    // a loss stopped being finite
};

inline constexpr NamedValue<StopReason> kStopReasonNames[] = {
    {StopReason::EpochsDone, "epochs_done"},
    {StopReason::EarlyStop, "early_stop"},
    {StopReason::Diverged, "diverged"},
};
inline std::string to_string(StopReason r) {
    return std::string(name_of<StopReason>(kStopReasonNames, r));
}

struct TrainOutcome {
    std::vector<EpochRecord> history;  // every epoch of the run, resumed ones included
    StopReason stop_reason = StopReason::EpochsDone;
    bool diverged = false;
    std::size_t diverged_epoch = 0;  // 1-based epoch where the loss stopped being finite
    std::string message;             // why training stopped early
    // At the end; after a divergence, of the weights of the last epoch whose losses were all
    // finite, to which the model is reset (no metrics when no epoch was finite). When an
    // on_train_end callback changes the weights (EarlyStopping restoring the best epoch's),
    // of those weights.
    EvalResult train, val, test;
    // Regression: per target, in the targets' units (EvalResult::loss is the objective).
    RegressionMetrics train_metrics, val_metrics, test_metrics;
    double train_seconds = 0;  // sum of this call's epochs' training time
    double wall_seconds = 0;   // everything, evaluation included
    // The gradient steps taken and the seconds of train_seconds spent in their collective
    // (0 in one process).
    std::size_t steps = 0;
    double reduce_seconds = 0;
};

// What an epoch callback tells fit(): go on, or stop after this epoch (and why, for
// TrainOutcome::message).
struct EpochDecision {
    bool stop = false;
    std::string reason;

    static EpochDecision next() { return {}; }
    static EpochDecision stop_because(std::string why) { return {true, std::move(why)}; }
};

// What a run carries from one epoch to the next besides the model's weights: fit() reads
// it when it starts and updates it after every epoch. A fresh run starts from the empty
// state; a resumed run from the one a training checkpoint restored. The schedule and the
// data loader need no state of their own here: the learning rate is a function of the epoch
// and the loader's order a function of (seed, epoch) (io/loader.hpp), and the model draws no
// random numbers after its initialisation.
struct FitState {
    std::size_t epochs_done = 0;       // completed epochs; the next one is epochs_done + 1
    std::vector<EpochRecord> history;  // one record per completed epoch
    // Made by fit() from config.optimizer over the model's parameters when null. A resumed
    // run passes one whose state() was restored (momentum buffers, Adam moments, step count).
    std::unique_ptr<Optimizer<float>> optimizer;
    // Set when an epoch callback stopped the run (early stopping), and by resume_run for a
    // run that had stopped: fit() trains no further epoch from a stopped state.
    bool stopped = false;
};

struct FitCallbacks {
    // After each epoch's evaluation, with the state already counting that epoch (what a
    // checkpoint written now would hold). Returning stop ends training after this epoch.
    std::function<EpochDecision(const EpochRecord&, const FitState&)> on_epoch;
    // (epoch, batches done, batches per epoch, seconds since the epoch started)
    std::function<void(std::size_t, std::size_t, std::size_t, double)> on_batch;
    // After the last epoch, before the final evaluation: may change the weights (restore the
    // best epoch's). Also after a divergence, once the model is back at its last finite
    // weights.
    std::function<void(Model<float>&)> on_train_end;
};

// Trains config.epochs epochs from state.epochs_done on (a state at or past config.epochs
// trains nothing and only evaluates). Throws std::invalid_argument when the state's history
// does not match its epoch count.
// comm: the ranks training this model together (nullptr: this process alone).
TrainOutcome fit(Model<float>& model, const PreparedData& data, const TrainConfig& config,
                 FitState& state, const FitCallbacks& callbacks = {}, Communicator* comm = nullptr);
// A fresh run.
TrainOutcome fit(Model<float>& model, const PreparedData& data, const TrainConfig& config,
                 const FitCallbacks& callbacks = {}, Communicator* comm = nullptr);

}  // namespace ffnn
