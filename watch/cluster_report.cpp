#include "cluster_report.h"

#include <algorithm>
#include <charconv>

namespace vq::watch {
namespace {

template <typename T>
bool parse_number(std::string_view text, T& value) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  return ec == std::errc() && end == text.data() + text.size() && !text.empty();
}

// Splits off the first space-separated word of `text`.
std::string_view take_word(std::string_view& text) {
  std::size_t space = text.find(' ');
  std::string_view word = text.substr(0, space);
  text = space == std::string_view::npos ? std::string_view() : text.substr(space + 1);
  return word;
}

}  // namespace

std::string format_report(const ClusterReport& report) {
  switch (report.kind) {
    case ClusterReport::Kind::queued:
      return "queued " + std::to_string(report.ticket) + " " + std::to_string(report.ahead) + "\n";
    case ClusterReport::Kind::admitted:
      return "admitted " + std::to_string(report.token) + "\n";
    case ClusterReport::Kind::unreachable: {
      std::string reason = report.reason;
      std::replace(reason.begin(), reason.end(), '\n', ' ');
      return "unreachable " + reason + "\n";
    }
  }
  return "\n";
}

std::optional<ClusterReport> parse_report(std::string_view line) {
  ClusterReport report;
  std::string_view kind = take_word(line);
  if (kind == "queued") {
    report.kind = ClusterReport::Kind::queued;
    if (!parse_number(take_word(line), report.ticket)) return std::nullopt;
    if (!parse_number(take_word(line), report.ahead) || !line.empty()) return std::nullopt;
    return report;
  }
  if (kind == "admitted") {
    report.kind = ClusterReport::Kind::admitted;
    if (!parse_number(take_word(line), report.token) || !line.empty()) return std::nullopt;
    return report;
  }
  if (kind == "unreachable") {
    report.kind = ClusterReport::Kind::unreachable;
    report.reason = std::string(line);
    return report;
  }
  return std::nullopt;
}

}  // namespace vq::watch
