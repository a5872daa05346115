// The ffnn program as a user runs it: exit codes, messages and the files it writes.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "app_runner.hpp"
#include "ffnn/version.hpp"
#include "test_helpers.hpp"

namespace fs = std::filesystem;

namespace {

using ffnn::test::contains;
using ffnn::test::Result;
using ffnn::test::run;

class Cli : public ffnn::test::AppTest {
  protected:
    Cli() : AppTest("cli") {}
    const std::string iris = std::string(FFNN_SOURCE_DIR) + "/data/iris.csv";
};

}  // namespace

TEST_F(Cli, TrainWithNoFlagsTrainsIrisAndWritesTheRun) {
    // Run from the test directory: the shipped data is found without flags.
    Result r = run("train --out " + path("run"));
    ASSERT_EQ(r.code, 0) << r.output;
    EXPECT_TRUE(contains(r.output, "105 train, 15 validation, 30 test")) << r.output;
    EXPECT_TRUE(contains(r.output, "epoch 100/100")) << r.output;
    EXPECT_TRUE(contains(r.output, "confusion matrix")) << r.output;
    EXPECT_TRUE(contains(r.output, "virginica")) << r.output;
    std::ifstream s(path("run/summary.json"));
    nlohmann::json j = nlohmann::json::parse(s);
    EXPECT_GE(j["test_accuracy"].get<double>(), 0.93);
    EXPECT_EQ(j["config"]["hidden"][0], 16);
    EXPECT_EQ(j["ffnn_version"], FFNN_VERSION);
    std::ifstream m(path("run/metrics.csv"));
    std::string header;
    std::getline(m, header);
    EXPECT_EQ(header, "epoch,lr,train_loss,train_accuracy,val_loss,val_accuracy,seconds");
    int rows = 0;
    for (std::string line; std::getline(m, line);) ++rows;
    EXPECT_EQ(rows, 100);
    EXPECT_TRUE(fs::exists(path("run/model.safetensors")));
    // Nothing temporary is left behind by the atomic writes.
    EXPECT_EQ(ffnn_test::leftover_temporaries(path("run")), std::vector<std::string>{});
}

// A run directory describes one run: a diverged run into a directory used before leaves no
// model of the earlier run beside its "diverged" summary.
TEST_F(Cli, DivergedRunInAReusedDirectoryLeavesNoStaleModel) {
    ASSERT_EQ(run("train --epochs 2 --out " + path("run")).code, 0);
    ASSERT_TRUE(fs::exists(path("run/model.safetensors")));
    Result r = run("train --lr 100 --out " + path("run"));
    EXPECT_EQ(r.code, 1) << r.output;
    EXPECT_TRUE(contains(r.output, "removed the files of an earlier run")) << r.output;
    EXPECT_TRUE(contains(r.output, "model.safetensors")) << r.output;
    EXPECT_FALSE(fs::exists(path("run/model.safetensors")));
    EXPECT_TRUE(contains(ffnn_test::read_bytes(path("run/summary.json")), "\"diverged\": true"));
}

// A fresh run into a directory an earlier run used removes all of that run's files: its best
// model and checkpoint would otherwise describe another network, and --resume would continue
// the earlier run.
TEST_F(Cli, AFreshRunInAReusedDirectoryRemovesTheEarlierRunsFiles) {
    ASSERT_EQ(run("train --epochs 3 --save-best --checkpoint-every 1 --out " + path("run")).code,
              0);
    ASSERT_TRUE(fs::exists(path("run/best.safetensors")));
    ASSERT_TRUE(fs::exists(path("run/checkpoint.safetensors")));
    Result r = run("train --epochs 2 --hidden 4 --out " + path("run"));
    ASSERT_EQ(r.code, 0) << r.output;
    EXPECT_TRUE(contains(r.output, "removed the files of an earlier run")) << r.output;
    EXPECT_TRUE(contains(r.output, "best.safetensors, checkpoint.safetensors")) << r.output;
    EXPECT_FALSE(fs::exists(path("run/best.safetensors")));
    EXPECT_FALSE(fs::exists(path("run/checkpoint.safetensors")));
    EXPECT_TRUE(fs::exists(path("run/model.safetensors")));
    Result resume = run("train --resume " + path("run"));
    EXPECT_NE(resume.code, 0) << resume.output;
    // A directory with no sign of an earlier run (no summary, model or checkpoint) is not
    // cleared: its confusion.txt is a user's own.
    fs::create_directories(path("mine"));
    write("mine/confusion.txt", "my own\n");
    Result r2 = run("train --epochs 1 --out " + path("mine"));
    ASSERT_EQ(r2.code, 0) << r2.output;
    EXPECT_FALSE(contains(r2.output, "removed the files")) << r2.output;
    EXPECT_EQ(ffnn_test::read_bytes(path("mine/confusion.txt")), "my own\n");
}

