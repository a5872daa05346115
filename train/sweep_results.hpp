// What a sweep measured, as tables: one row per run (sweep.csv) and mean and standard
// deviation per setting over its seeds (summary.csv and the table printed at the end).
//
// A diverged run has no final metrics: its loss and accuracy cells are empty, `diverged` is
// "yes" and `diverged_epoch` says where; it never contributes NaN to a mean. Statistics of a
// setting are over its runs that did not diverge (`runs_ok` of `runs`); the epochs to reach
// the threshold over the runs that reached it (`reached` of `runs`). Standard deviations are
// sample standard deviations (n - 1), 0 for a single run in the CSV files and "-" in the
// printed table.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "ffnn/train/sweep.hpp"

namespace ffnn {

// The first epoch (1-based) whose validation accuracy is >= threshold; none if never.
std::optional<std::size_t> epochs_to_threshold(const std::vector<EpochRecord>& history,
                                               double threshold);

struct Stat {
    double mean = 0, std = 0;
    std::size_t n = 0;  // values it is over; 0: no value (printed empty)
};
Stat stat_of(const std::vector<double>& values);

struct SettingSummary {
    std::string name;
    double lr = 0;
    std::string hidden;
    std::size_t runs = 0, runs_ok = 0, diverged = 0, reached = 0;
    Stat train_loss, train_accuracy, val_loss, val_accuracy, test_loss, test_accuracy;
    Stat epochs_to_threshold;  // over the runs that reached it
    Stat seconds;              // over all runs
};

std::vector<SettingSummary> summarize(const std::vector<SweepSetting>& settings,
                                      const std::vector<SweepRun>& runs, double threshold);

// sweep.csv: setting,lr,hidden,seed,train_loss,train_accuracy,val_loss,val_accuracy,test_loss,
// test_accuracy,epochs_to_threshold,seconds,diverged,diverged_epoch,best_epoch,stop_reason
// (best_epoch by the run's monitor, empty when no epoch finished; stop_reason as summary.json)
std::string sweep_csv(const std::vector<SweepSetting>& settings, const std::vector<SweepRun>& runs,
                      double threshold);

// summary.csv: setting,lr,hidden,runs,diverged,<metric>_mean,<metric>_std for each metric,
// reached_threshold,epochs_to_threshold_mean/_std,seconds_mean/_std
std::string summary_csv(const std::vector<SettingSummary>& summaries);

// A fixed-width text table of the summaries for the terminal.
std::string summary_table(const std::vector<SettingSummary>& summaries, double threshold);

}  // namespace ffnn
