#include "server/preprocess.h"

#include <algorithm>
#include <cmath>

namespace driftwatch::server {
namespace {

// Per output index: the first input index and the normalized weights.
struct Taps {
  std::vector<int> first;
  std::vector<int> count;
  std::vector<float> weights;  // out_size x max_count
  int max_count = 0;
};

Taps make_taps(int in_size, int out_size) {
  Taps t;
  const double scale = static_cast<double>(in_size) / out_size;
  const double filter_scale = std::max(scale, 1.0);
  const double support = 1.0 * filter_scale;  // bilinear: support 1
  t.max_count = static_cast<int>(std::ceil(support)) * 2 + 1;
  t.first.resize(out_size);
  t.count.resize(out_size);
  t.weights.assign(static_cast<std::size_t>(out_size) * t.max_count, 0.0f);
  for (int i = 0; i < out_size; ++i) {
    const double center = (i + 0.5) * scale;
    int lo = static_cast<int>(center - support + 0.5);
    int hi = static_cast<int>(center + support + 0.5);
    lo = std::max(lo, 0);
    hi = std::min(hi, in_size);
    const int n = std::min(hi - lo, t.max_count);
    double sum = 0;
    double w[64];
    std::vector<double> big;
    double* ws = w;
    if (n > 64) {
      big.resize(n);
      ws = big.data();
    }
    for (int j = 0; j < n; ++j) {
      const double x = (j + lo - center + 0.5) / filter_scale;
      const double v = std::max(0.0, 1.0 - std::abs(x));
      ws[j] = v;
      sum += v;
    }
    t.first[i] = lo;
    t.count[i] = n;
    for (int j = 0; j < n; ++j)
      t.weights[static_cast<std::size_t>(i) * t.max_count + j] =
          static_cast<float>(sum > 0 ? ws[j] / sum : 0.0);
  }
  return t;
}

// Round half to even and clamp to 0..255, as std::nearbyint in the default
// rounding mode, without a libm call per sample: adding and subtracting
// 1.5 * 2^23 leaves the nearest integer for |v| < 2^22 (values are clamped
// first). Bit-identical to the nearbyint it replaces, and vectorizable; IEEE
// arithmetic (no -ffast-math) keeps the compiler from folding the pair.
inline std::uint8_t clip8(float v) {
  constexpr float kMagic = 12582912.0f;
  const float c = v < 0.0f ? 0.0f : (v > 255.0f ? 255.0f : v);
  return static_cast<std::uint8_t>((c + kMagic) - kMagic);
}

Image resample_horizontal(const Image& in, int out_w) {
  Image out;
  out.width = out_w;
  out.height = in.height;
  out.channels = in.channels;
  out.pixels.resize(static_cast<std::size_t>(out_w) * in.height * in.channels);
  const Taps t = make_taps(in.width, out_w);
  const int c = in.channels;
  for (int y = 0; y < in.height; ++y) {
    const std::uint8_t* row = in.pixels.data() + static_cast<std::size_t>(y) * in.width * c;
    std::uint8_t* dst = out.pixels.data() + static_cast<std::size_t>(y) * out_w * c;
    for (int x = 0; x < out_w; ++x) {
      const float* w = t.weights.data() + static_cast<std::size_t>(x) * t.max_count;
      const std::uint8_t* src = row + static_cast<std::size_t>(t.first[x]) * c;
      const int n = t.count[x];
      if (c == 3) {
        // The three channels in one pass over the taps; each sum still adds
        // its taps in order, so the result is the same as channel by channel.
        float a0 = 0, a1 = 0, a2 = 0;
        for (int k = 0; k < n; ++k, src += 3) {
          a0 += w[k] * src[0];
          a1 += w[k] * src[1];
          a2 += w[k] * src[2];
        }
        dst[x * 3] = clip8(a0);
        dst[x * 3 + 1] = clip8(a1);
        dst[x * 3 + 2] = clip8(a2);
        continue;
      }
      for (int ch = 0; ch < c; ++ch) {
        float acc = 0;
        for (int k = 0; k < n; ++k) acc += w[k] * src[k * c + ch];
        dst[x * c + ch] = clip8(acc);
      }
    }
  }
  return out;
}

Image resample_vertical(const Image& in, int out_h) {
  Image out;
  out.width = in.width;
  out.height = out_h;
  out.channels = in.channels;
  const std::size_t stride = static_cast<std::size_t>(in.width) * in.channels;
  out.pixels.resize(stride * out_h);
  const Taps t = make_taps(in.height, out_h);
  std::vector<float> acc(stride);
  for (int y = 0; y < out_h; ++y) {
    std::fill(acc.begin(), acc.end(), 0.0f);
    const float* w = t.weights.data() + static_cast<std::size_t>(y) * t.max_count;
    for (int k = 0; k < t.count[y]; ++k) {
      const std::uint8_t* src = in.pixels.data() + (t.first[y] + k) * stride;
      const float wk = w[k];
      float* a = acc.data();
      for (std::size_t i = 0; i < stride; ++i) a[i] += wk * src[i];
    }
    std::uint8_t* dst = out.pixels.data() + y * stride;
    for (std::size_t i = 0; i < stride; ++i) dst[i] = clip8(acc[i]);
  }
  return out;
}

}  // namespace

Image convert_channels(const Image& in, int channels) {
  if (in.channels == channels) return in;
  Image out;
  out.width = in.width;
  out.height = in.height;
  out.channels = channels;
  const std::size_t n = static_cast<std::size_t>(in.width) * in.height;
  out.pixels.resize(n * channels);
  if (in.channels == 3 && channels == 1) {
    const std::uint8_t* s = in.pixels.data();
    for (std::size_t i = 0; i < n; ++i, s += 3) {
      // ITU-R 601-2 luma in 16-bit fixed point, rounded, as PIL's convert("L").
      out.pixels[i] =
          static_cast<std::uint8_t>((s[0] * 19595u + s[1] * 38470u + s[2] * 7471u + 0x8000u) >> 16);
    }
  } else if (in.channels == 1 && channels == 3) {
    for (std::size_t i = 0; i < n; ++i) {
      out.pixels[3 * i] = out.pixels[3 * i + 1] = out.pixels[3 * i + 2] = in.pixels[i];
    }
  }
  return out;
}

Image resize_bilinear(const Image& in, int width, int height) {
  if (in.width == width && in.height == height) return in;
  // Horizontal pass first, then vertical, as PIL does.
  if (in.width != width) {
    Image h = resample_horizontal(in, width);
    return in.height != height ? resample_vertical(h, height) : h;
  }
  return resample_vertical(in, height);
}

void resized_size(int width, int height, int shorter, int& out_width, int& out_height) {
  if (width <= height) {
    out_width = shorter;
    out_height = static_cast<int>(static_cast<double>(shorter) * height / width);
  } else {
    out_height = shorter;
    out_width = static_cast<int>(static_cast<double>(shorter) * width / height);
  }
}

DecodeOptions dct_scaling_for(const ModelConfig& c) {
  DecodeOptions o;
  o.min_width = c.resize_shorter > 0 ? c.resize_shorter : c.resize_width;
  o.min_height = c.resize_shorter > 0 ? c.resize_shorter : c.resize_height;
  return o;
}

void preprocess(const Image& image, const ModelConfig& c, std::vector<float>& out) {
  // Work on the caller's pixels unless a conversion or resize makes new ones
  // (a decoded photo can be tens of MB; copying it is not free).
  Image converted;
  const Image* img = &image;
  if (image.channels != c.channels) {
    converted = convert_channels(image, c.channels);
    img = &converted;
  }
  int rw = 0, rh = 0;
  if (c.resize_shorter > 0) {
    // torchvision leaves the image alone when the shorter side already fits.
    if (std::min(img->width, img->height) == c.resize_shorter) {
      rw = img->width;
      rh = img->height;
    } else {
      resized_size(img->width, img->height, c.resize_shorter, rw, rh);
    }
  } else {
    rw = c.resize_width;
    rh = c.resize_height;
  }
  Image resized;
  if (rw != img->width || rh != img->height) {
    resized = resize_bilinear(*img, rw, rh);
    img = &resized;
  }

  // CenterCrop: Python's round() (half to even) of the margin, as torchvision.
  const int top = static_cast<int>(std::nearbyint((img->height - c.crop_height) / 2.0));
  const int left = static_cast<int>(std::nearbyint((img->width - c.crop_width) / 2.0));
  const int ch = c.channels;
  out.resize(input_size(c));
  for (int k = 0; k < ch; ++k) {
    // ToTensor + Normalize of each of the 256 values, computed once with the
    // same float expression: a table lookup per pixel instead of two divisions.
    float lut[256];
    for (int v = 0; v < 256; ++v) lut[v] = (static_cast<float>(v) / 255.0f - c.mean[k]) / c.std[k];
    const float zero = (0.0f / 255.0f - c.mean[k]) / c.std[k];
    float* plane = out.data() + static_cast<std::size_t>(k) * c.height * c.width;
    for (int y = 0; y < c.height; ++y) {
      const int sy = y + top;
      float* dst = plane + static_cast<std::size_t>(y) * c.width;
      if (sy < 0 || sy >= img->height) {
        std::fill(dst, dst + c.width, zero);  // zero padding (not reachable after resize)
        continue;
      }
      const std::uint8_t* src = img->pixels.data() + static_cast<std::size_t>(sy) * img->width * ch;
      for (int x = 0; x < c.width; ++x) {
        const int sx = x + left;
        dst[x] = (sx >= 0 && sx < img->width) ? lut[src[sx * ch + k]] : zero;
      }
    }
  }
}

}  // namespace driftwatch::server
