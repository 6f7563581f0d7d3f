#include "exporter/exporter_routes.h"

#include <spdlog/fmt/fmt.h>

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/verb.hpp>
#include <charconv>
#include <chrono>
#include <exception>
#include <string_view>
#include <utility>

#include "exporter/overview.h"
#include "pages/page_assets.h"
#include "shared/common/json_string.h"

namespace driftwatch::exporter {
namespace http = boost::beast::http;

namespace {

constexpr const char* kJson = "application/json";
constexpr const char* kHtml = "text/html; charset=utf-8";
// Smaller bodies are sent as they are: gzip would not pay for itself.
constexpr std::size_t kGzipMinBytes = 1024;

HttpResponse make_response(http::status status, const char* content_type, std::string body) {
  HttpResponse res{status, 11};
  res.set(http::field::content_type, content_type);
  res.body() = std::move(body);
  return res;
}

HttpResponse json_error(http::status status, const char* code, const std::string& detail) {
  std::string body = "{\"error\":";
  common::append_json_string(body, code);
  body += ",\"detail\":";
  common::append_json_string(body, detail);
  body += "}\n";
  return make_response(status, kJson, std::move(body));
}

std::string clipped(std::string_view s) { return std::string(s.substr(0, 200)); }

}  // namespace

ExporterRoutes::ExporterRoutes(const MetricsText& metrics, const RingStatus& ring,
                               const DriftStatus& drift, const PredictionHistory& predictions,
                               Options options, const FeedbackStatus* feedback)
    : metrics_(metrics),
      ring_(ring),
      drift_(drift),
      predictions_(predictions),
      options_(std::move(options)),
      feedback_(feedback) {
  if (!options_.unix_seconds) {
    options_.unix_seconds = [] {
      return std::chrono::duration_cast<std::chrono::seconds>(
                 std::chrono::system_clock::now().time_since_epoch())
          .count();
    };
  }
}

std::string ExporterRoutes::health_json() const {
  return fmt::format(
      "{{\"status\":\"ok\",\"ring_attached\":{},\"producer_up\":{},\"generation\":{},"
      "\"records_read\":{},\"records_dropped\":{},\"drift\":\"{}\"}}\n",
      ring_.ring_attached(), ring_.producer_up(), ring_.generation(), ring_.records_read(),
      ring_.records_dropped(), drift_state_name(drift_.state()));
}

HttpResponse ExporterRoutes::drift_json(const RequestTarget& target) const {
  std::uint64_t since = 0;
  if (const auto text = target.param("since")) {
    const char* end = text->data() + text->size();
    const auto [ptr, ec] = std::from_chars(text->data(), end, since);
    if (text->empty() || ptr != end || ec == std::errc::invalid_argument) {
      return json_error(
          http::status::bad_request, "bad_since",
          "since must be a detector step number (0 or more), got '" + clipped(*text) + "'");
    }
    const std::uint64_t t = drift_.steps();
    if (ec == std::errc::result_out_of_range || since > t) {
      // Past the newest step: a typo, or a client of an exporter since restarted.
      return json_error(http::status::bad_request, "since_out_of_range",
                        "since=" + clipped(*text) + " is past the newest detector step t=" +
                            std::to_string(t) + "; start again from since=0");
    }
  }
  std::string body = drift_.to_json(since);
  body += '\n';
  return make_response(http::status::ok, kJson, std::move(body));
}

HttpResponse ExporterRoutes::route(const HttpRequest& request, const RequestTarget& target) const {
  const std::string& path = target.path;
  const bool known = path == "/" || path == "/drift" || path == "/predictions" ||
                     path == "/pages/charts.js" || path == "/metrics" || path == "/healthz" ||
                     (path == "/feedback" && feedback_ != nullptr);
  if (!known) {
    return json_error(http::status::not_found, "not_found",
                      "no such path " + clipped(path) +
                          "; try /, /drift, /predictions, /feedback, /metrics or /healthz");
  }
  if (request.method() != http::verb::get) {
    HttpResponse res = json_error(http::status::method_not_allowed, "method_not_allowed",
                                  "only GET is served here");
    res.set(http::field::allow, "GET");
    return res;
  }
  if (path == "/metrics") {
    return make_response(http::status::ok, kMetricsContentType, metrics_.render());
  }
  if (path == "/healthz") return make_response(http::status::ok, kJson, health_json());
  if (path == "/pages/charts.js") {
    return make_response(http::status::ok, "text/javascript; charset=utf-8",
                         std::string(pages::kChartsJs));
  }
  const std::string_view accept(request[http::field::accept].data(),
                                request[http::field::accept].size());
  const auto representation = choose_representation(
      target, accept,
      path == "/drift" || path == "/feedback" ? Representation::kJson : Representation::kHtml);
  if (!representation) {
    return json_error(
        http::status::bad_request, "bad_format",
        "format must be html or json, got '" + clipped(*target.param("format")) + "'");
  }
  const bool html = *representation == Representation::kHtml;
  if (path == "/") {
    return html ? make_response(http::status::ok, kHtml, std::string(pages::kIndexHtml))
                : make_response(http::status::ok, kJson,
                                overview_json(options_.ring_name, ring_, drift_));
  }
  if (path == "/drift") {
    return html ? make_response(http::status::ok, kHtml, std::string(pages::kDriftHtml))
                : drift_json(target);
  }
  if (path == "/feedback") {
    return html ? make_response(http::status::ok, kHtml, std::string(pages::kFeedbackHtml))
                : make_response(http::status::ok, kJson, feedback_->to_json() + "\n");
  }
  if (html) return make_response(http::status::ok, kHtml, std::string(pages::kPredictionsHtml));
  return make_response(http::status::ok, kJson, predictions_.to_json(options_.unix_seconds()));
}

HttpResponse ExporterRoutes::operator()(const HttpRequest& request) const {
  const std::string_view raw(request.target().data(), request.target().size());
  const RequestTarget target = parse_target(raw);
  HttpResponse res = route(request, target);
  if (target.path == "/metrics" || target.path == "/healthz") return res;
  // The pages and their JSON: never cached (live data), gzipped when accepted.
  res.set(http::field::cache_control, "no-store");
  res.set(http::field::vary, "Accept, Accept-Encoding");
  const auto accept_encoding = request[http::field::accept_encoding];
  if (res.body().size() >= kGzipMinBytes &&
      accepts_gzip(std::string_view(accept_encoding.data(), accept_encoding.size()))) {
    try {
      res.body() = gzip(res.body());
      res.set(http::field::content_encoding, "gzip");
    } catch (const std::exception&) {
      // Out of memory in zlib: the plain body still answers.
    }
  }
  return res;
}

}  // namespace driftwatch::exporter
