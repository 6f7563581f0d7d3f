#include "shared/common/npy.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/random_data.h"
#include "tests/support/temp_dir.h"

namespace driftwatch::common {
namespace {

using dwtest::normal_matrix;

std::string temp_path(const std::string& name) { return dwtest::temp_path(name, "dw_npy"); }

std::string header_bytes(unsigned major, const std::string& dict) {
  std::string out("\x93NUMPY", 6);
  out.push_back(static_cast<char>(major));
  out.push_back('\0');
  const std::size_t len = dict.size();
  const std::size_t width = major == 1 ? 2 : 4;
  for (std::size_t i = 0; i < width; ++i) out.push_back(static_cast<char>((len >> (8 * i)) & 0xff));
  return out + dict;
}

std::string float_payload(const std::vector<float>& v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float));
}

std::string error_of(const std::string& bytes) {
  try {
    parse_npy(bytes, "sample.npy");
  } catch (const NpyError& e) {
    return e.what();
  }
  return "";
}

TEST(Npy, RoundTripsFloat32MatrixThroughAFile) {
  const std::vector<float> values = normal_matrix(7, 3, 1);
  const std::string path = temp_path("f32.npy");
  write_npy(path, NpyArray::from_float32({7, 3}, values));
  const NpyArray back = read_npy(path);
  EXPECT_EQ(back.dtype, NpyDtype::kFloat32);
  EXPECT_EQ(back.shape, (std::vector<std::size_t>{7, 3}));
  EXPECT_EQ(back.to_float32(), values);
  const Matrix m = read_npy_matrix(path);
  EXPECT_EQ(m.rows, 7u);
  EXPECT_EQ(m.cols, 3u);
  EXPECT_EQ(m.values, values);
  std::remove(path.c_str());
}

TEST(Npy, RoundTripsFloat64AndInt64Vectors) {
  const std::vector<double> d = {0.1, -2.5e300, 3.0};
  const std::vector<std::int64_t> i = {0, -1, 1LL << 62};
  EXPECT_EQ(parse_npy(serialize_npy(NpyArray::from_float64({3}, d)), "d").to_float64(), d);
  const NpyArray ia = parse_npy(serialize_npy(NpyArray::from_int64({3}, i)), "i");
  EXPECT_EQ(ia.dtype, NpyDtype::kInt64);
  EXPECT_EQ(ia.shape, (std::vector<std::size_t>{3}));
  EXPECT_EQ(ia.to_int64(), i);
}

TEST(Npy, WritesVersion1HeaderAlignedTo64Bytes) {
  const std::string bytes = serialize_npy(NpyArray::from_float32({2, 2}, {1, 2, 3, 4}));
  EXPECT_EQ(bytes[6], 1);
  const std::size_t header_len =
      static_cast<unsigned char>(bytes[8]) |
      (static_cast<std::size_t>(static_cast<unsigned char>(bytes[9])) << 8);
  EXPECT_EQ((10 + header_len) % 64, 0u);
  EXPECT_EQ(bytes.size(), 10 + header_len + 16);
  EXPECT_NE(bytes.find("'shape': (2, 2)"), std::string::npos);
}

TEST(Npy, ReadsVersion2And3Headers) {
  const std::vector<float> v = {1.5f, -2.0f};
  for (unsigned major : {2u, 3u}) {
    const std::string bytes =
        header_bytes(major, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }\n") +
        float_payload(v);
    const NpyArray a = parse_npy(bytes, "v");
    EXPECT_EQ(a.shape, (std::vector<std::size_t>{2}));
    EXPECT_EQ(a.to_float32(), v);
  }
}

TEST(Npy, ReadsTheRecordedReferenceFile) {
  const Matrix m = read_npy_matrix(std::string(DW_ALIBI_VECTORS_DIR) + "/seed0/x_ref.npy");
  EXPECT_EQ(m.rows, 200u);
  EXPECT_EQ(m.cols, 16u);
}

TEST(Npy, RejectsBadMagic) {
  EXPECT_NE(error_of("\x93NUMPZ\x01\x00\x10\x00").find("bad magic"), std::string::npos);
  EXPECT_NE(error_of("").find("sample.npy"), std::string::npos);
}

