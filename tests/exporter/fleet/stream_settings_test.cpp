#include "exporter/fleet/stream_settings.h"

#include <gtest/gtest.h>

namespace driftwatch::fleet {
namespace {

TEST(StreamSettings, DefaultSubjectNamesModelAndVersionWithoutNatsSyntax) {
  EXPECT_EQ(default_subject("fashion-cnn", "2"), "driftwatch.fashion-cnn.2.records");
  EXPECT_EQ(default_subject("food.11 net", "v1.2"), "driftwatch.food_11_net.v1_2.records");
  EXPECT_EQ(default_subject("", ""), "driftwatch.unknown.unknown.records");
  EXPECT_EQ(default_subject("a*>b", "x"), "driftwatch.a__b.x.records");
  std::string why;
  EXPECT_TRUE(valid_subject(default_subject("m.*", "1 2"), why)) << why;
}

TEST(StreamSettings, NatsUrlsAreCheckedBeforeAnyConnection) {
  std::string why;
  EXPECT_TRUE(valid_nats_url("nats://127.0.0.1:4222", why));
  EXPECT_TRUE(valid_nats_url("nats://nats-0.nats:4222,nats://nats-1.nats:4222", why));
  for (const char* bad : {"", "127.0.0.1:4222", "http://h:1", "nats://h", "nats://:4222",
                          "nats://h:0", "nats://h:99999", "nats://h:12a", "nats://h:1,"}) {
    EXPECT_FALSE(valid_nats_url(bad, why)) << bad;
    EXPECT_FALSE(why.empty());
  }
}

TEST(StreamSettings, PublishSubjectsHaveNoWildcardsOrEmptyTokens) {
  std::string why;
  EXPECT_TRUE(valid_subject("driftwatch.m.v.records", why));
  for (const char* bad : {"", ".a", "a.", "a..b", "a.*", "a.>", "a b"}) {
    EXPECT_FALSE(valid_subject(bad, why)) << bad;
  }
}

}  // namespace
}  // namespace driftwatch::fleet
