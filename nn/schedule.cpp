// Learning-rate schedules (see schedule.hpp for the formulas).
#include "ffnn/nn/schedule.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <numbers>
#include <stdexcept>

namespace ffnn {

const std::vector<std::string>& schedule_names() {
    static const std::vector<std::string> names = {"constant", "step", "exponential", "cosine"};
    return names;
}

ScheduleKind parse_schedule(std::string_view name) {
    std::string s(name);
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (s == "constant") return ScheduleKind::Constant;
    if (s == "step") return ScheduleKind::Step;
    if (s == "exponential" || s == "exp") return ScheduleKind::Exponential;
    if (s == "cosine") return ScheduleKind::Cosine;
    throw std::invalid_argument("unknown schedule '" + std::string(name) +
                                "'; valid: constant, step, exponential, cosine");
}

std::string to_string(ScheduleKind kind) {
    switch (kind) {
        case ScheduleKind::Constant:
            return "constant";
        case ScheduleKind::Step:
            return "step";
        case ScheduleKind::Exponential:
            return "exponential";
        case ScheduleKind::Cosine:
            return "cosine";
    }
    return "?";
}

LrSchedule::LrSchedule(const ScheduleConfig& config, double base_lr)
    : config_(config), base_lr_(base_lr) {
    if (!std::isfinite(base_lr) || base_lr < 0)
        throw std::invalid_argument("schedule: base lr must be non-negative, got " +
                                    std::to_string(base_lr));
    if (config.kind == ScheduleKind::Step && config.step_size == 0)
        throw std::invalid_argument("schedule step: step_size must be positive");
    if ((config.kind == ScheduleKind::Step || config.kind == ScheduleKind::Exponential) &&
        !(config.gamma > 0 && std::isfinite(config.gamma)))
        throw std::invalid_argument("schedule " + to_string(config.kind) +
                                    ": gamma must be positive, got " +
                                    std::to_string(config.gamma));
    if (config.kind == ScheduleKind::Cosine && config.t_max == 0)
        throw std::invalid_argument("schedule cosine: t_max must be positive");
}

double LrSchedule::lr(std::size_t t) const {
    const ScheduleConfig& c = config_;
    switch (c.kind) {
        case ScheduleKind::Constant:
            return base_lr_;
        case ScheduleKind::Step:
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
