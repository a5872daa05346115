// Stratified splits: Iris 150 -> 105/15/30 with 35/5/10 per class, determinism for a seed,
// disjoint and covering parts, quotas on awkward class sizes, fraction validation.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <set>

#include "ffnn/io/csv.hpp"
#include "ffnn/io/split.hpp"
#include "test_helpers.hpp"

using namespace ffnn;

namespace {

const std::string kIris = std::string(FFNN_SOURCE_DIR) + "/data/iris.csv";
const std::string kDigits = std::string(FFNN_SOURCE_DIR) + "/data/digits.csv";

std::vector<std::size_t> per_class(const std::vector<std::size_t>& idx,
                                   const std::vector<int>& labels, int k) {
    std::vector<std::size_t> c(static_cast<std::size_t>(k), 0);
    for (std::size_t i : idx) ++c[static_cast<std::size_t>(labels[i])];
    return c;
}

// Every index 0..n-1 in exactly one part, each part sorted.
void expect_partition(const SplitIndices& s, std::size_t n) {
    std::vector<std::size_t> all;
    for (const auto* part : {&s.train, &s.validation, &s.test}) {
        EXPECT_TRUE(std::is_sorted(part->begin(), part->end()));
        all.insert(all.end(), part->begin(), part->end());
    }
    std::sort(all.begin(), all.end());
    std::vector<std::size_t> expected(n);
    std::iota(expected.begin(), expected.end(), std::size_t(0));
    EXPECT_EQ(all, expected);
}

}  // namespace

TEST(DataSplit, IrisDefaultFractions) {
    Dataset iris = read_csv(kIris);
    SplitIndices s =
        stratified_split(iris.labels, kDefaultValidationFraction, kDefaultTestFraction, 42);
    EXPECT_EQ(s.train.size(), 105u);
    EXPECT_EQ(s.validation.size(), 15u);
    EXPECT_EQ(s.test.size(), 30u);
    EXPECT_EQ(per_class(s.train, iris.labels, 3), (std::vector<std::size_t>{35, 35, 35}));
    EXPECT_EQ(per_class(s.validation, iris.labels, 3), (std::vector<std::size_t>{5, 5, 5}));
    EXPECT_EQ(per_class(s.test, iris.labels, 3), (std::vector<std::size_t>{10, 10, 10}));
    expect_partition(s, 150);
}

TEST(DataSplit, DeterministicForASeedAndDifferentAcrossSeeds) {
    Dataset iris = read_csv(kIris);
    SplitIndices a = stratified_split(iris.labels, 0.1, 0.2, 7);
    SplitIndices b = stratified_split(iris.labels, 0.1, 0.2, 7);
    SplitIndices c = stratified_split(iris.labels, 0.1, 0.2, 8);
    EXPECT_EQ(a.train, b.train);
    EXPECT_EQ(a.validation, b.validation);
    EXPECT_EQ(a.test, b.test);
    EXPECT_NE(a.test, c.test);  // 30 of 150 chosen twice alike: probability ~1e-30
    // Shuffled within classes: the test part is not simply the last rows of each class.
    EXPECT_NE(a.test, (std::vector<std::size_t>{40,  41,  42,  43,  44,  45,  46,  47,  48,  49,
                                                90,  91,  92,  93,  94,  95,  96,  97,  98,  99,
                                                140, 141, 142, 143, 144, 145, 146, 147, 148, 149}));
}

TEST(DataSplit, DigitsProportionsPerClass) {
    Dataset digits = read_csv(kDigits);
    SplitIndices s = stratified_split(digits.labels, 0.1, 0.2, 1);
    expect_partition(s, digits.size());
    std::vector<std::size_t> sizes = per_class(
        [&] {
            std::vector<std::size_t> all(digits.size());
            std::iota(all.begin(), all.end(), std::size_t(0));
            return all;
        }(),
        digits.labels, 10);
    const auto tr = per_class(s.train, digits.labels, 10),
               va = per_class(s.validation, digits.labels, 10),
               te = per_class(s.test, digits.labels, 10);
    for (std::size_t c = 0; c < 10; ++c) {
        // Each part gets the floor or the ceiling of its quota in every class.
        const double n = static_cast<double>(sizes[c]);
        EXPECT_LE(std::abs(static_cast<double>(tr[c]) - 0.7 * n), 1.0) << "class " << c;
        EXPECT_LE(std::abs(static_cast<double>(va[c]) - 0.1 * n), 1.0) << "class " << c;
        EXPECT_LE(std::abs(static_cast<double>(te[c]) - 0.2 * n), 1.0) << "class " << c;
    }
    // Totals stay within one example of N * fraction (the running-quota rounding).
    EXPECT_LE(std::abs(static_cast<double>(s.validation.size()) - 0.1 * 1797), 1.0);
    EXPECT_LE(std::abs(static_cast<double>(s.test.size()) - 0.2 * 1797), 1.0);
}

