#include "shared/common/npy.h"

#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <optional>
#include <sstream>

namespace driftwatch::common {
namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr std::size_t kMagicBytes = 6;
// numpy pads the header so the data starts on a 64-byte boundary.
constexpr std::size_t kHeaderAlign = 64;

static_assert(sizeof(float) == 4 && sizeof(double) == 8, "npy needs IEEE float32/float64");

[[noreturn]] void fail(const std::string& origin, const std::string& problem) {
  throw NpyError(origin + ": " + problem);
}

std::uint32_t read_le(const unsigned char* p, std::size_t bytes) {
  std::uint32_t v = 0;
  for (std::size_t i = 0; i < bytes; ++i) v |= static_cast<std::uint32_t>(p[i]) << (8 * i);
  return v;
}

// A parser for the Python dict literal numpy writes, e.g.
// {'descr': '<f4', 'fortran_order': False, 'shape': (200, 16), }
// It accepts exactly the value kinds that appear there: strings, booleans and
// tuples of non-negative integers.
class HeaderParser {
 public:
  HeaderParser(std::string_view text, const std::string& origin) : text_(text), origin_(origin) {}

  void parse() {
    skip_space();
    expect('{');
    while (true) {
      skip_space();
      if (peek() == '}') break;
      const std::string key = parse_string();
      skip_space();
      expect(':');
      skip_space();
      if (key == "descr") {
        descr_ = parse_string();
      } else if (key == "fortran_order") {
        fortran_order_ = parse_bool();
      } else if (key == "shape") {
        shape_ = parse_tuple();
      } else {
        fail(origin_, "unexpected key '" + key + "' in the npy header");
      }
      skip_space();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      skip_space();
      if (peek() != '}') fail(origin_, "malformed npy header: expected ',' or '}'");
    }
    if (!descr_) fail(origin_, "npy header has no 'descr'");
    if (!fortran_order_) fail(origin_, "npy header has no 'fortran_order'");
    if (!shape_) fail(origin_, "npy header has no 'shape'");
  }

  const std::string& descr() const { return *descr_; }
  bool fortran_order() const { return *fortran_order_; }
  const std::vector<std::size_t>& shape() const { return *shape_; }

 private:
  char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }
  void skip_space() {
    while (pos_ < text_.size() &&
           (text_[pos_] == ' ' || text_[pos_] == '\n' || text_[pos_] == '\t'))
      ++pos_;
  }
  void expect(char c) {
    if (peek() != c) fail(origin_, std::string("malformed npy header: expected '") + c + "'");
    ++pos_;
  }
  std::string parse_string() {
    const char quote = peek();
    if (quote != '\'' && quote != '"') fail(origin_, "malformed npy header: expected a string");
    ++pos_;
    const std::size_t end = text_.find(quote, pos_);
    if (end == std::string_view::npos) fail(origin_, "malformed npy header: unterminated string");
    std::string s(text_.substr(pos_, end - pos_));
    pos_ = end + 1;
    return s;
  }
  bool parse_bool() {
    if (text_.substr(pos_, 4) == "True") {
      pos_ += 4;
      return true;
    }
    if (text_.substr(pos_, 5) == "False") {
      pos_ += 5;
      return false;
    }
    fail(origin_, "malformed npy header: fortran_order is not True or False");
  }
  std::vector<std::size_t> parse_tuple() {
    expect('(');
    std::vector<std::size_t> dims;
    while (true) {
      skip_space();
      if (peek() == ')') {
        ++pos_;
        return dims;
      }
      if (peek() < '0' || peek() > '9') fail(origin_, "malformed npy header: bad shape");
      std::size_t v = 0;
      while (peek() >= '0' && peek() <= '9') {
        const std::size_t digit = static_cast<std::size_t>(peek() - '0');
        if (v > (std::numeric_limits<std::size_t>::max() - digit) / 10)
          fail(origin_, "npy shape dimension overflows");
        v = v * 10 + digit;
        ++pos_;
      }
      if (peek() == 'L') ++pos_;  // Python 2 long suffix
      dims.push_back(v);
      skip_space();
      if (peek() == ',') {
        ++pos_;
      } else if (peek() != ')') {
        fail(origin_, "malformed npy header: bad shape");
      }
    }
  }

