// Name matching and the "name:parameter" syntax; see names.hpp.
#include "ffnn/nn/names.hpp"

#include <cctype>
#include <charconv>
#include <cmath>

#include "ffnn/nn/config_error.hpp"

namespace ffnn {

namespace {

char fold(char c) {
    if (c == '-') return '_';
    return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
}

}  // namespace

bool names_match(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (fold(a[i]) != fold(b[i])) return false;
    return true;
}

NameAndParameter split_parameter(std::string_view text, std::string_view what) {
    NameAndParameter out;
    const std::size_t colon = text.find(':');
    out.name = std::string(text.substr(0, colon));
    if (colon == std::string_view::npos) return out;
    const std::string_view p = text.substr(colon + 1);
    double v = 0.0;
    const auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), v);
    if (p.empty() || ec != std::errc() || end != p.data() + p.size() || !std::isfinite(v))
        throw std::invalid_argument(std::string(what) + " '" + std::string(text) +
                                    "': the parameter after ':' must be a finite number");
    out.parameter = v;
    return out;
}

std::string count_of(std::size_t n, const std::string& singular, const std::string& plural) {
    return std::to_string(n) + " " + (n == 1 ? singular : plural);
}

std::string format_number(double v) {
    char buf[32];
    const auto res = std::to_chars(buf, buf + sizeof buf, v);
    return std::string(buf, res.ptr);
}

void require_config(bool ok, std::string_view section, std::string_view name, std::string_view rule,
                    double value) {
    if (ok) return;
    throw ConfigError(
        std::string(section) + "." + std::string(name),
        std::string(name) + " must be " + std::string(rule) + ", got " + format_number(value));
}

}  // namespace ffnn
