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
//
// A new report opens with its title, the note, and a list of short answers, one line per data
// set (short_answer), closed by a marker comment; each appended section adds its line to that
// list, so the opening paragraph always answers for every section below it.
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
    std::string title = "Sweep report";  // the # heading of a new report
    // Two feature columns: also draw the decision regions of the best and the narrowest
    // setting trained on those two features alone (regions.hpp). Empty: no such figure.
    std::vector<std::string> region_features;
};

// One section (## heading) of the report for the sweep's data set. `learned` (Markdown) goes
// after the best setting; `derivations_link`, when not empty, links docs/derivations.md where
// the prose uses a result derived there.
std::string report_section(const ReportInput& in, const std::string& link_dir,
                           const std::string& tag, const std::string& learned = "",
                           const std::string& derivations_link = "");

// Two sentences for the report's opening: the best setting with its accuracy and the settings
// that tie with it, then what each other setting did.
std::string short_answer(const ReportInput& in);

// Writes the plots and CSVs, then the report (a new document, or one more section).
void write_report(const std::string& path, const ReportInput& in, bool append);

}  // namespace ffnn::app
