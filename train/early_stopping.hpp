// EarlyStopping: an ordinary epoch callback of fit() that remembers the best epoch and stops
// training when the monitored metric has not improved for `patience` epochs.
//
// An epoch improves on the best when its metric beats the best by more than min_delta
// (lower for the losses, higher for val_accuracy); the first epoch is always the best so
// far, and a non-finite value never improves. After each epoch without improvement the wait
// grows by one; training stops once the wait reaches patience (patience 0: never stop, only
// track the best). So a run whose best epoch is b stops after epoch b + patience. The best
// epoch's weights are copied when it is seen, and on_train_end puts them back in the model
// when restores_best() (on by default with early stopping; see EarlyStoppingConfig).
//
// Usage, with or without other callbacks:
//   EarlyStopping es(model, config.early_stopping, data.val.size() > 0);
//   TrainOutcome out = fit(model, data, config, es.callbacks());
//   es.best_epoch(), es.best().val_loss
// The state (best record, wait, best weights) can be saved and restored for a resumed run
// (train/training_checkpoint.hpp).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "ffnn/train/trainer.hpp"

namespace ffnn {

class EarlyStopping {
  public:
    // Keeps a reference to `model` (its weights are copied at each new best). Throws
    // ConfigError for a validation metric without a validation part.
    EarlyStopping(Model<float>& model, const EarlyStoppingConfig& config, bool has_validation);

    EpochDecision on_epoch(const EpochRecord& record);
    // Restores the best epoch's weights when restores_best() and a best epoch exists.
    void on_train_end();
    // on_epoch and on_train_end as fit() callbacks.
    FitCallbacks callbacks();

    Monitor monitor() const { return monitor_; }
    const EarlyStoppingConfig& config() const { return config_; }
    // The monitored value of a record.
    double value(const EpochRecord& r) const;
    std::size_t best_epoch() const { return best_.epoch; }  // 0 before the first epoch
    const EpochRecord& best() const { return best_; }
    std::size_t wait() const { return wait_; }  // epochs since the best
    // The best epoch's weights, in the order of model.parameter_list().
    const std::vector<Tensor<float>>& best_weights() const { return best_weights_; }

    // A resumed run's state, as a checkpoint saved it: throws std::invalid_argument when the
    // weights do not match the model's parameters in number and shape.
    void restore(const EpochRecord& best, std::size_t wait, std::vector<Tensor<float>> weights);

  private:
    bool improves(double v) const;

    Model<float>& model_;
    EarlyStoppingConfig config_;
    Monitor monitor_;
    EpochRecord best_;  // epoch 0: none yet
    std::size_t wait_ = 0;
    std::vector<Tensor<float>> best_weights_;  // empty before the first epoch
};

}  // namespace ffnn
