// write_file_atomic: content and replacement, no temporary file left behind on success or
// on failure, a clear error for a missing directory, and read_file_bytes.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <ostream>

#include "ffnn/io/atomic_file.hpp"
#include "test_helpers.hpp"

using namespace ffnn;
using ffnn_test::TempDir;

namespace {

std::vector<std::string> entries(const std::filesystem::path& dir) {
    std::vector<std::string> names;
    for (const auto& e : std::filesystem::directory_iterator(dir))
        names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
}

// The leftover check of the app tests can fail: a temporary as write_file_atomic names it is
// found, and the finished file beside it is not.
TEST(DataAtomicFile, LeftoverTemporariesAreFound) {
    ffnn_test::TempDir dir;
    write_file_atomic(dir.file("summary.json"), "{}\n");
    EXPECT_TRUE(ffnn_test::leftover_temporaries(dir.path()).empty());
    std::filesystem::create_directories(dir.path() / "runs");
    ffnn_test::write_bytes(dir.file("runs/metrics.csv.tmp.4242.0"), "epoch\n");
    EXPECT_EQ(ffnn_test::leftover_temporaries(dir.path()),
              std::vector<std::string>{dir.file("runs/metrics.csv.tmp.4242.0")});
}

// Stale temporaries (of a process that no longer runs) are removed; one of a live process
// (this one), other files and other targets' temporaries are left alone.
TEST(DataAtomicFile, StaleTemporariesOfDeadWritersAreRemoved) {
    ffnn_test::TempDir dir;
    const std::string ck = dir.file("checkpoint.safetensors");
    write_file_atomic(ck, "whole");
    // pid 2^22 + 1 is above Linux's largest pid (pid_max is at most 2^22): never running.
    const std::string dead = ck + ".tmp.4194305.0";
    const std::string live = ck + ".tmp." + std::to_string(::getpid()) + ".3";
    const std::string other = dir.file("metrics.csv.tmp.4194305.0");
    const std::string odd = ck + ".tmp.notapid";
    for (const std::string& f : {dead, live, other, odd}) ffnn_test::write_bytes(f, "half");
    EXPECT_EQ(remove_stale_temporaries(ck), 1u);
    EXPECT_FALSE(std::filesystem::exists(dead));
    for (const std::string& f : {live, other, odd, ck})
        EXPECT_TRUE(std::filesystem::exists(f)) << f;
    EXPECT_EQ(read_file_bytes(ck), "whole");
    EXPECT_EQ(remove_stale_temporaries(ck), 0u);
}

}  // namespace

TEST(DataAtomicFile, WritesAndReplacesLeavingNoTemporary) {
    TempDir dir;
    const std::string path = dir.file("metrics.csv");
    write_file_atomic(path, "epoch,loss\n1,0.5\n");
    EXPECT_EQ(ffnn_test::read_bytes(path), "epoch,loss\n1,0.5\n");
    // Replace with a shorter content: no trace of the old bytes.
    write_file_atomic(path, std::string_view("x"));
    EXPECT_EQ(ffnn_test::read_bytes(path), "x");
    // Binary content with zero bytes.
    const std::string binary("a\0b\0\xff", 5);
    write_file_atomic(dir.file("b.bin"), binary);
    EXPECT_EQ(read_file_bytes(dir.file("b.bin")), binary);
    // Empty content.
    write_file_atomic(dir.file("empty"), "");
    EXPECT_EQ(read_file_bytes(dir.file("empty")), "");
    EXPECT_EQ(entries(dir.path()), (std::vector<std::string>{"b.bin", "empty", "metrics.csv"}));
}

TEST(DataAtomicFile, WriterCallback) {
    TempDir dir;
    const std::string path = dir.file("summary.json");
    write_file_atomic(path, [](std::ostream& out) { out << "{\"accuracy\": " << 0.5 << "}\n"; });
    EXPECT_EQ(ffnn_test::read_bytes(path), "{\"accuracy\": 0.5}\n");
    // A writer that throws leaves the old file untouched and no temporary behind.
    EXPECT_THROW(write_file_atomic(path,
                                   [](std::ostream& out) {
                                       out << "partial";
                                       throw std::runtime_error("disk on fire");
                                   }),
                 std::runtime_error);
    EXPECT_EQ(ffnn_test::read_bytes(path), "{\"accuracy\": 0.5}\n");
    EXPECT_EQ(entries(dir.path()), std::vector<std::string>{"summary.json"});
}

TEST(DataAtomicFile, MissingDirectoryIsAClearError) {
    TempDir dir;
    const std::string path = dir.file("no/such/dir/model.safetensors");
    EXPECT_THROW_CONTAINS(write_file_atomic(path, "x"), std::runtime_error, path.c_str(),
                          "does not exist");
    EXPECT_TRUE(entries(dir.path()).empty());
}

TEST(DataAtomicFile, FailedRenameRemovesTheTemporary) {
    TempDir dir;
    // The target is a non-empty directory: the rename fails after the data were written.
    std::filesystem::create_directories(dir.path() / "target" / "inside");
    const std::string path = dir.file("target");
    EXPECT_THROW_CONTAINS(write_file_atomic(path, "data"), std::runtime_error, "cannot rename",
                          path.c_str());
    EXPECT_EQ(entries(dir.path()), std::vector<std::string>{"target"});
}

TEST(DataAtomicFile, ReadFileBytesErrors) {
    TempDir dir;
    EXPECT_THROW_CONTAINS(read_file_bytes(dir.file("absent")), std::runtime_error, "absent",
                          "No such file");
    EXPECT_THROW_CONTAINS(read_file_bytes(dir.path().string()), std::runtime_error, "directory");
}
