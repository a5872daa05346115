// Runs the ffnn program as a user would, for the tests of the command-line app.
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

namespace ffnn::test {

struct Result {
    int code;            // exit code, -1 when the program did not exit normally
    std::string output;  // stdout and stderr together
};

// Runs a shell command line, stderr with stdout.
inline Result run_shell(const std::string& command) {
    const std::string cmd = command + " 2>&1";
    FILE* p = popen(cmd.c_str(), "r");
    if (!p) return {-1, "popen failed"};
    std::string out;
    char buf[4096];
    std::size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    int status = pclose(p);
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

// Runs FFNN_APP with `args` through the shell; `env` (e.g. "PATH=/nonexistent") goes in front.
inline Result run(const std::string& args, const std::string& env = "") {
    return run_shell(env + (env.empty() ? "" : " ") + std::string(FFNN_APP) + " " + args);
}

inline bool contains(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
}

// A fixture with a fresh directory for each test: <build>/tests/<group>/<test name>.
class AppTest : public ::testing::Test {
  protected:
    explicit AppTest(const char* group) : group_(group) {}
    void SetUp() override {
        dir = std::filesystem::path(FFNN_BINARY_DIR) / "tests" / group_ /
              ::testing::UnitTest::GetInstance()->current_test_info()->name();
        std::filesystem::remove_all(dir);
        std::filesystem::create_directories(dir);
    }
    std::string path(const std::string& name) const { return (dir / name).string(); }
    void write(const std::string& name, const std::string& text) const {
        std::ofstream(dir / name) << text;
    }
    std::filesystem::path dir;

  private:
    const char* group_;
};

}  // namespace ffnn::test