  std::string_view text_;
  const std::string& origin_;
  std::size_t pos_ = 0;
  std::optional<std::string> descr_;
  std::optional<bool> fortran_order_;
  std::optional<std::vector<std::size_t>> shape_;
};

NpyDtype dtype_from_descr(const std::string& descr, const std::string& origin) {
  if (descr == "<f4") return NpyDtype::kFloat32;
  if (descr == "<f8") return NpyDtype::kFloat64;
  if (descr == "<i8") return NpyDtype::kInt64;
  fail(origin, "unsupported dtype '" + descr +
                   "' (only little-endian float32 '<f4', float64 '<f8' and int64 '<i8')");
}

template <typename T>
std::vector<T> decode(const NpyArray& a) {
  std::vector<T> out(a.element_count());
  if (!out.empty()) std::memcpy(out.data(), a.data.data(), out.size() * sizeof(T));
  return out;
}

template <typename T>
NpyArray encode(NpyDtype dtype, std::vector<std::size_t> shape, const std::vector<T>& values) {
  NpyArray a;
  a.dtype = dtype;
  a.shape = std::move(shape);
  if (a.element_count() != values.size())
    throw NpyError("npy: shape does not match the number of values");
  a.data.resize(values.size() * sizeof(T));
  if (!values.empty()) std::memcpy(a.data.data(), values.data(), a.data.size());
  return a;
}

}  // namespace

const char* npy_descr(NpyDtype dtype) {
  switch (dtype) {
    case NpyDtype::kFloat32:
      return "<f4";
    case NpyDtype::kFloat64:
      return "<f8";
    case NpyDtype::kInt64:
      return "<i8";
  }
  return "?";
}

std::size_t npy_item_size(NpyDtype dtype) { return dtype == NpyDtype::kFloat32 ? 4 : 8; }

std::size_t NpyArray::element_count() const {
  std::size_t n = 1;
  for (std::size_t d : shape) n *= d;
  return n;
}

std::vector<float> NpyArray::to_float32() const {
  switch (dtype) {
    case NpyDtype::kFloat32:
      return decode<float>(*this);
    case NpyDtype::kFloat64: {
      const std::vector<double> d = decode<double>(*this);
      return std::vector<float>(d.begin(), d.end());
    }
    case NpyDtype::kInt64:
      break;
  }
  throw NpyError("npy: expected a float array, got int64");
}

std::vector<double> NpyArray::to_float64() const {
  switch (dtype) {
    case NpyDtype::kFloat32: {
      const std::vector<float> f = decode<float>(*this);
      return std::vector<double>(f.begin(), f.end());
    }
    case NpyDtype::kFloat64:
      return decode<double>(*this);
    case NpyDtype::kInt64: {
      const std::vector<std::int64_t> i = decode<std::int64_t>(*this);
      return std::vector<double>(i.begin(), i.end());
    }
  }
  return {};
}

std::vector<std::int64_t> NpyArray::to_int64() const {
  if (dtype != NpyDtype::kInt64)
    throw NpyError(std::string("npy: expected an int64 array, got ") + npy_descr(dtype));
  return decode<std::int64_t>(*this);
}

NpyArray NpyArray::from_float32(std::vector<std::size_t> shape, const std::vector<float>& values) {
  return encode(NpyDtype::kFloat32, std::move(shape), values);
}
NpyArray NpyArray::from_float64(std::vector<std::size_t> shape, const std::vector<double>& values) {
  return encode(NpyDtype::kFloat64, std::move(shape), values);
}
NpyArray NpyArray::from_int64(std::vector<std::size_t> shape,
                              const std::vector<std::int64_t>& values) {
  return encode(NpyDtype::kInt64, std::move(shape), values);
}

