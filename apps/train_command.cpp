// `ffnn train`: train a classifier, log each epoch, report the test metrics and save the run.
//
// The run directory (--out, default runs/<data>-<timestamp>) receives
//   metrics.csv        one row per epoch: epoch, lr, train/val loss and accuracy, seconds
//   summary.json       the full configuration, the final train/val/test metrics (key
//                      test_accuracy among them), wall time, thread count, ffnn version
//   model.safetensors  the parameters, the standardisation and the class names
// each written atomically.
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "commands.hpp"
#include "ffnn/io/atomic_file.hpp"
#include "ffnn/io/checkpoint.hpp"
#include "ffnn/nn/activations.hpp"
#include "ffnn/nn/init.hpp"
#include "ffnn/nn/optim.hpp"
#include "ffnn/nn/schedule.hpp"
#include "ffnn/tensor/parallel.hpp"
#include "ffnn/train/metrics.hpp"
#include "run_files.hpp"

namespace ffnn::app {

namespace {

std::string join(const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v) {
        if (!s.empty()) s += ", ";
        s += x;
    }
    return s;
}

// A one-line progress bar on stdout, redrawn at most 10 times a second, for epochs that take
// long enough to watch (more than a second) and only when stdout is a terminal.
class ProgressBar {
  public:
    ProgressBar() : enabled_(isatty(STDOUT_FILENO)) {}
    void update(std::size_t epoch, std::size_t done, std::size_t total, double seconds) {
        if (!enabled_ || seconds < 1.0 || seconds - last_ < 0.1) return;
        last_ = seconds;
        const int width = 30;
        int filled = static_cast<int>(width * double(done) / double(total));
        double rate = double(done) / seconds;
        double eta = rate > 0 ? double(total - done) / rate : 0.0;
        std::printf("\r  epoch %zu [%s%s] %zu/%zu batches  %.0f batches/s  ETA %.1fs ", epoch,
                    std::string(filled, '#').c_str(), std::string(width - filled, '.').c_str(),
                    done, total, rate, eta);
        std::fflush(stdout);
        shown_ = true;
    }
    void clear() {
        if (shown_) std::printf("\r%80s\r", "");
        shown_ = false;
        last_ = 0;
    }

  private:
    bool enabled_;
    bool shown_ = false;
    double last_ = 0;
};

}  // namespace

