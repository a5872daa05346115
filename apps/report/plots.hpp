// Learning-curve plots of a sweep, drawn by gnuplot.
//
// For each setting and epoch: the mean over the seeds of the training and validation loss and
// accuracy, and the min-max band across seeds. A run that diverged contributes the epochs it
// finished; the curves of a setting end where its last run ends. Two images per sweep:
//   <tag>-loss.png      training | validation cross-entropy (log scale), one curve per setting
//   <tag>-accuracy.png  training | validation accuracy
//   <tag>-accuracy-zoom.png  one panel per setting: its validation band and mean and its
//                       training mean, on one accuracy axis that starts near the lowest curve
// and the data behind them, <tag>-curves.dat (one block per setting, for gnuplot's `index`).
//
// gnuplot must be on PATH (Debian: gnuplot-nox, installed by scripts/install-deps.sh); the
// pngcairo terminal is used when present, else png. Every file is written atomically.
#pragma once

#include <string>
#include <vector>

#include "ffnn/train/sweep.hpp"
#include "sweep_grid.hpp"

namespace ffnn::app {

// Per-epoch statistics of one setting. Metric m: 0 train loss, 1 train accuracy, 2 validation
// loss, 3 validation accuracy.
struct CurveBand {
    std::vector<std::size_t> epoch;
    std::vector<std::size_t> runs;  // runs that reached this epoch
    std::vector<double> mean[4], min[4], max[4];
};

std::vector<CurveBand> curve_bands(std::size_t n_settings, const std::vector<SweepRun>& runs);

// The gnuplot data file: a comment naming the columns, then one block per setting separated by
// two blank lines (a setting with no finished epoch has a single comment line in its block).
std::string curves_dat(const std::vector<SweepSetting>& settings,
                       const std::vector<CurveBand>& bands);

// The full path of gnuplot, or "" when it is not on PATH.
std::string find_gnuplot();

// Writes <dir>/<tag>-curves.dat and the three images above. Throws
// std::runtime_error when gnuplot is missing (telling to run scripts/install-deps.sh) or fails.
void plot_curves(const std::string& dir, const std::string& tag,
                 const std::vector<SweepSetting>& settings, const std::vector<CurveBand>& bands);

// A string literal for a gnuplot script ("..." with quotes and backslashes escaped).
std::string gnuplot_quote(const std::string& s);

// Draws the image `png` (width x height pixels) with gnuplot: sets the terminal (pngcairo when
// present, else png) and the output, runs `script`, and writes the image atomically. Throws
// std::runtime_error when gnuplot is missing or fails, with its output.
void draw_png(const std::string& png, int width, int height, const std::string& script);

}  // namespace ffnn::app
