// The untrusted part of POST /predict, everything before the model: the JSON
// body, its base64 "image", the JPEG/PNG decode under the pixel limit and the
// preprocessing into the model's input layout. No LibTorch, no sockets: the
// route and the libFuzzer target (tests/fuzz) run exactly this code.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "server/image.h"
#include "server/model_config.h"

namespace driftwatch::server {

// Why a body was refused: the HTTP status, a stable error code for the JSON
// answer ("invalid_json", "undecodable_image", ...) and a readable detail.
struct PredictRequestError {
  unsigned status = 422;
  std::string code;
  std::string detail;
};

// Fills `input` with config's [C, H, W] float tensor, or returns why not.
// `decode` may ask for a DCT-scaled JPEG decode (--jpeg-dct-scaling).
// Thread-safe: scratch buffers are per thread.
std::optional<PredictRequestError> decode_predict_body(std::string_view body,
                                                       std::uint64_t max_pixels,
                                                       const ModelConfig& config,
                                                       std::vector<float>& input,
                                                       const DecodeOptions& decode = {});

}  // namespace driftwatch::server
