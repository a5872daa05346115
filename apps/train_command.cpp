// `ffnn train`: train a classifier, log each epoch, report the test metrics and save the run.
//
// The run directory (--out, default runs/<data>-<timestamp>) receives
//   metrics.csv        one row per epoch: epoch, lr, train/val loss and accuracy, seconds
//   summary.json       the full configuration, the final train/val/test metrics (key
//                      test_accuracy among them), wall time, thread count, ffnn version
//   model.safetensors  the parameters, the standardisation and the class names
// each written atomically.
//
// Under mpirun every rank reads the data and trains the same model on its shards of each
// batch (train/data_parallel.hpp); rank 0 alone prints and writes the run files, once every
// rank has finished training.
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
#include "communicator.hpp"
#include "ffnn/io/atomic_file.hpp"
#include "ffnn/io/checkpoint.hpp"
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
// long enough to watch (more than a second) and only when stdout is a terminal. Not under
// mpirun: Open MPI gives every rank a pseudo-terminal whatever mpirun's own stdout is.
class ProgressBar {
  public:
    ProgressBar() : enabled_(isatty(STDOUT_FILENO) && world().size() == 1) {}
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

void add_train_flags(CLI::App& cmd, TrainConfig& c, bool for_sweep) {
    DataConfig& d = c.data;
    ModelSpec& m = c.model;
    OptimizerConfig& o = c.optimizer;
    ScheduleConfig& s = c.schedule;
    cmd.add_option("--data", d.csv, "CSV file: a header row, numeric features, a label column");
    add_parsed(cmd, "--dataset",
               "Shipped or installed data set when --data is not given: " +
                   name_list<NamedDataset>(kDatasetNames),
               to_string(d.dataset), [&d](const std::string& t) {
                   d.dataset = parse_name<NamedDataset>(kDatasetNames, t, "data set");
               });
    cmd.add_option("--label", d.label, "Name of the label column (default: the last column)");
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
    cmd.add_option("--shards", c.shards,
                   "Shards each batch is cut into, each one's gradient computed on its own and "
                   "the sums taken in shard order: the result depends on the shards, never on "
                   "the number of mpirun processes (0: one per " +
                       std::to_string(kRowsPerShard) + " rows of the batch)")
        ->capture_default_str();
    add_parsed(cmd, "--reduce",
               "How the ranks of mpirun sum the shard gradients: fixed (a fixed tree, the same "
               "bits for any process count) or fast (MPI_Allreduce, bits depend on the count)",
               to_string(c.reduce), [&c](const std::string& t) {
                   c.reduce = parse_name<ReduceKind>(kReduceNames, t, "reduction");
               });
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

        Communicator& comm = world();
        const bool lead = comm.rank() == 0;
        // Every rank reads the data; a rank that cannot makes every rank stop here, and ranks
        // whose data differ (another file on another host) are named.
        PreparedData data;
        run_agreed(comm, [&] { data = prepare_data(c); });
        agree_on_data(comm, data);
        const std::string data_source = c.data.csv.empty() ? to_string(c.data.dataset) : c.data.csv;
        std::cout << "data: " << data_source << ": " << data.train.size() << " train, "
                  << data.val.size() << " validation, " << data.test.size() << " test examples; "
                  << data.train.num_features() << " features; label '" << data.label_column
                  << "': " << data.train.num_classes() << " classes ("
                  << join(data.train.class_names) << ")"
                  << (c.data.standardize ? "; standardised on the training part" : "") << "\n";
        if (lead)
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
        const std::size_t shards = c.shard_count();
        if (comm.size() > 1) {
            std::cout << "ranks: " << comm.size() << " processes, " << shards << " shards of "
                      << c.batch_size << "-row batches, " << to_string(c.reduce) << " reduction\n";
            if (lead && shards < static_cast<std::size_t>(comm.size()))
                std::cerr << "ffnn train: warning: " << comm.size() - static_cast<int>(shards)
                          << " of the " << comm.size() << " ranks have no shard to train (--shards "
                          << shards << "): give --shards " << comm.size() << " or more\n";
        }

        std::string dir = out_dir->empty() ? default_run_dir(data.name) : *out_dir;
        if (lead) std::filesystem::create_directories(dir);

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
        TrainOutcome out = fit(model, data, c, cb, &comm);
        bar.clear();
        // Every rank holds the same weights and metrics now; rank 0 writes them.
        if (!lead) return out.diverged ? 1 : 0;
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
        if (data.test.size()) {
            ConfusionMatrix cm(data.test.num_classes());
            cm.add(data.test.labels, model.predict(data.test.X));
            std::cout << "\n" << cm.format(data.test.class_names);
        }
        save_checkpoint(dir + "/model.safetensors", model, data.standardizer,
                        data.train.class_names, data.train.feature_names, data.label_column,
                        {{"created_by", "ffnn train"},
                         {"data", data_source},
                         {"seed", std::to_string(c.seed)}});
        double wall =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
        write_summary_json(dir + "/summary.json", c, out, data, max_threads(), wall);
        std::printf("\ntraining %.3fs, wall %.3fs on %d thread%s", out.train_seconds, wall,
                    max_threads(), max_threads() == 1 ? "" : "s");
        if (comm.size() > 1)
            std::printf(" x %d ranks, %.3fs of it in the gradient reduction (%.3fms a step)",
                        comm.size(), out.reduce_seconds,
                        out.steps ? 1e3 * out.reduce_seconds / double(out.steps) : 0.0);
        std::printf("\nsaved %s/{model.safetensors,metrics.csv,summary.json}\n", dir.c_str());
        return 0;
    };
}

}  // namespace ffnn::app
