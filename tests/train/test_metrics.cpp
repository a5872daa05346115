// Metrics: the confusion matrix, per-class scores and macro F1, against counts worked by hand.
#include <gtest/gtest.h>

#include "ffnn/train/metrics.hpp"

namespace ffnn {
namespace {

TEST(Metrics, PerClassScoresByHand) {
    // true  0 0 0 1 1 2;  predicted 0 0 1 1 2 2
    ConfusionMatrix cm(3);
    cm.add(std::vector<int>{0, 0, 0, 1, 1, 2}, std::vector<int>{0, 0, 1, 1, 2, 2});
    EXPECT_DOUBLE_EQ(cm.accuracy(), 4.0 / 6.0);
    const ClassMetrics m1 = cm.class_metrics(1);  // tp 1, predicted 2, actual 2
    EXPECT_DOUBLE_EQ(m1.precision, 0.5);
    EXPECT_DOUBLE_EQ(m1.recall, 0.5);
    EXPECT_DOUBLE_EQ(m1.f1, 0.5);
    // F1: class 0 = 2 (1 * 2/3) / (1 + 2/3) = 0.8, class 1 = 0.5, class 2 = 2 (0.5 * 1) / 1.5
    EXPECT_NEAR(cm.macro_f1(), (0.8 + 0.5 + 2.0 / 3.0) / 3.0, 1e-15);
    EXPECT_EQ(cm.classes_present(), 3u);
}

// Evaluating on one class's rows (Iris' 50 setosa, all right) scores 1, as scikit-learn does:
// the classes that neither occur nor are predicted are not averaged in.
TEST(Metrics, MacroF1AveragesOverTheClassesPresent) {
    ConfusionMatrix cm(3);
    cm.add(std::vector<int>(50, 0), std::vector<int>(50, 0));
    EXPECT_DOUBLE_EQ(cm.macro_f1(), 1.0);
    EXPECT_EQ(cm.classes_present(), 1u);
    EXPECT_NE(cm.format({"setosa", "versicolor", "virginica"}).find("over the 1 class present"),
              std::string::npos);
    // A class that is predicted but never true counts (its F1 is 0).
    ConfusionMatrix wrong(3);
    wrong.add(std::vector<int>{0, 0}, std::vector<int>{0, 2});
    EXPECT_EQ(wrong.classes_present(), 2u);
    EXPECT_NEAR(wrong.macro_f1(), (2.0 * 1.0 * 0.5 / 1.5 + 0.0) / 2.0, 1e-15);
    EXPECT_EQ(ConfusionMatrix(3).macro_f1(), 0.0);
}

}  // namespace
}  // namespace ffnn
