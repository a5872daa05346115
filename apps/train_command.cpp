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
#include "ffnn/io/csv.hpp"
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

namespace {

// An option whose text is parsed into a library type at this edge: parse(text) may throw
// std::invalid_argument, reported by CLI11 as a bad value of `flag` (exit 2).
template <class F>
CLI::Option* add_parsed(CLI::App& cmd, const std::string& flag, const std::string& help,
                        const std::string& default_text, F parse) {
    return cmd
        .add_option_function<std::string>(
            flag,
            [flag, parse](const std::string& text) {
                try {
                    parse(text);
                } catch (const std::invalid_argument& e) {
                    throw CLI::ValidationError(flag, e.what());
                }
            },
            help)
        ->default_str(default_text);
}

}  // namespace

void add_csv_flags(CLI::App& cmd, char& delimiter, char& comment,
                   std::vector<std::string>& ignore_columns, std::string& id_column) {
    add_parsed(cmd, "--delimiter",
               "Field delimiter of the CSV file: auto (detected from the header), ',', ';', "
               "tab, or another character",
               delimiter_text(delimiter),
               [&delimiter](const std::string& t) { delimiter = parse_delimiter(t); });
    add_parsed(
        cmd, "--comment", "Skip lines that start with this character, e.g. '#' (default none)",
        comment_text(comment), [&comment](const std::string& t) { comment = parse_comment(t); });
    add_parsed(cmd, "--ignore-columns", "Columns to leave out, comma-separated: a,b", "",
               [&ignore_columns](const std::string& t) {
                   ignore_columns.clear();
                   std::size_t start = 0;
                   while (start <= t.size() && !t.empty()) {
                       const std::size_t comma = std::min(t.find(',', start), t.size());
                       std::string name = t.substr(start, comma - start);
                       const auto b = name.find_first_not_of(' ');
                       const auto e = name.find_last_not_of(' ');
                       if (b == std::string::npos)
                           throw std::invalid_argument("empty column name in '" + t + "'");
                       ignore_columns.push_back(name.substr(b, e - b + 1));
                       start = comma + 1;
                   }
               });
    cmd.add_option("--id-column", id_column,
                   "A column of row identifiers: not a feature; predict writes it beside each "
                   "prediction");
}

