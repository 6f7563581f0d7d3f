#include "server/predict_request.h"

#include <simdjson.h>

#include "server/image.h"
#include "server/preprocess.h"
#include "shared/common/base64.h"

namespace driftwatch::server {
namespace {

const char* json_type_name(simdjson::dom::element_type t) {
  switch (t) {
    case simdjson::dom::element_type::ARRAY:
      return "an array";
    case simdjson::dom::element_type::OBJECT:
      return "an object";
    case simdjson::dom::element_type::INT64:
    case simdjson::dom::element_type::UINT64:
    case simdjson::dom::element_type::DOUBLE:
      return "a number";
    case simdjson::dom::element_type::STRING:
      return "a string";
    case simdjson::dom::element_type::BOOL:
      return "a boolean";
    case simdjson::dom::element_type::NULL_VALUE:
      return "null";
  }
  return "something else";
}

std::optional<PredictRequestError> refuse(unsigned status, std::string_view code,
                                          std::string_view detail) {
  return PredictRequestError{status, std::string(code), std::string(detail)};
}

}  // namespace

std::optional<PredictRequestError> decode_predict_body(std::string_view body,
                                                       std::uint64_t max_pixels,
                                                       const ModelConfig& config,
                                                       std::vector<float>& input,
                                                       const DecodeOptions& decode) {
  if (body.empty())
    return refuse(422, "empty_body",
                  "the request has no body; send {\"image\": \"<base64 JPEG or PNG>\"}");

  // simdjson reads up to SIMDJSON_PADDING bytes past the end: parse from a
  // padded per-thread copy (a memcpy, cheap next to the decode).
  thread_local simdjson::dom::parser parser;
  thread_local std::string padded;
  padded.reserve(body.size() + simdjson::SIMDJSON_PADDING);
  padded.assign(body);
  simdjson::dom::element root;
  if (auto err = parser.parse(padded.data(), padded.size(), false).get(root); err) {
    return refuse(422, "invalid_json",
                  std::string("the body is not valid JSON: ") + simdjson::error_message(err));
  }
  simdjson::dom::object obj;
  if (root.get_object().get(obj) != simdjson::SUCCESS)
    return refuse(422, "missing_image",
                  std::string("the body must be a JSON object with an \"image\" field, got ") +
                      json_type_name(root.type()));
  simdjson::dom::element image_el;
  if (obj["image"].get(image_el) != simdjson::SUCCESS)
    return refuse(422, "missing_image", "the body has no \"image\" field (base64 JPEG or PNG)");
  std::string_view image_b64;
  if (image_el.get_string().get(image_b64) != simdjson::SUCCESS)
    return refuse(
        422, "image_not_string",
        std::string("\"image\" must be a base64 string, got ") + json_type_name(image_el.type()));

  thread_local std::string bytes;
  if (!common::base64_decode(image_b64, bytes))
    return refuse(422, "invalid_base64", "\"image\" is not valid base64");
  Image image;
  const DecodeResult dr = decode_image(reinterpret_cast<const std::uint8_t*>(bytes.data()),
                                       bytes.size(), max_pixels, image, decode);
  if (!dr.ok()) {
    if (dr.status == DecodeStatus::kTooManyPixels) return refuse(422, "image_too_large", dr.detail);
    return refuse(422, "undecodable_image", dr.detail);
  }
  preprocess(image, config, input);
  return std::nullopt;
}

}  // namespace driftwatch::server
