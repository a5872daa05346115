// The settings of a sweep: which training configurations `ffnn sweep` runs (each over seeds).
//
// A setting is a full TrainConfig (every flag of `ffnn train`, the seed aside) and a name
// that is safe as a directory name. Three sources:
//   grid_from_lists     --lr 0.01,0.1 --hidden 4,16,64x32: the cross product, lr-major.
//                       A comma separates alternatives; "64x32" is one deeper network.
//   settings_from_json  --settings FILE.json: an array of objects, each overriding any
//                       `ffnn train` flag of the sweep's base configuration, for example
//                       [{"lr": 0.1, "hidden": "16"}, {"name": "deep", "hidden": [64, 32]}].
//                       Keys are long flag names ("batch-size" or "batch_size"); "hidden"
//                       takes "64x32", "64,32", 64 or [64, 32] (one network each); extra keys
//                       "name" (the setting's name) and "why" (a sentence for the report).
//                       Errors name the file, the entry (0-based) and the key.
//   default_settings    the built-in grid of five settings per data set (see the .cpp for
//                       the measurements behind each choice), used when no grid is given.
#pragma once

#include <string>
#include <vector>

#include "ffnn/train/sweep.hpp"

namespace ffnn::app {

// The cross product of learning rates and hidden-layer alternatives over `base`.
std::vector<SweepSetting> grid_from_lists(const TrainConfig& base, const std::vector<double>& lrs,
                                          const std::vector<std::string>& hiddens);

// Parses `json_text` (the content of `source`, used in error messages) into settings over
// `base`. Throws std::runtime_error naming source, entry and key.
std::vector<SweepSetting> settings_from_json(const std::string& json_text,
                                             const std::string& source, const TrainConfig& base);
std::vector<SweepSetting> settings_from_file(const std::string& path, const TrainConfig& base);

// The built-in five settings for base's data set (digits and fashion-mnist share one grid,
// Iris and any CSV file the other).
std::vector<SweepSetting> default_settings(const TrainConfig& base);

}  // namespace ffnn::app
