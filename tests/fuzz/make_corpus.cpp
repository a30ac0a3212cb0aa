// Writes the seed corpus of fuzz_table_repair into the directory given: table files as vq
// could find them. Trailing zero bytes are cut (the target reads a short file as zero-filled,
// as the mapping does), which keeps the committed files small. Run by hand after a layout
// change: make_table_corpus tests/fuzz/corpus/table_repair
#include <cstdint>
#include <cstring>
#include <fstream>
#include <memory>
#include <random>
#include <string>

#include "slot_table.h"
#include "table_upgrade.h"
#include "turn_order.h"

namespace {

using namespace vq;

void save(const std::string& dir, const char* name, const void* data, std::size_t size) {
  const auto* bytes = static_cast<const char*>(data);
  while (size > 0 && bytes[size - 1] == 0) --size;
  std::ofstream(dir + "/" + name, std::ios::binary).write(bytes, static_cast<long>(size));
}

void save(const std::string& dir, const char* name, const Table& table) {
  save(dir, name, &table, sizeof table);
}

std::unique_ptr<Table> busy_table() {
  auto table = std::make_unique<Table>();
  initialize_table(*table, 2, 1700000000000);
  table->header.next_ticket = 5;
  SlotRecord& slot = table->slots[1];
  slot.state = RecordState::used;
  slot.pid = 4242;
  slot.start_time = 99;
  slot.admitted_ms = 1700000000001;
  set_text(slot.agent, "claude-code@sid1");
  set_text(slot.cwd, "/home/me/project");
  set_text(slot.command, "vitest run");
  seal(slot);
  for (int i = 0; i < 3; ++i) {
    WaiterRecord& waiter = table->waiters[i];
    waiter.state = RecordState::used;
    waiter.pid = 5000 + i;
    waiter.start_time = 100 + static_cast<std::uint64_t>(i);
    waiter.ticket = 2 + static_cast<std::uint64_t>(i);
    waiter.since_ms = 1700000000002;
    waiter.agent_explicit = i == 0 ? 1 : 0;
    waiter.level = static_cast<std::uint32_t>(i == 1 ? Priority::high : Priority::normal);
    waiter.age_bound_ms = 240000;
    waiter.turn = static_cast<std::uint32_t>(i);
    set_text(waiter.agent, "shell@pts/3");
    seal(waiter);
  }
  return table;
}

// The previous layout (version 1) with a holder and three waiters, as an older vq left it.
std::unique_ptr<layout_v1::Table> previous_layout_table() {
  auto table = std::make_unique<layout_v1::Table>();
  std::memset(static_cast<void*>(table.get()), 0, sizeof *table);
  auto busy = busy_table();
  table->header = busy->header;
  table->header.version = layout_v1::k_version;
  table->header.table_size = sizeof(layout_v1::Table);
  for (int i = 0; i < k_max_slots; ++i) {
    const SlotRecord& now = busy->slots[i];
    layout_v1::SlotRecord& slot = table->slots[i];
    slot.state = now.state;
    slot.pid = now.pid;
    slot.start_time = now.start_time;
    slot.admitted_ms = now.admitted_ms;
    slot.agent_explicit = now.agent_explicit;
    std::memcpy(slot.agent, now.agent, sizeof slot.agent);
    std::memcpy(slot.cwd, now.cwd, sizeof slot.cwd);
    std::memcpy(slot.command, now.command, sizeof slot.command);
    if (!is_empty(now)) layout_v1::seal(slot);
  }
  for (int i = 0; i < 3; ++i) {
    layout_v1::WaiterRecord& waiter = table->waiters[i];
    waiter.state = RecordState::used;
    waiter.pid = 5000 + i;
    waiter.start_time = 100 + static_cast<std::uint64_t>(i);
    waiter.ticket = 2 + static_cast<std::uint64_t>(i);
    waiter.since_ms = 1700000000002;
    waiter.agent_explicit = i == 0 ? 1 : 0;
    set_text(waiter.agent, "shell@pts/3");
    layout_v1::seal(waiter);
  }
  return table;
}

void save_previous_layouts(const std::string& dir) {
  auto table = previous_layout_table();
  save(dir, "previous-layout-busy", table.get(), sizeof *table);
  table->waiters[1].since_ms ^= 0xff;
  save(dir, "previous-layout-waiter-torn", table.get(), sizeof *table);
  table = previous_layout_table();
  table->header.limit = 0;
  save(dir, "previous-layout-limit-zero", table.get(), sizeof *table);
  table = previous_layout_table();
  table->header.table_size = sizeof(Table);
  save(dir, "previous-layout-size-wrong", table.get(), sizeof *table);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  const std::string dir = argv[1];
  auto fresh = std::make_unique<Table>();
  initialize_table(*fresh, 4, 1700000000000);
  save(dir, "valid-empty", *fresh);
  auto busy = busy_table();
  save(dir, "valid-busy", *busy);
  save(dir, "blank", "", 0);
  save(dir, "truncated-in-header", busy.get(), 10);
  save(dir, "truncated-in-slots", busy.get(), sizeof(TableHeader) + 1500);

  auto table = busy_table();
  table->header.version = k_table_version + 1;
  save(dir, "newer-version", *table);
  table = busy_table();
  table->header.version = 0;
  save(dir, "older-version", *table);
  struct Patch {
    const char* name;
    void (*apply)(Table&);
  };
  const Patch patches[] = {
      {"limit-zero", [](Table& t) { t.header.limit = 0; }},
      {"limit-above-slots", [](Table& t) { t.header.limit = k_max_slots + 1; }},
      {"limit-huge", [](Table& t) { t.header.limit = 0xffffffffu; }},
      {"paused-out-of-range", [](Table& t) { t.header.paused = 7; }},
      {"next-ticket-zero", [](Table& t) { t.header.next_ticket = 0; }},
      {"table-size-wrong", [](Table& t) { t.header.table_size = 12; }},
      {"waiter-ticket-not-handed-out",
       [](Table& t) {
         t.waiters[1].ticket = t.header.next_ticket + 100;
         seal(t.waiters[1]);
       }},
      {"waiter-torn", [](Table& t) { t.waiters[2].since_ms ^= 0xff; }},
      {"waiter-level-out-of-range",
       [](Table& t) {
         t.waiters[1].level = 9;
         seal(t.waiters[1]);
       }},
      {"waiter-turn-out-of-range",
       [](Table& t) {
         t.waiters[2].turn = 0xffffffffu;
         seal(t.waiters[2]);
       }},
      {"waiter-age-bound-zero",
       [](Table& t) {
         t.waiters[0].age_bound_ms = 0;
         seal(t.waiters[0]);
       }},
      {"slot-torn", [](Table& t) { t.slots[1].pid = 4243; }},
      {"slot-unterminated-text",
       [](Table& t) {
         std::memset(t.slots[1].cwd, 'x', sizeof t.slots[1].cwd);
         seal(t.slots[1]);
       }},
      {"slot-negative-pid",
       [](Table& t) {
         t.slots[1].pid = -1;
         seal(t.slots[1]);
       }},
  };
  for (const Patch& patch : patches) {
    table = busy_table();
    patch.apply(*table);
    save(dir, patch.name, *table);
  }
  save_previous_layouts(dir);
  std::mt19937 random(42);
  std::string garbage(4096, '\0');
  for (char& c : garbage) c = static_cast<char>(random());
  save(dir, "random-bytes", garbage.data(), garbage.size());
  std::string with_magic = garbage;
  std::memcpy(with_magic.data(), &k_table_magic, sizeof k_table_magic);
  save(dir, "random-bytes-after-magic", with_magic.data(), with_magic.size());
  return 0;
}
