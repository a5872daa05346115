// Learning-rate schedules (see schedule.hpp for the formulas).
#include "ffnn/nn/schedule.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <stdexcept>

#include "ffnn/nn/config_error.hpp"

namespace ffnn {

void ScheduleConfig::validate() const {
    const char* s = "schedule";
    // step_size counts epochs, and only the step schedule uses it.
    if (kind == ScheduleKind::Step)
        require_config(step_size > 0, s, "step_size", "a positive number of epochs",
                       double(step_size));
    require_config(gamma > 0 && std::isfinite(gamma), s, "gamma", "positive and finite", gamma);
    require_config(min_lr >= 0 && std::isfinite(min_lr), s, "min_lr", "non-negative and finite",
                   min_lr);
}

LrSchedule::LrSchedule(const ScheduleConfig& config, double base_lr)
    : config_(config), base_lr_(base_lr) {
    config.validate();
    require_config(std::isfinite(base_lr) && base_lr > 0, "optimizer", "lr", "positive and finite",
                   base_lr);
    if (config.kind == ScheduleKind::Cosine)
        require_config(config.t_max > 0, "schedule", "t_max", "positive for cosine",
                       double(config.t_max));
}

double LrSchedule::lr(std::size_t t) const {
    const ScheduleConfig& c = config_;
    switch (c.kind) {
        case ScheduleKind::Constant:
            return base_lr_;
        case ScheduleKind::Step:
            // Whole steps: the division is meant to truncate.
            // NOLINTNEXTLINE(bugprone-integer-division)
            return base_lr_ * std::pow(c.gamma, static_cast<double>(t / c.step_size));
        case ScheduleKind::Exponential:
            return base_lr_ * std::pow(c.gamma, static_cast<double>(t));
        case ScheduleKind::Cosine: {
            const double frac =
                static_cast<double>(std::min(t, c.t_max)) / static_cast<double>(c.t_max);
            return c.min_lr +
                   (base_lr_ - c.min_lr) * 0.5 * (1.0 + std::cos(std::numbers::pi * frac));
        }
    }
    return base_lr_;
}

}  // namespace ffnn
