// Learning-curve plots of a sweep; see report_plots.hpp.
#include "report/plots.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <stdexcept>

#include "ffnn/io/atomic_file.hpp"

namespace ffnn::app {

namespace {

// Curve colours, one per setting in grid order (cycled past eight): distinct hues that stay
// apart for the common colour-vision deficiencies (the Okabe-Ito palette, black last).
const char* const kColours[] = {"#0072B2", "#D55E00", "#009E73", "#CC79A7",
                                "#E69F00", "#56B4E9", "#F0E442", "#000000"};
constexpr std::size_t kNumColours = sizeof kColours / sizeof kColours[0];

// Losses are drawn on a log scale: values are clamped to this floor (a loss of exactly 0 has
// no logarithm) and the axis is capped at this ceiling, so that the last finite epochs of a
// diverging run (1e30) do not squash every other curve into one line.
constexpr double kLossFloor = 1e-5;
constexpr double kLossCeiling = 1e3;

// Opacity of the min-max bands in the overview figures, where five bands overlap: at 0.18 the
// overlaps of three or more merged into a grey that matched no legend entry; at 0.08 the
// stack of all five is still lighter than one band of the per-setting figure.
constexpr double kBandOpacity = 0.08;
// The per-setting figure draws one band per panel, so it can be darker.
constexpr double kPanelBandOpacity = 0.25;
// Panels per row of the per-setting figure.
constexpr std::size_t kPanelColumns = 3;

const char* const kMetricTitles[4] = {"training loss", "training accuracy", "validation loss",
                                      "validation accuracy"};

std::string shell_quote(const std::string& s) {
    std::string q = "'";
    for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return q + "'";
}

std::string gp_string(const std::string& s) {
    std::string q = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\') q += '\\';
        q += c;
    }
    return q + "\"";
}

// Runs a shell command, returning its exit status and its combined output.
int run_command(const std::string& cmd, std::string& output) {
    FILE* p = popen((cmd + " 2>&1").c_str(), "r");
    if (!p) throw std::runtime_error("cannot start '" + cmd + "'");
    char buf[4096];
    std::size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) output.append(buf, n);
    int status = pclose(p);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

bool has_points(const CurveBand& b) {
    return !b.epoch.empty();
}

// Runs gnuplot on the script `gp` (which writes tmp_png), then moves the image to png
// atomically. Throws with gnuplot's output when it fails.
void run_gnuplot(const std::string& gnuplot, const std::string& gp, const std::string& tmp_gp,
                 const std::string& tmp_png, const std::string& png) {
    namespace fs = std::filesystem;
    write_file_atomic(tmp_gp, gp);
    std::string out;
    const int rc = run_command(shell_quote(gnuplot) + " " + shell_quote(tmp_gp), out);
    fs::remove(tmp_gp);
    if (rc != 0 || !fs::exists(tmp_png)) {
        fs::remove(tmp_png);
        throw std::runtime_error("gnuplot failed to draw " + png + " (exit " + std::to_string(rc) +
                                 "): " + out);
    }
    const std::string bytes = read_file_bytes(tmp_png);
    fs::remove(tmp_png);
    write_file_atomic(png, bytes);
}

// The lower end of the zoomed accuracy axis: the lowest validation band or training mean after
// the first tenth of the epochs (the first epochs of a slow setting would otherwise pull the
// axis back to 0), rounded down to a multiple of 0.05.
double zoomed_accuracy_floor(const std::vector<CurveBand>& bands) {
    double lo = 1.0;
    for (const CurveBand& b : bands)
        for (std::size_t e = b.epoch.size() / 10; e < b.epoch.size(); ++e)
            for (double v : {b.min[3][e], b.mean[1][e]})
                if (std::isfinite(v)) lo = std::min(lo, v);
    return std::max(0.0, std::floor(lo / 0.05) * 0.05 - 0.05);
}

// <tag>-accuracy-zoom.png: one panel per setting, its validation band and mean and its
// training mean, all on the same zoomed accuracy axis.
void plot_accuracy_panels(const std::string& gnuplot, bool cairo, const std::string& dir,
                          const std::string& tag, const std::string& dat,
                          const std::vector<SweepSetting>& settings,
                          const std::vector<CurveBand>& bands) {
    namespace fs = std::filesystem;
    const std::size_t n = bands.size();
    const std::size_t cols = std::min(n, kPanelColumns), rows = (n + cols - 1) / cols;
    const std::string size = std::to_string(1400) + "," + std::to_string(60 + 360 * rows);
    const std::string terminal = cairo ? "pngcairo size " + size + " font 'Sans,11' linewidth 1.5"
                                       : "png size " + size + " font 'Sans,11'";
    const std::string png = (fs::path(dir) / (tag + "-accuracy-zoom.png")).string();
    const std::string pid = std::to_string(getpid());
    const std::string tmp_png =
        (fs::path(dir) / ("." + tag + "-accuracy-zoom.png." + pid + ".tmp")).string();
    const std::string tmp_gp =
        (fs::path(dir) / ("." + tag + "-accuracy-zoom.gp." + pid + ".tmp")).string();
    char yrange[64];
    std::snprintf(yrange, sizeof yrange, "set yrange [%g:1.01]\n", zoomed_accuracy_floor(bands));
    std::string gp = "set terminal " + terminal + "\nset output " + gp_string(tmp_png) + "\n";
    gp += "set datafile missing 'NaN'\nset grid\nset xlabel 'epoch'\nset ylabel 'accuracy'\n";
    gp += std::string(yrange) + "set key bottom right opaque box font ',10'\n";
    gp += "set style fill transparent solid " + std::to_string(kPanelBandOpacity) + " noborder\n";
    gp += "set multiplot layout " + std::to_string(rows) + "," + std::to_string(cols) + " title " +
          gp_string(tag +
                    ": accuracy per setting, zoomed (validation: band min-max across seeds and "
                    "mean; training: dashed mean)") +
          "\n";
    for (std::size_t i = 0; i < n; ++i) {
        gp += "set title " + gp_string(settings[i].name) + "\n";
        if (!has_points(bands[i])) {
            gp +=
                "set label 1 'no epoch finished' at graph 0.5,0.5 center\nplot NaN notitle\n"
                "unset label 1\n";
            continue;
        }
        const std::string colour = gp_string(kColours[i % kNumColours]);
        const std::string src = gp_string(dat) + " index " + std::to_string(i);
        // Columns: 1 epoch, 2 runs, then mean/min/max per metric (train accuracy 6, val 12).
        gp += "plot " + src + " using 1:13:14 with filledcurves lc rgb " + colour +
              " notitle, \\\n  " + src + " using 1:12 with lines lw 2 lc rgb " + colour +
              " title 'validation', \\\n  " + src + " using 1:6 with lines lw 1.5 dt 2 lc rgb " +
              colour + " title 'training'\n";
    }
    gp += "unset multiplot\nset output\n";
    run_gnuplot(gnuplot, gp, tmp_gp, tmp_png, png);
}

}  // namespace

