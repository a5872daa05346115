// CSV reader for tabular data sets (Iris, digits, and whatever a user brings).
//
// Format: one header row of column names, then one row per example. Fields are separated by
// a comma, a semicolon or a tab: CsvOptions::delimiter, or detected from the header (the one
// of the three that splits it into the most fields, the comma on a tie). A field may be
// quoted as RFC 4180 has it: "a, b" holds the delimiter, "say ""hi""" a quote; a quoted field
// cannot span lines. CRLF or LF line endings, a UTF-8 byte-order mark, whitespace around
// fields and blank lines at the end of the file are accepted; a blank line followed by more
// data is not. With CsvOptions::comment set (for example '#'), lines whose first non-space
// character it is are skipped, before the header too; line numbers still count them.
//
// Feature columns must hold finite numbers, parsed with std::from_chars (the same result
// in every locale); a missing value is an error naming its line. The label column holds
// class names or integers and is mapped to class ids in a documented, stable order:
//   - if every label parses as an integer: numeric ascending order, and the class names
//     are the canonical integer strings ("07" and "7" are both class "7");
//   - otherwise: lexicographic (byte-wise) order of the label strings.
// With a fixed class list (CsvOptions::class_names, a saved model's classes), class id i is
// class_names[i] and a label outside the list is an error (or, for prediction, ignored).
// Columns listed in ignore_columns, and the id column, are neither features nor the label;
// the id column's values are kept as they are written (Dataset::ids).
//
// Every error throws std::runtime_error naming the file, the line (1 is the header) and,
// for a field, the column, and saying what was expected, e.g.
//   data/iris.csv:17: expected 5 fields separated by ',', got 4
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
    // ',' ';' or '\t' (any character but the quote, a line end and `comment`); 0: detect it
    // from the header.
    char delimiter = 0;
    // Lines starting with this character (after spaces) are comments; 0: no comments.
    char comment = 0;
    // Columns that are read past: neither features nor the label (each must exist).
    std::vector<std::string> ignore_columns;
    // The same for columns that may be absent (a regressor's targets, when predicting).
    std::vector<std::string> ignore_if_present;
    // A column of row identifiers (names, keys): kept in Dataset::ids, not a feature.
    std::string id_column;
    // true: the id column may be absent (a saved model's, when predicting on another file).
    bool id_column_optional = false;
    // For prediction with class_names: an empty or unknown label gets kNoLabel instead of an
    // error (Dataset::ignored_labels counts them); labels are not needed to predict.
    bool ignore_unknown_labels = false;
};

// The delimiter and comment options as a person writes them: "auto" (0), ",", ";", "tab"
// (or a tab character), or another single character; "none" (0) or one character for the
// comment. Throw std::invalid_argument saying what is accepted.
char parse_delimiter(std::string_view text);
char parse_comment(std::string_view text);
std::string delimiter_text(char delimiter);  // "auto", ",", ";", "tab", ...
std::string comment_text(char comment);      // "none" or the character
// The delimiter in a message, as the shell takes it after --delimiter: "tab", "';'".
std::string delimiter_name(char delimiter);

// A field as written to a CSV file: quoted (RFC 4180, doubled quotes inside) when it holds a
// comma, a quote, a semicolon or a tab (either may be taken for the delimiter when the file
// is read back) or a space at its ends, so that read_csv reads back what was written.
std::string csv_field(std::string_view text);

// Reads a CSV file into a Dataset (source = path). The path "-" reads standard input (named
// "stdin" in messages).
Dataset read_csv(const std::string& path, const CsvOptions& options = {});

// The same on text in memory; `name` stands for the file name in error messages.
Dataset parse_csv(std::string_view text, const std::string& name, const CsvOptions& options = {});

// Prediction input: the columns `feature_names` (in that order, found by name), and the
// labels too if a label column is present (the one other column, or `label_column`).
Dataset read_csv_features(const std::string& path, const std::vector<std::string>& feature_names,
                          const std::vector<std::string>& class_names = {},
                          const std::string& label_column = "");

}  // namespace ffnn
