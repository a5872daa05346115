// Training checkpoints and resume, as a user meets them: a run killed with SIGKILL (a real
// kill -9 of a child ffnn process, not a polite stop) and resumed from its last checkpoint
// ends with the same bits as the run that never stopped, for SGD with momentum, Nesterov,
// Adam and AdamW, on 1 and 2 threads; a kill in the middle of a checkpoint write leaves the
// previous checkpoint whole and resumable; early stopping's state survives a resume;
// resuming with another configuration or other data is an error naming what differs.
//
// The child is stopped at a chosen point by the app's test variable FFNN_TEST_STALL (see
// apps/train_command.cpp): it reports "ffnn-test: stalled" on stderr and waits, and the test
// kills it then. Each run is Iris for a few epochs, so the whole file takes about a second.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "app_runner.hpp"
#include "ffnn/train/training_checkpoint.hpp"
#include "test_helpers.hpp"

namespace fs = std::filesystem;

namespace {

using ffnn::test::contains;
using ffnn::test::Result;
using ffnn::test::run;

class Resume : public ffnn::test::AppTest {
  protected:
    Resume() : AppTest("resume") {}
};

std::vector<std::string> split_words(const std::string& s) {
    std::istringstream in(s);
    std::vector<std::string> out;
    for (std::string w; in >> w;) out.push_back(w);
    return out;
}

struct Killed {
    bool by_sigkill = false;
    std::string stderr_text;
};

// Starts `ffnn <args>` with FFNN_TEST_STALL=<stall>, waits (10 s at most) until it says it
// stalled, then kills it with SIGKILL and reaps it.
Killed run_and_kill(const std::string& args, const std::string& stall) {
    std::vector<std::string> words = split_words(args);
    words.insert(words.begin(), FFNN_APP);
    std::vector<char*> argv;
    for (std::string& w : words) argv.push_back(w.data());
    argv.push_back(nullptr);
    int fds[2];
    if (::pipe(fds) != 0) return {};
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::dup2(fds[1], STDERR_FILENO);
        const int null = ::open("/dev/null", O_WRONLY);
        ::dup2(null, STDOUT_FILENO);
        ::close(fds[0]);
        ::setenv("FFNN_TEST_STALL", stall.c_str(), 1);
        ::execv(FFNN_APP, argv.data());
        ::_exit(127);
    }
    ::close(fds[1]);
    Killed k;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    char buf[4096];
    while (!contains(k.stderr_text, "ffnn-test: stalled") &&
           std::chrono::steady_clock::now() < deadline) {
        pollfd p{fds[0], POLLIN, 0};
        if (::poll(&p, 1, 100) <= 0) continue;
        const ssize_t n = ::read(fds[0], buf, sizeof buf);
        if (n <= 0) break;  // the child exited without stalling
        k.stderr_text.append(buf, static_cast<std::size_t>(n));
    }
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    ::close(fds[0]);
    k.by_sigkill = WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL &&
                   contains(k.stderr_text, "ffnn-test: stalled");
    return k;
}

std::string read_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

// metrics.csv without its last column (seconds, a wall time).
std::string metrics_without_time(const std::string& path) {
    std::istringstream in(read_text(path));
    std::string out;
    for (std::string line; std::getline(in, line);) out += line.substr(0, line.rfind(',')) + "\n";
    return out;
}

nlohmann::json summary(const std::string& dir) {
    return nlohmann::json::parse(read_text(dir + "/summary.json"));
}

// The run in `b` ended with the bits of the run in `a`: the model file byte for byte, every
// epoch's metrics, the final metrics and the best epoch.
void expect_same_run(const std::string& a, const std::string& b, const std::string& what) {
    const std::string ma = read_text(a + "/model.safetensors"),
                      mb = read_text(b + "/model.safetensors");
    ASSERT_FALSE(ma.empty()) << what;
    EXPECT_TRUE(ma == mb) << what << ": the model files differ";
    EXPECT_EQ(metrics_without_time(a + "/metrics.csv"), metrics_without_time(b + "/metrics.csv"))
        << what;
    const nlohmann::json sa = summary(a), sb = summary(b);
    for (const char* k : {"train_loss", "val_loss", "test_loss", "test_accuracy", "best_epoch",
                          "epochs_run", "stop_reason"})
        EXPECT_EQ(sa[k], sb[k]) << what << ": " << k;
    std::printf(
        "[bit-identical] %s: model.safetensors %zu bytes equal, %zu epochs of metrics "
        "equal, test_loss %.17g\n",
        what.c_str(), ma.size(), sa["epochs_run"].get<std::size_t>(),
        sa["test_loss"].get<double>());
}

}  // namespace