std::vector<CurveBand> curve_bands(std::size_t n_settings, const std::vector<SweepRun>& runs) {
    std::vector<CurveBand> bands(n_settings);
    for (std::size_t s = 0; s < n_settings; ++s) {
        std::size_t longest = 0;
        for (const SweepRun& r : runs)
            if (r.setting == s) longest = std::max(longest, r.outcome.history.size());
        CurveBand& b = bands[s];
        for (std::size_t e = 0; e < longest; ++e) {
            double sum[4] = {0, 0, 0, 0}, lo[4], hi[4];
            std::size_t cnt[4] = {0, 0, 0, 0}, n = 0;
            for (int m = 0; m < 4; ++m) {
                lo[m] = std::numeric_limits<double>::infinity();
                hi[m] = -lo[m];
            }
            for (const SweepRun& r : runs) {
                if (r.setting != s || e >= r.outcome.history.size()) continue;
                const EpochRecord& rec = r.outcome.history[e];
                const double v[4] = {rec.train_loss, rec.train_accuracy, rec.val_loss,
                                     rec.val_accuracy};
                ++n;
                for (int m = 0; m < 4; ++m) {
                    if (!std::isfinite(v[m])) continue;
                    sum[m] += v[m];
                    ++cnt[m];
                    lo[m] = std::min(lo[m], v[m]);
                    hi[m] = std::max(hi[m], v[m]);
                }
            }
            b.epoch.push_back(e + 1);
            b.runs.push_back(n);
            for (int m = 0; m < 4; ++m) {
                const double nan = std::numeric_limits<double>::quiet_NaN();
                b.mean[m].push_back(cnt[m] ? sum[m] / double(cnt[m]) : nan);
                b.min[m].push_back(cnt[m] ? lo[m] : nan);
                b.max[m].push_back(cnt[m] ? hi[m] : nan);
            }
        }
    }
    return bands;
}

