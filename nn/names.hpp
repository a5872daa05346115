// Names of the library's enums, for the edges that read or print text (the CLI, JSON configs,
// checkpoint metadata). Inside the library every choice is an enum; each enum has one table
// of names, used for parsing, printing and help texts alike:
//
//   constexpr NamedValue<LossKind> kLossNames[] = {{LossKind::CrossEntropy, "cross_entropy"},
//                                                  {LossKind::CrossEntropy, "ce", true}, ...};
//
// The first entry of a value is its canonical name; entries marked alias are accepted when
// parsing but never printed. Matching ignores case and treats '-' and '_' alike
// ("Leaky-ReLU" is "leaky_relu").
//
// Some names take one numeric parameter after a colon ("leaky_relu:0.2", "constant:0.1");
// split_parameter and format_number handle that part.
#pragma once

#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

namespace ffnn {

template <class E>
struct NamedValue {
    E value;
    std::string_view name;
    bool alias = false;
};

// Whether two names are the same under the matching rule above.
bool names_match(std::string_view a, std::string_view b);

// "a, b, c": the canonical names of a table, in table order.
template <class E>
std::string name_list(std::span<const NamedValue<E>> table) {
    std::string out;
    for (const auto& e : table)
        if (!e.alias) out += (out.empty() ? "" : ", ") + std::string(e.name);
    return out;
}

// The canonical name of value.
template <class E>
std::string_view name_of(std::span<const NamedValue<E>> table, E value) {
    for (const auto& e : table)
        if (e.value == value && !e.alias) return e.name;
    throw std::logic_error("name_of: a value without a name in its table");
}

// The value named text. Throws std::invalid_argument "unknown <what> 'text'; valid: ...".
template <class E>
E parse_name(std::span<const NamedValue<E>> table, std::string_view text, std::string_view what) {
    for (const auto& e : table)
        if (names_match(e.name, text)) return e.value;
    throw std::invalid_argument("unknown " + std::string(what) + " '" + std::string(text) +
                                "'; valid: " + name_list(table));
}

// "leaky_relu:0.2" -> {"leaky_relu", 0.2}; "relu" -> {"relu", nullopt}. Throws
// std::invalid_argument naming `what` when the text after the colon is not a finite number.
struct NameAndParameter {
    std::string name;
    std::optional<double> parameter;
};
NameAndParameter split_parameter(std::string_view text, std::string_view what);

// The shortest decimal text that reads back to the same double ("0.01", not "0.010000").
std::string format_number(double v);
// "1 example", "3 examples": the count and the noun in the number it takes.
std::string count_of(std::size_t n, const std::string& singular, const std::string& plural);

}  // namespace ffnn
