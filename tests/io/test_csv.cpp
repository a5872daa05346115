// CSV reader: the shipped Iris and digits files, label mapping orders, line-ending and
// whitespace tolerance, prediction input without labels, and every error path with the
// file, line and column in the message.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "ffnn/io/csv.hpp"
#include "test_helpers.hpp"

using namespace ffnn;
using ffnn_test::TempDir;

namespace {

const std::string kIris = std::string(FFNN_SOURCE_DIR) + "/data/iris.csv";
const std::string kDigits = std::string(FFNN_SOURCE_DIR) + "/data/digits.csv";

std::vector<std::size_t> class_counts(const Dataset& d) {
    std::vector<std::size_t> c(d.num_classes(), 0);
    for (int y : d.labels) ++c[static_cast<std::size_t>(y)];
    return c;
}

}  // namespace

TEST(DataCsv, IrisShippedFile) {
    Dataset d = read_csv(kIris);
    EXPECT_EQ(d.size(), 150u);
    EXPECT_EQ(d.num_features(), 4u);
    EXPECT_EQ(d.X.shape(), Shape({150, 4}));
    EXPECT_EQ(d.feature_names, (std::vector<std::string>{"sepal_length", "sepal_width",
                                                         "petal_length", "petal_width"}));
    // Names are not integers: lexicographic order.
    EXPECT_EQ(d.class_names, (std::vector<std::string>{"setosa", "versicolor", "virginica"}));
    EXPECT_EQ(class_counts(d), (std::vector<std::size_t>{50, 50, 50}));
    // First row "5.1,3.5,1.4,0.2,setosa", last "5.9,3.0,5.1,1.8,virginica": from_chars
    // rounds correctly, so the values equal the float literals exactly.
    EXPECT_EQ(d.X.at(0, 0), 5.1f);
    EXPECT_EQ(d.X.at(0, 1), 3.5f);
    EXPECT_EQ(d.X.at(0, 2), 1.4f);
    EXPECT_EQ(d.X.at(0, 3), 0.2f);
    EXPECT_EQ(d.labels.front(), 0);
    EXPECT_EQ(d.X.at(149, 2), 5.1f);
    EXPECT_EQ(d.labels.back(), 2);
    EXPECT_EQ(d.source, kIris);
    EXPECT_NO_THROW(check_dataset(d, "iris"));
}

TEST(DataCsv, DigitsShippedFile) {
    Dataset d = read_csv(kDigits);
    EXPECT_EQ(d.X.shape(), Shape({1797, 64}));
    EXPECT_EQ(d.feature_names.front(), "p0");
    EXPECT_EQ(d.feature_names.back(), "p63");
    // Integer labels: numeric order, names are the integer strings.
    std::vector<std::string> names;
    for (int k = 0; k < 10; ++k) names.push_back(std::to_string(k));
    EXPECT_EQ(d.class_names, names);
    EXPECT_EQ(class_counts(d),
              (std::vector<std::size_t>{178, 182, 177, 183, 181, 182, 181, 179, 174, 180}));
    // First row: 0,0,5,13,9,1,0,0,... label 0; last row label 8.
    EXPECT_EQ(d.X.at(0, 2), 5.0f);
    EXPECT_EQ(d.X.at(0, 3), 13.0f);
    EXPECT_EQ(d.labels.front(), 0);
    EXPECT_EQ(d.labels.back(), 8);
}

TEST(DataCsv, IntegerLabelsSortNumericallyAndCanonically) {
    Dataset d = parse_csv("x,y\n1,10\n2,2\n3,07\n4,7\n5,-1\n", "t.csv");
    EXPECT_EQ(d.class_names, (std::vector<std::string>{"-1", "2", "7", "10"}));
    EXPECT_EQ(d.labels, (std::vector<int>{3, 1, 2, 2, 0}));
}

