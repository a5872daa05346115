// The Markdown report of a sweep: setup, a table per setting, learning-curve plots, and for
// each setting what happened and why, derived from the measurements by the rules of
// report_diagnosis.hpp.
//
// write_report(path, ...) writes `path` (atomically) and puts its files in a directory beside
// it named after the report's stem (report.md -> report/): <tag>-loss.png,
// <tag>-accuracy.png (made with gnuplot), <tag>-sweep.csv, <tag>-summary.csv and
// <tag>-curves.dat (the plotted means and min-max bands), linked relatively. `tag` is the
// data set's name, so one report can hold a section per data set: with append = true the
// section is added to the end of an existing report instead of replacing it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ffnn/train/sweep.hpp"
#include "ffnn/train/sweep_results.hpp"
#include "sweep_grid.hpp"

namespace ffnn::app {

struct ReportInput {
    std::vector<SweepSetting> settings;
    std::vector<SweepRun> runs;  // grid order
    std::vector<SettingSummary> summaries;
    std::vector<std::uint64_t> seeds;
    double threshold = 0.9;
    std::string command;      // the command line that produced the sweep
    std::string grid_source;  // "the built-in default grid", "--lr/--hidden", a settings file
    int jobs = 1;
    std::string note;  // a paragraph under the title of a new report (not when appending)
};

// One section (## heading) of the report for the sweep's data set.
std::string report_section(const ReportInput& in, const std::string& image_dir_link,
                           const std::string& tag);

// Writes the plots and CSVs, then the report (a new document, or one more section).
void write_report(const std::string& path, const ReportInput& in, bool append);

}  // namespace ffnn::app