std::string default_run_dir(const std::string& name) {
    std::time_t now = std::time(nullptr);
    std::tm tm{};
    localtime_r(&now, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y%m%d-%H%M%S", &tm);
    return "runs/" + name + "-" + buf;
}

void add_train_flags(CLI::App& cmd, TrainConfig& c, std::string& hidden_text, bool for_sweep) {
    auto* data = cmd.add_option("--data", c.data,
                                "CSV file: a header row, numeric features, a label column");
    cmd.add_option("--dataset", c.dataset, "Shipped or installed data set when --data is not given")
        ->check(CLI::IsMember({"iris", "digits", "fashion-mnist"}))
        ->capture_default_str();
    (void)data;
    cmd.add_option("--label", c.label, "Name of the label column (default: the last column)");
    if (!for_sweep) {
        cmd.add_option("--hidden", hidden_text, "Hidden layer widths, one per layer: 16, or 64,32")
            ->capture_default_str();
        cmd.add_option("--lr", c.lr, "Learning rate")->capture_default_str();
    }
    cmd.add_option("--activation", c.activation,
                   "Hidden activation: " + join(activation_names()) +
                       " (leaky_relu:0.1, elu:0.5 set the slope)")
        ->capture_default_str();
    cmd.add_option("--init", c.init, "Weight initialiser: " + join(init_names()))
        ->capture_default_str();
    cmd.add_option("--optimizer", c.optimizer, "Optimiser")
        ->check(CLI::IsMember({"sgd", "adam", "adamw"}))
        ->capture_default_str();
    cmd.add_option("--momentum", c.momentum, "SGD momentum (v = mu v + g; p -= lr v)")
        ->capture_default_str();
    cmd.add_flag("--nesterov", c.nesterov, "Nesterov momentum (SGD)");
    cmd.add_option("--weight-decay", c.weight_decay, "L2 weight decay (decoupled for adamw)")
        ->capture_default_str();
    cmd.add_option("--schedule", c.schedule,
                   "Learning-rate schedule over epochs: " + join(schedule_names()))
        ->capture_default_str();
    cmd.add_option("--gamma", c.gamma, "Decay factor of the step and exponential schedules")
        ->capture_default_str();
    cmd.add_option("--step-size", c.step_size, "Epochs between decays of the step schedule")
        ->capture_default_str();
    cmd.add_option("--clip-norm", c.clip_norm, "Clip gradients to this global norm (0: off)")
        ->capture_default_str();
    cmd.add_option("--batch-size", c.batch_size, "Mini-batch size")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    cmd.add_option("--epochs", c.epochs, "Training epochs")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    if (!for_sweep)
        cmd.add_option("--seed", c.seed, "Seed of the split, the initialisation and the shuffling")
            ->capture_default_str();
    cmd.add_option("--threads", c.threads, "OpenMP threads (0: every core)")
        ->check(CLI::NonNegativeNumber)
        ->capture_default_str();
    cmd.add_option("--val-split", c.val_split, "Fraction of the data for validation")
        ->check(CLI::Range(0.0, 0.99))
        ->capture_default_str();
    cmd.add_option("--test-split", c.test_split, "Fraction of the data for testing (CSV data only)")
        ->check(CLI::Range(0.0, 0.99))
        ->capture_default_str();
    cmd.add_flag("--no-standardize{false}", c.standardize, "Do not standardise the features");
    cmd.add_option("--out", c.out, "Run directory (default: runs/<data>-<timestamp>)");
}

Command add_train(CLI::App& cmd) {
    auto config = std::make_shared<TrainConfig>();
    auto hidden = std::make_shared<std::string>("16");
    add_train_flags(cmd, *config, *hidden);
    return [config, hidden]() -> int {
        TrainConfig& c = *config;
        c.hidden = parse_hidden(*hidden);
        c.validate();
        if (c.threads > 0) set_threads(c.threads);
        const auto wall0 = std::chrono::steady_clock::now();

        PreparedData data = prepare_data(c);
        std::cout << "data: " << (c.data.empty() ? c.dataset : c.data) << ": " << data.train.size()
                  << " train, " << data.val.size() << " validation, " << data.test.size()
                  << " test examples; " << data.train.num_features() << " features, "
                  << data.train.num_classes() << " classes (" << join(data.train.class_names) << ")"
                  << (c.standardize ? "; standardised on the training part" : "") << "\n";
        Model<float> model = build_model(c, data.train.num_features(), data.train.num_classes());
        std::cout << "model: " << model.summary() << "; " << model.num_parameters()
                  << " parameters\n";
        std::cout << "optimiser: " << c.optimizer << " lr " << c.lr;
        if (c.optimizer == "sgd")
            std::cout << " momentum " << c.momentum << (c.nesterov ? " (nesterov)" : "");
        std::cout << ", schedule " << c.schedule << ", batch " << c.batch_size << ", " << c.epochs
                  << " epochs, seed " << c.seed << ", " << max_threads() << " thread"
                  << (max_threads() == 1 ? "" : "s") << "\n";

        std::string dir = c.out.empty() ? default_run_dir(data.name) : c.out;
        std::filesystem::create_directories(dir);

        ProgressBar bar;
        FitCallbacks cb;
        cb.on_batch = [&](std::size_t e, std::size_t done, std::size_t total, double s) {
            bar.update(e, done, total, s);
        };
        cb.on_epoch = [&](const EpochRecord& r) {
            bar.clear();
            std::printf(
                "epoch %3zu/%zu  lr %.4g  train loss %.4f acc %.4f  val loss %.4f acc %.4f  "
                "%.1fms\n",
                r.epoch, c.epochs, r.lr, r.train_loss, r.train_accuracy, r.val_loss, r.val_accuracy,
                r.seconds * 1e3);
            std::fflush(stdout);
        };
        TrainOutcome out = fit(model, data, c, cb);
        bar.clear();
        write_metrics_csv(dir + "/metrics.csv", out.history);
        if (out.diverged) {
            std::cerr << "ffnn train: " << out.message << "\n";
            write_summary_json(
                dir + "/summary.json", c, out, data, max_threads(),
                std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count());
            std::cerr << "ffnn train: no model saved; metrics of the epochs before it are in "
                      << dir << "/metrics.csv\n";
            return 1;
        }

        std::printf("\ntest: loss %.4f  accuracy %.4f (%zu of %zu)\n", out.test.loss,
                    out.test.accuracy, out.test.correct, out.test.n);
        if (data.test.size()) {
            ConfusionMatrix cm(data.test.num_classes());
            cm.add(data.test.labels, model.predict(data.test.X));
            std::cout << "\n" << cm.format(data.test.class_names);
        }
        save_checkpoint(dir + "/model.safetensors", model, data.standardizer,
                        data.train.class_names, data.train.feature_names, data.label_column,
                        {{"created_by", "ffnn train"},
                         {"data", c.data.empty() ? c.dataset : c.data},
                         {"seed", std::to_string(c.seed)}});
        double wall =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
        write_summary_json(dir + "/summary.json", c, out, data, max_threads(), wall);
        std::printf(
            "\ntraining %.3fs, wall %.3fs on %d thread%s\nsaved "
            "%s/{model.safetensors,metrics.csv,summary.json}\n",
            out.train_seconds, wall, max_threads(), max_threads() == 1 ? "" : "s", dir.c_str());
        return 0;
    };
}

}  // namespace ffnn::app
