// Tensor<T> storage, factories, views and checked access. See tensor.hpp for the design.
#include "ffnn/tensor/tensor.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <new>

namespace ffnn {

namespace {
// The shape a moved-from tensor is left with, (0): built once, so that the noexcept moves
// copy it instead of calling the (throwing) initializer-list constructor.
const Shape kEmptyShape{0};
}  // namespace

template <class T>
std::shared_ptr<T> Tensor<T>::allocate(std::size_t n, const Shape& shape) {
    // Round the byte count up to whole cache lines; never request 0 bytes. n * sizeof(T)
    // plus the rounding must fit in size_t: 2^62 floats would otherwise wrap to a tiny block.
    constexpr std::size_t kMaxElements =
        (static_cast<std::size_t>(-1) - (kTensorAlignment - 1)) / sizeof(T);
    if (n > kMaxElements)
        throw std::length_error("Tensor: shape " + shape.to_string() + " holds " +
                                std::to_string(n) + " elements of " + std::to_string(sizeof(T)) +
                                " bytes, more bytes than size_t can count");
    std::size_t bytes = std::max<std::size_t>(n * sizeof(T), 1);
    bytes = (bytes + kTensorAlignment - 1) / kTensorAlignment * kTensorAlignment;
    void* p = ::operator new (bytes, std::align_val_t{kTensorAlignment});
    return std::shared_ptr<T>(static_cast<T*>(p), [](T* q) {
        ::operator delete (q, std::align_val_t{kTensorAlignment});
    });
}

template <class T>
Tensor<T>::Tensor() : Tensor(allocate(0, Shape{0}), 0, nullptr, Shape{0}) {
    data_ = storage_.get();
}

template <class T>
Tensor<T>::Tensor(Tensor&& o) noexcept
    : storage_(std::move(o.storage_)), capacity_(o.capacity_), data_(o.data_), shape_(o.shape_) {
    o.capacity_ = 0;
    o.data_ = nullptr;
    o.shape_ = kEmptyShape;
}

template <class T>
Tensor<T>& Tensor<T>::operator=(Tensor&& o) noexcept {
    if (this != &o) {
        storage_ = std::move(o.storage_);
        capacity_ = o.capacity_;
        data_ = o.data_;
        shape_ = o.shape_;
        o.capacity_ = 0;
        o.data_ = nullptr;
        o.shape_ = kEmptyShape;
    }
    return *this;
}

template <class T>
Tensor<T> Tensor<T>::empty(const Shape& shape) {
    std::size_t n = shape.size();  // throws std::length_error if the extents overflow
    auto storage = allocate(n, shape);
    T* p = storage.get();
    return Tensor(std::move(storage), n, p, shape);
}

template <class T>
Tensor<T> Tensor<T>::zeros(const Shape& shape) {
    return full(shape, T(0));
}

template <class T>
Tensor<T> Tensor<T>::ones(const Shape& shape) {
    return full(shape, T(1));
}

template <class T>
Tensor<T> Tensor<T>::full(const Shape& shape, T value) {
    Tensor t = empty(shape);
    t.fill(value);
    return t;
}

template <class T>
Tensor<T> Tensor<T>::scalar(T value) {
    return full(Shape{}, value);
}

template <class T>
Tensor<T> Tensor<T>::arange(std::size_t n) {
    Tensor t = empty(Shape{n});
    for (std::size_t i = 0; i < n; ++i) t.data_[i] = static_cast<T>(i);
    return t;
}

template <class T>
Tensor<T> Tensor<T>::arange(T start, T stop, T step) {
    if (!(step != T(0)) || !std::isfinite(start) || !std::isfinite(stop) || !std::isfinite(step))
        throw std::invalid_argument("arange: start, stop and step must be finite, step non-zero");
    double count = std::ceil((double(stop) - double(start)) / double(step));
    // Converting a double of 2^64 or more to size_t is undefined: reject it first.
    if (count >= 0x1p64)
        throw std::length_error("arange: " + std::to_string(count) + " elements are too many");
    std::size_t n = count > 0 ? static_cast<std::size_t>(count) : 0;
    Tensor t = empty(Shape{n});
    for (std::size_t i = 0; i < n; ++i) t.data_[i] = start + static_cast<T>(i) * step;
    return t;
}

template <class T>
Tensor<T> Tensor<T>::from_vector(std::vector<T> values, const Shape& shape) {
    if (values.size() != shape.size())
        throw std::invalid_argument("from_vector: " + std::to_string(values.size()) +
                                    " values do not fill shape " + shape.to_string() + " (" +
                                    std::to_string(shape.size()) + " elements)");
    Tensor t = empty(shape);
    std::copy(values.begin(), values.end(), t.data_);
    return t;
}

template <class T>
Tensor<T>::Tensor(std::initializer_list<T> values) : Tensor(empty(Shape{values.size()})) {
    std::copy(values.begin(), values.end(), data_);
}

template <class T>
Tensor<T>::Tensor(std::initializer_list<std::initializer_list<T>> rows) {
    std::size_t r = rows.size(), c = r ? rows.begin()->size() : 0;
    *this = empty(Shape{r, c});
    T* out = data_;
    std::size_t i = 0;
    for (const auto& row : rows) {
        if (row.size() != c)
            throw std::invalid_argument("Tensor: ragged initializer list: row " +
                                        std::to_string(i) + " has " + std::to_string(row.size()) +
                                        " values, row 0 has " + std::to_string(c));
        out = std::copy(row.begin(), row.end(), out);
        ++i;
    }
}

template <class T>
Tensor<T>::Tensor(std::initializer_list<std::initializer_list<std::initializer_list<T>>> planes) {
    std::size_t p = planes.size();
    std::size_t r = p ? planes.begin()->size() : 0;
    std::size_t c = r ? planes.begin()->begin()->size() : 0;
    *this = empty(Shape{p, r, c});
    T* out = data_;
    for (const auto& plane : planes) {
        if (plane.size() != r)
            throw std::invalid_argument("Tensor: ragged initializer list: planes differ in rows");
        for (const auto& row : plane) {
            if (row.size() != c)
                throw std::invalid_argument(
                    "Tensor: ragged initializer list: rows differ in length");
            out = std::copy(row.begin(), row.end(), out);
        }
    }
}

template <class T>
std::size_t Tensor<T>::dim(std::size_t axis) const {
    if (axis >= rank())
        throw std::out_of_range("dim: axis " + std::to_string(axis) + " of a tensor of shape " +
                                shape_.to_string());
    return shape_[axis];
}

template <class T>
std::size_t Tensor<T>::rows() const {
    if (rank() == 0) throw std::invalid_argument("rows: a scalar has no rows");
    return shape_[0];
}

template <class T>
std::size_t Tensor<T>::cols() const {
    if (rank() == 0) throw std::invalid_argument("cols: a scalar has no rows");
    // Cannot overflow: every shape a tensor holds passed Shape::size(), which bounds the
    // product of its non-zero extents.
    std::size_t c = 1;
    for (std::size_t i = 1; i < rank(); ++i) c *= shape_[i];
    return c;
}

template <class T>
T Tensor<T>::item() const {
    if (size() != 1)
        throw std::invalid_argument("item: tensor of shape " + shape_.to_string() +
                                    " does not hold exactly one element");
    return data_[0];
}

template <class T>
std::size_t Tensor<T>::checked_offset(std::initializer_list<std::size_t> idx) const {
    auto describe = [&] {
        std::string s = "(";
        bool first = true;
        for (std::size_t i : idx) {
            if (!first) s += ", ";
            s += std::to_string(i);
            first = false;
        }
        return s + ")";
    };
    if (idx.size() != rank())
        throw std::out_of_range("at: " + std::to_string(idx.size()) + " indices " + describe() +
                                " for a tensor of rank " + std::to_string(rank()) + " (shape " +
                                shape_.to_string() + ")");
    std::size_t off = 0, axis = 0;
    for (std::size_t i : idx) {
        if (i >= shape_[axis])
            throw std::out_of_range("at: index " + describe() + " out of range for shape " +
                                    shape_.to_string());
        off = off * shape_[axis++] + i;
    }
    return off;
}

template <class T>
Tensor<T> Tensor<T>::reshape(const Shape& shape) const {
    if (shape.size() != size())
        throw std::invalid_argument("reshape: cannot view shape " + shape_.to_string() + " (" +
                                    std::to_string(size()) + " elements) as " + shape.to_string() +
                                    " (" + std::to_string(shape.size()) + " elements)");
    return Tensor(storage_, capacity_, data_, shape);
}

template <class T>
Tensor<T> Tensor<T>::view() const {
    return Tensor(storage_, capacity_, data_, shape_);
}

template <class T>
Tensor<T> Tensor<T>::rows(std::size_t begin, std::size_t end) const {
    if (rank() == 0) throw std::invalid_argument("rows: a scalar has no rows");
    if (begin > end || end > shape_[0])
        throw std::out_of_range("rows: range [" + std::to_string(begin) + ", " +
                                std::to_string(end) + ") out of range for shape " +
                                shape_.to_string());
    Shape s = shape_;
    s[0] = end - begin;
    return Tensor(storage_, capacity_, data_ + begin * cols(), s);
}

template <class T>
Tensor<T> Tensor<T>::gather_rows(std::span<const std::size_t> index) const {
    if (rank() == 0) throw std::invalid_argument("gather_rows: a scalar has no rows");
    std::size_t n = shape_[0], c = cols();
    for (std::size_t i = 0; i < index.size(); ++i)
        if (index[i] >= n)
            throw std::out_of_range("gather_rows: index[" + std::to_string(i) +
                                    "] = " + std::to_string(index[i]) + " out of range for shape " +
                                    shape_.to_string());
    Shape s = shape_;
    s[0] = index.size();
    Tensor out = empty(s);
    for (std::size_t i = 0; i < index.size(); ++i)
        std::memcpy(out.data_ + i * c, data_ + index[i] * c, c * sizeof(T));
    return out;
}

template <class T>
void Tensor<T>::keep_rows(std::span<const std::size_t> index) {
    const bool sole_owner = storage_ && storage_.use_count() == 1;
    const bool increasing = std::adjacent_find(index.begin(), index.end(),
                                               std::greater_equal<std::size_t>()) == index.end();
    if (rank() == 0 || !sole_owner || !increasing ||
        (!index.empty() && index.back() >= shape_[0])) {
        *this = gather_rows(index);  // throws for a scalar or an index out of range
        return;
    }
    // index[i] >= i: row i is written after every row before it was read, and rows after
    // index[i] are read later still.
    const std::size_t c = cols();
    for (std::size_t i = 0; i < index.size(); ++i)
        if (index[i] != i) std::memmove(data_ + i * c, data_ + index[i] * c, c * sizeof(T));
    shape_[0] = index.size();
}

template <class T>
Tensor<T> Tensor<T>::clone() const {
    Tensor out = empty(shape_);
    if (size()) std::memcpy(out.data_, data_, size() * sizeof(T));
    return out;
}

template <class T>
void Tensor<T>::copy_from(const Tensor& src) {
    if (src.size() != size())
        throw std::invalid_argument("copy_from: source of shape " + src.shape_.to_string() +
                                    " does not fit destination of shape " + shape_.to_string());
    if (size() && src.data_ != data_) std::memmove(data_, src.data_, size() * sizeof(T));
}

template <class T>
void Tensor<T>::resize(const Shape& shape) {
    if (shape == shape_) return;
    std::size_t n = shape.size();
    bool sole_owner = storage_ && storage_.use_count() == 1 && data_ == storage_.get();
    if (sole_owner && n <= capacity_) {
        shape_ = shape;
        return;
    }
    *this = empty(shape);
}

template <class T>
void Tensor<T>::fill(T value) {
    std::fill(data_, data_ + size(), value);
}

template class Tensor<float>;
template class Tensor<double>;

}  // namespace ffnn
