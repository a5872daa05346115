// The ffnn program under mpirun (label mpi, built only with MPI): data-parallel training gives
// the same bits for 1, 2 and 3 processes with the same --shards, a sweep spread over ranks
// gives the results of a one-process sweep, and a rank that fails stops every rank with a
// message naming it. Open MPI refuses root unless asked: the two variables are set here, in
// the test's own command, and --oversubscribe lets 3 ranks share 2 cores.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "apps/app_runner.hpp"

namespace ffnn::test {
namespace {

const std::string kMpirun = std::string(
                                "OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 "
                                "timeout 300 ") +
                            FFNN_MPIEXEC + " --oversubscribe";

// `mpirun -np P ffnn ARGS` (output and exit code). The timeout turns a hang into a failure.
Result run_np(int np, const std::string& args) {
    return run_shell(kMpirun + " -np " + std::to_string(np) + " " + FFNN_APP + " " + args);
}

std::string read(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// A CSV without the named column (the timings, which are the one thing allowed to differ).
std::string without_column(const std::string& csv, const std::string& column) {
    std::istringstream in(csv);
    std::string line, out;
    long drop = -1;
    bool header = true;
    while (std::getline(in, line)) {
        std::vector<std::string> cells;
        std::stringstream ls(line);
        std::string cell;
        while (std::getline(ls, cell, ',')) cells.push_back(cell);
        if (line.back() == ',') cells.emplace_back();
        if (header) {
            for (std::size_t i = 0; i < cells.size(); ++i)
                if (cells[i] == column) drop = static_cast<long>(i);
            header = false;
        }
        for (std::size_t i = 0; i < cells.size(); ++i)
            if (static_cast<long>(i) != drop) out += cells[i] + ",";
        out += "\n";
    }
    EXPECT_GE(drop, 0) << "no column " << column;
    return out;
}

class Mpi : public AppTest {
  protected:
    Mpi() : AppTest("mpi") {}

    // Trains with `args` in one process (no mpirun) and under mpirun -np 2 and -np 3; the
    // models must be the same bytes and the learning curves the same numbers.
    void expect_same_bits(const std::string& args) {
        const std::string one = path("np0");
        Result r0 = run(args + " --out " + one);
        ASSERT_EQ(r0.code, 0) << r0.output;
        const std::string model = read(one + "/model.safetensors");
        const std::string curve = without_column(read(one + "/metrics.csv"), "seconds");
        ASSERT_FALSE(model.empty());
        for (int np : {1, 2, 3}) {
            const std::string dir = path("np" + std::to_string(np));
            Result r = run_np(np, args + " --out " + dir);
            ASSERT_EQ(r.code, 0) << r.output;
            EXPECT_EQ(read(dir + "/model.safetensors"), model) << "-np " << np;
            EXPECT_EQ(without_column(read(dir + "/metrics.csv"), "seconds"), curve) << "-np " << np;
            EXPECT_EQ(count_lines_with(r.output, "test: loss"), 1) << "rank 0 alone prints\n"
                                                                   << r.output;
        }
    }

    static int count_lines_with(const std::string& text, const std::string& needle) {
        int n = 0;
        for (std::size_t p = text.find(needle); p != std::string::npos;
             p = text.find(needle, p + 1))
            ++n;
        return n;
    }
};

TEST_F(Mpi, SgdMomentumSameBitsFor1To3Processes) {
    // Iris's 105 training rows in batches of 24 (4 full, then 9 rows), 6 shards: 3 ranks take
    // 2 shards each, 2 ranks 3 each.
    expect_same_bits(
        "train --epochs 4 --batch-size 24 --shards 6 --momentum 0.9 --lr 0.05 "
        "--threads 1");
}

TEST_F(Mpi, AdamWithClippingSameBitsFor1To3Processes) {
    // Batches of 25 over 7 shards: uneven shards (3 or 4 rows), and the last batch of an
    // epoch (105 = 4 x 25 + 5) leaves 2 of the 7 shards empty; 3 ranks own 2, 2 and 3 shards.
    expect_same_bits(
        "train --epochs 3 --batch-size 25 --shards 7 --optimizer adam --lr 0.01 "
        "--clip-norm 0.5 --threads 1");
}

TEST_F(Mpi, FastReductionTrains) {
    Result r = run_np(
        2, "train --epochs 20 --batch-size 16 --shards 4 --reduce fast --out " + path("fast"));
    ASSERT_EQ(r.code, 0) << r.output;
    EXPECT_TRUE(contains(r.output, "2 ranks")) << r.output;
    EXPECT_TRUE(std::filesystem::exists(path("fast/model.safetensors")));
}

TEST_F(Mpi, SweepOverRanksEqualsOneProcess) {
    const std::string args = "sweep --epochs 4 --seeds 2 --jobs 1";
    Result r0 = run(args + " --out " + path("one"));
    ASSERT_EQ(r0.code, 0) << r0.output;
    for (int np : {2, 3}) {
        const std::string dir = path("np" + std::to_string(np));
        Result r = run_np(np, args + " --out " + dir);
        ASSERT_EQ(r.code, 0) << r.output;
        EXPECT_EQ(without_column(read(dir + "/sweep.csv"), "seconds"),
                  without_column(read(path("one/sweep.csv")), "seconds"))
            << "-np " << np;
        for (const auto& e : std::filesystem::directory_iterator(path("one/runs"))) {
            const auto name = e.path().filename();
            EXPECT_EQ(
                without_column(read(dir / std::filesystem::path("runs") / name / "metrics.csv"),
                               "seconds"),
                without_column(read(e.path() / "metrics.csv"), "seconds"))
                << name;
        }
    }
}

TEST_F(Mpi, BadFileOnOneRankStopsEveryRankAndNamesIt) {
    write("bad.csv", "a,b,label\n1,2,x\n3\n");
    const std::string good = std::string(FFNN_SOURCE_DIR) + "/data/iris.csv";
    const std::string out = path("run");
    // MPMD: ranks 0 and 1 read the good file, rank 2 the bad one.
    Result r = run_shell(kMpirun + " -np 2 " + FFNN_APP + " train --epochs 2 --data " + good +
                         " --out " + out + " : -np 1 " + FFNN_APP + " train --epochs 2 --data " +
                         path("bad.csv") + " --out " + out);
    EXPECT_NE(r.code, 0) << r.output;
    EXPECT_NE(r.code, 124) << "mpirun hung until the timeout\n" << r.output;
    EXPECT_TRUE(contains(r.output, "rank 2 of 3 failed: " + path("bad.csv") + ":3: expected 3"))
        << r.output;
    EXPECT_FALSE(std::filesystem::exists(out)) << "no run files when a rank failed";
}

TEST_F(Mpi, DifferentDataOnOneRankIsNamed) {
    Result r =
        run_shell(kMpirun + " -np 1 " + FFNN_APP + " train --epochs 2 --out " + path("run") +
                  " : -np 1 " + FFNN_APP + " train --epochs 2 --seed 7 --out " + path("run"));
    EXPECT_NE(r.code, 0) << r.output;
    EXPECT_TRUE(contains(r.output, "rank 1 of 2 failed: its data")) << r.output;
    EXPECT_FALSE(std::filesystem::exists(path("run")));
}

TEST_F(Mpi, SweepWithBadFileOnOneRankNamesIt) {
    write("bad.csv", "a,b,label\n1,2,x\n3\n");
    const std::string good = std::string(FFNN_SOURCE_DIR) + "/data/iris.csv";
    Result r =
        run_shell(kMpirun + " -np 1 " + FFNN_APP + " sweep --epochs 2 --seeds 2 --data " + good +
                  " --out " + path("sw") + " : -np 1 " + FFNN_APP +
                  " sweep --epochs 2 --seeds 2 --data " + path("bad.csv") + " --out " + path("sw"));
    EXPECT_NE(r.code, 0) << r.output;
    EXPECT_NE(r.code, 124) << r.output;
    EXPECT_TRUE(contains(r.output, "rank 1 of 2 failed: " + path("bad.csv"))) << r.output;
    EXPECT_FALSE(std::filesystem::exists(path("sw/sweep.csv")));
}

// A training checkpoint written under 2 ranks resumes under 3 (and the other way round) to
// the same bits as one process trained in one go: the state is the shard count's, not the
// process count's. Rank 0 alone writes the checkpoint.
TEST_F(Mpi, CheckpointsResumeUnderAnotherProcessCount) {
    const std::string args = "train -q --epochs 12 --optimizer adam --lr 0.01 --shards 4 --seed 5";
    Result once = run(args + " --out " + path("once"));
    ASSERT_EQ(once.code, 0) << once.output;
    const std::string model = read(path("once/model.safetensors"));
    const std::string curve = without_column(read(path("once/metrics.csv")), "seconds");
    for (auto [first, second] : {std::pair{2, 3}, std::pair{3, 1}}) {
        const std::string dir = path("cut-" + std::to_string(first) + "-" + std::to_string(second));
        Result a = run_np(first,
                          "train -q --epochs 5 --optimizer adam --lr 0.01 --shards 4 "
                          "--seed 5 --checkpoint-every 5 --out " +
                              dir);
        ASSERT_EQ(a.code, 0) << a.output;
        Result b = run_np(second, "train -q --resume " + dir + " --epochs 12");
        ASSERT_EQ(b.code, 0) << b.output;
        EXPECT_EQ(read(dir + "/model.safetensors"), model) << first << " then " << second;
        EXPECT_EQ(without_column(read(dir + "/metrics.csv"), "seconds"), curve)
            << first << " then " << second;
    }
}

TEST_F(Mpi, KilledRankEndsTheJob) {
    // Rank 1 is killed (SIGKILL) once training is under way: mpirun must end rank 0 too and
    // exit non-zero, leaving no run files. $m is the timeout in front of mpirun; the ranks
    // are mpirun's children.
    const std::string log = path("log"), out = path("run");
    const std::string script =
        kMpirun + " -np 2 " + FFNN_APP +
        " train --epochs 100000 --log-every 1 --shards 2 --threads 1 --out " + out + " > " + log +
        R"( 2>&1 & m=$!
for i in $(seq 300); do grep -q "epoch   2/" )" +
        log + R"( && break; sleep 0.1; done
kill -9 $(pgrep -P $(pgrep -P $m) | tail -n 1)
wait $m
echo rc=$?)";
    write("kill.sh", script);
    Result r = run_shell("sh " + path("kill.sh"));
    EXPECT_FALSE(contains(r.output, "rc=0")) << r.output;
    EXPECT_FALSE(contains(r.output, "rc=124")) << "mpirun hung until the timeout";
    EXPECT_TRUE(contains(read(log), "exited on signal 9")) << read(log);
    EXPECT_FALSE(std::filesystem::exists(out + "/model.safetensors"));
}

}  // namespace
}  // namespace ffnn::test
