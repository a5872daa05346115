// `ffnn train`: train a classifier or a regressor, log each epoch, report the test metrics
// and save the run.
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

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include "commands.hpp"
#include "communicator.hpp"
#include "ffnn/io/atomic_file.hpp"
#include "ffnn/io/checkpoint.hpp"
#include "ffnn/io/csv.hpp"
#include "ffnn/tensor/parallel.hpp"
#include "ffnn/train/early_stopping.hpp"
#include "ffnn/train/metrics.hpp"
#include "ffnn/train/training_checkpoint.hpp"
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
    cmd.add_option("--label", d.label,
                   "Name of the label column (default: the last column); for --task regression "
                   "one or more target columns: y or y1,y2");
    add_csv_flags(cmd, d.delimiter, d.comment, d.ignore_columns, d.id_column);
    add_parsed(
        cmd, "--task",
        "What the label is: auto (classes; refuse a label that looks continuous), "
        "classification (every distinct value is a class) or regression (numeric targets: "
        "--label y or y1,y2)",
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
        ->check(count_check())
        ->capture_default_str();
    cmd.add_option("--batch-size", c.batch_size, "Mini-batch size")
        ->check(count_check())
        ->capture_default_str();
    cmd.add_option("--epochs", c.epochs, "Training epochs")
        ->check(count_check())
        ->capture_default_str();
    if (!for_sweep)
        cmd.add_option("--seed", c.seed, "Seed of the split, the initialisation and the shuffling")
            ->check(count_check())
            ->capture_default_str();
    cmd.add_option("--threads", c.threads, "OpenMP threads (0: every core)")->capture_default_str();
    cmd.add_option("--shards", c.shards,
                   "Shards each batch is cut into, each one's gradient computed on its own and "
                   "the sums taken in shard order: the result depends on the shards, never on "
                   "the number of mpirun processes (0: one per " +
                       std::to_string(kRowsPerShard) + " rows of the batch)")
        ->check(count_check())
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
    cmd.add_flag("--standardize,!--no-standardize", d.standardize,
                 "Standardise the features on the training part (the default; "
                 "--no-standardize: raw features)");
    cmd.add_flag("--standardize-targets,!--no-standardize-targets", d.standardize_targets,
                 "Regression: train on targets standardised on the training part (the default; "
                 "the model file keeps their mean and sd, predictions are in the targets' "
                 "units)");
    cmd.add_option("--class-weight", c.class_weight,
                   "How much each class counts in the loss: none, balanced (N / (K n_k) on the "
                   "training part) or a file of class,weight lines")
        ->default_str("none");
    EarlyStoppingConfig& es = c.early_stopping;
    add_parsed(cmd, "--monitor",
               "Metric that picks the best epoch: " + name_list<Monitor>(kMonitorNames) +
                   " (auto: val_loss when there is a validation part, else train_loss)",
               to_string(es.monitor), [&es](const std::string& t) {
                   es.monitor = parse_name<Monitor>(kMonitorNames, t, "monitor");
               });
    cmd.add_option("--patience", es.patience,
                   "Stop after this many epochs without improvement of --monitor (0: never)")
        ->check(count_check())
        ->capture_default_str();
    cmd.add_option("--min-delta", es.min_delta,
                   "An improvement must beat the best by more than this")
        ->capture_default_str();
    cmd.add_flag_function(
        "--restore-best,!--no-restore-best", [&es](std::int64_t n) { es.restore_best = n > 0; },
        "End with the best epoch's weights (default: on with --patience, off without)");
    // SGD's momentum default (0.9) is not an Adam setting: drop it unless it was asked for,
    // so that --optimizer adam alone is valid and --optimizer adam --momentum 0.9 is an error.
    cmd.parse_complete_callback([&cmd, &o]() {
        if (o.kind != OptimizerKind::SGD && cmd.count("--momentum") == 0) o.momentum = 0.0;
        // Adam's settings given to sgd, even at their default values, are a mistake to say.
        if (o.kind == OptimizerKind::SGD)
            for (const char* flag : {"--beta1", "--beta2", "--eps"})
                if (cmd.count(flag) > 0)
                    throw CLI::ValidationError(flag,
                                               "an Adam setting; sgd does not use it (add "
                                               "--optimizer adam or adamw)");
    });
}

