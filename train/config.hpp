// The configuration of a training run, composed of the configurations of its parts:
//
//   TrainConfig
//     data       DataConfig       which data, the split, standardisation         (train/)
//     model      ModelSpec        hidden widths, activation, init, loss           (nn/model.hpp)
//     optimizer  OptimizerConfig  kind, lr, momentum, weight decay, clipping      (nn/optim.hpp)
//     schedule   ScheduleConfig   the learning rate over epochs                   (nn/schedule.hpp)
//     early_stopping  EarlyStoppingConfig  which metric picks the best epoch, patience
//     class_weight    none, balanced or a file: how much each class counts in the loss
//     batch_size, epochs, seed, threads
//
// Each part validates its own values (validate(), throwing ConfigError naming the field, for
// example "optimizer.lr"); TrainConfig::validate runs them all. The seed drives the split,
// the initialisation and the batch order (model.seed is replaced by it).
//
// The defaults are the assignment's network on the shipped Iris data: one hidden layer of
// 16 ReLU units, XavierUniform, SGD with momentum 0.9, learning rate 0.05, batch 16,
// 100 epochs, seed 42, split 70/10/20 (105/15/30 flowers).
#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "ffnn/nn/model.hpp"
#include "ffnn/nn/names.hpp"
#include "ffnn/nn/optim.hpp"
#include "ffnn/nn/schedule.hpp"
#include "ffnn/train/data_parallel.hpp"

namespace ffnn {

// The data sets ffnn knows by name: Iris and digits ship with it (data/), Fashion-MNIST comes
// from the Debian package dataset-fashion-mnist.
enum class NamedDataset { Iris, Digits, FashionMnist };

inline constexpr NamedValue<NamedDataset> kDatasetNames[] = {
    {NamedDataset::Iris, "iris"},
    {NamedDataset::Digits, "digits"},
    {NamedDataset::FashionMnist, "fashion-mnist"},
};
inline std::string to_string(NamedDataset d) {
    return std::string(name_of<NamedDataset>(kDatasetNames, d));
}

// What the label column is taken to be. Auto trains a classifier and refuses a label that
// looks like a regression target (non-integer numbers, or nearly one class per row), saying
// to choose regression; Classification takes every distinct value as a class regardless;
// Regression takes the label's column (or columns: "y1,y2") as numeric targets.
enum class LabelTask { Auto, Classification, Regression };

inline constexpr NamedValue<LabelTask> kLabelTaskNames[] = {
    {LabelTask::Auto, "auto"},
    {LabelTask::Classification, "classification"},
    {LabelTask::Regression, "regression"},
};

struct DataConfig {
    NamedDataset dataset = NamedDataset::Iris;  // used when csv is empty
    std::string csv;                            // a CSV file (wins over dataset)
    std::string label;        // its label column ("y1,y2": regression targets); empty: the last
    double val_split = 0.1;   // fraction of the data for validation
    double test_split = 0.2;  // for testing; Fashion-MNIST has its own
    bool standardize = true;  // (x - mean) / sd fitted on the training part
    LabelTask task = LabelTask::Auto;
    // Regression: fit the network to (y - mean) / sd of each target on the training part; the
    // checkpoint keeps mean and sd and predictions are in the targets' units either way.
    bool standardize_targets = true;
    // The CSV dialect (io/csv.hpp): delimiter 0 detects it from the header; comment 0: none.
    char delimiter = 0;
    char comment = 0;
    std::vector<std::string> ignore_columns;  // neither features nor the label
    std::string id_column;                    // row identifiers, not a feature

    void validate() const;
    bool regression() const { return task == LabelTask::Regression; }
    // The regression targets: label split at commas, spaces trimmed (empty: none named, the
    // last column). Throws ConfigError ("data.label") on an empty name or a repeated one.
    std::vector<std::string> target_columns() const;
    // "iris", "digits", "fashion-mnist" or the CSV file's stem.
    std::string name() const;
};

// The metric that decides which epoch is best (and whether training has stopped improving).
// Auto is val_loss when the run has a validation part, train_loss otherwise.
enum class Monitor { Auto, ValLoss, ValAccuracy, TrainLoss };

inline constexpr NamedValue<Monitor> kMonitorNames[] = {
    {Monitor::Auto, "auto"},
    {Monitor::ValLoss, "val_loss"},
    {Monitor::ValAccuracy, "val_accuracy"},
    {Monitor::TrainLoss, "train_loss"},
};
inline std::string to_string(Monitor m) {
    return std::string(name_of<Monitor>(kMonitorNames, m));
}

// Early stopping and the best epoch (train/early_stopping.hpp does the work).
struct EarlyStoppingConfig {
    Monitor monitor = Monitor::Auto;
    std::size_t patience = 0;  // stop after this many epochs without improvement; 0: never
    double min_delta = 0.0;    // an improvement must beat the best by more than this
    // Leave the model at the best epoch's weights at the end. Unset: on exactly when early
    // stopping is on (patience > 0).
    std::optional<bool> restore_best;

    // Throws ConfigError ("early_stopping.min_delta") on a negative or non-finite min_delta.
    void validate() const;
    bool restores_best() const { return restore_best.value_or(patience > 0); }
    // Auto resolved: val_loss with a validation part, train_loss without. Throws ConfigError
    // ("early_stopping.monitor") for a validation metric when there is no validation part.
    Monitor resolved_monitor(bool has_validation) const;
};

struct TrainConfig {
    DataConfig data;
    ModelSpec model = default_model();
    OptimizerConfig optimizer = default_optimizer();
    ScheduleConfig schedule = default_schedule();  // t counts epochs from 0
    EarlyStoppingConfig early_stopping;
    // How each class counts in the loss: "" or "none", "balanced", or a file of class,weight
    // lines (train/class_weights.hpp).
    std::string class_weight;
    std::size_t batch_size = 16;
    std::size_t epochs = 100;
    std::uint64_t seed = 42;
    int threads = 0;  // 0: OpenMP's default (every core)
    // Data-parallel training (data_parallel.hpp): the shards each batch is cut into (0: one
    // per kRowsPerShard rows of batch_size, default_shards) and how their gradients are summed.
    // The result depends on the shard count, never on the number of processes (with Fixed).
    std::size_t shards = 0;
    ReduceKind reduce = ReduceKind::Fixed;

    // Every part's validate(), then the run's own values.
    void validate() const;
    // shards, or default_shards(batch_size) when it is 0.
    std::size_t shard_count() const;
    // Flat, as the flags of `ffnn train` name them ("lr", "hidden", "batch_size", ...).
    nlohmann::json to_json() const;
    // The inverse of to_json: a key left out keeps its default. An unknown key, a value of
    // the wrong JSON type or a name that does not parse throws ConfigError whose field is
    // "config.<key>"; the result is validated.
    static TrainConfig from_json(const nlohmann::json& j);

    static ModelSpec default_model();
    static OptimizerConfig default_optimizer();
    static ScheduleConfig default_schedule();
};

// Hidden widths as text: "64,32" (also "64x32"; "none" or "" for no hidden layer). parse_hidden
// throws std::invalid_argument on anything else; hidden_label writes "64x32" ("none").
std::vector<std::size_t> parse_hidden(const std::string& text);
std::string hidden_label(const std::vector<std::size_t>& hidden);

}  // namespace ffnn
