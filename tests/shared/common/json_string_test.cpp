#include "shared/common/json_string.h"

#include <gtest/gtest.h>

#include <cmath>

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

TEST(JsonNumber, ShortestFormThatReadsBack) {
  std::string out;
  append_json_number(out, 0.1);
  out += ',';
  append_json_number(out, 0.1f);
  out += ',';
  append_json_number(out, -2.5e-7);
  out += ',';
  append_json_number(out, 3.0);
  EXPECT_EQ(out, "0.1,0.1,-2.5e-07,3");
}

TEST(JsonNumber, NonFiniteIsNull) {
  std::string out;
  for (const double v : {std::nan(""), HUGE_VAL, -HUGE_VAL}) {
    append_json_number(out, v);
    append_json_number(out, static_cast<float>(v));
  }
  EXPECT_EQ(out, "nullnullnullnullnullnull");
}

}  // namespace
}  // namespace driftwatch::common