std::string flag_of_field(const std::string& field) {
    std::string leaf = field.substr(field.find('.') + 1);
    for (char& ch : leaf)
        if (ch == '_') ch = '-';
    return "--" + leaf;
}

namespace {

// The flags of `ffnn train` that are not part of the training configuration: where the run
// goes and what a person sees.
struct TrainRunOptions {
    std::string out_dir;
    std::string resume;     // a run directory (or its checkpoint.safetensors)
    std::string init_from;  // a model file whose weights start the run
    std::size_t checkpoint_every = 0;
    bool save_best = false;
    bool quiet = false, verbose = false;
    std::size_t log_every = 0;  // 0: every epoch up to kAllEpochLines epochs, else a 20th
};

// Up to this many epochs every epoch gets a console line by default; a longer run prints
// every k-th (k = ceil(epochs / kAllEpochLines)) plus the first, the last and the best.
constexpr std::size_t kAllEpochLines = 20;

// A regression run prints RMSE (in the targets' units) and R^2 where a classifier prints
// accuracy.
void print_epoch(const EpochRecord& r, std::size_t epochs, bool has_val, bool regression,
                 const char* tag = "") {
    if (regression) {
        std::printf("epoch %3zu/%zu  lr %.4g  train loss %.4f rmse %.4g r2 %.4f", r.epoch, epochs,
                    r.lr, r.train_loss, r.train_metrics.rmse, r.train_metrics.r2);
        if (has_val)
            std::printf("  val loss %.4f rmse %.4g r2 %.4f", r.val_loss, r.val_metrics.rmse,
                        r.val_metrics.r2);
        std::printf("  %.1fms%s\n", r.seconds * 1e3, tag);
        std::fflush(stdout);
        return;
    }
    std::printf("epoch %3zu/%zu  lr %.4g  train loss %.4f acc %.4f", r.epoch, epochs, r.lr,
                r.train_loss, r.train_accuracy);
    if (has_val) std::printf("  val loss %.4f acc %.4f", r.val_loss, r.val_accuracy);
    std::printf("  %.1fms%s\n", r.seconds * 1e3, tag);
    std::fflush(stdout);
}

// FFNN_TEST_STALL, for the crash tests only (tests/apps/test_resume.cpp): "epoch:N" stops
// after the first batch of epoch N, "checkpoint:N" halfway through writing the checkpoint
// of epoch N. Either prints "ffnn-test: stalled ..." on stderr and waits to be killed.
struct TestStall {
    std::size_t epoch = 0, checkpoint = 0;
};

TestStall test_stall_from_env() {
    TestStall t;
    const char* v = std::getenv("FFNN_TEST_STALL");
    if (!v) return t;
    const std::string s(v);
    const std::size_t colon = s.find(':');
    const std::string what = s.substr(0, colon);
    const std::size_t n =
        colon == std::string::npos ? 0 : std::strtoull(s.c_str() + colon + 1, nullptr, 10);
    if (what == "epoch") t.epoch = n;
    if (what == "checkpoint") t.checkpoint = n;
    return t;
}

[[noreturn]] void stall(const char* what) {
    std::fprintf(stderr, "ffnn-test: stalled %s\n", what);
    std::fflush(stderr);
    for (;;) ::pause();
}

std::atomic<bool> g_stall_in_write{false};

void stall_in_checkpoint_write(const std::string& path) {
    if (g_stall_in_write.load() && path.ends_with("checkpoint.safetensors"))
        stall("in the checkpoint write");
}

constexpr const char* kCheckpointFile = "checkpoint.safetensors";
// Every file a run may leave in its directory.
constexpr const char* kRunFiles[] = {"model.safetensors", "best.safetensors", kCheckpointFile,
                                     "metrics.csv",       "summary.json",     "confusion.txt"};

std::string checkpoint_path(const std::string& resume) {
    if (std::filesystem::is_directory(resume))
        return (std::filesystem::path(resume) / kCheckpointFile).string();
    return resume;
}

std::string dashed(std::string key) {
    for (char& ch : key)
        if (ch == '_') ch = '-';
    return key;
}

// The configuration of a resumed run: the checkpoint's, with what this command line says
// for the keys a resumed run may change (kResumableKeys). A flag given with another value
// for any other key is an error naming it.
TrainConfig resumed_config(const RunCheckpoint& ck, const TrainConfig& given, const CLI::App& cmd) {
    const nlohmann::json stored = ck.config.to_json(), now = given.to_json();
    nlohmann::json merged = stored;
    std::string may_change;
    for (const char* k : kResumableKeys)
        may_change += std::string(may_change.empty() ? "" : ", ") + "--" + dashed(k);
    for (auto it = now.begin(); it != now.end(); ++it) {
        const CLI::Option* opt = cmd.get_option_no_throw("--" + dashed(it.key()));
        if (!opt || opt->count() == 0) continue;  // not on this command line: the run's value
        const nlohmann::json was = stored.contains(it.key()) ? stored.at(it.key()) : nullptr;
        if (was == it.value()) continue;
        bool resumable = false;
        for (const char* k : kResumableKeys) resumable = resumable || it.key() == k;
        if (!resumable)
            throw ConfigError("config." + it.key(),
                              "the run in " + ck.path + " was trained with " + it.key() + " " +
                                  was.dump() + ", this command says " + it.value().dump() +
                                  ": a resumed run keeps its configuration (only " + may_change +
                                  " may change)");
        merged[it.key()] = it.value();
    }
    return TrainConfig::from_json(merged);
}

// The flags of this app that a resumed run keeps unless given again, in the checkpoint's
// metadata: {"checkpoint_every": N, "save_best": bool}.
constexpr const char* kRunOptionsKey = "ffnn_train_options";

std::string run_options_json(const TrainRunOptions& o) {
    return nlohmann::json{{"checkpoint_every", o.checkpoint_every}, {"save_best", o.save_best}}
        .dump();
}

void keep_run_options(const RunCheckpoint& ck, TrainRunOptions& o, const CLI::App& cmd) {
    const auto& meta = ck.file.model.metadata;
    auto it = meta.find(kRunOptionsKey);
    if (it == meta.end()) return;
    const nlohmann::json j = nlohmann::json::parse(it->second, nullptr, false);
    auto bad = [&] {
        return std::runtime_error(ck.path + ": metadata '" + kRunOptionsKey + "' is '" +
                                  it->second +
                                  "', expected {\"checkpoint_every\": N, \"save_best\": bool}");
    };
    if (!j.is_object() || !j.contains("checkpoint_every") || !j.contains("save_best") ||
        !j["checkpoint_every"].is_number_unsigned() || !j["save_best"].is_boolean())
        throw bad();
    if (cmd.count("--checkpoint-every") == 0)
        o.checkpoint_every = j["checkpoint_every"].get<std::size_t>();
    if (cmd.count("--save-best") == 0) o.save_best = j["save_best"].get<bool>();
}

// Starts `model` from the weights of a model file: the architecture must match.
void init_weights_from(Checkpoint& src, const std::string& file, Model<float>& model,
                       const PreparedData& data) {
    auto text = [](const std::vector<std::size_t>& sizes) {
        std::string t;
        for (std::size_t v : sizes) t += (t.empty() ? "" : "-") + std::to_string(v);
        return t;
    };
    Model<float>& from = src.model;
    if (from.layer_sizes() != model.layer_sizes() ||
        from.layer_activations() != model.layer_activations())
        throw ConfigError("config.init_from", file + " is a " + from.summary() +
                                                  " network; this run builds " + model.summary() +
                                                  " (" + text(model.layer_sizes()) + ")");
    if (data.regression() != (src.task == ModelTask::Regression))
        throw ConfigError("config.init_from", file + " is a " +
                                                  (data.regression() ? "classifier" : "regressor") +
                                                  "; this run trains a " +
                                                  (data.regression() ? "regressor" : "classifier"));
    if (data.regression() && src.target_names != data.train.target_names)
        throw ConfigError("config.init_from", file + " predicts (" + join(src.target_names) +
                                                  "), this run (" + join(data.train.target_names) +
                                                  ")");
    if (!data.regression() && src.class_names != data.train.class_names)
        throw ConfigError("config.init_from", file + " has the classes (" + join(src.class_names) +
                                                  "), this data (" + join(data.train.class_names) +
                                                  ")");
    const auto& to = model.parameter_list();
    const auto& have = from.parameter_list();
    for (std::size_t i = 0; i < to.size(); ++i) to[i].value->copy_from(*have[i].value);
}

// One line per target when there are several: "  y1: MSE ...  RMSE ...  MAE ...  R^2 ...".
std::string per_target_lines(const std::vector<std::string>& names, const RegressionMetrics& m) {
    if (m.per_target.size() < 2) return "";
    std::string s;
    for (std::size_t t = 0; t < m.per_target.size(); ++t)
        s += "  " + names[t] + ": " + format_target_metrics(m.per_target[t]) + "\n";
    return s;
}

std::string format_fixed(double v, int digits) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", digits, v);
    return buf;
}

}  // namespace

