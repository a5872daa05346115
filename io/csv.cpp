// CSV reader: header, strict numeric features, labels mapped to class ids. See csv.hpp.
#include "ffnn/io/csv.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <deque>
#include <iostream>
#include <iterator>
#include <map>
#include <optional>
#include <stdexcept>
#include <system_error>
#include <unordered_map>
#include <unordered_set>

#include "ffnn/io/atomic_file.hpp"

namespace ffnn {
namespace {

// At most this many class names are listed in an "unknown label" message.
constexpr std::size_t kMaxNamesInMessage = 20;

bool is_space(char c);

std::string_view trim(std::string_view s) {
    while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
    return s;
}

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

// Splits one line on `delim` into fields (views into the line, or into `unquoted` for a
// quoted field that held a doubled quote). Unquoted fields are trimmed. A field whose first
// non-space character is '"' is quoted, as RFC 4180 has it: it runs to the next lone '"', may
// hold the delimiter, and "" inside it stands for one '"'; its text is kept as is, spaces
// included, and only spaces may follow the closing quote. Returns an error message, or an
// empty string when the line is well formed.
std::string split_fields(std::string_view line, char delim, std::vector<std::string_view>& fields,
                         std::deque<std::string>& unquoted) {
    fields.clear();
    unquoted.clear();
    const std::size_t n = line.size();
    std::size_t pos = 0;
    while (true) {
        std::size_t i = pos;
        while (i < n && line[i] != delim && is_space(line[i])) ++i;
        if (i < n && line[i] == '"') {
            const std::size_t column = fields.size() + 1;
            std::size_t start = i + 1, q;
            std::string* text = nullptr;  // only once a "" is met
            while (true) {
                q = line.find('"', start);
                if (q == std::string_view::npos)
                    return "field " + std::to_string(column) +
                           ": a quoted field is not closed on its line (a field cannot span "
                           "lines)";
                if (q + 1 < n && line[q + 1] == '"') {  // "" is one quote
                    if (!text) text = &unquoted.emplace_back();
                    text->append(line.substr(start, q + 1 - start));
                    start = q + 2;
                    continue;
                }
                break;
            }
            if (text) {
                text->append(line.substr(start, q - start));
                fields.push_back(*text);
            } else {
                fields.push_back(line.substr(start, q - start));
            }
            std::size_t k = q + 1;
            while (k < n && line[k] != delim && is_space(line[k])) ++k;
            if (k < n && line[k] != delim)
                return "field " + std::to_string(column) + ": unexpected '" +
                       std::string(1, line[k]) +
                       "' after a closing quote (expected the delimiter or the end of the line)";
            if (k >= n) return "";
            pos = k + 1;
            continue;
        }
        const std::size_t d = line.find(delim, pos);
        const std::string_view f =
            trim(line.substr(pos, d == std::string_view::npos ? d : d - pos));
        if (f.find('"') != std::string_view::npos)
            return "field " + std::to_string(fields.size() + 1) + " (" + std::string(f) +
                   "): a quote inside an unquoted field (quote the whole field, and write a "
                   "quote inside it as \"\")";
        fields.push_back(f);
        if (d == std::string_view::npos) return "";
        pos = d + 1;
    }
}

// The delimiter of a header line: the candidate (',', ';', tab) that splits it into the most
// fields, ',' on a tie (a one-column header included).
char detect_delimiter(std::string_view header) {
    std::vector<std::string_view> fields;
    std::deque<std::string> scratch;
    char best = ',';
    std::size_t most = 0;
    for (char d : {',', ';', '\t'}) {
        const bool ok = split_fields(header, d, fields, scratch).empty();
        if (ok && fields.size() > most) most = fields.size(), best = d;
    }
    return best;
}

// A finite float, the whole field, or nothing. One leading '+' is accepted (from_chars
// does not take it). inf/nan parse but are rejected as non-finite, and so is a number too
// large for a float (1e39); a number too small (1e-50) is a float all the same: it rounds to
// a denormal or to zero, as any float computation would.
std::optional<float> parse_float(std::string_view s) {
    if (s.size() > 1 && s[0] == '+' && s[1] != '-') s.remove_prefix(1);
    if (s.empty()) return std::nullopt;
    float v = 0;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v, std::chars_format::general);
    if (ec == std::errc::result_out_of_range && ptr == s.data() + s.size()) {
        // Over- or underflow: tell them apart in double, whose range holds both tests (a
        // value below double's range is an underflow too).
        double d = 0;
        auto [dptr, dec] =
            std::from_chars(s.data(), s.data() + s.size(), d, std::chars_format::general);
        const bool underflow = dptr == s.data() + s.size() &&
                               (dec == std::errc() ? std::fabs(d) < 1.0
                                                   : s.find_first_of("eE") != s.npos &&
                                                         s[s.find_first_of("eE") + 1] == '-');
        if (!underflow) return std::nullopt;
        return static_cast<float>(dec == std::errc() ? d : 0.0);
    }
    if (ec != std::errc() || ptr != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
    return v;
}

// Whether a field parse_float refused is a number all the same, one too large for a float
// (1e39, or beyond double's range): for the message.
bool beyond_float(std::string_view s) {
    if (s.size() > 1 && s[0] == '+' && s[1] != '-') s.remove_prefix(1);
    double d = 0;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), d, std::chars_format::general);
    return ptr == s.data() + s.size() && !s.empty() &&
           (ec == std::errc::result_out_of_range || (ec == std::errc() && std::isfinite(d)));
}