TEST(DataCsv, NameLabelsSortLexicographically) {
    // "10" is not a name among integers here ("b" is not an integer), so byte order rules.
    Dataset d = parse_csv("x,y\n1,b\n2,a\n3,10\n4,B\n5,a\n", "t.csv");
    EXPECT_EQ(d.class_names, (std::vector<std::string>{"10", "B", "a", "b"}));
    EXPECT_EQ(d.labels, (std::vector<int>{3, 2, 0, 1, 2}));
}

TEST(DataCsv, LabelColumnByName) {
    CsvOptions opt;
    opt.label_column = "kind";
    Dataset d = parse_csv("a,kind,b\n1,x,2\n3,y,4\n", "t.csv", opt);
    EXPECT_EQ(d.feature_names, (std::vector<std::string>{"a", "b"}));
    EXPECT_EQ(d.X.at(1, 0), 3.0f);
    EXPECT_EQ(d.X.at(1, 1), 4.0f);
    EXPECT_EQ(d.labels, (std::vector<int>{0, 1}));
}

TEST(DataCsv, FixedClassNamesFollowTheGivenOrder) {
    CsvOptions opt;
    opt.class_names = {"virginica", "setosa", "versicolor"};
    Dataset d = read_csv(kIris, opt);
    EXPECT_EQ(d.class_names, opt.class_names);
    EXPECT_EQ(d.labels.front(), 1);  // setosa
    EXPECT_EQ(d.labels.back(), 0);   // virginica
    EXPECT_EQ(d.labels[60], 2);      // row 62 of the file is versicolor
    // Integer labels written differently still map to canonical names.
    CsvOptions digits;
    digits.class_names = {"0", "7"};
    Dataset e = parse_csv("x,y\n1,07\n2,0\n", "t.csv", digits);
    EXPECT_EQ(e.labels, (std::vector<int>{1, 0}));
}

TEST(DataCsv, ToleratesCrlfWhitespaceBomAndTrailingBlankLines) {
    const std::string text =
        "\xEF\xBB\xBF a , b ,label\r\n 1.5 ,\t-2e-1, cat \r\n+3,4,dog\r\n\r\n  \n\n";
    Dataset d = parse_csv(text, "t.csv");
    EXPECT_EQ(d.feature_names, (std::vector<std::string>{"a", "b"}));
    ASSERT_EQ(d.X.shape(), Shape({2, 2}));
    EXPECT_EQ(d.X.at(0, 0), 1.5f);
    EXPECT_EQ(d.X.at(0, 1), -0.2f);
    EXPECT_EQ(d.X.at(1, 0), 3.0f);
    EXPECT_EQ(d.class_names, (std::vector<std::string>{"cat", "dog"}));
    // No trailing newline at all.
    Dataset e = parse_csv("a,label\n1,x", "t.csv");
    EXPECT_EQ(e.size(), 1u);
}

TEST(DataCsv, FeaturesOnlyForPrediction) {
    TempDir dir;
    const std::string path = dir.file("new.csv");
    // Columns in another order than the model's features, and no label column.
    ffnn_test::write_bytes(
        path,
        "petal_width,sepal_length,petal_length,sepal_width\n0.2,5.1,1.4,3.5\n1.8,5.9,5.1,3.0\n");
    const std::vector<std::string> features = {"sepal_length", "sepal_width", "petal_length",
                                               "petal_width"};
    Dataset d = read_csv_features(path, features);
    EXPECT_FALSE(d.has_labels());
    EXPECT_EQ(d.feature_names, features);
    ASSERT_EQ(d.X.shape(), Shape({2, 4}));
    EXPECT_EQ(d.X.at(0, 0), 5.1f);
    EXPECT_EQ(d.X.at(0, 3), 0.2f);
    EXPECT_EQ(d.X.at(1, 1), 3.0f);

    // The training file itself: the one extra column is read as labels, mapped to the
    // model's classes.
    Dataset e = read_csv_features(kIris, features, {"setosa", "versicolor", "virginica"});
    EXPECT_TRUE(e.has_labels());
    EXPECT_EQ(e.labels.back(), 2);

    // label_required = false without feature names: every column is a feature.
    CsvOptions opt;
    opt.label_required = false;
    Dataset f = parse_csv("a,b\n1,2\n", "t.csv", opt);
    EXPECT_EQ(f.num_features(), 2u);
    EXPECT_FALSE(f.has_labels());
}

