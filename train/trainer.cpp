// Training runs; see trainer.hpp.
#include "ffnn/train/trainer.hpp"

#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <sstream>
#include <stdexcept>

#include "ffnn/io/csv.hpp"
#include "ffnn/io/loader.hpp"
#include "ffnn/io/split.hpp"
#include "ffnn/nn/schedule.hpp"
#include "ffnn/tensor/parallel.hpp"
#include "ffnn/train/class_weights.hpp"

namespace ffnn {

namespace {

using Clock = std::chrono::steady_clock;

// An epoch's training metrics as the steps measured them (each batch with the weights before
// its step, as Keras reports them): no second pass over the training part. Sums in double of
// DataParallelStep::batch_stats, in batch order: the same bits for every thread and rank
// count.
class RunningMetrics {
  public:
    void add(float batch_loss, std::size_t rows, std::span<const float> stats) {
        loss_sum_ += static_cast<double>(batch_loss) * static_cast<double>(rows);
        rows_ += rows;
        if (sums_.size() < stats.size()) sums_.resize(stats.size(), 0.0);
        for (std::size_t i = 0; i < stats.size(); ++i) sums_[i] += stats[i];
    }
    double loss() const { return loss_sum_ / static_cast<double>(rows_); }
    double accuracy() const { return sums_.empty() ? std::nan("") : sums_[0] / double(rows_); }
    // Per target t: sums_[2t] = sum of e^2 and sums_[2t + 1] = sum of |e| in the network's
    // units; ss_tot[t] the training part's sum of (y - mean y)^2 there, and scale[t] the
    // target's sd (1 without standardisation): MSE = scale^2 SSE / N, MAE = scale SAE / N,
    // R^2 = 1 - SSE / SS_tot (the scale cancels).
    RegressionMetrics regression(const std::vector<double>& ss_tot,
                                 const std::vector<double>& scale) const {
        RegressionMetrics m;
        m.n = rows_;
        const double n = static_cast<double>(rows_);
        const std::size_t T = std::min(ss_tot.size(), sums_.size() / 2);
        for (std::size_t t = 0; t < T; ++t) {
            const double sse = sums_[2 * t], sae = sums_[2 * t + 1], s = scale[t];
            TargetMetrics tm;
            tm.mse = s * s * sse / n;
            tm.rmse = std::sqrt(tm.mse);
            tm.mae = s * sae / n;
            tm.r2 = ss_tot[t] > 0 ? 1 - sse / ss_tot[t] : (sse == 0 ? 1.0 : 0.0);
            m.per_target.push_back(tm);
        }
        m.mean = mean_of(m.per_target);
        return m;
    }

