// ConfigError: a configuration value outside its range, found where the value is defined.
//
// Every configuration struct of the library (ModelSpec, OptimizerConfig, ScheduleConfig,
// DataConfig, TrainConfig) validates each of its values once, in its validate(), and throws
// ConfigError whose what() names the field in the library's terms ("lr must be positive and
// finite, got -1") and whose field() is the field's path ("optimizer.lr"), so that an
// application can say it in its own terms (the CLI names its flag: "--lr").
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace ffnn {

class ConfigError : public std::invalid_argument {
  public:
    ConfigError(std::string field, const std::string& message)
        : std::invalid_argument(message), field_(std::move(field)) {}
    // The field's path: "<section>.<name>" ("optimizer.lr", "data.val_split").
    const std::string& field() const noexcept { return field_; }

  private:
    std::string field_;
};

// Throws ConfigError(section.name, "<name> must be <rule>, got <value>") unless ok.
void require_config(bool ok, std::string_view section, std::string_view name, std::string_view rule,
                    double value);

}  // namespace ffnn
