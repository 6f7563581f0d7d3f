#include "server/model_config.h"

#include <gtest/gtest.h>

#include <fstream>

using namespace driftwatch::server;

TEST(ModelConfig, ParsesTheDemoConfig) {
  const ModelConfig c = load_model_config(DW_SOURCE_DIR "/configs/models/fashion-mnist.json");
  EXPECT_EQ(c.name, "fashion-cnn");
  EXPECT_EQ(c.version, "1");
  EXPECT_EQ(c.channels, 1);
  EXPECT_EQ(c.height, 28);
  EXPECT_EQ(c.width, 28);
  EXPECT_EQ(c.resize_shorter, 28);
  EXPECT_EQ(c.crop_height, 28);
  ASSERT_EQ(c.mean.size(), 1u);
  EXPECT_FLOAT_EQ(c.mean[0], 0.2860f);
  EXPECT_FLOAT_EQ(c.std[0], 0.3530f);
  ASSERT_EQ(c.class_names.size(), 10u);
  EXPECT_EQ(c.class_names[0], "T-shirt/top");
  EXPECT_EQ(c.class_names[9], "Ankle boot");
}

TEST(ModelConfig, ParsesAnRgbConfigWithAnExactResize) {
  const ModelConfig c = load_model_config(DW_SOURCE_DIR "/configs/models/food-11.json");
  EXPECT_EQ(c.channels, 3);
  EXPECT_EQ(c.resize_shorter, 0);
  EXPECT_EQ(c.resize_height, 224);
  EXPECT_EQ(c.resize_width, 224);
  EXPECT_EQ(c.mean.size(), 3u);
  EXPECT_EQ(c.class_names.size(), 11u);
}

TEST(ModelConfig, NamesTheFieldThatIsWrong) {
  const std::string base_input = R"("input":{"channels":1,"height":28,"width":28})";
  auto error_of = [](const std::string& json) {
    try {
      parse_model_config(json);
    } catch (const ModelConfigError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(error_of("not json").find("not valid JSON"), std::string::npos);
  EXPECT_NE(error_of("[]").find("object"), std::string::npos);
  EXPECT_NE(error_of(R"({"input":{}})").find("'name'"), std::string::npos);
  EXPECT_NE(error_of(R"({"name":"x"})").find("'input'"), std::string::npos);
  EXPECT_NE(
      error_of(R"({"name":"x","input":{"channels":2,"height":28,"width":28}})").find("channels"),
      std::string::npos);
  EXPECT_NE(error_of(R"({"name":"x",)" + base_input + R"(,"mean":[0.1]})").find("'std'"),
            std::string::npos);
  EXPECT_NE(
      error_of(R"({"name":"x",)" + base_input + R"(,"mean":[0.1],"std":[0]})").find("positive"),
      std::string::npos);
  EXPECT_NE(
      error_of(R"({"name":"x",)" + base_input + R"(,"mean":[0.1],"std":[1]})").find("class_names"),
      std::string::npos);
  EXPECT_NE(error_of(R"({"name":"x",)" + base_input +
                     R"(,"mean":[0.1,0.2],"std":[1],"class_names":["a"]})")
                .find("per channel"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"name":"x",)" + base_input +
                     R"(,"center_crop":24,"mean":0,"std":1,"class_names":["a"]})")
                .find("center_crop"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"name":"x",)" + base_input +
                     R"(,"resize":20,"mean":0,"std":1,"class_names":["a"]})")
                .find("resize"),
            std::string::npos);
  EXPECT_EQ(error_of(R"({"name":"x",)" + base_input +
                     R"(,"mean":0,"std":1,"class_names":["a"],"extra":1})"),
            "no error");
}

// Found by fuzz_model_config: a float integer outside int64's range was cast
// (undefined behaviour; UBSan stops there). Now it is a clear error.
TEST(ModelConfig, AHugeFloatDimensionIsOutOfRangeNotUndefined) {
  for (const char* size : {"-352e28", "1e300", "9.3e18"}) {
    try {
      parse_model_config(
          std::string(R"({"name":"x","input":{"channels":1,"height":8,"width":2},)") +
          R"("resize":)" + size + R"(,"mean":0,"std":1,"class_names":["a"]})");
      ADD_FAILURE() << size << " accepted";
    } catch (const ModelConfigError& e) {
      EXPECT_NE(std::string(e.what()).find("'resize' is out of range"), std::string::npos)
          << e.what();
    }
  }
}

TEST(ModelConfig, DefaultPathSwapsTheExtension) {
  EXPECT_EQ(default_config_path("models/fashion_cnn.pt"), "models/fashion_cnn.json");
  EXPECT_EQ(default_config_path("a.b/model"), "a.b/model.json");
  EXPECT_THROW(load_model_config("/nonexistent/x.json"), ModelConfigError);
}
