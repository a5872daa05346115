// The Markdown report of a sweep; see report.hpp.
#include "report/report.hpp"

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <map>
#include <set>

#include "ffnn/io/atomic_file.hpp"
#include "report/diagnosis.hpp"
#include "report/plots.hpp"
#include "report/regions.hpp"

namespace ffnn::app {

namespace {

std::string fmt(const char* f, double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, f, v);
    return buf;
}

std::string pm(const Stat& s, const char* f) {
    if (s.n == 0) return "-";
    // One run has no spread: "-" rather than a standard deviation of 0.
    return fmt(f, s.mean) + " ± " + (s.n == 1 ? std::string("-") : fmt(f, s.std));
}

std::string join(const std::vector<std::string>& v, const std::string& sep) {
    std::string s;
    for (std::size_t i = 0; i < v.size(); ++i) s += (i ? sep : "") + v[i];
    return s;
}

// Configuration fields that differ between settings (lr and hidden always do in a grid).
std::set<std::string> varying_fields(const std::vector<SweepSetting>& settings) {
    std::set<std::string> out;
    const nlohmann::json first = settings.front().config.to_json();
    for (const SweepSetting& s : settings) {
        const nlohmann::json j = s.config.to_json();
        for (auto it = first.begin(); it != first.end(); ++it)
            if (j.at(it.key()) != it.value()) out.insert(it.key());
    }
    return out;
}

std::string setup_markdown(const ReportInput& in) {
    const TrainConfig& c = in.settings.front().config;
    const SweepRun& r = in.runs.front();
    const std::set<std::string> varies = varying_fields(in.settings);
    auto v = [&](const std::string& key, const std::string& text) {
        return varies.count(key)
                   ? text + " (for the first setting; it varies, see the setting names)"
                   : text;
    };
    const std::size_t n_all = r.n_train + r.n_val + r.n_test;
    std::string s = "### Setup\n\n";
    s += "- **Data**: " + (c.data.csv.empty() ? to_string(c.data.dataset) : c.data.csv) + ", " +
         std::to_string(n_all) + " examples with " + std::to_string(r.n_features) +
         " features and " + std::to_string(r.n_classes) + " classes, split by class " +
         "(stratified) into " + std::to_string(r.n_train) + " training, " +
         std::to_string(r.n_val) + " validation and " + std::to_string(r.n_test) +
         " test examples (" + v("val_split", fmt("%g", c.data.val_split) + " validation") + ", " +
         v("test_split", fmt("%g", c.data.test_split) + " test") +
         "). The split is drawn again for every seed.\n";
    s += "- **Preprocessing**: " +
         v("standardize",
           c.data.standardize
               ? std::string("every feature standardised with the mean and standard deviation "
                             "of the training part only")
               : std::string("none (raw features)")) +
         ".\n";
    s += "- **Architecture**: " + std::to_string(r.n_features) +
         " inputs, the hidden layers of each setting (" +
         v("activation", to_string(c.model.activation)) + " activation, " +
         v("init", to_string(c.model.init)) + " initialisation), a linear layer of " +
         std::to_string(r.n_classes) + " logits, softmax cross-entropy loss.\n";
    std::string opt = v("optimizer", to_string(c.optimizer.kind));
    if (c.optimizer.kind == OptimizerKind::SGD)
        opt += " with momentum " + v("momentum", fmt("%g", c.optimizer.momentum)) +
               (c.optimizer.nesterov ? " (Nesterov)" : "");
    if (c.optimizer.weight_decay > 0)
        opt += ", weight decay " + v("weight_decay", fmt("%g", c.optimizer.weight_decay));
    if (c.optimizer.clip_norm > 0)
        opt += ", gradients clipped to norm " + v("clip_norm", fmt("%g", c.optimizer.clip_norm));
    s += "- **Optimiser**: " + opt + ", learning rate per setting, " +
         v("schedule", to_string(c.schedule.kind)) + " schedule, batch " +
         v("batch_size", std::to_string(c.batch_size)) + ", " +
         v("epochs", std::to_string(c.epochs)) + " epochs.\n";
    s += "- **Seeds**: " + std::to_string(in.seeds.size()) + " per setting (" +
         std::to_string(in.seeds.front()) + " to " + std::to_string(in.seeds.back()) +
         "); the seed draws the split, the initial weights and the batch order, so "
         "the spread across seeds includes the luck of the split. Each run is determined by its "
         "configuration and "
         "seed; the runs were trained " +
         std::to_string(in.jobs) + " at a time, " + std::to_string(c.threads) + " thread each.\n";
    s += "- **Threshold**: \"epochs to " + fmt("%g", in.threshold) +
         "\" is the first epoch whose validation accuracy " + "reached " + fmt("%g", in.threshold) +
         ".\n";
    if (r.n_test)
        s += "- **Resolution**: the test set has " + std::to_string(r.n_test) +
             " examples, so one example is " + fmt("%.2g", 100.0 / double(r.n_test)) +
             " points of accuracy; the validation set has " + std::to_string(r.n_val) + ".\n";
    return s + "\n";
}

std::string table_markdown(const ReportInput& in, const std::vector<Diagnosis>& diag) {
    const std::string thr = fmt("%g", in.threshold);
    std::string s =
        "| setting | lr | hidden | parameters | verdict | test accuracy | validation accuracy | "
        "final training loss | epochs to " +
        thr + " (runs) | seconds per run |\n";
    s += "|---|---|---|---|---|---|---|---|---|---|\n";
    for (std::size_t i = 0; i < in.settings.size(); ++i) {
        const SettingSummary& m = in.summaries[i];
        std::size_t params = 0;
        for (const SweepRun& r : in.runs)
            if (r.setting == i) params = r.n_parameters;
        s += "| " + m.name + " | " + fmt("%g", m.lr) + " | " + m.hidden + " | " +
             std::to_string(params) + " | " +
             (m.runs_ok == 0
                  ? "diverged in " + std::to_string(m.diverged) + "/" + std::to_string(m.runs) +
                        " runs"
                  : diag[i].verdict + (m.diverged ? " (" + std::to_string(m.diverged) + "/" +
                                                        std::to_string(m.runs) + " runs diverged)"
                                                  : "")) +
             " | " + pm(m.test_accuracy, "%.3f") + " | " + pm(m.val_accuracy, "%.3f") + " | " +
             pm(m.train_loss, "%.3g") + " | " + pm(m.epochs_to_threshold, "%.1f") + " (" +
             std::to_string(m.reached) + "/" + std::to_string(m.runs) + ") | " +
             pm(m.seconds, "%.2f") + " |\n";
    }
    s += "\nMean ± sample standard deviation over the seeds. A diverged run has no final metrics: "
         "the accuracies and "
         "the loss are over the runs that finished; epochs to " +
         thr +
         " are over the runs that reached it (counted "
         "in brackets). Seconds are wall time of one run (data, training, evaluation) and vary "
         "between machines and "
         "between runs; every other number is reproduced exactly by running the same command "
         "again.\n\n";
    return s;
}

// The marker that closes the list of short answers at the top of a report.
constexpr const char* kAnswersEnd = "<!-- end of the short answers -->";

// The settings other than the best whose mean accuracy (test, else validation) is within the
// larger of the best's standard deviation and one example of it.
std::vector<std::size_t> close_to_best(const ReportInput& in, std::size_t b, double& tol) {
    const SettingSummary& m = in.summaries[b];
    const bool test = m.test_accuracy.n > 0;
    const Stat& t = test ? m.test_accuracy : m.val_accuracy;
    const std::size_t n = test ? in.runs.front().n_test : in.runs.front().n_val;
    tol = std::max(t.std, n ? 1.0 / double(n) : 0.0);
    std::vector<std::size_t> close;
    for (std::size_t i = 0; i < in.summaries.size(); ++i) {
        const Stat& o = test ? in.summaries[i].test_accuracy : in.summaries[i].val_accuracy;
        if (i != b && o.n && o.mean >= t.mean - tol) close.push_back(i);
    }
    return close;
}

// The setting with the narrowest hidden layer (the first of equals), for the regions figure.
std::size_t narrowest_setting(const std::vector<SweepSetting>& settings) {
    std::size_t best = 0, width = SIZE_MAX;
    for (std::size_t i = 0; i < settings.size(); ++i) {
        std::size_t w = SIZE_MAX;
        for (std::size_t h : settings[i].config.model.hidden) w = std::min(w, h);
        if (w < width) {
            width = w;
            best = i;
        }
    }
    return best;
}

std::string regions_markdown(const ReportInput& in, const std::vector<RegionPanel>& panels,
                             const std::vector<std::size_t>& which, const std::string& link_dir,
                             const std::string& tag) {
    const std::string& fa = in.region_features[0];
    const std::string& fb = in.region_features[1];
    std::string s = "### What the network learned\n\n";
    s += "![" + tag + " decision regions](" + link_dir + "/" + tag + "-regions.png)\n\n";
    s += "The same training as above for seed " + std::to_string(in.seeds.front()) +
         " (the same split of the examples, the same batches), but with only " + fa + " and " + fb +
         " as inputs: the input space is then a plane, and the figure colours each point of it "
         "by the class the trained network predicts there. With these two features ";
    for (std::size_t p = 0; p < panels.size(); ++p) {
        const RegionPanel& pn = panels[p];
        s += (p ? (p + 1 == panels.size() ? " and " : ", ") : "") + pn.setting + " (" + pn.hidden +
             " hidden) reaches test accuracy " + fmt("%.3f", pn.test_accuracy) + " (" +
             std::to_string(pn.test_correct) + " of " + std::to_string(pn.test_n) + ")" +
             (pn.diverged ? ", after diverging" : "");
    }
    s += ".";
    for (std::size_t p = 0; p < panels.size(); ++p) {
        const TrainConfig& c = in.settings[which[p]].config;
        const std::string act = to_string(c.model.activation);
        const ActivationKind kind = c.model.activation.kind;
        if (c.model.hidden.size() == 1 && c.model.hidden[0] == 1) {
            s += " With a single hidden unit, h = " + act +
                 "(w · x + c) is one number, and every logit is an affine function of it, so "
                 "the predicted class depends on the input only through w · x: the boundaries "
                 "are parallel straight lines, perpendicular to w, and each class occupies at "
                 "most one band between them";
            if (kind == ActivationKind::ReLU)
                s += " (on the side where w · x + c ≤ 0 the unit is off, h = 0, and the whole "
                     "half-plane gets one class)";
            s += ".";
        } else if (kind == ActivationKind::ReLU || kind == ActivationKind::LeakyReLU) {
            s += " With ";
            s += hidden_label(c.model.hidden) + " " + act +
                 " units the logits are piecewise-linear functions of the input (a sum of hinges "
                 "along different directions), so the boundaries of " +
                 in.settings[which[p]].name +
                 " are polygonal: straight pieces that bend where a "
                 "unit switches on or off.";
        }
    }
    s += " Data: [" + tag + "-regions.dat](" + link_dir + "/" + tag + "-regions.dat).\n\n";
    return s;
}

std::string best_markdown(const ReportInput& in) {
    const std::size_t b = best_setting(in.summaries);
    const SettingSummary& m = in.summaries[b];
    const SweepRun& r = in.runs.front();
    const bool test = m.test_accuracy.n > 0;
    const Stat& t = test ? m.test_accuracy : m.val_accuracy;
    const std::size_t n = test ? r.n_test : r.n_val;
    std::string s = "### Best setting\n\n**" + m.name + "** (lr " + fmt("%g", m.lr) + ", hidden " +
                    m.hidden + "): " + (test ? "test" : "validation") + " accuracy " +
                    pm(t, "%.3f") + " over " + std::to_string(t.n) + " seeds.";
    if (n) {
        s += " The " + std::string(test ? "test" : "validation") + " set has " + std::to_string(n) +
             " examples, so one example is " + fmt("%.2g", 100.0 / double(n)) +
             " points and the standard deviation is " + fmt("%.1f", t.std * double(n)) +
             " example(s).";
        const double tol = std::max(t.std, 1.0 / double(n));
        std::vector<std::string> close;
        for (std::size_t i = 0; i < in.summaries.size(); ++i) {
            const Stat& o = test ? in.summaries[i].test_accuracy : in.summaries[i].val_accuracy;
            if (i != b && o.n && o.mean >= t.mean - tol) close.push_back(in.summaries[i].name);
        }
        if (close.empty())
            s += " No other setting comes within the larger of that standard deviation and one "
                 "example (" +
                 fmt("%.3f", tol) + ").";
        else
            s += " Within the larger of that standard deviation and one example (" +
                 fmt("%.3f", tol) + ") of it: " + join(close, ", ") +
                 "; the difference between these is not resolved by this many seeds and examples.";
    }
    return s + "\n\n";
}

}  // namespace

