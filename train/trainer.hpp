// Training runs: from a configuration (every flag of `ffnn train`) to a trained model and
// its learning curves. The app, the sweep and the tests all train through fit().
//
//   prepare_data   loads the data set (a CSV file, or iris / digits / fashion-mnist), makes
//                  the stratified train / validation / test split, and standardises every
//                  part with a Standardizer fitted on the training part only;
//   build_model    the network of the configuration: hidden FullyConnected layers with one
//                  activation, a linear output layer of K logits, softmax cross-entropy;
//   fit            the epochs: mini-batches from a DataLoader reshuffled each epoch,
//                  train_step on each, then the loss and accuracy on the training and
//                  validation parts. It stops at the first non-finite loss and says where.
//
// The defaults are the assignment's network on the shipped Iris data: one hidden layer of
// 16 ReLU units, XavierUniform, SGD with momentum 0.9, learning rate 0.05, batch 16,
// 100 epochs, seed 42, split 70/10/20 (105/15/30 flowers).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "ffnn/io/dataset.hpp"
#include "ffnn/io/standardize.hpp"
#include "ffnn/nn/model.hpp"

namespace ffnn {

struct TrainConfig {
    // Data: a named data set, or a CSV path (data wins when both are given).
    std::string dataset = "iris";  // iris | digits | fashion-mnist
    std::string data;              // CSV path
    std::string label;             // label column of a CSV (default: the last)
    double val_split = 0.1;
    double test_split = 0.2;  // ignored for fashion-mnist, which has its own test set
    bool standardize = true;

    // Network.
    std::vector<std::size_t> hidden{16};
    std::string activation = "relu";
    std::string init = "xavier_uniform";

    // Optimisation.
    std::string optimizer = "sgd";  // sgd | adam | adamw
    double lr = 0.05;
    double momentum = 0.9;  // SGD only
    bool nesterov = false;
    double weight_decay = 0.0;
    std::string schedule = "constant";  // constant | step | exponential | cosine, per epoch
    double gamma = 0.1;                 // step and exponential decay factor
    std::size_t step_size = 30;         // epochs between step decays
    double clip_norm = 0.0;             // 0: no clipping
    std::size_t batch_size = 16;
    std::size_t epochs = 100;
    std::uint64_t seed = 42;
    int threads = 0;  // 0: OpenMP's default (every core)

    // Output.
    std::string out;  // run directory; empty: runs/<dataset>-<timestamp>

    // Throws std::invalid_argument naming the field and the expected values.
    void validate() const;
    nlohmann::json to_json() const;
    // A short name of the data: "iris", "digits", "fashion-mnist" or the CSV file's stem.
    std::string data_name() const;
};

struct PreparedData {
    Dataset train, val, test;   // standardised when the config says so
    Standardizer standardizer;  // fitted on train (unfitted with standardize = false)
    std::string label_column;   // the CSV's label column name ("label" for images)
    std::string name;           // data_name()
};

// Finds a shipped data file: ./data/<file> if it exists, else the source tree's data/.
std::string shipped_data_path(const std::string& file);

PreparedData prepare_data(const TrainConfig& config);
Model<float> build_model(const TrainConfig& config, std::size_t n_inputs, std::size_t n_classes);

struct EpochRecord {
    std::size_t epoch = 0;  // 1-based
    double lr = 0;
    double train_loss = 0, train_accuracy = 0;
    double val_loss = 0, val_accuracy = 0;
    double seconds = 0;  // wall time of this epoch's training (not its evaluation)
};

struct TrainOutcome {
    std::vector<EpochRecord> history;
    bool diverged = false;
    std::size_t diverged_epoch = 0;  // 1-based epoch where the loss stopped being finite
    std::string message;             // why training stopped early
    EvalResult train, val, test;     // at the end (the last finite epoch)
    double train_seconds = 0;        // sum of the epochs' training time
    double wall_seconds = 0;         // everything, evaluation included
};

struct FitCallbacks {
    std::function<void(const EpochRecord&)> on_epoch;
    // (epoch, batches done, batches per epoch, seconds since the epoch started)
    std::function<void(std::size_t, std::size_t, std::size_t, double)> on_batch;
};

TrainOutcome fit(Model<float>& model, const PreparedData& data, const TrainConfig& config,
                 const FitCallbacks& callbacks = {});

// Parses "64,32" (also "64x32") into widths; throws std::invalid_argument on anything else.
std::vector<std::size_t> parse_hidden(const std::string& text);

}  // namespace ffnn