// ---- errors: each names the file, the line (and column) and what was expected ----

TEST(DataCsvErrors, EmptyFile) {
    EXPECT_THROW_CONTAINS(parse_csv("", "data/x.csv"), std::runtime_error, "data/x.csv",
                          "empty file", "header");
    EXPECT_THROW_CONTAINS(parse_csv("\n \r\n\n", "data/x.csv"), std::runtime_error, "data/x.csv",
                          "empty file");
    EXPECT_THROW_CONTAINS(parse_csv("\na,b\n1,x\n", "data/x.csv"), std::runtime_error,
                          "data/x.csv:1:", "blank line");
}

TEST(DataCsvErrors, HeaderOnly) {
    EXPECT_THROW_CONTAINS(parse_csv("a,b\n", "data/x.csv"), std::runtime_error, "data/x.csv",
                          "no data rows");
}

TEST(DataCsvErrors, WrongFieldCount) {
    EXPECT_THROW_CONTAINS(parse_csv("a,b,label\n1,2,x\n1,2\n", "data/iris.csv"), std::runtime_error,
                          "data/iris.csv:3: expected 3 fields, got 2");
    EXPECT_THROW_CONTAINS(parse_csv("a,b,label\n1,2,x,4\n", "data/iris.csv"), std::runtime_error,
                          "data/iris.csv:2: expected 3 fields, got 4");
}

TEST(DataCsvErrors, NonNumericOrNonFiniteFeature) {
    const char* header = "sepal_length,petal_width,label\n1,2,x\n";
    for (const char* bad : {"abc", "nan", "inf", "-inf", "1e50", "", "1.5x", "0x10", "1,5"}) {
        SCOPED_TRACE(bad);
        std::string text = std::string(header) + "3," + bad + ",y\n";
        if (std::string(bad) == "1,5") {  // a decimal comma makes one field too many
            EXPECT_THROW_CONTAINS(parse_csv(text, "data/x.csv"), std::runtime_error,
                                  "data/x.csv:3: expected 3 fields, got 4");
            continue;
        }
        std::string expected =
            std::string("data/x.csv:3, column 'petal_width': ") +
            (std::string(bad) == "1e50" ? "a number beyond float's range (at most 3.4e38 in "
                                          "magnitude), got '"
                                        : "expected a finite number, got '") +
            bad + "'";
        EXPECT_THROW_CONTAINS(parse_csv(text, "data/x.csv"), std::runtime_error, expected.c_str());
    }
}

// A value below float's range is a number, rounded as float arithmetic rounds it (to a
// denormal, or to zero); only values above the range, and non-numbers, are errors.
TEST(DataCsv, UnderflowRoundsOverflowIsAnError) {
    Dataset d = parse_csv("a,b,label\n1e-50,1e-40,x\n-1e-400,2.5e-39,y\n", "t.csv");
    EXPECT_EQ(d.X(0, 0), 0.0f);
    EXPECT_EQ(d.X(0, 1), 1e-40f);  // a denormal float
    EXPECT_GT(d.X(0, 1), 0.0f);
    EXPECT_EQ(d.X(1, 0), 0.0f);
    EXPECT_EQ(d.X(1, 1), 2.5e-39f);
    for (const char* big : {"1e39", "-1e39", "1e400"}) {
        const std::string text = std::string("a,label\n") + big + ",x\n";
        EXPECT_THROW_CONTAINS(parse_csv(text, "t.csv"), std::runtime_error, "beyond float's range",
                              big);
    }
    for (const char* bad : {"inf", "nan", "1e39x", "--1"}) {
        const std::string text = std::string("a,label\n") + bad + ",x\n";
        EXPECT_THROW_CONTAINS(parse_csv(text, "t.csv"), std::runtime_error,
                              "expected a finite number", bad);
    }
}

