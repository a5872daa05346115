// `ffnn sweep` as a user runs it: the files it writes, the report and its images, results that
// do not depend on scheduling, divergence recorded as such, and clear errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "app_runner.hpp"
#include "test_helpers.hpp"

namespace fs = std::filesystem;

namespace {

using ffnn::test::contains;
using ffnn::test::Result;
using ffnn::test::run;

std::string read_text(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

using Row = std::map<std::string, std::string>;

// A CSV file with a header row as one map per row (no quoting: ffnn's CSVs never need it).
std::vector<Row> read_csv_rows(const fs::path& p) {
    std::ifstream in(p);
    std::vector<Row> rows;
    std::string line;
    std::vector<std::string> header;
    auto split = [](const std::string& l) {
        std::vector<std::string> v;
        std::stringstream ss(l);
        std::string cell;
        while (std::getline(ss, cell, ',')) v.push_back(cell);
        if (!l.empty() && l.back() == ',') v.push_back("");
        return v;
    };
    if (!std::getline(in, line)) return rows;
    header = split(line);
    while (std::getline(in, line)) {
        std::vector<std::string> cells = split(line);
        Row r;
        for (std::size_t i = 0; i < header.size(); ++i)
            r[header[i]] = i < cells.size() ? cells[i] : "<missing>";
        rows.push_back(r);
    }
    return rows;
}

// The CSV text without the named column (timings differ between otherwise identical runs).
std::string without_column(const fs::path& p, const std::string& column) {
    std::string out;
    for (Row r : read_csv_rows(p)) {
        r.erase(column);
        for (const auto& [k, v] : r) out += k + "=" + v + ";";
        out += "\n";
    }
    return out;
}

bool have_gnuplot() {
    return std::system("command -v gnuplot >/dev/null 2>&1") == 0;
}

class Sweep : public ffnn::test::AppTest {
  protected:
    Sweep() : AppTest("sweep") {}
    // A fast grid: 4 settings x 2 seeds of 5 Iris epochs.
    const std::string small = "sweep --lr 0.05,0.5 --hidden 4,8x4 --epochs 5 --seeds 2";
};

}  // namespace

TEST_F(Sweep, SmallGridWritesOneRowPerRunAndAReportWithItsImages) {
    if (!have_gnuplot()) GTEST_SKIP() << "gnuplot is not installed (scripts/install-deps.sh)";
    Result r = run(small + " --jobs 2 --out " + path("out") + " --report " + path("doc/report.md"));
    ASSERT_EQ(r.code, 0) << r.output;

    std::vector<Row> rows = read_csv_rows(path("out/sweep.csv"));
    ASSERT_EQ(rows.size(), 8u);  // 2 learning rates x 2 networks x 2 seeds
    // Grid order: lr-major, then hidden, then seed.
    EXPECT_EQ(rows[0]["setting"], "lr0.05-h4");
    EXPECT_EQ(rows[0]["seed"], "1");
    EXPECT_EQ(rows[1]["seed"], "2");
    EXPECT_EQ(rows[2]["setting"], "lr0.05-h8x4");
    EXPECT_EQ(rows[2]["hidden"], "8x4");
    EXPECT_EQ(rows[7]["setting"], "lr0.5-h8x4");
    for (const Row& row : rows) {
        EXPECT_EQ(row.at("diverged"), "no");
        double acc = std::stod(row.at("test_accuracy"));
        EXPECT_GE(acc, 0.0);
        EXPECT_LE(acc, 1.0);
        EXPECT_TRUE(fs::exists(dir / "out" / "runs" /
                               (row.at("setting") + "-seed" + row.at("seed")) / "metrics.csv"));
    }
    EXPECT_EQ(read_csv_rows(path("out/summary.csv")).size(), 4u);
    EXPECT_TRUE(contains(r.output, "lr0.5-h8x4")) << r.output;  // the printed table

    const std::string md = read_text(path("doc/report.md"));
    EXPECT_TRUE(contains(md, "| setting | lr | hidden |")) << md;
    EXPECT_TRUE(contains(md, "| lr0.05-h8x4 | 0.05 | 8x4 |")) << md;
    EXPECT_TRUE(contains(md, "### Best setting")) << md;
    // Every relative link of the report names a file that exists beside it; the images are PNG.
    std::regex link(R"(\]\(([^)]+)\))");
    int images = 0, links = 0;
    for (auto it = std::sregex_iterator(md.begin(), md.end(), link); it != std::sregex_iterator();
         ++it) {
        const std::string target = (*it)[1];
        ++links;
        ASSERT_TRUE(fs::exists(dir / "doc" / target)) << target;
        if (target.size() > 4 && target.substr(target.size() - 4) == ".png") {
            ++images;
            EXPECT_EQ(read_text(dir / "doc" / target).substr(1, 3), "PNG") << target;
        }
    }
    EXPECT_EQ(images, 3);  // loss, accuracy, accuracy per setting
    EXPECT_GE(links, 6);   // three images, sweep.csv, summary.csv, curves.dat
    EXPECT_EQ(ffnn_test::leftover_temporaries(dir), std::vector<std::string>{});
}

TEST_F(Sweep, ReportOpensWithItsTitleAndAnAnswerPerSectionAndDrawsDecisionRegions) {
    if (!have_gnuplot()) GTEST_SKIP() << "gnuplot is not installed (scripts/install-deps.sh)";
    // Two settings, the narrower one a single unit: the regions figure has two panels.
    Result r = run("sweep --lr 0.05 --hidden 16,1 --epochs 5 --seeds 2 --out " + path("a") +
                   " --report " + path("report.md") +
                   " --report-title 'Two widths' --report-regions petal_length,petal_width");
    ASSERT_EQ(r.code, 0) << r.output;
    Result d = run("sweep --dataset digits --lr 0.01 --hidden 8 --epochs 2 --seeds 1 --out " +
                   path("b") + " --report " + path("report.md") + " --report-append");
    ASSERT_EQ(d.code, 0) << d.output;
    const std::string md = read_text(path("report.md"));
    EXPECT_EQ(md.rfind("# Two widths\n", 0), 0u) << md;
    // The opening list answers for both sections, before the first of them.
    const std::size_t iris_answer = md.find("- **iris**: the best setting is lr0.05-h");
    const std::size_t digits_answer = md.find("- **digits**: the best setting is lr0.01-h8");
    const std::size_t first_section = md.find("\n## iris");
    ASSERT_NE(iris_answer, std::string::npos) << md;
    ASSERT_NE(digits_answer, std::string::npos) << md;
    EXPECT_LT(iris_answer, digits_answer);
    EXPECT_LT(digits_answer, first_section);
    // The regions: a PNG, its data with one grid block and one point block per panel.
    EXPECT_TRUE(contains(md, "### What the network learned")) << md;
    EXPECT_TRUE(contains(md, "(report/iris-regions.png)")) << md;
    EXPECT_EQ(read_text(dir / "report" / "iris-regions.png").substr(1, 3), "PNG");
    const std::string dat = read_text(dir / "report" / "iris-regions.dat");
    EXPECT_TRUE(contains(dat, "# lr0.05-h16: grid")) << dat.substr(0, 300);
    EXPECT_TRUE(contains(dat, "# lr0.05-h1: training points")) << dat.substr(0, 300);
    EXPECT_TRUE(contains(md, "parallel straight lines")) << md;
    // A column that is not in the data is an error naming the columns there are.
    Result bad = run("sweep --lr 0.05 --hidden 4 --epochs 1 --seeds 1 --out " + path("c") +
                     " --report " + path("c.md") + " --report-regions petal_length,nope");
    EXPECT_EQ(bad.code, 1) << bad.output;
    EXPECT_TRUE(contains(bad.output, "no feature column 'nope'")) << bad.output;
    EXPECT_TRUE(contains(bad.output, "sepal_length")) << bad.output;
}

TEST_F(Sweep, IdenticalSweepsGiveIdenticalMetricsWhateverTheScheduling) {
    // One worker against two: the runs finish in different orders, the files must not differ.
    ASSERT_EQ(run(small + " --jobs 1 --out " + path("a")).code, 0);
    ASSERT_EQ(run(small + " --jobs 2 --out " + path("b")).code, 0);
    for (const char* f : {"sweep.csv"}) {
        std::string a = without_column(dir / "a" / f, "seconds"),
                    b = without_column(dir / "b" / f, "seconds");
        EXPECT_FALSE(a.empty());
        EXPECT_EQ(a, b) << f;
    }
    // summary.csv: the metric columns (seconds_mean and seconds_std differ).
    for (const auto& col :
         {"test_accuracy_mean", "test_accuracy_std", "train_loss_mean", "val_accuracy_mean"}) {
        auto ra = read_csv_rows(dir / "a" / "summary.csv"),
             rb = read_csv_rows(dir / "b" / "summary.csv");
        ASSERT_EQ(ra.size(), rb.size());
        for (std::size_t i = 0; i < ra.size(); ++i) EXPECT_EQ(ra[i][col], rb[i][col]) << col;
    }
    for (const auto& e : fs::directory_iterator(dir / "a" / "runs")) {
        fs::path other = dir / "b" / "runs" / e.path().filename() / "metrics.csv";
        EXPECT_EQ(without_column(e.path() / "metrics.csv", "seconds"),
                  without_column(other, "seconds"))
            << e.path().filename();
    }
}

TEST_F(Sweep, LearningRate100IsRecordedAsDivergedNotAsNaN) {
    const bool plots = have_gnuplot();
    Result r = run("sweep --lr 0.05,100 --hidden 16 --epochs 5 --seeds 2 --out " + path("out") +
                   (plots ? " --report " + path("report.md") : std::string()));
    ASSERT_EQ(r.code, 0) << r.output;  // a diverged run is a result, not a failure
    std::vector<Row> rows = read_csv_rows(path("out/sweep.csv"));
    ASSERT_EQ(rows.size(), 4u);
    for (const Row& row : rows) {
        const bool big = row.at("lr") == "100";
        EXPECT_EQ(row.at("diverged"), big ? "yes" : "no") << row.at("setting");
        EXPECT_EQ(row.at("stop_reason"), big ? "diverged" : "epochs_done") << row.at("setting");
        if (!big) EXPECT_GE(std::stoi(row.at("best_epoch")), 1) << row.at("setting");
        if (big) {
            EXPECT_GE(std::stoi(row.at("diverged_epoch")), 1);
            EXPECT_EQ(row.at("test_accuracy"), "");
            EXPECT_EQ(row.at("train_loss"), "");
        } else {
            EXPECT_EQ(row.at("diverged_epoch"), "");
        }
    }
    auto lower = [](std::string s) {
        std::transform(s.begin(), s.end(), s.begin(),
                       [](unsigned char c) { return char(std::tolower(c)); });
        return s;
    };
    EXPECT_FALSE(contains(lower(read_text(path("out/sweep.csv"))), "nan"));
    EXPECT_FALSE(contains(lower(read_text(path("out/summary.csv"))), "nan"));
    EXPECT_TRUE(contains(r.output, "diverged at epoch")) << r.output;
    if (plots) {
        const std::string md = read_text(path("report.md"));
        EXPECT_TRUE(contains(md, "#### lr100-h16: diverged")) << md;
        EXPECT_TRUE(contains(md, "All 2 runs diverged")) << md;
        // The table shows the divergence and no NaN cell (the prose may say "NaN or infinite").
        std::istringstream lines(md);
        bool row_seen = false;
        for (std::string line; std::getline(lines, line);) {
            if (line.rfind("|", 0) != 0) continue;
            EXPECT_FALSE(contains(lower(line), "nan")) << line;
            if (line.rfind("| lr100-h16 |", 0) == 0) {
                row_seen = true;
                EXPECT_TRUE(contains(line, "| diverged in 2/2 runs |")) << line;
            }
        }
        EXPECT_TRUE(row_seen) << md;
    }
}

TEST_F(Sweep, SettingsFileOverridesTrainFlagsPerSetting) {
    write("grid.json", R"([{"name": "deep", "lr": 0.05, "hidden": [8, 4]},
                           {"lr": 0.1, "batch-size": 32, "why": "a larger batch"}])");
    Result r =
        run("sweep --settings " + path("grid.json") + " --epochs 3 --seeds 2 --out " + path("out"));
    ASSERT_EQ(r.code, 0) << r.output;
    std::vector<Row> rows = read_csv_rows(path("out/sweep.csv"));
    ASSERT_EQ(rows.size(), 4u);
    EXPECT_EQ(rows[0]["setting"], "deep");
    EXPECT_EQ(rows[0]["hidden"], "8x4");
    EXPECT_EQ(rows[2]["setting"], "lr0.1-h16-batch-size32");
    EXPECT_EQ(rows[2]["lr"], "0.1");
}

