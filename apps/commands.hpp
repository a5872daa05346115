// The subcommands of the ffnn app. Each add_* function registers its flags on a CLI11
// subcommand and returns the function that runs it (exit code 0 on success).
#pragma once

#include <CLI/CLI.hpp>
#include <charconv>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "ffnn/train/trainer.hpp"

namespace ffnn::app {

using Command = std::function<int()>;

Command add_train(CLI::App& cmd);
Command add_eval(CLI::App& cmd);
Command add_predict(CLI::App& cmd);
Command add_gradcheck(CLI::App& cmd);
Command add_sweep(CLI::App& cmd);
Command add_explain(CLI::App& cmd);

// The flags of `ffnn train` bound to the fields of `config` (sweep reuses them; with
// for_sweep, --hidden, --lr and --seed are left out: the sweep takes lists of them).
void add_train_flags(CLI::App& cmd, TrainConfig& config, bool for_sweep = false);
// The CSV dialect flags (--delimiter, --comment, --ignore-columns, --id-column), bound to
// the fields of the same names; train, sweep, eval and predict share them.
void add_csv_flags(CLI::App& cmd, char& delimiter, char& comment,
                   std::vector<std::string>& ignore_columns, std::string& id_column);
// The flag that sets a configuration field: "optimizer.lr" -> "--lr" (ConfigError::field).
std::string flag_of_field(const std::string& field);

// The check of every flag of an unsigned integer type (counts, sizes, seeds): digits only,
// at most 2^64 - 1. Without it CLI11 reads "-1" as 2^64 - 1 (--epochs -1 then trained
// "forever" and crashed on the epoch-line arithmetic) and saturates larger numbers.
inline CLI::Validator count_check() {
    return CLI::Validator(
        [](std::string& text) -> std::string {
            std::uint64_t v = 0;
            const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
            if (text.empty() || ec != std::errc() || end != text.data() + text.size())
                return "expected a whole number from 0 to 18446744073709551615, got '" + text + "'";
            return "";
        },
        "COUNT");
}
// "runs/<name>-<YYYYmmdd-HHMMSS>" in local time.
std::string default_run_dir(const std::string& name);

}  // namespace ffnn::app
