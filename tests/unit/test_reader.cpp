// The tolerant SMF reader on hand-built byte sequences, one defect at a time.

#include "analyzers/file_facts.hpp"
#include "analyzers/tempo_map.hpp"
#include "smf/reader.hpp"
#include "smf/text.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace midilib {
namespace {

using bytes = std::vector<std::uint8_t>;

bytes header(int format, int tracks, int division_hi, int division_lo, std::uint32_t len = 6)
{
    bytes b{'M',
            'T',
            'h',
            'd',
            0,
            0,
            0,
            static_cast<std::uint8_t>(len),
            0,
            static_cast<std::uint8_t>(format),
            0,
            static_cast<std::uint8_t>(tracks),
            static_cast<std::uint8_t>(division_hi),
            static_cast<std::uint8_t>(division_lo)};
    b.resize(8 + len, 0);
    return b;
}

bytes chunk(char const *tag, bytes const &body, std::size_t declared)
{
    bytes b{static_cast<std::uint8_t>(tag[0]),          static_cast<std::uint8_t>(tag[1]),
            static_cast<std::uint8_t>(tag[2]),          static_cast<std::uint8_t>(tag[3]),
            static_cast<std::uint8_t>(declared >> 24U), static_cast<std::uint8_t>(declared >> 16U),
            static_cast<std::uint8_t>(declared >> 8U),  static_cast<std::uint8_t>(declared)};
    b.insert(b.end(), body.begin(), body.end());
    return b;
}

bytes track(bytes const &events) { return chunk("MTrk", events, events.size()); }

bytes operator+(bytes a, bytes const &b)
{
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

bytes const EOT{0x00, 0xFF, 0x2F, 0x00};
bytes const NOTE{0x00, 0x90, 60, 100, 0x60, 0x80, 60, 0};

bool has_warning(std::vector<std::string> const &w, std::string const &part)
{
    for (auto const &s : w) {
        if (s.find(part) != std::string::npos) {
            return true;
        }
    }
    return false;
}

file_facts facts_of(bytes const &b)
{
    auto r = read_smf(b);
    EXPECT_TRUE(r.file.has_value()) << r.error;
    return r.file ? extract_facts(*r.file) : file_facts{};
}

// A clean format-0 file: one track, one note, no warnings.
TEST(reader, clean_file)
{
    auto const f = facts_of(header(0, 1, 0x01, 0xE0) + track(NOTE + EOT));
    EXPECT_EQ(f.track_count, 1U);
    EXPECT_EQ(f.note_count, 1U);
    EXPECT_EQ(f.duration_ticks, 0x60U);
    EXPECT_DOUBLE_EQ(f.duration_seconds, 0.1); // 96 ticks at 480 ppq, 120 bpm
    EXPECT_TRUE(f.warnings.empty());
}

// Running status continues note events, also after a meta event (with a warning).
TEST(reader, running_status_after_meta)
{
    bytes const events{0x00, 0x90, 60, 100, 0x10, 62, 100, 0x00, 0xFF, 0x01, 0x01, 'x', 0x10, 64, 100};
    auto const f = facts_of(header(0, 1, 0x00, 0x60) + track(events + EOT));
    EXPECT_EQ(f.note_count, 3U);
    EXPECT_TRUE(has_warning(f.warnings, "running status used after a meta"));
}

// SysEx packets (F0 then F7 continuation) are skipped by length; notes after them are read.
TEST(reader, sysex_continuation)
{
    bytes const events{0x00, 0xF0, 0x03, 0x43, 0x12, 0x00, 0x00, 0xF7, 0x02, 0x07, 0xF7};
    auto const f = facts_of(header(0, 1, 0x00, 0x60) + track(events + NOTE + EOT));
    EXPECT_EQ(f.note_count, 1U);
    EXPECT_TRUE(f.warnings.empty());
}

// Unknown chunks are skipped with a warning; the track after them is read.
TEST(reader, unknown_chunk_skipped)
{
    auto const f = facts_of(header(1, 1, 0x00, 0x60) + chunk("Junk", {1, 2, 3}, 3) + track(NOTE + EOT));
    EXPECT_EQ(f.track_count, 1U);
    EXPECT_TRUE(has_warning(f.warnings, "unknown chunk"));
}

// A RIFF RMID wrapper is unwrapped.
TEST(reader, riff_rmid)
{
    bytes const smf = header(0, 1, 0x00, 0x60) + track(NOTE + EOT);
    auto const n = static_cast<std::uint8_t>(smf.size());
    bytes riff{'R', 'I', 'F', 'F', static_cast<std::uint8_t>(n + 12), 0, 0, 0, 'R', 'M', 'I', 'D', 'd', 'a', 't', 'a',
               n,   0,   0,   0};
    auto const f = facts_of(riff + smf);
    EXPECT_EQ(f.note_count, 1U);
}

// A track length past the end of the file: what is there is read, with a warning.
TEST(reader, track_length_past_end)
{
    auto const f = facts_of(header(0, 1, 0x00, 0x60) + chunk("MTrk", NOTE + EOT, 500));
    EXPECT_EQ(f.note_count, 1U);
    EXPECT_TRUE(has_warning(f.warnings, "runs past end of file"));
}

// A missing End-of-Track is a warning.
TEST(reader, missing_end_of_track)
{
    auto const f = facts_of(header(0, 1, 0x00, 0x60) + track(NOTE));
    EXPECT_EQ(f.note_count, 1U);
    EXPECT_TRUE(has_warning(f.warnings, "no End-of-Track"));
}

// Trailing garbage after the last chunk is a warning.
TEST(reader, trailing_garbage)
{
    auto const f = facts_of(header(0, 1, 0x00, 0x60) + track(NOTE + EOT) + bytes{0x00, 0x01, 0x02});
    EXPECT_EQ(f.note_count, 1U);
    EXPECT_TRUE(has_warning(f.warnings, "trailing garbage"));
}

// The header's track count may differ from the real one: the real one is used.
TEST(reader, header_track_count_mismatch)
{
    auto const f = facts_of(header(1, 3, 0x00, 0x60) + track(NOTE + EOT) + track(NOTE + EOT));
    EXPECT_EQ(f.track_count, 2U);
    EXPECT_EQ(f.declared_tracks, 3U);
    EXPECT_TRUE(has_warning(f.warnings, "declares 3 tracks"));
}

// ppq 0 gives a warning and zero times, no hang and no division by zero.
TEST(reader, ppq_zero)
{
    auto const f = facts_of(header(0, 1, 0x00, 0x00) + track(NOTE + EOT));
    EXPECT_EQ(f.note_count, 1U);
    EXPECT_EQ(f.duration_seconds, 0.0);
    EXPECT_TRUE(has_warning(f.warnings, "division is 0"));
}

// SMPTE division: 25 fps x 40 ticks per frame = 1 ms per tick.
TEST(reader, smpte_division)
{
    auto const f = facts_of(header(0, 1, 0xE7, 40) + track(NOTE + EOT)); // -25
    EXPECT_EQ(f.division, division_kind::smpte);
    EXPECT_EQ(f.smpte_fps, 25U);
    EXPECT_NEAR(f.duration_seconds, 0.096, 1e-9);
}

// Illegal system bytes (F1-FE) inside a track are skipped with their data, with a warning.
TEST(reader, illegal_system_messages)
{
    bytes const events{0x00, 0xF1, 0x10, 0x00, 0xF2, 0x01, 0x02, 0x00, 0xF8, 0x00, 0xFE};
    auto const f = facts_of(header(0, 1, 0x00, 0x60) + track(events + NOTE + EOT));
    EXPECT_EQ(f.note_count, 1U);
    EXPECT_TRUE(has_warning(f.warnings, "system common or real-time"));
}

// A file without MThd, an empty file and a header without tracks are errors, not crashes.
TEST(reader, unusable_files_are_errors)
{
    EXPECT_EQ(read_smf(bytes{}).error, "empty file");
    EXPECT_NE(read_smf(bytes{'h', 'e', 'l', 'l', 'o'}).error.find("no MThd"), std::string::npos);
    EXPECT_NE(read_smf(header(0, 1, 0, 0x60)).error.find("no track"), std::string::npos);
}

// Tempo changes: time-weighted mean BPM, min/max and seconds through the map.
TEST(facts, tempo_map_time_weighted)
{
    // 4 beats at 120 bpm (2 s), then 4 beats at 60 bpm (4 s): 8 beats in 6 s = 80 bpm.
    bytes const events{0x00, 0xFF, 0x51, 0x03, 0x07, 0xA1, 0x20, 0x83, 0x00, 0xFF,
                       0x51, 0x03, 0x0F, 0x42, 0x40, 0x83, 0x00, 0xFF, 0x2F, 0x00};
    auto const f = facts_of(header(0, 1, 0x00, 0x60) + track(events));
    EXPECT_NEAR(f.duration_seconds, 6.0, 1e-9);
    EXPECT_NEAR(f.tempo.mean_bpm, 80.0, 1e-9);
    EXPECT_NEAR(f.tempo.min_bpm, 60.0, 1e-9);
    EXPECT_NEAR(f.tempo.max_bpm, 120.0, 1e-9);
    EXPECT_EQ(f.tempo.tempo_events, 2U);
}

// Time and key signatures are reported as declared.
TEST(facts, signatures)
{
    bytes const events{0x00, 0xFF, 0x58, 0x04, 3, 2, 24, 8, 0x00, 0xFF, 0x59, 0x02, 0x01, 0x01};
    auto const f = facts_of(header(0, 1, 0x00, 0x60) + track(events + EOT));
    ASSERT_EQ(f.time_signatures.size(), 1U);
    EXPECT_EQ(f.time_signatures[0], "3/4@0");
    ASSERT_EQ(f.key_signatures.size(), 1U);
    EXPECT_EQ(f.key_signatures[0], "E minor@0");
}

// Text: valid UTF-8 passes, CP1252 is decoded, NUL is dropped, the cap cuts on a character.
TEST(text, decoding)
{
    EXPECT_EQ(to_utf8(std::string_view{"Caf\xC3\xA9"}), "Café");
    EXPECT_EQ(to_utf8(std::string_view{"Caf\xE9 \x80"}), "Café €");
    EXPECT_EQ(to_utf8(std::string_view{"a\0b", 3}), "ab");
    EXPECT_EQ(to_utf8(std::string_view{"\xC0\xAF"}), "À¯");           // overlong: not UTF-8
    EXPECT_EQ(to_utf8(std::string_view{"\xED\xA0\x80"}), "í\u00A0€"); // encoded surrogate: not UTF-8
    EXPECT_EQ(to_utf8(std::string_view{"éé"}, 3), "é");
}

TEST(text, terminal_safe_escapes_every_control_character)
{
    // A window-title OSC, a CSI colour, a bell, a C1 CSI (U+009B), DEL, tab and newline.
    EXPECT_EQ(terminal_safe("\x1B]0;owned\x07name"), "\\e]0;owned\\x07name");
    EXPECT_EQ(terminal_safe("\x1B[31mred"), "\\e[31mred");
    EXPECT_EQ(terminal_safe("a\xC2\x9B"
                            "2Jb\x7F"),
              "a\\u009b2Jb\\x7f");
    EXPECT_EQ(terminal_safe("one\ttwo\nthree\r"), "one\\ttwo\\nthree\\r");
    // Printable text, backslashes and other non-ASCII letters pass unchanged.
    EXPECT_EQ(terminal_safe("Caf\xC3\xA9 \\ \xC2\xA0\xE2\x82\xAC"), "Caf\xC3\xA9 \\ \xC2\xA0\xE2\x82\xAC");
    EXPECT_EQ(terminal_safe(""), "");
    // Bytes that are not UTF-8 (a Latin-1 name, a lone 8-bit CSI) are escaped one by one.
    EXPECT_EQ(terminal_safe("caf\xE9 \x9B"
                            "2J \xC2"),
              "caf\\xe9 \\x9b2J \\xc2");
}

// Truncations at every length and seeded random byte flips never crash or hang.
TEST(reader, mutations_terminate)
{
    bytes const base = header(1, 2, 0x01, 0xE0) +
                       track(bytes{0x00, 0xFF, 0x03, 0x02, 'h', 'i', 0x00, 0xFF, 0x51, 0x03, 0x07, 0xA1, 0x20} + NOTE +
                             EOT) +
                       track(NOTE + NOTE + EOT);
    for (std::size_t n = 0; n <= base.size(); ++n) {
        auto const r = read_smf(std::span{base.data(), n});
        if (r.file) {
            (void)extract_facts(*r.file);
        }
    }
    std::mt19937 rng{42};
    for (int i = 0; i < 5000; ++i) {
        bytes b = base;
        for (int k = 0; k < 4; ++k) {
            b[rng() % b.size()] = static_cast<std::uint8_t>(rng());
        }
        auto const r = read_smf(b);
        if (r.file) {
            auto const f = extract_facts(*r.file);
            EXPECT_LE(f.warnings.size(), 33U);
        }
    }
}

} // namespace
} // namespace midilib
