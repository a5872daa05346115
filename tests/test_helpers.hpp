// Helpers shared by the tests: a temporary directory removed at the end of the test, file
// writers, and a check that a statement throws a given exception whose message contains
// given parts (EXPECT_THROW_CONTAINS).
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace ffnn_test {

// A fresh directory under the system's temporary directory, removed with its content.
class TempDir {
  public:
    TempDir() {
        static std::atomic<int> counter{0};
        const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
        std::string tag = info ? std::string(info->test_suite_name()) + "_" + info->name() : "ffnn";
        for (char& c : tag)
            if (c == '/') c = '_';
        path_ =
            std::filesystem::temp_directory_path() /
            ("ffnn_" + tag + "_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
        std::filesystem::remove_all(path_);
        std::filesystem::create_directories(path_);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    const std::filesystem::path& path() const { return path_; }
    std::string file(const std::string& name) const { return (path_ / name).string(); }

  private:
    std::filesystem::path path_;
};

inline void write_bytes(const std::string& path, std::string_view bytes) {
    std::ofstream out(path, std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    ASSERT_TRUE(out.good()) << "cannot write test file " << path;
}

inline std::string read_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// The message of the exception of type E thrown by f, or "" (with a test failure).
template <class E, class F>
std::string message_of(F&& f) {
    try {
        f();
    } catch (const E& e) {
        return e.what();
    } catch (const std::exception& e) {
        ADD_FAILURE() << "threw another exception type: " << e.what();
        return "";
    }
    ADD_FAILURE() << "did not throw";
    return "";
}

inline void expect_contains(const std::string& message, std::initializer_list<const char*> parts) {
    for (const char* part : parts)
        EXPECT_NE(message.find(part), std::string::npos)
            << "message: " << message << "\nexpected to contain: " << part;
}

// The files below dir left by an interrupted atomic write: write_file_atomic names its
// temporaries "<name>.tmp.<pid>.<n>" (io/atomic_file.cpp), so any name holding ".tmp." is one.
inline std::vector<std::string> leftover_temporaries(const std::filesystem::path& dir) {
    std::vector<std::string> out;
    for (const auto& e : std::filesystem::recursive_directory_iterator(dir))
        if (e.path().filename().string().find(".tmp.") != std::string::npos)
            out.push_back(e.path().string());
    return out;
}

}  // namespace ffnn_test

// EXPECT_THROW, then checks that the message contains each of the given strings.
// (Braced initialisers with commas must be hoisted into variables: the preprocessor would
// split them.)
#define EXPECT_THROW_CONTAINS(statement, exception_type, ...)                                     \
    do {                                                                                          \
        EXPECT_THROW(statement, exception_type);                                                  \
        ::ffnn_test::expect_contains(::ffnn_test::message_of<exception_type>([&] { statement; }), \
                                     {__VA_ARGS__});                                              \
    } while (0)
