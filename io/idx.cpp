// IDX reader and writer over zlib's gz* functions. See idx.hpp for the format and checks.
#include "ffnn/io/idx.hpp"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string_view>

namespace ffnn {
namespace {

// Data are read in chunks of this size, the vector growing with the bytes actually read.
constexpr std::size_t kIdxChunkBytes = std::size_t(1) << 20;
// The first chunk, and the most trailing bytes counted: a small file costs a small buffer
// (a fixed 2 MiB per file made the fuzzer's 95-byte inputs run at 240 per second and,
// with ASan's quarantine, exceed 256 MB), and each chunk is at most the size of the data
// already read, so memory stays within twice the bytes actually present.
constexpr std::size_t kIdxFirstChunkBytes = std::size_t(1) << 16;
// zlib's internal input buffer: larger than its 8 KiB default to cut the number of reads.
constexpr unsigned kGzBufferBytes = 128 * 1024;

const char* idx_type_name(std::uint8_t type) {
    switch (type) {
        case 0x08:
            return "unsigned byte";
        case 0x09:
            return "signed byte";
        case 0x0B:
            return "int16";
        case 0x0C:
            return "int32";
        case 0x0D:
            return "float32";
        case 0x0E:
            return "float64";
        default:
            return "unknown";
    }
}

std::string hex_byte(unsigned v) {
    static const char* digits = "0123456789ABCDEF";
    return std::string("0x") + digits[(v >> 4) & 15] + digits[v & 15];
}

// Where read_idx_from takes its bytes: a file through zlib's gz* functions, or a buffer in
// memory decoded the same way. read() returns up to n bytes, fewer only at the end of the
// data, and throws std::runtime_error naming the source on corrupt or truncated data.
class ByteSource {
  public:
    virtual ~ByteSource() = default;
    virtual std::size_t read(void* buf, std::size_t n) = 0;
};

// Owns a gzFile; every read checks for errors and names the path.
class GzReader final : public ByteSource {
  public:
    explicit GzReader(const std::string& path) : path_(path) {
        std::error_code ec;
        if (!std::filesystem::exists(path, ec)) throw std::runtime_error(path + ": no such file");
        if (std::filesystem::is_directory(path, ec))
            throw std::runtime_error(path + ": is a directory, expected an IDX file");
        errno = 0;
        file_ = gzopen(path.c_str(), "rb");
        if (!file_)
            throw std::runtime_error(
                path + ": cannot open: " + (errno ? std::strerror(errno) : "out of memory"));
        gzbuffer(file_, kGzBufferBytes);
    }
    GzReader(const GzReader&) = delete;
    GzReader& operator=(const GzReader&) = delete;
    ~GzReader() {
        if (file_) gzclose(file_);
    }

    // Reads up to n bytes; returns how many were read (fewer only at the end of the data).
    // A corrupt or truncated compressed stream throws.
    std::size_t read(void* buf, std::size_t n) override {
        std::size_t got = 0;
        auto* p = static_cast<unsigned char*>(buf);
        while (got < n) {
            unsigned want = static_cast<unsigned>(std::min<std::size_t>(n - got, kIdxChunkBytes));
            int r = gzread(file_, p + got, want);
            if (r < 0) fail();
            if (r == 0) break;
            got += static_cast<std::size_t>(r);
        }
        // gzread reports a stream cut short (Z_BUF_ERROR) only through gzerror.
        int errnum = Z_OK;
        gzerror(file_, &errnum);
        if (errnum != Z_OK) fail();
        return got;
    }

    [[noreturn]] void fail() {
        int errnum = Z_OK;
        const char* msg = gzerror(file_, &errnum);
        std::string why = errnum == Z_ERRNO ? std::strerror(errno) : (msg ? msg : "read error");
        if (why.rfind(path_ + ": ", 0) == 0)
            why.erase(0, path_.size() + 2);  // zlib prefixes the path
        if (errnum == Z_BUF_ERROR) why = "the compressed stream is truncated (" + why + ")";
        throw std::runtime_error(path_ + ": corrupt or unreadable file: " + why);
    }

  private:
    std::string path_;
    gzFile file_ = nullptr;
};

// Bytes in memory, read as gzread reads a file: a buffer starting with the gzip magic
// 1F 8B is inflated member after member (bytes after a complete member that do not start
// another are ignored, as zlib does); anything else is passed through as it is.
class MemoryReader final : public ByteSource {
  public:
    MemoryReader(std::string_view bytes, const std::string& name) : in_(bytes), name_(name) {
        gzip_ = in_.size() >= 2 && static_cast<unsigned char>(in_[0]) == 0x1F &&
                static_cast<unsigned char>(in_[1]) == 0x8B;
        if (gzip_) {
            // 15 + 16: a 32 KiB window, gzip wrapper only.
            if (inflateInit2(&z_, 15 + 16) != Z_OK)
                throw std::runtime_error(name_ + ": cannot start zlib: out of memory");
            z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in_.data()));
            z_.avail_in = 0;
        }
    }
    MemoryReader(const MemoryReader&) = delete;
    MemoryReader& operator=(const MemoryReader&) = delete;
    ~MemoryReader() override {
        if (gzip_) inflateEnd(&z_);
    }

