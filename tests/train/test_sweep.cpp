// The sweep runner's std::thread pool (train/sweep.cpp): results come back in grid order and
// equal the same runs made one at a time in this thread (the reference), whatever the number
// of workers; the completion callback is called once per run, one call at a time; an error
// in one run stops the sweep and is rethrown. The preset tsan runs this under
// ThreadSanitizer (with one OpenMP thread: libgomp is not instrumented).
#include <gtest/gtest.h>

#include <set>
#include <stdexcept>
#include <utility>
#include <vector>

#include "ffnn/train/sweep.hpp"

using namespace ffnn;

namespace {

std::vector<SweepSetting> small_grid() {
    std::vector<SweepSetting> settings;
    for (std::size_t width : {4, 8, 12}) {
        SweepSetting s;
        s.name = "h" + std::to_string(width);
        s.config.model.hidden = {width};
        s.config.epochs = 3;
        s.config.threads = 1;
        settings.push_back(std::move(s));
    }
    return settings;
}

}  // namespace

TEST(SweepThreads, WorkersGiveTheSequentialResultsInGridOrder) {
    const std::vector<SweepSetting> settings = small_grid();
    const std::vector<std::uint64_t> seeds = {1, 2};
    std::vector<SweepRun> reference;
    for (std::size_t s = 0; s < settings.size(); ++s)
        for (std::uint64_t seed : seeds) reference.push_back(run_one(settings[s], s, seed));

    for (int jobs : {2, 4}) {
        SCOPED_TRACE("jobs " + std::to_string(jobs));
        std::size_t calls = 0, last_finished = 0;
        std::set<std::pair<std::size_t, std::uint64_t>> seen;
        // The callback runs on the workers, one call at a time: unsynchronised state here
        // is what ThreadSanitizer would report if the runner's lock were missing.
        std::vector<SweepRun> runs = run_sweep(
            settings, seeds, jobs, [&](const SweepRun& r, std::size_t done, std::size_t total) {
                ++calls;
                EXPECT_EQ(done, last_finished + 1);
                last_finished = done;
                EXPECT_EQ(total, reference.size());
                seen.insert({r.setting, r.seed});
            });
        EXPECT_EQ(calls, reference.size());
        EXPECT_EQ(seen.size(), reference.size());
        ASSERT_EQ(runs.size(), reference.size());
        for (std::size_t i = 0; i < runs.size(); ++i) {
            EXPECT_EQ(runs[i].setting, reference[i].setting);
            EXPECT_EQ(runs[i].seed, reference[i].seed);
            EXPECT_EQ(runs[i].n_parameters, reference[i].n_parameters);
            ASSERT_EQ(runs[i].outcome.history.size(), reference[i].outcome.history.size());
            EXPECT_EQ(runs[i].outcome.train.loss, reference[i].outcome.train.loss) << i;
            EXPECT_EQ(runs[i].outcome.test.accuracy, reference[i].outcome.test.accuracy) << i;
        }
    }
}

TEST(SweepThreads, AnErrorStopsTheSweepAndIsRethrown) {
    std::vector<SweepSetting> settings = small_grid();
    settings[1].config.data.csv = "/nonexistent/ffnn-sweep-test.csv";
    EXPECT_THROW(run_sweep(settings, {1, 2, 3}, 3), std::exception);
}
