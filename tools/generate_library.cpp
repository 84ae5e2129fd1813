// Writes N distinct, realistic MIDI files derived from a corpus, so that a library of a
// million files can be built without a million real files. Each output file is a corpus
// file transposed (pitched channels only), its tempo events scaled, plus one added track
// with a new track name and a text naming the variant (which also makes every file's
// content distinct). Paths look like users' packs: Genre/GenrePackNNNN/Genre_Role_Stem_BPM_Key.mid.
// Usage: generate_library CORPUS OUT N. Deterministic for the same corpus and N.

#include "smf/reader.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

/// Files per pack folder: 1,000,000 files make 10,000 folders.
constexpr std::size_t FILES_PER_FOLDER = 100;

constexpr std::array<char const *, 8> GENRES{"House",     "Techno", "Jazz",    "Folk",
                                             "Classical", "HipHop", "Ambient", "Rock"};
constexpr std::array<char const *, 10> ROLES{"Kick", "Bass",  "Lead",  "Pad",     "Chords",
                                             "Arp",  "Drums", "Piano", "Strings", "Melody"};
constexpr std::array<char const *, 12> KEYS{"C", "Db", "D", "Eb", "E", "F", "Gb", "G", "Ab", "A", "Bb", "B"};

struct source
{
    std::string stem;
    std::vector<std::uint8_t> bytes;
    double bpm = 120.0;
};

std::vector<source> load(fs::path const &corpus)
{
    std::vector<fs::path> paths;
    for (auto const &e : fs::recursive_directory_iterator{corpus}) {
        auto ext = e.path().extension().string();
        std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
        if (e.is_regular_file() && (ext == ".mid" || ext == ".midi")) {
            paths.push_back(e.path());
        }
    }
    std::sort(paths.begin(), paths.end());
    std::vector<source> out;
    for (auto const &p : paths) {
        std::ifstream in{p, std::ios::binary};
        source s{p.stem().string(), {std::istreambuf_iterator<char>{in}, {}}, 120.0};
        auto const parsed = midilib::read_smf(s.bytes);
        if (!parsed.file || parsed.file->tracks.empty() || s.bytes[0] != 'M') {
            continue; // RIFF-wrapped and unreadable files are left out
        }
        for (auto const &track : parsed.file->tracks) {
            midilib::track_cursor cursor{track};
            midilib::smf_event ev;
            while (cursor.next(ev)) {
                if (ev.kind == midilib::event_kind::meta && ev.meta_type == 0x51 && ev.payload.size() == 3) {
                    auto const us = (ev.payload[0] << 16U) | (ev.payload[1] << 8U) | ev.payload[2];
                    s.bpm = us > 0 ? 60e6 / us : 120.0;
                    break;
                }
            }
        }
        out.push_back(std::move(s));
    }
    return out;
}

void put_be32(std::vector<std::uint8_t> &b, std::size_t at, std::uint32_t v)
{
    b[at] = static_cast<std::uint8_t>(v >> 24U);
    b[at + 1] = static_cast<std::uint8_t>(v >> 16U);
    b[at + 2] = static_cast<std::uint8_t>(v >> 8U);
    b[at + 3] = static_cast<std::uint8_t>(v);
}

void meta(std::vector<std::uint8_t> &t, std::uint8_t type, std::string const &text)
{
    t.insert(t.end(), {0x00, 0xFF, type, static_cast<std::uint8_t>(std::min<std::size_t>(text.size(), 127))});
    t.insert(t.end(), text.begin(),
             text.begin() + static_cast<std::ptrdiff_t>(std::min<std::size_t>(text.size(), 127)));
}

