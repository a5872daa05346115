// The subcommands of the ffnn app. Each add_* function registers its flags on a CLI11
// subcommand and returns the function that runs it (exit code 0 on success).
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>

#include "ffnn/train/trainer.hpp"

namespace ffnn::app {

using Command = std::function<int()>;

Command add_train(CLI::App& app);
Command add_eval(CLI::App& app);
Command add_predict(CLI::App& app);
Command add_gradcheck(CLI::App& app);
Command add_sweep(CLI::App& app);

// The flags of `ffnn train` bound to `config` (sweep reuses them; it takes lists for some).
// `hidden_text` receives --hidden unparsed.
void add_train_flags(CLI::App& cmd, TrainConfig& config, std::string& hidden_text,
                     bool for_sweep = false);

// "runs/<name>-<YYYYmmdd-HHMMSS>" in local time.
std::string default_run_dir(const std::string& name);

}  // namespace ffnn::app
