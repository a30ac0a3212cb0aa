#include "config.h"

#include <gtest/gtest.h>

#include "control_characters.h"
#include "env_map.h"

namespace vq {
namespace {

using test::lookup_in;

TEST(Config, DefaultsWhenNothingIsSet) {
  auto config = load_config(lookup_in({}));
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(config->limit, 4);
  EXPECT_EQ(config->timeout_s, 300);
  EXPECT_EQ(config->per_agent, 1);
  EXPECT_EQ(config->log_level, "info");
  EXPECT_FALSE(config->agent_id.has_value());
  EXPECT_TRUE(config->single_worker);
  EXPECT_FALSE(config->disable);
  EXPECT_FALSE(config->fail_closed);
  EXPECT_TRUE(config->queue_dir.empty());
}

TEST(Config, ReadsEveryVqVariable) {
  auto config = load_config(lookup_in({{"VQ_QUEUE_DIR", "/tmp/q"},
                                       {"VQ_MAX_PROCESSES", "2"},
                                       {"VQ_QUEUE_TIMEOUT", "1.5"},
                                       {"VQ_AGENT_ID", "agent-7"},
                                       {"VQ_PER_AGENT", "3"},
                                       {"VQ_LOG_LEVEL", "DEBUG"},
                                       {"VQ_DISABLE", "yes"},
                                       {"VQ_FAIL_CLOSED", "1"},
                                       {"VQ_SINGLE_WORKER", "0"},
                                       {"VQ_REAL_VITEST", "/x/vitest"}}));
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->queue_dir, "/tmp/q");
  EXPECT_EQ(config->limit, 2);
  EXPECT_DOUBLE_EQ(config->timeout_s, 1.5);
  EXPECT_EQ(config->agent_id, "agent-7");
  EXPECT_EQ(config->per_agent, 3);
  EXPECT_EQ(config->log_level, "debug");
  EXPECT_TRUE(config->disable);
  EXPECT_TRUE(config->fail_closed);
  EXPECT_FALSE(config->single_worker);
  EXPECT_EQ(config->real_vitest, "/x/vitest");
}

TEST(Config, SeedNamesWorkAndVqNamesWin) {
  auto seed = load_config(lookup_in({{"VITEST_MAX_PROCESSES", "3"},
                                     {"VITEST_QUEUE_TIMEOUT", "10"},
                                     {"VITEST_AGENT_ID", "seed-agent"},
                                     {"VITEST_LOG_LEVEL", "warn"}}));
  ASSERT_TRUE(seed.ok());
  EXPECT_EQ(seed->limit, 3);
  EXPECT_EQ(seed->timeout_s, 10);
  EXPECT_EQ(seed->agent_id, "seed-agent");
  EXPECT_EQ(seed->log_level, "warn");

  auto both = load_config(lookup_in({{"VITEST_MAX_PROCESSES", "3"},
                                     {"VQ_MAX_PROCESSES", "5"},
                                     {"VITEST_AGENT_ID", "seed"},
                                     {"VQ_AGENT_ID", "vq"}}));
  ASSERT_TRUE(both.ok());
  EXPECT_EQ(both->limit, 5);
  EXPECT_EQ(both->agent_id, "vq");
}

TEST(Config, EmptyValueCountsAsUnset) {
  auto config = load_config(lookup_in({{"VQ_MAX_PROCESSES", ""}, {"VITEST_MAX_PROCESSES", "2"}}));
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(config->limit, 2);
}

struct BadValue {
  const char* name;
  const char* value;
};

// Test names show the setting, not the struct's bytes (pointers that change from run to run).
void PrintTo(const BadValue& bad, std::ostream* out) {
  *out << bad.name << "=" << bad.value;
}

class ConfigRejects : public ::testing::TestWithParam<BadValue> {};

TEST_P(ConfigRejects, BadValueWithAnErrorNamingTheVariable) {
  auto [name, value] = GetParam();
  auto config = load_config(lookup_in({{name, value}}));
  ASSERT_FALSE(config.ok()) << name << "=" << value << " was accepted";
  EXPECT_NE(config.error().message.find(std::string(name) + "=" + value), std::string::npos)
      << config.error().message;
}

INSTANTIATE_TEST_SUITE_P(
    Values, ConfigRejects,
    ::testing::Values(BadValue{"VQ_MAX_PROCESSES", "abc"}, BadValue{"VQ_MAX_PROCESSES", "0"},
                      BadValue{"VQ_MAX_PROCESSES", "-1"}, BadValue{"VQ_MAX_PROCESSES", "65"},
                      BadValue{"VQ_MAX_PROCESSES", "99999999999999999999"},
                      BadValue{"VQ_MAX_PROCESSES", "4x"}, BadValue{"VQ_MAX_PROCESSES", " 4"},
                      BadValue{"VITEST_MAX_PROCESSES", "many"}, BadValue{"VQ_QUEUE_TIMEOUT", "-5"},
                      BadValue{"VQ_QUEUE_TIMEOUT", "1e3"}, BadValue{"VQ_QUEUE_TIMEOUT", "nan"},
                      BadValue{"VQ_QUEUE_TIMEOUT", "soon"},
                      BadValue{"VQ_QUEUE_TIMEOUT", "99999999"},
                      BadValue{"VITEST_QUEUE_TIMEOUT", "x"}, BadValue{"VQ_PER_AGENT", "0"},
                      BadValue{"VQ_LOG_LEVEL", "loud"}, BadValue{"VQ_DISABLE", "maybe"},
                      BadValue{"VQ_FAIL_CLOSED", "2"}, BadValue{"VQ_SINGLE_WORKER", "off-ish"},
                      BadValue{"VQ_AGENT_ID", "has space"}, BadValue{"VQ_QUEUE_DIR", "relative/q"},
                      BadValue{"VQ_PRIORITY", "top"}, BadValue{"VQ_PRIORITY", "urgent"},
                      BadValue{"VQ_PRIORITY", "3"}, BadValue{"VQ_PRIORITY_MAX_AGE", "0.5"},
                      BadValue{"VQ_PRIORITY_MAX_AGE", "soon"}));

TEST(Config, PriorityIsALevelByNameOrNumberWithAnAgeBound) {
  auto defaults = load_config(lookup_in({}));
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->priority, Priority::normal);
  EXPECT_DOUBLE_EQ(defaults->priority_max_age_s, k_default_age_bound_s);
  auto config = load_config(lookup_in({{"VQ_PRIORITY", "High"}, {"VQ_PRIORITY_MAX_AGE", "30"}}));
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->priority, Priority::high);
  EXPECT_DOUBLE_EQ(config->priority_max_age_s, 30);
  auto low = load_config(lookup_in({{"VQ_PRIORITY", "0"}}));
  ASSERT_TRUE(low.ok());
  EXPECT_EQ(low->priority, Priority::low);
  auto urgent = load_config(lookup_in({{"VQ_PRIORITY", "urgent"}}));
  ASSERT_FALSE(urgent.ok());
  EXPECT_NE(urgent.error().message.find("vq-admin urgent"), std::string::npos);
}

