// Predictor: a trained classifier or regressor from a checkpoint, for programs that embed
// ffnn.
//
//   ffnn::Predictor p = ffnn::Predictor::load("runs/iris/model.safetensors");
//   ffnn::Prediction r = p.predict({{"sepal_length", 5.1f}, {"sepal_width", 3.5f},
//                                   {"petal_length", 1.4f}, {"petal_width", 0.2f}});
//   // r.class_name == "setosa", r.probabilities (K) sum to 1
// A regressor (regression() true) gives values instead of classes:
//   ffnn::Predictor q = ffnn::Predictor::load("runs/diabetes/model.safetensors");
//   const ffnn::Tensor<float>& y = q.predict_values(rows);  // (N, T), the targets' units
//
// Rows are raw features, in the units of the training data: the Predictor applies the
// checkpoint's standardisation itself. A row is given by position (the order of
// feature_names()) or by name (any order; every feature of the model must be there).
// Batches go through predict_proba / predict on a (N, D) tensor in one forward pass.
//
// A Predictor owns its model and reuses its workspaces, so it is not safe to call from two
// threads at once: give each thread its own (load once, copy the file's bytes, not the
// object).
#pragma once

#include <map>
#include <span>
#include <string>
#include <vector>

#include "ffnn/io/checkpoint.hpp"

namespace ffnn {

struct Prediction {
    // Index into class_names(), or Model<float>::kNoPrediction (-1) with an empty class_name
    // when the outputs are not finite (a feature far outside the training range overflowed,
    // or the model's weights are not finite): check finite() before using the class.
    int label = Model<float>::kNoPrediction;
    std::string class_name;  // class_names()[label]
    bool finite() const { return label != Model<float>::kNoPrediction; }
    std::vector<float> probabilities;  // (K), softmax of the logits
};

class Predictor {
  public:
    // Throws std::invalid_argument when the network does not match the names.
    explicit Predictor(Checkpoint checkpoint);
    // load_checkpoint(path): throws std::runtime_error naming the file on anything invalid.
    static Predictor load(const std::string& path);

    const std::vector<std::string>& class_names() const { return ck_.class_names; }
    const std::vector<std::string>& feature_names() const { return ck_.feature_names; }
    std::size_t num_features() const { return ck_.feature_names.size(); }  // D
    std::size_t num_classes() const { return ck_.class_names.size(); }     // K (0: regressor)
    bool regression() const { return ck_.task == ModelTask::Regression; }
    const std::vector<std::string>& target_names() const { return ck_.target_names; }  // (T)
    const Checkpoint& checkpoint() const { return ck_; }

    // rows (N, D) raw features in feature_names() order -> probabilities (N, K), valid until
    // the next call. Throws std::invalid_argument naming the shapes when D does not match,
    // std::logic_error for a regressor (it has no classes: predict_values).
    const Tensor<float>& predict_proba(const Tensor<float>& rows);
    // rows (N, D) -> one Prediction per row.
    std::vector<Prediction> predict(const Tensor<float>& rows);
    // A regressor: rows (N, D) raw features -> predicted targets (N, T) in the targets' own
    // units (the checkpoint's target scaling undone), valid until the next call; a row whose
    // outputs overflowed holds NaN or inf. std::logic_error for a classifier.
    const Tensor<float>& predict_values(const Tensor<float>& rows);
    // One row by position, (D) values.
    Prediction predict(std::span<const float> row);
    // One row by feature name. Throws std::invalid_argument naming a missing or unknown
    // feature.
    Prediction predict(const std::map<std::string, float>& row);

    // Whether every weight of the model is finite: tells the two causes of a prediction
    // without a class apart.
    bool weights_finite();

  private:
    Checkpoint ck_;
    // rows (N, D) -> x_, standardised as the model's inputs were.
    const Tensor<float>& prepare(const Tensor<float>& rows);
    Tensor<float> x_;       // standardised copy of the rows of the last call, (N, D)
    Tensor<float> values_;  // a regressor's last predictions, (N, T)
};

}  // namespace ffnn
