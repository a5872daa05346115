// Running the runs of a sweep; see sweep.hpp.
#include "ffnn/train/sweep.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <exception>
#include <mutex>
#include <thread>
#include <type_traits>

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

namespace {

// A SweepRun as bytes and back, for the ranks of a distributed sweep: the fields in a fixed
// order, numbers as their bytes (every double exact), strings and lists after their length.
class ByteWriter {
  public:
    template <class T>
    void put(const T& v) {
        static_assert(std::is_trivially_copyable_v<T>);
        bytes.append(reinterpret_cast<const char*>(&v), sizeof v);
    }
    void put_string(const std::string& s) {
        put(s.size());
        bytes += s;
    }
    std::string bytes;
};

class ByteReader {
  public:
    explicit ByteReader(const std::string& bytes) : bytes_(bytes) {}
    template <class T>
    T get() {
        static_assert(std::is_trivially_copyable_v<T>);
        T v;
        need(sizeof v);
        std::memcpy(&v, bytes_.data() + pos_, sizeof v);
        pos_ += sizeof v;
        return v;
    }
    std::string get_string() {
        const auto n = get<std::size_t>();
        need(n);
        std::string s = bytes_.substr(pos_, n);
        pos_ += n;
        return s;
    }
    bool done() const { return pos_ == bytes_.size(); }

  private:
    void need(std::size_t n) const {
        if (bytes_.size() - pos_ < n)
            throw std::runtime_error("sweep: a rank's results are truncated (" +
                                     std::to_string(bytes_.size()) + " bytes)");
    }
    const std::string& bytes_;
    std::size_t pos_ = 0;
};

// An epoch record's numbers (a sweep trains classifiers: the per-target lists of a
// regression record are not sent).
void write_record(ByteWriter& w, const EpochRecord& e) {
    w.put(e.epoch);
    for (double v : {e.lr, e.train_loss, e.train_accuracy, e.val_loss, e.val_accuracy, e.seconds})
        w.put(v);
    w.put(e.train_metrics);
    w.put(e.val_metrics);
}

EpochRecord read_record(ByteReader& in) {
    EpochRecord e;
    e.epoch = in.get<std::size_t>();
    for (double* v :
         {&e.lr, &e.train_loss, &e.train_accuracy, &e.val_loss, &e.val_accuracy, &e.seconds})
        *v = in.get<double>();
    e.train_metrics = in.get<TargetMetrics>();
    e.val_metrics = in.get<TargetMetrics>();
    return e;
}

void write_run(ByteWriter& w, std::size_t index, const SweepRun& r) {
    w.put(index);
    w.put(r.setting);
    w.put(r.seed);
    const TrainOutcome& o = r.outcome;
    w.put(o.history.size());
    for (const EpochRecord& e : o.history) write_record(w, e);
    w.put(o.diverged);
    w.put(o.diverged_epoch);
    w.put_string(o.message);
    w.put(o.train);
    w.put(o.val);
    w.put(o.test);
    w.put(o.train_seconds);
    w.put(o.wall_seconds);
    w.put(o.steps);
    w.put(o.reduce_seconds);
    w.put(r.seconds);
    for (std::size_t n :
         {r.n_train, r.n_val, r.n_test, r.n_features, r.n_classes, r.n_parameters, r.best_epoch})
        w.put(n);
    w.put(o.stop_reason);
}

SweepRun read_run(ByteReader& in, std::size_t& index) {
    SweepRun r;
    index = in.get<std::size_t>();
    r.setting = in.get<std::size_t>();
    r.seed = in.get<std::uint64_t>();
    TrainOutcome& o = r.outcome;
    o.history.resize(in.get<std::size_t>());
    for (EpochRecord& e : o.history) e = read_record(in);
    o.diverged = in.get<bool>();
    o.diverged_epoch = in.get<std::size_t>();
    o.message = in.get_string();
    o.train = in.get<EvalResult>();
    o.val = in.get<EvalResult>();
    o.test = in.get<EvalResult>();
    o.train_seconds = in.get<double>();
    o.wall_seconds = in.get<double>();
    o.steps = in.get<std::size_t>();
    o.reduce_seconds = in.get<double>();
    r.seconds = in.get<double>();
    for (std::size_t* n : {&r.n_train, &r.n_val, &r.n_test, &r.n_features, &r.n_classes,
                           &r.n_parameters, &r.best_epoch})
        *n = in.get<std::size_t>();
    o.stop_reason = in.get<StopReason>();
    if (o.stop_reason != StopReason::EpochsDone && o.stop_reason != StopReason::EarlyStop &&
        o.stop_reason != StopReason::Diverged)
        throw std::runtime_error("sweep: a rank sent a run with an unknown stop reason");
    return r;
}

}  // namespace

std::vector<SweepRun> run_sweep(const std::vector<SweepSetting>& settings,
                                const std::vector<std::uint64_t>& seeds, int jobs,
                                const RunDone& on_done, const RunModel& on_model,
                                Communicator* comm) {
    const std::size_t total = settings.size() * seeds.size();
    const std::size_t rank = comm ? static_cast<std::size_t>(comm->rank()) : 0;
    const std::size_t ranks = comm ? static_cast<std::size_t>(comm->size()) : 1;
    // This rank's runs: every ranks-th of the grid, from its rank on.
    std::vector<std::size_t> mine;
    for (std::size_t i = rank; i < total; i += ranks) mine.push_back(i);
    std::vector<SweepRun> results(total);
    std::vector<std::exception_ptr> errors(total);
    std::atomic<std::size_t> next{0};
    std::atomic<bool> failed{false};
    std::mutex done_mutex;
    std::size_t finished = 0;

    auto worker = [&]() {
        for (;;) {
            if (failed.load()) return;
            const std::size_t k = next.fetch_add(1);
            if (k >= mine.size()) return;
            const std::size_t i = mine[k];
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
            if (on_done) on_done(results[i], finished, mine.size());
        }
    };

    const std::size_t n_workers =
        std::min<std::size_t>(std::max(1, jobs), std::max<std::size_t>(1, mine.size()));
    if (n_workers == 1) {
        worker();
    } else {
        std::vector<std::thread> pool;
        for (std::size_t w = 0; w < n_workers; ++w) pool.emplace_back(worker);
        for (auto& t : pool) t.join();
    }
    if (ranks == 1) {
        for (auto& e : errors)
            if (e) std::rethrow_exception(e);
        return results;
    }
    // Every rank stops here, then learns whether any failed (its first error in grid order).
    run_agreed(*comm, [&] {
        for (auto& e : errors)
            if (e) std::rethrow_exception(e);
    });
    ByteWriter w;
    for (std::size_t i : mine) write_run(w, i, results[i]);
    const std::vector<std::string> all = comm->allgather_bytes(w.bytes);
    for (std::size_t r = 0; r < all.size(); ++r) {
        if (r == rank) continue;
        ByteReader in(all[r]);
        while (!in.done()) {
            std::size_t i = 0;
            SweepRun run = read_run(in, i);
            if (i >= total || i % ranks != r)
                throw std::runtime_error("sweep: rank " + std::to_string(r) +
                                         " sent the results of run " + std::to_string(i) +
                                         ", not one of its own");
            results[i] = std::move(run);
        }
    }
    return results;
}

}  // namespace ffnn
