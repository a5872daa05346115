// `ffnn train --task regression`, then eval and predict on its model, as a user runs them on
// the shipped diabetes data: what is printed, what the run directory holds, that eval's
// metrics are those of predict's values, and that a resumed run is the uninterrupted one.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
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

class Regression : public ffnn::test::AppTest {
  protected:
    Regression() : AppTest("regression") {}
    const std::string diabetes = std::string(FFNN_SOURCE_DIR) + "/data/diabetes.csv";
    // A short run of the README's regression example.
    const std::string train_args = "train --task regression --data " + diabetes +
                                   " --hidden 16 --optimizer adam --lr 0.005 --epochs 12 ";
};

std::vector<std::vector<std::string>> csv_rows(const std::string& text) {
    std::vector<std::vector<std::string>> rows;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        std::vector<std::string> f;
        std::istringstream l(line);
        for (std::string x; std::getline(l, x, ',');) f.push_back(x);
        rows.push_back(f);
    }
    return rows;
}

// The number after `key` in `text` ("R^2 0.4321" -> 0.4321).
double number_after(const std::string& text, const std::string& key) {
    const auto at = text.find(key);
    if (at == std::string::npos) {
        ADD_FAILURE() << "no '" << key << "' in:\n" << text;
        return std::nan("");
    }
    return std::stod(text.substr(at + key.size()));
}

}  // namespace

TEST_F(Regression, TrainWritesARegressorAndItsMetrics) {
    Result r = run(train_args + "--out " + path("run"));
    ASSERT_EQ(r.code, 0) << r.output;
    EXPECT_TRUE(contains(r.output,
                         "10 features; regression on 1 target (progression); features and "
                         "targets standardised on the training part"))
        << r.output;
    EXPECT_TRUE(contains(r.output, "loss mse")) << r.output;
    EXPECT_TRUE(contains(r.output, " rmse ")) << r.output;
    EXPECT_TRUE(contains(r.output, "test: MSE")) << r.output;
    EXPECT_TRUE(contains(r.output, "on the standardised targets)")) << r.output;
    EXPECT_FALSE(contains(r.output, "accuracy")) << r.output;
    EXPECT_FALSE(contains(r.output, "confusion")) << r.output;

    const auto summary = nlohmann::json::parse(ffnn_test::read_bytes(path("run/summary.json")));
    EXPECT_EQ(summary["task"], "regression");
    EXPECT_EQ(summary["data"]["targets"], nlohmann::json::array({"progression"}));
    EXPECT_EQ(summary["data"]["test"], 89);
    EXPECT_FALSE(summary.contains("test_accuracy"));
    const double r2 = summary["test_r2"].get<double>(), rmse = summary["test_rmse"].get<double>();
    EXPECT_GT(r2, 0.2);  // 12 epochs: most of the way to the README's figure
    EXPECT_LT(r2, 1.0);
    EXPECT_DOUBLE_EQ(summary["test_targets"]["progression"]["rmse"].get<double>(), rmse);
    EXPECT_NEAR(rmse * rmse, summary["test_mse"].get<double>(), 1e-9 * rmse * rmse);
    EXPECT_NEAR(number_after(r.output, "R^2 "), r2, 1e-4);

    const auto metrics = csv_rows(ffnn_test::read_bytes(path("run/metrics.csv")));
    ASSERT_EQ(metrics.size(), 13u);  // header and 12 epochs
    EXPECT_EQ(metrics[0],
              (std::vector<std::string>{"epoch", "lr", "train_loss", "train_mse", "train_rmse",
                                        "train_mae", "train_r2", "val_loss", "val_mse", "val_rmse",
                                        "val_mae", "val_r2", "seconds"}));

    const std::string model = ffnn_test::read_bytes(path("run/model.safetensors"));
    EXPECT_TRUE(contains(model, "\"format\":\"ffnn-regressor\"")) << model.substr(0, 400);
    EXPECT_TRUE(contains(model, "target.mean"));
    EXPECT_FALSE(fs::exists(path("run/confusion.txt")));
}

