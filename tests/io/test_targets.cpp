// Regression data: target columns taken out of a CSV read as numbers only, the shipped
// diabetes data, and the rows a split selects.
#include <gtest/gtest.h>

#include "ffnn/io/csv.hpp"
#include "ffnn/io/dataset.hpp"
#include "test_helpers.hpp"

namespace ffnn {
namespace {

Dataset numbers(const std::string& text) {
    CsvOptions opt;
    opt.label_required = false;  // no label column: every column is a number
    return parse_csv(text, "r.csv", opt);
}

TEST(Targets, ColumnsMoveFromTheFeaturesInTheOrderGiven) {
    Dataset d = numbers("y2,a,y1,b\n10,1,100,2\n20,3,200,4\n");
    take_target_columns(d, {"y1", "y2"});
    EXPECT_EQ(d.feature_names, (std::vector<std::string>{"a", "b"}));
    EXPECT_EQ(d.target_names, (std::vector<std::string>{"y1", "y2"}));
    ASSERT_EQ(d.X.shape(), (Shape{2, 2}));
    ASSERT_EQ(d.targets.shape(), (Shape{2, 2}));
    EXPECT_EQ(d.X(1, 0), 3.f);
    EXPECT_EQ(d.X(1, 1), 4.f);
    EXPECT_EQ(d.targets(0, 0), 100.f);
    EXPECT_EQ(d.targets(1, 1), 20.f);
    EXPECT_TRUE(d.has_targets());
    EXPECT_FALSE(d.has_labels());
    check_dataset(d, "r.csv");
    // Rows selected keep their targets.
    const std::vector<std::size_t> rows = {1};
    Dataset s = select_rows(d, rows);
    ASSERT_EQ(s.targets.shape(), (Shape{1, 2}));
    EXPECT_EQ(s.targets(0, 0), 200.f);
    EXPECT_EQ(s.target_names, d.target_names);
}

TEST(Targets, BadChoicesAreNamed) {
    Dataset d = numbers("a,y\n1,2\n");
    EXPECT_THROW_CONTAINS(take_target_columns(d, {"z"}), std::invalid_argument,
                          "r.csv: no numeric column 'z' for the target (columns: a, y)");
    EXPECT_THROW_CONTAINS(take_target_columns(d, {"y", "y"}), std::invalid_argument,
                          "'y' is named twice");
    EXPECT_THROW_CONTAINS(take_target_columns(d, {"a", "y"}), std::invalid_argument,
                          "no feature is left");
    EXPECT_THROW(take_target_columns(d, {}), std::invalid_argument);
    // A target that is not a number fails in the reader, naming line and column.
    EXPECT_THROW_CONTAINS(numbers("a,y\n1,high\n"), std::runtime_error,
                          "r.csv:2, column 'y': expected a finite number, got 'high'");
}

TEST(Targets, ShippedDiabetesData) {
    CsvOptions opt;
    opt.label_required = false;
    Dataset d = read_csv(std::string(FFNN_SOURCE_DIR) + "/data/diabetes.csv", opt);
    take_target_columns(d, {"progression"});
    ASSERT_EQ(d.X.shape(), (Shape{442, 10}));
    EXPECT_EQ(d.feature_names.front(), "age");
    EXPECT_EQ(d.feature_names.back(), "s6");
    // The first row of the file: age 59, ..., s6 87, progression 151.
    EXPECT_EQ(d.X(0, 0), 59.f);
    EXPECT_EQ(d.X(0, 9), 87.f);
    EXPECT_EQ(d.targets(0, 0), 151.f);
    double sum = 0;
    for (std::size_t i = 0; i < d.size(); ++i) sum += d.targets(i, 0);
    EXPECT_NEAR(sum / 442, 152.133, 1e-3);  // the documented mean of the target
}

}  // namespace
}  // namespace ffnn
