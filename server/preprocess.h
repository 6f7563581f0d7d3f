// Image -> model input tensor, as torchvision does it on a PIL image:
// convert channels (RGB -> gray with ITU-R 601 luma, gray -> RGB by copying),
// Resize (bilinear, antialiased like PIL when shrinking), CenterCrop,
// ToTensor (x / 255) and Normalize ((x - mean) / std).
#pragma once

#include <cstdint>
#include <vector>

#include "server/image.h"
#include "server/model_config.h"

namespace driftwatch::server {

// Converts to 1 or 3 channels. Gray from RGB rounds like PIL's convert("L").
Image convert_channels(const Image& in, int channels);

// Bilinear resample to width x height (PIL's BILINEAR: a triangle filter
// widened by the scale factor when shrinking; 8-bit rounding after each pass).
Image resize_bilinear(const Image& in, int width, int height);

// The size torchvision's Resize(int) gives: the shorter side becomes `shorter`.
void resized_size(int width, int height, int shorter, int& out_width, int& out_height);

// Writes channels x height x width floats (CHW) to `out` (resized to fit).
void preprocess(const Image& image, const ModelConfig& config, std::vector<float>& out);

// The DCT-scaled JPEG decode that still leaves the resize at least its
// target size (--jpeg-dct-scaling): both sides >= the resize size.
DecodeOptions dct_scaling_for(const ModelConfig& config);

// Number of floats one preprocessed image has.
inline std::size_t input_size(const ModelConfig& c) {
  return static_cast<std::size_t>(c.channels) * c.height * c.width;
}

}  // namespace driftwatch::server
