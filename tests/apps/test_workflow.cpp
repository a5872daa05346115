// The training workflow flags as a user meets them: what is printed (--quiet, the default
// of about 20 lines, --log-every, --verbose), early stopping and the best epoch in
// summary.json (--patience, --monitor, --restore-best, --save-best), --class-weight, and
// every one of them from --config as well as from the command line, including the config
// block of a run's own summary.json.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "app_runner.hpp"
#include "ffnn/io/checkpoint.hpp"

namespace fs = std::filesystem;

namespace {

using ffnn::test::contains;
using ffnn::test::Result;
using ffnn::test::run;

class Workflow : public ffnn::test::AppTest {
  protected:
    Workflow() : AppTest("workflow") {}
    nlohmann::json summary(const std::string& dir) const {
        std::ifstream in(path(dir + "/summary.json"));
        return nlohmann::json::parse(in);
    }
};

std::size_t count_lines_starting(const std::string& text, const std::string& prefix) {
    std::istringstream in(text);
    std::size_t n = 0;
    for (std::string line; std::getline(in, line);) n += line.rfind(prefix, 0) == 0 ? 1 : 0;
    return n;
}

std::string read_text(const std::string& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

}  // namespace

TEST_F(Workflow, HowMuchIsPrinted) {
    // Default, 100 epochs: every 5th plus the first and the best; every epoch in metrics.csv.
    Result r = run("train --out " + path("default"));
    ASSERT_EQ(r.code, 0) << r.output;
    const std::size_t lines = count_lines_starting(r.output, "epoch ");
    EXPECT_GE(lines, 20u) << r.output;
    EXPECT_LE(lines, 23u) << r.output;
    EXPECT_TRUE(contains(r.output, "epoch 100/100")) << r.output;
    EXPECT_TRUE(contains(r.output, "(best)")) << r.output;
    EXPECT_EQ(count_lines_starting(read_text(path("default/metrics.csv")), ""), 101u);
    // Up to 20 epochs: all of them.
    r = run("train --epochs 12 --out " + path("short"));
    EXPECT_EQ(count_lines_starting(r.output, "epoch "), 13u) << r.output;  // 12 + the best
    // --log-every 25: epochs 1, 25, 50, 75, 100 and the best.
    r = run("train --log-every 25 --out " + path("every"));
    EXPECT_EQ(count_lines_starting(r.output, "epoch "), 6u) << r.output;
    // --verbose: every epoch.
    r = run("train --verbose --out " + path("verbose"));
    EXPECT_EQ(count_lines_starting(r.output, "epoch "), 101u);
    // --quiet: the final result alone.
    r = run("train --quiet --out " + path("quiet"));
    ASSERT_EQ(r.code, 0) << r.output;
    EXPECT_EQ(r.output.substr(0, 6), "test: ") << r.output;
    EXPECT_EQ(count_lines_starting(r.output, ""), 1u) << r.output;
    // Errors still show.
    r = run("train --quiet --lr 100 --out " + path("quiet-diverged"));
    EXPECT_EQ(r.code, 1);
    EXPECT_TRUE(contains(r.output, "diverged")) << r.output;
    EXPECT_EQ(summary("quiet-diverged")["stop_reason"], "diverged");
    EXPECT_EQ(run("train --quiet --verbose").code, 2);
}

TEST_F(Workflow, EarlyStoppingRecordsTheBestEpochAndWhyItStopped) {
    Result r = run("train --patience 10 --save-best --out " + path("es"));
    ASSERT_EQ(r.code, 0) << r.output;
    nlohmann::json s = summary("es");
    EXPECT_EQ(s["stop_reason"], "early_stop");
    EXPECT_EQ(s["monitor"], "val_loss");
    const std::size_t best = s["best_epoch"].get<std::size_t>();
    EXPECT_EQ(s["epochs_run"].get<std::size_t>(), best + 10);
    EXPECT_EQ(s["best"]["epoch"], best);
    EXPECT_TRUE(s["restored_best"].get<bool>());
    // Restored: the final validation loss is the best epoch's, and model == best.
    EXPECT_EQ(s["val_loss"], s["best"]["val_loss"]);
    ffnn::Checkpoint model = ffnn::load_checkpoint(path("es/model.safetensors"));
    ffnn::Checkpoint best_file = ffnn::load_checkpoint(path("es/best.safetensors"));
    EXPECT_EQ(best_file.metadata["epoch"], std::to_string(best));
    const auto& a = model.model.parameter_list();
    const auto& b = best_file.model.parameter_list();
    for (std::size_t i = 0; i < a.size(); ++i)
        EXPECT_EQ(0, std::memcmp(a[i].value->data(), b[i].value->data(),
                                 a[i].value->size() * sizeof(float)))
            << a[i].name;
    EXPECT_TRUE(contains(r.output, "early stop after epoch")) << r.output;

    // --no-restore-best keeps the last epoch's weights.
    r = run("train --patience 10 --no-restore-best --out " + path("last"));
    ASSERT_EQ(r.code, 0) << r.output;
    s = summary("last");
    EXPECT_FALSE(s["restored_best"].get<bool>());
    EXPECT_NE(s["val_loss"], s["best"]["val_loss"]);

    // Without --patience all epochs run, and the best epoch is still recorded.
    r = run("train --epochs 30 --out " + path("plain"));
    s = summary("plain");
    EXPECT_EQ(s["stop_reason"], "epochs_done");
    EXPECT_EQ(s["epochs_run"], 30);
    EXPECT_GE(s["best_epoch"].get<std::size_t>(), 1u);

    // A validation metric without a validation part is a bad flag.
    r = run("train --monitor val_accuracy --val-split 0 --out " + path("noval"));
    EXPECT_EQ(r.code, 2);
    EXPECT_TRUE(contains(r.output, "--monitor")) << r.output;
    r = run("train --patience 3 --val-split 0 --out " + path("noval-auto"));
    ASSERT_EQ(r.code, 0) << r.output;
    EXPECT_EQ(summary("noval-auto")["monitor"], "train_loss");
    EXPECT_EQ(run("train --min-delta -1").code, 2);
    EXPECT_EQ(run("train --monitor speed").code, 2);
}

TEST_F(Workflow, SummaryConfigBlockIsAValidConfigFileAsItIs) {
    ASSERT_EQ(run("train -q --epochs 20 --no-standardize --patience 4 --no-restore-best "
                  "--class-weight balanced --optimizer adam --lr 0.01 --out " +
                  path("a"))
                  .code,
              0);
    const nlohmann::json config = summary("a")["config"];
    std::ofstream(path("config.json")) << config.dump(2);
    Result r = run("train -q --config " + path("config.json") + " --out " + path("b"));
    ASSERT_EQ(r.code, 0) << r.output;
    EXPECT_EQ(summary("b")["config"], config);
    EXPECT_EQ(summary("b")["test_loss"], summary("a")["test_loss"]);
    EXPECT_EQ(summary("b")["epochs_run"], summary("a")["epochs_run"]);
    EXPECT_EQ(read_text(path("a/model.safetensors")), read_text(path("b/model.safetensors")));
}

TEST_F(Workflow, EveryNewFlagWorksFromAConfigFile) {
    std::ofstream(path("weights.csv")) << "setosa,1\nversicolor,2\nvirginica,0.5\n";
    std::ofstream(path("flags.json")) << nlohmann::json{
        {"epochs", 40},
        {"patience", 5},
        {"min_delta", 0.001},
        {"monitor", "val_accuracy"},
        {"restore_best", true},
        {"save_best", true},
        {"class_weight", path("weights.csv")},
        {"checkpoint_every", 3},
        {"log_every", 7},
        {"quiet", true}}.dump();
    Result r = run("train --config " + path("flags.json") + " --out " + path("run"));
    ASSERT_EQ(r.code, 0) << r.output;
    EXPECT_EQ(count_lines_starting(r.output, ""), 1u) << r.output;  // quiet
    const nlohmann::json s = summary("run");
    EXPECT_EQ(s["monitor"], "val_accuracy");
    EXPECT_EQ(s["config"]["patience"], 5);
    EXPECT_EQ(s["config"]["min_delta"], 0.001);
    EXPECT_EQ(s["config"]["class_weight"], path("weights.csv"));
    EXPECT_TRUE(fs::exists(path("run/best.safetensors")));
    EXPECT_TRUE(fs::exists(path("run/checkpoint.safetensors")));
    // The same from the command line.
    r = run(
        "train --epochs 40 --patience 5 --min-delta 0.001 --monitor val_accuracy "
        "--restore-best --save-best --class-weight " +
        path("weights.csv") + " --checkpoint-every 3 --log-every 7 --quiet --out " + path("flags"));
    ASSERT_EQ(r.code, 0) << r.output;
    EXPECT_EQ(summary("flags")["test_loss"], s["test_loss"]);
    // A bad weight file names itself.
    std::ofstream(path("bad.csv")) << "setosa,1\n";
    r = run("train -q --class-weight " + path("bad.csv"));
    EXPECT_EQ(r.code, 1);
    EXPECT_TRUE(contains(r.output, "bad.csv")) << r.output;
}
