// Model<T>: the module sequence, its loss and optimiser, and the training / evaluation loop
// over one batch (see model.hpp).
#include "ffnn/nn/model.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "ffnn/nn/init.hpp"
#include "ffnn/tensor/random.hpp"

namespace ffnn {

namespace {

// Index of the first maximum of a row of K values, or kNoPrediction when a value is not
// finite.
template <class T>
int row_prediction(const T* row, std::size_t K) {
    std::size_t best = 0;
    bool finite = std::isfinite(row[0]);
    for (std::size_t k = 1; k < K; ++k) {
        finite = finite && std::isfinite(row[k]);
        if (row[k] > row[best]) best = k;
    }
    return finite ? static_cast<int>(best) : Model<T>::kNoPrediction;
}

// row_prediction of each row of a (N, K) -> out (N); returns how many rows had none.
template <class T>
std::size_t argmax_rows(const Tensor<T>& a, std::vector<int>& out) {
    const std::size_t N = a.dim(0), K = a.dim(1);
    out.resize(N);
    std::size_t non_finite = 0;
    for (std::size_t r = 0; r < N; ++r) {
        out[r] = row_prediction(a.data() + r * K, K);
        non_finite += out[r] == Model<T>::kNoPrediction ? 1 : 0;
    }
    return non_finite;
}

}  // namespace

template <class T>
Model<T>::Model()
    : loss_(std::make_unique<SoftmaxCrossEntropy<T>>()), softmax_(std::make_unique<SoftMax<T>>()) {}

void ModelSpec::validate() const {
    for (std::size_t i = 0; i < hidden.size(); ++i)
        if (hidden[i] == 0)
            throw ConfigError("model.hidden", "hidden layer " + std::to_string(i) +
                                                  " has width 0; widths must be "
                                                  "positive");
    make_activation<double>(activation);  // a parameter the kind does not take
    if (activation.kind == ActivationKind::SoftMax && !hidden.empty())
        throw ConfigError("model.activation",
                          "softmax is not a hidden-layer activation (it couples the units of a "
                          "row); the loss applies it to the logits");
    if (init.kind == InitKind::Constant && !std::isfinite(init.value))
        throw ConfigError("model.init",
                          "init constant must be finite, got " + format_number(init.value));
}

template <class T>
Model<T>::Model(const ModelSpec& spec) : Model() {
    spec.validate();
    if (spec.n_inputs == 0) throw ConfigError("model.n_inputs", "n_inputs must be positive");
    if (spec.n_classes == 0) throw ConfigError("model.n_classes", "n_classes must be positive");
    loss_ = make_loss<T>(spec.loss);
    Rng seeds(spec.seed);
    std::size_t d = spec.n_inputs;
    for (std::size_t h : spec.hidden) {
        add(std::make_unique<FullyConnected<T>>(h, spec.activation, spec.init, seeds.next_u64(),
                                                d));
        d = h;
    }
    add(std::make_unique<FullyConnected<T>>(spec.n_classes, ActivationKind::Identity, spec.init,
                                            seeds.next_u64(), d));
    spec_ = spec;
    spec_.activation = make_activation<T>(spec.activation)->spec();  // default parameter filled in
}

template <class T>
Model<T>& Model<T>::add(std::unique_ptr<FullyConnected<T>> layer) {
    if (!layer) throw std::invalid_argument("model: add(nullptr)");
    layers_.push_back(layer.get());
    modules_.push_back(std::move(layer));
    params_dirty_ = true;
    return *this;
}

template <class T>
Model<T>& Model<T>::add(std::unique_ptr<Module<T>> module) {
    if (!module) throw std::invalid_argument("model: add(nullptr)");
    modules_.push_back(std::move(module));
    params_dirty_ = true;
    return *this;
}

template <class T>
void Model<T>::set_class_weights(std::vector<double> weights) {
    auto* ce = dynamic_cast<SoftmaxCrossEntropy<T>*>(loss_.get());
    if (!ce) {
        if (weights.empty()) return;
        throw std::invalid_argument("model: class weights need the cross_entropy loss, not " +
                                    loss_->name());
    }
    ce->set_class_weights(std::move(weights));
}

template <class T>
void Model<T>::set_loss(std::unique_ptr<Loss<T>> loss) {
    if (!loss) throw std::invalid_argument("model: set_loss(nullptr)");
    loss_ = std::move(loss);
}

template <class T>
const Tensor<T>& Model<T>::forward(const Tensor<T>& x) {
    // x (N, D) -> logits (N, K)
    if (modules_.empty()) throw std::logic_error("model: forward on a model without modules");
    if (x.rank() != 2)
        throw std::invalid_argument("model forward: x must be rank 2 (N, D), got " +
                                    x.shape().to_string());
    for (auto& m : modules_) m->release();
    const Tensor<T>* h = &x;
    for (auto& m : modules_) h = &m->forward(*h);
    if (params_dirty_) rebuild_parameters();  // lazy layers have their shapes now
    return *h;
}

template <class T>
const Tensor<T>& Model<T>::backward(const Tensor<T>& dlogits, bool input_grad) {
    // dlogits (N, K) -> dx (N, D)
    if (modules_.empty()) throw std::logic_error("model: backward on a model without modules");
    modules_.front()->set_input_grad(input_grad);
    const Tensor<T>* g = &dlogits;
    for (std::size_t i = modules_.size(); i-- > 0;) g = &modules_[i]->backward(*g);
    return *g;
}

template <class T>
T Model<T>::compute_loss(const Tensor<T>& x, std::span<const int> labels) {
    return loss_->forward(forward(x), labels);
}

template <class T>
T Model<T>::compute_loss(const Tensor<T>& x, const Tensor<T>& target) {
    return loss_->forward(forward(x), target);
}

template <class T>
const Tensor<T>& Model<T>::predict_proba(const Tensor<T>& x) {
    softmax_->apply(forward(x), proba_);
    return proba_;
}

template <class T>
std::vector<int> Model<T>::predict(const Tensor<T>& x) {
    std::vector<int> out;
    argmax_rows(forward(x), out);
    return out;
}

template <class T>
T Model<T>::train_step(const Tensor<T>& x, std::span<const int> labels, Optimizer<T>& optimizer) {
    zero_grad();
    const T value = loss_->forward(forward(x), labels);
    backward_and_step(loss_->backward(), optimizer);
    return value;
}

template <class T>
T Model<T>::train_step(const Tensor<T>& x, const Tensor<T>& target, Optimizer<T>& optimizer) {
    zero_grad();
    const T value = loss_->forward(forward(x), target);
    backward_and_step(loss_->backward(), optimizer);
    return value;
}

template <class T>
void Model<T>::backward_and_step(const Tensor<T>& dlogits, Optimizer<T>& optimizer) {
    // The fused step needs the optimiser to own exactly this model's parameters: a block the
    // modules hand over must be one of its tensors, and every one of its tensors must be
    // handed over.
    if (modules_.empty()) throw std::logic_error("model: backward on a model without modules");
    const std::vector<Param<T>>& mine = parameter_list();
    const std::vector<Param<T>>& its = optimizer.params();
    bool fuse = fused_step_ && optimizer.fusable() && mine.size() == its.size();
    for (std::size_t i = 0; fuse && i < mine.size(); ++i)
        fuse = mine[i].value == its[i].value && mine[i].grad == its[i].grad;
    for (std::size_t i = 0; fuse && i < modules_.size(); ++i)
        fuse = modules_[i]->set_fused_update(&optimizer);
    last_step_fused_ = fuse;
    if (!fuse) {
        for (auto& m : modules_) m->set_fused_update(nullptr);
        backward(dlogits);
        optimizer.step();
        return;
    }
    optimizer.begin_fused_step();
    try {
        backward(dlogits);
    } catch (...) {
        for (auto& m : modules_) m->set_fused_update(nullptr);
        optimizer.cancel_fused_step();
        throw;
    }
    for (auto& m : modules_) m->set_fused_update(nullptr);
    optimizer.end_fused_step();
}

template <class T>
EvalResult Model<T>::evaluate(const Tensor<T>& X, std::span<const int> labels,
                              std::size_t batch_size) {
    // X (N, D), labels (N)
    if (X.rank() != 2)
        throw std::invalid_argument("model evaluate: X must be rank 2 (N, D), got " +
                                    X.shape().to_string());
    if (labels.size() != X.dim(0))
        throw std::invalid_argument("model evaluate: " + std::to_string(labels.size()) +
                                    " labels for X " + X.shape().to_string());
    if (batch_size == 0) throw std::invalid_argument("model evaluate: batch_size must be positive");
    EvalResult r;
    r.n = X.dim(0);
    double loss_sum = 0.0;
    std::vector<int> pred;
    for (std::size_t b = 0; b < r.n; b += batch_size) {
        const std::size_t e = std::min(r.n, b + batch_size);
        Tensor<T> xb = X.rows(b, e);
        std::span<const int> yb = labels.subspan(b, e - b);
        const Tensor<T>& logits = forward(xb);
        loss_sum += static_cast<double>(loss_->forward(logits, yb)) * static_cast<double>(e - b);
        r.non_finite += argmax_rows(logits, pred);
        for (std::size_t i = 0; i < pred.size(); ++i) r.correct += pred[i] == yb[i] ? 1 : 0;
    }
    for (auto& m : modules_) m->release();  // do not keep X alive through cached views
    if (r.n > 0) {
        r.loss = loss_sum / static_cast<double>(r.n);
        r.accuracy = static_cast<double>(r.correct) / static_cast<double>(r.n);
    }
    return r;
}

template <class T>
void Model<T>::rebuild_parameters() {
    params_.clear();
    std::size_t layer = 0;
    for (std::size_t i = 0; i < modules_.size(); ++i) {
        const bool is_layer = layer < layers_.size() && modules_[i].get() == layers_[layer];
        const std::string prefix = is_layer ? "layers." + std::to_string(layer++) + "."
                                            : "modules." + std::to_string(i) + ".";
        for (auto& p : modules_[i]->parameters())
            params_.push_back({prefix + p.name, p.value, p.grad});
    }
    params_dirty_ = false;
}

template <class T>
std::vector<Param<T>> Model<T>::parameters() {
    if (params_dirty_) rebuild_parameters();
    return params_;
}

template <class T>
const std::vector<Param<T>>& Model<T>::parameter_list() {
    if (params_dirty_) rebuild_parameters();
    return params_;
}

template <class T>
void Model<T>::zero_grad() {
    for (auto& m : modules_) m->defer_zero_grad();
}

template <class T>
Param<T>& Model<T>::parameter(const std::string& name) {
    if (params_dirty_) rebuild_parameters();
    for (auto& p : params_)
        if (p.name == name) return p;
    std::string valid;
    for (const auto& p : params_) valid += (valid.empty() ? "" : ", ") + p.name;
    throw std::invalid_argument("model: no parameter named '" + name + "'; valid: " + valid);
}

template <class T>
void Model<T>::set_parameter(const std::string& name, const Tensor<T>& value) {
    Param<T>& p = parameter(name);
    if (!(p.value->shape() == value.shape()))
        throw std::invalid_argument("model: parameter '" + name + "' is " +
                                    p.value->shape().to_string() + " but the value given is " +
                                    value.shape().to_string());
    p.value->copy_from(value);
}

template <class T>
std::size_t Model<T>::num_parameters() {
    std::size_t n = 0;
    for (const auto& p : parameter_list()) n += p.value->size();
    return n;
}

template <class T>
std::vector<std::size_t> Model<T>::layer_sizes() const {
    std::vector<std::size_t> sizes;
    for (auto* fc : layers_) {
        if (sizes.empty()) sizes.push_back(fc->n_in());
        sizes.push_back(fc->n_out());
    }
    return sizes;
}

template <class T>
std::vector<ActivationSpec> Model<T>::layer_activations() const {
    std::vector<ActivationSpec> out;
    for (auto* fc : layers_) out.push_back(fc->activation().spec());
    return out;
}

template <class T>
std::string Model<T>::summary() const {
    // "4 -> 8 (relu) -> 3 (identity), loss cross_entropy"; other modules by their name().
    std::string s;
    std::size_t layer = 0;
    for (std::size_t i = 0; i < modules_.size(); ++i) {
        if (layer < layers_.size() && modules_[i].get() == layers_[layer]) {
            const FullyConnected<T>& fc = *layers_[layer++];
            if (i == 0) s += fc.n_in() ? std::to_string(fc.n_in()) : std::string("?");
            s += " -> " + std::to_string(fc.n_out()) + " (" + to_string(fc.activation().spec()) +
                 ")";
        } else {
            s += (i == 0 ? "" : " -> ") + modules_[i]->name();
        }
    }
    return s + ", loss " + loss_->name();
}

template <class T>
bool weights_finite(Model<T>& model) {
    for (const Param<T>& p : model.parameter_list()) {
        const T* v = p.value->data();
        for (std::size_t i = 0; i < p.value->size(); ++i)
            if (!std::isfinite(v[i])) return false;
    }
    return true;
}

template class Model<float>;
template class Model<double>;
template bool weights_finite(Model<float>&);
template bool weights_finite(Model<double>&);

template <class T>
std::size_t correct_rows(const Tensor<T>& logits, std::span<const int> labels) {
    if (logits.rank() != 2 || logits.dim(0) != labels.size())
        throw std::invalid_argument("correct_rows: logits " + logits.shape().to_string() + " for " +
                                    std::to_string(labels.size()) + " labels");
    const std::size_t K = logits.dim(1);
    std::size_t correct = 0;
    for (std::size_t i = 0; i < labels.size(); ++i)
        correct += row_prediction(logits.data() + i * K, K) == labels[i] ? 1 : 0;
    return correct;
}
template std::size_t correct_rows(const Tensor<float>&, std::span<const int>);
template std::size_t correct_rows(const Tensor<double>&, std::span<const int>);

}  // namespace ffnn
