#include "driftwatch/common/json_string.h"

#include <gtest/gtest.h>

namespace driftwatch::common {
namespace {

TEST(JsonString, QuotesPlainText) { EXPECT_EQ(json_quoted("T-shirt/top"), "\"T-shirt/top\""); }

TEST(JsonString, EscapesQuotesBackslashesAndControlCharacters) {
  EXPECT_EQ(json_quoted("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(json_quoted("line\nnext\ttab\rcr"), "\"line\\nnext\\ttab\\rcr\"");
  EXPECT_EQ(json_quoted(std::string("\x01\x1f", 2)), "\"\\u0001\\u001f\"");
}

TEST(JsonString, KeepsUtf8BytesAsTheyAre) {
  EXPECT_EQ(json_quoted("caf\xc3\xa9"), "\"caf\xc3\xa9\"");
}

TEST(JsonString, AppendsAfterExistingText) {
  std::string out = "{\"k\":";
  append_json_string(out, "v");
  EXPECT_EQ(out, "{\"k\":\"v\"");
}

}  // namespace
}  // namespace driftwatch::common
