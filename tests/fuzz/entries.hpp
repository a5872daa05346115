// The entry points the fuzz targets and the corpus replay test share: each takes the bytes
// of one input, hands them to a reader of the library exactly as the program would, and
// returns normally or throws the reader's std::exception. Anything else (a crash, a
// sanitizer report, a broken invariant, which calls std::abort) is a finding.
//
//   csv          parse_csv with the option sets the program uses (train without and with
//                --label, eval, predict)
//   idx          parse_idx on the bytes as they are, and on the bytes gzip-compressed
//   safetensors  parse_safetensors, the dtype conversions, and a write/read round trip
//   checkpoint   parse_checkpoint (the model is built) and one forward pass
//   training_checkpoint  parse_run_checkpoint, then the model its configuration builds and
//                restore_training_state (weights, optimiser state, best weights)
//   json_config  json_config_arguments against the real `ffnn train` flags, then CLI11's parse
#pragma once

#include <string_view>

namespace ffnn_fuzz {

void run_csv(std::string_view bytes);
void run_idx(std::string_view bytes);
void run_safetensors(std::string_view bytes);
void run_checkpoint(std::string_view bytes);
void run_training_checkpoint(std::string_view bytes);
void run_json_config(std::string_view bytes);

struct Target {
    const char* name;  // also the corpus folder tests/fuzz/corpus/<name>/
    void (*run)(std::string_view);
};
inline constexpr Target kTargets[] = {{"csv", run_csv},
                                      {"idx", run_idx},
                                      {"safetensors", run_safetensors},
                                      {"checkpoint", run_checkpoint},
                                      {"training_checkpoint", run_training_checkpoint},
                                      {"json_config", run_json_config}};

}  // namespace ffnn_fuzz
