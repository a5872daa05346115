// Classification metrics; see metrics.hpp.
#include "ffnn/train/metrics.hpp"

#include <algorithm>
#include <cstdio>
#include <stdexcept>

#include "ffnn/nn/names.hpp"

namespace ffnn {

ConfusionMatrix::ConfusionMatrix(std::size_t num_classes)
    : k_(num_classes), c_(num_classes * num_classes, 0), none_(num_classes, 0) {
    if (num_classes == 0) throw std::invalid_argument("ConfusionMatrix: need at least one class");
}

void ConfusionMatrix::add(std::span<const int> truth, std::span<const int> predicted) {
    if (truth.size() != predicted.size())
        throw std::invalid_argument("ConfusionMatrix::add: " + std::to_string(truth.size()) +
                                    " labels but " + std::to_string(predicted.size()) +
                                    " predictions");
    for (std::size_t i = 0; i < truth.size(); ++i) {
        int t = truth[i], p = predicted[i];
        if (p == -1 && t >= 0 && std::size_t(t) < k_) {
            ++none_[std::size_t(t)];
            continue;
        }
        if (t < 0 || p < 0 || std::size_t(t) >= k_ || std::size_t(p) >= k_)
            throw std::invalid_argument("ConfusionMatrix::add: pair " + std::to_string(i) + " (" +
                                        std::to_string(t) + ", " + std::to_string(p) +
                                        ") outside [0, " + std::to_string(k_) + ")");
        ++c_[std::size_t(t) * k_ + std::size_t(p)];
    }
}

std::size_t ConfusionMatrix::total() const {
    std::size_t s = unpredicted();
    for (std::size_t v : c_) s += v;
    return s;
}

std::size_t ConfusionMatrix::unpredicted() const {
    std::size_t s = 0;
    for (std::size_t v : none_) s += v;
    return s;
}

double ConfusionMatrix::accuracy() const {
    std::size_t n = total(), right = 0;
    for (std::size_t k = 0; k < k_; ++k) right += count(k, k);
    return n ? double(right) / double(n) : 0.0;
}

ClassMetrics ConfusionMatrix::class_metrics(std::size_t k) const {
    std::size_t predicted = 0, actual = 0;
    for (std::size_t j = 0; j < k_; ++j) {
        predicted += count(j, k);
        actual += count(k, j);
    }
    actual += none_[k];
    ClassMetrics m;
    m.support = actual;
    double tp = double(count(k, k));
    m.precision = predicted ? tp / double(predicted) : 0.0;
    m.recall = actual ? tp / double(actual) : 0.0;
    m.f1 =
        (m.precision + m.recall) > 0 ? 2 * m.precision * m.recall / (m.precision + m.recall) : 0.0;
    return m;
}

bool ConfusionMatrix::present(std::size_t k) const {
    std::size_t seen = none_[k];
    for (std::size_t j = 0; j < k_; ++j) seen += count(k, j) + count(j, k);
    return seen > 0;
}

std::size_t ConfusionMatrix::classes_present() const {
    std::size_t n = 0;
    for (std::size_t k = 0; k < k_; ++k) n += present(k) ? 1 : 0;
    return n;
}

double ConfusionMatrix::macro_f1() const {
    double s = 0;
    std::size_t n = 0;
    for (std::size_t k = 0; k < k_; ++k) {
        if (!present(k)) continue;  // absent from these rows
        s += class_metrics(k).f1;
        ++n;
    }
    return n ? s / double(n) : 0.0;
}

double ConfusionMatrix::weighted_f1() const {
    double s = 0;
    std::size_t n = 0;
    for (std::size_t k = 0; k < k_; ++k) {
        const ClassMetrics m = class_metrics(k);
        s += m.f1 * double(m.support);
        n += m.support;
    }
    return n ? s / double(n) : 0.0;
}

std::string ConfusionMatrix::format(const std::vector<std::string>& names) const {
    if (names.size() != k_)
        throw std::invalid_argument("ConfusionMatrix::format: " + std::to_string(names.size()) +
                                    " class names for " + std::to_string(k_) + " classes");
    std::size_t w = 9;  // at least "true\pred"
    for (const auto& n : names) w = std::max(w, n.size());
    std::size_t cw = 6;
    for (const auto& n : names) cw = std::max(cw, n.size());
    std::string out = "confusion matrix (rows: true class, columns: predicted)\n";
    auto pad = [](std::string s, std::size_t width, bool right) {
        if (s.size() >= width) return s;
        return right ? std::string(width - s.size(), ' ') + s
                     : s + std::string(width - s.size(), ' ');
    };
    out += pad("true\\pred", w, false);
    for (const auto& n : names) {
        out += "  ";
        out += pad(n, cw, true);
    }
    out += "\n";
    for (std::size_t t = 0; t < k_; ++t) {
        out += pad(names[t], w, false);
        for (std::size_t p = 0; p < k_; ++p) {
            out += "  ";
            out += pad(std::to_string(count(t, p)), cw, true);
        }
        out += "\n";
    }
    out += "\n";
    out += pad("class", w, false);
    out += "  precision     recall         f1    support\n";
    char buf[128];
    for (std::size_t k = 0; k < k_; ++k) {
        ClassMetrics m = class_metrics(k);
        std::snprintf(buf, sizeof buf, "  %9.4f  %9.4f  %9.4f  %9zu\n", m.precision, m.recall, m.f1,
                      m.support);
        out += pad(names[k], w, false);
        out += buf;
    }
    const std::size_t present = classes_present();
    const std::string over = present < k_
                                 ? " over the " + std::to_string(present) +
                                       (present == 1 ? " class present" : " classes present")
                                 : "";
    std::snprintf(buf, sizeof buf, "  accuracy %.4f   macro F1 %.4f%s   weighted F1 %.4f   (%s)\n",
                  accuracy(), macro_f1(), over.c_str(), weighted_f1(),
                  count_of(total(), "example", "examples").c_str());
    out += pad("", w, false);
    out += buf;
    if (const std::size_t none = unpredicted(); none > 0)
        out += pad("", w, false) + "  " + std::to_string(none) + " of " + std::to_string(total()) +
               " examples have no prediction (non-finite outputs): counted as wrong\n";
    return out;
}

std::string ConfusionMatrix::format_summary(const std::vector<std::string>& names,
                                            std::size_t n) const {
    if (names.size() != k_)
        throw std::invalid_argument(
            "ConfusionMatrix::format_summary: " + std::to_string(names.size()) +
            " class names for " + std::to_string(k_) + " classes");
    char buf[256];
    std::snprintf(buf, sizeof buf,
                  "%zu classes, %s: accuracy %.4f, macro F1 %.4f over %s present\n", k_,
                  count_of(total(), "example", "examples").c_str(), accuracy(), macro_f1(),
                  count_of(classes_present(), "class", "classes").c_str());
    std::string out = buf;
    // Lowest F1 first among the classes present; ties in class order.
    std::vector<std::pair<double, std::size_t>> by_f1;
    for (std::size_t k = 0; k < k_; ++k) {
        if (present(k)) by_f1.emplace_back(class_metrics(k).f1, k);
    }
    std::stable_sort(by_f1.begin(), by_f1.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    out += "lowest F1:";
    for (std::size_t i = 0; i < by_f1.size() && i < n; ++i) {
        const ClassMetrics m = class_metrics(by_f1[i].second);
        std::snprintf(buf, sizeof buf, "%s %s %.3f (recall %.3f, %s)", i ? "," : "",
                      names[by_f1[i].second].c_str(), m.f1, m.recall,
                      count_of(m.support, "example", "examples").c_str());
        out += buf;
    }
    out += "\n";
    // The largest off-diagonal cells; ties in (true, predicted) order.
    std::vector<std::pair<std::size_t, std::size_t>> cells;  // (count, t * K + p)
    for (std::size_t t = 0; t < k_; ++t)
        for (std::size_t p = 0; p < k_; ++p)
            if (t != p && count(t, p) > 0) cells.emplace_back(count(t, p), t * k_ + p);
    std::stable_sort(cells.begin(), cells.end(),
                     [](const auto& a, const auto& b) { return a.first > b.first; });
    out += cells.empty() ? "no confusions" : "most confused (true -> predicted):";
    for (std::size_t i = 0; i < cells.size() && i < n; ++i)
        out += std::string(i ? "," : "") + " " + names[cells[i].second / k_] + " -> " +
               names[cells[i].second % k_] + ": " + std::to_string(cells[i].first);
    out += "\n";
    if (const std::size_t none = unpredicted(); none > 0)
        out += count_of(none, "example has", "examples have") +
               " no prediction (non-finite outputs)\n";
    return out;
}

}  // namespace ffnn
