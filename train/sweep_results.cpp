// Tables of a sweep's results; see sweep_results.hpp.
#include "ffnn/train/sweep_results.hpp"

#include <cmath>
#include <cstdio>

namespace ffnn {

namespace {

std::string num(double v, const char* fmt = "%.6g") {
    if (!std::isfinite(v)) return "";
    char buf[64];
    std::snprintf(buf, sizeof buf, fmt, v);
    return buf;
}

std::string stat_cells(const Stat& s, const char* fmt = "%.6g") {
    if (s.n == 0) return ",";
    return num(s.mean, fmt) + "," + num(s.std, fmt);
}

// "0.967 ± 0.018", "0.967 ± -" over a single value (no spread to speak of), or "-" when
// there is no value.
std::string stat_text(const Stat& s, const char* fmt) {
    if (s.n == 0) return "-";
    return num(s.mean, fmt) + " ± " + (s.n == 1 ? std::string("-") : num(s.std, fmt));
}

}  // namespace

std::optional<std::size_t> epochs_to_threshold(const std::vector<EpochRecord>& history,
                                               double threshold) {
    for (const EpochRecord& r : history)
        if (std::isfinite(r.val_accuracy) && r.val_accuracy >= threshold) return r.epoch;
    return std::nullopt;
}

Stat stat_of(const std::vector<double>& values) {
    Stat s;
    for (double v : values)
        if (std::isfinite(v)) {
            s.mean += v;
            ++s.n;
        }
    if (s.n == 0) return s;
    s.mean /= double(s.n);
    if (s.n > 1) {
        double ss = 0;
        for (double v : values)
            if (std::isfinite(v)) ss += (v - s.mean) * (v - s.mean);
        s.std = std::sqrt(ss / double(s.n - 1));
    }
    return s;
}

std::vector<SettingSummary> summarize(const std::vector<SweepSetting>& settings,
                                      const std::vector<SweepRun>& runs, double threshold) {
    std::vector<SettingSummary> out;
    for (std::size_t s = 0; s < settings.size(); ++s) {
        SettingSummary m;
        m.name = settings[s].name;
        m.lr = settings[s].config.optimizer.lr;
        m.hidden = hidden_label(settings[s].config.model.hidden);
        std::vector<double> tl, ta, vl, va, sl, sa, ep, sec;
        for (const SweepRun& r : runs) {
            if (r.setting != s) continue;
            ++m.runs;
            sec.push_back(r.seconds);
            if (auto e = epochs_to_threshold(r.outcome.history, threshold)) {
                ++m.reached;
                ep.push_back(double(*e));
            }
            if (r.outcome.diverged) {
                ++m.diverged;
                continue;
            }
            ++m.runs_ok;
            tl.push_back(r.outcome.train.loss);
            ta.push_back(r.outcome.train.accuracy);
            if (r.n_val) {
                vl.push_back(r.outcome.val.loss);
                va.push_back(r.outcome.val.accuracy);
            }
            if (r.n_test) {
                sl.push_back(r.outcome.test.loss);
                sa.push_back(r.outcome.test.accuracy);
            }
        }
        m.train_loss = stat_of(tl);
        m.train_accuracy = stat_of(ta);
        m.val_loss = stat_of(vl);
        m.val_accuracy = stat_of(va);
        m.test_loss = stat_of(sl);
        m.test_accuracy = stat_of(sa);
        m.epochs_to_threshold = stat_of(ep);
        m.seconds = stat_of(sec);
        out.push_back(std::move(m));
    }
    return out;
}

std::string sweep_csv(const std::vector<SweepSetting>& settings, const std::vector<SweepRun>& runs,
                      double threshold) {
    std::string s =
        "setting,lr,hidden,seed,train_loss,train_accuracy,val_loss,val_accuracy,test_loss,test_"
        "accuracy,"
        "epochs_to_threshold,seconds,diverged,diverged_epoch,best_epoch,stop_reason\n";
    for (const SweepRun& r : runs) {
        const SweepSetting& st = settings[r.setting];
        const TrainOutcome& o = r.outcome;
        const bool ok = !o.diverged;
        auto metric = [&](bool present, double v) {
            return ok && present ? num(v, "%.9g") : std::string();
        };
        auto e = epochs_to_threshold(o.history, threshold);
        s += st.name + "," + num(st.config.optimizer.lr, "%.10g") + "," +
             hidden_label(st.config.model.hidden) + "," + std::to_string(r.seed) + "," +
             metric(true, o.train.loss) + "," + metric(true, o.train.accuracy) + "," +
             metric(r.n_val > 0, o.val.loss) + "," + metric(r.n_val > 0, o.val.accuracy) + "," +
             metric(r.n_test > 0, o.test.loss) + "," + metric(r.n_test > 0, o.test.accuracy) + "," +
             (e ? std::to_string(*e) : "") + "," + num(r.seconds, "%.4f") + "," +
             (o.diverged ? "yes" : "no") + "," +
             (o.diverged ? std::to_string(o.diverged_epoch) : "") + "," +
             (r.best_epoch > 0 ? std::to_string(r.best_epoch) : "") + "," +
             to_string(o.stop_reason) + "\n";
    }
    return s;
}

std::string summary_csv(const std::vector<SettingSummary>& summaries) {
    std::string s =
        "setting,lr,hidden,runs,diverged,train_loss_mean,train_loss_std,train_accuracy_mean,train_"
        "accuracy_std,"
        "val_loss_mean,val_loss_std,val_accuracy_mean,val_accuracy_std,test_loss_mean,test_loss_"
        "std,"
        "test_accuracy_mean,test_accuracy_std,reached_threshold,epochs_to_threshold_mean,epochs_to_"
        "threshold_std,"
        "seconds_mean,seconds_std\n";
    for (const SettingSummary& m : summaries) {
        s += m.name + "," + num(m.lr, "%.10g") + "," + m.hidden + "," + std::to_string(m.runs) +
             "," + std::to_string(m.diverged) + "," + stat_cells(m.train_loss) + "," +
             stat_cells(m.train_accuracy) + "," + stat_cells(m.val_loss) + "," +
             stat_cells(m.val_accuracy) + "," + stat_cells(m.test_loss) + "," +
             stat_cells(m.test_accuracy) + "," + std::to_string(m.reached) + "," +
             stat_cells(m.epochs_to_threshold) + "," + stat_cells(m.seconds, "%.4f") + "\n";
    }
    return s;
}

std::string summary_table(const std::vector<SettingSummary>& summaries, double threshold) {
    std::size_t w = 7;
    for (const auto& m : summaries) w = std::max(w, m.name.size());
    char line[512];
    std::string s;
    std::snprintf(line, sizeof line, "%-*s  %8s  %-15s  %-15s  %-21s  %-19s  %-13s\n", int(w),
                  "setting", "diverged", "test acc", "val acc", "train loss",
                  ("epochs to " + num(threshold, "%.2g")).c_str(), "seconds");
    s += line;
    for (const auto& m : summaries) {
        std::string reached = stat_text(m.epochs_to_threshold, "%.1f") + " (" +
                              std::to_string(m.reached) + "/" + std::to_string(m.runs) + ")";
        std::snprintf(
            line, sizeof line, "%-*s  %8s  %-15s  %-15s  %-21s  %-19s  %-13s\n", int(w),
            m.name.c_str(), (std::to_string(m.diverged) + "/" + std::to_string(m.runs)).c_str(),
            stat_text(m.test_accuracy, "%.3f").c_str(), stat_text(m.val_accuracy, "%.3f").c_str(),
            stat_text(m.train_loss, "%.4g").c_str(), reached.c_str(),
            stat_text(m.seconds, "%.2f").c_str());
        s += line;
    }
    s += "(mean ± sample standard deviation over seeds; accuracies and losses over the runs that "
         "did not diverge)\n";
    return s;
}

}  // namespace ffnn
