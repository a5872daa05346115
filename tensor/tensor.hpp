// Tensor<T>: a dense, row-major, contiguous array of rank 0 to 4 (T = float or double).
//
// Storage is 64-byte aligned (one cache line, two AVX2 registers) and shared through a
// reference count, so that
//   - moving a tensor is cheap (no element is copied),
//   - reshape() and rows(begin, end) return views of the same storage (no copy): a
//     mini-batch that is a range of rows costs nothing,
//   - copying is always explicit: the copy constructor is deleted, clone() copies.
// A view's data pointer is the storage base plus an offset, so only tensors that start at
// the beginning of their storage are guaranteed to be 64-byte aligned.
//
// Checked access at(i, j, ...) throws std::out_of_range naming the index and the shape;
// operator()(i, j, ...) is unchecked (a debug assert only).
#pragma once

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "ffnn/tensor/shape.hpp"

namespace ffnn {

inline constexpr std::size_t kTensorAlignment = 64;  // bytes: one cache line

template <class T>
class Tensor {
    static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>,
                  "Tensor is instantiated for float and double only");

  public:
    using value_type = T;

    // An empty rank-1 tensor of shape (0).
    Tensor();
    // Nested initializer lists: rank 1, 2 and 3. Ragged lists throw std::invalid_argument.
    Tensor(std::initializer_list<T> values);
    Tensor(std::initializer_list<std::initializer_list<T>> rows);
    Tensor(std::initializer_list<std::initializer_list<std::initializer_list<T>>> planes);

    Tensor(const Tensor&) = delete;
    Tensor& operator=(const Tensor&) = delete;
    Tensor(Tensor&&) noexcept;
    Tensor& operator=(Tensor&&) noexcept;
    ~Tensor() = default;

    // Factories. empty() leaves the elements uninitialised.
    static Tensor empty(const Shape& shape);
    static Tensor zeros(const Shape& shape);
    static Tensor ones(const Shape& shape);
    static Tensor full(const Shape& shape, T value);
    // 0, 1, ..., n-1 as a rank-1 tensor; and start, start+step, ... below stop.
    static Tensor arange(std::size_t n);
    static Tensor arange(T start, T stop, T step = T(1));
    // Takes the values; throws if values.size() != shape.size().
    static Tensor from_vector(std::vector<T> values, const Shape& shape);
    static Tensor scalar(T value);

    const Shape& shape() const { return shape_; }
    std::size_t size() const { return shape_.size(); }
    std::size_t rank() const { return shape_.rank(); }
    std::size_t dim(std::size_t axis) const;  // checked
    std::size_t rows() const;                 // dim(0) of a rank>=1 tensor
    std::size_t cols() const;                 // size() / rows(): the row length of a rank>=1 tensor
    bool empty() const { return size() == 0; }

    T* data() { return data_; }
    const T* data() const { return data_; }
    T* begin() { return data_; }
    T* end() { return data_ + size(); }
    const T* begin() const { return data_; }
    const T* end() const { return data_ + size(); }
    std::span<T> span() { return {data_, size()}; }
    std::span<const T> span() const { return {data_, size()}; }
    std::vector<T> to_vector() const { return std::vector<T>(begin(), end()); }

    // Element access. The number of indices must equal the rank.
    template <class... I>
    T& at(I... idx) {
        return data_[checked_offset({static_cast<std::size_t>(idx)...})];
    }
    template <class... I>
    const T& at(I... idx) const {
        return data_[checked_offset({static_cast<std::size_t>(idx)...})];
    }
    template <class... I>
    T& operator()(I... idx) {
        return data_[unchecked_offset({static_cast<std::size_t>(idx)...})];
    }
    template <class... I>
    const T& operator()(I... idx) const {
        return data_[unchecked_offset({static_cast<std::size_t>(idx)...})];
    }
    T& operator[](std::size_t flat) {
        assert(flat < size());
        return data_[flat];
    }
    const T& operator[](std::size_t flat) const {
        assert(flat < size());
        return data_[flat];
    }
    // The value of a tensor with exactly one element; throws otherwise.
    T item() const;

    // A view with another shape of the same size (no copy); throws if the sizes differ.
    Tensor reshape(const Shape& shape) const;
    // A view of rows [begin, end) of a rank>=1 tensor (no copy); throws if out of range.
    Tensor rows(std::size_t begin, std::size_t end) const;
    // A view sharing this tensor's storage (no copy).
    Tensor view() const;
    // A new tensor holding the rows listed in `index`, in that order: copies only those rows.
    Tensor gather_rows(std::span<const std::size_t> index) const;
    // The same rows kept in place: this tensor becomes gather_rows(index) without a second
    // copy of its data when it owns its storage alone and `index` is strictly increasing
    // (each kept row then moves towards the front, never over a row still to be read);
    // otherwise it becomes gather_rows(index), a new allocation. Throws as gather_rows does.
    void keep_rows(std::span<const std::size_t> index);
    // A deep copy with its own, aligned storage.
    Tensor clone() const;
    // Copies the elements of `src` (same size) into this tensor's storage.
    void copy_from(const Tensor& src);

    // Gives this tensor the shape `shape`, reusing its storage when it owns it alone and it
    // is large enough; otherwise allocates new storage. Element values are unspecified.
    // Workspaces call this each step so that steady-state training does not allocate.
    void resize(const Shape& shape);

    void fill(T value);
    void zero() { fill(T(0)); }

    // True when both tensors view the same storage.
    bool shares_storage_with(const Tensor& other) const { return storage_ == other.storage_; }

  private:
    Tensor(std::shared_ptr<T> storage, std::size_t capacity, T* data, const Shape& shape)
        : storage_(std::move(storage)), capacity_(capacity), data_(data), shape_(shape) {}
    // Aligned storage for n elements; throws std::length_error naming `shape` when the byte
    // count overflows size_t.
    static std::shared_ptr<T> allocate(std::size_t n, const Shape& shape);

    std::size_t checked_offset(std::initializer_list<std::size_t> idx) const;
    std::size_t unchecked_offset(std::initializer_list<std::size_t> idx) const {
        assert(idx.size() == rank());
        std::size_t off = 0, axis = 0;
        for (std::size_t i : idx) {
            assert(i < shape_[axis]);
            off = off * shape_[axis++] + i;
        }
        return off;
    }

    std::shared_ptr<T> storage_;  // aligned block, shared by views
    std::size_t capacity_ = 0;    // elements in storage_
    T* data_ = nullptr;           // first element of this tensor (storage base + offset)
    Shape shape_;
};

extern template class Tensor<float>;
extern template class Tensor<double>;

}  // namespace ffnn
