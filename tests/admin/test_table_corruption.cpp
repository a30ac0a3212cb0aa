// A slot table damaged in each way vq can meet — random bytes, truncated, another layout
// version, values out of range — never crashes or hangs a shim or vq-admin: the shim repairs it
// (or, for a newer layout it must not touch, fails open with one warning), `vq-admin status`
// names the damage with exit status 69, and `vq-admin reset` recovers a queue that limits again.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <random>
#include <string>

#include "admin_harness.h"
#include "slot_table.h"

namespace vq::mp {
namespace {

struct Corruption {
  const char* name;
  void (*apply)(std::string& table);  // the table file's bytes, changed in place
  const char* status_says;            // what `status` calls the table afterwards
  bool shim_repairs;                  // else the shim fails open (a newer layout)
};

template <typename Field>
void patch(std::string& table, std::size_t offset, Field value) {
  std::memcpy(table.data() + offset, &value, sizeof value);
}

void random_bytes(std::string& table) {
  std::mt19937 random(11);
  for (char& c : table) c = static_cast<char>(random());
}
void truncated(std::string& table) {
  table.resize(10);
}
void newer_version(std::string& table) {
  patch(table, offsetof(TableHeader, version), k_table_version + 1);
}
void older_version(std::string& table) {
  patch(table, offsetof(TableHeader, version), std::uint32_t{0});
}
void limit_out_of_range(std::string& table) {
  patch(table, offsetof(TableHeader, limit), std::uint32_t{1000});
}
void paused_out_of_range(std::string& table) {
  patch(table, offsetof(TableHeader, paused), std::uint32_t{7});
}

class TableCorruptionTest : public AdminTest, public ::testing::WithParamInterface<Corruption> {
 protected:
  // A queue made by a real run with limit 1, then its table file damaged.
  void make_damaged_queue() {
    Process first(shim_launch("first", {{"VQ_MAX_PROCESSES", "1"}}));
    ASSERT_TRUE(first.wait());
    const std::string path = queue_dir() + "/slots.table";
    std::string bytes = read_file(path);
    ASSERT_EQ(bytes.size(), sizeof(Table)) << "the table is not what this test expects";
    ASSERT_EQ(check_header(*reinterpret_cast<const TableHeader*>(bytes.data())),
              HeaderCheck::valid);
    GetParam().apply(bytes);
    write_file(path, bytes, 0600);
  }

  void expect_status_names_the_damage() {
    const AdminResult status = admin({"status"});
    EXPECT_EQ(status.status, 69) << status.out << status.err;
    EXPECT_NE(status.out.find(std::string("Table: ") + GetParam().status_says), std::string::npos)
        << status.out;
    EXPECT_NE(status.out.find("vq-admin reset"), std::string::npos) << status.out;
  }

  // With limit 1 and a holder running, a late launch must wait and time out: the queue limits.
  void expect_queue_limits() {
    Process holder = start_holder("holder", {{"FAKE_SLEEP_MS", "30000"}});
    Process late(shim_launch("late", {{"VQ_QUEUE_TIMEOUT", "1"}}));
    const auto status = late.wait();
    ASSERT_TRUE(status);
    EXPECT_EQ(describe_status(*status), exited(75)) << late.stderr_text();
    EXPECT_FALSE(has_started("late"));
  }
};

TEST_P(TableCorruptionTest, StatusNamesTheDamageAndResetRecoversAQueueThatLimits) {
  make_damaged_queue();
  expect_status_names_the_damage();
  const AdminResult json = admin({"status", "--json"});
  EXPECT_EQ(json.status, 69);
  EXPECT_EQ(nlohmann::json::parse(json.out, nullptr, false)["table"], GetParam().status_says)
      << json.out;

  const AdminResult reset = admin({"reset"}, {{"VQ_MAX_PROCESSES", "1"}});
  ASSERT_EQ(reset.status, 0) << reset.out << reset.err;
  EXPECT_NE(reset.out.find(std::string("it was ") + GetParam().status_says), std::string::npos)
      << reset.out;
  const nlohmann::json after = status_json();
  EXPECT_EQ(after["table"], "valid");
  EXPECT_EQ(after["limit"], 1);
  expect_queue_limits();
}

TEST_P(TableCorruptionTest, ShimRepairsOrFailsOpenWithOneWarningNeverCrashing) {
  make_damaged_queue();
  Process run(shim_launch("run", {{"VQ_MAX_PROCESSES", "1"}, {"FAKE_EXIT", "3"}}));
  const auto status = run.wait();
  ASSERT_TRUE(status);
  EXPECT_EQ(describe_status(*status), exited(3)) << run.stderr_text();
  EXPECT_TRUE(has_started("run"));
  const std::string err = run.stderr_text();
  if (GetParam().shim_repairs) {
    EXPECT_EQ(err, "");
    EXPECT_EQ(status_json()["table"], "valid");
    expect_queue_limits();
  } else {
    // A newer vq owns the table: left alone, named in one warning, and still shown by status.
    EXPECT_EQ(err.rfind("vq: warning: ", 0), 0u) << err;
    EXPECT_NE(err.find("newer"), std::string::npos) << err;
    EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
    expect_status_names_the_damage();
  }
}

INSTANTIATE_TEST_SUITE_P(
    Kinds, TableCorruptionTest,
    ::testing::Values(Corruption{"RandomBytes", random_bytes, "corrupt", true},
                      Corruption{"Truncated", truncated, "corrupt", true},
                      Corruption{"NewerLayout", newer_version, "a newer layout version", false},
                      Corruption{"OlderLayout", older_version, "an older layout version", true},
                      Corruption{"LimitOutOfRange", limit_out_of_range, "corrupt", true},
                      Corruption{"PausedOutOfRange", paused_out_of_range, "corrupt", true}),
    [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace vq::mp

namespace vq::mp {
namespace {

// A table file cut short while a waiter has it mapped: the pages past the new end would raise
// SIGBUS in the waiter at its next look. It must survive, still wait for the live holder (the
// slot is the kernel lock), and be admitted when the holder ends.
using TableTruncatedLiveTest = AdminTest;

TEST_F(TableTruncatedLiveTest, AWaiterSurvivesItsMappedTableBeingTruncatedAndIsAdmittedInTurn) {
  Process holder = start_holder("holder", {{"VQ_MAX_PROCESSES", "1"}, {"FAKE_SLEEP_MS", "30000"}});
  Process waiter = start_waiter("waiter", {{"VQ_MAX_PROCESSES", "1"}});
  const std::string table = queue_dir() + "/slots.table";
  ASSERT_EQ(::truncate(table.c_str(), 0), 0);
  sleep_for_ms(1500);  // three rescans of the waiter over the truncated file
  EXPECT_FALSE(waiter.has_exited()) << "the waiter died: " << waiter.stderr_text();
  EXPECT_FALSE(has_started("waiter")) << "admitted past a live holder";

  const AdminResult status = admin({"status", "--json"});
  EXPECT_EQ(status.status, 0) << status.out << status.err;

  holder.send(SIGTERM);
  ASSERT_TRUE(holder.wait());
  const auto waited = waiter.wait();
  ASSERT_TRUE(waited);
  EXPECT_EQ(describe_status(*waited), exited(0)) << waiter.stderr_text();
  EXPECT_TRUE(has_started("waiter"));
}

}  // namespace
}  // namespace vq::mp