std::string short_answer(const ReportInput& in) {
    const std::vector<Diagnosis> diag = diagnose(in.settings, in.runs, in.summaries, in.threshold);
    const std::size_t b = best_setting(in.summaries);
    const SettingSummary& m = in.summaries[b];
    const bool test = m.test_accuracy.n > 0;
    const Stat& t = test ? m.test_accuracy : m.val_accuracy;
    double tol = 0;
    const std::vector<std::size_t> close = close_to_best(in, b, tol);
    std::string s = "the best setting is " + m.name + " (lr " + fmt("%g", m.lr) + ", hidden " +
                    m.hidden + "), " + (test ? "test" : "validation") + " accuracy " +
                    pm(t, "%.3f") + " over " + std::to_string(t.n) + " seeds";
    if (!close.empty()) {
        std::vector<std::string> names;
        names.reserve(close.size());
        for (std::size_t i : close) names.push_back(in.summaries[i].name);
        s += "; " + join(names, " and ") + (names.size() == 1 ? " comes" : " come") + " within " +
             fmt("%.3f", tol) +
             " of it, a difference that this many seeds and examples do not resolve";
    }
    s += ".";
    std::vector<std::string> others;
    for (std::size_t i = 0; i < in.summaries.size(); ++i) {
        if (i == b || std::find(close.begin(), close.end(), i) != close.end()) continue;
        const SettingSummary& o = in.summaries[i];
        const Stat& a = test ? o.test_accuracy : o.val_accuracy;
        others.push_back(o.name + " " +
                         (o.runs_ok == 0 ? std::string("diverged")
                                         : diag[i].verdict + " (" + fmt("%.3f", a.mean) + ")"));
    }
    if (!others.empty()) s += " The others: " + join(others, "; ") + ".";
    return s;
}

