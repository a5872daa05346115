// safetensors: round trips (float, double, metadata, scalars, empty tensors), the exact
// byte layout, and every reader check on files corrupted byte by byte.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>

#include "ffnn/io/safetensors.hpp"
#include "ffnn/tensor/random.hpp"
#include "test_helpers.hpp"

using namespace ffnn;
using ffnn_test::TempDir;

namespace {

// A file assembled by hand from a header text and data bytes: the 8-byte little-endian
// length, the header, the data. Independent of the writer.
std::string assemble(const std::string& header, const std::string& data) {
    std::string out;
    const std::uint64_t n = header.size();
    for (int i = 0; i < 8; ++i) out += static_cast<char>((n >> (8 * i)) & 0xFF);
    return out + header + data;
}

std::string float_bytes(std::initializer_list<float> values) {
    std::string s;
    for (float v : values) s.append(reinterpret_cast<const char*>(&v), sizeof v);
    return s;
}

// Parses hand-built bytes and returns the error message (a test failure if none).
std::string parse_error(const std::string& header, const std::string& data) {
    return ffnn_test::message_of<std::runtime_error>(
        [&] { parse_safetensors(assemble(header, data), "m.safetensors"); });
}

}  // namespace

TEST(DataSafetensors, RoundTripFloatDoubleAndMetadata) {
    TempDir dir;
    const std::string path = dir.file("model.safetensors");
    Tensor<float> W = {{1.5f, -2.0f, 3.25f},
                       {0.0f, std::numeric_limits<float>::denorm_min(), -0.0f}};
    Tensor<double> b = {0.1, -1e300, std::numeric_limits<double>::infinity()};
    Tensor<float> s = Tensor<float>::scalar(7.0f);
    Tensor<float> none = Tensor<float>::zeros({0, 4});
    std::vector<StoredTensor> tensors;
    tensors.push_back({"layers.0.W", W.view()});
    tensors.push_back({"layers.0.b", b.view()});
    tensors.push_back({"step", s.view()});
    tensors.push_back({"empty", none.view()});
    const Metadata meta = {
        {"format", "ffnn-classifier"}, {"class_names", "[\"a\",\"b\"]"}, {"unicode", "µ ✓"}};
    write_safetensors(path, tensors, meta);

    SafetensorsFile f = read_safetensors(path);
    EXPECT_EQ(f.metadata, meta);
    EXPECT_EQ(f.source, path);
    ASSERT_EQ(f.tensors.size(), 4u);
    // Read back in the writer's order, with dtypes kept.
    EXPECT_EQ(f.tensors[0].name, "layers.0.W");
    EXPECT_EQ(f.tensors[1].name, "layers.0.b");
    EXPECT_EQ(f.tensors[2].name, "step");
    EXPECT_EQ(f.tensors[3].name, "empty");
    EXPECT_EQ(f.at("layers.0.W").dtype(), DType::F32);
    EXPECT_EQ(f.at("layers.0.b").dtype(), DType::F64);
    EXPECT_EQ(f.at("layers.0.W").shape(), Shape({2, 3}));
    EXPECT_EQ(f.at("step").shape(), Shape());
    EXPECT_EQ(f.at("empty").shape(), Shape({0, 4}));
    // Bit-exact: bytes are copied, not printed.
    Tensor<float> W2 = f.at("layers.0.W").as_float();
    EXPECT_EQ(std::memcmp(W2.data(), W.data(), W.size() * sizeof(float)), 0);
    Tensor<double> b2 = f.at("layers.0.b").as_double();
    EXPECT_EQ(std::memcmp(b2.data(), b.data(), b.size() * sizeof(double)), 0);
    EXPECT_EQ(f.at("step").as_float().item(), 7.0f);
    // Conversion on request.
    EXPECT_EQ(f.at("layers.0.W").as_double().at(0, 2), 3.25);
    EXPECT_EQ(f.at("layers.0.b").as_float()[0], 0.1f);
    EXPECT_EQ(f.find("nothing"), nullptr);
    EXPECT_THROW_CONTAINS(f.at("nothing"), std::runtime_error, "model.safetensors", "'nothing'");
}