TEST(DataSplit, CountsOnAwkwardClassSizes) {
    // Ten classes of 5 at 70/10/20: quotas 3.5/0.5/1.0. The leftover 1 per class alternates
    // between train and validation so that the totals stay at 35/5/10.
    std::vector<std::size_t> sizes(10, 5);
    auto counts = stratified_counts(sizes, 0.1, 0.2);
    std::size_t tot[3] = {0, 0, 0};
    for (const auto& c : counts) {
        EXPECT_EQ(c[0] + c[1] + c[2], 5u);
        EXPECT_TRUE(c[0] == 3 || c[0] == 4);
        EXPECT_TRUE(c[1] == 0 || c[1] == 1);
        EXPECT_EQ(c[2], 1u);
        for (int s = 0; s < 3; ++s) tot[s] += c[s];
    }
    EXPECT_EQ(tot[0], 35u);
    EXPECT_EQ(tot[1], 5u);
    EXPECT_EQ(tot[2], 10u);
    // Tiny and empty classes still place every example.
    std::vector<std::size_t> small = {1, 2, 0, 3};
    auto sc = stratified_counts(small, 0.1, 0.2);
    for (std::size_t c = 0; c < small.size(); ++c)
        EXPECT_EQ(sc[c][0] + sc[c][1] + sc[c][2], small[c]);
}

TEST(DataSplit, TrainValidationForSeparateTestSet) {
    std::vector<int> labels;
    for (int c = 0; c < 10; ++c) labels.insert(labels.end(), 600, c);
    SplitIndices s = split_train_validation(labels, 1.0 / 12.0, 3);  // 6000 -> 5500 / 500
    EXPECT_TRUE(s.test.empty());
    EXPECT_EQ(s.validation.size(), 500u);
    EXPECT_EQ(s.train.size(), 5500u);
    EXPECT_EQ(per_class(s.validation, labels, 10), std::vector<std::size_t>(10, 50));
    expect_partition(s, labels.size());
    // Zero fractions: everything in train.
    SplitIndices all = stratified_split(labels, 0.0, 0.0, 3);
    EXPECT_EQ(all.train.size(), labels.size());
}

TEST(DataSplit, FractionsAreValidated) {
    const std::vector<int> labels = {0, 1, 0, 1};
    for (auto [v, t] : std::vector<std::pair<double, double>>{{-0.1, 0.2},
                                                              {0.1, 1.0},
                                                              {1.0, 0.0},
                                                              {0.5, 0.5},
                                                              {0.6, 0.5},
                                                              {NAN, 0.1},
                                                              {0.1, INFINITY}}) {
        SCOPED_TRACE(std::to_string(v) + " " + std::to_string(t));
        EXPECT_THROW_CONTAINS(stratified_split(labels, v, t, 1), std::invalid_argument,
                              "stratified_split", "fraction", "[0, 1)");
    }
    const std::vector<int> negative = {0, -1};
    EXPECT_THROW_CONTAINS(stratified_split(negative, 0.1, 0.2, 1), std::invalid_argument,
                          "label -1");
    EXPECT_THROW_CONTAINS(stratified_split(std::vector<int>{}, 0.1, 0.2, 1), std::invalid_argument,
                          "no examples");
}

// A dataset given up to select_rows keeps the selected rows in its own storage when the index
// increases (as every split's is) and gives what the copying overload gives, for any index.
TEST(SelectRows, GivenUpDatasetEqualsTheCopy) {
    CsvOptions opt;
    opt.id_column = "id";
    const Dataset d =
        parse_csv("id,a,b,label\nr0,0,1,x\nr1,2,3,y\nr2,4,5,x\nr3,6,7,z\nr4,8,9,y\n", "s.csv", opt);
    for (const std::vector<std::size_t>& idx :
         {std::vector<std::size_t>{0, 2, 3}, {1, 4}, {4, 1, 1}, {}}) {
        const Dataset want = select_rows(d, idx);
        Dataset given = select_rows(d, std::vector<std::size_t>{0, 1, 2, 3, 4});  // its own copy
        const float* storage = given.X.data();
        const Dataset got = select_rows(std::move(given), idx);
        ASSERT_EQ(got.X.shape(), want.X.shape());
        for (std::size_t i = 0; i < want.X.size(); ++i)
            EXPECT_EQ(got.X.data()[i], want.X.data()[i]);
        EXPECT_EQ(got.labels, want.labels);
        EXPECT_EQ(got.ids, want.ids);
        EXPECT_EQ(got.class_names, want.class_names);
        EXPECT_EQ(got.feature_names, want.feature_names);
        EXPECT_EQ(got.source, want.source);
        if (std::is_sorted(idx.begin(), idx.end()) &&
            std::adjacent_find(idx.begin(), idx.end()) == idx.end()) {
            EXPECT_EQ(got.X.data(), storage) << "an increasing index keeps the rows in place";
        }
    }
    Dataset given = select_rows(d, std::vector<std::size_t>{0, 1});
    EXPECT_THROW_CONTAINS(select_rows(std::move(given), std::vector<std::size_t>{0, 2}),
                          std::out_of_range, "row 2 out of range for 2 rows");
}