// Digits trained on its last pixel as the label (17 "classes", mostly 0) reaches 0.94, the
// rate of always answering 0: the trainer says so, and names the classes the test part lacks.
TEST_F(Cli, AnAccuracyNoBetterThanTheMajorityClassIsWarnedAbout) {
    const std::string digits = std::string(FFNN_SOURCE_DIR) + "/data/digits.csv";
    Result r = run("train --data " + digits + " --label p63 --epochs 3 --out " + path("run"));
    ASSERT_EQ(r.code, 0) << r.output;
    EXPECT_TRUE(contains(r.output, "is no better than answering the most frequent class, '0'"))
        << r.output;
    EXPECT_TRUE(contains(r.output, "is --label 'p63' the column you meant?")) << r.output;
    EXPECT_TRUE(contains(r.output, "no test example of the classes")) << r.output;
    Result ok = run("train --epochs 3 --out " + path("iris"));
    ASSERT_EQ(ok.code, 0) << ok.output;
    EXPECT_FALSE(contains(ok.output, "most frequent class")) << ok.output;
    // --step-size counts epochs of the step schedule only.
    EXPECT_EQ(run("train --epochs 1 --step-size 0 --out " + path("c")).code, 0);
    Result step = run("train --epochs 1 --schedule step --step-size 0 --out " + path("s"));
    EXPECT_EQ(step.code, 2) << step.output;
    EXPECT_TRUE(contains(step.output, "--step-size: step_size must be a positive number of epochs"))
        << step.output;
}

// Without a validation or a test part, no column of NaN and no "0 of 0" accuracy.
TEST_F(Cli, EmptySplitPartsAreSaidNotPrintedAsNumbers) {
    Result r = run("train --epochs 3 --val-split 0 --test-split 0 --out " + path("run"));
    ASSERT_EQ(r.code, 0) << r.output;
    EXPECT_FALSE(contains(r.output, "nan")) << r.output;
    EXPECT_FALSE(contains(r.output, "val loss")) << r.output;
    EXPECT_FALSE(contains(r.output, "(0 of 0)")) << r.output;
    EXPECT_TRUE(contains(r.output, "no test set")) << r.output;
    EXPECT_FALSE(contains(ffnn_test::read_bytes(path("run/metrics.csv")), "val_"));
    EXPECT_FALSE(contains(ffnn_test::read_bytes(path("run/metrics.csv")), "nan"));
}

// The label column's name is the one the CSV reader found, trimmed: a header "a, b, label"
// gives a model whose eval and predict work on the very file it was trained on.
TEST_F(Cli, LabelColumnWithSpacesInTheHeaderRoundTrips) {
    std::string text = "sl, sw, pl, pw, species\n";
    std::ifstream in(iris);
    std::string line;
    std::getline(in, line);
    while (std::getline(in, line)) text += line + "\n";
    ffnn_test::write_bytes(path("spaced.csv"), text);
    ASSERT_EQ(run("train --epochs 5 --data " + path("spaced.csv") + " --out " + path("run")).code,
              0);
    Result e =
        run("eval --model " + path("run/model.safetensors") + " --data " + path("spaced.csv"));
    EXPECT_EQ(e.code, 0) << e.output;
    Result p =
        run("predict --model " + path("run/model.safetensors") + " --data " + path("spaced.csv"));
    EXPECT_EQ(p.code, 0) << p.output;
    EXPECT_TRUE(contains(p.output, "row,predicted,label,p_setosa")) << p.output;
}

