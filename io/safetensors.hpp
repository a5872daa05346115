// Checkpoints in the safetensors format (the Hugging Face layout), written and read by ffnn.
//
// Layout of a file:
//   bytes 0-7    header length H, unsigned 64-bit little-endian
//   bytes 8..    H bytes of JSON: an object mapping each tensor name to
//                  {"dtype": "F32" | "F64", "shape": [d0, d1, ...], "data_offsets": [begin, end]}
//                and optionally "__metadata__": {string: string}. The writer pads the header
//                with spaces so that 8 + H is a multiple of 8 (the data start aligned).
//   then         the data buffer: each tensor's elements, row-major, little-endian, at
//                [begin, end) relative to the start of the buffer, tensors back to back.
//
// The reader trusts nothing: the header length is bounded (kSafetensorsMaxHeader) and must
// fit in the file; the header must be a JSON object whose entries have exactly the keys
// dtype, shape and data_offsets; the dtype must be F32 or F64 (the other safetensors dtypes
// are named and rejected); end - begin must equal product(shape) * dtype size; the tensors
// must tile the buffer exactly (sorted by offset: contiguous, no overlap, no gap, nothing
// left after the last); metadata values must be strings. Each violation throws
// std::runtime_error naming the file and the tensor.
//
// Tensors keep their dtype when read (std::variant of Tensor<float> and Tensor<double>);
// as_float()/as_double() convert on request. Ranks above kMaxRank (4) are rejected, since
// Tensor cannot hold them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "ffnn/tensor/tensor.hpp"

namespace ffnn {

// Largest header accepted: 100 MB, as in the reference implementation.
inline constexpr std::uint64_t kSafetensorsMaxHeader = 100'000'000;
// The data buffer starts on a multiple of this many bytes (header padded with spaces).
inline constexpr std::size_t kSafetensorsAlignment = 8;

enum class DType { F32, F64 };
const char* dtype_name(DType t);  // "F32", "F64"
std::size_t dtype_size(DType t);  // 4, 8

// Metadata: string to string, kept sorted so files are byte-for-byte reproducible.
using Metadata = std::map<std::string, std::string>;

// One named tensor, float or double. To write a model's parameter without copying it, pass
// a view: StoredTensor{"fc1.weight", W.view()}.
struct StoredTensor {
    std::string name;
    std::variant<Tensor<float>, Tensor<double>> value;

    DType dtype() const;
    const Shape& shape() const;
    Tensor<float> as_float() const;    // a copy, converted if the tensor is F64
    Tensor<double> as_double() const;  // a copy, converted if the tensor is F32
};

struct SafetensorsFile {
    std::vector<StoredTensor> tensors;  // in data-offset order (the writer's order)
    Metadata metadata;
    std::string source;  // the path, for messages

    // The tensor named `name`, or nullptr / std::runtime_error naming the file and the name.
    const StoredTensor* find(std::string_view name) const;
    const StoredTensor& at(std::string_view name) const;
};

// The bytes of a safetensors file holding `tensors` (in this order; names unique and not
// "__metadata__") and `metadata`. Throws std::invalid_argument on a bad name.
std::string serialize_safetensors(std::span<const StoredTensor> tensors,
                                  const Metadata& metadata = {});

// Writes atomically (write_file_atomic): a crash never leaves a truncated checkpoint.
void write_safetensors(const std::string& path, std::span<const StoredTensor> tensors,
                       const Metadata& metadata = {});

// Parses bytes in memory; `name` stands for the file in error messages.
SafetensorsFile parse_safetensors(std::string_view bytes, const std::string& name);
SafetensorsFile read_safetensors(const std::string& path);

}  // namespace ffnn