TEST_F(Resume, Kill9DuringAnEpochThenResumeIsBitIdenticalForEveryOptimiserAndThreadCount) {
    const std::vector<std::pair<std::string, std::string>> optimisers = {
        {"sgd-momentum", "--optimizer sgd --momentum 0.9"},
        {"nesterov", "--optimizer sgd --momentum 0.9 --nesterov"},
        {"adam", "--optimizer adam --lr 0.01"},
        {"adamw", "--optimizer adamw --lr 0.01 --weight-decay 0.01"},
    };
    for (const auto& [name, flags] : optimisers)
        for (int threads : {1, 2}) {
            const std::string what = name + ", " + std::to_string(threads) + " thread(s)";
            const std::string common =
                "train -q --epochs 12 --threads " + std::to_string(threads) + " " + flags;
            const std::string once = path(name + "-" + std::to_string(threads) + "-once");
            const std::string cut = path(name + "-" + std::to_string(threads) + "-killed");
            ASSERT_EQ(run(common + " --out " + once).code, 0) << what;
            // Checkpoints after every epoch; killed in epoch 6, after its first batch.
            Killed k = run_and_kill(common + " --checkpoint-every 1 --out " + cut, "epoch:6");
            ASSERT_TRUE(k.by_sigkill) << what << ": " << k.stderr_text;
            ASSERT_FALSE(fs::exists(cut + "/model.safetensors")) << what;
            EXPECT_EQ(ffnn::load_run_checkpoint(cut + "/checkpoint.safetensors").epochs_done, 5u)
                << what;
            Result r = run("train -q --resume " + cut);
            ASSERT_EQ(r.code, 0) << what << ": " << r.output;
            expect_same_run(once, cut, what);
        }
}

TEST_F(Resume, Kill9DuringTheCheckpointWriteLeavesThePreviousCheckpointResumable) {
    const std::string common = "train -q --epochs 10 --optimizer adam --lr 0.01 --threads 1";
    ASSERT_EQ(run(common + " --out " + path("once")).code, 0);
    // Checkpoints after epochs 2, 4, 6, ...: killed halfway through writing epoch 6's.
    Killed k = run_and_kill(common + " --checkpoint-every 2 --out " + path("cut"), "checkpoint:6");
    ASSERT_TRUE(k.by_sigkill) << k.stderr_text;
    // The half-written temporary file is there, and the checkpoint is still epoch 4's, whole.
    const std::vector<std::string> temps = ffnn_test::leftover_temporaries(path("cut"));
    ASSERT_EQ(temps.size(), 1u);
    EXPECT_GT(fs::file_size(temps[0]), 0u);
    EXPECT_EQ(ffnn::load_run_checkpoint(path("cut/checkpoint.safetensors")).epochs_done, 4u);
    Result r = run("train -q --resume " + path("cut"));
    ASSERT_EQ(r.code, 0) << r.output;
    expect_same_run(path("once"), path("cut"), "killed in the checkpoint write");
    // The resumed run, the only writer of its directory, removed the killed write's temporary.
    EXPECT_TRUE(ffnn_test::leftover_temporaries(path("cut")).empty());
}

TEST_F(Resume, EarlyStoppingStateSurvivesAResume) {
    const std::string common = "train -q --epochs 80 --patience 6 --save-best --threads 1";
    ASSERT_EQ(run(common + " --out " + path("once")).code, 0);
    const nlohmann::json s = summary(path("once"));
    ASSERT_EQ(s["stop_reason"], "early_stop");
    const std::size_t best = s["best_epoch"].get<std::size_t>();
    ASSERT_GT(best, 2u);
    // Killed after the best epoch, while the wait is counting.
    Killed k = run_and_kill(common + " --checkpoint-every 1 --out " + path("cut"),
                            "epoch:" + std::to_string(best + 2));
    ASSERT_TRUE(k.by_sigkill) << k.stderr_text;
    Result r = run("train -q --resume " + path("cut"));
    ASSERT_EQ(r.code, 0) << r.output;
    expect_same_run(path("once"), path("cut"), "early stopping, patience 6");
    EXPECT_TRUE(read_text(path("once/best.safetensors")) ==
                read_text(path("cut/best.safetensors")));
}

TEST_F(Resume, AnEarlyStoppedRunStaysStoppedUnlessThePatienceGrows) {
    const std::string common = "train -q --epochs 80 --patience 4 --threads 1";
    ASSERT_EQ(run(common + " --checkpoint-every 1 --out " + path("run")).code, 0);
    const nlohmann::json s = summary(path("run"));
    ASSERT_EQ(s["stop_reason"], "early_stop");
    const std::string model = read_text(path("run/model.safetensors"));
    // Resumed as it is: no epoch trained, the same model.
    Result r = run("train -q --resume " + path("run"));
    ASSERT_EQ(r.code, 0) << r.output;
    EXPECT_EQ(summary(path("run"))["epochs_run"], s["epochs_run"]);
    EXPECT_TRUE(read_text(path("run/model.safetensors")) == model);
    // A larger patience continues it.
    r = run("train -q --resume " + path("run") + " --patience 8");
    ASSERT_EQ(r.code, 0) << r.output;
    EXPECT_GT(summary(path("run"))["epochs_run"].get<std::size_t>(),
              s["epochs_run"].get<std::size_t>());
    // Fewer epochs than were done is a bad flag.
    r = run("train -q --resume " + path("run") + " --epochs 3");
    EXPECT_EQ(r.code, 2);
    EXPECT_TRUE(contains(r.output, "--epochs")) << r.output;
}