std::optional<std::int64_t> parse_int(std::string_view s) {
    if (s.size() > 1 && s[0] == '+' && s[1] != '-') s.remove_prefix(1);
    if (s.empty()) return std::nullopt;
    std::int64_t v = 0;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
    return v;
}

std::string join_names(const std::vector<std::string>& names) {
    std::string s;
    for (std::size_t i = 0; i < names.size() && i < kMaxNamesInMessage; ++i)
        s += (i ? ", " : "") + names[i];
    if (names.size() > kMaxNamesInMessage)
        s += ", ... (" + std::to_string(names.size()) + " in all)";
    return s;
}

// Levenshtein distance, case-insensitive (ASCII): how many one-letter edits turn a into b.
std::size_t edit_distance(std::string_view a, std::string_view b) {
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; };
    std::vector<std::size_t> row(b.size() + 1);  // row[j]: distance of a[0, i) and b[0, j)
    for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diagonal = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t up = row[j];
            row[j] = std::min(
                {up + 1, row[j - 1] + 1, diagonal + (lower(a[i - 1]) == lower(b[j - 1]) ? 0 : 1)});
            diagonal = up;
        }
    }
    return row[b.size()];
}

// The columns for a "no column 'x'" message: every one when there are at most
// kMaxNamesInMessage, else the closest names to `wanted` (fewest edits, then file order)
// and the count, so that a user who mistyped a name among 785 pixel columns sees it.
std::string columns_for_message(const std::vector<std::string>& header, const std::string& wanted) {
    if (header.size() <= kMaxNamesInMessage) return "columns: " + join_names(header);
    constexpr std::size_t kClosest = 5;
    std::vector<std::pair<std::size_t, std::size_t>> by_distance;  // (edits, index)
    for (std::size_t i = 0; i < header.size(); ++i)
        by_distance.emplace_back(edit_distance(wanted, header[i]), i);
    std::partial_sort(by_distance.begin(), by_distance.begin() + kClosest, by_distance.end());
    std::string s = std::to_string(header.size()) + " columns; the closest names: ";
    for (std::size_t k = 0; k < kClosest; ++k) s += (k ? ", " : "") + header[by_distance[k].second];
    return s + "; first column '" + header.front() + "', last '" + header.back() + "'";
}

// Lines of the text with their 1-based numbers; strips '\r' before '\n'.
class LineReader {
  public:
    explicit LineReader(std::string_view text) : text_(text) {
        // A UTF-8 byte-order mark is not part of the first column's name.
        if (text_.substr(0, 3) == "\xEF\xBB\xBF") text_.remove_prefix(3);
    }
    bool next(std::string_view& line) {
        if (pos_ >= text_.size()) return false;
        std::size_t nl = text_.find('\n', pos_);
        std::size_t end = nl == std::string_view::npos ? text_.size() : nl;
        line = text_.substr(pos_, end - pos_);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        pos_ = nl == std::string_view::npos ? text_.size() : nl + 1;
        ++number_;
        return true;
    }
    std::size_t number() const { return number_; }

