// The model config JSON (docs/model-config.md): what a model expects as input
// and what its outputs mean. Loaded once at start-up.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace driftwatch::server {

struct ModelConfig {
  std::string name;
  std::string version;
  int channels = 1;  // 1 = grayscale (ITU-R 601 luma), 3 = RGB
  int height = 0;
  int width = 0;
  // Resize before the crop. resize_shorter > 0: scale so the shorter side has
  // that length, keeping the aspect ratio (torchvision Resize(int)).
  // Otherwise resize_height x resize_width exactly (Resize([h, w])).
  int resize_shorter = 0;
  int resize_height = 0;
  int resize_width = 0;
  int crop_height = 0;  // center crop; equal to height/width after validation
  int crop_width = 0;
  std::vector<float> mean;  // one per channel, on the [0,1] scale
  std::vector<float> std;
  std::vector<std::string> class_names;
};

class ModelConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Throws ModelConfigError naming the field that is missing or wrong.
ModelConfig parse_model_config(std::string_view json);
ModelConfig load_model_config(const std::string& path);

// "model.pt" -> "model.json": where a config is looked for when none is given.
std::string default_config_path(const std::string& model_path);

}  // namespace driftwatch::server