TEST_F(Resume, MoreEpochsContinueAFinishedRunAsIfItHadNeverStopped) {
    ASSERT_EQ(run("train -q --threads 1 --epochs 20 --out " + path("once")).code, 0);
    ASSERT_EQ(
        run("train -q --threads 1 --epochs 12 --checkpoint-every 5 --out " + path("more")).code, 0);
    // The last epoch is checkpointed too, so the run continues from epoch 12.
    Result r = run("train -q --resume " + path("more") + " --epochs 20");
    ASSERT_EQ(r.code, 0) << r.output;
    expect_same_run(path("once"), path("more"), "12 epochs, then resumed to 20");
}

TEST_F(Resume, AnotherConfigurationOrOtherDataIsAnErrorNamingIt) {
    const std::string iris = std::string(FFNN_SOURCE_DIR) + "/data/iris.csv";
    fs::copy_file(iris, path("iris.csv"));
    ASSERT_EQ(run("train -q --epochs 3 --checkpoint-every 1 --data " + path("iris.csv") +
                  " --out " + path("run"))
                  .code,
              0);
    const std::string resume = "train -q --resume " + path("run");
    struct Case {
        std::string flags, named;
    };
    for (const Case& c : {Case{"--hidden 32", "--hidden"}, Case{"--optimizer adam", "--optimizer"},
                          Case{"--data " + iris, "--data"}, Case{"--batch-size 8", "--batch-size"},
                          Case{"--no-standardize", "--standardize"}}) {
        Result r = run(resume + " " + c.flags);
        EXPECT_EQ(r.code, 2) << c.flags << ": " << r.output;
        EXPECT_TRUE(contains(r.output, c.named)) << c.flags << ": " << r.output;
        EXPECT_TRUE(contains(r.output, "may change")) << r.output;
    }
    // The same file name with other contents: the fingerprint tells.
    std::string text = read_text(path("iris.csv"));
    text.replace(text.find("5.1"), 3, "5.2");
    std::ofstream(path("iris.csv"), std::ios::binary) << text;
    Result r = run(resume);
    EXPECT_EQ(r.code, 1) << r.output;
    EXPECT_TRUE(contains(r.output, "the data differs")) << r.output;
}

TEST_F(Resume, DamagedOrWrongFilesAreClearErrors) {
    ASSERT_EQ(run("train -q --epochs 2 --checkpoint-every 1 --out " + path("run")).code, 0);
    // A model file is not a training checkpoint.
    Result r = run("train -q --resume " + path("run/model.safetensors"));
    EXPECT_EQ(r.code, 1);
    EXPECT_TRUE(contains(r.output, "not an ffnn training checkpoint")) << r.output;
    // Nor is a checkpoint a model for eval.
    r = run("eval --model " + path("run/checkpoint.safetensors") + " --data " +
            std::string(FFNN_SOURCE_DIR) + "/data/iris.csv");
    EXPECT_NE(r.code, 0);
    EXPECT_TRUE(contains(r.output, "training checkpoint")) << r.output;
    // Truncated.
    const std::string bytes = read_text(path("run/checkpoint.safetensors"));
    std::ofstream(path("run/checkpoint.safetensors"), std::ios::binary)
        << bytes.substr(0, bytes.size() / 2);
    r = run("train -q --resume " + path("run"));
    EXPECT_EQ(r.code, 1);
    EXPECT_TRUE(contains(r.output, "checkpoint.safetensors")) << r.output;
    // Nothing there.
    r = run("train -q --resume " + path("nowhere"));
    EXPECT_EQ(r.code, 1);
    EXPECT_TRUE(contains(r.output, "nowhere")) << r.output;
}

TEST_F(Resume, InitFromStartsFromAModelsWeightsWithAFreshOptimiser) {
    ASSERT_EQ(run("train -q --epochs 30 --out " + path("base")).code, 0);
    Result r = run("train --epochs 1 --lr 0.001 --init-from " + path("base/model.safetensors") +
                   " --out " + path("tuned"));
    ASSERT_EQ(r.code, 0) << r.output;
    EXPECT_TRUE(contains(r.output, "fresh optimiser")) << r.output;
    // One epoch at a small rate from trained weights keeps their accuracy; from scratch it
    // would be near chance.
    EXPECT_GE(summary(path("tuned"))["test_accuracy"].get<double>(), 0.9);
    r = run("train -q --hidden 32 --init-from " + path("base/model.safetensors") + " --out " +
            path("other"));
    EXPECT_EQ(r.code, 2);
    EXPECT_TRUE(contains(r.output, "--init-from")) << r.output;
}
