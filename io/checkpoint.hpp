// Model checkpoints: a trained classifier and everything needed to use it, in one
// safetensors file that Python tools read directly (nn/safetensors.hpp has the format).
//
// Tensors (F32, in this order):
//   layers.<i>.W (D_i, H_i), layers.<i>.b (H_i)   every FullyConnected layer i = 0, 1, ...
//   standardize.mean (D), standardize.scale (D)  only when the inputs were standardised;
//                                                 the network sees (x - mean) / scale
// Metadata (strings; the lists are JSON arrays written as strings):
//   format "ffnn-classifier", ffnn_version, architecture "4-16-3",
//   layer_sizes "[4,16,3]", activations '["relu","identity"]' (one per layer, the last
//   producing the logits), loss, class_names, feature_names, label_column, created_by.
// Class probabilities are the softmax of the logits.
//
// The reader checks the metadata and that the tensors are exactly those the architecture
// needs, with the shapes it implies: a missing, extra or misshapen tensor is an error naming
// the file and the tensor.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "ffnn/io/standardize.hpp"
#include "ffnn/nn/model.hpp"

namespace ffnn {

struct Checkpoint {
    Model<float> model;
    Standardizer standardizer;               // unfitted when the model takes raw inputs
    std::vector<std::string> class_names;    // (K)
    std::vector<std::string> feature_names;  // (D)
    std::string label_column;
    std::map<std::string, std::string> metadata;  // everything the file's metadata holds
};

// Writes atomically. `extra` metadata is added (it must not reuse the keys above).
void save_checkpoint(const std::string& path, Model<float>& model, const Standardizer& standardizer,
                     const std::vector<std::string>& class_names,
                     const std::vector<std::string>& feature_names, const std::string& label_column,
                     const std::map<std::string, std::string>& extra = {});

Checkpoint load_checkpoint(const std::string& path);

// The same on the bytes of a file in memory; `path` stands for the file in messages.
// Before a model is built, the layer sizes in the metadata are parsed strictly (positive
// integers of at most 2^24) and the file must hold layers.<i>.W and layers.<i>.b of exactly
// the shapes they imply, so the model never allocates more than the file holds.
Checkpoint parse_checkpoint(std::string_view bytes, const std::string& path);

}  // namespace ffnn
