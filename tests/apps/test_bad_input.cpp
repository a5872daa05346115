// The bad-input catalogue: what a user meets when a flag, a data file or a model file is wrong.
// Every case asserts the exit code (2: a bad flag, found before any data is read; 1: a bad
// file), the key words of the message (the file, line or flag, and what was expected), and
// that no model file (or predictions file) was written.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "app_runner.hpp"
#include "test_helpers.hpp"

namespace fs = std::filesystem;

namespace {

using ffnn::test::contains;
using ffnn::test::Result;
using ffnn::test::run;

class BadInput : public ffnn::test::AppTest {
  protected:
    BadInput() : AppTest("bad_input") {}
    const std::string iris = std::string(FFNN_SOURCE_DIR) + "/data/iris.csv";
};

struct Case {
    const char* what;
    const char* file;      // written into the test directory when not null
    std::string contents;  // of that file
    std::string args;      // "{dir}" stands for the test directory
    int code;
    std::vector<std::string> expected;  // in the output, "{dir}" again for the directory
};

std::string expand(std::string s, const std::string& dir) {
    for (std::size_t at; (at = s.find("{dir}")) != std::string::npos;) s.replace(at, 5, dir);
    return s;
}

// 50 cases: 23 flags (7 of them regression settings), 23 data files, 4 model and prediction
// inputs.
std::vector<Case> catalogue() {
    const std::string iris = std::string(FFNN_SOURCE_DIR) + "/data/iris.csv";
    std::string wide = "";  // 40 pixel columns and a label named 'digit'
    for (int i = 0; i < 40; ++i) wide += "p" + std::to_string(i) + ",";
    wide += "digit\n";
    for (int r = 0; r < 4; ++r) {
        for (int i = 0; i < 40; ++i) wide += std::to_string((r + i) % 7) + ",";
        wide += std::to_string(r % 2) + "\n";
    }
    const std::string train = "train --epochs 2 --out {dir}/run ";
    std::string score = "a,y\n";  // 1000 rows of a score 0..199
    for (int r = 0; r < 1000; ++r)
        score += std::to_string(r) + "," + std::to_string(r * 7 % 200) + "\n";
    const std::string nohdr =
        "5.1,3.5,1.4,0.2,setosa\n4.9,3.0,1.4,0.2,setosa\n"
        "7.0,3.2,4.7,1.4,versicolor\n6.4,3.2,4.5,1.5,versicolor\n";
    std::string fine = "a,y\n";      // y = 1e6 + a / 1000: float steps by 0.0625 there
    std::string names = "a,name\n";  // 150 rows, 150 names
    for (int r = 0; r < 150; ++r) {
        fine += std::to_string(r % 10) + ",1000000.00" + std::to_string(r % 10) + "\n";
        names += std::to_string(r) + ",n" + std::to_string(r) + "\n";
    }
    std::string reg = "a,b,y\n";  // 30 rows of y = a + b / 10 + 0.25, not integers
    for (int r = 0; r < 30; ++r)
        reg += std::to_string(r % 7) + "," + std::to_string(r) + "," +
               std::to_string(r % 7 + r / 10.0 + 0.25) + "\n";
    return {
        // ---- flags: exit 2, the flag named, nothing read ----
        {"zero epochs", nullptr, "", train + "--epochs 0", 2, {"--epochs", "at least 1, got 0"}},
        {"zero batch", nullptr, "", train + "--batch-size 0", 2, {"--batch-size", "positive"}},
        {"negative lr", nullptr, "", train + "--lr -1", 2, {"--lr", "positive and within float"}},
        {"an lr beyond float", nullptr, "", train + "--lr 1e39", 2, {"--lr", "float's range"}},
        {"splits leave no training data",
         nullptr,
         "",
         train + "--val-split 0.6 --test-split 0.5",
         2,
         {"--val-split", "must leave training data, got 0.6 + 0.5"}},
        {"unknown optimizer",
         nullptr,
         "",
         train + "--optimizer rmsprop",
         2,
         {"--optimizer", "unknown optimizer 'rmsprop'", "sgd, adam, adamw"}},
        {"softmax hidden layer",
         nullptr,
         "",
         train + "--activation softmax",
         2,
         {"--activation", "not a hidden-layer activation"}},
        {"nesterov without momentum",
         nullptr,
         "",
         train + "--nesterov --momentum 0",
         2,
         {"--nesterov", "positive momentum"}},
        {"two-character delimiter",
         nullptr,
         "",
         train + "--delimiter ';;'",
         2,
         {"--delimiter", "got ';;'"}},
        {"two-character comment",
         nullptr,
         "",
         train + "--comment //",
         2,
         {"--comment", "single character"}},
        {"zero-width layer",
         nullptr,
         "",
         train + "--hidden 0",
         2,
         {"--hidden", "positive layer widths"}},
        {"empty name in --ignore-columns",
         nullptr,
         "",
         train + "--ignore-columns a,,b",
         2,
         {"--ignore-columns", "empty column name"}},
        {"negative epochs", nullptr, "", train + "--epochs -1", 2, {"--epochs", "got '-1'"}},
        {"negative batch size",
         nullptr,
         "",
         train + "--batch-size -1",
         2,
         {"--batch-size", "whole number"}},
        {"an Adam setting for sgd names that setting",
         nullptr,
         "",
         train + "--optimizer sgd --beta2 0.99",
         2,
         {"--beta2", "sgd does not use it"}},
        {"an Adam setting for sgd at its default value",
         nullptr,
         "",
         train + "--beta1 0.9",
         2,
         {"--beta1", "sgd does not use it"}},
        // ---- regression settings: exit 2, the flag named ----
        {"several labels without --task regression",
         nullptr,
         "",
         train + "--data " + iris + " --label sepal_length,petal_width",
         2,
         {"--label", "regression targets", "--task regression"}},
        {"regression on a named classification data set",
         nullptr,
         "",
         train + "--task regression --dataset digits",
         2,
         {"--task", "regression needs a CSV file", "digits"}},
        {"class weights for regression",
         "r.csv",
         reg,
         train + "--data {dir}/r.csv --task regression --class-weight balanced",
         2,
         {"--class-weight", "a regression run has no classes"}},
        {"accuracy monitored in regression",
         "r.csv",
         reg,
         train + "--data {dir}/r.csv --task regression --monitor val_accuracy",
         2,
         {"--monitor", "classification metric"}},
        {"a target named twice",
         "r.csv",
         reg,
         train + "--data {dir}/r.csv --task regression --label y,y",
         2,
         {"--label", "target column 'y' is named twice"}},
        {"a sweep of regressors",
         "r.csv",
         reg,
         "sweep --epochs 1 --lr 0.1 --hidden 4 --out {dir}/run --data {dir}/r.csv --task "
         "regression",
         2,
         {"--task", "train each regression setting with ffnn train"}},
        {"explain of a regressor",
         "r.csv",
         reg,
         "explain --data {dir}/r.csv --task regression",
         2,
         {"--task", "traces a classifier's training step"}},
        // ---- data files: exit 1, the file (and line, column) named ----
        {"a regression target of words",
         "r.csv",
         reg + "7,8,big\n",
         train + "--data {dir}/r.csv --task regression",
         1,
         {"{dir}/r.csv:32, column 'y'", "expected a finite number, got 'big'"}},
        {"a regression target that is not a column",
         "r.csv",
         reg,
         train + "--data {dir}/r.csv --task regression --label price",
         1,
         {"{dir}/r.csv", "no numeric column 'price'", "a, b, y"}},
        {"a target below float's resolution",
         "fine.csv",
         fine,
         train + "--data {dir}/fine.csv --task regression",
         1,
         {"{dir}/fine.csv", "target column 'y' is constant as read", "float's step"}},
        {"names, one per row, as the label",
         "names.csv",
         names,
         train + "--data {dir}/names.csv",
         1,
         {"{dir}/names.csv", "nearly one class per example", "--id-column"}},
        {"a comment line without --comment",
         "c.csv",
         "# exported 2026-12-01\na,b,label\n1,2,x\n",
         train + "--data {dir}/c.csv",
         1,
         {"{dir}/c.csv:1", "is it a comment? --comment '#'"}},
        {"a continuous label trained as classes by default",
         "r.csv",
         reg,
         train + "--data {dir}/r.csv",
         1,
         {"{dir}/r.csv", "looks like a continuous target", "--task regression"}},
        {"an integer score of 200 values taken as classes",
         "score.csv",
         score,
         train + "--data {dir}/score.csv",
         1,
         {"{dir}/score.csv", "looks like a continuous target", "200 distinct values"}},
        {"Iris without its header",
         "nohdr.csv",
         nohdr,
         train + "--data {dir}/nohdr.csv",
         1,
         {"{dir}/nohdr.csv:1", "looks like data, not a header", "5.1, 3.5, 1.4, 0.2"}},
        {"missing data file",
         nullptr,
         "",
         train + "--data {dir}/absent.csv",
         1,
         {"cannot open '{dir}/absent.csv'"}},
        {"empty file",
         "empty.csv",
         "",
         train + "--data {dir}/empty.csv",
         1,
         {"{dir}/empty.csv: empty file"}},
        {"header only",
         "header.csv",
         "a,b,label\n",
         train + "--data {dir}/header.csv",
         1,
         {"{dir}/header.csv: no data rows after the header"}},
        {"blank line inside",
         "blank.csv",
         "a,b,label\n1,2,x\n\n3,4,y\n",
         train + "--data {dir}/blank.csv",
         1,
         {"{dir}/blank.csv:3: blank line inside the data"}},
        {"short row",
         "short.csv",
         "a,b,label\n1,2,x\n3,y\n",
         train + "--data {dir}/short.csv",
         1,
         {"{dir}/short.csv:3: expected 3 fields, got 2"}},
        {"missing value",
         "missing.csv",
         "a,b,label\n1,2,x\n3,,y\n",
         train + "--data {dir}/missing.csv",
         1,
         {"{dir}/missing.csv:3, column 'b': expected a finite number, got ''"}},
        {"overflowing value",
         "overflow.csv",
         "a,b,label\n1,2,x\n3,1e39,y\n",
         train + "--data {dir}/overflow.csv",
         1,
         {"{dir}/overflow.csv:3, column 'b': a number beyond float's range", "got '1e39'"}},
        {"unclosed quote",
         "quote.csv",
         "a,b,label\n1,\"2,x\n",
         train + "--data {dir}/quote.csv",
         1,
         {"{dir}/quote.csv:2: field 2: a quoted field is not closed on its line"}},
        {"quote inside a field",
         "inner.csv",
         "a,b,label\n1,2\"5,x\n",
         train + "--data {dir}/inner.csv",
         1,
         {"{dir}/inner.csv:2: field 2 (2\"5): a quote inside an unquoted field"}},
        {"duplicate column",
         "dup.csv",
         "a,a,label\n1,2,x\n",
         train + "--data {dir}/dup.csv",
         1,
         {"{dir}/dup.csv:1: duplicate column name 'a' (columns 1 and 2)"}},
        {"mistyped label among many columns",
         "wide.csv",
         wide,
         train + "--data {dir}/wide.csv --label Digt",
         1,
         {"{dir}/wide.csv:1: no label column 'Digt'", "the closest names: digit"}},
        {"ignored column that is not there",
         nullptr,
         "",
         train + "--data " + iris + " --ignore-columns colour",
         1,
         {"iris.csv:1: no ignored column 'colour'", "columns: sepal_length"}},
        {"id column that is the label",
         nullptr,
         "",
         train + "--data " + iris + " --label label --id-column label",
         1,
         {"iris.csv:1: column 'label' cannot be both the label and the id"}},
        {"semicolons with a forced comma",
         "semi.csv",
         "a;b;label\n1;2;x\n3;4;y\n",
         train + "--data {dir}/semi.csv --delimiter ,",
         1,
         {"{dir}/semi.csv:1: expected at least 2 columns", "--delimiter ';'"}},
        {"unknown key in a config file",
         "c.json",
         "{\"epochz\": 3}",
         train + "--config {dir}/c.json",
         2,
         {"{dir}/c.json: unknown key 'epochz'"}},
        // ---- model files and prediction input ----
        {"a CSV given as the model",
         nullptr,
         "",
         "predict --model " + iris + " --data " + iris + " --out {dir}/run/p.csv",
         1,
         {"iris.csv: not a safetensors file (header length 7.3e18 runs past the end"}},
        {"truncated model",
         "cut.safetensors",
         std::string("\x40\0\0\0\0\0\0\0{\"a\":", 13),
         "eval --model {dir}/cut.safetensors --data " + iris,
         1,
         {"{dir}/cut.safetensors: not a safetensors file (header length 64 runs past the end"}},
        {"model that is not a file",
         nullptr,
         "",
         "predict --model {dir} --data " + iris + " --out {dir}/run/p.csv",
         2,
         {"--model"}},
        {"model file that does not exist",
         nullptr,
         "",
         "predict --model {dir}/none.safetensors --data " + iris + " --out {dir}/run/p.csv",
         2,
         {"--model", "none.safetensors"}},
    };
}

}  // namespace

TEST_F(BadInput, EveryCaseExitsWithAMessageAndWritesNoModel) {
    const std::vector<Case> cases = catalogue();
    ASSERT_GE(cases.size(), 50u);
    for (const Case& c : cases) {
        SCOPED_TRACE(c.what);
        const std::string d = dir.string();
        if (c.file) write(c.file, c.contents);
        fs::remove_all(dir / "run");
        Result r = run(expand(c.args, d));
        EXPECT_EQ(r.code, c.code) << r.output;
        for (const std::string& e : c.expected)
            EXPECT_TRUE(contains(r.output, expand(e, d))) << "expected: " << expand(e, d) << "\n"
                                                          << r.output;
        EXPECT_FALSE(fs::exists(dir / "run" / "model.safetensors"));
        EXPECT_FALSE(fs::exists(dir / "run" / "p.csv"));
        // No crash and no stack trace: one error line, not an abort.
        EXPECT_FALSE(contains(r.output, "terminate called")) << r.output;
    }
}
