// Rules from measurements to sentences; see report_diagnosis.hpp.
#include "report/diagnosis.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace ffnn::app {

namespace {

double median(std::vector<double> v) {
    if (v.empty()) return std::nan("");
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

std::string fmt(const char* f, double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, f, v);
    return buf;
}

std::string acc(double v) {
    return fmt("%.3f", v);
}
// "0.967 ± 0.012", or "0.967 ± -" for one run (no spread to speak of).
std::string acc_pm(const Stat& s) {
    return acc(s.mean) + " ± " + (s.n == 1 ? std::string("-") : acc(s.std));
}
std::string loss(double v) {
    return fmt("%.3g", v);
}
std::string points(double v) {
    return fmt("%.1f", 100 * v);
}

// "1 unit", "16 units".
std::string units(std::size_t n) {
    return std::to_string(n) + (n == 1 ? " unit" : " units");
}

std::string epoch_list(std::vector<std::size_t> e) {
    std::sort(e.begin(), e.end());
    std::string s;
    for (std::size_t i = 0; i < e.size(); ++i)
        s += (i ? (i + 1 == e.size() ? " and " : ", ") : "") + std::to_string(e[i]);
    return s;
}

std::size_t narrowest(const std::vector<std::size_t>& hidden) {
    return hidden.empty() ? 0 : *std::min_element(hidden.begin(), hidden.end());
}

// The first run of a setting (for the data sizes and the parameter count, equal in all runs).
const SweepRun* first_run(std::size_t s, const std::vector<SweepRun>& runs) {
    for (const SweepRun& r : runs)
        if (r.setting == s) return &r;
    return nullptr;
}

// "lr 2 is 40 times the best setting's 0.05" / "lr 0.0005 is 1/100 of ...".
std::string lr_ratio(double lr, double best_lr) {
    const double r = lr / best_lr;
    if (r >= 1) return fmt("%g", r) + " times";
    return "1/" + fmt("%g", 1 / r) + " of";
}

}  // namespace

SettingShape measure_shape(std::size_t setting, const std::vector<SweepRun>& runs,
                           double threshold) {
    SettingShape sh;
    std::vector<double> osc_abs, osc_rel, drop, falling, rise, rise_abs, min_epoch, first, peak,
        last, train_acc, reach;
    for (const SweepRun& r : runs) {
        if (r.setting != setting) continue;
        if (r.outcome.diverged) {
            sh.diverged_epochs.push_back(r.outcome.diverged_epoch);
            continue;
        }
        const auto& h = r.outcome.history;
        const std::size_t n = h.size();
        if (n == 0) continue;
        ++sh.runs_ok;
        first.push_back(h[0].train_loss);
        double pk = 0, vmin = INFINITY;
        std::size_t vmin_e = 0;
        bool reached = false;
        for (const EpochRecord& rec : h) {
            if (std::isfinite(rec.val_accuracy)) pk = std::max(pk, rec.val_accuracy);
            if (std::isfinite(rec.val_loss) && rec.val_loss < vmin) {
                vmin = rec.val_loss;
                vmin_e = rec.epoch;
            }
            if (!reached && std::isfinite(rec.val_accuracy) && rec.val_accuracy >= threshold) {
                reached = true;
                reach.push_back(double(rec.epoch));
            }
        }
        peak.push_back(pk);
        last.push_back(h.back().val_accuracy);
        train_acc.push_back(r.outcome.train.accuracy);
        if (std::isfinite(vmin) && vmin > 0) {
            rise.push_back(h.back().val_loss / vmin);
            rise_abs.push_back(h.back().val_loss - vmin);
            min_epoch.push_back(double(vmin_e));
        }
        if (n < 2) continue;
        std::size_t tail = std::max<std::size_t>(
            kTailMinEpochs, std::size_t(std::lround(kTailFraction * double(n))));
        tail = std::min(tail, n - 1);
        sh.tail = tail;
        double sum_delta = 0, sum_level = 0;
        std::size_t fell = 0;
        for (std::size_t i = n - tail; i < n; ++i) {
            sum_delta += std::fabs(h[i].train_loss - h[i - 1].train_loss);
            sum_level += h[i].train_loss;
            if (h[i].train_loss < h[i - 1].train_loss) ++fell;
        }
        falling.push_back(double(fell) / double(tail));
        const double a = sum_delta / double(tail), level = sum_level / double(tail);
        osc_abs.push_back(a);
        osc_rel.push_back(level > 0 ? a / level : 0);
        const double start = h[n - 1 - tail].train_loss;
        drop.push_back(start > 0 ? (start - h[n - 1].train_loss) / start : 0);
    }
    sh.osc_abs = median(osc_abs);
    sh.osc_rel = median(osc_rel);
    sh.tail_drop = median(drop);
    sh.tail_falling = median(falling);
    sh.val_loss_rise = median(rise);
    sh.val_loss_rise_abs = median(rise_abs);
    sh.val_loss_min_epoch = min_epoch.empty() ? 0 : std::size_t(median(min_epoch));
    sh.first_train_loss = median(first);
    sh.peak_val_accuracy = median(peak);
    sh.final_val_accuracy = median(last);
    sh.final_train_accuracy = median(train_acc);
    sh.threshold_epoch = median(reach);
    return sh;
}

