// Standardizer: fitted on the training rows only, mean ~0 and std ~1 there afterwards,
// constant columns kept finite, restore from saved mean and scale, shape checks.
#include <gtest/gtest.h>

#include <cmath>

#include "ffnn/io/csv.hpp"
#include "ffnn/io/split.hpp"
#include "ffnn/io/standardize.hpp"
#include "test_helpers.hpp"

using namespace ffnn;

namespace {

// Column mean and population std over the listed rows, in double: an independent check.
void column_stats(const Tensor<float>& X, const std::vector<std::size_t>& rows, std::size_t j,
                  double& mean, double& sd) {
    double s = 0, q = 0;
    for (std::size_t i : rows) s += X.at(i, j);
    mean = s / static_cast<double>(rows.size());
    for (std::size_t i : rows) q += (X.at(i, j) - mean) * (X.at(i, j) - mean);
    sd = std::sqrt(q / static_cast<double>(rows.size()));
}

}  // namespace

TEST(DataStandardize, FitsOnTrainRowsOnly) {
    Dataset iris = read_csv(std::string(FFNN_SOURCE_DIR) + "/data/iris.csv");
    SplitIndices split = stratified_split(iris.labels, 0.1, 0.2, 5);
    Standardizer st;
    st.fit(iris.X, split.train);
    ASSERT_TRUE(st.fitted());
    EXPECT_EQ(st.mean().shape(), Shape({4}));
    EXPECT_EQ(st.scale().shape(), Shape({4}));
    // The fitted statistics are those of the train rows, not of all rows.
    for (std::size_t j = 0; j < 4; ++j) {
        double m, sd;
        column_stats(iris.X, split.train, j, m, sd);
        // float storage of a double statistic: 1e-6 relative covers the rounding.
        EXPECT_NEAR(st.mean()[j], m, 1e-6 * std::abs(m));
        EXPECT_NEAR(st.scale()[j], sd, 1e-6 * sd);
    }
    st.transform(iris.X);
    for (std::size_t j = 0; j < 4; ++j) {
        double m, sd;
        column_stats(iris.X, split.train, j, m, sd);
        // Values ~1 in float after one subtraction and one division: 1e-5 is ~100 ulps.
        EXPECT_NEAR(m, 0.0, 1e-5) << "feature " << j;
        EXPECT_NEAR(sd, 1.0, 1e-5) << "feature " << j;
        // The test rows were not fitted: their mean is not exactly 0.
        column_stats(iris.X, split.test, j, m, sd);
        EXPECT_GT(std::abs(m), 1e-4) << "feature " << j;
    }
}

TEST(DataStandardize, ConstantColumnGetsScaleOne) {
    Tensor<float> X = {{1.0f, 5.0f, 0.1f}, {2.0f, 5.0f, 0.1f}, {3.0f, 5.0f, 0.1f}};
    Standardizer st;
    st.fit(X);
    EXPECT_EQ(st.scale()[1], 1.0f);
    EXPECT_EQ(st.scale()[2], 1.0f);  // 0.1 three times: its double mean is not exactly 0.1f
    st.transform(X);
    for (std::size_t i = 0; i < 3; ++i) {
        EXPECT_EQ(X.at(i, 1), 0.0f);
        EXPECT_TRUE(std::isfinite(X.at(i, 2)));
        EXPECT_NEAR(X.at(i, 2), 0.0f, 1e-7);  // within float rounding of 0.1
    }
    // Digits: pixel p0 is 0 in every image.
    Dataset digits = read_csv(std::string(FFNN_SOURCE_DIR) + "/data/digits.csv");
    Standardizer sd;
    sd.fit(digits.X);
    EXPECT_EQ(sd.mean()[0], 0.0f);
    EXPECT_EQ(sd.scale()[0], 1.0f);
    sd.transform(digits.X);
    for (float v : digits.X) ASSERT_TRUE(std::isfinite(v));
}

// The scale of the units does not matter: Iris in units of 1e-8 and of 1e8 standardises to
// the same values as in the original units, up to float rounding (relative 1e-5 covers the
// ~100 ulps of one subtraction and one division of values ~1). Before the rule was made
// relative to the column alone, the 1e-8 version kept scale 1 and trained at chance.
TEST(DataStandardize, TinyAndHugeUnitsStandardiseAsTheOriginal) {
    Dataset iris = read_csv(std::string(FFNN_SOURCE_DIR) + "/data/iris.csv");
    Tensor<float> ref = iris.X.clone();
    Standardizer st;
    st.fit(ref);
    st.transform(ref);
    for (float unit : {1e-8f, 1e8f}) {
        SCOPED_TRACE(unit);
        Tensor<float> x = iris.X.clone();
        for (float& v : x) v *= unit;
        Standardizer su;
        su.fit(x);
        for (std::size_t j = 0; j < 4; ++j) EXPECT_NE(su.scale()[j], 1.0f) << "feature " << j;
        su.transform(x);
        for (std::size_t i = 0; i < x.size(); ++i)
            ASSERT_NEAR(x.data()[i], ref.data()[i], 1e-5f * std::max(1.0f, std::abs(ref.data()[i])))
                << "element " << i;
    }
}

TEST(DataStandardize, RestoreFromSavedStatisticsAndInverse) {
    Tensor<float> X = {{1.0f, 10.0f}, {3.0f, 30.0f}, {8.0f, -4.0f}};
    Standardizer st;
    st.fit(X);
    Standardizer restored(st.mean().clone(), st.scale().clone());
    Tensor<float> a = X.clone(), b = X.clone();
    st.transform(a);
    restored.transform(b);
    EXPECT_EQ(a.to_vector(), b.to_vector());  // the same arithmetic on the same numbers
    restored.inverse_transform(b);
    for (std::size_t i = 0; i < X.size(); ++i)
        EXPECT_NEAR(b[i], X[i], 1e-5 * std::max(1.0f, std::abs(X[i])));
}

TEST(DataStandardize, Errors) {
    Standardizer st;
    Tensor<float> X = {{1.0f, 2.0f}};
    EXPECT_THROW_CONTAINS(st.transform(X), std::logic_error, "not fitted");
    std::vector<std::size_t> none;
    EXPECT_THROW_CONTAINS(st.fit(X, none), std::invalid_argument, "no rows");
    std::vector<std::size_t> out_of_range = {3};
    EXPECT_THROW_CONTAINS(st.fit(X, out_of_range), std::out_of_range, "row 3");
    st.fit(X);
    Tensor<float> wrong = {{1.0f, 2.0f, 3.0f}};
    EXPECT_THROW_CONTAINS(st.transform(wrong), std::invalid_argument, "1x3", "2 features");
    EXPECT_THROW_CONTAINS(Standardizer(Tensor<float>{0.0f, 1.0f}, Tensor<float>{1.0f}),
                          std::invalid_argument, "(D)");
    EXPECT_THROW_CONTAINS(Standardizer(Tensor<float>{0.0f}, Tensor<float>{0.0f}),
                          std::invalid_argument, "scale > 0");
}