  private:
    std::string_view text_;
    std::size_t pos_ = 0;
    std::size_t number_ = 0;
};

struct Columns {
    std::vector<std::size_t> features;  // header index of feature j, j = 0..D-1
    std::optional<std::size_t> label;   // header index of the label column
    std::optional<std::size_t> id;      // header index of the id column
};

// `at_header` is "file:line" of the header, for messages.
Columns choose_columns(const std::vector<std::string>& header, const std::string& at_header,
                       const CsvOptions& opt) {
    const std::string where = at_header + ": ";
    // Hash lookups: a header of H names against F feature names costs H + F, not H * F.
    // The header's names are unique (checked by the caller).
    std::unordered_map<std::string_view, std::size_t> index;
    index.reserve(header.size());
    for (std::size_t i = 0; i < header.size(); ++i) index.emplace(header[i], i);
    const std::unordered_set<std::string_view> features(opt.feature_names.begin(),
                                                        opt.feature_names.end());
    auto find = [&](const std::string& col) -> std::optional<std::size_t> {
        auto it = index.find(col);
        if (it == index.end()) return std::nullopt;
        return it->second;
    };
    auto is_feature = [&](const std::string& col) { return features.count(col) > 0; };

    Columns c;
    // Columns that are neither features nor the label: the ignored ones and the id.
    std::vector<bool> excluded(header.size(), false);
    auto require = [&](const std::string& col, const char* what) {
        auto i = find(col);
        if (!i)
            throw std::runtime_error(where + "no " + what + " column '" + col + "' (" +
                                     columns_for_message(header, col) + ")");
        if (c.label && *c.label == *i)
            throw std::runtime_error(where + "column '" + col + "' cannot be both the label and " +
                                     (std::string(what) == "id" ? "the id" : "ignored"));
        if (is_feature(col))
            throw std::runtime_error(where + "column '" + col + "' is a feature of the model; it " +
                                     "cannot be " +
                                     (std::string(what) == "id" ? "the id" : "ignored"));
        excluded[*i] = true;
        return *i;
    };
    if (!opt.label_column.empty()) {
        c.label = find(opt.label_column);
        if (!c.label && opt.label_required)
            throw std::runtime_error(where + "no label column '" + opt.label_column + "' (" +
                                     columns_for_message(header, opt.label_column) + ")");
    }
    for (const std::string& col : opt.ignore_columns) require(col, "ignored");
    for (const std::string& col : opt.ignore_if_present)
        if (find(col)) require(col, "ignored");
    if (!opt.id_column.empty() && (!opt.id_column_optional || find(opt.id_column)))
        c.id = require(opt.id_column, "id");
    std::vector<std::size_t> kept;  // header indices that are not excluded
    for (std::size_t i = 0; i < header.size(); ++i)
        if (!excluded[i]) kept.push_back(i);

    if (!opt.label_column.empty()) {
        // found above
    } else if (!opt.feature_names.empty()) {
        std::vector<std::size_t> extra;
        for (std::size_t i : kept)
            if (!is_feature(header[i])) extra.push_back(i);
        if (extra.size() == 1) c.label = extra[0];
        if (extra.empty() && opt.label_required)
            throw std::runtime_error(
                where +
                "no label column: every column is a feature (columns: " + join_names(header) + ")");
    } else if (opt.label_required) {
        if (kept.size() < 2) {
            std::string hint;
            if (header.size() == 1)
                for (char d : {',', ';', '\t'})
                    if (d != opt.delimiter && header[0].find(d) != std::string::npos)
                        hint = " (the one column's name holds " + delimiter_name(d) +
                               ": is that the delimiter? --delimiter " + delimiter_name(d) + ")";
            if (header.size() == 1 && opt.comment == 0 && !header[0].empty() &&
                (header[0][0] == '#' || header[0][0] == '%'))
                hint += " (the line starts with '" + std::string(1, header[0][0]) +
                        "': is it a comment? --comment '" + std::string(1, header[0][0]) + "')";
            throw std::runtime_error(where +
                                     "expected at least 2 columns (features and a label), got " +
                                     std::to_string(kept.size()) + hint);
        }
        c.label = kept.back();
    }

    if (!opt.feature_names.empty()) {
        for (const std::string& f : opt.feature_names) {
            auto i = find(f);
            if (!i)
                throw std::runtime_error(where + "missing feature column '" + f + "' (" +
                                         columns_for_message(header, f) + ")");
            if (c.label && *i == *c.label)
                throw std::runtime_error(where + "column '" + f +
                                         "' cannot be both a feature and the label");
            c.features.push_back(*i);
        }
        for (std::size_t i : kept)
            if (!is_feature(header[i]) && !(c.label && *c.label == i))
                throw std::runtime_error(
                    where + "unexpected column '" + header[i] + "': expected the features (" +
                    join_names(opt.feature_names) + ")" +
                    (opt.label_column.empty()
                         ? " and at most one label column"
                         : " and the label column '" + opt.label_column + "'") +
                    "; a column the model does not use can be left out (--ignore-columns " +
                    header[i] + ")");
    } else {
        for (std::size_t i : kept)
            if (!(c.label && *c.label == i)) c.features.push_back(i);
    }
    if (c.features.empty()) throw std::runtime_error(where + "no feature columns");
    return c;
}