// Data that would train the wrong task is refused before training, with the reason, exit 1
// and no model file; the data line names the label column and its classes.
TEST_F(Cli, DataThatWouldTrainTheWrongTaskIsRefused) {
    struct Case {
        const char* what;
        std::string csv;
        const char* expected;
    };
    std::string regression = "x,y\n";
    for (int i = 0; i < 300; ++i)
        regression += std::to_string(i) + "," + std::to_string(i * 0.37 + 1.25) + "\n";
    std::string one_class = "a,b,label\n";
    for (int i = 0; i < 20; ++i) one_class += std::to_string(i) + ",1,setosa\n";
    const std::vector<Case> cases = {
        {"continuous target", regression, "looks like a continuous target"},
        {"single class", one_class, "has a single class ('setosa')"},
        // One example per class: the split's leftover rule leaves one class out of training.
        {"too few examples", "a,b,label\n1,2,setosa\n1,5,versicolor\n9,9,virginica\n",
         "has 1 example and the split"},
        {"no header", "5.1,3.5,1.4,0.2\n4.9,3.0,1.4,0.2\n", "the first row is all numbers"},
    };
    for (const Case& c : cases) {
        SCOPED_TRACE(c.what);
        const std::string file = path("bad.csv"), out = path(std::string("run-") + c.what);
        ffnn_test::write_bytes(file, c.csv);
        Result r = run("train --epochs 2 --data " + file + " --out '" + out + "'");
        EXPECT_EQ(r.code, 1) << r.output;
        EXPECT_TRUE(contains(r.output, c.expected)) << r.output;
        EXPECT_TRUE(contains(r.output, file)) << r.output;
        EXPECT_FALSE(fs::exists(out + "/model.safetensors"));
    }
    // Forced, the continuous target trains as 300 classes (what the user asked for).
    ffnn_test::write_bytes(path("reg.csv"), regression);
    Result forced =
        run("train --epochs 1 --task classification --val-split 0 --test-split 0 "
            "--data " +
            path("reg.csv") + " --out " + path("forced"));
    EXPECT_EQ(forced.code, 0) << forced.output.substr(0, 2000);
    // The data line says which column is the label.
    Result ok = run("train --epochs 1 --out " + path("iris-run"));
    EXPECT_TRUE(contains(ok.output, "4 features; label 'label': 3 classes (setosa")) << ok.output;
}

TEST_F(Cli, EvalAndPredictUseTheSavedModel) {
    ASSERT_EQ(run("train --epochs 30 --out " + path("run")).code, 0);
    Result e = run("eval --model " + path("run/model.safetensors") + " --data " + iris);
    ASSERT_EQ(e.code, 0) << e.output;
    EXPECT_TRUE(contains(e.output, "150 examples")) << e.output;
    EXPECT_TRUE(contains(e.output, "precision")) << e.output;
    Result p = run("predict --model " + path("run/model.safetensors") + " --data " + iris +
                   " --out " + path("p.csv"));
    ASSERT_EQ(p.code, 0) << p.output;
    std::ifstream f(path("p.csv"));
    std::string header;
    std::getline(f, header);
    EXPECT_EQ(header, "row,predicted,label,p_setosa,p_versicolor,p_virginica");
    // Rows without a label column, features in another order.
    write("x.csv",
          "petal_width,petal_length,sepal_width,sepal_length\n0.2,1.4,3.5,5.1\n2.3,5.4,3.0,6.2\n");
    Result q = run("predict --model " + path("run/model.safetensors") + " --data " + path("x.csv"));
    ASSERT_EQ(q.code, 0) << q.output;
    EXPECT_TRUE(contains(q.output, "row,predicted,p_setosa")) << q.output;
    EXPECT_TRUE(contains(q.output, "0,setosa,")) << q.output;
    EXPECT_TRUE(contains(q.output, "1,virginica,")) << q.output;
}

// A feature value far outside the training range overflows to inf and NaN: predict leaves the
// class empty and says why, eval counts the row as wrong and says so; neither says class 0.
TEST_F(Cli, NonFiniteOutputsAreReportedNotPredictedAsAClass) {
    ASSERT_EQ(run("train --epochs 30 --out " + path("run")).code, 0);
    write("x.csv",
          "sepal_length,sepal_width,petal_length,petal_width,label\n5.1,3.5,1.4,0.2,setosa\n"
          "3e38,-3e38,3e38,-3e38,setosa\n");
    Result p = run("predict --model " + path("run/model.safetensors") + " --data " + path("x.csv"));
    ASSERT_EQ(p.code, 0) << p.output;
    EXPECT_TRUE(contains(p.output, "0,setosa,setosa,")) << p.output;
    EXPECT_TRUE(contains(p.output, "\n1,,setosa,")) << p.output;
    EXPECT_TRUE(contains(p.output, "1 of 2 rows gave non-finite outputs")) << p.output;
    EXPECT_TRUE(contains(p.output, "the first is data row 1, counted from 0")) << p.output;
    EXPECT_TRUE(contains(p.output, "too far outside the training data's range")) << p.output;
    Result e = run("eval --model " + path("run/model.safetensors") + " --data " + path("x.csv"));
    ASSERT_EQ(e.code, 0) << e.output;
    EXPECT_TRUE(contains(e.output, "(1 of 2)")) << e.output;
    EXPECT_TRUE(contains(e.output, "1 of 2 examples have no prediction")) << e.output;
}

