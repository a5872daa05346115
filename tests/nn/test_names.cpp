// The wording helpers every message uses: numbers as a person writes them, counts with the
// noun in the right number.
#include <gtest/gtest.h>

#include "ffnn/nn/names.hpp"

namespace ffnn {
namespace {

TEST(Names, CountsTakeTheNounInTheirNumber) {
    EXPECT_EQ(count_of(0, "example", "examples"), "0 examples");
    EXPECT_EQ(count_of(1, "example", "examples"), "1 example");
    EXPECT_EQ(count_of(2, "class", "classes"), "2 classes");
    EXPECT_EQ(count_of(1, "class", "classes"), "1 class");
}

TEST(Names, NumbersAreWrittenShort) {
    EXPECT_EQ(format_number(0.1), "0.1");
    EXPECT_EQ(format_number(100), "100");
    EXPECT_EQ(format_number(-1), "-1");
}

}  // namespace
}  // namespace ffnn