NpyArray parse_npy(std::string_view bytes, const std::string& origin) {
  if (bytes.size() < kMagicBytes + 2 || std::memcmp(bytes.data(), kMagic, kMagicBytes) != 0)
    fail(origin, "not a numpy .npy file (bad magic)");
  const auto* raw = reinterpret_cast<const unsigned char*>(bytes.data());
  const unsigned major = raw[6];
  std::size_t length_bytes = 0;
  if (major == 1) {
    length_bytes = 2;
  } else if (major == 2 || major == 3) {
    length_bytes = 4;
  } else {
    fail(origin, "unsupported npy format version " + std::to_string(major));
  }
  const std::size_t prefix = kMagicBytes + 2 + length_bytes;
  if (bytes.size() < prefix) fail(origin, "truncated npy header");
  const std::size_t header_len = read_le(raw + kMagicBytes + 2, length_bytes);
  if (bytes.size() < prefix + header_len) fail(origin, "truncated npy header");

  HeaderParser header(bytes.substr(prefix, header_len), origin);
  header.parse();
  if (header.fortran_order())
    fail(origin, "Fortran-order arrays are not supported (save in C order)");

  NpyArray array;
  array.dtype = dtype_from_descr(header.descr(), origin);
  array.shape = header.shape();
  std::size_t count = 1;
  for (std::size_t d : array.shape) {
    if (d != 0 && count > std::numeric_limits<std::size_t>::max() / 16 / d)
      fail(origin, "npy shape is too large");
    count *= d;
  }
  const std::size_t data_bytes = count * npy_item_size(array.dtype);
  const std::size_t available = bytes.size() - prefix - header_len;
  if (available < data_bytes) {
    fail(origin, "truncated npy data: shape needs " + std::to_string(data_bytes) +
                     " bytes, file has " + std::to_string(available));
  }
  if (available > data_bytes) {
    fail(origin, "npy file has " + std::to_string(available - data_bytes) +
                     " bytes after the data its shape describes");
  }
  const auto* data = raw + prefix + header_len;
  array.data.assign(data, data + data_bytes);
  return array;
}

NpyArray read_npy(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path, "cannot open for reading");
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) fail(path, "read error");
  return parse_npy(bytes, path);
}

std::string serialize_npy(const NpyArray& array) {
  if (array.data.size() != array.element_count() * npy_item_size(array.dtype))
    throw NpyError("npy: data size does not match shape");
  std::ostringstream dict;
  dict << "{'descr': '" << npy_descr(array.dtype) << "', 'fortran_order': False, 'shape': (";
  for (std::size_t i = 0; i < array.shape.size(); ++i) {
    dict << array.shape[i];
    if (array.shape.size() == 1 || i + 1 < array.shape.size()) dict << ",";
    if (i + 1 < array.shape.size()) dict << " ";
  }
  dict << "), }";
  std::string header = dict.str();

  // Version 1.0 stores the header length in 2 bytes; larger headers need 2.0.
  std::size_t length_bytes = 2;
  unsigned char major = 1;
  std::size_t total = kMagicBytes + 2 + length_bytes + header.size() + 1;
  if (total + kHeaderAlign > 65535) {
    length_bytes = 4;
    major = 2;
    total = kMagicBytes + 2 + length_bytes + header.size() + 1;
  }
  const std::size_t padding = (kHeaderAlign - total % kHeaderAlign) % kHeaderAlign;
  header.append(padding, ' ');
  header.push_back('\n');

  std::string out(kMagic, kMagicBytes);
  out.push_back(static_cast<char>(major));
  out.push_back('\0');
  const std::size_t header_len = header.size();
  for (std::size_t i = 0; i < length_bytes; ++i)
    out.push_back(static_cast<char>((header_len >> (8 * i)) & 0xff));
  out += header;
  out.append(reinterpret_cast<const char*>(array.data.data()), array.data.size());
  return out;
}

void write_npy(const std::string& path, const NpyArray& array) {
  const std::string bytes = serialize_npy(array);
  const std::string tmp = path + ".tmp";
  bool written = false;
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) fail(path, "cannot open for writing");
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.flush();
    written = static_cast<bool>(out);
  }
  // A failed write leaves no half file behind, under either name.
  if (!written || std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    fail(path, written ? "cannot rename the temporary file" : "write error");
  }
}

Matrix read_npy_matrix(const std::string& path) {
  const NpyArray array = read_npy(path);
  if (array.shape.size() != 2) {
    fail(path, "expected a 2-D array [rows, cols], got " + std::to_string(array.shape.size()) +
                   " dimensions");
  }
  if (array.dtype == NpyDtype::kInt64) fail(path, "expected a float32 or float64 array, got int64");
  Matrix m;
  m.rows = array.shape[0];
  m.cols = array.shape[1];
  m.values = array.to_float32();
  return m;
}

}  // namespace driftwatch::common
