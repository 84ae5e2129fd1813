// The memory one hostile file may take: a file of tens of MB of notes, four of them in one zip,
// and millions of notes on one tick, imported through the binary; the import's peak resident
// size stays bounded.

#include "tests/common/midilib_cli.hpp"
#include "tests/common/pg_test_db.hpp"
#include "tests/common/process.hpp"

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace midilib::testing {
namespace {

#ifndef MIDILIB_SANITIZED // the sanitizers' shadow memory is not the import's

/// A format-0 file at 480 ticks a quarter whose one track holds @p events (then End of Track).
void write_smf(std::filesystem::path const &p, std::string const &events)
{
    std::string const track = events + std::string{"\x00\xFF\x2F\x00", 4};
    std::string file{"MThd\x00\x00\x00\x06\x00\x00\x00\x01\x01\xE0MTrk", 18};
    auto const n = track.size();
    for (unsigned shift : {24U, 16U, 8U, 0U}) {
        file += static_cast<char>((n >> shift) & 0xFFU);
    }
    std::ofstream{p, std::ios::binary} << file << track;
}

/// @p notes notes, each starting one tick after the last (running status: 6 bytes a note).
std::string dense_notes(std::size_t notes)
{
    std::string ev{"\x00\x90\x3C\x40", 4};
    ev.reserve(notes * 6 + 8);
    for (std::size_t i = 1; i < notes; ++i) {
        auto const pitch = static_cast<char>(48 + i % 24);
        ev += std::string{"\x01", 1} + pitch + std::string{"\x00\x00", 2} + pitch + '\x40';
    }
    return ev + std::string{"\x01\x3C\x00", 3};
}

/// @p notes note-ons, all on tick 0, never released.
std::string storm_notes(std::size_t notes)
{
    std::string ev{"\x00\x90\x3C\x40", 4};
    ev.reserve(notes * 3 + 8);
    for (std::size_t i = 1; i < notes; ++i) {
        ev += '\0';
        ev += static_cast<char>(i % 128);
        ev += '\x40';
    }
    return ev;
}

nlohmann::json import_json(temp_database const &db, std::filesystem::path const &dir)
{
    auto const [code, out] = run_midilib(db.conninfo(), {"import", "--json", dir.string()});
    EXPECT_EQ(code, 0) << out;
    return nlohmann::json::parse(out);
}

TEST(memory_bounds, a_file_of_sixty_mb_of_notes_is_analyzed_within_a_hundred_mb)
{
    temp_database db;
    temp_dir dir;
    write_smf(dir.path() / "dense.mid", dense_notes(10'400'000)); // 62 MB
    auto const summary = import_json(db, dir.path());
    EXPECT_EQ(summary["imported"], 1);
    EXPECT_EQ(summary["failed"], 0);
    EXPECT_LE(summary["peak_rss_mb"].get<double>(), 100.0);
    EXPECT_EQ(db.count_rows("file_analysis"), 1);
    EXPECT_EQ(db.scalar<long>("SELECT note_count FROM midi_files"), 10'400'000); // the facts count every note
}

// Four such files as members of one zip: each member's bytes are taken from the byte budget
// before they are decompressed, so one member is in memory at a time, as with the loose file.
TEST(memory_bounds, a_zip_of_four_sixty_mb_members_is_analyzed_within_a_hundred_and_twenty_mb)
{
    temp_database db;
    temp_dir dir;
    std::filesystem::create_directories(dir.path() / "in");
    std::vector<std::string> zip{"zip", "-q", "-1", "-j", (dir.path() / "in" / "dense.zip").string()};
    for (std::size_t i = 0; i < 4; ++i) { // four contents, none a duplicate of another
        auto const member = dir.path() / ("dense" + std::to_string(i) + ".mid");
        write_smf(member, dense_notes(10'400'000 - i));
        zip.push_back(member.string());
    }
    auto const zipped = run(zip);
    ASSERT_EQ(zipped.first, 0) << zipped.second;
    for (std::size_t i = 0; i < 4; ++i) {
        std::filesystem::remove(dir.path() / ("dense" + std::to_string(i) + ".mid"));
    }
    auto const summary = import_json(db, dir.path() / "in");
    EXPECT_EQ(summary["imported"], 4);
    EXPECT_EQ(summary["failed"], 0);
    EXPECT_LE(summary["peak_rss_mb"].get<double>(), 120.0);
    EXPECT_EQ(db.count_rows("file_analysis"), 4);
    EXPECT_EQ(db.scalar<long>("SELECT sum(note_count) FROM midi_files"), 4 * 10'400'000 - 6);
}

TEST(memory_bounds, five_million_notes_on_one_tick_stay_within_sixty_four_mb)
{
    temp_database db;
    temp_dir dir;
    write_smf(dir.path() / "storm.mid", storm_notes(5'000'000)); // 15 MB
    auto const summary = import_json(db, dir.path());
    EXPECT_EQ(summary["imported"], 1);
    EXPECT_LE(summary["peak_rss_mb"].get<double>(), 64.0);
    EXPECT_EQ(db.count_rows("file_analysis"), 1);
}
#endif

} // namespace
} // namespace midilib::testing
