// Learning-rate schedules: the learning rate as a pure function of a counter t.
//
// t counts whatever the caller chooses, epochs or optimiser steps; the schedule does not
// know which (the CLI documents its choice). With base learning rate lr0:
//   constant     lr(t) = lr0
//   step         lr(t) = lr0 * gamma^floor(t / step_size)          (torch StepLR)
//   exponential  lr(t) = lr0 * gamma^t                             (torch ExponentialLR)
//   cosine       lr(t) = min_lr + (lr0 - min_lr) (1 + cos(pi min(t, t_max) / t_max)) / 2
//                (Loshchilov & Hutter 2017, SGDR without restarts; torch CosineAnnealingLR;
//                constant at min_lr after t_max)
// Being a function of t rather than a stateful object, a resumed run only needs t.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "ffnn/nn/names.hpp"

namespace ffnn {

enum class ScheduleKind { Constant, Step, Exponential, Cosine };

struct ScheduleConfig {
    ScheduleKind kind = ScheduleKind::Constant;
    std::size_t step_size = 10;  // step: t between decays
    double gamma = 0.1;          // step, exponential: decay factor
    std::size_t t_max = 100;     // cosine: t at which lr reaches min_lr
    double min_lr = 0.0;         // cosine: final learning rate

    // Throws ConfigError ("schedule.gamma") for a step_size of 0, a gamma that is not positive
    // and finite, or a negative min_lr. t_max = 0 is allowed here (a trainer may fill it in);
    // LrSchedule needs it positive for cosine.
    void validate() const;
};

inline constexpr NamedValue<ScheduleKind> kScheduleNames[] = {
    {ScheduleKind::Constant, "constant"},       {ScheduleKind::Step, "step"},
    {ScheduleKind::Exponential, "exponential"}, {ScheduleKind::Exponential, "exp", true},
    {ScheduleKind::Cosine, "cosine"},
};
inline std::string to_string(ScheduleKind kind) {
    return std::string(name_of<ScheduleKind>(kScheduleNames, kind));
}

class LrSchedule {
  public:
    // Validates config, and base_lr (positive and finite) and t_max (positive) for cosine.
    LrSchedule(const ScheduleConfig& config, double base_lr);
    double lr(std::size_t t) const;
    double operator()(std::size_t t) const { return lr(t); }
    const ScheduleConfig& config() const { return config_; }
    double base_lr() const { return base_lr_; }

  private:
    ScheduleConfig config_;
    double base_lr_;
};

}  // namespace ffnn