// 25 classes: the terminal gets a summary (no 25-column matrix), the run directory the
// full matrix; eval does the same with --confusion.
TEST_F(Cli, WideConfusionMatricesGoToAFile) {
    std::string text = "x0,x1,label\n";
    for (int k = 0; k < 25; ++k)
        for (int i = 0; i < 8; ++i)
            text += std::to_string(k) + "." + std::to_string(i) + "," + std::to_string(k % 5) +
                    ",c" + std::to_string(k) + "\n";
    write("wide.csv", text);
    Result t = run("train --data " + path("wide.csv") + " --epochs 3 --test-split 0.5 --out " +
                   path("run"));
    ASSERT_EQ(t.code, 0) << t.output;
    EXPECT_TRUE(contains(t.output, "25 classes, 100 examples: accuracy")) << t.output;
    EXPECT_TRUE(contains(t.output, "lowest F1:")) << t.output;
    EXPECT_TRUE(contains(t.output, "full matrix in " + path("run") + "/confusion.txt")) << t.output;
    EXPECT_FALSE(contains(t.output, "true\\pred")) << t.output;
    EXPECT_TRUE(contains(ffnn_test::read_bytes(path("run/confusion.txt")), "true\\pred"));
    Result e = run("eval --model " + path("run/model.safetensors") + " --data " + path("wide.csv") +
                   " --confusion " + path("cm.txt"));
    ASSERT_EQ(e.code, 0) << e.output;
    EXPECT_TRUE(contains(e.output, "25 classes, 200 examples")) << e.output;
    EXPECT_TRUE(contains(ffnn_test::read_bytes(path("cm.txt")), "precision"));
    // A later run with few classes in the same directory leaves no stale matrix behind.
    ASSERT_EQ(run("train --epochs 2 --out " + path("run")).code, 0);
    EXPECT_FALSE(fs::exists(path("run/confusion.txt")));
}

