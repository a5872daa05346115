// Training checkpoints: everything a run needs to continue, in one file written atomically,
// so that a run killed at any moment resumes from its last checkpoint and ends with the same
// bits as a run that never stopped.
//
// The file is a safetensors file (io/checkpoint.hpp has the layout): the model as a model
// file holds it (weights, standardiser, class and feature names), the optimiser's state
// tensors (momentum buffers, Adam moments, the step count) as optimizer.<name>, the best
// epoch's weights as best.<parameter>, and the metadata "training_state", a JSON object:
//   version          1
//   config           TrainConfig::to_json() of the run
//   epochs_done      completed epochs (checkpoints are written between epochs: the next
//                    batch is batch 1 of epoch epochs_done + 1)
//   history          one object per completed epoch (epoch, lr, the four metrics, seconds;
//                    null for a metric that does not exist)
//   early_stopping   {"best": the best epoch's record or null, "wait": epochs since it}
//   data             {"train", "validation", "test": sizes, "fingerprint": 16 hex digits of
//                    the FNV-1a hash of the prepared (standardised) parts}
// The schedule and the data loader need no saved position: the learning rate is a function
// of the epoch and the loader's order a function of (seed, epoch). The model draws no random
// numbers after its initialisation, so it has no random state to save.
//
// The reader trusts nothing: the model part is checked by io, every key of the JSON for its
// type and range, the optimiser tensors against the optimiser the configuration builds
// (every name present, each shape that of its parameter), the best weights against the
// model; each problem is a std::runtime_error naming the file and the key or tensor.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "ffnn/io/checkpoint.hpp"
#include "ffnn/train/early_stopping.hpp"
#include "ffnn/train/trainer.hpp"

namespace ffnn {

struct RunCheckpoint {
    std::string path;
    TrainConfig config;
    std::size_t epochs_done = 0;
    std::vector<EpochRecord> history;
    EpochRecord best;  // epoch 0: no best yet
    std::size_t wait = 0;
    std::uint64_t data_fingerprint = 0;
    std::size_t n_train = 0, n_val = 0, n_test = 0;
    TrainingCheckpointFile file;  // the model part and the state tensors
};

// The configuration keys a resumed run may change: more epochs, other threads, other
// early-stopping patience. Everything else (the data, the split, the architecture, the
// optimiser, the schedule, the batch size, the seed, the monitored metric) must match.
inline constexpr const char* kResumableKeys[] = {"epochs", "threads", "patience", "min_delta",
                                                 "restore_best"};

// The keys of to_json() whose values differ between a and b, the resumable ones left out.
std::vector<std::string> config_differences(const TrainConfig& a, const TrainConfig& b);

// FNV-1a (64-bit) over the sizes, features and labels of the train, validation and test
// parts as prepared (standardised): a changed data file or split changes it.
std::uint64_t data_fingerprint(const PreparedData& data);

// Writes `path` atomically: the model's weights, the state after state.epochs_done epochs and
// early stopping's best.
// `extra` metadata is added (an app's own settings; readable back from
// file.model.metadata).
void save_run_checkpoint(const std::string& path, const TrainConfig& config, Model<float>& model,
                         const PreparedData& data, const FitState& state,
                         const EarlyStopping& early,
                         const std::map<std::string, std::string>& extra = {});

RunCheckpoint load_run_checkpoint(const std::string& path);
// The same on the bytes of a file; `path` names it in messages (the fuzzer calls this). The
// configuration's hidden layers and activation must be those of the model's tensors.
RunCheckpoint parse_run_checkpoint(std::string_view bytes, const std::string& path);

// Continues the checkpointed run: `config` may differ from the checkpoint's only in
// kResumableKeys and `data` must have the checkpoint's fingerprint (std::runtime_error
// naming what differs otherwise). Copies the weights into `model` (built from config for
// the data), restores `early`, and returns the FitState for fit(): the history and an
// optimiser holding the saved state.
FitState resume_run(RunCheckpoint& ck, const TrainConfig& config, Model<float>& model,
                    const PreparedData& data, EarlyStopping& early);
// The part of resume_run after the configuration and data checks: the weights, the
// optimiser's state tensors (each one present with its parameter's shape, none left over)
// and early stopping's best weights, checked against `model` and config.optimizer.
FitState restore_training_state(RunCheckpoint& ck, const TrainConfig& config, Model<float>& model,
                                EarlyStopping& early);

}  // namespace ffnn