TEST_F(Regression, EvalReportsTheMetricsOfPredictsValues) {
    ASSERT_EQ(run(train_args + "--quiet --out " + path("run")).code, 0);
    const std::string model = path("run/model.safetensors");
    Result e = run("eval --model " + model + " --data " + diabetes);
    ASSERT_EQ(e.code, 0) << e.output;
    EXPECT_TRUE(contains(e.output, "regression), data")) << e.output;
    EXPECT_TRUE(contains(e.output, "442 examples")) << e.output;

    Result p = run("predict --model " + model + " --data " + diabetes + " --out " + path("p.csv"));
    ASSERT_EQ(p.code, 0) << p.output;
    const auto rows = csv_rows(ffnn_test::read_bytes(path("p.csv")));
    ASSERT_EQ(rows.size(), 443u);
    EXPECT_EQ(rows[0], (std::vector<std::string>{"row", "predicted_progression"}));
    // R^2 and MAE recomputed here from predict's values and the file's targets, in double:
    // eval's figures (printed to 4 and 6 significant digits) must be these.
    const auto data = csv_rows(ffnn_test::read_bytes(diabetes));
    ASSERT_EQ(data.size(), 443u);
    double sum = 0;
    for (std::size_t i = 1; i < data.size(); ++i) sum += std::stod(data[i].back());
    const double mean = sum / 442;
    double ss_res = 0, ss_tot = 0, abs_err = 0;
    for (std::size_t i = 1; i < rows.size(); ++i) {
        const double y = std::stod(data[i].back()), e = y - std::stod(rows[i][1]);
        ss_res += e * e;
        ss_tot += (y - mean) * (y - mean);
        abs_err += std::fabs(e);
    }
    EXPECT_NEAR(number_after(e.output, "R^2 "), 1 - ss_res / ss_tot, 1e-4);
    const double mae = abs_err / 442;
    EXPECT_NEAR(number_after(e.output, "MAE "), mae, 1e-5 * mae);

    // Without the target column predict needs no label; with an id column it is carried.
    std::string text = "patient,age,sex,bmi,bp,s1,s2,s3,s4,s5,s6\n";
    text += "p1,59,2,32.1,101.0,157,93.2,38.0,4.0,4.8598,87\n";
    write("new.csv", text);
    Result q =
        run("predict --model " + model + " --data " + path("new.csv") + " --id-column patient");
    ASSERT_EQ(q.code, 0) << q.output;
    const auto out = csv_rows(q.output);
    ASSERT_GE(out.size(), 2u) << q.output;
    EXPECT_EQ(out[0], (std::vector<std::string>{"patient", "predicted_progression"}));
    EXPECT_EQ(out[1][0], "p1");
    EXPECT_EQ(out[1][1], rows[1][1]);  // the first diabetes row: the same prediction
    // eval needs the target, and says which.
    Result bad =
        run("eval --model " + model + " --data " + path("new.csv") + " --id-column patient");
    EXPECT_EQ(bad.code, 1) << bad.output;
    EXPECT_TRUE(contains(bad.output, "no numeric column 'progression'")) << bad.output;
    // The target column, when present, is passed over: an empty target does not stop it.
    write("empty_target.csv",
          "age,sex,bmi,bp,s1,s2,s3,s4,s5,s6,progression\n"
          "59,2,32.1,101.0,157,93.2,38.0,4.0,4.8598,87,\n");
    Result et = run("predict --model " + model + " --data " + path("empty_target.csv"));
    ASSERT_EQ(et.code, 0) << et.output;
    EXPECT_EQ(csv_rows(et.output)[1][1], rows[1][1]);
    // A row whose output overflows gets an empty field and a warning, never "inf".
    write("huge.csv",
          "age,sex,bmi,bp,s1,s2,s3,s4,s5,s6\n"
          "59,2,3e38,3e38,3e38,3e38,3e38,3e38,3e38,3e38\n");
    Result h = run("predict --model " + model + " --data " + path("huge.csv"));
    ASSERT_EQ(h.code, 0) << h.output;
    EXPECT_TRUE(contains(h.output, "1 of 1 rows gave non-finite outputs")) << h.output;
    EXPECT_TRUE(contains(h.output, "\n0,\n")) << h.output;
    EXPECT_FALSE(contains(h.output, ",inf")) << h.output;
    // A confusion matrix needs classes.
    Result cm =
        run("eval --model " + model + " --data " + diabetes + " --confusion " + path("cm.txt"));
    EXPECT_EQ(cm.code, 1) << cm.output;
    EXPECT_TRUE(contains(cm.output, "is a regressor")) << cm.output;
    // A column the model does not take is named.
    write("extra.csv",
          "age,sex,bmi,bp,s1,s2,s3,s4,s5,s6,zip\n59,2,32.1,101,157,93.2,38,4,4.8598,"
          "87,12345\n");
    Result extra = run("predict --model " + model + " --data " + path("extra.csv"));
    EXPECT_EQ(extra.code, 1) << extra.output;
    EXPECT_TRUE(contains(extra.output, "the column 'zip' is not an input of the model"))
        << extra.output;
}