// A CSV as spreadsheets export it: ';' between fields, quoted names, a comment line, an id
// column and a free-text column. Train detects the delimiter; predict reads standard input,
// writes the ids beside the predictions and passes over an unknown label.
TEST_F(Cli, CsvDialectsTrainAndPredict) {
    std::string text =
        "# measured 2026-11\n\"id\";sepal_length;sepal_width;petal_length;"
        "petal_width;\"note\";label\n";
    const std::string iris_text = ffnn_test::read_bytes(iris);
    std::istringstream lines(iris_text);
    std::string line;
    std::getline(lines, line);  // iris header
    for (int row = 0; std::getline(lines, line); ++row) {
        for (char& c : line)
            if (c == ',') c = ';';
        const std::size_t last = line.rfind(';');
        text += "r" + std::to_string(row) + ";" + line.substr(0, last) + ";\"free; text\";" +
                line.substr(last + 1) + "\n";
    }
    write("semi.csv", text);
    Result t =
        run("train --data " + path("semi.csv") +
            " --comment '#' --id-column id --ignore-columns note --epochs 30 --out " + path("run"));
    ASSERT_EQ(t.code, 0) << t.output;
    EXPECT_TRUE(contains(t.output, "4 features; label 'label'")) << t.output;
    EXPECT_TRUE(contains(t.output, "fields separated by ';'")) << t.output;
    // The dialect is part of the run's configuration, and the summary's config runs again.
    const auto summary = nlohmann::json::parse(ffnn_test::read_bytes(path("run/summary.json")));
    EXPECT_EQ(summary["config"]["comment"], "#");
    EXPECT_EQ(summary["config"]["id_column"], "id");
    EXPECT_EQ(summary["config"]["ignore_columns"], nlohmann::json::array({"note"}));
    write("new.csv",
          "id;petal_width;petal_length;sepal_width;sepal_length;note;label\n"
          "a;0.2;1.4;3.5;5.1;x;setosa\nb;2.3;5.4;3.0;6.2;y;rose\n\"c;d\";2.3;5.4;3.0;6.2;z;\n");
    Result p = run("predict --model " + path("run/model.safetensors") +
                   " --id-column id --ignore-columns note --data - < " + path("new.csv"));
    ASSERT_EQ(p.code, 0) << p.output;
    EXPECT_TRUE(contains(p.output, "id,predicted,label,p_setosa")) << p.output;
    EXPECT_TRUE(contains(p.output, "\na,setosa,setosa,")) << p.output;
    EXPECT_TRUE(contains(p.output, "\nb,virginica,,")) << p.output;
    EXPECT_TRUE(contains(p.output, "\n\"c;d\",virginica,,")) << p.output;
    EXPECT_TRUE(contains(p.output,
                         "note: 2 of 3 rows have an empty label or one the model does "
                         "not know"))
        << p.output;
    // The model was trained without note and id: it passes over them without the flags.
    Result q =
        run("predict --model " + path("run/model.safetensors") + " --data " + path("new.csv"));
    EXPECT_EQ(q.code, 0) << q.output;
    EXPECT_TRUE(contains(q.output, "\na,setosa,setosa,")) << q.output;
    // A column it does not know is named, with the way out.
    write("newer.csv",
          "id;petal_width;petal_length;sepal_width;sepal_length;note;colour;label\n"
          "a;0.2;1.4;3.5;5.1;x;red;setosa\n");
    Result u =
        run("predict --model " + path("run/model.safetensors") + " --data " + path("newer.csv"));
    EXPECT_EQ(u.code, 1) << u.output;
    EXPECT_TRUE(contains(u.output, "newer.csv:1: unexpected column 'colour'")) << u.output;
    EXPECT_TRUE(contains(u.output, "--ignore-columns colour")) << u.output;
    // A bad delimiter is a usage error, found before any data is read.
    Result r = run("train --data " + path("semi.csv") + " --delimiter ';;'");
    EXPECT_EQ(r.code, 2) << r.output;
    EXPECT_TRUE(contains(r.output, "--delimiter")) << r.output;
}

TEST_F(Cli, JsonConfigSetsFlagsAndTheCommandLineWins) {
    write(
        "c.json",
        R"({"hidden": [8, 4], "epochs": 7, "lr": 0.1, "activation": "tanh", "no_standardize": true})");
    Result r = run("train --config " + path("c.json") + " --epochs 3 --out " + path("run"));
    ASSERT_EQ(r.code, 0) << r.output;
    EXPECT_TRUE(contains(r.output, "4 -> 8 (tanh) -> 4 (tanh) -> 3")) << r.output;
    EXPECT_TRUE(contains(r.output, "epoch   3/3")) << r.output;
    std::ifstream s(path("run/summary.json"));
    nlohmann::json j = nlohmann::json::parse(s);
    EXPECT_EQ(j["config"]["standardize"], false);
    EXPECT_EQ(j["config"]["lr"], 0.1);

    write("bad.json", R"({"hiden": [8]})");
    Result b = run("train --config " + path("bad.json"));
    EXPECT_EQ(b.code, 2);
    EXPECT_TRUE(contains(b.output, "bad.json: unknown key 'hiden'")) << b.output;
    write("broken.json", "{\"lr\": ");
    Result c = run("train --config " + path("broken.json"));
    EXPECT_EQ(c.code, 2);
    EXPECT_TRUE(contains(c.output, "broken.json: not valid JSON")) << c.output;
}

