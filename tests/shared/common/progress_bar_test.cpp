#include "shared/common/progress_bar.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "tests/support/files.h"

namespace driftwatch::common {
namespace {

using Clock = ProgressBar::Clock;
using std::chrono::milliseconds;

TEST(ProgressBar, WithoutALabelTheLineStartsAtTheBar) {
  std::FILE* f = std::tmpfile();
  const Clock::time_point t0{};
  ProgressBar bar(f, /*tty=*/false, "", 3, t0);
  EXPECT_FALSE(bar.due(1, t0 + milliseconds(10)));
  EXPECT_TRUE(bar.due(3, t0 + milliseconds(10))) << "the last step is always due";
  bar.update(3, "100.0%", t0 + milliseconds(10));
  bar.update(3, "", t0 + milliseconds(20));
  bar.finish();
  EXPECT_EQ(dwtest::stream_contents(f),
            "[##############################] 3/3 100.0%\n"
            "[##############################] 3/3\n");
  std::fclose(f);
}

}  // namespace
}  // namespace driftwatch::common
