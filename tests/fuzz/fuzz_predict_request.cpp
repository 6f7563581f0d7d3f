// libFuzzer target: the whole untrusted /predict path from raw bytes. An
// HTTP/1.1 request is parsed with infer-server's limits (Beast's parser, as
// HttpConnection reads it); a complete POST body then goes through
// decode_predict_body(): JSON, base64, JPEG/PNG decode under the pixel limit
// and preprocessing, for a grayscale 28x28 model and an RGB 224x224 one.
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/http.hpp>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "server/model_config.h"
#include "server/predict_request.h"

namespace {

namespace http = boost::beast::http;
using driftwatch::server::ModelConfig;

const ModelConfig& config(bool rgb) {
  static const ModelConfig gray = driftwatch::server::parse_model_config(R"({
    "name": "fuzz-gray", "version": "1", "input": {"channels": 1, "height": 28, "width": 28},
    "resize": 28, "center_crop": 28, "mean": [0.5], "std": [0.5], "class_names": ["a", "b"]})");
  static const ModelConfig color = driftwatch::server::parse_model_config(R"({
    "name": "fuzz-rgb", "version": "1", "input": {"channels": 3, "height": 224, "width": 224},
    "resize": 256, "center_crop": 224, "mean": [0.485, 0.456, 0.406],
    "std": [0.229, 0.224, 0.225], "class_names": ["a", "b"]})");
  return rgb ? color : gray;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  http::request_parser<http::string_body> parser;
  parser.eager(true);
  parser.body_limit(8u << 20);  // infer-server's --max-body-bytes default
  parser.header_limit(16384);   // --max-header-bytes default
  boost::beast::error_code ec;
  parser.put(boost::asio::buffer(data, size), ec);
  if (!ec && !parser.is_done()) parser.put_eof(ec);
  if (ec || !parser.is_done()) return 0;
  const auto& request = parser.get();
  if (request.method() != http::verb::post) return 0;
  std::vector<float> input;
  // 4 megapixels: enough for every decoder path, small enough to keep the
  // fuzzer fast (the server's default is 40).
  const bool rgb = !request.body().empty() && (request.body().size() & 1);
  (void)driftwatch::server::decode_predict_body(request.body(), 4'000'000, config(rgb), input);
  return 0;
}
