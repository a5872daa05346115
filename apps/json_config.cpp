// JSON configuration files turned into command-line flags; see json_config.hpp.
#include "json_config.hpp"

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

namespace ffnn::app {

namespace {

std::string scalar_text(const std::string& file, const std::string& key, const nlohmann::json& v) {
    return json_argument_text(v, file + ": key '" + key + "'");
}

std::vector<std::string> read_config(const std::string& file, CLI::App& sub) {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw std::runtime_error(file + ": cannot open the config file");
    std::ostringstream text;
    text << in.rdbuf();
    return json_config_arguments(std::move(text).str(), file, sub);
}

}  // namespace

std::vector<std::string> json_config_arguments(std::string_view text, const std::string& file,
                                               CLI::App& sub) {
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(text);
    } catch (const nlohmann::json::parse_error& e) {
        throw std::runtime_error(file + ": not valid JSON: " + e.what());
    }
    if (!j.is_object())
        throw std::runtime_error(file + ": expected a JSON object of flag names and values");
    std::vector<std::string> out;
    for (auto it = j.begin(); it != j.end(); ++it) {
        std::string key = it.key();
        for (char& c : key)
            if (c == '_') c = '-';
        if (key == "config")
            throw std::runtime_error(file + ": a config file cannot name another config file");
        const CLI::Option* opt = sub.get_option_no_throw("--" + key);
        if (!opt)
            throw std::runtime_error(file + ": unknown key '" + it.key() +
                                     "': not a flag of 'ffnn " + sub.get_name() + "' (see ffnn " +
                                     sub.get_name() + " --help)");
        const nlohmann::json& v = it.value();
        if (v.is_boolean()) {
            if (opt->get_items_expected_min() != 0)
                throw std::runtime_error(file + ": key '" + it.key() +
                                         "' takes a value, not true/false");
            // false: the flag's negation when it has one (--no-standardize), else nothing.
            if (v.get<bool>())
                out.push_back("--" + key);
            else if (sub.get_option_no_throw("--no-" + key) == opt)
                out.push_back("--no-" + key);
        } else if (v.is_array()) {
            std::string joined;
            for (const auto& e : v) {
                if (!joined.empty()) joined += ',';
                joined += scalar_text(file, it.key(), e);
            }
            out.push_back("--" + key);
            out.push_back(joined);
        } else if (v.is_null()) {
            throw std::runtime_error(file + ": key '" + it.key() + "' has no value");
        } else {
            if (opt->get_items_expected_min() == 0)
                throw std::runtime_error(file + ": key '" + it.key() +
                                         "' is a switch: use true or false");
            out.push_back("--" + key);
            out.push_back(scalar_text(file, it.key(), v));
        }
    }
    return out;
}

std::string json_argument_text(const nlohmann::json& v, const std::string& where) {
    if (v.is_string()) return v.get<std::string>();
    // Unsigned first: get<long long> would turn 2^64 - 1 into "-1".
    if (v.is_number_unsigned()) return std::to_string(v.get<unsigned long long>());
    if (v.is_number_integer()) return std::to_string(v.get<long long>());
    if (v.is_number()) {
        std::ostringstream s;
        s.precision(17);
        s << v.get<double>();
        return s.str();
    }
    throw std::runtime_error(where + ": expected a number or a string, got " +
                             std::string(v.type_name()));
}

std::vector<std::string> expand_json_config(const std::vector<std::string>& args, CLI::App& sub) {
    // The subcommand is the first argument; everything up to it is kept in place.
    const std::size_t pos = 1;
    if (args.size() <= pos || args[pos] != sub.get_name()) return args;
    std::vector<std::string> head(args.begin(), args.begin() + pos + 1), from_files, rest;
    for (std::size_t i = pos + 1; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (a == "--config") {
            if (i + 1 >= args.size()) throw std::runtime_error("--config: expected a file name");
            auto items = read_config(args[++i], sub);
            from_files.insert(from_files.end(), items.begin(), items.end());
        } else if (a.rfind("--config=", 0) == 0) {
            auto items = read_config(a.substr(9), sub);
            from_files.insert(from_files.end(), items.begin(), items.end());
        } else {
            rest.push_back(a);
        }
    }
    head.insert(head.end(), from_files.begin(), from_files.end());
    head.insert(head.end(), rest.begin(), rest.end());
    return head;
}

}  // namespace ffnn::app
