// metrics.csv and summary.json of a training run; see run_files.hpp.
#include "run_files.hpp"

#include <cmath>
#include <cstdio>

#include "communicator.hpp"
#include "ffnn/io/atomic_file.hpp"
#include "ffnn/version.hpp"

namespace ffnn::app {

namespace {

// JSON has no NaN: a metric that does not exist (no validation part) is written as null.
nlohmann::json number(double v) {
    return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json();
}

}  // namespace

std::string metrics_csv(const std::vector<EpochRecord>& history) {
    std::string s = "epoch,lr,train_loss,train_accuracy,val_loss,val_accuracy,seconds\n";
    char buf[256];
    for (const EpochRecord& r : history) {
        std::snprintf(buf, sizeof buf, "%zu,%.9g,%.9g,%.9g,%.9g,%.9g,%.6f\n", r.epoch, r.lr,
                      r.train_loss, r.train_accuracy, r.val_loss, r.val_accuracy, r.seconds);
        s += buf;
    }
    return s;
}

void write_metrics_csv(const std::string& path, const std::vector<EpochRecord>& history) {
    write_file_atomic(path, metrics_csv(history));
}

nlohmann::json epoch_json(const EpochRecord& r) {
    return {{"epoch", r.epoch},
            {"lr", r.lr},
            {"train_loss", number(r.train_loss)},
            {"train_accuracy", number(r.train_accuracy)},
            {"val_loss", number(r.val_loss)},
            {"val_accuracy", number(r.val_accuracy)}};
}

nlohmann::json summary_json(const TrainConfig& config, const TrainOutcome& out,
                            const EarlyStopping& early, const PreparedData& data, int threads,
                            double wall_seconds) {
    nlohmann::json j;
    j["ffnn_version"] = FFNN_VERSION;
    j["config"] = config.to_json();
    j["data"] = {{"name", data.name},
                 {"train", data.train.size()},
                 {"validation", data.val.size()},
                 {"test", data.test.size()},
                 {"features", data.train.num_features()},
                 {"classes", data.train.class_names}};
    j["epochs_run"] = out.history.size();
    j["stop_reason"] = to_string(out.stop_reason);
    j["diverged"] = out.diverged;
    if (out.diverged) j["diverged_epoch"] = out.diverged_epoch;
    if (!out.message.empty()) j["message"] = out.message;
    j["monitor"] = to_string(early.monitor());
    j["best_epoch"] = early.best_epoch() > 0 ? nlohmann::json(early.best_epoch()) : nullptr;
    j["best"] = early.best_epoch() > 0 ? epoch_json(early.best()) : nullptr;
    j["restored_best"] = config.early_stopping.restores_best() && early.best_epoch() > 0;
    // A diverged model has no meaningful metrics: they are null, and `diverged` says why.
    auto metric = [&](bool present, double v) {
        return present && !out.diverged ? number(v) : nlohmann::json();
    };
    j["train_loss"] = metric(true, out.train.loss);
    j["train_accuracy"] = metric(true, out.train.accuracy);
    j["val_loss"] = metric(data.val.size() > 0, out.val.loss);
    j["val_accuracy"] = metric(data.val.size() > 0, out.val.accuracy);
    j["test_loss"] = metric(data.test.size() > 0, out.test.loss);
    j["test_accuracy"] = metric(data.test.size() > 0, out.test.accuracy);
    j["train_seconds"] = out.train_seconds;
    j["wall_seconds"] = wall_seconds;
    j["threads"] = threads;
    // Under mpirun: the processes, and the part of train_seconds spent in the collective of
    // the gradient steps (docs/distributed.md).
    j["ranks"] = world().size();
    j["steps"] = out.steps;
    j["reduce_seconds"] = out.reduce_seconds;
    return j;
}

void write_summary_json(const std::string& path, const TrainConfig& config,
                        const TrainOutcome& outcome, const EarlyStopping& early,
                        const PreparedData& data, int threads, double wall_seconds) {
    write_file_atomic(
        path, summary_json(config, outcome, early, data, threads, wall_seconds).dump(2) + "\n");
}

}  // namespace ffnn::app
