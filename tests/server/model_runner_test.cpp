#include "server/model_runner.h"

#include <gtest/gtest.h>

#include "server/preprocess.h"
#include "tests/server/support/expect_close.h"
#include "tests/server/support/test_images.h"
#include "tests/server/support/test_models.h"
#include "tests/support/random_data.h"

using namespace driftwatch::server;

namespace {

struct Fixture {
  dwtest::TempDir tmp{"runner"};
  std::string dir = tmp.path();
  std::string pt = dir + "/m.pt";
  std::string json = dir + "/m.json";
};

// One 1x28x28 input.
std::vector<float> random_input(std::uint32_t seed) { return dwtest::normal_matrix(1, 784, seed); }

}  // namespace

// Serves `kind` optimized and plain, checks both against the model run
// directly, and returns the form the runner chose.
// `trapped` names a method that must throw when called (checked first).
EmbeddingSource serve_and_compare(dwtest::ModelKind kind, std::uint32_t seed,
                                  const char* trapped = nullptr) {
  Fixture f;
  dwtest::write_test_model(f.pt, f.json, kind);
  const auto x = random_input(seed);
  if (trapped) {
    EXPECT_TRUE(dwtest::method_throws(f.pt, trapped, x, 1, 28, 28)) << trapped;
  }
  const auto direct = dwtest::run_direct(f.pt, x, 1, 28, 28);
  EmbeddingSource source{};
  for (bool optimize : {true, false}) {
    SCOPED_TRACE(optimize ? "optimized" : "plain");
    ModelRunner m({f.pt, load_model_config(f.json), 1, optimize, 3});
    EXPECT_EQ(m.optimized(), optimize) << m.optimization_note();
    EXPECT_EQ(m.embedding_dim(), 16u);
    EXPECT_EQ(m.num_classes(), 10u);
    EXPECT_GT(m.call_ms(), 0.0);
    const ModelOutput out = m.run_one(x.data());
    dwtest::expect_close(out.probabilities, direct.probabilities, 1e-5f);
    dwtest::expect_close(out.embedding, direct.embedding, 1e-5f);
    source = m.embedding_source();
  }
  return source;
}

TEST(ModelRunner, UsesEmbedAndHeadInOnePass) {
  EXPECT_EQ(serve_and_compare(dwtest::ModelKind::kEmbedHead, 1), EmbeddingSource::kEmbedHead);
}

// forward() of this model raises: loading, warming up and serving it at all
// proves the backbone runs once per request (embed, then head on its output).
TEST(ModelRunner, EmbedAndHeadNeverCallForward) {
  EXPECT_EQ(serve_and_compare(dwtest::ModelKind::kEmbedHeadTrap, 4, "forward"),
            EmbeddingSource::kEmbedHead);
}

TEST(ModelRunner, UsesTheForwardTupleWithoutEmbed) {
  EXPECT_EQ(serve_and_compare(dwtest::ModelKind::kTuple, 2), EmbeddingSource::kForwardTuple);
}

// This model also has an embed() that raises: the tuple wins and embed is
// never called, so forward is the only backbone pass.
TEST(ModelRunner, TheForwardTupleWinsOverEmbedAndEmbedIsNeverCalled) {
  EXPECT_EQ(serve_and_compare(dwtest::ModelKind::kTupleTrap, 5, "embed"),
            EmbeddingSource::kForwardTuple);
  EXPECT_EQ(backbone_passes(EmbeddingSource::kForwardTuple), 1);
  EXPECT_EQ(backbone_passes(EmbeddingSource::kEmbedHead), 1);
}

TEST(ModelRunner, EmbedPlusForwardIsTwoPassesWithTheSecondOneTimed) {
  Fixture f;
  dwtest::write_test_model(f.pt, f.json, dwtest::ModelKind::kEmbedForward);
  ModelRunner m({f.pt, load_model_config(f.json), 1, true, 3});
  EXPECT_EQ(m.embedding_source(), EmbeddingSource::kEmbedForward);
  EXPECT_EQ(backbone_passes(m.embedding_source()), 2);
  EXPECT_GT(m.extra_pass_ms(), 0.0);
  const auto x = random_input(6);
  const auto direct = dwtest::run_direct(f.pt, x, 1, 28, 28);
  const ModelOutput out = m.run_one(x.data());
  dwtest::expect_close(out.probabilities, direct.probabilities, 1e-5f);
  dwtest::expect_close(out.embedding, direct.embedding, 1e-5f);
}

