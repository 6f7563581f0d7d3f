// --feedback-token-file: what the file may hold and which Authorization
// headers pass.
#include "server/feedback_auth.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "tests/support/files.h"
#include "tests/support/temp_dir.h"

namespace driftwatch::server {
namespace {

std::string start_error(const std::string& path) {
  try {
    FeedbackAuth::from_token_file(path);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

TEST(FeedbackAuth, WithoutATokenEveryoneIsAdmitted) {
  const FeedbackAuth open;
  EXPECT_FALSE(open.required());
  EXPECT_TRUE(open.admits(""));
  EXPECT_TRUE(open.admits("Bearer anything"));
}

TEST(FeedbackAuth, OnlyTheBearerTokenOfTheFileIsAdmitted) {
  const dwtest::TempDir dir("feedback-auth");
  dwtest::write_file(dir.file("token"), "s3cret-Token_1\n");
  const FeedbackAuth auth = FeedbackAuth::from_token_file(dir.file("token"));
  EXPECT_TRUE(auth.required());
  EXPECT_TRUE(auth.admits("Bearer s3cret-Token_1"));
  EXPECT_TRUE(auth.admits("bearer s3cret-Token_1"));  // the scheme is case-insensitive
  for (const char* bad : {"", "Bearer", "Bearer ", "Bearer s3cret-Token_", "Bearer s3cret-Token_12",
                          "Bearer S3cret-Token_1", "Basic s3cret-Token_1", "s3cret-Token_1",
                          "Bearer  s3cret-Token_1", "Bearer s3cret-Token_1\n"}) {
    SCOPED_TRACE(bad);
    EXPECT_FALSE(auth.admits(bad));
  }
}

TEST(FeedbackAuth, AnUnusableFileIsAStartUpErrorNamingTheFlagAndTheFile) {
  // What a token file may hold: tests/shared/common/token_file_test.cpp.
  const dwtest::TempDir dir("feedback-auth");
  dwtest::write_file(dir.file("spaces"), "two words\n");
  const std::string e = start_error(dir.file("spaces"));
  EXPECT_EQ(e.rfind("--feedback-token-file " + dir.file("spaces") + ": ", 0), 0u) << e;
  EXPECT_EQ(e.find("two words"), std::string::npos) << e;
  EXPECT_NE(start_error(dir.file("missing")).find("cannot open"), std::string::npos);
}

}  // namespace
}  // namespace driftwatch::server
