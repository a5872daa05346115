// `ffnn sweep`: a grid of training runs, each setting over several seeds, and their report.
//
//   ffnn sweep                                   the built-in five settings on Iris, 5 seeds
//   ffnn sweep --lr 0.001,0.01,0.1 --hidden 4,16,64x32 --epochs 50
//   ffnn sweep --settings grid.json --seeds 3 --report report.md
//
// The directory (--out, default runs/sweep-<data>-<timestamp>) receives
//   sweep.csv                          one row per run (see sweep_results.hpp)
//   summary.csv                        mean and standard deviation per setting
//   runs/<setting>-seed<k>/metrics.csv  each run's learning curve
//   with --save-models: runs/<setting>-seed<k>/model.safetensors, each run's best epoch (by
//   --monitor), and best-model.safetensors, a copy of the best run's of the best setting
// and --report FILE.md writes the Markdown report with its plots beside it (report.hpp).
// Every train flag applies to every run; a setting of a --settings file may override any.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <thread>

#include "commands.hpp"
#include "communicator.hpp"
#include "ffnn/io/atomic_file.hpp"
#include "ffnn/io/checkpoint.hpp"
#include "ffnn/train/sweep.hpp"
#include "ffnn/train/sweep_results.hpp"
#include "report/diagnosis.hpp"
#include "report/plots.hpp"
#include "report/report.hpp"
#include "run_files.hpp"
#include "sweep_grid.hpp"