std::size_t best_setting(const std::vector<SettingSummary>& summaries) {
    const std::size_t none = summaries.size();
    auto better = [&](std::size_t i, std::size_t j) {  // is i better than j?
        const SettingSummary &a = summaries[i], &b = summaries[j];
        if (a.val_accuracy.n && b.val_accuracy.n) {
            if (a.val_accuracy.mean != b.val_accuracy.mean)
                return a.val_accuracy.mean > b.val_accuracy.mean;
            return a.val_loss.mean < b.val_loss.mean;
        }
        return a.test_accuracy.mean > b.test_accuracy.mean;
    };
    std::size_t best = none;
    for (int pass = 0; pass < 2 && best == none; ++pass) {
        // First pass: settings with no diverged run; second: any setting with a finished run.
        for (std::size_t i = 0; i < summaries.size(); ++i) {
            const SettingSummary& m = summaries[i];
            if (m.runs_ok == 0 || (pass == 0 && m.diverged > 0)) continue;
            if (best == none || better(i, best)) best = i;
        }
    }
    return best == none ? 0 : best;
}

std::vector<Diagnosis> diagnose(const std::vector<SweepSetting>& settings,
                                const std::vector<SweepRun>& runs,
                                const std::vector<SettingSummary>& summaries, double threshold,
                                const std::string& derivations_link) {
    std::vector<Diagnosis> out(settings.size());
    const std::size_t b = best_setting(summaries);
    const SettingSummary& best = summaries[b];
    const TrainConfig& best_cfg = settings[b].config;
    const SettingShape best_shape = measure_shape(b, runs, threshold);
    const std::string thr = fmt("%g", threshold);

    for (std::size_t s = 0; s < settings.size(); ++s) {
        Diagnosis& d = out[s];
        const SettingSummary& m = summaries[s];
        const TrainConfig& c = settings[s].config;
        const SettingShape sh = measure_shape(s, runs, threshold);
        const SweepRun* r0 = first_run(s, runs);
        if (!r0) continue;
        const std::size_t n_test = r0->n_test, n_train = r0->n_train, K = r0->n_classes;
        const std::size_t batches = (n_train + c.batch_size - 1) / c.batch_size;
        const std::size_t width = narrowest(c.model.hidden);
        const bool lr_small =
            c.optimizer.lr<best_cfg.optimizer.lr, lr_large = c.optimizer.lr> best_cfg.optimizer.lr;
        const bool narrow = !c.model.hidden.empty() &&
                            (width < K || (s != b && width < narrowest(best_cfg.model.hidden)));
        const std::string lr_vs_best = "The learning rate " + fmt("%g", c.optimizer.lr) + " is " +
                                       lr_ratio(c.optimizer.lr, best_cfg.optimizer.lr) +
                                       " the best setting's (" + fmt("%g", best_cfg.optimizer.lr) +
                                       ")";
        const std::string momentum_note =
            c.optimizer.kind == OptimizerKind::SGD && c.optimizer.momentum > 0
                ? " With momentum " + fmt("%g", c.optimizer.momentum) +
                      " a steady gradient moves the weights about lr/(1 - momentum) = " +
                      fmt("%g", c.optimizer.lr / (1 - c.optimizer.momentum)) +
                      " times the gradient per step, " + fmt("%g", 1 / (1 - c.optimizer.momentum)) +
                      " times the plain step."
                : "";
        const std::string curvature =
            std::string(
                "A gradient step of size lr along a direction of curvature lambda is stable only "
                "while lr * lambda < 2 (for plain gradient descent; about 2(1 + momentum) with "
                "momentum") +
            (derivations_link.empty() ? std::string()
                                      : "; [derived here](" + derivations_link +
                                            "#sgd-with-momentum-in-pytorchs-convention)") +
            "): beyond it each step overshoots the bottom of the valley by more than it started "
            "from.";
        std::vector<std::string> labels;

        // Divergence.
        if (m.runs_ok == 0) {
            d.verdict = "diverged";
            d.findings.push_back("All " + std::to_string(m.runs) +
                                 " runs diverged: the training loss became NaN or "
                                 "infinite at epoch " +
                                 epoch_list(sh.diverged_epochs) + " of " +
                                 std::to_string(c.epochs) +
                                 ", where training stopped; there are no final metrics.");
            d.reasons.push_back((lr_large ? lr_vs_best + ". " : "") + curvature +
                                " The error then grows geometrically until the numbers overflow." +
                                momentum_note);
            continue;
        }
        if (m.diverged > 0) {
            labels.push_back("partly diverged");
            d.findings.push_back(std::to_string(m.diverged) + " of " + std::to_string(m.runs) +
                                 " runs diverged (at epoch " + epoch_list(sh.diverged_epochs) +
                                 "); the numbers below are over the other " +
                                 std::to_string(m.runs_ok) + ".");
            d.reasons.push_back(
                "The learning rate " + fmt("%g", c.optimizer.lr) +
                " sits at the edge of stability for this loss: whether a run crosses it depends on "
                "the initial weights and the batches its seed draws. " +
                curvature);
        }

        // Oscillation.
        const bool oscillated = sh.osc_abs > kOscillationAbs && sh.osc_rel > kOscillationRel;
        if (oscillated) {
            labels.push_back("oscillated");
            d.findings.push_back("The training loss oscillated: over the last " +
                                 std::to_string(sh.tail) + " epochs it changed by " +
                                 loss(sh.osc_abs) + " from one epoch to the next on average, " +
                                 fmt("%.0f", 100 * sh.osc_rel) +
                                 "% of its level (median over runs).");
            d.reasons.push_back((lr_large ? lr_vs_best + ". " : "") + curvature +
                                " Below the divergence limit this shows as a loss that jumps up "
                                "and down instead of "
                                "settling." +
                                momentum_note);
        }

        // Reaching the threshold, and slow convergence.
        const bool late =
            m.reached < m.runs || sh.threshold_epoch > kSlowFraction * double(c.epochs);
        const bool still_falling =
            sh.tail_falling >= kSteadyFraction && sh.tail_drop > kStillFallingRel;
        // Underfitting (below) that has stopped falling is a plateau, not slowness.
        const bool underfit =
            sh.final_train_accuracy < best_shape.final_train_accuracy - kUnderfitGap;
        const bool slow = late && !oscillated && (still_falling || !underfit);
        if (m.reached == m.runs)
            d.findings.push_back("Validation accuracy reached " + thr + " at epoch " +
                                 fmt("%g", sh.threshold_epoch) + " (median over runs; mean " +
                                 fmt("%.1f", m.epochs_to_threshold.mean) + ")" +
                                 (slow ? ", after more than " + fmt("%.0f", 100 * kSlowFraction) +
                                             "% of the " + std::to_string(c.epochs) +
                                             " epochs: it converged slowly"
                                       : "") +
                                 ".");
        else
            d.findings.push_back(
                "Validation accuracy did not reach " + thr + " within " + std::to_string(c.epochs) +
                " epochs in " + std::to_string(m.runs - m.reached) + " of " +
                std::to_string(m.runs) +
                " runs (its best epoch, median over runs: " + acc(sh.peak_val_accuracy) + ")" +
                (m.reached == 1 ? "; the other run reached it at epoch " +
                                      fmt("%g", m.epochs_to_threshold.mean)
                 : m.reached
                     ? "; the other " + std::to_string(m.reached) + " reached it at epoch " +
                           fmt("%.1f", m.epochs_to_threshold.mean) + " on average"
                     : "") +
                ".");
        if (sh.peak_val_accuracy - sh.final_val_accuracy > kLostGap)
            d.findings.push_back("It lost ground: validation accuracy peaked at " +
                                 acc(sh.peak_val_accuracy) + " but ended at " +
                                 acc(sh.final_val_accuracy) + " (medians over runs).");
        if (still_falling)
            d.findings.push_back(
                "The training loss was still falling steadily when training stopped: it fell in " +
                fmt("%.0f", 100 * sh.tail_falling) + "% of the last " + std::to_string(sh.tail) +
                " epochs, by " + fmt("%.1f", 100 * sh.tail_drop) + "% across them, from " +
                loss(sh.first_train_loss) + " after epoch 1 to " + loss(m.train_loss.mean) +
                " at the end: the epoch budget ended the descent, not a floor of the loss.");
        if (slow) {
            labels.push_back("converged slowly");
            if (lr_small)
                d.reasons.push_back(
                    lr_vs_best + ": each of the " + std::to_string(c.epochs * batches) +
                    " steps (" + std::to_string(c.epochs) + " epochs of " +
                    std::to_string(batches) +
                    " batches) moves the weights that much less, so the budget ends before the "
                    "loss "
                    "reaches its floor; more epochs or a larger step would finish the descent.");
            else if (narrow)
                d.reasons.push_back(
                    "The hidden layer has " + units(width) +
                    (width < K ? ", fewer than the " + std::to_string(K) + " classes" : "") +
                    ": every gradient reaches the first layer through those units, so the loss has "
                    "few "
                    "directions to descend along, and a single unit that is off (ReLU at zero) for "
                    "many examples passes them no gradient at all.");
            else
                d.reasons.push_back(
                    "Neither a smaller learning rate nor a narrower layer than the best setting's "
                    "explains it by these rules; more epochs would show where it levels off.");
        }

        // Underfitting: training accuracy well below the best's.
        if (underfit) {
            labels.push_back("underfit");
            d.findings.push_back("Underfit: final training accuracy " +
                                 acc(sh.final_train_accuracy) + " (median; mean " +
                                 acc_pm(m.train_accuracy) + "), against " +
                                 acc(best_shape.final_train_accuracy) + " for " + best.name + " (" +
                                 points(best_shape.final_train_accuracy - sh.final_train_accuracy) +
                                 " points lower).");
            if (narrow && width < K)
                d.reasons.push_back(
                    "Its narrowest hidden layer has " + units(width) + " for " + std::to_string(K) +
                    " classes: every input is squeezed into that many numbers before the output "
                    "layer, too few to keep all the classes apart" +
                    (still_falling ? " (and the loss was still falling)"
                                   : ": a capacity limit (the training loss was no longer falling "
                                     "steadily at the end: it fell in " +
                                         fmt("%.0f", 100 * sh.tail_falling) + "% of the last " +
                                         std::to_string(sh.tail) + " epochs)") +
                    ".");
            else if (lr_small && still_falling)
                d.reasons.push_back(
                    "Not a capacity limit: the same network fits the training set with a larger "
                    "step, "
                    "and this one's loss was still falling; it is short of steps, not of units.");
            else if (lr_large)
                d.reasons.push_back(
                    std::string(oscillated ? "The same large steps" : lr_vs_best + ": the steps") +
                    " keep the weights from settling into a minimum" +
                    (to_string(c.model.activation) == "relu"
                         ? ", and one large step can push a ReLU unit's input below zero for every "
                           "example, after which the unit passes no gradient and never recovers"
                         : "") +
                    ". The best epoch's validation accuracy (median " + acc(sh.peak_val_accuracy) +
                    ") shows what the network reached before the steps threw it off.");
            else
                d.reasons.push_back(
                    "No parameter that differs from the best setting explains it by these rules.");
        }

        // Overfitting: a train-test gap and a validation loss rising from its minimum.
        const double gap = m.test_accuracy.n ? m.train_accuracy.mean - m.test_accuracy.mean : 0;
        const double gap_limit =
            std::max(kOverfitGap, n_test ? kOverfitMinExamples / double(n_test) : 0.0);
        const bool overfit = m.test_accuracy.n && gap > gap_limit &&
                             sh.val_loss_rise > kValLossRise &&
                             sh.val_loss_rise_abs > kValLossRiseAbs;
        if (overfit) {
            labels.push_back("overfit");
            d.findings.push_back(
                "Overfit: training accuracy " + acc(m.train_accuracy.mean) +
                " against test accuracy " + acc(m.test_accuracy.mean) + " (a gap of " +
                points(gap) + " points), and the validation loss ended " +
                fmt("%.2f", sh.val_loss_rise) + " times its minimum, reached at epoch " +
                std::to_string(sh.val_loss_min_epoch) + " (medians over runs).");
            d.reasons.push_back(
                std::to_string(r0->n_parameters) + " parameters for " + std::to_string(n_train) +
                " training examples: enough to fit the training set almost exactly (final training "
                "loss " +
                loss(m.train_loss.mean) +
                "), after which further epochs make the network "
                "more confident on the examples it has memorised rather than better on new ones.");
        } else if (m.test_accuracy.n && r0->n_parameters > n_train && !underfit && !oscillated) {
            d.findings.push_back(
                "No overfitting by the rule although the network has " +
                std::to_string(r0->n_parameters) + " parameters for " + std::to_string(n_train) +
                " training examples: the train-test gap is " + points(gap) + " points (limit " +
                points(gap_limit) + ") and the validation loss ended " +
                fmt("%.2f", sh.val_loss_rise) + " times its minimum, " +
                loss(sh.val_loss_rise_abs) + " above it (limits " + fmt("%.2f", kValLossRise) +
                " times and " + fmt("%g", kValLossRiseAbs) + ").");
        }

        // Disagreeing seeds.
        if (n_test) {
            double lo = 2, hi = -1;
            std::uint64_t lo_seed = 0, hi_seed = 0;
            for (const SweepRun& r : runs) {
                if (r.setting != s || r.outcome.diverged) continue;
                if (r.outcome.test.accuracy < lo) lo = r.outcome.test.accuracy, lo_seed = r.seed;
                if (r.outcome.test.accuracy > hi) hi = r.outcome.test.accuracy, hi_seed = r.seed;
            }
            if (hi - lo > kSpreadPoints)
                d.findings.push_back("The seeds disagree: test accuracy ranged from " + acc(lo) +
                                     " (seed " + std::to_string(lo_seed) + ") to " + acc(hi) +
                                     " (seed " + std::to_string(hi_seed) + "), " +
                                     fmt("%.0f", (hi - lo) * double(n_test)) +
                                     " test examples apart.");
        }

        // Against the best setting, in test examples.
        const bool test = m.test_accuracy.n > 0;
        const Stat& t = test ? m.test_accuracy : m.val_accuracy;
        const Stat& bt = test ? best.test_accuracy : best.val_accuracy;
        const std::size_t n_eval = test ? n_test : r0->n_val;
        const std::string part = test ? "test" : "validation";
        const double one = n_eval ? 1.0 / double(n_eval) : 0;
        const bool matched = s != b && t.mean >= bt.mean - std::max(bt.std, one);
        if (s == b) {
            d.findings.push_back("Best setting (highest mean validation accuracy): " + part +
                                 " accuracy " + acc_pm(t) + " over " + std::to_string(t.n) +
                                 " runs.");
        } else if (n_eval) {
            const double diff = bt.mean - t.mean;
            d.findings.push_back("Test accuracy " + acc_pm(t) + ": " + points(std::fabs(diff)) +
                                 " points " + (diff >= 0 ? "below" : "above") +
                                 " the best setting's, " +
                                 fmt("%.1f", std::fabs(diff) * double(n_eval)) + " of the " +
                                 std::to_string(n_eval) + " " + part + " examples" +
                                 (matched ? ", within the best's uncertainty (the larger of its "
                                            "standard deviation and one example)"
                                          : "") +
                                 ".");
        }

        if (labels.empty())
            labels.push_back(s == b    ? "best"
                             : matched ? "matched the best"
                                       : "converged, below the best");
        else if (s == b)
            labels.insert(labels.begin(), "best");
        for (const auto& l : labels) d.verdict += (d.verdict.empty() ? "" : ", ") + l;
    }
    return out;
}

