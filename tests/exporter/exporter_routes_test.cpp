// ExporterRoutes for the pages: representation by ?format= and Accept, the
// pages' weight, ?since= on /drift, 400s for bad input, gzip, / and
// /predictions in JSON. In process, no sockets.
#include "exporter/exporter_routes.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include "exporter/drift_stage.h"
#include "exporter/exporter_metrics.h"
#include "shared/common/npy.h"
#include "tests/exporter/exporter_test_support.h"

namespace driftwatch::exporter {
namespace {

namespace http = boost::beast::http;
using testing::TempDir;

constexpr std::size_t kDim = 8;
constexpr std::size_t kMaxPageBytes = 100 * 1024;

std::string gunzip(const std::string& data) {
  z_stream zs{};
  EXPECT_EQ(inflateInit2(&zs, 15 + 16), Z_OK);
  std::string out(1 << 20, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(inflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(zs.total_out);
  inflateEnd(&zs);
  return out;
}

std::vector<ring::Record> records_for(const std::vector<float>& rows) {
  std::vector<ring::Record> out(rows.size() / kDim);
  for (std::size_t i = 0; i < out.size(); ++i) {
    out[i].fields = testing::predict_ok(0, 0.9f);
    out[i].fields.embedding_count = kDim;
    out[i].embedding.assign(rows.begin() + static_cast<std::ptrdiff_t>(i * kDim),
                            rows.begin() + static_cast<std::ptrdiff_t>((i + 1) * kDim));
  }
  return out;
}

// Routes over a ready detector that has taken `steps` steps (no ring: the
// ring status is that of a follower that never attached).
struct Harness {
  explicit Harness(std::size_t steps, std::size_t history = 5000)
      : drift(
            [&] {
              const std::string ref = dir.file("ref.npy");
              common::write_npy(ref, common::NpyArray::from_float32(
                                         {200, kDim}, testing::gaussian_rows(200, kDim, 0, 1)));
              DriftStageOptions o;
              o.reference = ref;
              o.params.window_size = 10;
              o.params.ert = 50;
              o.params.n_bootstraps = 200;
              o.history = history;
              return o;
            }(),
            metrics.drift()),
        routes(
            metrics, ring, drift.status(), predictions,
            ExporterRoutes::Options{"/dw-test-ring", [] { return std::int64_t{1'700'000'000}; }}) {
    const bool ready = testing::eventually([&] {
      drift.tick();
      return drift.status().state() == DriftStage::State::kReady;
    });
    EXPECT_TRUE(ready);
    const auto records = records_for(testing::gaussian_rows(steps, kDim, 0, 7));
    drift.feed(records.data(), records.size());
  }

  HttpResponse get(const std::string& target, const std::string& accept = "",
                   const std::string& accept_encoding = "") const {
    HttpRequest req{http::verb::get, target, 11};
    if (!accept.empty()) req.set(http::field::accept, accept);
    if (!accept_encoding.empty()) req.set(http::field::accept_encoding, accept_encoding);
    return routes(req);
  }

  TempDir dir;
  ExporterMetrics metrics;
  RingStatus ring;
  PredictionHistory predictions;
  DriftStage drift;
  ExporterRoutes routes;
};

std::size_t steps_in(const std::string& json) {
  std::size_t n = 0;
  for (std::size_t pos = json.find("{\"t\":"); pos != std::string::npos;
       pos = json.find("{\"t\":", pos + 1)) {
    ++n;
  }
  return n;
}

constexpr const char* kBrowserAccept =
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8";

TEST(ExporterRoutesPages, ABrowserGetsHtmlAndAScriptGetsJson) {
  Harness h(5);
  EXPECT_EQ(h.get("/", kBrowserAccept)[http::field::content_type], "text/html; charset=utf-8");
  EXPECT_EQ(h.get("/")[http::field::content_type], "text/html; charset=utf-8");
  EXPECT_EQ(h.get("/", "application/json")[http::field::content_type], "application/json");
  // /drift stays JSON for scripts (curl sends */*), HTML for a browser or ?format=html.
  EXPECT_EQ(h.get("/drift", "*/*")[http::field::content_type], "application/json");
  EXPECT_EQ(h.get("/drift", kBrowserAccept)[http::field::content_type], "text/html; charset=utf-8");
  EXPECT_EQ(h.get("/drift?format=html")[http::field::content_type], "text/html; charset=utf-8");
  EXPECT_EQ(h.get("/drift?format=json", kBrowserAccept)[http::field::content_type],
            "application/json");
  EXPECT_EQ(h.get("/predictions", kBrowserAccept)[http::field::content_type],
            "text/html; charset=utf-8");
  EXPECT_EQ(h.get("/predictions?format=json")[http::field::content_type], "application/json");
  EXPECT_EQ(h.get("/pages/charts.js")[http::field::content_type], "text/javascript; charset=utf-8");
  // A rejected type (q=0) does not count.
  EXPECT_EQ(h.get("/", "text/html;q=0, application/json")[http::field::content_type],
            "application/json");
}

TEST(ExporterRoutesPages, EachPageIsSelfContainedAndUnder100KB) {
  Harness h(5);
  for (const char* target : {"/", "/drift?format=html", "/predictions", "/pages/charts.js"}) {
    const HttpResponse res = h.get(target, kBrowserAccept);
    ASSERT_EQ(res.result(), http::status::ok) << target;
    EXPECT_LT(res.body().size(), kMaxPageBytes) << target;
    // Nothing from elsewhere: no absolute URLs in src or href.
    EXPECT_EQ(res.body().find("src=\"http"), std::string::npos) << target;
    EXPECT_EQ(res.body().find("href=\"http"), std::string::npos) << target;
    EXPECT_EQ(res.body().find("//cdn"), std::string::npos) << target;
  }
  // The drift page with a full history of data stays under it too (gzipped).
  Harness full(5000);
  const std::size_t page = full.get("/drift?format=html", kBrowserAccept, "gzip").body().size() +
                           full.get("/pages/charts.js", "*/*", "gzip").body().size() +
                           full.get("/drift", "*/*", "gzip, deflate, br").body().size();
  EXPECT_LT(page, kMaxPageBytes);
}

TEST(ExporterRoutesPages, GzipsForClientsThatAcceptIt) {
  Harness h(300);
  const HttpResponse plain = h.get("/drift");
  EXPECT_EQ(plain[http::field::content_encoding], "");
  const HttpResponse zipped = h.get("/drift", "", "gzip, deflate");
  EXPECT_EQ(zipped[http::field::content_encoding], "gzip");
  EXPECT_EQ(zipped[http::field::vary], "Accept, Accept-Encoding");
  EXPECT_LT(zipped.body().size(), plain.body().size() / 3);
  EXPECT_EQ(gunzip(zipped.body()), plain.body());
  EXPECT_EQ(h.get("/drift", "", "gzip;q=0")[http::field::content_encoding], "");
  // /metrics is left to Prometheus' own negotiation: never compressed here.
  EXPECT_EQ(h.get("/metrics", "", "gzip")[http::field::content_encoding], "");
}

TEST(ExporterRoutesPages, SinceReturnsOnlyNewerSteps) {
  Harness h(40);
  EXPECT_EQ(steps_in(h.get("/drift").body()), 40u);
  const std::string newer = h.get("/drift?since=35").body();
  EXPECT_EQ(steps_in(newer), 5u);
  EXPECT_NE(newer.find("\"steps\":[{\"t\":36,"), std::string::npos) << newer;
  EXPECT_NE(newer.find("\"t\":40,\"drift_events\":"), std::string::npos) << newer;
  EXPECT_EQ(steps_in(h.get("/drift?since=40").body()), 0u);
  EXPECT_EQ(steps_in(h.get("/drift?since=0").body()), 40u);
}

TEST(ExporterRoutesPages, SinceBeforeTheKeptHistoryGetsWhatIsKept) {
  Harness h(40, 16);
  const std::string doc = h.get("/drift?since=3").body();
  EXPECT_EQ(steps_in(doc), 16u);
  EXPECT_NE(doc.find("\"steps\":[{\"t\":25,"), std::string::npos) << doc;
}

TEST(ExporterRoutesPages, BadFormatOrSinceIsAClear400InJson) {
  Harness h(10);
  const struct {
    const char* target;
    const char* code;
    const char* detail;
  } cases[] = {
      {"/drift?format=xml", "bad_format", "format must be html or json, got 'xml'"},
      {"/?format=", "bad_format", "got ''"},
      {"/predictions?format=HTML", "bad_format", "got 'HTML'"},
      {"/drift?since=abc", "bad_since", "since must be a detector step number"},
      {"/drift?since=-1", "bad_since", "got '-1'"},
      {"/drift?since=1e3", "bad_since", "got '1e3'"},
      {"/drift?since=", "bad_since", "got ''"},
      {"/drift?since=11", "since_out_of_range", "past the newest detector step t=10"},
      {"/drift?since=99999999999999999999999", "since_out_of_range",
       "since=99999999999999999999999 is past the newest detector step t=10"},
  };
  for (const auto& c : cases) {
    const HttpResponse res = h.get(c.target);
    EXPECT_EQ(res.result(), http::status::bad_request) << c.target;
    EXPECT_EQ(res[http::field::content_type], "application/json") << c.target;
    EXPECT_EQ(res.body().rfind(std::string("{\"error\":\"") + c.code + "\",\"detail\":\"", 0), 0u)
        << c.target << ": " << res.body();
    EXPECT_NE(res.body().find(c.detail), std::string::npos) << c.target << ": " << res.body();
  }
}

TEST(ExporterRoutesPages, OverviewJsonSaysWhatIsFollowedAndLinksEveryPage) {
  Harness h(12);
  const std::string doc = h.get("/", "application/json").body();
  EXPECT_EQ(doc.rfind("{\"ring\":{\"name\":\"/dw-test-ring\",\"attached\":false,\"producer_up\":"
                      "false,",
                      0),
            0u)
      << doc;
  EXPECT_NE(doc.find("\"model\":null"), std::string::npos) << doc;
  EXPECT_NE(doc.find("\"detector\":{\"state\":\"ready\""), std::string::npos) << doc;
  EXPECT_NE(doc.find("\"window_size\":10"), std::string::npos) << doc;
  EXPECT_NE(doc.find("\"t\":12,"), std::string::npos) << doc;
  EXPECT_NE(doc.find("\"steps\":[]"), std::string::npos) << doc;  // no steps on /
  for (const char* href : {"\"/\"", "\"/drift?format=html\"", "\"/predictions\"", "\"/drift\"",
                           "\"/predictions?format=json\"", "\"/metrics\"", "\"/healthz\""}) {
    EXPECT_NE(doc.find(std::string("{\"href\":") + href), std::string::npos) << href;
  }
}

TEST(ExporterRoutesPages, PredictionsJsonUsesTheInjectedClock) {
  Harness h(0);
  const std::string doc = h.get("/predictions?format=json").body();
  EXPECT_EQ(doc.rfind("{\"now\":1700000000,", 0), 0u) << doc;
}

}  // namespace
}  // namespace driftwatch::exporter