// Maps label strings to class ids (see csv.hpp for the order) and fills class_names.
void map_labels(const std::vector<std::string>& raw, const std::vector<std::size_t>& lines,
                const std::string& name, const std::string& label_col, const CsvOptions& opt,
                Dataset& out) {
    out.labels.resize(raw.size());
    if (!opt.class_names.empty()) {
        std::map<std::string, int> id;
        for (std::size_t k = 0; k < opt.class_names.size(); ++k)
            if (!id.emplace(opt.class_names[k], static_cast<int>(k)).second)
                throw std::invalid_argument("read_csv: duplicate class name '" +
                                            opt.class_names[k] + "'");
        for (std::size_t i = 0; i < raw.size(); ++i) {
            auto it = id.find(raw[i]);
            if (it == id.end())
                if (auto v = parse_int(raw[i])) it = id.find(std::to_string(*v));
            if (it == id.end() && opt.ignore_unknown_labels) {
                out.labels[i] = kNoLabel;
                ++out.ignored_labels;
                continue;
            }
            if (it == id.end())
                throw std::runtime_error(
                    name + ":" + std::to_string(lines[i]) + ", column '" + label_col +
                    "': unknown label '" + raw[i] +
                    "' (expected one of the classes: " + join_names(opt.class_names) + ")");
            out.labels[i] = it->second;
        }
        out.class_names = opt.class_names;
        return;
    }

    std::vector<std::int64_t> ints(raw.size());
    bool all_int = true;
    for (std::size_t i = 0; i < raw.size() && all_int; ++i) {
        auto v = parse_int(raw[i]);
        if (v)
            ints[i] = *v;
        else
            all_int = false;
    }
    if (all_int) {
        std::map<std::int64_t, int> id;  // ordered: numeric ascending
        for (std::int64_t v : ints) id.emplace(v, 0);
        int k = 0;
        for (auto& [v, slot] : id) {
            slot = k++;
            out.class_names.push_back(std::to_string(v));
        }
        for (std::size_t i = 0; i < raw.size(); ++i) out.labels[i] = id[ints[i]];
    } else {
        std::map<std::string, int> id;  // ordered: lexicographic, byte-wise
        for (const std::string& s : raw) id.emplace(s, 0);
        int k = 0;
        for (auto& [s, slot] : id) {
            slot = k++;
            out.class_names.push_back(s);
        }
        for (std::size_t i = 0; i < raw.size(); ++i) out.labels[i] = id[raw[i]];
    }
}

}  // namespace

