// CSV reader for tabular data sets (Iris, digits, and whatever a user brings).
//
// Format: one header row of column names, then one row per example, fields separated by
// commas, no quoting (a field may contain neither a comma nor a double quote). CRLF or LF
// line endings, a UTF-8 byte-order mark, whitespace around fields and blank lines at the end
// of the file are accepted; a blank line followed by more data is not.
//
// Feature columns must hold finite numbers, parsed with std::from_chars (the same result
// in every locale). The label column holds class names or integers and is mapped to class
// ids in a documented, stable order:
//   - if every label parses as an integer: numeric ascending order, and the class names
//     are the canonical integer strings ("07" and "7" are both class "7");
//   - otherwise: lexicographic (byte-wise) order of the label strings.
// With a fixed class list (CsvOptions::class_names, a saved model's classes), class id i is
// class_names[i] and a label outside the list is an error.
//
// Every error throws std::runtime_error naming the file, the line (1 is the header) and,
// for a field, the column, and saying what was expected, e.g.
//   data/iris.csv:17: expected 5 fields, got 4
//   data/x.csv:3, column 'petal_width': expected a finite number, got 'abc'
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "ffnn/io/dataset.hpp"

namespace ffnn {

struct CsvOptions {
    // Which column holds the labels. Empty means:
    //   - with feature_names given: the one header column that is not a feature (if any);
    //   - otherwise: the last column when labels are required, none when they are not.
    std::string label_column;
    // false: a file without the label column is read as features only (labels left empty),
    // for prediction. A label column that is present is still read and checked.
    bool label_required = true;
    // Non-empty: the classes are fixed (a saved model's); labels must be among them.
    std::vector<std::string> class_names;
    // Non-empty: the header must hold exactly these feature columns (in any order) besides
    // the label column; X's columns follow this order. Empty: every non-label column is a
    // feature, in file order.
    std::vector<std::string> feature_names;
};

// Reads a CSV file into a Dataset (source = path).
Dataset read_csv(const std::string& path, const CsvOptions& options = {});

// The same on text in memory; `name` stands for the file name in error messages.
Dataset parse_csv(std::string_view text, const std::string& name, const CsvOptions& options = {});

// Prediction input: the columns `feature_names` (in that order, found by name), and the
// labels too if a label column is present (the one other column, or `label_column`).
Dataset read_csv_features(const std::string& path, const std::vector<std::string>& feature_names,
                          const std::vector<std::string>& class_names = {},
                          const std::string& label_column = "");

}  // namespace ffnn
