// ffnn: train, evaluate and inspect feed-forward classifiers from the command line.
//
//   ffnn train       train a network (with no flags: the assignment's network on Iris)
//   ffnn eval        loss, accuracy and per-class metrics of a saved model on a CSV file
//   ffnn predict     class and probabilities per row of a CSV file
//   ffnn gradcheck   compare backward with central differences for a network in double
//   ffnn sweep       a grid of training runs, a CSV of results and a report with plots
//   ffnn explain     one training step printed layer by layer: shapes, norms, update sizes
//
// Exit codes: 0 success, 1 a runtime error (bad file, divergence, failed check), 2 bad flags.
//
// Under mpirun (docs/distributed.md) every rank runs this same main; train and sweep share
// the work, every other command runs on each rank alike. Rank 0 alone prints.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "commands.hpp"
#include "communicator.hpp"
#include "ffnn/nn/config_error.hpp"
#include "ffnn/version.hpp"
#include "json_config.hpp"

// Outside the handlers below only the set-up can throw (CLI11 rejecting an option registered
// twice, std::bad_alloc): a programming error, for which terminating is the right outcome.
int main(int argc, char** argv) {  // NOLINT(bugprone-exception-escape)
    const std::unique_ptr<ffnn::Communicator> comm = ffnn::app::make_communicator(argc, argv);
    ffnn::app::set_world(comm.get());
    // The other ranks would print rank 0's lines again; their errors still reach stderr.
    if (comm->rank() != 0 && !std::freopen("/dev/null", "w", stdout)) return 1;
    // "rank 2 of 4: " before a message that one rank alone may have (empty in one process).
    const std::string who = comm->size() > 1 ? "rank " + std::to_string(comm->rank()) + " of " +
                                                   std::to_string(comm->size()) + ": "
                                             : std::string();

    CLI::App app{"ffnn: feed-forward neural networks from scratch"};
    app.require_subcommand(1);
    app.set_version_flag("--version", std::string("ffnn ") + FFNN_VERSION);
    app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);

    std::map<CLI::App*, ffnn::app::Command> commands;
    auto add = [&](const char* name, const char* help, ffnn::app::Command (*make)(CLI::App&)) {
        CLI::App* sub = app.add_subcommand(name, help);
        sub->option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
        commands[sub] = make(*sub);
        std::string unused;
        sub->add_option("--config", unused,
                        "JSON file of flags, for example {\"hidden\": [64, 32], \"lr\": 0.01}; "
                        "flags on the command line win");
    };
    add("train",
        "Train a classifier or a regressor (no flags: the assignment's network on the shipped "
        "Iris data)",
        ffnn::app::add_train);
    add("eval", "Evaluate a saved model on a labelled CSV file", ffnn::app::add_eval);
    add("predict",
        "Predict each row of a CSV file: its class and class probabilities, or a regressor's "
        "values",
        ffnn::app::add_predict);
    add("gradcheck", "Check every gradient of a network against central differences in double",
        ffnn::app::add_gradcheck);
    add("sweep", "Train a grid of settings over several seeds and write a report",
        ffnn::app::add_sweep);
    add("explain",
        "Print one training step of the network train would build: shapes, norms, update",
        ffnn::app::add_explain);

    std::vector<std::string> args(argv, argv + argc);
    try {
        for (auto& [sub, run] : commands) args = ffnn::app::expand_json_config(args, *sub);
    } catch (const std::exception& e) {
        std::cerr << "ffnn: error: " << e.what() << "\n";
        return 2;
    }
    std::vector<char*> cargs;
    cargs.reserve(args.size());
    for (auto& a : args) cargs.push_back(a.data());
    try {
        app.parse(static_cast<int>(cargs.size()), cargs.data());
    } catch (const CLI::ParseError& e) {
        // --help and --version exit 0; every parse error exits 2 with CLI11's message.
        return app.exit(e) == 0 ? 0 : 2;
    }
    for (auto& [sub, run] : commands) {
        if (!sub->parsed()) continue;
        try {
            return run();
        } catch (const ffnn::RankFailure& e) {
            // Every rank agreed on this failure (distributed.hpp): rank 0 says which rank.
            if (comm->rank() == 0)
                std::cerr << "ffnn " << sub->get_name() << ": error: " << e.what() << "\n";
            return e.exit_code();
        } catch (const ffnn::ConfigError& e) {
            // A value out of range: a bad flag, named as the user wrote it. Every rank has the
            // same flags and finds it before any collective: rank 0 says it, each rank exits.
            if (comm->rank() == 0)
                std::cerr << "ffnn " << sub->get_name()
                          << ": error: " << ffnn::app::flag_of_field(e.field()) << ": " << e.what()
                          << "\n";
            return 2;
        } catch (const std::exception& e) {
            std::cerr << "ffnn " << sub->get_name() << ": error: " << who << e.what() << "\n";
            // Outside an agreed phase the other ranks may be waiting in a collective for this
            // one: end them all rather than leave them hanging.
            if (comm->size() > 1) comm->abort(1);
            return 1;
        }
    }
    return 2;
}