    std::size_t read(void* buf, std::size_t n) override {
        if (!gzip_) {
            const std::size_t got = std::min(n, in_.size() - pos_);
            if (got) std::memcpy(buf, in_.data() + pos_, got);
            pos_ += got;
            return got;
        }
        auto* out = static_cast<Bytef*>(buf);
        std::size_t got = 0;
        while (got < n && !done_) {
            // zlib counts in unsigned int: feed and drain at most kIdxChunkBytes at a time.
            if (z_.avail_in == 0) {
                const std::size_t left = in_.size() - pos_;
                z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in_.data() + pos_));
                z_.avail_in = static_cast<uInt>(std::min(left, kIdxChunkBytes));
                pos_ += z_.avail_in;
            }
            z_.next_out = out + got;
            z_.avail_out = static_cast<uInt>(std::min(n - got, kIdxChunkBytes));
            const uInt before = z_.avail_out;
            const int r = inflate(&z_, Z_NO_FLUSH);
            got += before - z_.avail_out;
            if (r == Z_STREAM_END) {
                next_member();
            } else if (r == Z_BUF_ERROR && z_.avail_in == 0 && pos_ == in_.size()) {
                throw std::runtime_error(name_ +
                                         ": corrupt or unreadable file: the compressed stream is "
                                         "truncated (unexpected end of file)");
            } else if (r != Z_OK && r != Z_BUF_ERROR) {
                throw std::runtime_error(name_ + ": corrupt or unreadable file: " +
                                         (z_.msg ? z_.msg : "inflate error " + std::to_string(r)));
            }
        }
        return got;
    }

  private:
    // After a member's end: another member follows only if the gzip magic does.
    void next_member() {
        const std::size_t at = pos_ - z_.avail_in;  // first byte after the member
        if (in_.size() - at >= 2 && static_cast<unsigned char>(in_[at]) == 0x1F &&
            static_cast<unsigned char>(in_[at + 1]) == 0x8B) {
            inflateReset(&z_);
            return;
        }
        done_ = true;
    }

    std::string_view in_;
    std::string name_;
    std::size_t pos_ = 0;  // bytes of in_ handed to zlib (or copied) so far
    bool gzip_ = false;
    bool done_ = false;
    z_stream z_{};
};

// The reader proper, on either source; `name` names the file in messages.
IdxArray read_idx_from(ByteSource& in, const std::string& path);

}  // namespace

std::size_t IdxArray::size() const {
    std::size_t n = 1;
    for (std::size_t d : dims)
        if (__builtin_mul_overflow(n, d, &n))
            throw std::length_error("IdxArray: the dimensions multiply past the largest size_t");
    return n;
}

IdxArray read_idx(const std::string& path) {
    GzReader in(path);
    return read_idx_from(in, path);
}

IdxArray parse_idx(std::string_view bytes, const std::string& name) {
    MemoryReader in(bytes, name);
    return read_idx_from(in, name);
}