Command add_train(CLI::App& cmd) {
    auto config = std::make_shared<TrainConfig>();
    auto opts = std::make_shared<TrainRunOptions>();
    add_train_flags(cmd, *config);
    cmd.add_option("--out", opts->out_dir, "Run directory (default: runs/<data>-<timestamp>)");
    cmd.add_flag("--save-best", opts->save_best,
                 "Also write best.safetensors: the weights of the best epoch (see --monitor)");
    auto* quiet = cmd.add_flag("--quiet,-q", opts->quiet, "Print only the final result and errors");
    cmd.add_flag("--verbose,-v", opts->verbose, "Print every epoch")->excludes(quiet);
    cmd.add_option("--log-every", opts->log_every,
                   "Print every N-th epoch (and the first, last and best; 0: every epoch up to "
                   "20 epochs, else about 20 lines)")
        ->check(count_check())
        ->capture_default_str();
    cmd.add_option("--checkpoint-every", opts->checkpoint_every,
                   "Write the training state to <out>/checkpoint.safetensors every N epochs "
                   "(and after the last; 0: never)")
        ->check(count_check())
        ->capture_default_str();
    auto* resume = cmd.add_option("--resume", opts->resume,
                                  "Continue the run in this directory from its checkpoint "
                                  "(its configuration; see README for the flags that may change)");
    cmd.add_option("--init-from", opts->init_from,
                   "Start from the weights of this model file, with a fresh optimiser "
                   "(fine-tuning)")
        ->excludes(resume);
    CLI::App* cmd_ptr = &cmd;
    return [config, opts, cmd_ptr]() -> int {
        TrainConfig& c = *config;
        TrainRunOptions& o_run = *opts;
        std::optional<RunCheckpoint> ck;
        if (!o_run.resume.empty()) {
            ck = load_run_checkpoint(checkpoint_path(o_run.resume));
            c = resumed_config(*ck, c, *cmd_ptr);
            keep_run_options(*ck, *opts, *cmd_ptr);
        }
        const TestStall test_stall = test_stall_from_env();
        if (test_stall.checkpoint > 0) set_atomic_write_midpoint_hook(stall_in_checkpoint_write);
        c.validate();
        if (c.threads > 0) set_threads(c.threads);
        const auto wall0 = std::chrono::steady_clock::now();
        const bool talk = !o_run.quiet;

        Communicator& comm = world();
        const bool lead = comm.rank() == 0;
        std::optional<Checkpoint> init;
        PreparedData data;
        // Every rank reads the data; a rank that cannot makes every rank stop here, and ranks
        // whose data differ (another file on another host) are named.
        run_agreed(comm, [&] {
            if (!o_run.init_from.empty()) {
                init = load_checkpoint(o_run.init_from);
                // The weights were trained on inputs standardised the model's way: keep it.
                TrainConfig raw = c;
                raw.data.standardize = !(c.data.standardize && init->standardizer.fitted());
                data = prepare_data(raw);
                if (!raw.data.standardize) {
                    if (init->standardizer.num_features() != data.train.num_features())
                        throw ConfigError("config.init_from",
                                          o_run.init_from + " standardises " +
                                              std::to_string(init->standardizer.num_features()) +
                                              " features; this data has " +
                                              std::to_string(data.train.num_features()));
                    for (Dataset* part : {&data.train, &data.val, &data.test})
                        if (part->size()) init->standardizer.transform(part->X);
                    data.standardizer = std::move(init->standardizer);
                }
                // A regressor's outputs are in its own target units: keep its scaling too, and
                // a run that would scale them otherwise is an error, not a silent choice.
                if (data.regression() &&
                    init->target_standardizer.fitted() != c.data.standardize_targets)
                    throw ConfigError("config.init_from",
                                      o_run.init_from + " was trained on " +
                                          (init->target_standardizer.fitted()
                                               ? "standardised targets: leave out "
                                                 "--no-standardize-targets"
                                               : "raw targets: add --no-standardize-targets"));
                if (data.regression() && init->target_standardizer.fitted() &&
                    init->target_standardizer.num_features() == data.num_outputs()) {
                    for (Dataset* part : {&data.train, &data.val, &data.test}) {
                        if (!part->size()) continue;
                        if (data.target_standardizer.fitted())
                            data.target_standardizer.inverse_transform(part->targets);
                        init->target_standardizer.transform(part->targets);
                    }
                    data.target_standardizer = std::move(init->target_standardizer);
                }
            } else {
                data = prepare_data(c);
            }
        });
        agree_on_data(comm, data);
        const std::string data_source = c.data.csv.empty() ? to_string(c.data.dataset) : c.data.csv;
        const bool regression = data.regression();
        const std::string label_text =
            regression ? "regression on " + count_of(data.num_outputs(), "target", "targets") +
                             " (" + join(data.train.target_names) + ")"
                       : "label '" + data.label_column +
                             "': " + count_of(data.train.num_classes(), "class", "classes") + " (" +
                             join(data.train.class_names) + ")";
        if (talk)
            std::cout << "data: " << data_source << ": " << data.train.size() << " train, "
                      << data.val.size() << " validation, " << data.test.size()
                      << " test examples; "
                      << count_of(data.train.num_features(), "feature", "features") << "; "
                      << label_text
                      << (data.train.delimiter != ','
                              ? "; fields separated by " + delimiter_name(data.train.delimiter)
                              : std::string())
                      << (c.data.standardize && data.target_standardizer.fitted()
                              ? "; features and targets standardised on the training part"
                          : data.target_standardizer.fitted()
                              ? "; targets standardised on the training part"
                          : c.data.standardize ? "; standardised on the training part"
                                               : "")
                      << "\n";
        if (lead)
            for (const std::string& w : data.warnings)
                std::cerr << "ffnn train: warning: " << w << "\n";
        if (talk && !data.class_weights.empty()) {
            std::cout << "class weights (" << c.class_weight << "):";
            for (std::size_t k = 0; k < data.class_weights.size(); ++k)
                std::printf("%s %s %.4g", k ? "," : "", data.train.class_names[k].c_str(),
                            data.class_weights[k]);
            std::cout << "\n";
        }
        const bool has_val = data.val.size() > 0;
        Model<float> model = build_model(c, data.train.num_features(), data.num_outputs());
        EarlyStopping early(model, c.early_stopping, has_val);
        FitState state;
        if (ck) state = resume_run(*ck, c, model, data, early);
        if (init) init_weights_from(*init, o_run.init_from, model, data);
        if (talk) {
            std::cout << "model: " << model.summary() << "; " << model.num_parameters()
                      << " parameters\n";
            const OptimizerConfig& o = c.optimizer;
            std::cout << "optimiser: " << to_string(o.kind) << " lr " << o.lr;
            if (o.kind == OptimizerKind::SGD)
                std::cout << " momentum " << o.momentum << (o.nesterov ? " (nesterov)" : "");
            std::cout << ", schedule " << to_string(c.schedule.kind) << ", batch " << c.batch_size
                      << ", " << c.epochs << " epochs, seed " << c.seed << ", " << max_threads()
                      << " thread" << (max_threads() == 1 ? "" : "s") << "\n";
            if (c.early_stopping.patience > 0 || c.early_stopping.restores_best() ||
                o_run.save_best)
                std::cout << "best epoch by " << to_string(early.monitor())
                          << (c.early_stopping.patience > 0
                                  ? "; early stopping after " +
                                        std::to_string(c.early_stopping.patience) +
                                        " epochs without improvement"
                                  : std::string())
                          << (c.early_stopping.restores_best()
                                  ? "; the best epoch's weights are kept"
                                  : "")
                          << "\n";
            if (ck)
                std::cout << "resumed " << ck->path << " after epoch " << ck->epochs_done << "\n";
            if (init) std::cout << "weights from " << o_run.init_from << ", fresh optimiser\n";
        }
        const std::size_t shards = c.shard_count();
        if (comm.size() > 1) {
            if (talk)
                std::cout << "ranks: " << comm.size() << " processes, " << shards << " shards of "
                          << c.batch_size << "-row batches, " << to_string(c.reduce)
                          << " reduction\n";
            if (lead && shards < static_cast<std::size_t>(comm.size()))
                std::cerr << "ffnn train: warning: " << comm.size() - static_cast<int>(shards)
                          << " of the " << comm.size() << " ranks have no shard to train (--shards "
                          << shards << "): give --shards " << comm.size() << " or more\n";
        }

        std::string dir = !o_run.out_dir.empty() ? o_run.out_dir
                          : ck ? std::filesystem::path(ck->path).parent_path().string()
                               : default_run_dir(data.name);
        if (dir.empty()) dir = ".";
        if (lead) std::filesystem::create_directories(dir);
        // A directory describes one run: a fresh run into a directory an earlier run used
        // removes that run's files first (a resumed run's files are its own). A model,
        // checkpoint or best model of the earlier run would otherwise sit beside this run's
        // summary, and --resume would continue the earlier run.
        // Only a directory that shows an earlier run (its summary, model or checkpoint): a
        // user's own metrics.csv in a directory ffnn never wrote to is left alone.
        const std::filesystem::path d(dir);
        const bool earlier_run = std::filesystem::exists(d / "summary.json") ||
                                 std::filesystem::exists(d / "model.safetensors") ||
                                 std::filesystem::exists(d / kCheckpointFile);
        if (lead && !ck && earlier_run) {
            std::string removed;
            for (const char* f : kRunFiles) {
                std::error_code ec;
                if (std::filesystem::remove(std::filesystem::path(dir) / f, ec))
                    removed += (removed.empty() ? "" : ", ") + std::string(f);
            }
            if (!removed.empty())
                std::cerr << "ffnn train: removed the files of an earlier run in " << dir << ": "
                          << removed << "\n";
        }
        const std::string checkpoint_file = dir + "/" + kCheckpointFile;
        // A run killed while writing its checkpoint left a temporary beside it; resuming, this
        // process is the only writer of the run's files.
        if (lead && ck)
            if (const std::size_t n = remove_stale_temporaries(checkpoint_file); n > 0 && talk)
                std::cout << "removed " << count_of(n, "temporary file", "temporary files")
                          << " of the interrupted checkpoint write\n";

        const std::size_t every =
            o_run.log_every > 0 ? o_run.log_every
            : o_run.verbose || c.epochs <= kAllEpochLines
                ? 1
                : c.epochs / kAllEpochLines + (c.epochs % kAllEpochLines != 0);
        std::size_t last_printed = 0;
        ProgressBar bar;
        FitCallbacks cb;
        cb.on_batch = [&](std::size_t e, std::size_t done, std::size_t total, double s) {
            if (e == test_stall.epoch && done == 1) stall("in an epoch");
            if (talk) bar.update(e, done, total, s);
        };
        cb.on_epoch = [&](const EpochRecord& r, const FitState& st) {
            EpochDecision d = early.on_epoch(r);
            if (lead && o_run.checkpoint_every > 0 && std::isfinite(r.train_loss) &&
                (r.epoch % o_run.checkpoint_every == 0 || r.epoch == c.epochs || d.stop)) {
                g_stall_in_write = r.epoch == test_stall.checkpoint;
                save_run_checkpoint(
                    checkpoint_file, c, model, data, st, early,
                    {{"created_by", "ffnn train"}, {kRunOptionsKey, run_options_json(o_run)}});
                write_metrics_csv(dir + "/metrics.csv", st.history, data.train.target_names);
            }
            bar.clear();
            const bool show = r.epoch == 1 || r.epoch % every == 0 || r.epoch == c.epochs ||
                              d.stop || !std::isfinite(r.train_loss);
            if (talk && show) {
                print_epoch(r, c.epochs, has_val, regression);
                last_printed = r.epoch;
            }
            return d;
        };
        cb.on_train_end = [&](Model<float>&) { early.on_train_end(); };
        TrainOutcome out = fit(model, data, c, state, cb, &comm);
        bar.clear();
        // Every rank holds the same weights and metrics now; rank 0 writes them.
        if (!lead) return out.diverged ? 1 : 0;
        if (talk && !out.history.empty() && last_printed != out.history.back().epoch)
            print_epoch(out.history.back(), c.epochs, has_val, regression, "  (last)");
        if (talk && early.best_epoch() > 0 && !out.diverged)
            print_epoch(early.best(), c.epochs, has_val, regression,
                        c.early_stopping.restores_best() ? "  (best, kept)" : "  (best)");
        if (talk && out.stop_reason == StopReason::EarlyStop) std::cout << out.message << "\n";
        write_metrics_csv(dir + "/metrics.csv", out.history, data.train.target_names);
        if (out.diverged) {
            const double wall_so_far =
                std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
            std::cerr << "ffnn train: " << out.message << " Try a smaller --lr (or --clip-norm).\n";
            // The directory describes this run alone: a model this run saved before (on
            // resume) would sit beside a summary that says diverged.
            std::error_code ec;
            for (const char* f : {"/model.safetensors", "/best.safetensors"})
                if (std::filesystem::remove(dir + f, ec))
                    std::cerr << "ffnn train: removed the " << (f + 1) << " of an earlier run in "
                              << dir << "\n";
            write_summary_json(dir + "/summary.json", c, out, early, data, max_threads(),
                               wall_so_far);
            std::cerr << "ffnn train: no model saved; metrics of the epochs before it are in "
                      << dir << "/metrics.csv\n";
            return 1;
        }

        if (data.test.size() == 0)
            std::printf("%sno test set (--test-split 0): the model is saved untested\n",
                        talk ? "\n" : "");
        else if (regression)
            std::cout << (talk ? "\n" : "")
                      << "test: " << format_target_metrics(out.test_metrics.mean)
                      << (data.num_outputs() > 1 ? " (mean of the targets)" : "") << "  (loss "
                      << format_fixed(out.test.loss, 4)
                      << (data.target_standardizer.fitted() ? " on the standardised targets)" : ")")
                      << "\n"
                      << per_target_lines(data.train.target_names, out.test_metrics);
        else
            std::printf("%stest: loss %.4f  accuracy %.4f (%zu of %zu)\n", talk ? "\n" : "",
                        out.test.loss, out.test.accuracy, out.test.correct, out.test.n);
        // An accuracy no better than always answering the most frequent class: the model has
        // learned nothing the labels' frequencies do not say (a wrong --label, for example).
        if (!regression && data.test.size() > 0) {
            std::vector<std::size_t> count(data.test.num_classes(), 0);
            for (int y : data.test.labels) ++count[static_cast<std::size_t>(y)];
            const std::size_t top = static_cast<std::size_t>(
                std::max_element(count.begin(), count.end()) - count.begin());
            const double majority = double(count[top]) / double(data.test.size());
            if (out.test.accuracy <= majority)
                std::fprintf(stderr,
                             "ffnn train: warning: test accuracy %.4f is no better than answering "
                             "the most frequent class, '%s', for every example (%.4f): is --label "
                             "'%s' the column you meant?\n",
                             out.test.accuracy, data.test.class_names[top].c_str(), majority,
                             data.label_column.c_str());
        }
        // The matrix file is written whatever the verbosity: the run directory is the same.
        bool wrote_confusion = false;
        if (data.test.size() && !regression) {
            ConfusionMatrix cm(data.test.num_classes());
            cm.add(data.test.labels, model.predict(data.test.X));
            if (cm.num_classes() <= ConfusionMatrix::kMaxPrintedClasses) {
                // (an earlier run's confusion.txt was removed when this run began)
                if (talk) std::cout << "\n" << cm.format(data.test.class_names);
            } else {
                write_file_atomic(dir + "/confusion.txt", cm.format(data.test.class_names));
                wrote_confusion = true;
                if (talk)
                    std::cout << "\n"
                              << cm.format_summary(data.test.class_names) << "full matrix in "
                              << dir << "/confusion.txt\n";
            }
        }
        std::map<std::string, std::string> meta{
            {"created_by", "ffnn train"}, {"data", data_source}, {"seed", std::to_string(c.seed)}};
        // The columns that were neither features nor targets: eval and predict pass over them
        // (when the file has them) without the flags being given again.
        if (!c.data.ignore_columns.empty())
            meta["ignore_columns"] = nlohmann::json(c.data.ignore_columns).dump();
        if (!c.data.id_column.empty()) meta["id_column"] = c.data.id_column;
        save_checkpoint(dir + "/model.safetensors", model, data.standardizer, data.outputs(),
                        data.train.feature_names, data.label_column, meta);
        std::string saved = "model.safetensors,metrics.csv,summary.json";
        if (o_run.save_best && early.best_epoch() > 0) {
            Model<float> best = build_model(c, data.train.num_features(), data.num_outputs());
            const auto& params = best.parameter_list();
            for (std::size_t i = 0; i < params.size(); ++i)
                params[i].value->copy_from(early.best_weights()[i]);
            auto best_meta = meta;
            best_meta["epoch"] = std::to_string(early.best_epoch());
            save_checkpoint(dir + "/best.safetensors", best, data.standardizer, data.outputs(),
                            data.train.feature_names, data.label_column, best_meta);
            saved += ",best.safetensors";
        }
        double wall =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
        if (wrote_confusion) saved += ",confusion.txt";
        write_summary_json(dir + "/summary.json", c, out, early, data, max_threads(), wall);
        if (talk) {
            std::printf("\ntraining %.3fs, wall %.3fs on %d thread%s", out.train_seconds, wall,
                        max_threads(), max_threads() == 1 ? "" : "s");
            if (comm.size() > 1)
                std::printf(" x %d ranks, %.3fs of it in the gradient reduction (%.3fms a step)",
                            comm.size(), out.reduce_seconds,
                            out.steps ? 1e3 * out.reduce_seconds / double(out.steps) : 0.0);
            std::printf("\nsaved %s/{%s}\n", dir.c_str(), saved.c_str());
        }
        return 0;
    };
}

}  // namespace ffnn::app
