// What happened in each setting of a sweep, and why: sentences derived from the measured
// numbers by explicit rules, so that no sentence of the report contradicts its tables.
//
// Each rule measures one thing per run and takes the median over the setting's runs that did
// not diverge (the median, so one unlucky seed does not decide for five), then compares it with
// a named threshold (the constants below, stated in the report):
//
//   diverged     a run's loss became NaN or infinite (fit() stops there); "diverged" only if so.
//   oscillated   over the last epochs (the tail window) the training loss changed from one epoch
//                to the next by more than kOscillationAbs on average AND by more than
//                kOscillationRel of its level.
//   slow         validation accuracy reached the threshold late (median epoch beyond kSlowFraction
//                of the budget) or not at all in some run, without oscillating.
//   still falling  over the tail window the training loss fell in at least kSteadyFraction of
//                the epochs and by more than kStillFallingRel in all: a steady descent that the
//                epoch budget cut short, not noise around a floor.
//   underfit     the final training accuracy (median over runs) is more than kUnderfitGap below
//                the best setting's.
//   overfit      mean training accuracy minus mean test accuracy above kOverfitGap and above
//                kOverfitMinExamples test examples, AND the validation loss ended more than
//                kValLossRise times and kValLossRiseAbs above its minimum.
//   matched      the mean test accuracy is within max(best's std, one test example) of the
//                best setting's.
// The "why" of each finding is chosen by which setting's parameters differ (learning rate
// against the best, narrowest hidden layer against the number of classes, parameters against
// training examples) and quotes the numbers it rests on.
#pragma once

#include <string>
#include <vector>

#include "ffnn/train/sweep.hpp"
#include "ffnn/train/sweep_results.hpp"
#include "sweep_grid.hpp"

namespace ffnn::app {

// The tail window: the last kTailFraction of the epochs, at least kTailMinEpochs.
inline constexpr double kTailFraction = 0.1;
inline constexpr std::size_t kTailMinEpochs = 5;
// Oscillation: mean |L(e) - L(e-1)| over the tail > 0.02 nats and > 10% of the mean tail loss.
// The absolute floor keeps a converged run whose loss is ~0.001 (where a 10% wobble is
// invisible) from being called oscillating; the relative bound keeps a large but steady loss
// from being called oscillating because of its scale.
inline constexpr double kOscillationAbs = 0.02;
inline constexpr double kOscillationRel = 0.10;
// Still falling: the loss fell in at least 80% of the tail's epochs (noise around a floor falls
// in about half) and by more than 1% across the window.
inline constexpr double kSteadyFraction = 0.8;
inline constexpr double kStillFallingRel = 0.01;
// Slow: the threshold was reached after a quarter of the epoch budget (or never).
inline constexpr double kSlowFraction = 0.25;
// Underfit: final training accuracy more than 3 points below the best setting's (medians, so
// one seed stuck at a bad start does not make the setting underfit; "seeds disagree" reports it).
inline constexpr double kUnderfitGap = 0.03;
// Overfit: train - test accuracy above 3 points and above two test examples (a gap of one
// example is the resolution of the test set: 3.3 points on Iris's 30 flowers), and a
// validation loss at the end 25% and 0.02 nats above its minimum (the network grew confident
// and wrong on unseen examples; the absolute floor ignores ratios of tiny losses).
inline constexpr double kOverfitGap = 0.03;
inline constexpr double kOverfitMinExamples = 2;
inline constexpr double kValLossRise = 1.25;
inline constexpr double kValLossRiseAbs = 0.02;
// Lost ground: the final validation accuracy is more than 10 points below the run's best epoch
// (stated as a fact, not a verdict: it shows training undoing what it had reached).
inline constexpr double kLostGap = 0.10;
// Seeds disagree: the test accuracies of a setting's runs span more than 10 points (a fact
// stated with the two seeds; three Iris flowers, 36 digits).
inline constexpr double kSpreadPoints = 0.10;

// Per-setting measurements the rules use (medians over the runs that did not diverge).
struct SettingShape {
    std::size_t runs_ok = 0;
    std::size_t tail = 0;             // epochs in the tail window
    double osc_abs = 0, osc_rel = 0;  // mean |delta train loss| over the tail, and / mean loss
    double tail_drop = 0;             // (L(start of tail) - L(end)) / L(start of tail)
    double tail_falling = 0;          // fraction of the tail's epochs in which the loss fell
    double val_loss_rise = 0;         // final validation loss / its minimum
    double val_loss_rise_abs = 0;     // final validation loss - its minimum
    std::size_t val_loss_min_epoch = 0;
    double first_train_loss = 0;      // epoch 1, median
    double peak_val_accuracy = 0;     // best epoch, median
    double final_val_accuracy = 0;    // last epoch, median
    double final_train_accuracy = 0;  // last epoch, median
    double threshold_epoch = 0;       // median over the runs that reached it
    std::vector<std::size_t> diverged_epochs;
};

SettingShape measure_shape(std::size_t setting, const std::vector<SweepRun>& runs,
                           double threshold);

struct Diagnosis {
    std::string verdict;  // one or two words for the table: "diverged", "matched the best", ...
    std::vector<std::string> findings;  // sentences: what happened, each with its numbers
    std::vector<std::string> reasons;   // sentences: why, each tied to a finding
};

// Index of the best setting, chosen on validation data (the test set only reports): highest
// mean validation accuracy among the settings with no diverged run, then lower mean validation
// loss, then grid order. Without a validation part, the test accuracy decides.
std::size_t best_setting(const std::vector<SettingSummary>& summaries);

// derivations_link, when not empty, is a relative link to docs/derivations.md from the report:
// the sentence on the stability limit lr * lambda < 2 then links its derivation.
std::vector<Diagnosis> diagnose(const std::vector<SweepSetting>& settings,
                                const std::vector<SweepRun>& runs,
                                const std::vector<SettingSummary>& summaries, double threshold,
                                const std::string& derivations_link = "");

// The rules above as Markdown bullet points, with the constants' values.
std::string rules_markdown(double threshold);

}  // namespace ffnn::app
