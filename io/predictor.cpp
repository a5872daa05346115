// Predictor: checkpoint in, class probabilities out; see predictor.hpp.
#include "ffnn/io/predictor.hpp"

#include <cmath>
#include <stdexcept>

namespace ffnn {

Predictor::Predictor(Checkpoint checkpoint) : ck_(std::move(checkpoint)) {
    const std::vector<std::size_t> sizes = ck_.model.layer_sizes();
    const std::size_t outputs = regression() ? ck_.target_names.size() : num_classes();
    if (sizes.empty() || sizes.front() != num_features() || sizes.back() != outputs)
        throw std::invalid_argument("Predictor: the checkpoint's network does not match its " +
                                    std::to_string(num_features()) + " feature names and " +
                                    std::to_string(outputs) +
                                    (regression() ? " target names" : " class names"));
}

Predictor Predictor::load(const std::string& path) {
    return Predictor(load_checkpoint(path));
}

const Tensor<float>& Predictor::prepare(const Tensor<float>& rows) {
    // rows (N, D) -> x_ (N, D) standardised
    if (rows.rank() != 2 || rows.dim(1) != num_features())
        throw std::invalid_argument("Predictor: rows are " + rows.shape().to_string() +
                                    " but the model takes (N, " + std::to_string(num_features()) +
                                    ") raw features");
    x_.resize(rows.shape());
    x_.copy_from(rows);
    if (ck_.standardizer.fitted()) ck_.standardizer.transform(x_);
    return x_;
}

const Tensor<float>& Predictor::predict_proba(const Tensor<float>& rows) {
    if (regression())
        throw std::logic_error(
            "Predictor: this model is a regressor; it has no classes "
            "(predict_values gives its predictions)");
    return ck_.model.predict_proba(prepare(rows));  // (N, K)
}

const Tensor<float>& Predictor::predict_values(const Tensor<float>& rows) {
    if (!regression())
        throw std::logic_error(
            "Predictor: this model is a classifier (predict and "
            "predict_proba give its classes)");
    values_ = ck_.model.forward(prepare(rows)).clone();  // (N, T) in the network's units
    if (ck_.target_standardizer.fitted() && values_.rows() > 0)
        ck_.target_standardizer.inverse_transform(values_);
    return values_;
}

std::vector<Prediction> Predictor::predict(const Tensor<float>& rows) {
    const Tensor<float>& p = predict_proba(rows);
    const std::size_t N = p.dim(0), K = p.dim(1);
    std::vector<Prediction> out(N);
    for (std::size_t r = 0; r < N; ++r) {
        Prediction& o = out[r];
        o.probabilities.assign(p.data() + r * K, p.data() + (r + 1) * K);
        // The first maximum, as Model::predict takes it; none when a probability is not
        // finite (the logits were not: softmax of an inf or a NaN is NaN).
        std::size_t best = 0;
        bool finite = std::isfinite(o.probabilities[0]);
        for (std::size_t k = 1; k < K; ++k) {
            finite = finite && std::isfinite(o.probabilities[k]);
            if (o.probabilities[k] > o.probabilities[best]) best = k;
        }
        if (!finite) continue;  // label kNoPrediction, class_name empty
        o.label = static_cast<int>(best);
        o.class_name = ck_.class_names[best];
    }
    return out;
}

bool Predictor::weights_finite() {
    return ffnn::weights_finite(ck_.model);
}

Prediction Predictor::predict(std::span<const float> row) {
    if (row.size() != num_features())
        throw std::invalid_argument("Predictor: a row of " + std::to_string(row.size()) +
                                    " values, but the model takes " +
                                    std::to_string(num_features()) + " features");
    Tensor<float> x = Tensor<float>::empty(Shape{1, row.size()});
    for (std::size_t j = 0; j < row.size(); ++j) x(0, j) = row[j];
    return predict(x).front();
}

Prediction Predictor::predict(const std::map<std::string, float>& row) {
    std::vector<float> values(num_features());
    std::size_t found = 0;
    for (std::size_t j = 0; j < num_features(); ++j) {
        auto it = row.find(ck_.feature_names[j]);
        if (it == row.end())
            throw std::invalid_argument("Predictor: the row has no feature '" +
                                        ck_.feature_names[j] + "'");
        values[j] = it->second;
        ++found;
    }
    if (found != row.size())
        for (const auto& [name, v] : row) {
            bool known = false;
            for (const auto& f : ck_.feature_names) known = known || f == name;
            if (!known)
                throw std::invalid_argument("Predictor: the model has no feature '" + name + "'");
        }
    return predict(std::span<const float>(values));
}

}  // namespace ffnn