TEST_F(Sweep, BadFlagsAndSettingsFilesFailWithAClearMessage) {
    struct Case {
        std::string args, expected;
    };
    write("bad.json", "[{\"lr\": 0.1,}]");
    write("unknown.json", R"([{"lr": 0.1}, {"lr": 0.2, "bogus": 1}])");
    write("badvalue.json", R"([{"lr": -1}])");
    write("seed.json", R"([{"lr": 0.1, "seed": 3}])");
    write("object.json", R"({"lr": 0.1})");
    write("dup.json", R"([{"lr": 0.1}, {"lr": 0.1}])");
    const std::vector<Case> cases = {
        {"sweep --lr 0.1,abc", "--lr: expected positive learning rates"},
        {"sweep --lr 0.1,-2", "--lr: expected positive learning rates"},
        {"sweep --hidden 4,0", "--hidden"},
        {"sweep --seeds 0", "--seeds"},
        {"sweep --settings " + path("missing.json"), "missing.json"},
        {"sweep --settings " + path("bad.json"), "bad.json: not valid JSON"},
        {"sweep --settings " + path("unknown.json"),
         "unknown.json: entry 1: key 'bogus': not a flag of 'ffnn train'"},
        {"sweep --settings " + path("badvalue.json"), "badvalue.json: entry 0: --lr"},
        {"sweep --settings " + path("seed.json"), "seed.json: entry 0: key 'seed'"},
        {"sweep --settings " + path("object.json"), "object.json: expected a non-empty JSON array"},
        {"sweep --settings " + path("dup.json"), "dup.json: entries 0 and 1 have the same name"},
        {"sweep --settings " + path("dup.json") + " --lr 0.1", "excludes"},
        {"sweep --report-append", "--report"},
        {"sweep --epochs 1 --seeds 1 --lr 0.1 --out " + path("o") + " --report " + path("r.txt"),
         ".md"},
    };
    for (const Case& c : cases) {
        Result r = run(c.args);
        EXPECT_NE(r.code, 0) << c.args;
        EXPECT_TRUE(contains(r.output, c.expected)) << c.args << "\n" << r.output;
    }
}