TEST_F(Regression, AResumedRunIsTheUninterruptedOne) {
    ASSERT_EQ(run(train_args + "--quiet --checkpoint-every 1 --out " + path("whole")).code, 0);
    ASSERT_EQ(
        run(train_args + "--quiet --checkpoint-every 1 --epochs 5 --out " + path("part")).code, 0);
    Result r = run("train --resume " + path("part") + " --epochs 12 --quiet");
    ASSERT_EQ(r.code, 0) << r.output;
    auto strip_seconds = [](const std::string& csv) {
        auto rows = csv_rows(csv);
        for (auto& row : rows) row.pop_back();
        return rows;
    };
    EXPECT_EQ(strip_seconds(ffnn_test::read_bytes(path("part/metrics.csv"))),
              strip_seconds(ffnn_test::read_bytes(path("whole/metrics.csv"))));
    const auto a = nlohmann::json::parse(ffnn_test::read_bytes(path("whole/summary.json")));
    const auto b = nlohmann::json::parse(ffnn_test::read_bytes(path("part/summary.json")));
    EXPECT_EQ(a["test_mse"], b["test_mse"]);
    EXPECT_EQ(a["test_targets"], b["test_targets"]);
}

// The model remembers the columns it was trained without: eval and predict on the training
// file itself need no --id-column or --ignore-columns again.
TEST_F(Regression, EvalOnTheTrainingFileNeedsNoColumnFlagsAgain) {
    std::string text = "patient,age,sex,bmi,bp,s1,s2,s3,s4,s5,s6,note,progression\n";
    const std::string csv = ffnn_test::read_bytes(diabetes);
    std::istringstream in(csv);
    std::string line;
    std::getline(in, line);
    for (int r = 0; std::getline(in, line) && r < 200; ++r) {
        const std::size_t last = line.rfind(',');
        text += "p" + std::to_string(r) + "," + line.substr(0, last) + ",n" + std::to_string(r) +
                line.substr(last) + "\n";
    }
    write("ids.csv", text);
    ASSERT_EQ(run(train_args + "--quiet --id-column patient --ignore-columns note --data " +
                  path("ids.csv") + " --out " + path("run"))
                  .code,
              0);
    Result e = run("eval --model " + path("run/model.safetensors") + " --data " + path("ids.csv"));
    EXPECT_EQ(e.code, 0) << e.output;
    EXPECT_TRUE(contains(e.output, "200 examples")) << e.output;
    Result p =
        run("predict --model " + path("run/model.safetensors") + " --data " + path("ids.csv"));
    ASSERT_EQ(p.code, 0) << p.output;
    EXPECT_EQ(csv_rows(p.output)[0],
              (std::vector<std::string>{"patient", "predicted_progression"}));
    EXPECT_EQ(csv_rows(p.output)[1][0], "p0");
}

TEST_F(Regression, SeveralTargetsGetALineEach) {
    // Two targets of the diabetes file's columns: progression and bmi (a feature no more).
    Result r = run(train_args + "--label progression,bmi --out " + path("run"));
    ASSERT_EQ(r.code, 0) << r.output;
    EXPECT_TRUE(contains(r.output, "9 features; regression on 2 targets (progression, bmi)"))
        << r.output;
    EXPECT_TRUE(contains(r.output, "(mean of the targets)")) << r.output;
    EXPECT_TRUE(contains(r.output, "  progression: MSE")) << r.output;
    EXPECT_TRUE(contains(r.output, "  bmi: MSE")) << r.output;
    Result p = run("predict --model " + path("run/model.safetensors") + " --data " + diabetes);
    ASSERT_EQ(p.code, 0) << p.output;
    EXPECT_EQ(csv_rows(p.output)[0],
              (std::vector<std::string>{"row", "predicted_progression", "predicted_bmi"}));
    // metrics.csv: the means, then each target's four, for each part.
    const auto metrics = csv_rows(ffnn_test::read_bytes(path("run/metrics.csv")));
    ASSERT_FALSE(metrics.empty());
    EXPECT_EQ(metrics[0].size(), 2u + 2 * (5 + 8) + 1);
    EXPECT_EQ(metrics[0][7], "train_progression_mse");
    EXPECT_EQ(metrics[0][14], "train_bmi_r2");
    EXPECT_EQ(metrics[0][15], "val_loss");
}
