#include "tools/train_model/model_config.h"

#include <cmath>
#include <cstdio>
#include <stdexcept>

#include "shared/common/json_string.h"

namespace driftwatch::train_model {
namespace {

std::string format_float(float v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", static_cast<double>(v));
  return buf;
}

}  // namespace

Normalization compute_normalization(const IdxImages& images) {
  if (images.pixels.empty()) throw std::runtime_error("cannot normalise an empty image set");
  // Exact integer sums: no rounding drift over 47M pixels.
  unsigned long long sum = 0, sum_sq = 0;
  for (std::uint8_t p : images.pixels) {
    sum += p;
    sum_sq += static_cast<unsigned long long>(p) * p;
  }
  const double n = static_cast<double>(images.pixels.size());
  const double mean = static_cast<double>(sum) / n / 255.0;
  const double var = static_cast<double>(sum_sq) / n / (255.0 * 255.0) - mean * mean;
  return {static_cast<float>(mean), static_cast<float>(std::sqrt(var))};
}

std::string model_config_json(const std::string& version, const Normalization& norm) {
  std::string names;
  for (std::size_t i = 0; i < kClassNames.size(); ++i) {
    if (i) names += ", ";
    names += common::json_quoted(kClassNames[i]);
  }
  return std::string("{\n") +                                                  //
         "  \"name\": \"" + kModelName + "\",\n" +                             //
         "  \"version\": " + common::json_quoted(version) + ",\n" +            //
         "  \"input\": {\"channels\": 1, \"height\": 28, \"width\": 28},\n" +  //
         "  \"resize\": 28,\n" +                                               //
         "  \"center_crop\": 28,\n" +                                          //
         "  \"mean\": [" + format_float(norm.mean) + "],\n" +                  //
         "  \"std\": [" + format_float(norm.std) + "],\n" +                    //
         "  \"class_names\": [" + names + "]\n" +                              //
         "}\n";
}

}  // namespace driftwatch::train_model