TEST(DataSafetensors, ByteLayout) {
    Tensor<float> a = {1.0f, 2.0f};
    Tensor<double> c = Tensor<double>::full({1, 1}, 3.0);
    std::vector<StoredTensor> tensors;
    tensors.push_back({"a", a.view()});
    tensors.push_back({"c", c.view()});
    const std::string bytes = serialize_safetensors(tensors, {{"k", "v"}});
    std::uint64_t h = 0;
    for (int i = 7; i >= 0; --i) h = (h << 8) | static_cast<unsigned char>(bytes[i]);
    // The data start on a multiple of 8 bytes; the header is padded with spaces.
    EXPECT_EQ((8 + h) % 8, 0u);
    const std::string header = bytes.substr(8, h);
    const std::string json =
        R"({"__metadata__":{"k":"v"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
        R"("c":{"dtype":"F64","shape":[1,1],"data_offsets":[8,16]}})";
    ASSERT_GE(header.size(), json.size());
    EXPECT_LT(header.size() - json.size(), 8u);  // at most 7 bytes of padding
    EXPECT_EQ(header.substr(0, json.size()), json);
    EXPECT_EQ(header.find_first_not_of(' ', json.size()), std::string::npos);  // padding is spaces
    EXPECT_EQ(bytes.size(), 8 + h + 16);
    EXPECT_EQ(bytes.substr(8 + h, 8), float_bytes({1.0f, 2.0f}));
    // No tensors, no metadata: "{}" padded to 8 bytes.
    EXPECT_EQ(serialize_safetensors({}, {}), assemble("{}      ", ""));
}

TEST(DataSafetensors, HandBuiltFileIsRead) {
    // Entries in the header in another order than in the buffer, and whitespace: still valid.
    const std::string header = R"( {"b": {"shape": [1], "dtype": "F32", "data_offsets": [8, 12]},)"
                               R"( "a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}} )";
    // A leading space is not allowed by the reference reader; ours requires '{' first.
    EXPECT_NE(parse_error(header, float_bytes({1, 2, 3}))
                  .find("not a safetensors file (its header does not start with '{'"),
              std::string::npos);
    SafetensorsFile f =
        parse_safetensors(assemble(header.substr(1), float_bytes({1, 2, 3})), "hand");
    ASSERT_EQ(f.tensors.size(), 2u);
    EXPECT_EQ(f.tensors[0].name, "a");  // buffer order
    EXPECT_EQ(f.at("b").as_float()[0], 3.0f);
    EXPECT_TRUE(f.metadata.empty());
}

TEST(DataSafetensors, WriterRejectsBadNames) {
    Tensor<float> a = {1.0f};
    std::vector<StoredTensor> dup;
    dup.push_back({"x", a.view()});
    dup.push_back({"x", a.view()});
    EXPECT_THROW_CONTAINS(serialize_safetensors(dup), std::invalid_argument,
                          "duplicate tensor name 'x'");
    std::vector<StoredTensor> meta;
    meta.push_back({"__metadata__", a.view()});
    EXPECT_THROW_CONTAINS(serialize_safetensors(meta), std::invalid_argument, "__metadata__");
}

// ---- reader errors ----

TEST(DataSafetensorsErrors, HeaderLength) {
    EXPECT_THROW_CONTAINS(parse_safetensors(std::string("\x02\0\0", 3), "m.safetensors"),
                          std::runtime_error, "m.safetensors", "too short");
    // Eight arbitrary bytes read as a length: far larger than the file, and said in short.
    std::string huge = assemble("{}", "");
    huge[7] = 0x0a;  // 0x0a00000000000002 = 7.2e17 bytes of header
    EXPECT_THROW_CONTAINS(parse_safetensors(huge, "m.safetensors"), std::runtime_error,
                          "m.safetensors: not a safetensors file (header length 7.2e17 runs past "
                          "the end of the file, 10 bytes)");
    // Within a file that is large enough, a header above 100 MB is still refused.
    std::string big = assemble("{}", "");
    big[0] = 0;
    big[3] = 0x08;  // 2^27 = 134,217,728 bytes of header, above the limit of 100,000,000
    big.resize(8 + (std::size_t{1} << 27), ' ');  // and a file that holds them
    EXPECT_THROW_CONTAINS(parse_safetensors(big, "m.safetensors"), std::runtime_error,
                          "m.safetensors: not a safetensors file",
                          "exceeds the limit of 100000000");
    std::string past = assemble("{}", "");
    past[0] = 40;  // 40 bytes claimed, 2 present
    EXPECT_THROW_CONTAINS(parse_safetensors(past, "m.safetensors"), std::runtime_error,
                          "m.safetensors", "header length 40 runs past the end");
}

TEST(DataSafetensorsErrors, InvalidJson) {
    ffnn_test::expect_contains(parse_error("{\"a\": ", ""), {"m.safetensors", "not valid JSON"});
    ffnn_test::expect_contains(parse_error("[1, 2]", ""), {"m.safetensors", "'{'"});
    ffnn_test::expect_contains(parse_error("{} x", ""), {"m.safetensors", "not valid JSON"});
    ffnn_test::expect_contains(
        parse_error(
            R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})",
            float_bytes({1})),
        {"m.safetensors", "duplicate key 'a'"});
}

