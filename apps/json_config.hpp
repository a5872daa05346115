// `--config FILE.json` for every subcommand of the ffnn app.
//
// The JSON file is one object whose keys are the subcommand's long flag names without the
// dashes ("hidden", "lr", "batch-size"; "batch_size" is accepted too). Its values become
// command-line arguments placed BEFORE the real ones, so a flag given on the command line
// overrides the file (every option takes the last value given). Values: a number or string
// is passed as is, an array is joined with commas ("hidden": [64, 32] is --hidden 64,32),
// true switches a flag on, and false switches it off: the flag's --no- form when it has one
// ("standardize": false is --no-standardize), else the flag is left out.
//
// Errors name the file and the key: an unreadable file, invalid JSON, a key that is not a
// flag of the subcommand, or a value of the wrong kind.
#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace ffnn::app {

// A JSON number or string as the text of one command-line argument (integers without a
// decimal point, other numbers with 17 significant digits so they read back exactly).
// Anything else throws std::runtime_error: "<where>: expected a number or a string, got ...".
std::string json_argument_text(const nlohmann::json& value, const std::string& where);

// The arguments the JSON text of one config file stands for, checked against the flags of
// `sub`; `file` names the file in messages. (expand_json_config reads each file and calls
// this; the fuzzer calls it on its bytes.)
std::vector<std::string> json_config_arguments(std::string_view text, const std::string& file,
                                               CLI::App& sub);

// When argv[1] is the subcommand `sub`, returns argv with the contents of every
// `--config FILE` (or --config=FILE) expanded in place of the config flag, ahead of the other
// flags. argv[0] and the subcommand name stay first.
std::vector<std::string> expand_json_config(const std::vector<std::string>& args, CLI::App& sub);

}  // namespace ffnn::app
