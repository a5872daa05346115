// What a network learned, drawn: the decision regions of networks trained on two features.
//
// For each chosen setting, the same training as the sweep's (its configuration, one seed),
// but on two named feature columns only (for Iris: petal length and petal width), so that the
// whole input space is a plane. The trained network then classifies every point of a grid
// over the range of the data, and gnuplot draws the classes as coloured regions with the
// training examples on top:
//   <tag>-regions.png   one panel per setting
//   <tag>-regions.dat   per setting the grid of predicted classes (a matrix) and the training
//                       points (x, y, label), in the data's raw units
// The two-feature data set is split, standardised and batched exactly as prepare_data does it
// for the full one (a temporary CSV of the two columns and the label goes through it), so the
// split is the one the sweep's run of the same seed used.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ffnn/train/sweep.hpp"

namespace ffnn::app {

struct RegionPanel {
    std::string setting;  // the setting's name
    std::string hidden;   // "16"
    double test_accuracy = 0;
    std::size_t test_correct = 0, test_n = 0;
    bool diverged = false;
};

// Trains settings[i] for each i in `which` on the columns `features` (exactly two) with `seed`,
// writes <dir>/<tag>-regions.dat and <dir>/<tag>-regions.png, and returns each panel's test
// result. Throws std::runtime_error when gnuplot fails, std::invalid_argument when a feature is
// not a column of the data.
std::vector<RegionPanel> plot_regions(const std::string& dir, const std::string& tag,
                                      const std::vector<SweepSetting>& settings,
                                      const std::vector<std::size_t>& which,
                                      const std::vector<std::string>& features, std::uint64_t seed);

}  // namespace ffnn::app