TEST_F(Cli, BadFlagsExitWithUsageErrors) {
    Result r = run("train --bogus");
    EXPECT_EQ(r.code, 2);
    EXPECT_TRUE(contains(r.output, "--bogus")) << r.output;
    Result o = run("train --optimizer rmsprop");
    EXPECT_EQ(o.code, 2);
    EXPECT_TRUE(contains(o.output, "rmsprop")) << o.output;
    // Values parsed into library types are bad flags too (exit 2), found before any data.
    Result h = run("train --hidden 4,x --out " + path("run"));
    EXPECT_EQ(h.code, 2);
    EXPECT_TRUE(contains(h.output, "--hidden: expected positive layer widths")) << h.output;
    Result a = run("train --activation swish --out " + path("run"));
    EXPECT_EQ(a.code, 2);
    EXPECT_TRUE(contains(a.output, "swish")) << a.output;
    // A value out of its range: the library names the field, the CLI names the flag.
    Result lr = run("train --lr -1 --out " + path("run"));
    EXPECT_EQ(lr.code, 2);
    EXPECT_TRUE(contains(lr.output, "--lr: lr must be positive and within float")) << lr.output;
    Result mom = run("train --optimizer adam --momentum 0.9 --out " + path("run"));
    EXPECT_EQ(mom.code, 2);
    EXPECT_TRUE(contains(mom.output, "--momentum: momentum and nesterov are SGD's")) << mom.output;
    Result sm = run("train --activation softmax --out " + path("run"));
    EXPECT_EQ(sm.code, 2);
    EXPECT_TRUE(contains(sm.output, "--activation: softmax is not a hidden-layer activation"))
        << sm.output;
    EXPECT_FALSE(fs::exists(path("run") + "/model.safetensors"));
    EXPECT_EQ(run("").code, 2);
    EXPECT_EQ(run("train --help").code, 0);
    EXPECT_EQ(run("gradcheck --help").code, 0);
}

TEST_F(Cli, MalformedCsvNamesFileLineAndColumn) {
    write("short.csv", "a,b,label\n1,2,x\n3,y\n");
    Result r = run("train --data " + path("short.csv") + " --out " + path("run"));
    EXPECT_EQ(r.code, 1);
    EXPECT_TRUE(contains(r.output, "short.csv:3")) << r.output;
    EXPECT_TRUE(contains(r.output, "expected 3 fields, got 2")) << r.output;
    write("nan.csv", "a,b,label\n1,2,x\n3,abc,y\n");
    Result n = run("train --data " + path("nan.csv") + " --out " + path("run"));
    EXPECT_EQ(n.code, 1);
    EXPECT_TRUE(contains(n.output, "nan.csv:3")) << n.output;
    EXPECT_TRUE(contains(n.output, "'b'")) << n.output;
    Result m = run("train --data " + path("missing.csv"));
    EXPECT_EQ(m.code, 1);
    EXPECT_TRUE(contains(m.output, "missing.csv")) << m.output;
    Result l = run("train --label species --data " + iris + " --out " + path("run"));
    EXPECT_EQ(l.code, 1);
    EXPECT_TRUE(contains(l.output, "species")) << l.output;
}

TEST_F(Cli, DivergenceStopsWithTheEpoch) {
    Result r = run("train --lr 100 --out " + path("run"));
    EXPECT_EQ(r.code, 1);
    EXPECT_TRUE(contains(r.output, "diverged at epoch")) << r.output;
    EXPECT_TRUE(contains(r.output, "learning rate 100")) << r.output;
    EXPECT_FALSE(fs::exists(path("run/model.safetensors")));
    std::ifstream s(path("run/summary.json"));
    nlohmann::json j = nlohmann::json::parse(s);
    EXPECT_EQ(j["diverged"], true);
    EXPECT_TRUE(j["test_accuracy"].is_null());
}

TEST_F(Cli, CorruptModelIsAClearError) {
    write("junk.safetensors", "this is not a model");
    Result r = run("eval --model " + path("junk.safetensors") + " --data " + iris);
    EXPECT_EQ(r.code, 1);
    EXPECT_TRUE(contains(r.output, "junk.safetensors")) << r.output;
}

TEST_F(Cli, GradcheckPassesAndFailsByTolerance) {
    Result r = run("gradcheck --hidden 5,7 --activation tanh");
    EXPECT_EQ(r.code, 0) << r.output;
    EXPECT_TRUE(contains(r.output, "layers.0.W")) << r.output;
    EXPECT_TRUE(contains(r.output, "PASS")) << r.output;
    // An absurd tolerance must make the same check fail: the exit code follows the numbers.
    Result f = run("gradcheck --hidden 5 --activation sigmoid --tolerance 1e-30");
    EXPECT_EQ(f.code, 1) << f.output;
    EXPECT_TRUE(contains(f.output, "FAIL")) << f.output;
}