TEST(DataCsvErrors, MissingLabel) {
    EXPECT_THROW_CONTAINS(parse_csv("a,label\n1,x\n2, \n", "data/x.csv"), std::runtime_error,
                          "data/x.csv:3, column 'label'", "missing label");
}

TEST(DataCsvErrors, LabelColumnDoesNotExist) {
    CsvOptions opt;
    opt.label_column = "species";
    EXPECT_THROW_CONTAINS(parse_csv("a,label\n1,x\n", "data/x.csv", opt), std::runtime_error,
                          "data/x.csv:1:", "no label column 'species'", "a, label");
    EXPECT_THROW_CONTAINS(parse_csv("only\n1\n", "data/x.csv"), std::runtime_error,
                          "data/x.csv:1:", "at least 2 columns");
}

// With many columns the message cannot list them all: it names the closest ones, so a
// mistyped label among 64 pixel columns is found even when it is not among the first 20.
TEST(DataCsvErrors, WrongLabelNameAmongManyColumnsShowsTheClosest) {
    std::string header, row;
    for (int i = 0; i < 64; ++i) header += "p" + std::to_string(i) + ",", row += "0,";
    CsvOptions opt;
    opt.label_column = "Digt";
    EXPECT_THROW_CONTAINS(parse_csv(header + "digit\n" + row + "3\n", "d.csv", opt),
                          std::runtime_error, "d.csv:1:", "no label column 'Digt'",
                          "65 columns; the closest names: digit,", "last 'digit'");
}

// ---- dialects: delimiters, quotes, comments, ignored and id columns ----

TEST(DataCsvDialect, DelimiterIsDetectedFromTheHeader) {
    for (const char* text : {"a;b;label\n1,5;2;x\n3;4;y\n", "a\tb\tlabel\n1.5\t2\tx\n3\t4\ty\n",
                             "a,b,label\n1.5,2,x\n3,4,y\n"}) {
        SCOPED_TRACE(text);
        // The ';' file has a decimal comma in its first row: with ';' detected it is a field
        // of its own, and an error names it (never a silently shifted column).
        if (std::string(text).find(';') != std::string::npos) {
            EXPECT_THROW_CONTAINS(parse_csv(text, "d.csv"), std::runtime_error,
                                  "d.csv:2, column 'a': expected a finite number, got '1,5'");
            continue;
        }
        Dataset d = parse_csv(text, "d.csv");
        ASSERT_EQ(d.X.shape(), (Shape{2, 2}));
        EXPECT_EQ(d.X(0, 0), 1.5f);
        EXPECT_EQ(d.X(1, 1), 4.f);
        EXPECT_EQ(d.class_names, (std::vector<std::string>{"x", "y"}));
    }
    Dataset semi = parse_csv("a;b;label\n1;2;x\n3;4;y\n", "d.csv");
    EXPECT_EQ(semi.delimiter, ';');
    EXPECT_EQ(semi.X(1, 0), 3.f);
}

TEST(DataCsvDialect, AForcedDelimiterThatSplitsNothingHintsAtTheRightOne) {
    CsvOptions opt;
    opt.delimiter = ',';
    EXPECT_THROW_CONTAINS(parse_csv("a;b;label\n1;2;x\n", "d.csv", opt), std::runtime_error,
                          "d.csv:1:", "expected at least 2 columns", "got 1",
                          "holds ';': is that the delimiter? --delimiter ';'");
}

