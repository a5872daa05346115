// IDX reader: small files written by the test (plain and gzip), every corruption the reader
// must catch with a clear message, and the installed Fashion-MNIST when it is present.
#include <gtest/gtest.h>
#include <zlib.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "ffnn/io/dataset.hpp"
#include "ffnn/io/idx.hpp"
#include "ffnn/tensor/random.hpp"
#include "test_helpers.hpp"

using namespace ffnn;
using ffnn_test::TempDir;

namespace {

// Builds an IDX file byte by byte, independently of write_idx.
std::string idx_bytes(std::uint8_t type, const std::vector<std::uint32_t>& dims,
                      const std::vector<std::uint8_t>& data) {
    std::string s = {0, 0, static_cast<char>(type), static_cast<char>(dims.size())};
    for (std::uint32_t d : dims)
        for (int shift = 24; shift >= 0; shift -= 8) s += static_cast<char>((d >> shift) & 0xFF);
    s.append(data.begin(), data.end());
    return s;
}

void write_gz(const std::string& path, const std::string& bytes) {
    gzFile f = gzopen(path.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    ASSERT_EQ(gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size())),
              static_cast<int>(bytes.size()));
    ASSERT_EQ(gzclose(f), Z_OK);
}

std::vector<std::uint8_t> ramp(std::size_t n) {
    std::vector<std::uint8_t> v(n);
    for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<std::uint8_t>((i * 37 + 11) % 256);
    return v;
}

}  // namespace

TEST(DataIdx, ReadsPlainAndGzipFiles) {
    TempDir dir;
    const auto data = ramp(3 * 4 * 5);
    const std::string bytes = idx_bytes(0x08, {3, 4, 5}, data);
    ffnn_test::write_bytes(dir.file("a.idx"), bytes);
    write_gz(dir.file("a.idx.gz"), bytes);
    for (const char* name : {"a.idx", "a.idx.gz"}) {
        SCOPED_TRACE(name);
        IdxArray a = read_idx(dir.file(name));
        EXPECT_EQ(a.dims, (std::vector<std::size_t>{3, 4, 5}));
        EXPECT_EQ(a.size(), 60u);
        EXPECT_EQ(a.data, data);
    }
}

TEST(DataIdx, WriteIdxRoundTrip) {
    TempDir dir;
    const auto data = ramp(7 * 2);
    const std::vector<std::size_t> dims = {7, 2};
    write_idx(dir.file("p.idx"), dims, data, false);
    write_idx(dir.file("g.idx.gz"), dims, data, true);
    // The plain file is exactly the reference layout.
    EXPECT_EQ(ffnn_test::read_bytes(dir.file("p.idx")), idx_bytes(0x08, {7, 2}, data));
    EXPECT_EQ(read_idx(dir.file("g.idx.gz")).data, data);
    EXPECT_EQ(read_idx(dir.file("p.idx")).dims, dims);
    // A file larger than one read chunk (1 MiB) goes through the growing path.
    const auto big = ramp(1100 * 1000);
    const std::vector<std::size_t> big_dims = {1100, 1000};
    write_idx(dir.file("big.idx.gz"), big_dims, big, true);
    EXPECT_EQ(read_idx(dir.file("big.idx.gz")).data, big);
}

TEST(DataIdxErrors, TruncatedData) {
    TempDir dir;
    std::string bytes = idx_bytes(0x08, {10, 4}, ramp(40));
    bytes.resize(bytes.size() - 3);
    ffnn_test::write_bytes(dir.file("t.idx"), bytes);
    write_gz(dir.file("t.idx.gz"), bytes);
    for (const char* name : {"t.idx", "t.idx.gz"}) {
        std::string path = dir.file(name);
        EXPECT_THROW_CONTAINS(read_idx(path), std::runtime_error, path.c_str(), "truncated data",
                              "10x4 = 40 bytes", "holds 37");
    }
}

TEST(DataIdxErrors, TruncatedHeaderAndEmptyFile) {
    TempDir dir;
    ffnn_test::write_bytes(dir.file("e.idx"), "");
    EXPECT_THROW_CONTAINS(read_idx(dir.file("e.idx")), std::runtime_error, "e.idx", "empty file");
    ffnn_test::write_bytes(dir.file("m.idx"), std::string("\0\0", 2));
    EXPECT_THROW_CONTAINS(read_idx(dir.file("m.idx")), std::runtime_error, "m.idx",
                          "truncated header");
    std::string bytes = idx_bytes(0x08, {10, 4}, {});
    bytes.resize(9);  // the second dimension is cut
    ffnn_test::write_bytes(dir.file("d.idx"), bytes);
    EXPECT_THROW_CONTAINS(read_idx(dir.file("d.idx")), std::runtime_error, "d.idx",
                          "truncated header", "dimension 1 of 2");
}