TEST(ModelRunner, FallsBackToTheSoftmaxVector) {
  Fixture f;
  dwtest::write_test_model(f.pt, f.json, dwtest::ModelKind::kLogitsOnly);
  ModelRunner m({f.pt, load_model_config(f.json), 1, true, 3});
  EXPECT_EQ(m.embedding_source(), EmbeddingSource::kSoftmax);
  EXPECT_EQ(m.extra_pass_ms(), 0.0);
  EXPECT_EQ(m.embedding_dim(), 10u);
  const auto x = random_input(3);
  const ModelOutput out = m.run_one(x.data());
  dwtest::expect_close(out.embedding, out.probabilities, 0);
  float sum = 0;
  for (float p : out.probabilities) sum += p;
  EXPECT_NEAR(sum, 1.0f, 1e-5);
}

TEST(ModelRunner, PlainAndOptimizedModulesAgreeAndBatchesMatchSingles) {
  Fixture f;
  dwtest::write_test_model(f.pt, f.json, dwtest::ModelKind::kEmbedHead, dwtest::ModelSize::kDemo);
  ModelRunner fast({f.pt, load_model_config(f.json), 1, true, 2});
  ModelRunner plain({f.pt, load_model_config(f.json), 1, false, 2});
  EXPECT_TRUE(fast.optimized());
  EXPECT_FALSE(plain.optimized());
  EXPECT_EQ(fast.embedding_dim(), 64u);
  std::vector<float> batch;
  for (std::uint32_t s = 0; s < 4; ++s) {
    const auto x = random_input(10 + s);
    batch.insert(batch.end(), x.begin(), x.end());
  }
  std::vector<ModelOutput> outs;
  fast.run(batch.data(), 4, outs);
  ASSERT_EQ(outs.size(), 4u);
  for (std::size_t i = 0; i < 4; ++i) {
    const ModelOutput single = plain.run_one(batch.data() + i * 784);
    dwtest::expect_close(outs[i].probabilities, single.probabilities, 1e-5f);
    dwtest::expect_close(outs[i].embedding, single.embedding, 1e-4f);
  }
}

TEST(ModelRunner, RefusesAClassCountTheConfigDoesNotName) {
  Fixture f;
  dwtest::write_test_model(f.pt, f.json, dwtest::ModelKind::kEmbedHead);
  ModelConfig c = load_model_config(f.json);
  c.class_names.pop_back();
  try {
    ModelRunner m({f.pt, c, 1, true, 1});
    FAIL() << "loaded";
  } catch (const ModelLoadError& e) {
    EXPECT_NE(std::string(e.what()).find("10 outputs"), std::string::npos) << e.what();
  }
}

TEST(ModelRunner, RefusesAMissingOrBrokenFile) {
  Fixture f;
  dwtest::write_test_model(f.pt, f.json, dwtest::ModelKind::kEmbedHead);
  const ModelConfig c = load_model_config(f.json);
  EXPECT_THROW(ModelRunner({f.dir + "/missing.pt", c, 1, true, 1}), ModelLoadError);
  dwtest::write_file(f.dir + "/junk.pt", "not a zip archive");
  EXPECT_THROW(ModelRunner({f.dir + "/junk.pt", c, 1, true, 1}), ModelLoadError);
  // The wrong input size for the model: a clear load error, not a crash later.
  ModelConfig wrong = c;
  wrong.height = wrong.width = wrong.crop_height = wrong.crop_width = 20;
  wrong.resize_shorter = 20;
  EXPECT_THROW(ModelRunner({f.pt, wrong, 1, true, 1}), ModelLoadError);
}
