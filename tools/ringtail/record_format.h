// How ringtail prints one record: an aligned text line (optionally coloured)
// or one JSON object per line for jq.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "shared/ring/ring_reader.h"

namespace driftwatch::ringtail {

std::string class_name_of(int class_index, const std::vector<std::string>& class_names);

// "2026-12-01T21:46:37.123456789Z": Unix nanoseconds as ISO-8601 UTC.
std::string iso8601_utc(std::int64_t ns);

// Column titles matching format_text_line().
std::string text_header();
std::string format_text_line(const ring::Record& r, const std::vector<std::string>& class_names,
                             bool colour);
std::string format_json_line(const ring::Record& r, const std::vector<std::string>& class_names,
                             bool with_embedding);

}  // namespace driftwatch::ringtail