void add_train_flags(CLI::App& cmd, TrainConfig& c, bool for_sweep) {
    DataConfig& d = c.data;
    ModelSpec& m = c.model;
    OptimizerConfig& o = c.optimizer;
    ScheduleConfig& s = c.schedule;
    cmd.add_option("--data", d.csv,
                   "CSV file: a header row, numeric features, a label column (- reads standard "
                   "input)");
    add_parsed(cmd, "--dataset",
               "Shipped or installed data set when --data is not given: " +
                   name_list<NamedDataset>(kDatasetNames),
               to_string(d.dataset), [&d](const std::string& t) {
                   d.dataset = parse_name<NamedDataset>(kDatasetNames, t, "data set");
               });
    cmd.add_option("--label", d.label, "Name of the label column (default: the last column)");
    add_csv_flags(cmd, d.delimiter, d.comment, d.ignore_columns, d.id_column);
    add_parsed(
        cmd, "--task",
        "What the label is: auto (refuse a label that looks continuous) or "
        "classification (every distinct value is a class)",
        std::string(name_of<LabelTask>(kLabelTaskNames, d.task)),
        [&d](const std::string& t) { d.task = parse_name<LabelTask>(kLabelTaskNames, t, "task"); });
    if (!for_sweep) {
        add_parsed(cmd, "--hidden",
                   "Hidden layer widths, one per layer: 16, or 64,32 (none: no "
                   "hidden layer)",
                   hidden_label(m.hidden),
                   [&m](const std::string& t) { m.hidden = parse_hidden(t); });
        cmd.add_option("--lr", o.lr, "Learning rate")->capture_default_str();
    }
    add_parsed(cmd, "--activation",
               "Hidden activation: " + name_list<ActivationKind>(kActivationNames) +
                   " (leaky_relu:0.1, elu:0.5 set the slope)",
               to_string(m.activation),
               [&m](const std::string& t) { m.activation = parse_activation(t); });
    add_parsed(cmd, "--init",
               "Weight initialiser: " + name_list<InitKind>(kInitNames) + " (constant:<value>)",
               to_string(m.init), [&m](const std::string& t) { m.init = parse_init(t); });
    add_parsed(cmd, "--optimizer", "Optimiser: " + name_list<OptimizerKind>(kOptimizerNames),
               to_string(o.kind), [&o](const std::string& t) {
                   o.kind = parse_name<OptimizerKind>(kOptimizerNames, t, "optimizer");
               });
    cmd.add_option("--momentum", o.momentum,
                   "SGD momentum (v = mu v + g; p -= lr v); ignored by adam and adamw unless given")
        ->capture_default_str();
    cmd.add_flag("--nesterov", o.nesterov, "Nesterov momentum (SGD)");
    cmd.add_option("--beta1", o.beta1, "Adam's first-moment decay")->capture_default_str();
    cmd.add_option("--beta2", o.beta2, "Adam's second-moment decay")->capture_default_str();
    cmd.add_option("--eps", o.eps, "Adam's denominator constant")->capture_default_str();
    cmd.add_option("--weight-decay", o.weight_decay, "L2 weight decay (decoupled for adamw)")
        ->capture_default_str();
    cmd.add_option("--clip-norm", o.clip_norm, "Clip gradients to this global norm (0: off)")
        ->capture_default_str();
    add_parsed(cmd, "--schedule",
               "Learning-rate schedule over epochs: " + name_list<ScheduleKind>(kScheduleNames),
               to_string(s.kind), [&s](const std::string& t) {
                   s.kind = parse_name<ScheduleKind>(kScheduleNames, t, "schedule");
               });
    cmd.add_option("--gamma", s.gamma, "Decay factor of the step and exponential schedules")
        ->capture_default_str();
    cmd.add_option("--step-size", s.step_size, "Epochs between decays of the step schedule")
        ->capture_default_str();
    cmd.add_option("--batch-size", c.batch_size, "Mini-batch size")->capture_default_str();
    cmd.add_option("--epochs", c.epochs, "Training epochs")->capture_default_str();
    if (!for_sweep)
        cmd.add_option("--seed", c.seed, "Seed of the split, the initialisation and the shuffling")
            ->capture_default_str();
    cmd.add_option("--threads", c.threads, "OpenMP threads (0: every core)")->capture_default_str();
    cmd.add_option("--val-split", d.val_split, "Fraction of the data for validation")
        ->capture_default_str();
    cmd.add_option("--test-split", d.test_split, "Fraction of the data for testing (CSV data only)")
        ->capture_default_str();
    cmd.add_flag("--no-standardize{false}", d.standardize, "Do not standardise the features");
    // SGD's momentum default (0.9) is not an Adam setting: drop it unless it was asked for,
    // so that --optimizer adam alone is valid and --optimizer adam --momentum 0.9 is an error.
    cmd.parse_complete_callback([&cmd, &o]() {
        if (o.kind != OptimizerKind::SGD && cmd.count("--momentum") == 0) o.momentum = 0.0;
    });
}

std::string flag_of_field(const std::string& field) {
    std::string leaf = field.substr(field.find('.') + 1);
    for (char& ch : leaf)
        if (ch == '_') ch = '-';
    return "--" + leaf;
}