TEST(DataCsvDialect, QuotedFieldsHoldTheDelimiterAndDoubledQuotes) {
    const std::string text =
        "\"width, cm\",b,label\n"
        "1,\"2\",\"red, dark\"\n"
        "3, \"4\" ,\"say \"\"hi\"\"\"\n"
        "5,6,\" padded \"\n";
    Dataset d = parse_csv(text, "q.csv");
    EXPECT_EQ(d.feature_names, (std::vector<std::string>{"width, cm", "b"}));
    ASSERT_EQ(d.X.shape(), (Shape{3, 2}));
    EXPECT_EQ(d.X(1, 1), 4.f);  // spaces outside the quotes are trimmed
    // Lexicographic class order; the text inside the quotes is kept as is.
    EXPECT_EQ(d.class_names, (std::vector<std::string>{" padded ", "red, dark", "say \"hi\""}));
    EXPECT_EQ(d.labels, (std::vector<int>{1, 2, 0}));
}

TEST(DataCsvDialect, MalformedQuotesNameTheLineAndField) {
    EXPECT_THROW_CONTAINS(parse_csv("a,b,label\n1,\"2,x\n", "q.csv"), std::runtime_error,
                          "q.csv:2: field 2: a quoted field is not closed on its line");
    EXPECT_THROW_CONTAINS(parse_csv("a,b,label\n1,\"2\"3,x\n", "q.csv"), std::runtime_error,
                          "q.csv:2: field 2: unexpected '3' after a closing quote");
    EXPECT_THROW_CONTAINS(parse_csv("a,b,label\n1,2\"3,x\n", "q.csv"), std::runtime_error,
                          "q.csv:2: field 2 (2\"3): a quote inside an unquoted field");
}

TEST(DataCsvDialect, CommentLinesAreSkippedAndLinesStillCount) {
    CsvOptions opt;
    opt.comment = '#';
    const std::string text = "# exported 2026-12-01\na,label\n1,x\n  # a note\n2,y\nz,y\n";
    EXPECT_THROW_CONTAINS(parse_csv(text, "c.csv", opt), std::runtime_error,
                          "c.csv:6, column 'a': expected a finite number, got 'z'");
    Dataset d = parse_csv("# exported\na,label\n1,x\n# a note\n2,y\n", "c.csv", opt);
    EXPECT_EQ(d.size(), 2u);
    // Without the option a comment line is a header (or a row) like any other.
    EXPECT_THROW_CONTAINS(parse_csv("# exported\na,label\n1,x\n", "c.csv"), std::runtime_error,
                          "c.csv:1:", "expected at least 2 columns");
}

TEST(DataCsvDialect, IgnoredAndIdColumnsAreNeitherFeaturesNorTheLabel) {
    CsvOptions opt;
    opt.ignore_columns = {"note"};
    opt.id_column = "id";
    // The default label is the last column that is kept: here 'label', before 'note'.
    Dataset d = parse_csv("id,a,b,label,note\nr1,1,2,x,free text\nr2,3,4,y,more\n", "i.csv", opt);
    EXPECT_EQ(d.feature_names, (std::vector<std::string>{"a", "b"}));
    EXPECT_EQ(d.label_column, "label");
    EXPECT_EQ(d.id_column, "id");
    EXPECT_EQ(d.ids, (std::vector<std::string>{"r1", "r2"}));
    EXPECT_EQ(d.X(1, 0), 3.f);
    opt.ignore_columns = {"nope"};
    EXPECT_THROW_CONTAINS(parse_csv("id,a,label\nr1,1,x\n", "i.csv", opt), std::runtime_error,
                          "i.csv:1: no ignored column 'nope'", "columns: id, a, label");
    opt.ignore_columns = {"label"};
    opt.label_column = "label";
    EXPECT_THROW_CONTAINS(parse_csv("id,a,label\nr1,1,x\n", "i.csv", opt), std::runtime_error,
                          "column 'label' cannot be both the label and ignored");
}

