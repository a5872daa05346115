// Classification metrics; see metrics.hpp.
#include "ffnn/train/metrics.hpp"

#include <algorithm>
#include <cstdio>
#include <stdexcept>

namespace ffnn {

ConfusionMatrix::ConfusionMatrix(std::size_t num_classes)
    : k_(num_classes), c_(num_classes * num_classes, 0) {
    if (num_classes == 0) throw std::invalid_argument("ConfusionMatrix: need at least one class");
}

void ConfusionMatrix::add(std::span<const int> truth, std::span<const int> predicted) {
    if (truth.size() != predicted.size())
        throw std::invalid_argument("ConfusionMatrix::add: " + std::to_string(truth.size()) +
                                    " labels but " + std::to_string(predicted.size()) +
                                    " predictions");
    for (std::size_t i = 0; i < truth.size(); ++i) {
        int t = truth[i], p = predicted[i];
        if (t < 0 || p < 0 || std::size_t(t) >= k_ || std::size_t(p) >= k_)
            throw std::invalid_argument("ConfusionMatrix::add: pair " + std::to_string(i) + " (" +
                                        std::to_string(t) + ", " + std::to_string(p) +
                                        ") outside [0, " + std::to_string(k_) + ")");
        ++c_[std::size_t(t) * k_ + std::size_t(p)];
    }
}

std::size_t ConfusionMatrix::total() const {
    std::size_t s = 0;
    for (std::size_t v : c_) s += v;
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
    ClassMetrics m;
    m.support = actual;
    double tp = double(count(k, k));
    m.precision = predicted ? tp / double(predicted) : 0.0;
    m.recall = actual ? tp / double(actual) : 0.0;
    m.f1 =
        (m.precision + m.recall) > 0 ? 2 * m.precision * m.recall / (m.precision + m.recall) : 0.0;
    return m;
}

std::size_t ConfusionMatrix::classes_present() const {
    std::size_t n = 0;
    for (std::size_t k = 0; k < k_; ++k) {
        std::size_t seen = 0;
        for (std::size_t j = 0; j < k_; ++j) seen += count(k, j) + count(j, k);
        n += seen > 0 ? 1 : 0;
    }
    return n;
}

double ConfusionMatrix::macro_f1() const {
    double s = 0;
    std::size_t n = 0;
    for (std::size_t k = 0; k < k_; ++k) {
        const ClassMetrics m = class_metrics(k);
        std::size_t predicted = 0;
        for (std::size_t j = 0; j < k_; ++j) predicted += count(j, k);
        if (m.support == 0 && predicted == 0) continue;  // absent from these rows
        s += m.f1;
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
    std::snprintf(buf, sizeof buf,
                  "  accuracy %.4f   macro F1 %.4f%s   weighted F1 %.4f   (%zu examples)\n",
                  accuracy(), macro_f1(), over.c_str(), weighted_f1(), total());
    out += pad("", w, false);
    out += buf;
    return out;
}

}  // namespace ffnn
