// Running the runs of a sweep; see sweep.hpp.
#include "ffnn/train/sweep.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <exception>
#include <mutex>
#include <thread>

#include "ffnn/tensor/parallel.hpp"

namespace ffnn {

SweepRun run_one(const SweepSetting& setting, std::size_t setting_index, std::uint64_t seed,
                 const RunModel& on_model) {
    const auto t0 = std::chrono::steady_clock::now();
    TrainConfig config = setting.config;
    config.seed = seed;
    PreparedData data = prepare_data(config);
    Model<float> model = build_model(config, data.train.num_features(), data.train.num_classes());
    SweepRun r;
    r.setting = setting_index;
    r.seed = seed;
    r.n_train = data.train.size();
    r.n_val = data.val.size();
    r.n_test = data.test.size();
    r.n_features = data.train.num_features();
    r.n_classes = data.train.num_classes();
    r.n_parameters = model.num_parameters();
    EarlyStopping early(model, config.early_stopping, data.val.size() > 0);
    r.outcome = fit(model, data, config, early.callbacks());
    r.best_epoch = early.best_epoch();
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (on_model) on_model(r, model, early, data);
    return r;
}

std::vector<SweepRun> run_sweep(const std::vector<SweepSetting>& settings,
                                const std::vector<std::uint64_t>& seeds, int jobs,
                                const RunDone& on_done, const RunModel& on_model) {
    const std::size_t total = settings.size() * seeds.size();
    std::vector<SweepRun> results(total);
    std::vector<std::exception_ptr> errors(total);
    std::atomic<std::size_t> next{0};
    std::atomic<bool> failed{false};
    std::mutex done_mutex;
    std::size_t finished = 0;

    auto worker = [&]() {
        for (;;) {
            if (failed.load()) return;
            const std::size_t i = next.fetch_add(1);
            if (i >= total) return;
            const std::size_t s = i / seeds.size();
            try {
                // OpenMP's thread count is per thread: each worker sets its own.
                set_threads(std::max(1, settings[s].config.threads));
                results[i] = run_one(settings[s], s, seeds[i % seeds.size()], on_model);
            } catch (...) {
                errors[i] = std::current_exception();
                failed.store(true);
                return;
            }
            std::lock_guard<std::mutex> lock(done_mutex);
            ++finished;
            if (on_done) on_done(results[i], finished, total);
        }
    };

    const std::size_t n_workers =
        std::min<std::size_t>(std::max(1, jobs), std::max<std::size_t>(1, total));
    if (n_workers == 1) {
        worker();
    } else {
        std::vector<std::thread> pool;
        for (std::size_t w = 0; w < n_workers; ++w) pool.emplace_back(worker);
        for (auto& t : pool) t.join();
    }
    for (auto& e : errors)
        if (e) std::rethrow_exception(e);
    return results;
}

}  // namespace ffnn
