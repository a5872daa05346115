// Training runs; see trainer.hpp.
#include "ffnn/train/trainer.hpp"

#include <charconv>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "ffnn/io/csv.hpp"
#include "ffnn/io/loader.hpp"
#include "ffnn/io/split.hpp"
#include "ffnn/nn/init.hpp"
#include "ffnn/nn/schedule.hpp"
#include "ffnn/tensor/parallel.hpp"

namespace ffnn {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

// The first line of a text file (its CSV header), without the line ending.
std::string read_header_line(const std::string& path) {
    std::ifstream in(path);
    std::string line;
    std::getline(in, line);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    return line;
}

void require(bool ok, const std::string& what) {
    if (!ok) throw std::invalid_argument(what);
}

}  // namespace

std::vector<std::size_t> parse_hidden(const std::string& text) {
    std::vector<std::size_t> out;
    if (text.empty() || text == "none") return out;  // no hidden layer: a linear classifier
    std::size_t pos = 0;
    while (pos <= text.size()) {
        std::size_t end = text.find_first_of(",x", pos);
        if (end == std::string::npos) end = text.size();
        std::string part = text.substr(pos, end - pos);
        std::size_t v = 0;
        auto [p, ec] = std::from_chars(part.data(), part.data() + part.size(), v);
        if (part.empty() || ec != std::errc() || p != part.data() + part.size() || v == 0)
            throw std::invalid_argument(
                "--hidden: expected positive layer widths separated by commas "
                "(for example 64,32), got '" +
                text + "'");
        out.push_back(v);
        pos = end + 1;
    }
    return out;
}

void TrainConfig::validate() const {
    if (data.empty())
        require(dataset == "iris" || dataset == "digits" || dataset == "fashion-mnist",
                "--dataset: expected iris, digits or fashion-mnist, got '" + dataset + "'");
    require(val_split >= 0 && val_split < 1,
            "--val-split: expected a fraction in [0, 1), got " + std::to_string(val_split));
    require(test_split >= 0 && test_split < 1,
            "--test-split: expected a fraction in [0, 1), got " + std::to_string(test_split));
    require(val_split + test_split < 1,
            "--val-split + --test-split must leave training data, got " +
                std::to_string(val_split) + " + " + std::to_string(test_split));
    require(std::isfinite(lr) && lr > 0,
            "--lr: expected a positive number, got " + std::to_string(lr));
    require(momentum >= 0 && momentum < 1,
            "--momentum: expected a value in [0, 1), got " + std::to_string(momentum));
    require(weight_decay >= 0,
            "--weight-decay: expected a non-negative number, got " + std::to_string(weight_decay));
    require(clip_norm >= 0, "--clip-norm: expected a non-negative number");
    require(batch_size > 0, "--batch-size: expected a positive number");
    require(epochs > 0, "--epochs: expected a positive number");
    require(threads >= 0, "--threads: expected 0 (all cores) or a positive count");
    require(gamma > 0, "--gamma: expected a positive factor");
    require(step_size > 0, "--step-size: expected a positive number of epochs");
    parse_optimizer(optimizer);
    parse_schedule(schedule);
    parse_init(init);
    make_activation<float>(activation);
}

nlohmann::json TrainConfig::to_json() const {
    return nlohmann::json{{"dataset", dataset},
                          {"data", data},
                          {"label", label},
                          {"val_split", val_split},
                          {"test_split", test_split},
                          {"standardize", standardize},
                          {"hidden", hidden},
                          {"activation", activation},
                          {"init", init},
                          {"optimizer", optimizer},
                          {"lr", lr},
                          {"momentum", momentum},
                          {"nesterov", nesterov},
                          {"weight_decay", weight_decay},
                          {"schedule", schedule},
                          {"gamma", gamma},
                          {"step_size", step_size},
                          {"clip_norm", clip_norm},
                          {"batch_size", batch_size},
                          {"epochs", epochs},
                          {"seed", seed},
                          {"threads", threads},
                          {"out", out}};
}