std::string curves_dat(const std::vector<SweepSetting>& settings,
                       const std::vector<CurveBand>& bands) {
    std::string s =
        "# learning curves: mean, min and max over the seeds of each setting, one block per "
        "setting\n"
        "# epoch runs";
    for (const char* m : {"train_loss", "train_accuracy", "val_loss", "val_accuracy"})
        s += std::string(" ") + m + "_mean " + m + "_min " + m + "_max";
    s += "\n";
    char buf[64];
    auto cell = [&](double v) {
        if (!std::isfinite(v)) return std::string(" NaN");
        std::snprintf(buf, sizeof buf, " %.7g", v);
        return std::string(buf);
    };
    for (std::size_t i = 0; i < bands.size(); ++i) {
        if (i) s += "\n\n";
        s += "# setting " + std::to_string(i) + ": " + settings[i].name + "\n";
        const CurveBand& b = bands[i];
        for (std::size_t e = 0; e < b.epoch.size(); ++e) {
            s += std::to_string(b.epoch[e]) + " " + std::to_string(b.runs[e]);
            for (int m = 0; m < 4; ++m)
                s += cell(b.mean[m][e]) + cell(b.min[m][e]) + cell(b.max[m][e]);
            s += "\n";
        }
    }
    return s;
}

std::string find_gnuplot() {
    const char* path = std::getenv("PATH");
    if (!path) return "";
    std::string p = path;
    std::size_t pos = 0;
    while (pos <= p.size()) {
        std::size_t end = p.find(':', pos);
        if (end == std::string::npos) end = p.size();
        std::string dir = p.substr(pos, end - pos);
        if (!dir.empty()) {
            std::string candidate = dir + "/gnuplot";
            if (access(candidate.c_str(), X_OK) == 0) return candidate;
        }
        pos = end + 1;
    }
    return "";
}

std::string gnuplot_quote(const std::string& s) {
    return gp_string(s);
}

void draw_png(const std::string& png, int width, int height, const std::string& script) {
    namespace fs = std::filesystem;
    const std::string gnuplot = find_gnuplot();
    if (gnuplot.empty())
        throw std::runtime_error(
            "the report's plots need gnuplot, which is not on PATH: run scripts/install-deps.sh");
    std::string out;
    const bool cairo = run_command(shell_quote(gnuplot) + " -e 'set terminal pngcairo'", out) == 0;
    const std::string size = std::to_string(width) + "," + std::to_string(height);
    const std::string terminal = cairo ? "pngcairo size " + size + " font 'Sans,11' linewidth 1.5"
                                       : "png size " + size + " font 'Sans,11'";
    const fs::path p(png);
    const std::string pid = std::to_string(getpid());
    const std::string stem = p.filename().string();
    const std::string tmp_png = (p.parent_path() / ("." + stem + "." + pid + ".tmp")).string();
    const std::string tmp_gp = (p.parent_path() / ("." + stem + ".gp." + pid + ".tmp")).string();
    run_gnuplot(gnuplot,
                "set terminal " + terminal + "\nset output " + gp_string(tmp_png) + "\n" + script +
                    "\nset output\n",
                tmp_gp, tmp_png, png);
}

