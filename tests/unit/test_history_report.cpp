#include "history_report.h"

#include <gtest/gtest.h>

#include "history_rows.h"

namespace vq::admin {
namespace {

TEST(HistoryReport, DurationsTakeAWholeNumberAndAUnit) {
  EXPECT_EQ(*parse_duration("45s"), 45'000);
  EXPECT_EQ(*parse_duration("30m"), 1'800'000);
  EXPECT_EQ(*parse_duration("2h"), 7'200'000);
  EXPECT_EQ(*parse_duration("7d"), 604'800'000);
  EXPECT_EQ(*parse_duration("2w"), 1'209'600'000);
  for (const char* bad :
       {"", "5", "m", "1.5h", "-2h", "0m", "3 d", "2hours", "99999999999999999w"}) {
    auto parsed = parse_duration(bad);
    EXPECT_FALSE(parsed.ok()) << bad;
    if (!parsed) {
      EXPECT_NE(parsed.error().message.find("7d"), std::string::npos);
    }
  }
}

TEST(HistoryReport, PercentilesAreNearestRank) {
  std::vector<std::int64_t> values = {10, 1, 9, 2, 8, 3, 7, 4, 6, 5};
  EXPECT_EQ(percentile(values, 50), 5);
  EXPECT_EQ(percentile(values, 90), 9);
  EXPECT_EQ(percentile({42}, 90), 42);
  EXPECT_FALSE(percentile({}, 50).has_value());
}

TEST(HistoryReport, SummariesGoPerProjectInOrderOfTheNewestRun) {
  std::vector<history::RunRecord> runs = {test::sample_run(3000, "a", "/new"),
                                          test::sample_run(2000, "a", "/old"),
                                          test::sample_run(1000, "a", "/new")};
  runs[1].admitted_at_ms.reset();
  runs[1].peak_memory_bytes.reset();
  auto summaries = summarize(runs);
  ASSERT_EQ(summaries.size(), 2u);
  EXPECT_EQ(summaries[0].project, "/new");
  EXPECT_EQ(summaries[0].runs, 2);
  EXPECT_EQ(summaries[0].wait_ms.p50, 1000);
  EXPECT_EQ(summaries[1].project, "/old");
  EXPECT_EQ(summaries[1].wait_ms.p50, 5000) << "never admitted: waited until its end";
  EXPECT_FALSE(summaries[1].run_ms.p50.has_value());
  EXPECT_FALSE(summaries[1].peak_memory_bytes.p90.has_value());
}

TEST(HistoryReport, FiguresAreMadeShort) {
  EXPECT_EQ(short_duration(850), "850ms");
  EXPECT_EQ(short_duration(12'340), "12.3s");
  EXPECT_EQ(short_duration(245'000), "4m05s");
  EXPECT_EQ(short_duration(3'720'000), "1h02m");
  EXPECT_EQ(short_bytes(300LL << 20), "300.0 MiB");
  EXPECT_EQ(short_bytes(1536LL << 20), "1.5 GiB");
}

TEST(HistoryReport, TextEscapesControlCharactersInRecordedNames) {
  HistoryView view;
  view.database = "/db";
  view.runs = {test::sample_run(1000, "evil\x1b[2J", "/p")};
  view.projects = summarize(view.runs);
  std::string text = render_history_text(view);
  EXPECT_EQ(text.find('\x1b'), std::string::npos);
  EXPECT_NE(text.find("evil\\x1b[2J"), std::string::npos) << text;
}

}  // namespace
}  // namespace vq::admin
