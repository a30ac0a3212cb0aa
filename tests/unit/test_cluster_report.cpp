#include "cluster_report.h"

#include <gtest/gtest.h>

#include "watch_request.h"

namespace vq::watch {
namespace {

TEST(ClusterReport, EachReportSurvivesItsLine) {
  ClusterReport queued;
  queued.ticket = 17;
  queued.ahead = 2;
  EXPECT_EQ(format_report(queued), "queued 17 2\n");
  auto parsed = parse_report("queued 17 2");
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->kind, ClusterReport::Kind::queued);
  EXPECT_EQ(parsed->ticket, 17u);
  EXPECT_EQ(parsed->ahead, 2u);

  ClusterReport admitted;
  admitted.kind = ClusterReport::Kind::admitted;
  admitted.token = 18446744073709551615u;
  auto back = parse_report(format_report(admitted).substr(0, format_report(admitted).size() - 1));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->kind, ClusterReport::Kind::admitted);
  EXPECT_EQ(back->token, admitted.token);
}

TEST(ClusterReport, AnUnreachableReasonKeepsItsSpacesAndLosesItsLineBreaks) {
  ClusterReport report;
  report.kind = ClusterReport::Kind::unreachable;
  report.reason = "cannot connect to 127.0.0.1:1:\nconnection refused";
  const std::string line = format_report(report);
  EXPECT_EQ(line, "unreachable cannot connect to 127.0.0.1:1: connection refused\n");
  auto parsed = parse_report(line.substr(0, line.size() - 1));
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->reason, "cannot connect to 127.0.0.1:1: connection refused");
}

TEST(ClusterReport, AnythingElseIsNoReport) {
  for (const char* line : {"", "queued", "queued 1", "queued x 2", "queued 1 2 3", "admitted",
                           "admitted -4", "admitted 5 6", "admit 5", "QUEUED 1 2"}) {
    EXPECT_FALSE(parse_report(line)) << line;
  }
}

TEST(ClusterReport, TheReportPipeAndRecordFlagSurviveTheWatchersCommandLine) {
  WatchRequest request;
  request.pid = 9;
  request.report_fd = 4;
  request.record = false;
  auto parsed = parse_arguments(to_arguments(request));
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->report_fd, 4);
  EXPECT_FALSE(parsed->record);
  WatchRequest plain;
  plain.pid = 9;
  auto plain_parsed = parse_arguments(to_arguments(plain));
  ASSERT_TRUE(plain_parsed);
  EXPECT_EQ(plain_parsed->report_fd, -1);
  EXPECT_TRUE(plain_parsed->record);
}

}  // namespace
}  // namespace vq::watch