TEST(DataIdxErrors, TruncatedGzipStream) {
    TempDir dir;
    const std::string path = dir.file("cut.idx.gz");
    write_gz(path, idx_bytes(0x08, {100, 100}, ramp(10000)));
    std::string gz = ffnn_test::read_bytes(path);
    gz.resize(gz.size() / 2);  // cut the compressed stream in the middle
    ffnn_test::write_bytes(path, gz);
    EXPECT_THROW_CONTAINS(read_idx(path), std::runtime_error, path.c_str());
}

TEST(DataIdxErrors, CorruptGzipStream) {
    TempDir dir;
    const std::string path = dir.file("bad.idx.gz");
    write_gz(path, idx_bytes(0x08, {100, 100}, ramp(10000)));
    std::string gz = ffnn_test::read_bytes(path);
    for (std::size_t i = 20; i < gz.size() - 10; i += 7) gz[i] = static_cast<char>(gz[i] ^ 0x5A);
    ffnn_test::write_bytes(path, gz);
    EXPECT_THROW_CONTAINS(read_idx(path), std::runtime_error, path.c_str());
}

TEST(DataIdxErrors, WrongMagicTypeAndRank) {
    TempDir dir;
    std::string bytes = idx_bytes(0x08, {2}, {1, 2});
    bytes[0] = 0x1F;
    ffnn_test::write_bytes(dir.file("magic.idx"), bytes);
    EXPECT_THROW_CONTAINS(read_idx(dir.file("magic.idx")), std::runtime_error, "magic.idx",
                          "not an IDX file", "0x1F 0x00");
    ffnn_test::write_bytes(dir.file("float.idx"), idx_bytes(0x0D, {1}, {0, 0, 0, 0}));
    EXPECT_THROW_CONTAINS(read_idx(dir.file("float.idx")), std::runtime_error, "float.idx",
                          "0x0D (float32)", "expected 0x08 (unsigned byte)");
    ffnn_test::write_bytes(dir.file("rank0.idx"), idx_bytes(0x08, {}, {}));
    EXPECT_THROW_CONTAINS(read_idx(dir.file("rank0.idx")), std::runtime_error, "rank0.idx",
                          "rank 0");
    ffnn_test::write_bytes(dir.file("rank9.idx"),
                           idx_bytes(0x08, {1, 1, 1, 1, 1, 1, 1, 1, 1}, {7}));
    EXPECT_THROW_CONTAINS(read_idx(dir.file("rank9.idx")), std::runtime_error, "rank9.idx",
                          "rank 9");
}

TEST(DataIdxErrors, TrailingBytes) {
    TempDir dir;
    std::string bytes = idx_bytes(0x08, {3}, {1, 2, 3});
    bytes += "xyz!";
    ffnn_test::write_bytes(dir.file("tail.idx"), bytes);
    write_gz(dir.file("tail.idx.gz"), bytes);
    for (const char* name : {"tail.idx", "tail.idx.gz"})
        EXPECT_THROW_CONTAINS(read_idx(dir.file(name)), std::runtime_error, name,
                              "4 unexpected bytes after the data");
}

TEST(DataIdxErrors, AbsurdDimensionsFailBeforeAllocating) {
    TempDir dir;
    // Claims 4e9 x 4e9 x 4e9 bytes but holds ten: must fail on the header, not try to allocate.
    ffnn_test::write_bytes(dir.file("huge.idx"),
                           idx_bytes(0x08, {0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu}, ramp(10)));
    EXPECT_THROW_CONTAINS(read_idx(dir.file("huge.idx")), std::runtime_error, "huge.idx",
                          "implausible");
    // Under the cap but far larger than the file: fails on the bytes actually read.
    ffnn_test::write_bytes(dir.file("big.idx"), idx_bytes(0x08, {60000, 28, 28}, ramp(10)));
    EXPECT_THROW_CONTAINS(read_idx(dir.file("big.idx")), std::runtime_error, "big.idx",
                          "truncated data", "holds 10");
}