std::string report_section(const ReportInput& in, const std::string& link_dir,
                           const std::string& tag, const std::string& learned,
                           const std::string& derivations_link) {
    const std::vector<Diagnosis> diag =
        diagnose(in.settings, in.runs, in.summaries, in.threshold, derivations_link);
    const TrainConfig& c = in.settings.front().config;
    std::string s = "## " + tag + ": " + std::to_string(in.settings.size()) + " settings × " +
                    std::to_string(in.seeds.size()) + " seeds\n\n";
    s += "Produced by `" + in.command + "` (settings from " + in.grid_source +
         "). Per-run results: [" + tag + "-sweep.csv](" + link_dir + "/" + tag +
         "-sweep.csv); per setting: [" + tag + "-summary.csv](" + link_dir + "/" + tag +
         "-summary.csv).\n\n";
    s += setup_markdown(in);

    s += "### Results\n\n" + table_markdown(in, diag);
    s += "### Learning curves\n\n";
    s += "![" + tag + " loss curves](" + link_dir + "/" + tag + "-loss.png)\n\n";
    s += "![" + tag + " accuracy curves](" + link_dir + "/" + tag + "-accuracy.png)\n\n";
    s += "![" + tag + " accuracy per setting](" + link_dir + "/" + tag + "-accuracy-zoom.png)\n\n";
    s += "Each line is the mean over the seeds, the shaded band the range from the lowest to the "
         "highest seed; the "
         "loss axis is logarithmic, losses below 1e-5 are drawn at 1e-5 and above 1000 at 1000. A "
         "setting's "
         "curves stop where its last run stopped: a diverged run ends at the last epoch it "
         "finished, and the mean "
         "at each epoch is over the runs that reached it. The third figure gives each setting its "
         "own panel, on an accuracy axis that starts just below the lowest curve after the first "
         "tenth of the epochs. Data: [" +
         tag + "-curves.dat](" + link_dir + "/" + tag + "-curves.dat).\n\n";

    s += best_markdown(in);
    s += learned;

    s += "### What happened, setting by setting\n\n";
    bool any_why = false;
    for (const auto& st : in.settings) any_why = any_why || !st.why.empty();
    if (any_why && in.grid_source == "the built-in default grid")
        s += "These are the built-in default settings: a reference and four that each change one "
             "thing of it (the "
             "learning rate down, the learning rate up, the hidden layer narrower, the hidden "
             "layer wider), so that "
             "each shows a different behaviour on the same data and epoch budget. What each was "
             "chosen to show is in "
             "italics; what the measurements say follows it.\n\n";
    for (std::size_t i = 0; i < in.settings.size(); ++i) {
        const SweepSetting& st = in.settings[i];
        s += "#### " + st.name + ": " + diag[i].verdict + "\n\n";
        if (!st.why.empty()) s += "*Chosen as " + st.why + ".*\n\n";
        s += "What happened:\n\n";
        for (const auto& f : diag[i].findings) s += "- " + f + "\n";
        if (!diag[i].reasons.empty()) {
            s += "\nWhy:\n\n";
            for (const auto& r : diag[i].reasons) s += "- " + r + "\n";
        }
        s += "\n";
    }
    s += "### How the words above are decided\n\n";
    s +=
        "Every verdict and sentence above comes from the measurements by these rules (constants in "
        "apps/report/diagnosis.hpp), for the " +
        std::to_string(c.epochs) + "-epoch budget:\n\n";
    s += rules_markdown(in.threshold) + "\n";
    return s;
}