TEST(DataSafetensorsErrors, EntryKeys) {
    ffnn_test::expect_contains(parse_error(R"({"w": 3})", ""),
                               {"tensor 'w'", "expected an object"});
    ffnn_test::expect_contains(
        parse_error(R"({"w": {"dtype":"F32","shape":[1]}})", float_bytes({1})),
        {"m.safetensors", "tensor 'w'", "missing key 'data_offsets'"});
    ffnn_test::expect_contains(
        parse_error(R"({"w": {"dtype":"F32","shape":[1],"data_offsets":[0,4],"extra":1}})",
                    float_bytes({1})),
        {"tensor 'w'", "unexpected key 'extra'"});
}

TEST(DataSafetensorsErrors, Dtype) {
    ffnn_test::expect_contains(
        parse_error(R"({"w": {"dtype":"F16","shape":[2],"data_offsets":[0,4]}})", float_bytes({1})),
        {"m.safetensors", "tensor 'w'", "dtype F16 is not supported", "F32 and F64"});
    ffnn_test::expect_contains(
        parse_error(R"({"w": {"dtype":"Q9","shape":[1],"data_offsets":[0,4]}})", float_bytes({1})),
        {"tensor 'w'", "unknown dtype 'Q9'"});
    ffnn_test::expect_contains(
        parse_error(R"({"w": {"dtype":32,"shape":[1],"data_offsets":[0,4]}})", float_bytes({1})),
        {"tensor 'w'", "dtype must be a string"});
}

TEST(DataSafetensorsErrors, Shape) {
    ffnn_test::expect_contains(
        parse_error(R"({"w": {"dtype":"F32","shape":[-1],"data_offsets":[0,4]}})",
                    float_bytes({1})),
        {"tensor 'w'", "non-negative integers"});
    ffnn_test::expect_contains(
        parse_error(R"({"w": {"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}})",
                    float_bytes({1})),
        {"tensor 'w'", "non-negative integers"});
    ffnn_test::expect_contains(
        parse_error(R"({"w": {"dtype":"F32","shape":"1","data_offsets":[0,4]}})", float_bytes({1})),
        {"tensor 'w'", "shape must be an array"});
    ffnn_test::expect_contains(
        parse_error(R"({"w": {"dtype":"F32","shape":[1,1,1,1,1],"data_offsets":[0,4]}})",
                    float_bytes({1})),
        {"tensor 'w'", "rank 5"});
    ffnn_test::expect_contains(
        parse_error(
            R"({"w": {"dtype":"F64","shape":[4294967296,4294967296],"data_offsets":[0,4]}})",
            float_bytes({1})),
        {"tensor 'w'", "too large"});
    // Zero elements, but a row length of 2^64: rejected with the file's name, as Shape::size()
    // would reject it (without one) when the tensor is built.
    ffnn_test::expect_contains(
        parse_error(
            R"({"w": {"dtype":"F32","shape":[0,4294967296,4294967296],"data_offsets":[0,0]}})", ""),
        {"m.safetensors", "tensor 'w'", "too large"});
}

