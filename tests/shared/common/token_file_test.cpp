// What a token file may hold (infer-server's --feedback-token-file, loadgen's).
#include "shared/common/token_file.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "tests/support/files.h"
#include "tests/support/temp_dir.h"

namespace driftwatch::common {
namespace {

std::string error_of_reading(const std::string& path) {
  try {
    read_token_file(path);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

TEST(TokenFile, TheTokenIsTheFirstLineWithoutItsNewline) {
  const dwtest::TempDir dir("token-file");
  dwtest::write_file(dir.file("token"), "s3cret-Token_1/+=\r\n\n");
  EXPECT_EQ(read_token_file(dir.file("token")), "s3cret-Token_1/+=");
}

TEST(TokenFile, AFileWithoutOneUsableTokenIsRefusedByNameNeverShowingIt) {
  const dwtest::TempDir dir("token-file");
  EXPECT_NE(error_of_reading(dir.file("missing")).find("cannot open"), std::string::npos);
  EXPECT_NE(error_of_reading(dir.path()).find("is a directory"), std::string::npos);
  dwtest::write_file(dir.file("empty"), "\n\n");
  EXPECT_NE(error_of_reading(dir.file("empty")).find("empty"), std::string::npos);
  for (const char* bad : {"two words\n", "line\nline\n", "tab\there", "caf\xc3\xa9"}) {
    SCOPED_TRACE(bad);
    dwtest::write_file(dir.file("bad"), bad);
    const std::string e = error_of_reading(dir.file("bad"));
    EXPECT_NE(e.find("visible ASCII"), std::string::npos) << e;
    EXPECT_NE(e.find(dir.file("bad")), std::string::npos) << e;
    EXPECT_EQ(e.find("two words"), std::string::npos) << e;
  }
}

}  // namespace
}  // namespace driftwatch::common
