#include "server/model_config.h"

#include <simdjson.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>

namespace driftwatch::server {
namespace {

[[noreturn]] void fail(const std::string& what) { throw ModelConfigError("model config: " + what); }

std::int64_t get_int(simdjson::dom::element e, const char* field) {
  std::int64_t v = 0;
  if (e.get_int64().get(v) != simdjson::SUCCESS) {
    // Also accept 28.0, as some JSON writers print integers as floats.
    double d = 0;
    if (e.get_double().get(d) != simdjson::SUCCESS || d != std::floor(d))
      fail(std::string("'") + field + "' must be an integer");
    // Converting a double outside int64's range is undefined (found by
    // fuzz_model_config: "resize": -352e28); no dimension is near it anyway.
    if (!(d > -1e18 && d < 1e18)) fail(std::string("'") + field + "' is out of range");
    v = static_cast<std::int64_t>(d);
  }
  return v;
}

int get_dim(simdjson::dom::element e, const char* field) {
  const std::int64_t v = get_int(e, field);
  if (v <= 0 || v > 65536) fail(std::string("'") + field + "' must be in 1..65536");
  return static_cast<int>(v);
}

// An int N or a pair [h, w].
void get_size(simdjson::dom::element e, const char* field, int& h, int& w, bool& is_pair) {
  simdjson::dom::array arr;
  if (e.get_array().get(arr) == simdjson::SUCCESS) {
    if (arr.size() != 2) fail(std::string("'") + field + "' must be an integer or [height, width]");
    h = get_dim(arr.at(0).value(), field);
    w = get_dim(arr.at(1).value(), field);
    is_pair = true;
  } else {
    h = w = get_dim(e, field);
    is_pair = false;
  }
}

std::vector<float> get_floats(simdjson::dom::element e, const char* field) {
  simdjson::dom::array arr;
  std::vector<float> out;
  double d = 0;
  if (e.get_array().get(arr) == simdjson::SUCCESS) {
    for (auto v : arr) {
      if (v.get_double().get(d) != simdjson::SUCCESS)
        fail(std::string("'") + field + "' must hold numbers");
      out.push_back(static_cast<float>(d));
    }
  } else if (e.get_double().get(d) == simdjson::SUCCESS) {
    out.push_back(static_cast<float>(d));
  } else {
    fail(std::string("'") + field + "' must be a number or an array of numbers");
  }
  return out;
}

std::string get_string(simdjson::dom::element e, const char* field) {
  std::string_view s;
  if (e.get_string().get(s) != simdjson::SUCCESS)
    fail(std::string("'") + field + "' must be a string");
  return std::string(s);
}

}  // namespace

ModelConfig parse_model_config(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::padded_string padded(json);
  simdjson::dom::element root;
  if (auto err = parser.parse(padded).get(root); err != simdjson::SUCCESS)
    fail(std::string("not valid JSON: ") + simdjson::error_message(err));
  simdjson::dom::object obj;
  if (root.get_object().get(obj) != simdjson::SUCCESS) fail("top level must be an object");

  ModelConfig c;
  simdjson::dom::element e;
  if (obj["name"].get(e) != simdjson::SUCCESS) fail("'name' is missing");
  c.name = get_string(e, "name");
  if (obj["version"].get(e) == simdjson::SUCCESS) {
    std::int64_t iv = 0;
    // A bare number is accepted and kept as written.
    if (e.get_int64().get(iv) == simdjson::SUCCESS)
      c.version = std::to_string(iv);
    else
      c.version = get_string(e, "version");
  } else {
    c.version = "0";
  }

  simdjson::dom::object input;
  if (obj["input"].get(e) != simdjson::SUCCESS || e.get_object().get(input) != simdjson::SUCCESS)
    fail("'input' {channels, height, width} is missing");
  if (input["channels"].get(e) != simdjson::SUCCESS) fail("'input.channels' is missing");
  c.channels = static_cast<int>(get_int(e, "input.channels"));
  if (c.channels != 1 && c.channels != 3) fail("'input.channels' must be 1 or 3");
  if (input["height"].get(e) != simdjson::SUCCESS) fail("'input.height' is missing");
  c.height = get_dim(e, "input.height");
  if (input["width"].get(e) != simdjson::SUCCESS) fail("'input.width' is missing");
  c.width = get_dim(e, "input.width");

  bool pair = false;
  if (obj["center_crop"].get(e) == simdjson::SUCCESS) {
    get_size(e, "center_crop", c.crop_height, c.crop_width, pair);
  } else {
    c.crop_height = c.height;
    c.crop_width = c.width;
  }
  if (c.crop_height != c.height || c.crop_width != c.width)
    fail("'center_crop' must equal the input height and width");
  if (obj["resize"].get(e) == simdjson::SUCCESS) {
    int h = 0, w = 0;
    get_size(e, "resize", h, w, pair);
    if (pair) {
      c.resize_height = h;
      c.resize_width = w;
      if (h < c.crop_height || w < c.crop_width) fail("'resize' must not be smaller than the crop");
    } else {
      c.resize_shorter = h;
      if (h < std::max(c.crop_height, c.crop_width))
        fail("'resize' must not be smaller than the crop");
    }
  } else {
    c.resize_shorter = std::max(c.crop_height, c.crop_width);
  }

  if (obj["mean"].get(e) != simdjson::SUCCESS) fail("'mean' is missing");
  c.mean = get_floats(e, "mean");
  if (obj["std"].get(e) != simdjson::SUCCESS) fail("'std' is missing");
  c.std = get_floats(e, "std");
  if (c.mean.size() == 1 && c.channels == 3) c.mean.assign(3, c.mean[0]);
  if (c.std.size() == 1 && c.channels == 3) c.std.assign(3, c.std[0]);
  if (c.mean.size() != static_cast<std::size_t>(c.channels) ||
      c.std.size() != static_cast<std::size_t>(c.channels))
    fail("'mean' and 'std' need one value per channel");
  for (float s : c.std)
    if (!(s > 0.0f)) fail("'std' values must be positive");

  simdjson::dom::array names;
  if (obj["class_names"].get(e) != simdjson::SUCCESS ||
      e.get_array().get(names) != simdjson::SUCCESS)
    fail("'class_names' (an array of strings) is missing");
  for (auto n : names) c.class_names.push_back(get_string(n, "class_names"));
  if (c.class_names.empty()) fail("'class_names' is empty");
  return c;
}

ModelConfig load_model_config(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ModelConfigError("model config: cannot open " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  try {
    return parse_model_config(ss.str());
  } catch (const ModelConfigError& e) {
    throw ModelConfigError(std::string(e.what()) + " (" + path + ")");
  }
}

std::string default_config_path(const std::string& model_path) {
  const auto slash = model_path.find_last_of('/');
  const auto dot = model_path.find_last_of('.');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash))
    return model_path + ".json";
  return model_path.substr(0, dot) + ".json";
}

}  // namespace driftwatch::server
