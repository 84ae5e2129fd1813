// Differential test: libsmf as the oracle. libsmf aborts the process on some files, so each
// file is loaded in a forked child that reports its counts through a pipe.

#include "analyzers/file_facts.hpp"
#include "smf/reader.hpp"

#include <smf.h>

#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>

namespace midilib {
namespace {

struct counts
{
    int tracks = 0;
    long note_on = 0;
    long tempo = 0;
};

counts libsmf_counts_in_child(char const *path)
{
    counts c;
    smf_t *smf = smf_load(path);
    if (smf == nullptr) {
        ::_exit(3);
    }
    c.tracks = smf->number_of_tracks;
    for (int t = 1; t <= smf->number_of_tracks; ++t) {
        smf_track_t *track = smf_get_track_by_number(smf, t);
        smf_event_t *ev = nullptr;
        while ((ev = smf_track_get_next_event(track)) != nullptr) {
            auto const *b = ev->midi_buffer;
            if (ev->midi_buffer_length >= 3 && (b[0] & 0xF0) == 0x90 && b[2] > 0) {
                ++c.note_on;
            } else if (ev->midi_buffer_length >= 2 && b[0] == 0xFF && b[1] == 0x51) {
                ++c.tempo;
            }
        }
    }
    return c;
}

/// libsmf's counts for @p path, or nothing when it rejects (or aborts on) the file.
std::optional<counts> libsmf_counts(std::filesystem::path const &path)
{
    int fds[2];
    if (::pipe(fds) != 0) {
        return std::nullopt;
    }
    pid_t const pid = ::fork();
    if (pid == 0) {
        ::close(fds[0]);
        ::freopen("/dev/null", "w", stderr); // libsmf is chatty about every defect
        counts const c = libsmf_counts_in_child(path.c_str());
        if (::write(fds[1], &c, sizeof c) != sizeof c) {
            ::_exit(4);
        }
        ::_exit(0);
    }
    ::close(fds[1]);
    counts c;
    auto const n = ::read(fds[0], &c, sizeof c);
    ::close(fds[0]);
    int status = 0;
    ::waitpid(pid, &status, 0);
    if (n != sizeof c || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        return std::nullopt;
    }
    return c;
}

/// Files where libsmf, not our reader, is off; each still has to read with warnings here.
constexpr std::array<std::pair<char const *, char const *>, 7> LIBSMF_DIFFERS{{
    {"test-illegal-message-all.mid", "libsmf mis-sizes undefined F4/F5/FD bytes and loses the scale after them"},
    {"test-illegal-message-f4.mid", "same: the file plays an 8-note C major scale, which we count"},
    {"test-illegal-message-f5.mid", "same"},
    {"test-illegal-message-fd.mid", "same"},
    {"test-non-midi-track.mid", "libsmf counts the unknown 'Junk' chunk as a track"},
    {"test-running-status-metaevent.mid", "libsmf drops running-status notes after a meta event"},
    {"MIDIBadTrackHdr.mid", "libsmf skips the misspelled 'mTrk' chunk; we read it as the track it is"},
}};

char const *known_difference(std::filesystem::path const &p)
{
    for (auto const &[name, why] : LIBSMF_DIFFERS) {
        if (p.filename() == name) {
            return why;
        }
    }
    return nullptr;
}

// Every corpus file libsmf accepts gives the same tracks, note-ons and tempo events with our reader.
TEST(smf_oracle, corpus_agrees_with_libsmf)
{
    std::filesystem::path const corpus = std::filesystem::path{MIDILIB_SOURCE_DIR} / ".." / "shared" / "corpus";
    if (!std::filesystem::is_directory(corpus)) {
        GTEST_SKIP() << "../shared/corpus not found";
    }
    int accepted = 0;
    int rejected = 0;
    int ours_only = 0;
    int differing = 0;
    for (auto const &entry : std::filesystem::recursive_directory_iterator{corpus}) {
        if (entry.path().extension() != ".mid") {
            continue;
        }
        auto const oracle = libsmf_counts(entry.path());
        std::ifstream in{entry.path(), std::ios::binary};
        std::vector<std::uint8_t> const bytes{std::istreambuf_iterator<char>{in}, {}};
        auto const ours = read_smf(bytes);
        if (!oracle) {
            ++rejected;
            ours_only += ours.file ? 1 : 0;
            continue;
        }
        ++accepted;
        ASSERT_TRUE(ours.file.has_value()) << entry.path() << ": " << ours.error;
        auto const f = extract_facts(*ours.file);
        if (char const *why = known_difference(entry.path())) {
            std::printf("not compared: %s (%s)\n", entry.path().filename().c_str(), why);
            EXPECT_FALSE(f.warnings.empty()) << entry.path();
            ++differing;
            continue;
        }
        EXPECT_EQ(static_cast<int>(f.track_count), oracle->tracks) << entry.path();
        EXPECT_EQ(static_cast<long>(f.note_count), oracle->note_on) << entry.path();
        EXPECT_EQ(static_cast<long>(f.tempo.tempo_events), oracle->tempo) << entry.path();
    }
    std::printf("libsmf accepted %d files (%d compared, %d known differences), rejected %d (our reader reads %d)\n",
                accepted, accepted - differing, differing, rejected, ours_only);
    EXPECT_LE(differing, static_cast<int>(LIBSMF_DIFFERS.size()));
    EXPECT_GT(accepted, 4000);
}

} // namespace
} // namespace midilib
