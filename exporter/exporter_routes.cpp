#include "exporter_routes.h"

#include <spdlog/fmt/fmt.h>

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/verb.hpp>
#include <string_view>
#include <utility>

#include "driftwatch/common/json_string.h"

namespace driftwatch::exporter {
namespace http = boost::beast::http;

namespace {

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
  return make_response(status, "application/json", std::move(body));
}

}  // namespace

std::string ExporterRoutes::health_json() const {
  const char* drift = drift_ ? DriftMonitor::state_name(drift_->state()) : "disabled";
  return fmt::format(
      "{{\"status\":\"ok\",\"ring_attached\":{},\"producer_up\":{},\"generation\":{},"
      "\"records_read\":{},\"records_dropped\":{},\"drift\":\"{}\"}}\n",
      pipeline_.ring_attached(), pipeline_.producer_up(), pipeline_.generation(),
      pipeline_.records_read(), pipeline_.records_dropped(), drift);
}

HttpResponse ExporterRoutes::operator()(const HttpRequest& request) const {
  std::string_view target(request.target().data(), request.target().size());
  target = target.substr(0, target.find('?'));  // queries are ignored
  const bool known = target == "/metrics" || target == "/healthz" || target == "/drift";
  if (!known) {
    std::string path(target.substr(0, 200));
    return json_error(http::status::not_found, "not_found",
                      "no such path " + path + "; try /metrics, /healthz or /drift");
  }
  if (request.method() != http::verb::get) {
    HttpResponse res = json_error(http::status::method_not_allowed, "method_not_allowed",
                                  "only GET is served here");
    res.set(http::field::allow, "GET");
    return res;
  }
  if (target == "/metrics") {
    return make_response(http::status::ok, kMetricsContentType, metrics_.render());
  }
  if (target == "/healthz") {
    return make_response(http::status::ok, "application/json", health_json());
  }
  std::string body = drift_ ? drift_->to_json() : std::string("{\"state\":\"disabled\"}");
  body += '\n';
  return make_response(http::status::ok, "application/json", std::move(body));
}

}  // namespace driftwatch::exporter