TEST(Npy, RejectsUnsupportedDtypes) {
  for (const char* descr : {"<i4", ">f4", "|u1", "<f2"}) {
    const std::string bytes = header_bytes(1, std::string("{'descr': '") + descr +
                                                  "', 'fortran_order': False, 'shape': (1,), }\n") +
                              std::string(8, '\0');
    const std::string error = error_of(bytes);
    EXPECT_NE(error.find("unsupported dtype"), std::string::npos) << descr;
    EXPECT_NE(error.find(descr), std::string::npos) << descr;
  }
}

TEST(Npy, RejectsFortranOrder) {
  const std::string bytes =
      header_bytes(1, "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 1), }\n") +
      float_payload({1, 2});
  EXPECT_NE(error_of(bytes).find("Fortran"), std::string::npos);
}

TEST(Npy, RejectsTruncatedDataAndHeader) {
  const std::string full = serialize_npy(NpyArray::from_float32({4}, {1, 2, 3, 4}));
  EXPECT_NE(error_of(full.substr(0, full.size() - 1)).find("truncated npy data"),
            std::string::npos);
  EXPECT_NE(error_of(full.substr(0, 20)).find("truncated npy header"), std::string::npos);
  EXPECT_NE(error_of(full + "x").find("after the data"), std::string::npos);
}

TEST(Npy, RejectsMalformedHeaders) {
  EXPECT_NE(error_of(header_bytes(1, "{'descr': '<f4', 'shape': (1,), }\n")).find("fortran_order"),
            std::string::npos);
  EXPECT_NE(error_of(header_bytes(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (x,), }"))
                .find("bad shape"),
            std::string::npos);
  EXPECT_NE(error_of(header_bytes(4, "{}")).find("version"), std::string::npos);
}

TEST(Npy, MatrixReaderRejectsOtherRanksAndIntegers) {
  const std::string path = temp_path("rank3.npy");
  write_npy(path, NpyArray::from_float32({1, 1, 2}, {1, 2}));
  EXPECT_THROW(read_npy_matrix(path), NpyError);
  write_npy(path, NpyArray::from_int64({1, 2}, {1, 2}));
  EXPECT_THROW(read_npy_matrix(path), NpyError);
  std::remove(path.c_str());
  EXPECT_THROW(read_npy_matrix(path), NpyError);  // missing file
}

TEST(Npy, IndexArraysAreNeverReadFromFloats) {
  EXPECT_THROW(NpyArray::from_float32({1}, {1.0f}).to_int64(), NpyError);
}

TEST(Npy, HeaderIsVersion1AndAlignsTheDataTo64Bytes) {
  for (std::size_t rows : {0u, 1u, 7u, 123456u}) {
    const std::string bytes = serialize_npy(NpyArray::from_float32({rows, 0}, {}));
    ASSERT_EQ(bytes.size() % 64, 0u) << "rows " << rows;
    EXPECT_EQ(bytes.compare(0, 8, std::string("\x93NUMPY\x01\x00", 8)), 0);
    const std::size_t len =
        static_cast<unsigned char>(bytes[8]) | (static_cast<unsigned char>(bytes[9]) << 8);
    EXPECT_EQ(len + 10, bytes.size());
    EXPECT_EQ(bytes.back(), '\n');
    EXPECT_NE(bytes.find("'shape': (" + std::to_string(rows) + ", 0)"), std::string::npos);
  }
}

TEST(Npy, NumpyReadsWhatWeWrite) {
  if (std::system("/usr/bin/python3 -c 'import numpy' 2>/dev/null") != 0) {
    GTEST_SKIP() << "no numpy";
  }
  const std::string path = temp_path("numpy.npy");
  std::vector<float> data(12);
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = 0.5f * static_cast<float>(i) - 1.0f;
  write_npy(path, NpyArray::from_float32({3, 4}, data));
  const std::string cmd = "/usr/bin/python3 -c \"import numpy as np; a=np.load('" + path +
                          "'); assert a.dtype==np.float32 and a.shape==(3,4) and a[2,3]==4.5, a\"";
  EXPECT_EQ(std::system(cmd.c_str()), 0);
  std::remove(path.c_str());
}

TEST(Npy, FailedWriteLeavesNoFileBehind) {
  const std::string dir = temp_path("no_such_dir");
  EXPECT_THROW(write_npy(dir + "/x.npy", NpyArray::from_float32({1, 1}, {1.0f})), NpyError);
  EXPECT_FALSE(std::filesystem::exists(dir + "/x.npy.tmp"));
  EXPECT_FALSE(std::filesystem::exists(dir + "/x.npy"));
}

}  // namespace
}  // namespace driftwatch::common