Dataset parse_csv(std::string_view text, const std::string& name, const CsvOptions& opt) {
    if (opt.ignore_unknown_labels && opt.class_names.empty())
        throw std::invalid_argument("read_csv: " + name +
                                    ": ignore_unknown_labels needs the class names");
    if (opt.delimiter == '"' || opt.delimiter == '\n' || opt.delimiter == '\r' ||
        (opt.delimiter != 0 && opt.delimiter == opt.comment))
        throw std::invalid_argument("read_csv: " + name + ": the delimiter cannot be " +
                                    delimiter_name(opt.delimiter) +
                                    " (the quote, a line end or the comment character)");
    LineReader lines(text);
    std::string_view line;
    std::vector<std::string_view> fields;
    std::deque<std::string> unquoted;  // fields that held "" (fields point into it)
    // A comment line: its first non-space character is opt.comment (when set).
    auto is_comment = [&](std::string_view l) {
        const std::string_view t = trim(l);
        return opt.comment != 0 && !t.empty() && t.front() == opt.comment;
    };
    auto next_line = [&](std::string_view& l) {
        while (lines.next(l))
            if (!is_comment(l)) return true;
        return false;
    };

    // Header: the first line. A file of blank lines is as empty as an empty file.
    const std::string empty_msg = name + ": empty file: expected a header row of column names";
    if (!next_line(line)) throw std::runtime_error(empty_msg);
    if (trim(line).empty()) {
        const std::size_t blank = lines.number();
        std::string_view rest;
        while (next_line(rest))
            if (!trim(rest).empty())
                throw std::runtime_error(name + ":" + std::to_string(blank) +
                                         ": expected a header row of column names, got a blank "
                                         "line");
        throw std::runtime_error(empty_msg);
    }
    const std::size_t header_line = lines.number();
    const std::string at_header = name + ":" + std::to_string(header_line);
    CsvOptions o = opt;
    if (o.delimiter == 0) o.delimiter = detect_delimiter(line);
    const char delim = o.delimiter;

    if (std::string e = split_fields(line, delim, fields, unquoted); !e.empty())
        throw std::runtime_error(at_header + ": " + e);
    std::vector<std::string> header;
    std::unordered_map<std::string, std::size_t> column_of;  // name -> header index
    column_of.reserve(fields.size());
    for (std::size_t i = 0; i < fields.size(); ++i) {
        std::string col(fields[i]);
        if (col.empty())
            throw std::runtime_error(at_header + ": column " + std::to_string(i + 1) +
                                     " has an empty name");
        // One hash lookup per name: comparing each with every earlier one took 7 s on a
        // 562 KB header of 119,531 names.
        auto [it, fresh] = column_of.try_emplace(col, i);
        if (!fresh)
            throw std::runtime_error(at_header + ": duplicate column name '" + col + "' (columns " +
                                     std::to_string(it->second + 1) + " and " +
                                     std::to_string(i + 1) + ")");
        header.push_back(std::move(col));
    }
    // A header of numbers only is a data row: taking it as column names would lose the row
    // and name the features "5.1", "3.5", ...
    if (std::all_of(header.begin(), header.end(),
                    [](const std::string& h) { return parse_float(h).has_value(); }))
        throw std::runtime_error(at_header + ": the first row is all numbers (" +
                                 join_names(header) +
                                 "): expected a header row of column names; the file seems to "
                                 "have none (add a first line such as x1,x2,...,label)");
    const Columns cols = choose_columns(header, at_header, o);
    const std::size_t d = cols.features.size();
    // The same when only the label column has a word in it (Iris without its header: "5.1,
    // 3.5,1.4,0.2,setosa"): feature names that are all numbers, some with a fraction, are
    // values. Whole numbers alone ("0,1,2,label", as pandas writes an unnamed array) are
    // names.
    {
        std::vector<std::string> names;
        bool fraction = false;
        for (std::size_t j : cols.features) {
            const auto v = parse_float(header[j]);
            if (!v) {
                names.clear();
                break;
            }
            fraction = fraction || *v != std::floor(*v);
            names.push_back(header[j]);
        }
        if (!names.empty() && fraction)
            throw std::runtime_error(
                at_header +
                ": the first row looks like data, not a header: its feature columns "
                "are named by numbers (" +
                join_names(names) + "); add a first line of column names such as x1,x2,...,label");
    }

    Dataset out;
    std::vector<float> values;
    std::vector<std::string> raw_labels;
    std::vector<std::size_t> label_lines;
    std::size_t n = 0;
    std::size_t blank_line = 0;  // first blank line seen after the header, 0 if none
    while (next_line(line)) {
        if (trim(line).empty()) {
            if (!blank_line) blank_line = lines.number();
            continue;
        }
        const std::string where = name + ":" + std::to_string(lines.number());
        if (blank_line)
            throw std::runtime_error(
                name + ":" + std::to_string(blank_line) +
                ": blank line inside the data (only trailing blank lines are allowed)");
        if (std::string e = split_fields(line, delim, fields, unquoted); !e.empty())
            throw std::runtime_error(where + ": " + e);
        if (fields.size() != header.size())
            throw std::runtime_error(where + ": expected " + std::to_string(header.size()) +
                                     " fields, got " + std::to_string(fields.size()) +
                                     " (separated by " + delimiter_name(delim) + ")");
        for (std::size_t j = 0; j < d; ++j) {
            std::string_view f = fields[cols.features[j]];
            auto v = parse_float(f);
            if (!v)
                throw std::runtime_error(where + ", column '" + header[cols.features[j]] + "': " +
                                         (beyond_float(f) ? "a number beyond float's range (at "
                                                            "most 3.4e38 in magnitude), got '"
                                                          : "expected a finite number, got '") +
                                         std::string(f) + "'");
            values.push_back(*v);
        }
        if (cols.label) {
            std::string_view f = fields[*cols.label];
            if (f.empty() && !o.ignore_unknown_labels)
                throw std::runtime_error(where + ", column '" + header[*cols.label] +
                                         "': missing label (empty field)");
            raw_labels.emplace_back(f);
            label_lines.push_back(lines.number());
        }
        if (cols.id) out.ids.emplace_back(fields[*cols.id]);
        ++n;
    }
    if (n == 0) throw std::runtime_error(name + ": no data rows after the header");

    out.X = Tensor<float>::from_vector(std::move(values), {n, d});
    for (std::size_t j : cols.features) out.feature_names.push_back(header[j]);
    if (cols.label) {
        map_labels(raw_labels, label_lines, name, header[*cols.label], o, out);
        out.label_column = header[*cols.label];  // as the header names it, trimmed
    } else {
        out.class_names = o.class_names;
    }
    if (cols.id) out.id_column = header[*cols.id];
    out.delimiter = delim;
    out.source = name;
    return out;
}