TEST(DataCsvDialect, PredictionInputIgnoresEmptyAndUnknownLabels) {
    CsvOptions opt;
    opt.label_required = false;
    opt.class_names = {"x", "y"};
    opt.feature_names = {"a"};
    opt.ignore_unknown_labels = true;
    Dataset d = parse_csv("a,label\n1,x\n2,\n3,z\n4,y\n", "p.csv", opt);
    EXPECT_EQ(d.labels, (std::vector<int>{0, kNoLabel, kNoLabel, 1}));
    EXPECT_EQ(d.ignored_labels, 2u);
    EXPECT_THROW(check_dataset(d, "p.csv"), std::invalid_argument);  // not for training
    // A column the model does not use: the message says how to leave it out.
    EXPECT_THROW_CONTAINS(parse_csv("a,extra,label\n1,2,x\n", "p.csv", opt), std::runtime_error,
                          "unexpected column 'extra'", "--ignore-columns extra");
    opt.ignore_columns = {"extra"};
    EXPECT_EQ(parse_csv("a,extra,label\n1,2,x\n", "p.csv", opt).size(), 1u);
}

TEST(DataCsvDialect, DelimiterAndCommentTexts) {
    EXPECT_EQ(parse_delimiter("auto"), 0);
    EXPECT_EQ(parse_delimiter(";"), ';');
    EXPECT_EQ(parse_delimiter("tab"), '\t');
    EXPECT_EQ(parse_delimiter("|"), '|');
    EXPECT_THROW_CONTAINS(parse_delimiter("\""), std::invalid_argument, "not a quote");
    EXPECT_THROW_CONTAINS(parse_delimiter(";;"), std::invalid_argument, "got ';;'");
    EXPECT_EQ(parse_comment("none"), 0);
    EXPECT_EQ(parse_comment("#"), '#');
    EXPECT_THROW(parse_comment("//"), std::invalid_argument);
    for (char c : {char(0), ',', ';', '\t', '|'}) EXPECT_EQ(parse_delimiter(delimiter_text(c)), c);
    CsvOptions opt;
    opt.delimiter = '#';
    opt.comment = '#';
    EXPECT_THROW_CONTAINS(parse_csv("a#label\n1#x\n", "d.csv", opt), std::invalid_argument,
                          "the delimiter cannot be '#'");
}

TEST(DataCsvErrors, UnknownLabelForFixedClasses) {
    CsvOptions opt;
    opt.class_names = {"setosa", "versicolor", "virginica"};
    EXPECT_THROW_CONTAINS(parse_csv("a,label\n1,setosa\n2,rose\n", "data/new.csv", opt),
                          std::runtime_error, "data/new.csv:3, column 'label'",
                          "unknown label 'rose'", "setosa, versicolor, virginica");
}

TEST(DataCsvErrors, BadHeader) {
    EXPECT_THROW_CONTAINS(parse_csv("a,a,label\n1,2,x\n", "data/x.csv"), std::runtime_error,
                          "data/x.csv:1:", "duplicate column name 'a'");
    EXPECT_THROW_CONTAINS(parse_csv("a,,label\n1,2,x\n", "data/x.csv"), std::runtime_error,
                          "data/x.csv:1:", "column 2 has an empty name");
    // A quote inside a name that is not quoted as a whole.
    EXPECT_THROW_CONTAINS(parse_csv("a,b\"c,label\n1,2,x\n", "data/x.csv"), std::runtime_error,
                          "data/x.csv:1:", "field 2 (b\"c): a quote inside an unquoted field");
}