  private:
    double loss_sum_ = 0;
    std::size_t rows_ = 0;
    std::vector<double> sums_;
};

double seconds_since(Clock::time_point t0) {
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

// Labels that would make the wrong task. A classifier needs two classes at least; a label of
// non-integer numbers, or with nearly one class per example, is a regression target, not
// classes (unless the caller says classification).
void check_label_task(const Dataset& all, const std::string& path, const DataConfig& dc) {
    const std::size_t K = all.num_classes(), N = all.size();
    const std::string column = "the label column '" + all.label_column + "'";
    if (K < 2)
        throw std::runtime_error(path + ": " + column + " has a single class ('" +
                                 (K ? all.class_names[0] : std::string()) +
                                 "'): a classifier needs at least 2 (is it the right column?)");
    if (dc.task == LabelTask::Classification) return;
    std::size_t numeric = 0, fractional = 0;
    std::string example;
    for (const std::string& c : all.class_names) {
        double v = 0;
        const auto [end, ec] = std::from_chars(c.data(), c.data() + c.size(), v);
        if (ec != std::errc() || end != c.data() + c.size()) continue;
        ++numeric;
        if (v != std::floor(v)) {
            ++fractional;
            if (example.empty()) example = c;
        }
    }
    // More than 100 classes that are all numbers (a count or a score: 200 values of an
    // integer target in 5000 rows trained to 4% accuracy as classes), or more than 100 of
    // any kind and over a fifth as many as rows (nearly one class per example).
    constexpr std::size_t kManyClasses = 100;
    const bool fractions = numeric == K && fractional > 0;
    const bool many = K > kManyClasses && (numeric == K || K * 5 > N);
    if (many && numeric != K)  // names, nearly one per row: an identifier or free text
        throw std::runtime_error(
            path + ": " + column + " has " + std::to_string(K) + " distinct values in " +
            std::to_string(N) +
            " rows, nearly one class per example: is it an identifier or free text? Choose the "
            "label column of the classes (--label), leave this one out (--id-column or "
            "--ignore-columns), or take every value as a class (--task classification).");
    if (fractions || many)
        throw std::runtime_error(
            path + ": " + column + " looks like a continuous target, not classes: " +
            std::to_string(K) + " distinct values in " + std::to_string(N) + " rows" +
            (fractions ? " and non-integer numbers such as " + example : std::string()) +
            ". Train a regressor on it (--task regression), choose the label column of the "
            "classes (--label), or take every value as a class (--task classification).");
}

// Data are read as float, whose 24-bit significand resolves |mean| 2^-23 around a column's
// mean: a column whose spread is a few such steps (1e6 + noise of sd 0.01, where float steps
// by 0.0625) has lost its values when it was read. Below kFewSteps steps per sd a target is
// refused (its metrics would be those of the rounded values: R^2 1.0 for a model that knows
// nothing) and a feature warned about; below kSomeSteps both are warned about (the rounding
// then adds a noise of (step / sd)^2 / 12 of the variance, up to 2e-5).
void check_float_resolution(const Tensor<float>& X, const std::vector<std::string>& names,
                            const std::string& path, const char* what, bool refuse,
                            std::vector<std::string>& warnings) {
    constexpr double kFewSteps = 4, kSomeSteps = 64, kStep = 1.1920928955078125e-07;  // 2^-23
    const std::size_t N = X.rank() == 2 ? X.rows() : 0;
    if (N < 2) return;
    for (std::size_t j = 0; j < X.cols(); ++j) {
        double sum = 0, ss = 0;
        for (std::size_t i = 0; i < N; ++i) sum += X(i, j);
        const double mean = sum / static_cast<double>(N);
        for (std::size_t i = 0; i < N; ++i) ss += (X(i, j) - mean) * (X(i, j) - mean);
        const double sd = std::sqrt(ss / static_cast<double>(N)), step = std::fabs(mean) * kStep;
        auto g = [](double v) {
            char buf[32];
            std::snprintf(buf, sizeof buf, "%.3g", v);
            return std::string(buf);
        };
        if (sd == 0 && refuse)
            throw std::runtime_error(
                path + ": the " + what + " column '" + names[j] + "' is constant as read (" +
                g(mean) + "): constant in the file, or varying by less than float's step there (" +
                g(std::fabs(mean) * kStep) + "); a regressor has nothing to learn from it");
        if (sd == 0 || step == 0 || sd >= kSomeSteps * step) continue;
        const std::string msg = std::string(what) + " column '" + names[j] + "' varies by " +
                                g(sd) + " (sd) around " + g(mean) +
                                ", where float, the precision data are read in, steps by " +
                                g(step) + ": subtract an offset (or change its units) in the file";
        if (refuse && sd < kFewSteps * step)
            throw std::runtime_error(path + ": the " + msg + "; its values are lost");
        warnings.push_back(
            "the " + msg +
            (sd < kFewSteps * step ? ": its values are mostly lost" : ": it loses precision"));
    }
}

// Every class must have a training example after the split: a class that lands only in the
// validation or test part is one the model can never predict.
void check_every_class_trains(const Dataset& all, const SplitIndices& s, const std::string& path,
                              const DataConfig& dc) {
    std::vector<std::size_t> train_count(all.num_classes(), 0), count(all.num_classes(), 0);
    for (int y : all.labels) ++count[static_cast<std::size_t>(y)];
    for (std::size_t i : s.train) ++train_count[static_cast<std::size_t>(all.labels[i])];
    for (std::size_t k = 0; k < count.size(); ++k)
        if (train_count[k] == 0)
            throw std::runtime_error(
                path + ": class '" + all.class_names[k] + "' has " + std::to_string(count[k]) +
                " example" + (count[k] == 1 ? "" : "s") + " and the split (validation " +
                format_number(dc.val_split) + ", test " + format_number(dc.test_split) +
                ") leaves it none for training: give it more examples, or smaller --val-split and "
                "--test-split");
}

}  // namespace

std::string shipped_data_path(const std::string& file) {
    // ./data/ first (a checkout), then the installed copy, then the source tree of the build.
    for (const char* dir : {"data", FFNN_INSTALL_DATA_DIR, FFNN_SOURCE_DATA_DIR}) {
        std::filesystem::path candidate = std::filesystem::path(dir) / file;
        if (std::filesystem::exists(candidate)) return candidate.string();
    }
    return (std::filesystem::path(FFNN_SOURCE_DATA_DIR) / file).string();
}

PreparedData prepare_data(const TrainConfig& config) {
    config.validate();
    const DataConfig& dc = config.data;
    PreparedData out;
    out.name = dc.name();
    if (dc.regression()) {
        const std::string& path = dc.csv;
        CsvOptions opts;  // no label column: every column a number, the targets among them
        opts.label_required = false;
        opts.delimiter = dc.delimiter;
        opts.comment = dc.comment;
        opts.ignore_columns = dc.ignore_columns;
        opts.id_column = dc.id_column;
        Dataset all = read_csv(path, opts);
        std::vector<std::string> targets = dc.target_columns();
        if (targets.empty() && !all.feature_names.empty()) targets = {all.feature_names.back()};
        try {
            take_target_columns(all, targets);
        } catch (const std::invalid_argument& e) {
            throw std::runtime_error(e.what());
        }
        check_float_resolution(all.targets, all.target_names, path, "target", true, out.warnings);
        check_float_resolution(all.X, all.feature_names, path, "feature", false, out.warnings);
        // One class for all: a random split with the stratified split's sizes.
        const std::vector<int> one_class(all.size(), 0);
        SplitIndices s = stratified_split(one_class, dc.val_split, dc.test_split, config.seed);
        if (s.train.size() < 2)
            throw std::runtime_error(path + ": " + count_of(all.size(), "row", "rows") + " leave " +
                                     count_of(s.train.size(), "row", "rows") +
                                     " for training; a regressor needs at least 2");
        out.val = select_rows(all, s.validation);
        out.test = select_rows(all, s.test);
        out.train = select_rows(std::move(all), s.train);  // last use: rows kept in place
        for (const std::string& t : out.train.target_names)
            out.label_column += (out.label_column.empty() ? "" : ",") + t;
    } else if (dc.csv.empty() && dc.dataset == NamedDataset::FashionMnist) {
        FashionMnist fm = load_fashion_mnist();
        SplitIndices s = split_train_validation(fm.train.labels, dc.val_split, config.seed);
        out.val = select_rows(fm.train, s.validation);
        out.train = select_rows(std::move(fm.train), s.train);  // last use: rows kept in place
        out.test = std::move(fm.test);
        out.label_column = "label";
    } else {
        std::string path =
            dc.csv.empty() ? shipped_data_path(to_string(dc.dataset) + ".csv") : dc.csv;
        CsvOptions opts;
        opts.label_column = dc.label;
        opts.delimiter = dc.delimiter;
        opts.comment = dc.comment;
        opts.ignore_columns = dc.ignore_columns;
        opts.id_column = dc.id_column;
        Dataset all = read_csv(path, opts);
        check_label_task(all, path, dc);
        check_float_resolution(all.X, all.feature_names, path, "feature", false, out.warnings);
        SplitIndices s = stratified_split(all.labels, dc.val_split, dc.test_split, config.seed);
        check_every_class_trains(all, s, path, dc);
        if (s.train.empty())
            throw std::invalid_argument(path + ": no training rows left after the split");
        out.label_column = all.label_column;
        out.val = select_rows(all, s.validation);
        out.test = select_rows(all, s.test);
        out.train = select_rows(std::move(all), s.train);  // last use: rows kept in place
    }
    const std::size_t n_all = out.train.size() + out.val.size() + out.test.size();
    auto part_warning = [&](const Dataset& part, double fraction, const char* what) {
        if (fraction > 0 && part.size() == 0)
            out.warnings.push_back(std::string("the ") + what + " part is empty (" +
                                   format_number(fraction) + " of " +
                                   count_of(n_all, "example", "examples") + " rounds to none)");
        else if (out.regression() && part.size() == 1)
            out.warnings.push_back(std::string("the ") + what +
                                   " part has 1 example: its R^2 means nothing");
        else if (part.size() > 0 && part.size() < out.train.num_classes())
            out.warnings.push_back(std::string("the ") + what + " part has only " +
                                   count_of(part.size(), "example", "examples") + " for " +
                                   count_of(out.train.num_classes(), "class", "classes") +
                                   ": its metrics mean little");
    };
    part_warning(out.val, dc.val_split, "validation");
    // A class with too few examples for every part trains (check_every_class_trains) but goes
    // untested: say which.
    if (!out.regression() && out.test.size() > 0) {
        std::vector<std::size_t> in_test(out.train.num_classes(), 0);
        for (int y : out.test.labels) ++in_test[static_cast<std::size_t>(y)];
        std::string missing;
        std::size_t n_missing = 0;
        for (std::size_t k = 0; k < in_test.size(); ++k)
            if (in_test[k] == 0) {
                missing += (missing.empty() ? "'" : ", '") + out.train.class_names[k] + "'";
                ++n_missing;
            }
        if (n_missing == 1)
            out.warnings.push_back("no test example of the class " + missing +
                                   ": the test metrics say nothing about it");
        else if (n_missing > 1)
            out.warnings.push_back("no test example of the classes " + missing +
                                   ": the test metrics say nothing about them");
    }
    const bool own_test_set = dc.csv.empty() && dc.dataset == NamedDataset::FashionMnist;
    if (!own_test_set) part_warning(out.test, dc.test_split, "test");
    out.class_weights = class_weights(config.class_weight, out.train);
    if (dc.standardize) {
        out.standardizer.fit(out.train.X);
        out.standardizer.transform(out.train.X);
        if (out.val.size()) out.standardizer.transform(out.val.X);
        if (out.test.size()) out.standardizer.transform(out.test.X);
    }
    if (out.regression() && dc.standardize_targets) {
        out.target_standardizer.fit(out.train.targets);
        for (Dataset* part : {&out.train, &out.val, &out.test})
            if (part->size()) out.target_standardizer.transform(part->targets);
    }
    return out;
}

namespace {

// FNV-1a over bytes (Fowler, Noll, Vo): a fingerprint, not a defence against an adversary.
struct Fingerprint {
    std::uint64_t h = 14695981039346656037ull;
    void add(const void* p, std::size_t n) {
        const auto* b = static_cast<const unsigned char*>(p);
        for (std::size_t i = 0; i < n; ++i) h = (h ^ b[i]) * 1099511628211ull;
    }
    void add(const Dataset& d) {
        add(d.X.data(), d.X.size() * sizeof(float));
        add(d.labels.data(), d.labels.size() * sizeof(int));
        add(d.targets.data(), d.targets.size() * sizeof(float));
        for (const std::string& c : d.class_names) add(c.data(), c.size() + 1);
        for (const std::string& t : d.target_names) add(t.data(), t.size() + 1);
    }
};

}  // namespace

void agree_on_data(Communicator& comm, const PreparedData& data) {
    if (comm.size() == 1) return;
    Fingerprint f;
    f.add(data.train);
    f.add(data.val);
    f.add(data.test);
    const std::vector<std::string> all = comm.allgather_bytes(std::to_string(f.h));
    for (std::size_t r = 1; r < all.size(); ++r)
        if (all[r] != all[0])
            throw RankFailure(static_cast<int>(r), comm.size(),
                              "its data after the split and standardisation differ from rank "
                              "0's (is the data file the same on every host?)",
                              1);
}

ModelOutputs PreparedData::outputs() const {
    if (!regression()) return ModelOutputs::classes(train.class_names);
    return {ModelTask::Regression, train.target_names, &target_standardizer};
}

Model<float> build_model(const TrainConfig& config, std::size_t n_inputs, std::size_t n_outputs) {
    ModelSpec spec = config.model;
    spec.n_inputs = n_inputs;
    spec.n_classes = n_outputs;
    if (config.data.regression()) spec.loss = LossKind::MSE;
    spec.seed = config.seed;
    return Model<float>(spec);
}

TrainOutcome fit(Model<float>& model, const PreparedData& data, const TrainConfig& config,
                 const FitCallbacks& callbacks, Communicator* comm) {
    FitState state;
    return fit(model, data, config, state, callbacks, comm);
}

TrainOutcome fit(Model<float>& model, const PreparedData& data, const TrainConfig& config,
                 FitState& state, const FitCallbacks& callbacks, Communicator* comm) {
    const auto wall0 = Clock::now();
    if (config.threads > 0) set_threads(config.threads);
    TrainOutcome out;
    if (state.history.size() != state.epochs_done)
        throw std::invalid_argument("fit: the state has " + std::to_string(state.history.size()) +
                                    " epoch records for " + std::to_string(state.epochs_done) +
                                    " completed epochs");

    const bool regression = data.regression();
    if (!regression) model.set_class_weights(data.class_weights);
    if (!state.optimizer)
        state.optimizer = make_optimizer<float>(config.optimizer, model.parameters());
    std::unique_ptr<Optimizer<float>>& optimizer = state.optimizer;
    ScheduleConfig sc = config.schedule;
    if (sc.t_max == 0) sc.t_max = config.epochs;
    LrSchedule schedule(sc, config.optimizer.lr);
    DataParallelStep gradient_step(model, *optimizer, comm, config.shard_count(), config.reduce);

    LoaderOptions lo;
    lo.batch_size = config.batch_size;
    lo.seed = config.seed;
    DataLoader loader(data.train.X, data.train.labels, lo);
    if (regression) loader.set_targets(data.train.targets);
    Tensor<float> xb, tb;  // (B, D) inputs, (B, T) regression targets
    std::vector<int> yb;   // (B) labels
    // Regression's running metrics need, per target, the training part's total sum of squares
    // (a constant of the data: every row is visited once an epoch) and the scale that maps
    // the network's units to the target's.
    std::vector<double> train_ss_tot, target_scale;
    if (regression) {
        const Tensor<float>& t = data.train.targets;  // (N, T), the network's units
        for (std::size_t j = 0; j < t.cols(); ++j) {
            double sum = 0, ss = 0;
            for (std::size_t i = 0; i < t.rows(); ++i) sum += t(i, j);
            const double mean = sum / static_cast<double>(t.rows());
            for (std::size_t i = 0; i < t.rows(); ++i) ss += (t(i, j) - mean) * (t(i, j) - mean);
            train_ss_tot.push_back(ss);
            target_scale.push_back(
                data.target_standardizer.fitted() ? data.target_standardizer.scale()(j) : 1.0);
        }
    }
    // One part's loss and accuracy (NaN for regression, whose metrics go to `metrics`).
    auto evaluate = [&](const Dataset& part, RegressionMetrics* metrics) {
        if (!regression) return model.evaluate(part.X, part.labels);
        RegressionEval r =
            evaluate_regression(model, part.X, part.targets, data.target_standardizer);
        if (metrics) *metrics = r.metrics;
        EvalResult e;
        e.loss = r.loss;
        e.accuracy = std::nan("");
        e.n = part.size();
        e.non_finite = r.non_finite;
        return e;
    };
    const std::size_t batches = loader.batches_per_epoch();

    // The weights after the last epoch whose losses were all finite (the initial weights
    // before the first): what the model is reset to when training diverges, so that neither
    // the caller nor the final metrics ever see the weights of a diverged step.
    std::vector<Tensor<float>> last_finite;
    for (const Param<float>& p : model.parameter_list()) last_finite.push_back(p.value->clone());
    auto keep_weights = [&] {
        const auto& params = model.parameter_list();
        for (std::size_t i = 0; i < params.size(); ++i) last_finite[i].copy_from(*params[i].value);
    };
    std::size_t finite_epochs = state.epochs_done;

    if (state.stopped && state.epochs_done < config.epochs) {
        out.stop_reason = StopReason::EarlyStop;
        out.message = "the run had stopped early after epoch " + std::to_string(state.epochs_done) +
                      ": no epoch trained";
    }
    for (std::size_t epoch = state.epochs_done + 1; epoch <= config.epochs && !state.stopped;
         ++epoch) {
        EpochRecord rec;
        rec.epoch = epoch;
        rec.lr = schedule.lr(epoch - 1);  // the schedule counts epochs from 0
        optimizer->set_lr(rec.lr);
        loader.start_epoch(epoch - 1);
        const auto t0 = Clock::now();
        std::size_t done = 0;
        RunningMetrics running;
        while (regression ? loader.next(xb, tb) : loader.next(xb, yb)) {
            const float loss = regression ? gradient_step.step(xb, tb) : gradient_step.step(xb, yb);
            running.add(loss, xb.rows(), gradient_step.batch_stats());
            ++done;
            if (!std::isfinite(loss)) {
                out.diverged = true;
                out.diverged_epoch = epoch;
                std::ostringstream msg;
                msg << "training diverged at epoch " << epoch << ", batch " << done << " of "
                    << batches << ": the loss is " << (std::isnan(loss) ? "NaN" : "infinite")
                    << ". The learning rate " << config.optimizer.lr
                    << " is probably too high for this model.";
                out.message = msg.str();
                break;
            }
            if (callbacks.on_batch) callbacks.on_batch(epoch, done, batches, seconds_since(t0));
        }
        rec.seconds = seconds_since(t0);
        out.train_seconds += rec.seconds;
        if (out.diverged) break;
        // The training metrics are the running ones of the epoch's steps; the validation part
        // is evaluated with the epoch's final weights.
        RegressionMetrics val_metrics;
        rec.train_loss = running.loss();
        rec.train_accuracy = regression ? std::nan("") : running.accuracy();
        if (regression) {
            const RegressionMetrics m = running.regression(train_ss_tot, target_scale);
            rec.train_metrics = m.mean;
            if (m.per_target.size() > 1) rec.train_targets = m.per_target;
        }
        if (data.val.size()) {
            EvalResult va = evaluate(data.val, &val_metrics);
            rec.val_loss = va.loss;
            rec.val_accuracy = va.accuracy;
            rec.val_metrics = val_metrics.mean;
            if (val_metrics.per_target.size() > 1) rec.val_targets = val_metrics.per_target;
        } else {
            const double nan = std::nan("");
            rec.val_metrics = {nan, nan, nan, nan};
            rec.val_loss = rec.val_accuracy = std::nan("");
        }
        state.history.push_back(rec);
        state.epochs_done = epoch;
        EpochDecision decision;
        if (callbacks.on_epoch) decision = callbacks.on_epoch(rec, state);
        if (!std::isfinite(rec.train_loss)) {
            // Finite batch losses but an overflowing evaluation: the weights blew up.
            out.diverged = true;
            out.diverged_epoch = epoch;
            out.message = "training diverged at epoch " + std::to_string(epoch) +
                          ": the training loss is not finite. The learning rate is probably too "
                          "high for this model.";
            break;
        }
        ++finite_epochs;
        keep_weights();
        if (decision.stop) {
            state.stopped = true;
            out.stop_reason = StopReason::EarlyStop;
            out.message = decision.reason;
            break;
        }
    }
    if (out.diverged) {
        out.stop_reason = StopReason::Diverged;
        const auto& params = model.parameter_list();
        for (std::size_t i = 0; i < params.size(); ++i) params[i].value->copy_from(last_finite[i]);
    }
    if (callbacks.on_train_end) callbacks.on_train_end(model);
    if (!out.diverged || finite_epochs > 0) {
        out.train = evaluate(data.train, &out.train_metrics);
        if (data.val.size()) out.val = evaluate(data.val, &out.val_metrics);
        if (data.test.size()) out.test = evaluate(data.test, &out.test_metrics);
    }
    out.history = state.history;
    out.steps = gradient_step.steps();
    out.reduce_seconds = gradient_step.reduce_seconds();
    out.wall_seconds = seconds_since(wall0);
    return out;
}

}  // namespace ffnn
