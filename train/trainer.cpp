// Training runs; see trainer.hpp.
#include "ffnn/train/trainer.hpp"

#include <chrono>
#include <cmath>
#include <filesystem>
#include <sstream>
#include <stdexcept>

#include "ffnn/io/csv.hpp"
#include "ffnn/io/loader.hpp"
#include "ffnn/io/split.hpp"
#include "ffnn/nn/schedule.hpp"
#include "ffnn/tensor/parallel.hpp"

namespace ffnn {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
    return std::chrono::duration<double>(Clock::now() - t0).count();
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
    if (dc.csv.empty() && dc.dataset == NamedDataset::FashionMnist) {
        FashionMnist fm = load_fashion_mnist();
        SplitIndices s = split_train_validation(fm.train.labels, dc.val_split, config.seed);
        out.val = select_rows(fm.train, s.validation);
        out.train = select_rows(fm.train, s.train);
        out.test = std::move(fm.test);
        out.label_column = "label";
    } else {
        std::string path =
            dc.csv.empty() ? shipped_data_path(to_string(dc.dataset) + ".csv") : dc.csv;
        CsvOptions opts;
        opts.label_column = dc.label;
        Dataset all = read_csv(path, opts);
        SplitIndices s = stratified_split(all.labels, dc.val_split, dc.test_split, config.seed);
        if (s.train.empty())
            throw std::invalid_argument(path + ": no training rows left after the split");
        out.train = select_rows(all, s.train);
        out.val = select_rows(all, s.validation);
        out.test = select_rows(all, s.test);
        out.label_column = all.label_column;
    }
    if (dc.standardize) {
        out.standardizer.fit(out.train.X);
        out.standardizer.transform(out.train.X);
        if (out.val.size()) out.standardizer.transform(out.val.X);
        if (out.test.size()) out.standardizer.transform(out.test.X);
    }
    return out;
}

Model<float> build_model(const TrainConfig& config, std::size_t n_inputs, std::size_t n_classes) {
    ModelSpec spec = config.model;
    spec.n_inputs = n_inputs;
    spec.n_classes = n_classes;
    spec.seed = config.seed;
    return Model<float>(spec);
}

TrainOutcome fit(Model<float>& model, const PreparedData& data, const TrainConfig& config,
                 const FitCallbacks& callbacks) {
    const auto wall0 = Clock::now();
    if (config.threads > 0) set_threads(config.threads);
    TrainOutcome out;

    std::unique_ptr<Optimizer<float>> optimizer =
        make_optimizer<float>(config.optimizer, model.parameters());
    ScheduleConfig sc = config.schedule;
    if (sc.t_max == 0) sc.t_max = config.epochs;
    LrSchedule schedule(sc, config.optimizer.lr);

    LoaderOptions lo;
    lo.batch_size = config.batch_size;
    lo.seed = config.seed;
    DataLoader loader(data.train.X, data.train.labels, lo);
    Tensor<float> xb;
    std::vector<int> yb;
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
    std::size_t finite_epochs = 0;

    for (std::size_t epoch = 1; epoch <= config.epochs; ++epoch) {
        EpochRecord rec;
        rec.epoch = epoch;
        rec.lr = schedule.lr(epoch - 1);  // the schedule counts epochs from 0
        optimizer->set_lr(rec.lr);
        loader.start_epoch(epoch - 1);
        const auto t0 = Clock::now();
        std::size_t done = 0;
        while (loader.next(xb, yb)) {
            float loss = model.train_step(xb, yb, *optimizer);
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
        EvalResult tr = model.evaluate(data.train.X, data.train.labels);
        rec.train_loss = tr.loss;
        rec.train_accuracy = tr.accuracy;
        if (data.val.size()) {
            EvalResult va = model.evaluate(data.val.X, data.val.labels);
            rec.val_loss = va.loss;
            rec.val_accuracy = va.accuracy;
        } else {
            rec.val_loss = rec.val_accuracy = std::nan("");
        }
        out.history.push_back(rec);
        if (callbacks.on_epoch) callbacks.on_epoch(rec);
        if (!std::isfinite(tr.loss)) {
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
    }
    if (out.diverged) {
        const auto& params = model.parameter_list();
        for (std::size_t i = 0; i < params.size(); ++i) params[i].value->copy_from(last_finite[i]);
    }
    if (!out.diverged || finite_epochs > 0) {
        out.train = model.evaluate(data.train.X, data.train.labels);
        if (data.val.size()) out.val = model.evaluate(data.val.X, data.val.labels);
        if (data.test.size()) out.test = model.evaluate(data.test.X, data.test.labels);
    }
    out.wall_seconds = seconds_since(wall0);
    return out;
}

}  // namespace ffnn