void write_report(const std::string& path, const ReportInput& in, bool append) {
    namespace fs = std::filesystem;
    if (in.settings.empty() || in.runs.empty())
        throw std::invalid_argument("write_report: a sweep with no runs");
    const fs::path report(path);
    if (report.extension() != ".md")
        throw std::invalid_argument("--report: expected a Markdown file name ending in .md, got '" +
                                    path + "'");
    const fs::path parent = report.parent_path();
    const std::string link_dir = report.stem().string();
    const fs::path image_dir = parent / link_dir;
    if (!parent.empty()) fs::create_directories(parent);
    fs::create_directories(image_dir);
    const std::string tag = in.settings.front().config.data.name();

    write_file_atomic((image_dir / (tag + "-sweep.csv")).string(),
                      sweep_csv(in.settings, in.runs, in.threshold));
    write_file_atomic((image_dir / (tag + "-summary.csv")).string(), summary_csv(in.summaries));
    plot_curves(image_dir.string(), tag, in.settings, curve_bands(in.settings.size(), in.runs));

    std::string learned;
    if (!in.region_features.empty()) {
        std::vector<std::size_t> which = {best_setting(in.summaries)};
        const std::size_t narrow = narrowest_setting(in.settings);
        if (narrow != which.front()) which.push_back(narrow);
        const std::vector<RegionPanel> panels = plot_regions(
            image_dir.string(), tag, in.settings, which, in.region_features, in.seeds.front());
        learned = regions_markdown(in, panels, which, link_dir, tag);
    }
    // The repository's report.md sits beside docs/: link the derivations it relies on.
    const std::string derivations =
        fs::exists((parent.empty() ? fs::path(".") : parent) / "docs" / "derivations.md")
            ? "docs/derivations.md"
            : "";

    const std::string answer = "- **" + tag + "**: " + short_answer(in) + "\n";
    std::string doc;
    if (append && fs::exists(report)) {
        doc = read_file_bytes(path);
        const std::size_t end = doc.find(kAnswersEnd);
        if (end != std::string::npos) doc.insert(end, answer);
        if (!doc.empty() && doc.back() != '\n') doc += "\n";
        doc += "\n";
    } else {
        doc = "# " + in.title + "\n\n";
        if (!in.note.empty()) doc += in.note + "\n\n";
        doc += (in.note.empty() ? "In short:\n\n" : "") + answer + kAnswersEnd + "\n\n";
    }
    doc += report_section(in, link_dir, tag, learned, derivations);
    write_file_atomic(path, doc);
}

}  // namespace ffnn::app