TEST_F(Sweep, MissingGnuplotSaysHowToInstallIt) {
    // With an empty PATH no gnuplot can be found: the sweep stops before training anything.
    Result r = run(
        "sweep --lr 0.1 --epochs 1 --seeds 1 --out " + path("out") + " --report " + path("r.md"),
        "PATH=/nonexistent");
    EXPECT_EQ(r.code, 1) << r.output;
    EXPECT_TRUE(contains(r.output, "scripts/install-deps.sh")) << r.output;
    EXPECT_FALSE(fs::exists(path("out/sweep.csv")));
}

// --save-models: every run's best epoch is a model file, and the sweep's answer is the best
// setting's best run as best-model.safetensors, which ffnn eval reads. The console line
// gives a real wall time, and a setting over one seed shows its deviation as "-".
TEST_F(Sweep, SaveModelsLeavesEachRunsBestModelAndTheBestSettingsModel) {
    Result r =
        run("sweep --lr 0.05,0.5 --hidden 4 --epochs 8 --seeds 1 --patience 3 --save-models "
            "--out " +
            path("out"));
    ASSERT_EQ(r.code, 0) << r.output;
    for (const char* run : {"lr0.05-h4-seed1", "lr0.5-h4-seed1"})
        EXPECT_TRUE(fs::exists(path(std::string("out/runs/") + run + "/model.safetensors"))) << run;
    ASSERT_TRUE(fs::exists(path("out/best-model.safetensors"))) << r.output;
    EXPECT_TRUE(contains(r.output, "best setting ")) << r.output;
    EXPECT_TRUE(contains(r.output, " ± -")) << r.output;
    EXPECT_FALSE(contains(r.output, "in 0.0s")) << r.output;
    EXPECT_TRUE(contains(r.output, "s wall (")) << r.output;
    Result e = run("eval --model " + path("out/best-model.safetensors") + " --data " +
                   std::string(FFNN_SOURCE_DIR) + "/data/iris.csv");
    EXPECT_EQ(e.code, 0) << e.output;
}
