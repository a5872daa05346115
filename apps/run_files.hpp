// The files a training run leaves in its directory: metrics.csv and summary.json.
#pragma once

#include <string>
#include <vector>

#include "ffnn/train/trainer.hpp"

namespace ffnn::app {

// One row per epoch: epoch,lr,train_loss,train_accuracy,val_loss,val_accuracy,seconds.
std::string metrics_csv(const std::vector<EpochRecord>& history);
void write_metrics_csv(const std::string& path, const std::vector<EpochRecord>& history);

// The configuration, the data sizes, the final metrics (train_/val_/test_ loss and accuracy),
// divergence, timings, thread count and version, as one JSON object.
nlohmann::json summary_json(const TrainConfig& config, const TrainOutcome& outcome,
                            const PreparedData& data, int threads, double wall_seconds);
void write_summary_json(const std::string& path, const TrainConfig& config,
                        const TrainOutcome& outcome, const PreparedData& data, int threads,
                        double wall_seconds);

}  // namespace ffnn::app