TEST(DataSafetensorsErrors, ByteLengthAndOffsets) {
    // 2x2 F32 needs 16 bytes, the entry covers 12.
    ffnn_test::expect_contains(
        parse_error(R"({"w": {"dtype":"F32","shape":[2,2],"data_offsets":[0,12]}})",
                    float_bytes({1, 2, 3})),
        {"m.safetensors", "tensor 'w'", "holds 12 bytes", "[2, 2] of F32 needs 16"});
    ffnn_test::expect_contains(
        parse_error(R"({"w": {"dtype":"F32","shape":[1],"data_offsets":[4,0]}})", float_bytes({1})),
        {"tensor 'w'", "end before they begin"});
    ffnn_test::expect_contains(
        parse_error(R"({"w": {"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", float_bytes({1})),
        {"tensor 'w'", "run past the data buffer (4 bytes)"});
    ffnn_test::expect_contains(
        parse_error(R"({"w": {"dtype":"F32","shape":[1],"data_offsets":[0]}})", float_bytes({1})),
        {"tensor 'w'", "data_offsets must be [begin, end]"});
    ffnn_test::expect_contains(
        parse_error(R"({"w": {"dtype":"F32","shape":[1],"data_offsets":[0,-4]}})",
                    float_bytes({1})),
        {"tensor 'w'", "data_offsets must be [begin, end]"});
}

TEST(DataSafetensorsErrors, OverlapGapAndLeftover) {
    ffnn_test::expect_contains(
        parse_error(R"({"a": {"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                    R"("b": {"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                    float_bytes({1, 2})),
        {"m.safetensors", "tensor 'b' overlaps tensor 'a'"});
    ffnn_test::expect_contains(
        parse_error(R"({"a": {"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                    R"("b": {"dtype":"F32","shape":[1],"data_offsets":[8,12]}})",
                    float_bytes({1, 2, 3})),
        {"m.safetensors", "tensor 'b'", "gap", "begin at 8, expected 4"});
    ffnn_test::expect_contains(
        parse_error(R"({"a": {"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                    float_bytes({1, 2})),
        {"tensor 'a'", "gap", "begin at 4, expected 0"});
    ffnn_test::expect_contains(
        parse_error(R"({"a": {"dtype":"F32","shape":[1],"data_offsets":[0,4]}})",
                    float_bytes({1, 2})),
        {"m.safetensors", "4 bytes left over after the last tensor ('a')"});
    ffnn_test::expect_contains(parse_error("{}", "xy"),
                               {"m.safetensors", "2 bytes left over", "no tensors"});
}

TEST(DataSafetensorsErrors, Metadata) {
    ffnn_test::expect_contains(parse_error(R"({"__metadata__": {"epochs": 3}})", ""),
                               {"m.safetensors", "__metadata__", "'epochs' must be a string"});
    ffnn_test::expect_contains(parse_error(R"({"__metadata__": ["a"]})", ""),
                               {"m.safetensors", "__metadata__ must be an object"});
}

TEST(DataSafetensorsErrors, TruncatedFileFromWriter) {
    // Every strict prefix of a valid file is rejected, never read as something else.
    Tensor<float> a = {{1, 2}, {3, 4}};
    std::vector<StoredTensor> tensors;
    tensors.push_back({"a", a.view()});
    const std::string bytes = serialize_safetensors(tensors, {{"k", "v"}});
    for (std::size_t n = 0; n < bytes.size(); ++n)
        EXPECT_THROW(parse_safetensors(bytes.substr(0, n), "cut"), std::runtime_error)
            << "prefix of " << n << " bytes";
    EXPECT_NO_THROW(parse_safetensors(bytes, "whole"));
    TempDir dir;
    EXPECT_THROW_CONTAINS(read_safetensors(dir.file("absent.safetensors")), std::runtime_error,
                          "absent.safetensors");
}

TEST(DataSafetensorsErrors, RandomCorruptionNeverCrashes) {
    // Flip 1 to 3 random bytes of a valid file, 3000 times (seeded): each parse must either
    // succeed or throw std::runtime_error. Run under FFNN_SANITIZE=ON this also checks that
    // no corruption reads out of bounds.
    Tensor<float> a = {{1, 2, 3}, {4, 5, 6}};
    Tensor<double> b = {7, 8};
    std::vector<StoredTensor> tensors;
    tensors.push_back({"layers.0.W", a.view()});
    tensors.push_back({"layers.0.b", b.view()});
    const std::string good = serialize_safetensors(tensors, {{"format", "ffnn-classifier"}});
    ffnn::Rng rng(2024);
    std::size_t ok = 0, rejected = 0;
    for (int trial = 0; trial < 3000; ++trial) {
        std::string bytes = good;
        const std::uint64_t flips = 1 + rng.below(3);
        for (std::uint64_t f = 0; f < flips; ++f)
            bytes[rng.below(bytes.size())] = static_cast<char>(rng.below(256));
        try {
            SafetensorsFile file = parse_safetensors(bytes, "fuzz");
            ++ok;
        } catch (const std::runtime_error&) {
            ++rejected;
        }
    }
    EXPECT_EQ(ok + rejected, 3000u);
    EXPECT_GT(rejected, 0u);  // corrupting the header must be noticed at least sometimes
}

// A file that is not a safetensors file is rejected on its first 8 bytes (read_safetensors
// checks the header length before reading the rest), with the same messages as parsing.
TEST(DataSafetensorsErrors, OtherFilesAreRejectedOnTheirHeaderLength) {
    TempDir dir;
    const std::string csv = dir.file("data.csv");
    std::string text = "a,b,label\n";
    for (int i = 0; i < 20000; ++i) text += "1,2,x\n";
    ffnn_test::write_bytes(csv, text);
    EXPECT_THROW_CONTAINS(read_safetensors(csv), std::runtime_error, csv.c_str(),
                          "not a safetensors file (header length 7.3e18 runs past the end");
    // Length 64 in a 20-byte file: runs past the end, and the message gives the file's size.
    const std::string cut = dir.file("cut.safetensors");
    ffnn_test::write_bytes(cut, assemble(std::string(64, ' '), "").substr(0, 20));
    EXPECT_THROW_CONTAINS(read_safetensors(cut), std::runtime_error, "cut.safetensors",
                          "runs past the end of the file, 20 bytes)");
}