namespace {

IdxArray read_idx_from(ByteSource& in, const std::string& path) {
    unsigned char magic[4];
    std::size_t got = in.read(magic, 4);
    if (got == 0) throw std::runtime_error(path + ": empty file, expected an IDX header");
    if (got < 4)
        throw std::runtime_error(path + ": truncated header: expected 4 magic bytes, got " +
                                 std::to_string(got));
    if (magic[0] != 0 || magic[1] != 0)
        throw std::runtime_error(path +
                                 ": not an IDX file: the magic number must start with two zero "
                                 "bytes, got " +
                                 hex_byte(magic[0]) + " " + hex_byte(magic[1]));
    if (magic[2] != kIdxTypeUnsignedByte)
        throw std::runtime_error(path + ": IDX element type " + hex_byte(magic[2]) + " (" +
                                 idx_type_name(magic[2]) +
                                 ") is not supported: expected 0x08 (unsigned byte)");
    const std::size_t rank = magic[3];
    if (rank < 1 || rank > kIdxMaxRank)
        throw std::runtime_error(path + ": IDX rank " + std::to_string(rank) +
                                 " is not supported: expected 1 to " + std::to_string(kIdxMaxRank) +
                                 " dimensions");

    IdxArray out;
    std::uint64_t total = 1;
    for (std::size_t axis = 0; axis < rank; ++axis) {
        unsigned char b[4];
        if (in.read(b, 4) != 4)
            throw std::runtime_error(path + ": truncated header: missing dimension " +
                                     std::to_string(axis) + " of " + std::to_string(rank));
        std::uint64_t d = (std::uint64_t(b[0]) << 24) | (std::uint64_t(b[1]) << 16) |
                          (std::uint64_t(b[2]) << 8) | std::uint64_t(b[3]);
        // Both factors are below 2^32, so the product cannot overflow 64 bits before the check.
        total *= d;
        if (total > kIdxMaxBytes)
            throw std::runtime_error(path +
                                     ": IDX dimensions are implausible: the array would exceed " +
                                     std::to_string(kIdxMaxBytes) + " bytes (dimension " +
                                     std::to_string(axis) + " is " + std::to_string(d) + ")");
        out.dims.push_back(static_cast<std::size_t>(d));
    }

    // Read in chunks: memory grows with the bytes present, not with what the header claims.
    const std::size_t expected = static_cast<std::size_t>(total);
    std::size_t have = 0;
    while (have < expected) {
        const std::size_t chunk = std::clamp(have, kIdxFirstChunkBytes, kIdxChunkBytes);
        std::size_t want = std::min(chunk, expected - have);
        out.data.resize(have + want);
        std::size_t n = in.read(out.data.data() + have, want);
        have += n;
        if (n < want) break;
    }
    out.data.resize(have);
    if (have != expected) {
        std::string shape;
        for (std::size_t d : out.dims) {
            if (!shape.empty()) shape += 'x';
            shape += std::to_string(d);
        }
        throw std::runtime_error(path + ": truncated data: the header declares " + shape + " = " +
                                 std::to_string(expected) + " bytes, the file holds " +
                                 std::to_string(have));
    }

    // Nothing may follow the data: count what is left, up to kIdxFirstChunkBytes (the file
    // is invalid already; reading on would only refine the number).
    std::vector<unsigned char> rest(kIdxFirstChunkBytes);
    const std::size_t extra = in.read(rest.data(), rest.size());
    if (extra > 0)
        throw std::runtime_error(path + ": " + (extra == rest.size() ? "at least " : "") +
                                 std::to_string(extra) +
                                 " unexpected bytes after the data (expected exactly " +
                                 std::to_string(expected) + " data bytes)");
    return out;
}

}  // namespace

void write_idx(const std::string& path, std::span<const std::size_t> dims,
               std::span<const std::uint8_t> data, bool gzip) {
    if (dims.empty() || dims.size() > kIdxMaxRank)
        throw std::invalid_argument("write_idx: " + path + ": expected 1 to 4 dimensions, got " +
                                    std::to_string(dims.size()));
    std::uint64_t total = 1;
    std::string header = {0, 0, static_cast<char>(kIdxTypeUnsignedByte),
                          static_cast<char>(dims.size())};
    for (std::size_t d : dims) {
        if (d > 0xFFFFFFFFu)
            throw std::invalid_argument("write_idx: " + path + ": dimension exceeds 32 bits");
        total *= d;
        for (int shift = 24; shift >= 0; shift -= 8)
            header += static_cast<char>((d >> shift) & 0xFF);
    }
    if (total != data.size())
        throw std::invalid_argument("write_idx: " + path + ": dimensions hold " +
                                    std::to_string(total) + " elements but " +
                                    std::to_string(data.size()) + " were given");
    if (gzip) {
        gzFile f = gzopen(path.c_str(), "wb");
        if (!f)
            throw std::runtime_error("write_idx: cannot create " + path + ": " +
                                     std::strerror(errno));
        bool ok =
            gzwrite(f, header.data(), static_cast<unsigned>(header.size())) == int(header.size());
        std::size_t done = 0;
        while (ok && done < data.size()) {
            unsigned n = static_cast<unsigned>(std::min(kIdxChunkBytes, data.size() - done));
            ok = gzwrite(f, data.data() + done, n) == int(n);
            done += n;
        }
        if (gzclose(f) != Z_OK) ok = false;
        if (!ok) throw std::runtime_error("write_idx: cannot write " + path);
    } else {
        std::ofstream out(path, std::ios::binary);
        if (!out)
            throw std::runtime_error("write_idx: cannot create " + path + ": " +
                                     std::strerror(errno));
        out.write(header.data(), static_cast<std::streamsize>(header.size()));
        out.write(reinterpret_cast<const char*>(data.data()),
                  static_cast<std::streamsize>(data.size()));
        if (!out.flush()) throw std::runtime_error("write_idx: cannot write " + path);
    }
}

}  // namespace ffnn