void plot_curves(const std::string& dir, const std::string& tag,
                 const std::vector<SweepSetting>& settings, const std::vector<CurveBand>& bands) {
    const std::string gnuplot = find_gnuplot();
    if (gnuplot.empty())
        throw std::runtime_error(
            "the report's plots need gnuplot, which is not on PATH: run scripts/install-deps.sh "
            "(it installs Debian's gnuplot-nox), or sweep without --report");
    namespace fs = std::filesystem;
    const std::string dat = (fs::path(dir) / (tag + "-curves.dat")).string();
    write_file_atomic(dat, curves_dat(settings, bands));

    std::string out;
    const bool cairo = run_command(shell_quote(gnuplot) + " -e 'set terminal pngcairo'", out) == 0;
    const std::string terminal = cairo ? "pngcairo size 1400,560 font 'Sans,11' linewidth 1.5"
                                       : "png size 1400,560 font 'Sans,11'";

    // The loss axis: the range of every plotted value, clamped to [kLossFloor, kLossCeiling].
    double lo = kLossCeiling, hi = kLossFloor;
    for (const CurveBand& b : bands)
        for (int m : {0, 2})
            for (std::size_t e = 0; e < b.epoch.size(); ++e)
                for (double v : {b.min[m][e], b.max[m][e]})
                    if (std::isfinite(v)) {
                        lo = std::min(lo, std::max(v, kLossFloor));
                        hi = std::max(hi, std::min(v, kLossCeiling));
                    }
    if (lo >= hi) {
        lo = 0.01;
        hi = 10;
    }
    char range[128];
    std::snprintf(range, sizeof range, "set yrange [%g:%g]\n", lo / 1.5,
                  std::min(hi * 1.5, kLossCeiling));

    const std::string pid = std::to_string(getpid());
    const std::string kinds[2] = {"loss", "accuracy"};
    for (int k = 0; k < 2; ++k) {
        const std::string png = (fs::path(dir) / (tag + "-" + kinds[k] + ".png")).string();
        const std::string tmp_png =
            (fs::path(dir) / ("." + tag + "-" + kinds[k] + ".png." + pid + ".tmp")).string();
        const std::string tmp_gp =
            (fs::path(dir) / ("." + tag + "-" + kinds[k] + ".gp." + pid + ".tmp")).string();
        std::string gp = "set terminal " + terminal + "\nset output " + gp_string(tmp_png) + "\n";
        gp += "set datafile missing 'NaN'\nset grid\nset xlabel 'epoch'\n";
        // Accuracy curves crowd the top of the panel, loss curves the bottom: the key goes where
        // they are not.
        gp += std::string("set key ") + (k == 0 ? "top" : "bottom") +
              " right opaque box font ',10'\n";
        gp += "set style fill transparent solid " + std::to_string(kBandOpacity) + " noborder\n";
        gp += k == 0 ? "set logscale y\nset format y '%g'\n" + std::string(range)
                     : "set yrange [0:1.02]\n";
        gp += "set multiplot layout 1,2 title " +
              gp_string(tag + ": " + kinds[k] +
                        ", mean over seeds (line) and min-max across seeds (band)") +
              "\n";
        for (int part = 0; part < 2; ++part) {
            const int m = part * 2 + k;  // train then validation
            gp += "set title " + gp_string(kMetricTitles[m]) + "\nset ylabel " +
                  gp_string(k == 0 ? "cross-entropy (log scale)" : "accuracy") + "\n";
            std::string plot;
            for (std::size_t i = 0; i < bands.size(); ++i) {
                if (!has_points(bands[i])) continue;
                const std::string colour = gp_string(kColours[i % kNumColours]);
                const int col = 3 + m * 3;  // mean column (1-based): epoch, runs, then 3 per metric
                auto clamp = [&](int c) {
                    if (k != 0) return std::to_string(c);
                    char b[160];
                    std::snprintf(b, sizeof b,
                                  "(column(%d) < %g ? %g : column(%d) > %g ? %g : column(%d))", c,
                                  kLossFloor, kLossFloor, c, kLossCeiling, kLossCeiling, c);
                    return std::string(b);
                };
                if (!plot.empty()) plot += ", \\\n  ";
                plot +=
                    gp_string(dat) + " index " + std::to_string(i) + " using 1:" + clamp(col + 1) +
                    ":" + clamp(col + 2) + " with filledcurves lc rgb " + colour + " notitle, " +
                    gp_string(dat) + " index " + std::to_string(i) + " using 1:" + clamp(col) +
                    " with lines lw 2 lc rgb " + colour + " title " + gp_string(settings[i].name);
            }
            if (plot.empty()) {
                gp +=
                    "set label 1 'no epoch finished' at graph 0.5,0.5 center\nplot NaN "
                    "notitle\nunset label 1\n";
            } else {
                gp += "plot " + plot + "\n";
            }
        }
        gp += "unset multiplot\nset output\n";
        run_gnuplot(gnuplot, gp, tmp_gp, tmp_png, png);
    }
    plot_accuracy_panels(gnuplot, cairo, dir, tag, dat, settings, bands);
}

}  // namespace ffnn::app