TEST(DataIdxErrors, MissingFileAndDirectory) {
    TempDir dir;
    EXPECT_THROW_CONTAINS(read_idx(dir.file("none.idx")), std::runtime_error, "none.idx",
                          "no such file");
    EXPECT_THROW_CONTAINS(read_idx(dir.path().string()), std::runtime_error, "is a directory");
}

TEST(DataFashionMnist, PairCountMismatchAndBadLabels) {
    TempDir dir;
    write_gz(dir.file("img.gz"), idx_bytes(0x08, {2, 28, 28}, ramp(2 * 784)));
    write_gz(dir.file("lab3.gz"), idx_bytes(0x08, {3}, {0, 1, 2}));
    write_gz(dir.file("lab2.gz"), idx_bytes(0x08, {2}, {9, 3}));
    write_gz(dir.file("bad.gz"), idx_bytes(0x08, {2}, {1, 10}));
    write_gz(dir.file("side.gz"), idx_bytes(0x08, {2, 27, 29}, ramp(2 * 27 * 29)));
    EXPECT_THROW_CONTAINS(load_fashion_mnist_pair(dir.file("img.gz"), dir.file("lab3.gz")),
                          std::runtime_error, "lab3.gz", "3 labels", "2 images");
    EXPECT_THROW_CONTAINS(load_fashion_mnist_pair(dir.file("img.gz"), dir.file("bad.gz")),
                          std::runtime_error, "bad.gz", "label 10");
    EXPECT_THROW_CONTAINS(load_fashion_mnist_pair(dir.file("side.gz"), dir.file("lab2.gz")),
                          std::runtime_error, "side.gz", "(N, 28, 28)", "2, 27, 29");
    Dataset d = load_fashion_mnist_pair(dir.file("img.gz"), dir.file("lab2.gz"));
    EXPECT_EQ(d.X.shape(), Shape({2, 784}));
    EXPECT_EQ(d.labels, (std::vector<int>{9, 3}));
    EXPECT_EQ(d.class_names[9], "Ankle boot");
    const auto px = ramp(2 * 784);
    for (std::size_t i : {std::size_t(0), std::size_t(1), std::size_t(783), std::size_t(1567)})
        EXPECT_EQ(d.X[i], static_cast<float>(px[i]) / 255.0f);
}

TEST(DataFashionMnist, MissingDirectoryNamesThePackage) {
    TempDir dir;
    EXPECT_THROW_CONTAINS(load_fashion_mnist(dir.file("nowhere")), std::runtime_error,
                          "train-images-idx3-ubyte.gz", "dataset-fashion-mnist",
                          "install-deps.sh --fashion-mnist");
}

TEST(DataFashionMnist, ScalePixels) {
    const std::vector<std::uint8_t> in = {0, 1, 128, 254, 255};
    std::vector<float> out(in.size());
    scale_pixels(in, out);
    EXPECT_EQ(out[0], 0.0f);
    EXPECT_EQ(out[4], 1.0f);  // divided, not multiplied by 1/255: exactly 1
    EXPECT_EQ(out[2], 128.0f / 255.0f);
    std::vector<float> small(2);
    EXPECT_THROW(scale_pixels(in, small), std::invalid_argument);
}

TEST(DataFashionMnist, InstalledDataSet) {
    if (!std::filesystem::exists(std::string(kFashionMnistDefaultDir) +
                                 "train-images-idx3-ubyte.gz"))
        GTEST_SKIP() << "Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)";
    FashionMnist fm = load_fashion_mnist();
    EXPECT_EQ(fm.train.X.shape(), Shape({60000, 784}));
    EXPECT_EQ(fm.test.X.shape(), Shape({10000, 784}));
    EXPECT_EQ(fm.train.labels.size(), 60000u);
    EXPECT_EQ(fm.test.labels.size(), 10000u);
    EXPECT_EQ(fm.train.class_names, fashion_mnist_class_names());
    EXPECT_EQ(fm.train.class_names[0], "T-shirt/top");
    for (const Dataset* d : {&fm.train, &fm.test}) {
        auto [lo, hi] = std::minmax_element(d->X.begin(), d->X.end());
        EXPECT_EQ(*lo, 0.0f);
        EXPECT_EQ(*hi, 1.0f);  // some pixel is 255 in a set of this size
        std::vector<std::size_t> count(10, 0);
        for (int y : d->labels) ++count[static_cast<std::size_t>(y)];
        // Fashion-MNIST is balanced: 6000 per class in train, 1000 in test.
        for (std::size_t c : count) EXPECT_EQ(c, d->size() / 10);
        EXPECT_NO_THROW(check_dataset(*d, "fashion-mnist"));
    }
}