namespace ffnn::app {

namespace {

struct SweepOptions {
    TrainConfig base;
    std::string out;
    std::string lrs, hiddens, settings_file, report, note, title = "Sweep report", regions;
    std::size_t seeds = 5;
    std::uint64_t seed_base = 1;
    int jobs = 0;  // 0: every core
    double threshold = 0.9;
    bool append = false;
    bool save_models = false;
};

// "0.332s", "12.4s": wall times of a few milliseconds to hours, never "0.0s".
std::string seconds_text(double s) {
    char buf[32];
    std::snprintf(buf, sizeof buf, s < 10 ? "%.3fs" : "%.1fs", s);
    return buf;
}

std::string run_dir_of(const std::string& dir, const SweepSetting& setting, std::uint64_t seed) {
    return dir + "/runs/" + setting.name + "-seed" + std::to_string(seed);
}

// Writes the best epoch's weights of a finished run as a model file (the weights are put in
// the model for the write and then put back).
void save_best_model(const std::string& path, Model<float>& model, const EarlyStopping& early,
                     const PreparedData& data, const std::map<std::string, std::string>& meta) {
    const auto& params = model.parameter_list();
    std::vector<Tensor<float>> kept;
    for (std::size_t i = 0; i < params.size(); ++i) {
        kept.push_back(params[i].value->clone());
        params[i].value->copy_from(early.best_weights()[i]);
    }
    save_checkpoint(path, model, data.standardizer, data.train.class_names,
                    data.train.feature_names, data.label_column, meta);
    for (std::size_t i = 0; i < params.size(); ++i) params[i].value->copy_from(kept[i]);
}

std::vector<std::string> split_commas(const std::string& text) {
    std::vector<std::string> out;
    std::size_t pos = 0;
    while (pos <= text.size()) {
        std::size_t end = text.find(',', pos);
        if (end == std::string::npos) end = text.size();
        out.push_back(text.substr(pos, end - pos));
        pos = end + 1;
    }
    return out;
}

std::vector<double> parse_lrs(const std::string& text) {
    std::vector<double> out;
    for (const std::string& part : split_commas(text)) {
        std::size_t used = 0;
        double v = 0;
        try {
            v = std::stod(part, &used);
        } catch (const std::exception&) {
            used = 0;
        }
        if (part.empty() || used != part.size() || !(v > 0) || !std::isfinite(v))
            throw std::invalid_argument(
                "--lr: expected positive learning rates separated by commas "
                "(for example 0.001,0.01,0.1), got '" +
                text + "'");
        out.push_back(v);
    }
    return out;
}

// The command line, rebuilt from the options that were given (for the report).
std::string command_line(const CLI::App& cmd) {
    std::string s = "ffnn " + cmd.get_name();
    for (const CLI::Option* opt : cmd.get_options()) {
        // --report-note is prose for the document, not part of what the sweep computed.
        if (opt->count() == 0 || opt->get_name() == "--help" ||
            opt->get_name() == "--report-note" || opt->get_name() == "--report-title")
            continue;
        std::string flag =
            opt->get_lnames().empty() ? opt->get_name() : "--" + opt->get_lnames()[0];
        if (opt->get_items_expected_min() == 0) {
            s += " " + flag;
            continue;
        }
        for (const std::string& v : opt->results()) s += " " + flag + " " + v;
    }
    return s;
}

int run_sweep_command(SweepOptions& o, const CLI::App& cmd) {
    const auto start = std::chrono::steady_clock::now();
    if (o.seeds == 0) throw std::invalid_argument("--seeds: expected at least 1 seed");
    if (!(o.threshold > 0 && o.threshold <= 1))
        throw std::invalid_argument("--threshold: expected a validation accuracy in (0, 1]");
    if (o.append && o.report.empty())
        throw std::invalid_argument("--report-append needs --report FILE.md");
    if (!o.report.empty()) {
        // Checked before the runs, so that a sweep does not train for minutes and then fail.
        if (std::filesystem::path(o.report).extension() != ".md")
            throw std::invalid_argument(
                "--report: expected a Markdown file name ending in .md, got '" + o.report + "'");
        if (find_gnuplot().empty())
            throw std::runtime_error(
                "--report: the plots need gnuplot, which is not on PATH: run "
                "scripts/install-deps.sh (it installs Debian's gnuplot-nox), or sweep without "
                "--report");
    }
    o.base.validate();
    if (o.base.data.regression())
        throw ConfigError("data.task",
                          "ffnn sweep compares classifiers (validation accuracy, the report's "
                          "tables); train each regression setting with ffnn train");
    if (o.base.threads < 1)
        throw std::invalid_argument(
            "--threads: a sweep runs each training on its own thread(s); "
            "give a positive count (default 1) and use --jobs for parallel runs");
    std::vector<SweepSetting> settings;
    std::string source;
    if (!o.settings_file.empty()) {
        settings = settings_from_file(o.settings_file, o.base);
        source = o.settings_file;
    } else if (!o.lrs.empty() || !o.hiddens.empty()) {
        std::vector<double> lrs =
            o.lrs.empty() ? std::vector<double>{o.base.optimizer.lr} : parse_lrs(o.lrs);
        std::vector<std::string> hiddens =
            o.hiddens.empty() ? std::vector<std::string>{hidden_label(o.base.model.hidden)}
                              : split_commas(o.hiddens);
        settings = grid_from_lists(o.base, lrs, hiddens);
        source = "--lr/--hidden";
    } else {
        settings = default_settings(o.base);
        source = "the built-in default grid";
    }
    std::vector<std::uint64_t> seeds;
    for (std::size_t k = 0; k < o.seeds; ++k) seeds.push_back(o.seed_base + k);
    // Under mpirun the runs spread over the ranks (one rank a run); each rank trains one run
    // at a time unless --jobs says otherwise, for one rank per core.
    Communicator& comm = world();
    const bool lead = comm.rank() == 0;
    // The models are trained on every rank, and rank 0 picks the best setting's from the run
    // directories: that needs a directory every host shares, which ffnn cannot check, so the
    // two do not go together yet. Every rank has the same flags and stops here alike.
    if (o.save_models && comm.size() > 1) {
        if (lead)
            std::cerr << "ffnn sweep: error: --save-models: not available under mpirun with "
                         "more than one rank (run the sweep in one process to save models)\n";
        return 2;
    }
    const int jobs = o.jobs > 0 ? o.jobs
                     : comm.size() > 1
                         ? 1
                         : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));