Command add_train(CLI::App& cmd) {
    auto config = std::make_shared<TrainConfig>();
    auto out_dir = std::make_shared<std::string>();
    add_train_flags(cmd, *config);
    cmd.add_option("--out", *out_dir, "Run directory (default: runs/<data>-<timestamp>)");
    return [config, out_dir]() -> int {
        TrainConfig& c = *config;
        c.validate();
        if (c.threads > 0) set_threads(c.threads);
        const auto wall0 = std::chrono::steady_clock::now();

        PreparedData data = prepare_data(c);
        const std::string data_source = c.data.csv.empty() ? to_string(c.data.dataset) : c.data.csv;
        std::cout << "data: " << data_source << ": " << data.train.size() << " train, "
                  << data.val.size() << " validation, " << data.test.size() << " test examples; "
                  << data.train.num_features() << " features; label '" << data.label_column
                  << "': " << data.train.num_classes() << " classes ("
                  << join(data.train.class_names) << ")"
                  << (data.train.delimiter != ','
                          ? std::string("; fields separated by ") +
                                (data.train.delimiter == '\t'
                                     ? std::string("tab")
                                     : "'" + std::string(1, data.train.delimiter) + "'")
                          : std::string())
                  << (c.data.standardize ? "; standardised on the training part" : "") << "\n";
        for (const std::string& w : data.warnings)
            std::cerr << "ffnn train: warning: " << w << "\n";
        Model<float> model = build_model(c, data.train.num_features(), data.train.num_classes());
        std::cout << "model: " << model.summary() << "; " << model.num_parameters()
                  << " parameters\n";
        const OptimizerConfig& o = c.optimizer;
        std::cout << "optimiser: " << to_string(o.kind) << " lr " << o.lr;
        if (o.kind == OptimizerKind::SGD)
            std::cout << " momentum " << o.momentum << (o.nesterov ? " (nesterov)" : "");
        std::cout << ", schedule " << to_string(c.schedule.kind) << ", batch " << c.batch_size
                  << ", " << c.epochs << " epochs, seed " << c.seed << ", " << max_threads()
                  << " thread" << (max_threads() == 1 ? "" : "s") << "\n";

        std::string dir = out_dir->empty() ? default_run_dir(data.name) : *out_dir;
        std::filesystem::create_directories(dir);

        ProgressBar bar;
        FitCallbacks cb;
        cb.on_batch = [&](std::size_t e, std::size_t done, std::size_t total, double s) {
            bar.update(e, done, total, s);
        };
        const bool has_val = data.val.size() > 0;
        cb.on_epoch = [&](const EpochRecord& r) {
            bar.clear();
            std::printf("epoch %3zu/%zu  lr %.4g  train loss %.4f acc %.4f", r.epoch, c.epochs,
                        r.lr, r.train_loss, r.train_accuracy);
            if (has_val) std::printf("  val loss %.4f acc %.4f", r.val_loss, r.val_accuracy);
            std::printf("  %.1fms\n", r.seconds * 1e3);
            std::fflush(stdout);
        };
        TrainOutcome out = fit(model, data, c, cb);
        bar.clear();
        write_metrics_csv(dir + "/metrics.csv", out.history);
        if (out.diverged) {
            std::cerr << "ffnn train: " << out.message << " Try a smaller --lr (or --clip-norm).\n";
            // The directory describes this run alone: a model left by an earlier run there
            // would sit beside a summary that says diverged.
            std::error_code ec;
            if (std::filesystem::remove(dir + "/model.safetensors", ec))
                std::cerr << "ffnn train: removed the model.safetensors of an earlier run in "
                          << dir << "\n";
            write_summary_json(
                dir + "/summary.json", c, out, data, max_threads(),
                std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count());
            std::cerr << "ffnn train: no model saved; metrics of the epochs before it are in "
                      << dir << "/metrics.csv\n";
            return 1;
        }

        if (data.test.size() == 0)
            std::printf("\nno test set (--test-split 0): the model is saved untested\n");
        else
            std::printf("\ntest: loss %.4f  accuracy %.4f (%zu of %zu)\n", out.test.loss,
                        out.test.accuracy, out.test.correct, out.test.n);
        bool wrote_confusion = false;
        if (data.test.size()) {
            ConfusionMatrix cm(data.test.num_classes());
            cm.add(data.test.labels, model.predict(data.test.X));
            if (cm.num_classes() <= ConfusionMatrix::kMaxPrintedClasses) {
                std::cout << "\n" << cm.format(data.test.class_names);
                std::error_code ec;  // an earlier run's matrix would not describe this one
                std::filesystem::remove(dir + "/confusion.txt", ec);
            } else {
                write_file_atomic(dir + "/confusion.txt", cm.format(data.test.class_names));
                wrote_confusion = true;
                std::cout << "\n"
                          << cm.format_summary(data.test.class_names) << "full matrix in " << dir
                          << "/confusion.txt\n";
            }
        }
        save_checkpoint(dir + "/model.safetensors", model, data.standardizer,
                        data.train.class_names, data.train.feature_names, data.label_column,
                        {{"created_by", "ffnn train"},
                         {"data", data_source},
                         {"seed", std::to_string(c.seed)}});
        double wall =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
        write_summary_json(dir + "/summary.json", c, out, data, max_threads(), wall);
        std::printf(
            "\ntraining %.3fs, wall %.3fs on %d thread%s\nsaved "
            "%s/{model.safetensors,metrics.csv,summary.json%s}\n",
            out.train_seconds, wall, max_threads(), max_threads() == 1 ? "" : "s", dir.c_str(),
            wrote_confusion ? ",confusion.txt" : "");
        return 0;
    };
}

}  // namespace ffnn::app
