#include "tools/train_model/model_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace driftwatch::train_model {
namespace {

using ::testing::HasSubstr;

TEST(ComputeNormalization, MeanAndStdOfPixelsScaledToUnitRange) {
  IdxImages images;
  images.count = 1;
  images.rows = 2;
  images.cols = 2;
  images.pixels = {0, 0, 255, 255};
  const Normalization n = compute_normalization(images);
  EXPECT_FLOAT_EQ(n.mean, 0.5f);
  EXPECT_FLOAT_EQ(n.std, 0.5f);
}

TEST(ModelConfigJson, HasTheAgreedFieldsAndClassOrder) {
  const std::string json = model_config_json("1", {0.286040604f, 0.353024244f});
  EXPECT_THAT(json, HasSubstr("\"name\": \"fashion-cnn\""));
  EXPECT_THAT(json, HasSubstr("\"version\": \"1\""));
  EXPECT_THAT(json, HasSubstr("\"input\": {\"channels\": 1, \"height\": 28, \"width\": 28}"));
  EXPECT_THAT(json, HasSubstr("\"resize\": 28"));
  EXPECT_THAT(json, HasSubstr("\"center_crop\": 28"));
  EXPECT_THAT(json, HasSubstr("\"mean\": [0.286040604]"));
  EXPECT_THAT(json, HasSubstr("\"std\": [0.353024244]"));
  EXPECT_THAT(json, HasSubstr("\"class_names\": [\"T-shirt/top\", \"Trouser\", \"Pullover\", "
                              "\"Dress\", \"Coat\", \"Sandal\", \"Shirt\", \"Sneaker\", \"Bag\", "
                              "\"Ankle boot\"]"));
}

TEST(ModelConfigJson, FloatsRoundTripExactly) {
  const float mean = 0.1f / 3.0f;
  const std::string json = model_config_json("1", {mean, 1.0f});
  const auto at = json.find("\"mean\": [") + 9;
  EXPECT_EQ(std::stof(json.substr(at)), mean);
}

}  // namespace
}  // namespace driftwatch::train_model