    const std::string dir = o.out.empty() ? default_run_dir("sweep-" + o.base.data.name()) : o.out;
    if (lead) std::filesystem::create_directories(dir);
    if (comm.size() > 1)
        std::printf(
            "sweep: %d ranks; run i of the grid is trained by rank i mod %d, rank 0 prints "
            "its own runs and writes every result\n",
            comm.size(), comm.size());
    std::printf(
        "sweep: %zu settings x %zu seeds (%llu..%llu) = %zu runs on %d worker%s, %d thread%s each; "
        "%s\n",
        settings.size(), seeds.size(), (unsigned long long)seeds.front(),
        (unsigned long long)seeds.back(), settings.size() * seeds.size(), jobs,
        jobs == 1 ? "" : "s", o.base.threads, o.base.threads == 1 ? "" : "s", source.c_str());
    std::fflush(stdout);

    RunModel save_model;
    if (o.save_models)
        save_model = [&](const SweepRun& r, Model<float>& model, const EarlyStopping& early,
                         const PreparedData& data) {
            if (r.outcome.diverged || early.best_epoch() == 0) return;
            const std::string run_dir = run_dir_of(dir, settings[r.setting], r.seed);
            std::filesystem::create_directories(run_dir);
            save_best_model(run_dir + "/model.safetensors", model, early, data,
                            {{"created_by", "ffnn sweep"},
                             {"setting", settings[r.setting].name},
                             {"seed", std::to_string(r.seed)},
                             {"epoch", std::to_string(early.best_epoch())}});
        };
    const auto t0 = std::chrono::steady_clock::now();
    std::vector<SweepRun> runs = run_sweep(
        settings, seeds, jobs,
        [&](const SweepRun& r, std::size_t k, std::size_t n) {
            const TrainOutcome& out = r.outcome;
            if (out.diverged)
                std::printf("[%3zu/%zu] %s seed %llu: diverged at epoch %zu (%s)\n", k, n,
                            settings[r.setting].name.c_str(), (unsigned long long)r.seed,
                            out.diverged_epoch, seconds_text(r.seconds).c_str());
            else
                std::printf("[%3zu/%zu] %s seed %llu: train loss %.4f, test accuracy %.4f (%s)\n",
                            k, n, settings[r.setting].name.c_str(), (unsigned long long)r.seed,
                            out.train.loss, out.test.accuracy, seconds_text(r.seconds).c_str());
            std::fflush(stdout);
        },
        save_model, &comm);
    const double training_wall =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (!lead) return 0;  // rank 0 has every result and writes the files

    // Files in grid order, whatever order the runs finished in.
    for (const SweepRun& r : runs) {
        std::string run_dir = run_dir_of(dir, settings[r.setting], r.seed);
        std::filesystem::create_directories(run_dir);
        write_metrics_csv(run_dir + "/metrics.csv", r.outcome.history);
    }
    write_file_atomic(dir + "/sweep.csv", sweep_csv(settings, runs, o.threshold));
    std::vector<SettingSummary> summaries = summarize(settings, runs, o.threshold);
    write_file_atomic(dir + "/summary.csv", summary_csv(summaries));

    std::printf("\n%s", summary_table(summaries, o.threshold).c_str());
    std::string best_model;
    if (o.save_models) {
        // The sweep's answer as a model file: the best setting (as the report ranks them),
        // and of its runs the one with the best validation accuracy (then loss; test
        // accuracy without a validation part).
        const std::size_t b = best_setting(summaries);
        const SweepRun* pick = nullptr;
        auto better = [](const SweepRun& x, const SweepRun& y) {
            const EvalResult &a = x.outcome.val, &c = y.outcome.val;
            if (a.n && c.n)
                return a.accuracy != c.accuracy ? a.accuracy > c.accuracy : a.loss < c.loss;
            return x.outcome.test.accuracy > y.outcome.test.accuracy;
        };
        for (const SweepRun& r : runs)
            if (r.setting == b && !r.outcome.diverged && r.best_epoch > 0 &&
                (!pick || better(r, *pick)))
                pick = &r;
        if (pick) {
            best_model = dir + "/best-model.safetensors";
            write_file_atomic(best_model, read_file_bytes(run_dir_of(dir, settings[b], pick->seed) +
                                                          "/model.safetensors"));
            std::printf("\nbest setting %s: its seed %llu run, best epoch %zu -> %s\n",
                        settings[b].name.c_str(), (unsigned long long)pick->seed, pick->best_epoch,
                        best_model.c_str());
        } else {
            std::printf("\nno model saved: every run of the best setting diverged\n");
        }
    }
    const double wall =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf(
        "\n%zu runs in %s wall (%s training, %d worker%s); wrote "
        "%s/{sweep.csv,summary.csv,runs/%s}\n",
        runs.size(), seconds_text(wall).c_str(), seconds_text(training_wall).c_str(), jobs,
        jobs == 1 ? "" : "s", dir.c_str(), best_model.empty() ? "" : ",best-model.safetensors");