// Duplicate header names, found with a hash set, against a naive pairwise scan: random
// headers of short names over a two-letter alphabet (with spaces that trimming removes),
// so that most have duplicates; the message must name the first repeated name and the
// columns of its first and second occurrence, and a header without one must parse.
TEST(DataCsvErrors, DuplicateHeaderNamesMatchAPairwiseScan) {
    std::uint64_t state = 13;
    auto next = [&](std::uint64_t n) {
        state = state * 6364136223846793005ull + 1442695040888963407ull;
        return (state >> 33) % n;
    };
    int with_duplicates = 0, without = 0;
    for (int trial = 0; trial < 500; ++trial) {
        const std::size_t columns = 2 + next(10);
        std::vector<std::string> names;  // trimmed
        std::string header, row;
        for (std::size_t i = 0; i < columns; ++i) {
            std::string n;
            for (std::size_t k = 0, len = 1 + next(3); k < len; ++k) n += "ab"[next(2)];
            names.push_back(n);
            header += (i ? "," : "") + std::string(next(2), ' ') + n + std::string(next(2), ' ');
            row += i ? (i + 1 == columns ? ",x" : ",1") : "1";
        }
        // Reference: the smallest second occurrence i, and its first occurrence j < i.
        std::size_t first = 0, second = 0;
        for (std::size_t i = 0; i < columns && !second; ++i)
            for (std::size_t j = 0; j < i; ++j)
                if (names[i] == names[j]) {
                    first = j + 1, second = i + 1;
                    break;
                }
        const std::string text = header + "\n" + row + "\n";
        if (second) {
            ++with_duplicates;
            const std::string name = "'" + names[second - 1] + "'";
            const std::string where =
                "columns " + std::to_string(first) + " and " + std::to_string(second) + ")";
            EXPECT_THROW_CONTAINS(parse_csv(text, "h.csv"), std::runtime_error,
                                  "h.csv:1: duplicate column name", name.c_str(), where.c_str());
        } else {
            ++without;
            EXPECT_NO_THROW(parse_csv(text, "h.csv")) << text;
        }
    }
    EXPECT_GT(with_duplicates, 50);
    EXPECT_GT(without, 50);
}

// A wide header (20,001 names) with the first name repeated last, and the same without the
// repetition: the positions are exact at that width too.
TEST(DataCsvErrors, DuplicateInAWideHeader) {
    std::string header, row;
    for (int i = 0; i < 20000; ++i) {
        header += (i ? ",c" : "c") + std::to_string(i);
        row += i ? ",1" : "1";
    }
    EXPECT_THROW_CONTAINS(parse_csv(header + ",c0\n" + row + ",x\n", "w.csv"), std::runtime_error,
                          "duplicate column name 'c0' (columns 1 and 20001)");
    Dataset d = parse_csv(header + ",label\n" + row + ",x\n", "w.csv");
    EXPECT_EQ(d.num_features(), 20000u);
    EXPECT_EQ(d.feature_names.back(), "c19999");
}

TEST(DataCsvErrors, BlankLineInsideData) {
    EXPECT_THROW_CONTAINS(parse_csv("a,label\n1,x\n\n2,y\n", "data/x.csv"), std::runtime_error,
                          "data/x.csv:3:", "blank line");
}

TEST(DataCsvErrors, FeatureColumnsMismatch) {
    const std::vector<std::string> features = {"a", "b"};
    EXPECT_THROW_CONTAINS(read_csv_features("/nonexistent/dir/x.csv", features), std::runtime_error,
                          "/nonexistent/dir/x.csv");
    CsvOptions opt;
    opt.feature_names = features;
    opt.label_required = false;
    EXPECT_THROW_CONTAINS(parse_csv("a,c\n1,2\n", "data/x.csv", opt), std::runtime_error,
                          "data/x.csv:1:", "missing feature column 'b'");
    EXPECT_THROW_CONTAINS(parse_csv("a,b,c,d\n1,2,3,4\n", "data/x.csv", opt), std::runtime_error,
                          "data/x.csv:1:", "unexpected column 'c'");
    opt.label_required = true;
    EXPECT_THROW_CONTAINS(parse_csv("a,b\n1,2\n", "data/x.csv", opt), std::runtime_error,
                          "data/x.csv:1:", "no label column");
}

TEST(DataCsvErrors, RealFileNamesPathInMessages) {
    TempDir dir;
    const std::string path = dir.file("bad.csv");
    ffnn_test::write_bytes(path, "x,y,label\r\n1,2,a\r\n1,abc,b\r\n");
    const std::string expected = path + ":3, column 'y': expected a finite number, got 'abc'";
    EXPECT_THROW_CONTAINS(read_csv(path), std::runtime_error, expected.c_str());
    EXPECT_THROW_CONTAINS(read_csv(dir.file("missing.csv")), std::runtime_error, "missing.csv");
}