TEST(Config, GroupIsANumberOrTheNameOfAnExistingGroup) {
  auto by_number = load_config(lookup_in({{"VQ_GROUP", "4242"}}));
  ASSERT_TRUE(by_number.ok()) << by_number.error().message;
  EXPECT_EQ(by_number->group, 4242u);
  auto by_name = load_config(lookup_in({{"VQ_GROUP", "root"}}));
  ASSERT_TRUE(by_name.ok()) << by_name.error().message;
  EXPECT_EQ(by_name->group, 0u);
  EXPECT_FALSE(load_config(lookup_in({})).value().group.has_value());

  auto unknown = load_config(lookup_in({{"VQ_GROUP", "no-such-group-vq"}}));
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.error().message.find("VQ_GROUP=no-such-group-vq"), std::string::npos)
      << unknown.error().message;
}

TEST(Config, ZeroTimeoutMeansWaitForever) {
  auto config = load_config(lookup_in({{"VQ_QUEUE_TIMEOUT", "0"}}));
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(config->timeout_s, 0);
}

// What a privileged process (started by a setuid program) may read of its user's environment.
TEST(Config, WithoutUserSettingsEveryVqAndVitestVariableReadsAsUnset) {
  EnvLookup env = without_user_settings(lookup_in({{"VQ_REAL_VITEST", "/home/u/evil"},
                                                   {"VQ_REDIRECT", "1:/home/u/evil"},
                                                   {"VQ_QUEUE_DIR", "/home/u/q"},
                                                   {"VQ_SHIM", "/home/u/evil"},
                                                   {"VITEST_MAX_PROCESSES", "9"},
                                                   {"VQ_SHIM_DEPTH", "3"},
                                                   {"VQ_SHIM_CHAIN", "1:2"},
                                                   {"PATH", "/usr/bin"}}));
  for (const char* name :
       {"VQ_REAL_VITEST", "VQ_REDIRECT", "VQ_QUEUE_DIR", "VQ_SHIM", "VITEST_MAX_PROCESSES"}) {
    EXPECT_EQ(env(name), nullptr) << name;
  }
  EXPECT_STREQ(env("VQ_SHIM_DEPTH"), "3");
  EXPECT_STREQ(env("VQ_SHIM_CHAIN"), "1:2");
  EXPECT_STREQ(env("PATH"), "/usr/bin");
  auto config = load_config(env);
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(config->real_vitest, "");
  EXPECT_EQ(config->queue_dir, "");
  EXPECT_EQ(config->limit, k_default_limit);
}

// The unit tests run with equal real and effective ids and no AT_SECURE.
TEST(Config, AnOrdinaryProcessDoesNotRunPrivileged) {
  EXPECT_FALSE(runs_privileged());
}

TEST(Config, AHugeBadValueIsEchoedCappedAndItsEscapesEscaped) {
  std::string huge = "\x1b]0;owned\x07\x1b[2J\n" + std::string(100 * 1024, '7');
  auto config = load_config(lookup_in({{"VQ_MAX_PROCESSES", huge}}));
  ASSERT_FALSE(config.ok());
  const std::string& message = config.error().message;
  EXPECT_LT(message.size(), 200u) << message;
  EXPECT_EQ(test::control_characters(message), 0) << message;
  EXPECT_NE(message.find("VQ_MAX_PROCESSES=\\x1b]0;owned\\x07\\x1b[2J\\n7777"), std::string::npos)
      << message;
  EXPECT_NE(message.find("… (" + std::to_string(huge.size()) + " bytes) is not valid: expected"),
            std::string::npos)
      << message;
}

