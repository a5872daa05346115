// IDX files: the array format of MNIST and Fashion-MNIST (LeCun et al., "THE MNIST
// DATABASE of handwritten digits", file format section).
//
//   bytes 0-1   zero
//   byte  2     element type: 0x08 unsigned byte (the only one ffnn reads), 0x09 signed
//               byte, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64
//   byte  3     number of dimensions
//   then        each dimension as a 32-bit big-endian unsigned integer
//   then        the elements, row-major, nothing after them
//
// Files may be gzip-compressed or plain: zlib's gzread reads both transparently. "Nothing
// after the data" applies to the decompressed bytes; zlib itself ignores non-gzip bytes
// after the end of a complete gzip stream.
//
// The reader trusts nothing in the file: the rank and every dimension are capped, the total
// size is capped (kIdxMaxBytes), and the data are read in chunks that grow with the bytes
// actually present, so a corrupt header claiming terabytes fails with a message instead of
// a huge allocation. A short file, bytes left over after the data, a wrong magic number or
// an unsupported element type throw std::runtime_error naming the path and what was
// expected.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ffnn {

inline constexpr std::uint8_t kIdxTypeUnsignedByte = 0x08;
inline constexpr std::size_t kIdxMaxRank = 4;  // MNIST uses 1 (labels) and 3 (images)
// Largest array accepted: 1 GiB, twenty times the 47 MB of Fashion-MNIST's training images.
inline constexpr std::uint64_t kIdxMaxBytes = std::uint64_t(1) << 30;

struct IdxArray {
    std::vector<std::size_t> dims;   // extents, outermost first
    std::vector<std::uint8_t> data;  // product(dims) bytes, row-major
    std::size_t size() const;        // product(dims)
};

// Reads a gzip-compressed or plain IDX file of unsigned bytes, streaming it through zlib.
IdxArray read_idx(const std::string& path);

// The same on the bytes of a file in memory (gzip-compressed or plain, decoded as gzread
// would), with the same checks; `name` stands for the file in messages.
IdxArray parse_idx(std::string_view bytes, const std::string& name);

// Writes an IDX file of unsigned bytes, gzip-compressed when `gzip` is true (used by tests
// and tools; not atomic). Throws if data.size() != product(dims).
void write_idx(const std::string& path, std::span<const std::size_t> dims,
               std::span<const std::uint8_t> data, bool gzip);

}  // namespace ffnn
