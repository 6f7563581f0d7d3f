// The one route table: the server's dispatch and the readers' labels agree.
#include "shared/ring/route_table.h"

#include <gtest/gtest.h>

#include <string>

namespace driftwatch::ring {
namespace {

TEST(RouteTable, EveryRouteIsLabelledByItsOwnPath) {
  for (const Handler h : {Handler::kPredict, Handler::kHealthz, Handler::kReadyz, Handler::kModel,
                          Handler::kIndex, Handler::kFeedback}) {
    SCOPED_TRACE(handler_label(h));
    EXPECT_EQ(handler_for_target(handler_label(h)), h);
  }
  EXPECT_STREQ(handler_label(Handler::kPredict), "/predict");
  EXPECT_STREQ(handler_label(Handler::kIndex), "/");
  EXPECT_STREQ(handler_label(Handler::kFeedback), "/feedback");
}

TEST(RouteTable, TargetsMapToTheirRouteIgnoringQueryAndFragment) {
  EXPECT_EQ(handler_for_target("/predict?debug=1"), Handler::kPredict);
  EXPECT_EQ(handler_for_target("/healthz#top"), Handler::kHealthz);
  EXPECT_EQ(handler_for_target("/index.html"), Handler::kIndex);
  EXPECT_EQ(handler_for_target("/"), Handler::kIndex);
  EXPECT_EQ(handler_for_target("/nope?x=1"), Handler::kNone);
  EXPECT_EQ(handler_for_target("/metrics"), Handler::kNone);
  EXPECT_EQ(handler_for_target("/predict/"), Handler::kNone);
  EXPECT_EQ(target_path("/a/b?c#d"), "/a/b");
}

TEST(RouteTable, UnknownBytesGetTheCatchAllLabels) {
  EXPECT_STREQ(handler_label(Handler::kNone), "none");
  EXPECT_STREQ(handler_label(static_cast<Handler>(200)), "none");
  EXPECT_STREQ(method_label(Method::kOther), "OTHER");
  EXPECT_STREQ(method_label(static_cast<Method>(99)), "OTHER");
}

TEST(RouteTable, MethodNamesRoundTrip) {
  for (const Method m : {Method::kGet, Method::kPost, Method::kHead, Method::kPut, Method::kDelete,
                         Method::kOptions, Method::kPatch}) {
    SCOPED_TRACE(method_label(m));
    EXPECT_EQ(method_from_name(method_label(m)), m);
  }
  EXPECT_EQ(method_from_name("get"), Method::kOther);  // method names are case-sensitive
  EXPECT_EQ(method_from_name("BREW"), Method::kOther);
}

}  // namespace
}  // namespace driftwatch::ring