TEST(Config, AShortBadValueIsEchoedWhole) {
  auto config = load_config(lookup_in({{"VQ_LOG_LEVEL", "verbose-ünicode"}}));
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.error().message.find("VQ_LOG_LEVEL=verbose-ünicode is not valid"),
            std::string::npos)
      << config.error().message;
}

TEST(Config, ACappedValueIsCutAtACharacterBoundary) {
  std::string value = "x" + std::string(30, 'y');
  while (value.size() < 60) value += "\xc3\xa9";  // é: the cap at 40 bytes falls inside one
  auto config = load_config(lookup_in({{"VQ_PER_AGENT", value}}));
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.error().message.find("\\xc3"), std::string::npos)
      << "half a character is shown as an escape: " << config.error().message;
}

TEST(Config, MemoryAdmissionIsOnByDefault) {
  auto config = load_config(lookup_in({}));
  ASSERT_TRUE(config.ok());
  EXPECT_TRUE(config->memory_admission);
  EXPECT_TRUE(config->reserve_growing);
  EXPECT_FALSE(config->memory_estimate);
  EXPECT_FALSE(config->limit_auto);
  EXPECT_EQ(config->memory_reserve.percent, 5);
  EXPECT_EQ(config->memory_pressure_percent, 10);
}

TEST(Config, ReadsTheMemoryVariables) {
  auto config = load_config(lookup_in({{"VQ_MEMORY_ADMISSION", "0"},
                                       {"VQ_MEMORY_ESTIMATE", "1.5G"},
                                       {"VQ_MEMORY_RESERVE", "512MiB"},
                                       {"VQ_MEMORY_RESERVE_GROWING", "no"},
                                       {"VQ_MEMORY_PRESSURE", "20"},
                                       {"VQ_MAX_PROCESSES", "auto"}}));
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_FALSE(config->memory_admission);
  EXPECT_EQ(config->memory_estimate, std::uint64_t{3} << 29);
  EXPECT_EQ(config->memory_reserve.bytes, std::uint64_t{512} << 20);
  EXPECT_FALSE(config->reserve_growing);
  EXPECT_EQ(config->memory_pressure_percent, 20);
  EXPECT_TRUE(config->limit_auto);
  EXPECT_EQ(config->limit, 4);  // seeded by the caller from cores and memory
}

TEST(Config, ReserveAsAPercentageAndSizesInBytes) {
  auto config =
      load_config(lookup_in({{"VQ_MEMORY_RESERVE", "12.5%"}, {"VQ_MEMORY_ESTIMATE", "1048576"}}));
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->memory_reserve.percent, 12.5);
  EXPECT_EQ(config->memory_reserve.bytes, 0u);
  EXPECT_EQ(config->memory_estimate, std::uint64_t{1} << 20);
}

TEST(Config, BadMemoryValuesNameTheVariable) {
  for (const char* bad : {"lots", "-1G", "1X", "G", "1.5GB2"}) {
    auto config = load_config(lookup_in({{"VQ_MEMORY_ESTIMATE", bad}}));
    ASSERT_FALSE(config.ok()) << bad;
    EXPECT_NE(config.error().message.find("VQ_MEMORY_ESTIMATE="), std::string::npos);
  }
  EXPECT_FALSE(load_config(lookup_in({{"VQ_MEMORY_RESERVE", "95%"}})).ok());
  EXPECT_FALSE(load_config(lookup_in({{"VQ_MEMORY_PRESSURE", "150"}})).ok());
  EXPECT_FALSE(load_config(lookup_in({{"VQ_MAX_PROCESSES", "automatic"}})).ok());
}

TEST(Config, WorkersAreOneANumberOrAuto) {
  auto plain = load_config(lookup_in({}));
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->workers, 1);
  EXPECT_FALSE(plain->workers_auto);
  auto fixed = load_config(lookup_in({{"VQ_WORKERS", "3"}}));
  ASSERT_TRUE(fixed.ok()) << fixed.error().message;
  EXPECT_EQ(fixed->workers, 3);
  EXPECT_FALSE(fixed->workers_auto);
  auto automatic = load_config(lookup_in({{"VQ_WORKERS", "auto"}}));
  ASSERT_TRUE(automatic.ok()) << automatic.error().message;
  EXPECT_TRUE(automatic->workers_auto);
  for (const char* bad : {"0", "257", "many", "2.5"}) {
    auto config = load_config(lookup_in({{"VQ_WORKERS", bad}}));
    ASSERT_FALSE(config.ok()) << bad;
    EXPECT_NE(config.error().message.find("VQ_WORKERS="), std::string::npos);
    EXPECT_NE(config.error().message.find("or auto"), std::string::npos);
  }
}

}  // namespace
}  // namespace vq
