// A synthetic but photo-like image for the decode benchmarks: smooth colour
// fields (a few sinusoids per channel) and a little grain, so JPEG entropy and
// decode cost are in the range of real photographs, not of noise.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>

#include "server/image.h"

namespace dwbench {

inline driftwatch::server::Image photo_like(int w, int h, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  std::normal_distribution<float> grain(0.0f, 3.0f);
  float fx[3][3], fy[3][3], ph[3][3];
  for (auto* a : {fx, fy, ph})
    for (int c = 0; c < 3; ++c)
      for (int k = 0; k < 3; ++k) a[c][k] = u(rng);
  driftwatch::server::Image img;
  img.width = w;
  img.height = h;
  img.channels = 3;
  img.pixels.resize(static_cast<std::size_t>(w) * h * 3);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int c = 0; c < 3; ++c) {
        float v = 128;
        for (int k = 0; k < 3; ++k)
          v += 40 * std::sin(6.283f *
                             (fx[c][k] * (k + 1) * x / w + fy[c][k] * (k + 1) * y / h + ph[c][k]));
        v += grain(rng);
        img.pixels[(static_cast<std::size_t>(y) * w + x) * 3 + c] =
            static_cast<std::uint8_t>(std::clamp(v, 0.0f, 255.0f));
      }
  return img;
}

}  // namespace dwbench
