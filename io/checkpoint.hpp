// Model checkpoints: a trained classifier or regressor and everything needed to use it, in
// one safetensors file that Python tools read directly (nn/safetensors.hpp has the format).
//
// Tensors (F32, in this order):
//   layers.<i>.W (D_i, H_i), layers.<i>.b (H_i)   every FullyConnected layer i = 0, 1, ...
//   standardize.mean (D), standardize.scale (D)  only when the inputs were standardised;
//                                                 the network sees (x - mean) / scale
//   target.mean (T), target.scale (T)            a regressor trained on standardised
//                                                 targets: its outputs o are (y - mean) /
//                                                 scale, so y = o * scale + mean
// Metadata (strings; the lists are JSON arrays written as strings):
//   format "ffnn-classifier" or "ffnn-regressor", task "classification" or "regression",
//   ffnn_version, architecture "4-16-3", layer_sizes "[4,16,3]", activations
//   '["relu","identity"]' (one per layer, the last producing the outputs), loss,
//   class_names (a classifier's, K) or target_names (a regressor's, T), feature_names,
//   label_column (a regressor's: its target names joined by commas), created_by.
// Class probabilities are the softmax of the logits. A file without "task" (written before
// regression existed) is a classifier.
//
// A training checkpoint (save_training_checkpoint) is the same file with format
// "ffnn-training-checkpoint", the training state as JSON text in the metadata key
// "training_state", and the state tensors after the model's, each named with a prefix:
//   optimizer.<name>   the optimiser's state() tensors: optimizer.step (1), and per
//                      parameter optimizer.layers.<i>.W.momentum (SGD with momentum) or
//                      optimizer.layers.<i>.W.exp_avg and .exp_avg_sq (Adam, AdamW)
//   best.<parameter>   the best epoch's weights (best.layers.<i>.W, best.layers.<i>.b)
// Other tools read it as any safetensors file; ffnn eval and predict refuse it by its
// format (a run's model.safetensors is the model). The io layer checks the model part as
// strictly as a model file and hands the state tensors and text to train/
// (train/training_checkpoint.hpp), which checks them against the run.
//
// The reader checks the metadata and that the tensors are exactly those the architecture
// needs, with the shapes it implies: a missing, extra or misshapen tensor is an error naming
// the file and the tensor.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "ffnn/io/safetensors.hpp"
#include "ffnn/io/standardize.hpp"
#include "ffnn/nn/model.hpp"
#include "ffnn/nn/names.hpp"

namespace ffnn {

// What a model's outputs are: K logits of classes, or T predicted values.
enum class ModelTask { Classification, Regression };
inline constexpr NamedValue<ModelTask> kModelTaskNames[] = {
    {ModelTask::Classification, "classification"},
    {ModelTask::Regression, "regression"},
};

// The meaning of a model's outputs, saved beside its weights (a description for
// save_checkpoint: it points at the caller's scaling, which must outlive it).
struct ModelOutputs {
    ModelTask task = ModelTask::Classification;
    std::vector<std::string> names;  // class names (K) or target names (T)
    // Regression: fitted when the network was trained on standardised targets, whose scaling
    // inverse_transform undoes; null or unfitted: the outputs are the targets themselves.
    const Standardizer* target_standardizer = nullptr;
    bool scales_targets() const { return target_standardizer && target_standardizer->fitted(); }
    static ModelOutputs classes(std::vector<std::string> class_names) {
        return {ModelTask::Classification, std::move(class_names), nullptr};
    }
};

struct Checkpoint {
    Model<float> model;
    Standardizer standardizer;  // unfitted when the model takes raw inputs
    ModelTask task = ModelTask::Classification;
    std::vector<std::string> class_names;    // (K); empty for a regressor
    std::vector<std::string> target_names;   // (T) a regressor's; empty for a classifier
    Standardizer target_standardizer;        // see ModelOutputs
    std::vector<std::string> feature_names;  // (D)
    std::string label_column;
    std::map<std::string, std::string> metadata;  // everything the file's metadata holds
};

// Writes atomically. `extra` metadata is added (it must not reuse the keys above).
void save_checkpoint(const std::string& path, Model<float>& model, const Standardizer& standardizer,
                     const ModelOutputs& outputs, const std::vector<std::string>& feature_names,
                     const std::string& label_column,
                     const std::map<std::string, std::string>& extra = {});
// A classifier.
inline void save_checkpoint(const std::string& path, Model<float>& model,
                            const Standardizer& standardizer,
                            const std::vector<std::string>& class_names,
                            const std::vector<std::string>& feature_names,
                            const std::string& label_column,
                            const std::map<std::string, std::string>& extra = {}) {
    save_checkpoint(path, model, standardizer, ModelOutputs::classes(class_names), feature_names,
                    label_column, extra);
}

Checkpoint load_checkpoint(const std::string& path);

// The same on the bytes of a file in memory; `path` stands for the file in messages.
// Before a model is built, the layer sizes in the metadata are parsed strictly (positive
// integers of at most 2^24) and the file must hold layers.<i>.W and layers.<i>.b of exactly
// the shapes they imply, so the model never allocates more than the file holds.
Checkpoint parse_checkpoint(std::string_view bytes, const std::string& path);

// What a training checkpoint file holds, checked as far as io can: the model part exactly as
// parse_checkpoint checks a model file (a tensor without a state prefix that the
// architecture does not need is an error), the state tensors as read (their number and
// size bounded by the file's own bytes), and the training state text (not parsed here).
struct TrainingCheckpointFile {
    Checkpoint model;
    std::vector<StoredTensor> state_tensors;  // names with their prefix (optimizer., best.)
    std::string training_state;               // metadata "training_state"
};

// Writes the model as save_checkpoint does, then `state_tensors` (each name must start with
// optimizer. or best.: std::invalid_argument otherwise), with `training_state` in the
// metadata; atomically, so a crash leaves the previous checkpoint whole.
void save_training_checkpoint(const std::string& path, Model<float>& model,
                              const Standardizer& standardizer, const ModelOutputs& outputs,
                              const std::vector<std::string>& feature_names,
                              const std::string& label_column,
                              std::vector<StoredTensor> state_tensors,
                              const std::string& training_state,
                              const std::map<std::string, std::string>& extra = {});
TrainingCheckpointFile load_training_checkpoint(const std::string& path);
TrainingCheckpointFile parse_training_checkpoint(std::string_view bytes, const std::string& path);

}  // namespace ffnn
