// Model<T>: the module sequence, its loss and optimiser, and the training / evaluation loop
// over one batch (see model.hpp).
#include "ffnn/nn/model.hpp"

#include <algorithm>
#include <stdexcept>

#include "ffnn/nn/init.hpp"
#include "ffnn/tensor/random.hpp"

namespace ffnn {

namespace {

// Index of the first maximum of each row of a (N, K) -> out (N).
template <class T>
void argmax_rows(const Tensor<T>& a, std::vector<int>& out) {
    const std::size_t N = a.dim(0), K = a.dim(1);
    out.resize(N);
    const T* p = a.data();
    for (std::size_t r = 0; r < N; ++r) {
        const T* row = p + r * K;
        std::size_t best = 0;
        for (std::size_t k = 1; k < K; ++k)
            if (row[k] > row[best]) best = k;
        out[r] = static_cast<int>(best);
    }
}

}  // namespace

template <class T>
Model<T>::Model()
    : loss_(std::make_unique<SoftmaxCrossEntropy<T>>()), softmax_(std::make_unique<SoftMax<T>>()) {}

template <class T>
Model<T>::Model(const ModelSpec& spec) : Model() {
    if (spec.n_inputs == 0) throw std::invalid_argument("model: n_inputs must be positive");
    if (spec.n_classes == 0) throw std::invalid_argument("model: n_classes must be positive");
    for (std::size_t i = 0; i < spec.hidden.size(); ++i)
        if (spec.hidden[i] == 0)
            throw std::invalid_argument("model: hidden layer " + std::to_string(i) +
                                        " has width 0");
    const Init init = parse_init(spec.init);
    loss_ = make_loss<T>(spec.loss);
    Rng seeds(spec.seed);
    std::size_t d = spec.n_inputs;
    for (std::size_t h : spec.hidden) {
        add(std::make_unique<FullyConnected<T>>(h, make_activation<T>(spec.activation), init,
                                                seeds.next_u64(), d));
        d = h;
    }
    add(std::make_unique<FullyConnected<T>>(spec.n_classes, std::make_unique<Identity<T>>(), init,
                                            seeds.next_u64(), d));
    spec_ = spec;
    spec_.activation = parse_activation(spec.activation);
    spec_.init = to_string(init);
}

template <class T>
void Model<T>::add(std::unique_ptr<Module<T>> module) {
    if (!module) throw std::invalid_argument("model: add(nullptr)");
    modules_.push_back(std::move(module));
    params_dirty_ = true;
}

template <class T>
void Model<T>::set_loss(std::unique_ptr<Loss<T>> loss) {
    if (!loss) throw std::invalid_argument("model: set_loss(nullptr)");
    loss_ = std::move(loss);
}

template <class T>
void Model<T>::set_optimizer(std::unique_ptr<Optimizer<T>> optimizer) {
    optimizer_ = std::move(optimizer);
}

template <class T>
void Model<T>::set_optimizer(const OptimizerConfig& config) {
    optimizer_ = make_optimizer<T>(config, parameters());
}

template <class T>
void Model<T>::set_clip_grad_norm(double max_norm) {
    if (!(max_norm >= 0))
        throw std::invalid_argument("model: clip norm must be >= 0, got " +
                                    std::to_string(max_norm));
    clip_norm_ = max_norm;
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
    modules_.front()->set_input_grad(true);
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

namespace {

template <class T, class Target>
T run_train_step(Model<T>& model, Loss<T>& loss, Optimizer<T>* opt, double clip, double& norm,
                 const Tensor<T>& x, const Target& target) {
    if (!opt) throw std::logic_error("model: train_step needs an optimizer (set_optimizer)");
    // zero_grad: fully connected layers defer it to their backward (it writes dW and db
    // instead of accumulating), which saves a pass over every weight gradient.
    for (std::size_t i = 0; i < model.num_modules(); ++i) {
        Module<T>& m = model.module(i);
        if (auto* fc = dynamic_cast<FullyConnected<T>*>(&m))
            fc->defer_zero_grad();
        else
            m.zero_grad();
    }
    const T value = loss.forward(model.forward(x), target);
    model.backward(loss.backward(), /*input_grad=*/false);
    norm = clip > 0 ? clip_grad_norm(model.parameter_list(), clip) : 0.0;
    opt->step();
    return value;
}

}  // namespace

template <class T>
T Model<T>::train_step(const Tensor<T>& x, std::span<const int> labels) {
    return run_train_step(*this, *loss_, optimizer_.get(), clip_norm_, last_grad_norm_, x, labels);
}

template <class T>
T Model<T>::train_step(const Tensor<T>& x, const Tensor<T>& target) {
    return run_train_step(*this, *loss_, optimizer_.get(), clip_norm_, last_grad_norm_, x, target);
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
        argmax_rows(logits, pred);
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
    std::size_t fc = 0;
    for (std::size_t i = 0; i < modules_.size(); ++i) {
        const bool is_fc = dynamic_cast<FullyConnected<T>*>(modules_[i].get()) != nullptr;
        const std::string prefix =
            is_fc ? "layers." + std::to_string(fc++) + "." : "modules." + std::to_string(i) + ".";
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
    for (auto& p : parameter_list()) p.grad->zero();
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
std::vector<FullyConnected<T>*> Model<T>::layers() const {
    std::vector<FullyConnected<T>*> out;
    for (const auto& m : modules_)
        if (auto* fc = dynamic_cast<FullyConnected<T>*>(m.get())) out.push_back(fc);
    return out;
}

template <class T>
std::vector<std::size_t> Model<T>::layer_sizes() const {
    std::vector<std::size_t> sizes;
    for (auto* fc : layers()) {
        if (sizes.empty()) sizes.push_back(fc->n_in());
        sizes.push_back(fc->n_out());
    }
    return sizes;
}

template <class T>
std::vector<std::string> Model<T>::activation_names() const {
    std::vector<std::string> names;
    for (auto* fc : layers()) names.push_back(fc->activation().spec());
    return names;
}

template <class T>
std::string Model<T>::summary() const {
    // "4 -> 8 (relu) -> 3 (identity), loss cross_entropy"; other modules by their name().
    std::string s;
    bool first = true;
    for (const auto& m : modules_) {
        if (auto* fc = dynamic_cast<const FullyConnected<T>*>(m.get())) {
            if (first) s += fc->n_in() ? std::to_string(fc->n_in()) : std::string("?");
            s += " -> " + std::to_string(fc->n_out()) + " (" + fc->activation().spec() + ")";
        } else {
            s += (first ? "" : " -> ") + m->name();
        }
        first = false;
    }
    return s + ", loss " + loss_->name();
}

template class Model<float>;
template class Model<double>;

}  // namespace ffnn
