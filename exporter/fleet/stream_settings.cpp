#include "exporter/fleet/stream_settings.h"

#include <cctype>
#include <sstream>

namespace driftwatch::fleet {

namespace {

std::string subject_token(const std::string& part) {
  if (part.empty()) return "unknown";
  std::string out = part;
  for (char& c : out) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '.' || c == '*' || c == '>' || std::isspace(u) || std::iscntrl(u)) c = '_';
  }
  return out;
}

bool valid_one_url(const std::string& url, std::string& why) {
  const std::string scheme = "nats://";
  if (url.compare(0, scheme.size(), scheme) != 0) {
    why = "'" + url + "' does not start with nats://";
    return false;
  }
  const std::string rest = url.substr(scheme.size());
  const auto colon = rest.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    why = "'" + url + "' is not nats://HOST:PORT";
    return false;
  }
  const std::string port = rest.substr(colon + 1);
  if (port.empty() || port.size() > 5 ||
      port.find_first_not_of("0123456789") != std::string::npos) {
    why = "'" + url + "' has no numeric port";
    return false;
  }
  const long p = std::stol(port);
  if (p < 1 || p > 65535) {
    why = "'" + url + "': port out of range";
    return false;
  }
  return true;
}

}  // namespace

std::string default_subject(const std::string& model, const std::string& version) {
  return "driftwatch." + subject_token(model) + "." + subject_token(version) + ".records";
}

std::string default_labels_subject(const std::string& model, const std::string& version) {
  return "driftwatch-labels." + subject_token(model) + "." + subject_token(version);
}

bool valid_nats_url(const std::string& url, std::string& why) {
  if (url.empty()) {
    why = "empty NATS URL";
    return false;
  }
  std::stringstream in(url);
  std::string one;
  while (std::getline(in, one, ',')) {
    if (!valid_one_url(one, why)) return false;
  }
  if (url.back() == ',') {
    why = "'" + url + "' ends with a comma";
    return false;
  }
  return true;
}

bool valid_subject(const std::string& subject, std::string& why) {
  if (subject.empty() || subject.front() == '.' || subject.back() == '.' ||
      subject.find("..") != std::string::npos) {
    why = "subject '" + subject + "' has an empty token";
    return false;
  }
  for (const char c : subject) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '*' || c == '>' || std::isspace(u) || std::iscntrl(u)) {
      why = "subject '" + subject + "' holds a wildcard, a space or a control character";
      return false;
    }
  }
  return true;
}

}  // namespace driftwatch::fleet
