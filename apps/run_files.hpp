// The files a training run leaves in its directory: metrics.csv and summary.json.
#pragma once

#include <string>
#include <vector>

#include "ffnn/train/early_stopping.hpp"
#include "ffnn/train/trainer.hpp"

namespace ffnn::app {

// One row per epoch: epoch,lr,train_loss,train_accuracy,val_loss,val_accuracy,seconds, with
// no val_ columns when there is no validation part. For regression (targets: the target
// names) epoch,lr,train_loss,train_mse,train_rmse,train_mae,train_r2, the same five for val,
// seconds (the means over the targets, in their units), and with several targets each one's
// four after its part's: train_<name>_mse, ..., val_<name>_r2.
std::string metrics_csv(const std::vector<EpochRecord>& history,
                        const std::vector<std::string>& targets = {});
void write_metrics_csv(const std::string& path, const std::vector<EpochRecord>& history,
                       const std::vector<std::string>& targets = {});

// The configuration (a valid --config file as it is), the task, the data sizes, the final
// metrics (train_/val_/test_ loss and accuracy; for regression loss, mse, rmse, mae, r2 and
// per target), why training stopped (stop_reason: epochs_done,
// early_stop or diverged), the best epoch by the monitored metric and its metrics, timings,
// thread count and version, as one JSON object.
nlohmann::json summary_json(const TrainConfig& config, const TrainOutcome& outcome,
                            const EarlyStopping& early, const PreparedData& data, int threads,
                            double wall_seconds);
void write_summary_json(const std::string& path, const TrainConfig& config,
                        const TrainOutcome& outcome, const EarlyStopping& early,
                        const PreparedData& data, int threads, double wall_seconds);
// One epoch's record as JSON (null for a metric that does not exist).
nlohmann::json epoch_json(const EpochRecord& r, bool regression = false);

}  // namespace ffnn::app