std::string TrainConfig::data_name() const {
    if (!data.empty()) return std::filesystem::path(data).stem().string();
    return dataset;
}

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
    PreparedData out;
    out.name = config.data_name();
    if (config.data.empty() && config.dataset == "fashion-mnist") {
        FashionMnist fm = load_fashion_mnist();
        SplitIndices s = split_train_validation(fm.train.labels, config.val_split, config.seed);
        out.val = select_rows(fm.train, s.validation);
        out.train = select_rows(fm.train, s.train);
        out.test = std::move(fm.test);
        out.label_column = "label";
    } else {
        std::string path =
            config.data.empty() ? shipped_data_path(config.dataset + ".csv") : config.data;
        CsvOptions opts;
        opts.label_column = config.label;
        Dataset all = read_csv(path, opts);
        SplitIndices s =
            stratified_split(all.labels, config.val_split, config.test_split, config.seed);
        if (s.train.empty())
            throw std::invalid_argument(path + ": no training rows left after the split");
        out.train = select_rows(all, s.train);
        out.val = select_rows(all, s.validation);
        out.test = select_rows(all, s.test);
        out.label_column = config.label.empty() ? "" : config.label;
        if (out.label_column.empty()) {
            // read_csv took the last column: recover its name from the header.
            std::string header = read_header_line(path);
            out.label_column = header.substr(header.find_last_of(',') + 1);
        }
    }
    if (config.standardize) {
        out.standardizer.fit(out.train.X);
        out.standardizer.transform(out.train.X);
        if (out.val.size()) out.standardizer.transform(out.val.X);
        if (out.test.size()) out.standardizer.transform(out.test.X);
    }
    return out;
}

Model<float> build_model(const TrainConfig& config, std::size_t n_inputs, std::size_t n_classes) {
    ModelSpec spec;
    spec.n_inputs = n_inputs;
    spec.hidden = config.hidden;
    spec.activation = config.activation;
    spec.n_classes = n_classes;
    spec.init = config.init;
    spec.seed = config.seed;
    Model<float> model(spec);
    OptimizerConfig oc;
    oc.kind = parse_optimizer(config.optimizer);
    oc.lr = config.lr;
    oc.weight_decay = config.weight_decay;
    oc.momentum = oc.kind == OptimizerKind::SGD ? config.momentum : 0.0;
    oc.nesterov = config.nesterov;
    model.set_optimizer(oc);
    model.set_clip_grad_norm(config.clip_norm);
    return model;
}

TrainOutcome fit(Model<float>& model, const PreparedData& data, const TrainConfig& config,
                 const FitCallbacks& callbacks) {
    const auto wall0 = Clock::now();
    if (config.threads > 0) set_threads(config.threads);
    TrainOutcome out;

    ScheduleConfig sc;
    sc.kind = parse_schedule(config.schedule);
    sc.gamma = config.gamma;
    sc.step_size = config.step_size;
    sc.t_max = config.epochs;
    LrSchedule schedule(sc, config.lr);

    LoaderOptions lo;
    lo.batch_size = config.batch_size;
    lo.seed = config.seed;
    DataLoader loader(data.train.X, data.train.labels, lo);
    Tensor<float> xb;
    std::vector<int> yb;
    const std::size_t batches = loader.batches_per_epoch();

    for (std::size_t epoch = 1; epoch <= config.epochs; ++epoch) {
        EpochRecord rec;
        rec.epoch = epoch;
        rec.lr = schedule.lr(epoch - 1);  // the schedule counts epochs from 0
        model.optimizer()->set_lr(rec.lr);
        loader.start_epoch(epoch - 1);
        const auto t0 = Clock::now();
        std::size_t done = 0;
        while (loader.next(xb, yb)) {
            float loss = model.train_step(xb, yb);
            ++done;
            if (!std::isfinite(loss)) {
                out.diverged = true;
                out.diverged_epoch = epoch;
                std::ostringstream msg;
                msg << "training diverged at epoch " << epoch << ", batch " << done << " of "
                    << batches << ": the loss is " << (std::isnan(loss) ? "NaN" : "infinite")
                    << ". The learning rate " << config.lr
                    << " is probably too high for this model; try a smaller --lr (or --clip-norm).";
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
            out.message =
                "training diverged at epoch " + std::to_string(epoch) +
                ": the training loss is not finite. The learning rate is probably too high; "
                "try a smaller --lr.";
            break;
        }
    }
    if (!out.diverged || !out.history.empty()) {
        out.train = model.evaluate(data.train.X, data.train.labels);
        if (data.val.size()) out.val = model.evaluate(data.val.X, data.val.labels);
        if (data.test.size()) out.test = model.evaluate(data.test.X, data.test.labels);
    }
    out.wall_seconds = seconds_since(wall0);
    return out;
}

}  // namespace ffnn
