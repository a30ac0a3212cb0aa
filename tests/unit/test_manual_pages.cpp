// The manual pages (docs/man/*.scd) describe what the code has: every verb and option of
// vq-admin's command line (read from the definitions it parses with), every VQ_*/VITEST_*
// variable the sources read, every exit status the headers define. A verb, option, variable or
// status added without its entry fails here, naming what to add and where.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "commands.h"

namespace vq {
namespace {

std::string read_source(const std::string& relative) {
  std::ifstream file(std::string(VQ_SOURCE_DIR) + "/" + relative);
  EXPECT_TRUE(file) << "cannot read " << relative;
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

// The text of one "# SECTION" of an scdoc page, up to the next section.
std::string section_of(const std::string& page, const std::string& name) {
  auto start = page.find("\n# " + name + "\n");
  if (start == std::string::npos) return "";
  auto end = page.find("\n# ", start + 1);
  return page.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

// An scdoc definition-list item: a line starting with the bold term.
bool has_item(const std::string& text, const std::string& term) {
  return text.find("\n*" + term + "*") != std::string::npos;
}

bool mentions_bold(const std::string& text, const std::string& term) {
  return text.find("*" + term + "*") != std::string::npos;
}

// Every "VQ_..."/"VITEST_..." string literal in the sources of `folder` (test hooks excluded).
std::set<std::string> variables_read_in(const std::string& folder) {
  std::set<std::string> names;
  const std::regex literal("\"((VQ|VITEST)_[A-Z0-9_]+)");
  for (const auto& entry :
       std::filesystem::directory_iterator(std::string(VQ_SOURCE_DIR) + "/" + folder)) {
    std::string text = read_source(folder + "/" + entry.path().filename().string());
    for (std::sregex_iterator it(text.begin(), text.end(), literal), end; it != end; ++it) {
      std::string name = (*it)[1];
      if (!name.starts_with("VQ_TEST_")) names.insert(name);
    }
  }
  return names;
}

// The values of `inline constexpr int k_exit_... = N;` in a header.
std::set<std::string> exit_statuses_in(const std::string& header) {
  std::set<std::string> statuses;
  std::string text = read_source(header);
  const std::regex definition("k_exit_[a-z_]+ = ([0-9]+);");
  for (std::sregex_iterator it(text.begin(), text.end(), definition), end; it != end; ++it) {
    statuses.insert((*it)[1]);
  }
  return statuses;
}

TEST(ManualPages, DescribeEveryVerbOfVqAdmin) {
  std::string verbs = section_of(read_source("docs/man/vq-admin.1.scd"), "VERBS");
  ASSERT_FALSE(verbs.empty()) << "docs/man/vq-admin.1.scd has no '# VERBS' section";
  for (const admin::VerbSpec& verb : admin::command_line_spec().verbs) {
    EXPECT_TRUE(has_item(verbs, verb.name))
        << "docs/man/vq-admin.1.scd has no entry for the verb '" << verb.name << "': add a line '*"
        << verb.name << "* …' under '# VERBS' with a tab-indented "
        << "description (" << verb.description << ")";
  }
}

TEST(ManualPages, DescribeEveryOptionOfVqAdmin) {
  std::string page = read_source("docs/man/vq-admin.1.scd");
  admin::CommandLineSpec spec = admin::command_line_spec();
  std::vector<std::pair<std::string, admin::OptionSpec>> options;
  for (const admin::OptionSpec& option : spec.options) options.emplace_back("vq-admin", option);
  for (const admin::VerbSpec& verb : spec.verbs) {
    for (const admin::OptionSpec& option : verb.options) options.emplace_back(verb.name, option);
  }
  for (const auto& [owner, option] : options) {
    for (const std::string& name : option.names) {
      EXPECT_TRUE(mentions_bold(page, name))
          << "docs/man/vq-admin.1.scd does not describe " << owner << "'s option " << name
          << ": add '*" << name << "*' with its description (" << option.description << ")";
    }
  }
}

TEST(ManualPages, DescribeEveryVariableTheCodeReads) {
  std::string environment = section_of(read_source("docs/man/vq.7.scd"), "ENVIRONMENT");
  ASSERT_FALSE(environment.empty()) << "docs/man/vq.7.scd has no '# ENVIRONMENT' section";
  std::set<std::string> config = variables_read_in("core");
  ASSERT_TRUE(config.count("VQ_MAX_PROCESSES")) << "the scan of core/ found no variables";
  for (const char* folder : {"core", "shim", "preload", "scriptshell", "admin"}) {
    for (const std::string& name : variables_read_in(folder)) {
      EXPECT_TRUE(mentions_bold(environment, name))
          << "docs/man/vq.7.scd does not describe " << name << " (read in " << folder
          << "/): add an entry '*" << name << "*' under '# ENVIRONMENT'";
    }
  }
}

TEST(ManualPages, DescribeEveryExitStatus) {
  struct Page {
    const char* header;
    const char* page;
  };
  for (Page pair : {Page{"admin/exit_codes.h", "docs/man/vq-admin.1.scd"},
                    Page{"shim/exit_status.h", "docs/man/vq.7.scd"}}) {
    std::string statuses = section_of(read_source(pair.page), "EXIT STATUS");
    ASSERT_FALSE(statuses.empty()) << pair.page << " has no '# EXIT STATUS' section";
    for (const std::string& status : exit_statuses_in(pair.header)) {
      EXPECT_TRUE(has_item(statuses, status))
          << pair.page << " does not describe exit status " << status << " (" << pair.header
          << "): add an item '*" << status << "*' under '# EXIT STATUS'";
    }
  }
}

}  // namespace
}  // namespace vq
