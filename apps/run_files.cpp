// metrics.csv and summary.json of a training run; see run_files.hpp.
#include "run_files.hpp"

#include <cmath>
#include <cstdio>

#include "communicator.hpp"
#include "ffnn/io/atomic_file.hpp"
#include "ffnn/io/csv.hpp"
#include "ffnn/version.hpp"

namespace ffnn::app {

namespace {

// JSON has no NaN: a metric that does not exist (no validation part) is written as null.
nlohmann::json number(double v) {
    return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json();
}

}  // namespace

std::string metrics_csv(const std::vector<EpochRecord>& history,
                        const std::vector<std::string>& targets) {
    const bool regression = !targets.empty();
    // A run without a validation part has no val_ columns (rather than columns of NaN).
    bool has_val = false;
    for (const EpochRecord& r : history) has_val = has_val || !std::isnan(r.val_loss);
    const char* metrics[] = {"_mse", "_rmse", "_mae", "_r2"};
    std::string s = "epoch,lr";
    auto header = [&](const char* part) {
        s += std::string(",") + part + "_loss";
        if (!regression) s += std::string(",") + part + "_accuracy";
        if (regression)
            for (const char* m : metrics) s += std::string(",") + part + m;
        if (targets.size() > 1)  // and each target's: train_<name>_mse, ...
            for (const std::string& t : targets)
                for (const char* m : metrics) s += "," + csv_field(std::string(part) + "_" + t + m);
    };
    header("train");
    if (has_val) header("val");
    s += ",seconds\n";
    char buf[64];
    auto field = [&](double v, const char* format) {
        std::snprintf(buf, sizeof buf, format, v);
        s += buf;
    };
    auto four = [&](const TargetMetrics& m) {
        for (double v : {m.mse, m.rmse, m.mae, m.r2}) field(v, ",%.9g");
    };
    auto part = [&](double loss, double accuracy, const TargetMetrics& m,
                    const std::vector<TargetMetrics>& per_target) {
        field(loss, ",%.9g");
        if (!regression) field(accuracy, ",%.9g");
        if (regression) four(m);
        if (targets.size() > 1)
            for (std::size_t t = 0; t < targets.size(); ++t)
                four(t < per_target.size() ? per_target[t] : TargetMetrics{});
    };
    for (const EpochRecord& r : history) {
        std::snprintf(buf, sizeof buf, "%zu", r.epoch);
        s += buf;
        field(r.lr, ",%.9g");
        part(r.train_loss, r.train_accuracy, r.train_metrics, r.train_targets);
        if (has_val) part(r.val_loss, r.val_accuracy, r.val_metrics, r.val_targets);
        field(r.seconds, ",%.6f\n");
    }
    return s;
}

void write_metrics_csv(const std::string& path, const std::vector<EpochRecord>& history,
                       const std::vector<std::string>& targets) {
    write_file_atomic(path, metrics_csv(history, targets));
}

namespace {

nlohmann::json target_json(const TargetMetrics& m) {
    return {{"mse", number(m.mse)},
            {"rmse", number(m.rmse)},
            {"mae", number(m.mae)},
            {"r2", number(m.r2)}};
}

}  // namespace

nlohmann::json epoch_json(const EpochRecord& r, bool regression) {
    nlohmann::json j{{"epoch", r.epoch}, {"lr", r.lr}, {"train_loss", number(r.train_loss)}};
    if (regression) {
        const nlohmann::json train = target_json(r.train_metrics), val = target_json(r.val_metrics);
        for (const auto& [k, v] : train.items()) j["train_" + k] = v;
        j["val_loss"] = number(r.val_loss);
        for (const auto& [k, v] : val.items()) j["val_" + k] = v;
        return j;
    }
    j["train_accuracy"] = number(r.train_accuracy);
    j["val_loss"] = number(r.val_loss);
    j["val_accuracy"] = number(r.val_accuracy);
    return j;
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
                 {"features", data.train.num_features()}};
    const bool regression = data.regression();
    if (regression) {
        j["task"] = "regression";
        j["data"]["targets"] = data.train.target_names;
        j["data"]["targets_standardized"] = data.target_standardizer.fitted();
    } else {
        j["task"] = "classification";
        j["data"]["classes"] = data.train.class_names;
    }
    j["epochs_run"] = out.history.size();
    j["stop_reason"] = to_string(out.stop_reason);
    j["diverged"] = out.diverged;
    if (out.diverged) j["diverged_epoch"] = out.diverged_epoch;
    if (!out.message.empty()) j["message"] = out.message;
    j["monitor"] = to_string(early.monitor());
    j["best_epoch"] = early.best_epoch() > 0 ? nlohmann::json(early.best_epoch()) : nullptr;
    j["best"] = early.best_epoch() > 0 ? epoch_json(early.best(), regression) : nullptr;
    j["restored_best"] = config.early_stopping.restores_best() && early.best_epoch() > 0;
    // A diverged model has no meaningful metrics: they are null, and `diverged` says why.
    auto metric = [&](bool present, double v) {
        return present && !out.diverged ? number(v) : nlohmann::json();
    };
    j["train_loss"] = metric(true, out.train.loss);
    j["val_loss"] = metric(data.val.size() > 0, out.val.loss);
    j["test_loss"] = metric(data.test.size() > 0, out.test.loss);
    if (regression) {
        // Per part: the mean over the targets as train_mse, ..., test_r2, and each target's
        // own under train_targets, ... ({"y": {"mse": ..., "rmse": ..., "mae": ..., "r2": ...}}).
        auto part = [&](const char* name, bool present, const RegressionMetrics& m) {
            const std::string p(name);
            const bool ok = present && !out.diverged && !m.per_target.empty();
            const nlohmann::json mean = target_json(m.mean);
            for (const auto& [k, v] : mean.items()) j[p + "_" + k] = ok ? v : nlohmann::json();
            nlohmann::json per = nlohmann::json::object();
            if (ok)
                for (std::size_t t = 0; t < m.per_target.size(); ++t)
                    per[data.train.target_names[t]] = target_json(m.per_target[t]);
            j[p + "_targets"] = ok ? per : nlohmann::json();
        };
        part("train", true, out.train_metrics);
        part("val", data.val.size() > 0, out.val_metrics);
        part("test", data.test.size() > 0, out.test_metrics);
    } else {
        j["train_accuracy"] = metric(true, out.train.accuracy);
        j["val_accuracy"] = metric(data.val.size() > 0, out.val.accuracy);
        j["test_accuracy"] = metric(data.test.size() > 0, out.test.accuracy);
    }
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