std::string csv_field(std::string_view text) {
    const bool quote = text.find_first_of(",\";\t") != std::string_view::npos ||
                       (!text.empty() && (text.front() == ' ' || text.back() == ' '));
    if (!quote) return std::string(text);
    std::string q = "\"";
    for (char c : text) q += c == '"' ? std::string("\"\"") : std::string(1, c);
    return q + "\"";
}

char parse_delimiter(std::string_view text) {
    if (text == "auto") return 0;
    if (text == "tab" || text == "\\t") return '\t';
    if (text.size() == 1 && text[0] != '"' && text[0] != '\n' && text[0] != '\r' &&
        !(text[0] == ' '))
        return text[0];
    throw std::invalid_argument(
        "expected auto, ',', ';', tab or another single character "
        "(not a quote or a space), got '" +
        std::string(text) + "'");
}

char parse_comment(std::string_view text) {
    if (text == "none" || text.empty()) return 0;
    if (text.size() == 1 && text[0] != '"' && !is_space(text[0]) && text[0] != '\n') return text[0];
    throw std::invalid_argument("expected none or a single character such as '#', got '" +
                                std::string(text) + "'");
}

std::string delimiter_name(char d) {
    return d == '\t' ? "tab" : "'" + std::string(1, d) + "'";
}

std::string delimiter_text(char d) {
    return d == 0 ? "auto" : d == '\t' ? "tab" : std::string(1, d);
}
std::string comment_text(char c) {
    return c == 0 ? "none" : std::string(1, c);
}

Dataset read_csv(const std::string& path, const CsvOptions& options) {
    if (path == "-") {
        std::string text{std::istreambuf_iterator<char>(std::cin), {}};
        if (std::cin.bad()) throw std::runtime_error("stdin: read error");
        return parse_csv(text, "stdin", options);
    }
    return parse_csv(read_file_bytes(path), path, options);
}

Dataset read_csv_features(const std::string& path, const std::vector<std::string>& feature_names,
                          const std::vector<std::string>& class_names,
                          const std::string& label_column) {
    if (feature_names.empty())
        throw std::invalid_argument("read_csv_features: " + path + ": no feature names given");
    CsvOptions opt;
    opt.label_column = label_column;
    opt.label_required = false;
    opt.class_names = class_names;
    opt.feature_names = feature_names;
    return read_csv(path, opt);
}

}  // namespace ffnn