TEST(DataIdxErrors, RandomCorruptionNeverCrashes) {
    // Overwrite 1 to 3 random bytes of a valid file (plain, and the gzip stream), 300 times
    // each (seeded): read_idx must return or throw std::runtime_error, never crash.
    TempDir dir;
    const std::string plain = idx_bytes(0x08, {6, 5, 4}, ramp(120));
    write_gz(dir.file("ref.gz"), plain);
    const std::string gz = ffnn_test::read_bytes(dir.file("ref.gz"));
    ffnn::Rng rng(77);
    for (const std::string* base : {&plain, &gz}) {
        for (int trial = 0; trial < 300; ++trial) {
            std::string bytes = *base;
            const std::uint64_t flips = 1 + rng.below(3);
            for (std::uint64_t f = 0; f < flips; ++f)
                bytes[rng.below(bytes.size())] = static_cast<char>(rng.below(256));
            const std::string path = dir.file("fuzz");
            ffnn_test::write_bytes(path, bytes);
            try {
                IdxArray a = read_idx(path);
                EXPECT_EQ(a.data.size(), a.size());
            } catch (const std::runtime_error&) {
            }
        }
    }
}

// parse_idx (bytes in memory, inflated here) against read_idx (the same bytes as a file,
// read by zlib's gzread), the reference: on valid files, corrupted ones, truncated and
// concatenated gzip streams and trailing bytes, both return the same array or both throw.
TEST(DataIdx, InMemoryReaderAgreesWithTheFileReader) {
    TempDir dir;
    const std::string plain = idx_bytes(0x08, {6, 5, 4}, ramp(120));
    write_gz(dir.file("ref.gz"), plain);
    const std::string gz = ffnn_test::read_bytes(dir.file("ref.gz"));
    // Two gzip members holding the header and the data (gzread joins them).
    write_gz(dir.file("head.gz"), plain.substr(0, 10));
    write_gz(dir.file("tail.gz"), plain.substr(10));
    const std::string two =
        ffnn_test::read_bytes(dir.file("head.gz")) + ffnn_test::read_bytes(dir.file("tail.gz"));
    std::vector<std::string> cases = {plain,
                                      gz,
                                      two,
                                      gz + "garbage after the stream",
                                      gz + "\x1f",
                                      gz + "\x1f\x8b\x08",
                                      plain + "x",
                                      gz.substr(0, gz.size() - 4),
                                      gz.substr(0, gz.size() / 2),
                                      gz.substr(0, 12),
                                      gz.substr(0, 2),
                                      "",
                                      "\x1f",
                                      std::string("\0\0\x08\x01\0\0\0\x02\x07\x09", 10)};
    // And 1 to 3 random bytes overwritten in each stream, 300 times each (seeded).
    ffnn::Rng rng(78);
    for (const std::string* base : {&plain, &gz, &two})
        for (int trial = 0; trial < 300; ++trial) {
            std::string bytes = *base;
            for (std::uint64_t f = 0, n = 1 + rng.below(3); f < n; ++f)
                bytes[rng.below(bytes.size())] = static_cast<char>(rng.below(256));
            cases.push_back(bytes);
        }
    int valid = 0, invalid = 0;
    for (std::size_t i = 0; i < cases.size(); ++i) {
        SCOPED_TRACE("case " + std::to_string(i));
        const std::string path = dir.file("case");
        ffnn_test::write_bytes(path, cases[i]);
        std::string file_error, memory_error;
        IdxArray from_file, from_memory;
        try {
            from_file = read_idx(path);
        } catch (const std::runtime_error& e) {
            file_error = e.what();
        }
        try {
            from_memory = parse_idx(cases[i], path);
        } catch (const std::runtime_error& e) {
            memory_error = e.what();
        }
        EXPECT_EQ(file_error.empty(), memory_error.empty())
            << "file: " << file_error << "\nmemory: " << memory_error;
        if (file_error.empty() && memory_error.empty()) {
            ++valid;
            EXPECT_EQ(from_memory.dims, from_file.dims);
            EXPECT_EQ(from_memory.data, from_file.data);
        } else {
            ++invalid;
            EXPECT_EQ(memory_error.rfind(path + ": ", 0), 0u) << memory_error;
        }
    }
    EXPECT_GT(valid, 3);
    EXPECT_GT(invalid, 100);
}
