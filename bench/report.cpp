// The report: a Markdown table for people and a JSON file of the same figures for tools.
#include <sys/utsname.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "report.h"

namespace vq::bench {
namespace {

std::string fixed(double value, int digits = 2) {
  char text[64];
  std::snprintf(text, sizeof text, "%.*f", digits, value);
  return text;
}

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  }
  return "unknown";
}

}  // namespace

std::string machine_line() {
  utsname name{};
  ::uname(&name);
  std::time_t now = std::time(nullptr);
  char when[32];
  std::strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", std::gmtime(&now));
  return std::string(when) + ", " + cpu_model() + ", " +
         std::to_string(sysconf(_SC_NPROCESSORS_ONLN)) + " cores, Linux " + name.release;
}

std::string to_markdown(const Report& report, bool smoke) {
  std::ostringstream out;
  out << "Machine: " << machine_line()
      << (smoke ? " — SMOKE RUN (tiny counts, figures not meaningful)" : "") << "\n\n";
  out << "| scenario | variant | n | median | p99 | unit | note |\n";
  out << "|---|---|---:|---:|---:|---|---|\n";
  for (const auto& figure : report.figures) {
    out << "| " << figure.scenario << " | " << figure.variant << " | " << figure.samples.size()
        << " | " << (figure.samples.empty() ? "—" : fixed(median(figure.samples))) << " | "
        << (figure.samples.size() < 2 ? "—" : fixed(percentile(figure.samples, 99))) << " | "
        << figure.unit << " | " << figure.note << " |\n";
  }
  out << "\n| target | limit | measured | met |\n|---|---:|---:|---|\n";
  for (const auto& target : report.targets) {
    out << "| " << target.what << " | " << fixed(target.limit) << " " << target.unit << " | "
        << fixed(target.measured, 3) << " " << target.unit << " | "
        << (target.met() ? "yes" : "**no**") << " |\n";
  }
  for (const auto& note : report.notes) out << "\n- " << note;
  if (!report.notes.empty()) out << "\n";
  return out.str();
}

std::string to_json(const Report& report, bool smoke) {
  nlohmann::json json;
  json["schema_version"] = 1;
  json["machine"] = machine_line();
  json["smoke"] = smoke;
  json["figures"] = nlohmann::json::array();
  for (const auto& figure : report.figures) {
    json["figures"].push_back({{"scenario", figure.scenario},
                               {"variant", figure.variant},
                               {"unit", figure.unit},
                               {"n", figure.samples.size()},
                               {"median", median(figure.samples)},
                               {"p99", percentile(figure.samples, 99)},
                               {"note", figure.note}});
  }
  json["targets"] = nlohmann::json::array();
  for (const auto& target : report.targets) {
    json["targets"].push_back({{"what", target.what},
                               {"limit", target.limit},
                               {"unit", target.unit},
                               {"measured", target.measured},
                               {"met", target.met()}});
  }
  json["notes"] = report.notes;
  return json.dump(2) + "\n";
}

}  // namespace vq::bench
