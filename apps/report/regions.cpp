// Decision regions of networks trained on two features; see regions.hpp.
#include "report/regions.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <stdexcept>

#include "ffnn/io/atomic_file.hpp"
#include "ffnn/io/csv.hpp"
#include "report/plots.hpp"

namespace ffnn::app {

namespace {

// Grid points per axis: 160 x 160 = 25,600 predictions per panel, fine enough that the
// boundaries look straight where they are.
constexpr std::size_t kGrid = 160;
// Margin around the data's range, as a fraction of the range.
constexpr double kMargin = 0.08;

// Region colours: light tints of the curve palette (plots.cpp), one per class; the training
// points are drawn in the full colour of their class.
const char* const kRegionColours[] = {"#BFDCEF", "#F5D0B5", "#BFE8DC", "#F1DCE8",
                                      "#F8E3B3", "#D4ECF9", "#FAF5C6", "#D9D9D9"};
const char* const kPointColours[] = {"#0072B2", "#D55E00", "#009E73", "#CC79A7",
                                     "#E69F00", "#56B4E9", "#F0E442", "#000000"};
constexpr std::size_t kNumColours = sizeof kRegionColours / sizeof kRegionColours[0];

std::string num(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.9g", v);
    return buf;
}

// The two columns `features` of the setting's CSV and its labels, as a CSV text whose label
// column is named "label".
std::string two_column_csv(const Dataset& all, std::size_t a, std::size_t b,
                           const std::vector<std::string>& features) {
    std::string s = features[0] + "," + features[1] + ",label\n";
    for (std::size_t r = 0; r < all.size(); ++r)
        s += num(all.X(r, a)) + "," + num(all.X(r, b)) + "," +
             all.class_names[static_cast<std::size_t>(all.labels[r])] + "\n";
    return s;
}

std::size_t column_of(const Dataset& all, const std::string& name) {
    for (std::size_t j = 0; j < all.feature_names.size(); ++j)
        if (all.feature_names[j] == name) return j;
    std::string valid;
    for (const auto& f : all.feature_names) valid += (valid.empty() ? "" : ", ") + f;
    throw std::invalid_argument("--report-regions: no feature column '" + name + "' in " +
                                all.source + " (columns: " + valid + ")");
}

}  // namespace

std::vector<RegionPanel> plot_regions(const std::string& dir, const std::string& tag,
                                      const std::vector<SweepSetting>& settings,
                                      const std::vector<std::size_t>& which,
                                      const std::vector<std::string>& features,
                                      std::uint64_t seed) {
    namespace fs = std::filesystem;
    if (features.size() != 2)
        throw std::invalid_argument("--report-regions: expected two feature names, got " +
                                    std::to_string(features.size()));
    if (which.empty()) throw std::invalid_argument("plot_regions: no setting to draw");
    const TrainConfig& base = settings.at(which.front()).config;
    if (base.data.csv.empty() && base.data.dataset == NamedDataset::FashionMnist)
        throw std::invalid_argument("--report-regions needs CSV data (iris, digits or --data)");
    const std::string path = base.data.csv.empty()
                                 ? shipped_data_path(to_string(base.data.dataset) + ".csv")
                                 : base.data.csv;
    CsvOptions opts;
    opts.label_column = base.data.label;
    const Dataset all = read_csv(path, opts);
    const std::size_t a = column_of(all, features[0]), b = column_of(all, features[1]);
    const std::size_t K = all.num_classes();

    // The raw range of the two columns, with a margin: the plotted window.
    double lo[2] = {INFINITY, INFINITY}, hi[2] = {-INFINITY, -INFINITY};
    for (std::size_t r = 0; r < all.size(); ++r)
        for (int d = 0; d < 2; ++d) {
            const double v = all.X(r, d == 0 ? a : b);
            lo[d] = std::min(lo[d], v);
            hi[d] = std::max(hi[d], v);
        }
    for (int d = 0; d < 2; ++d) {
        const double m = kMargin * std::max(hi[d] - lo[d], 1e-6);
        lo[d] -= m;
        hi[d] += m;
    }

    // The two-column data set goes through prepare_data as a CSV file, so that the split,
    // the standardisation and the batches are those of `ffnn train --data`.
    const fs::path csv = fs::temp_directory_path() /
                         ("ffnn-regions-" + std::to_string(getpid()) + "-" + tag + ".csv");
    write_file_atomic(csv.string(), two_column_csv(all, a, b, features));

    // Grid points in raw units, row-major with x outer (gnuplot's scan order for `image`).
    Tensor<float> grid_raw = Tensor<float>::empty(Shape{kGrid * kGrid, 2});
    for (std::size_t i = 0; i < kGrid; ++i)
        for (std::size_t j = 0; j < kGrid; ++j) {
            grid_raw(i * kGrid + j, 0) =
                static_cast<float>(lo[0] + (hi[0] - lo[0]) * double(i) / double(kGrid - 1));
            grid_raw(i * kGrid + j, 1) =
                static_cast<float>(lo[1] + (hi[1] - lo[1]) * double(j) / double(kGrid - 1));
        }

    std::vector<RegionPanel> panels;
    const double dx = (hi[0] - lo[0]) / double(kGrid - 1), dy = (hi[1] - lo[1]) / double(kGrid - 1);
    std::string dat = "# decision regions on " + features[0] + " and " + features[1] +
                      " (raw units); per setting two blocks: the predicted class on a " +
                      std::to_string(kGrid) + " x " + std::to_string(kGrid) +
                      " grid as a matrix (row j: " + features[1] + " = " + num(lo[1]) + " + j * " +
                      num(dy) + "; column i: " + features[0] + " = " + num(lo[0]) + " + i * " +
                      num(dx) + "), then the training points (x y label)\n";
    try {
        for (std::size_t p = 0; p < which.size(); ++p) {
            const SweepSetting& st = settings.at(which[p]);
            TrainConfig c = st.config;
            c.data.csv = csv.string();
            c.data.label = "label";
            c.seed = seed;
            PreparedData data = prepare_data(c);
            Model<float> model = build_model(c, 2, data.train.num_classes());
            TrainOutcome out = fit(model, data, c);
            RegionPanel panel;
            panel.setting = st.name;
            panel.hidden = hidden_label(st.config.model.hidden);
            panel.diverged = out.diverged;
            panel.test_accuracy = out.test.accuracy;
            panel.test_correct = out.test.correct;
            panel.test_n = out.test.n;
            panels.push_back(panel);

            Tensor<float> grid = grid_raw.clone();
            if (data.standardizer.fitted()) data.standardizer.transform(grid);
            const std::vector<int> cls = model.predict(grid);
            if (p) dat += "\n\n";
            dat += "# " + st.name + ": grid\n";
            // Row j is y = lo[1] + j dy, column i is x = lo[0] + i dx (gnuplot's `matrix`).
            for (std::size_t j = 0; j < kGrid; ++j) {
                for (std::size_t i = 0; i < kGrid; ++i) {
                    if (i) dat += ' ';
                    dat += std::to_string(cls[i * kGrid + j]);
                }
                dat += "\n";
            }
            Tensor<float> pts = data.train.X.clone();
            if (data.standardizer.fitted()) data.standardizer.inverse_transform(pts);
            dat += "\n\n# " + st.name + ": training points\n";
            for (std::size_t r = 0; r < pts.dim(0); ++r)
                dat += num(pts(r, 0)) + " " + num(pts(r, 1)) + " " +
                       std::to_string(data.train.labels[r]) + "\n";
        }
    } catch (...) {
        fs::remove(csv);
        throw;
    }
    fs::remove(csv);

    const std::string dat_path = (fs::path(dir) / (tag + "-regions.dat")).string();
    write_file_atomic(dat_path, dat);

    // Column names such as petal_length are text, not subscripts.
    std::string gp = "set termoption noenhanced\nset multiplot layout 1," +
                     std::to_string(which.size()) + " title " +
                     gnuplot_quote(tag + ": decision regions of networks trained on " +
                                   features[0] + " and " + features[1] + " only (seed " +
                                   std::to_string(seed) + "); points: the training examples") +
                     "\n";
    gp += "set xlabel " + gnuplot_quote(features[0]) + "\nset ylabel " +
          gnuplot_quote(features[1]) + "\n";
    gp += "set xrange [" + num(lo[0]) + ":" + num(hi[0]) + "]\nset yrange [" + num(lo[1]) + ":" +
          num(hi[1]) + "]\n";
    gp += "unset colorbox\nset cbrange [-0.5:" + num(double(K) - 0.5) +
          "]\nset palette maxcolors " + std::to_string(K) + "\nset palette defined (";
    for (std::size_t k = 0; k < K; ++k)
        gp += (k ? ", " : "") + std::to_string(k) + " " +
              gnuplot_quote(kRegionColours[k % kNumColours]);
    gp += ")\nset key top left opaque box font ',10'\n";
    for (std::size_t p = 0; p < which.size(); ++p) {
        const RegionPanel& pn = panels[p];
        char title[160];
        std::snprintf(title, sizeof title, "%s (%s hidden): test accuracy %.3f (%zu of %zu)",
                      pn.setting.c_str(), pn.hidden.c_str(), pn.test_accuracy, pn.test_correct,
                      pn.test_n);
        gp += "set title " + gnuplot_quote(title) + "\n";
        const std::string src = gnuplot_quote(dat_path);
        gp += "plot " + src + " index " + std::to_string(2 * p) + " matrix using (" + num(lo[0]) +
              " + $1 * " + num(dx) + "):(" + num(lo[1]) + " + $2 * " + num(dy) +
              "):3 with image notitle";
        for (std::size_t k = 0; k < K; ++k)
            gp += ", \\\n  " + src + " index " + std::to_string(2 * p + 1) +
                  " using 1:($3 == " + std::to_string(k) +
                  " ? $2 : 1/0) with points pt 7 ps 0.9 lc rgb " +
                  gnuplot_quote(kPointColours[k % kNumColours]) + " title " +
                  gnuplot_quote(all.class_names[k]);
        gp += "\n";
    }
    gp += "unset multiplot\n";
    draw_png((fs::path(dir) / (tag + "-regions.png")).string(),
             static_cast<int>(40 + 620 * which.size()), 600, gp);
    return panels;
}

}  // namespace ffnn::app
