#include "server/json_util.h"

#include <gtest/gtest.h>

using namespace driftwatch::server;

TEST(JsonUtil, EscapesStringsAndWritesErrors) {
  std::string s;
  append_json_string(s, "a\"b\\c\n\x01/");
  EXPECT_EQ(s, "\"a\\\"b\\\\c\\n\\u0001/\"");
  EXPECT_EQ(json_error("not_found", "no \"x\""),
            "{\"error\":\"not_found\",\"detail\":\"no \\\"x\\\"\"}");
  std::string n;
  append_json_number(n, 0.25f);
  n += ',';
  append_json_number(n, 1.0 / 0.0);
  EXPECT_EQ(n, "0.25,null");
}
