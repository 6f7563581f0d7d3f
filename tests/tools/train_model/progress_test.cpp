#include "tools/train_model/progress.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <string>

#include "shared/common/progress_bar.h"
#include "tests/support/files.h"

namespace driftwatch::train_model {
namespace {

using common::ProgressBar;
using Clock = ProgressBar::Clock;
using std::chrono::milliseconds;

TEST(ProgressBar, PlainModePrintsAtMostOneLinePerIntervalAndTheLastStep) {
  std::FILE* f = std::tmpfile();
  const Clock::time_point t0{};
  ProgressBar bar(f, /*tty=*/false, "epoch 1/2", 100, t0);
  for (int step = 1; step < 100; ++step)
    bar.update(step, epoch_progress_detail(0.5, 1000), t0 + milliseconds(step * 100));
  bar.update(100, epoch_progress_detail(0.25, 2000), t0 + milliseconds(10000));
  bar.finish();
  const std::string out = dwtest::stream_contents(f);
  std::fclose(f);
  // 9.9 s of updates at a 5 s interval: one line at 5.0 s, then the last step.
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 2) << out;
  EXPECT_EQ(out.find('\r'), std::string::npos);
  EXPECT_NE(out.find("epoch 1/2 [###############...............] 50/100 loss 0.5000 1000 img/s\n"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("[##############################] 100/100 loss 0.2500 2000 img/s\n"),
            std::string::npos)
      << out;
}

TEST(ProgressBar, TtyModeRedrawsInPlace) {
  std::FILE* f = std::tmpfile();
  const Clock::time_point t0{};
  ProgressBar bar(f, /*tty=*/true, "e", 10, t0);
  bar.update(1, epoch_progress_detail(1.0, 10), t0 + milliseconds(50));   // too soon: skipped
  bar.update(2, epoch_progress_detail(1.0, 10), t0 + milliseconds(150));  // drawn
  bar.update(10, epoch_progress_detail(0.5, 10),
             t0 + milliseconds(160));  // last step: always drawn
  bar.finish();
  const std::string out = dwtest::stream_contents(f);
  std::fclose(f);
  EXPECT_EQ(std::count(out.begin(), out.end(), '\r'), 2) << out;
  EXPECT_EQ(out.back(), '\n');
  EXPECT_EQ(out.find("1/10"), std::string::npos);
}

}  // namespace
}  // namespace driftwatch::train_model