/// Variant @p v of @p s: transposed by @p semitones, tempo scaled by @p factor, one track added.
std::vector<std::uint8_t> variant(source const &s, int semitones, double factor, std::string const &track_name,
                                  std::string const &text)
{
    auto out = s.bytes;
    auto const parsed = midilib::read_smf(s.bytes);
    for (auto const &track : parsed.file->tracks) {
        midilib::track_cursor cursor{track};
        midilib::smf_event ev;
        while (cursor.next(ev)) {
            auto const at = static_cast<std::size_t>(ev.payload.data() - s.bytes.data());
            if (ev.kind == midilib::event_kind::channel && (ev.command() == 0x80 || ev.command() == 0x90) &&
                ev.channel() != 9 && !ev.payload.empty()) {
                out[at] = static_cast<std::uint8_t>(std::clamp(static_cast<int>(ev.data1) + semitones, 0, 127));
            } else if (ev.kind == midilib::event_kind::meta && ev.meta_type == 0x51 && ev.payload.size() == 3) {
                auto const us = (ev.payload[0] << 16U) | (ev.payload[1] << 8U) | ev.payload[2];
                auto const scaled = static_cast<std::uint32_t>(std::clamp(us / factor, 1.0, 16777215.0));
                out[at] = static_cast<std::uint8_t>(scaled >> 16U);
                out[at + 1] = static_cast<std::uint8_t>(scaled >> 8U);
                out[at + 2] = static_cast<std::uint8_t>(scaled);
            }
        }
    }
    // One more track: a name and a text. Format 0 becomes 1 (two tracks).
    std::vector<std::uint8_t> t;
    meta(t, 0x03, track_name);
    meta(t, 0x01, text);
    t.insert(t.end(), {0x00, 0xFF, 0x2F, 0x00});
    if (out.size() >= 14 && out[9] == 0) {
        out[9] = 1;
    }
    std::uint16_t const tracks = static_cast<std::uint16_t>((out[10] << 8U) | out[11]) + 1;
    out[10] = static_cast<std::uint8_t>(tracks >> 8U);
    out[11] = static_cast<std::uint8_t>(tracks);
    std::size_t const at = out.size();
    out.insert(out.end(), {'M', 'T', 'r', 'k', 0, 0, 0, 0});
    put_be32(out, at + 4, static_cast<std::uint32_t>(t.size()));
    out.insert(out.end(), t.begin(), t.end());
    return out;
}

} // namespace

int main(int argc, char **argv)
{
    if (argc != 4) {
        fmt::print(stderr, "usage: generate_library CORPUS OUT N\n");
        return 2;
    }
    auto const sources = load(argv[1]);
    fs::path const out_dir = argv[2];
    std::size_t const n = std::stoul(argv[3]);
    if (sources.empty()) {
        fmt::print(stderr, "generate_library: no readable MIDI file in {}\n", argv[1]);
        return 1;
    }
    std::uint64_t bytes = 0;
    fs::path folder;
    for (std::size_t i = 0; i < n; ++i) {
        auto const &s = sources[i % sources.size()];
        std::size_t const v = i / sources.size();
        int const semitones = static_cast<int>(v % 11) - 5;
        double const factor = 0.84 + 0.04 * static_cast<double>((v / 11) % 9);
        auto const *genre = GENRES[(i / FILES_PER_FOLDER) % GENRES.size()];
        auto const *role = ROLES[(i * 7 + v) % ROLES.size()];
        if (i % FILES_PER_FOLDER == 0) {
            folder = out_dir / genre / fmt::format("{}Pack{:04}", genre, i / FILES_PER_FOLDER);
            fs::create_directories(folder);
        }
        auto const data = variant(s, semitones, factor, fmt::format("{} {}", role, v),
                                  fmt::format("midilib generated variant {} of {}", v, s.stem));
        auto const name = fmt::format("{}_{}_{}_{:.0f}_{}_v{}.mid", genre, role, s.stem, s.bpm * factor,
                                      KEYS[static_cast<std::size_t>(semitones + 12) % 12], v);
        std::ofstream{folder / name, std::ios::binary}.write(reinterpret_cast<char const *>(data.data()),
                                                             static_cast<std::streamsize>(data.size()));
        bytes += data.size();
    }
    fmt::print("{{\"bench\":\"generate\",\"generated\":{},\"bytes\":{},\"sources\":{},\"out\":\"{}\"}}\n", n, bytes,
               sources.size(), out_dir.string());
    return 0;
}
