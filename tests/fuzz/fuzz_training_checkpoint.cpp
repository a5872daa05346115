// libFuzzer target: the training checkpoint reader: model part, training state, restore.
// Built with -DFFNN_FUZZ=ON (preset fuzz, clang); run by scripts/fuzz.sh. See entries.hpp.
#include <cstddef>
#include <cstdint>
#include <exception>
#include <string_view>

#include "entries.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    try {
        ffnn_fuzz::run_training_checkpoint(
            std::string_view(reinterpret_cast<const char*>(data), size));
    } catch (const std::exception&) {
        // The reader rejected the input with a message: the expected outcome.
    }
    return 0;
}