std::string rules_markdown(double threshold) {
    std::string s;
    s += "- **diverged**: the training loss of a run became NaN or infinite (training stops "
         "there). Never inferred.\n";
    s += "- **oscillated**: over the tail window (the last " + fmt("%.0f", 100 * kTailFraction) +
         "% of the epochs, at least " + std::to_string(kTailMinEpochs) +
         ") the training loss moved by more than " + fmt("%g", kOscillationAbs) +
         " from one epoch to the next on average, and by more than " +
         fmt("%.0f", 100 * kOscillationRel) + "% of its level.\n";
    s += "- **converged slowly**: validation accuracy reached " + fmt("%g", threshold) + " after " +
         fmt("%.0f", 100 * kSlowFraction) +
         "% of the epochs, or not at all in some run, without oscillating.\n";
    s += "- **still falling**: over the tail window the training loss fell in at least " +
         fmt("%.0f", 100 * kSteadyFraction) + "% of the epochs and by more than " +
         fmt("%g", 100 * kStillFallingRel) +
         "% in all (noise around a floor falls in about half the epochs).\n";
    s += "- **underfit**: final training accuracy (median over runs) more than " +
         points(kUnderfitGap) + " points below the best setting's.\n";
    s += "- **overfit**: training accuracy above test accuracy by more than " +
         points(kOverfitGap) +
         " points and more "
         "than " +
         fmt("%g", kOverfitMinExamples) + " test examples, and a final validation loss more than " +
         fmt("%.2f", kValLossRise) + " times and " + fmt("%g", kValLossRiseAbs) +
         " above its minimum.\n";
    s += "- **lost ground** (a remark, not a verdict): the final validation accuracy more than " +
         points(kLostGap) +
         " points below the best epoch's; **seeds disagree**: the test accuracies of its runs "
         "spanning more than " +
         points(kSpreadPoints) + " points.\n";
    s += "- **matched the best**: mean test accuracy within the larger of the best setting's "
         "standard deviation and "
         "one test example.\n";
    s += "- **best**: the highest mean validation accuracy among the settings with no diverged run "
         "(ties: lower mean "
         "validation loss); the test set only reports.\n";
    s += "- Each measurement is the median over a setting's runs that did not diverge.\n";
    return s;
}

}  // namespace ffnn::app