    if (!o.report.empty()) {
        ReportInput in;
        in.settings = settings;
        in.runs = std::move(runs);
        in.summaries = std::move(summaries);
        in.seeds = seeds;
        in.threshold = o.threshold;
        in.command = command_line(cmd);
        in.grid_source = source;
        in.jobs = jobs;
        in.note = o.note;
        in.title = o.title;
        if (!o.regions.empty()) in.region_features = split_commas(o.regions);
        write_report(o.report, in, o.append);
        std::printf("report: %s%s\n", o.report.c_str(), o.append ? " (section appended)" : "");
    }
    return 0;
}

}  // namespace

Command add_sweep(CLI::App& cmd) {
    auto o = std::make_shared<SweepOptions>();
    o->base.threads =
        1;  // Iris and digits are too small to thread one run: parallelise runs instead
    add_train_flags(cmd, o->base, /*for_sweep=*/true);
    cmd.add_option("--out", o->out, "Sweep directory (default: runs/sweep-<data>-<timestamp>)");
    auto* lr = cmd.add_option(
        "--lr", o->lrs,
        "Learning rates to try, separated by commas: 0.001,0.01,0.1 (default: the train default; "
        "with none of --lr, --hidden, --settings: the built-in five settings for the data set)");
    auto* hidden = cmd.add_option(
        "--hidden", o->hiddens,
        "Hidden-layer alternatives separated by commas, layers of one alternative by x: "
        "4,16,64x32 is three networks (default: the train default)");
    cmd.add_option("--settings", o->settings_file,
                   "JSON array of settings, each overriding train flags: [{\"lr\": 0.1, "
                   "\"hidden\": \"16\"}, ...]")
        ->excludes(lr)
        ->excludes(hidden);
    cmd.add_option("--seeds", o->seeds,
                   "Seeds per setting (each seed changes the split, the init and the batches)")
        ->check(count_check())
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    cmd.add_option("--seed-base", o->seed_base,
                   "First seed; the seeds are seed-base .. seed-base + seeds - 1")
        ->check(count_check())
        ->capture_default_str();
    cmd.add_option("--jobs", o->jobs, "Runs trained at the same time (0: one per core)")
        ->check(CLI::NonNegativeNumber)
        ->capture_default_str();
    cmd.add_option("--threshold", o->threshold, "Validation accuracy whose first epoch is reported")
        ->check(CLI::Range(0.0, 1.0))
        ->capture_default_str();
    cmd.add_flag("--save-models", o->save_models,
                 "Save each run's best epoch as runs/<setting>-seed<k>/model.safetensors, and the "
                 "best setting's best run as best-model.safetensors");
    auto* report = cmd.add_option(
        "--report", o->report,
        "Write a Markdown report here, its plots and tables in a directory beside it "
        "(report.md -> report/); needs gnuplot");
    cmd.add_flag("--report-append", o->append,
                 "Add this sweep as a new section at the end of the --report file")
        ->needs(report);
    cmd.add_option("--report-note", o->note,
                   "A paragraph under the title of a new report (how it was made)")
        ->needs(report);
    cmd.add_option("--report-title", o->title, "The title of a new report")
        ->needs(report)
        ->capture_default_str();
    cmd.add_option("--report-regions", o->regions,
                   "Two feature columns, e.g. petal_length,petal_width: the report also draws the "
                   "decision regions of the best and the narrowest setting trained on those two "
                   "alone")
        ->needs(report);
    return [o, &cmd]() -> int { return run_sweep_command(*o, cmd); };
}

}  // namespace ffnn::app
