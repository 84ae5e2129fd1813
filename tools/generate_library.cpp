// Writes N distinct, realistic MIDI files derived from a corpus, so that a library of a
// million files can be built without a million real files. Each output file is an edited copy
// of a corpus file (smf/variant.hpp): transposed (pitched channels only), its tempo scaled, and by
// turns re-saved at another resolution, in format 0 or one track per channel, with channels
// renumbered, programs, velocities and track names changed, onsets jittered, a part dropped or
// added; plus one added track with a text naming the variant (which also makes every file's content
// distinct). Paths look like users' packs: Genre/GenrePackNNNN/Genre_Role_Stem_BPM_Key.mid.
// OUT.ground-truth.csv, beside the library, names the corpus file and the edits of each output file.
// Usage: generate_library CORPUS OUT N. Deterministic for the same corpus and N.

#include "analyzers/drums.hpp"
#include "analyzers/notes.hpp"
#include "smf/reader.hpp"
#include "smf/variant.hpp"

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
    std::string path; ///< relative to the corpus
    std::vector<std::uint8_t> bytes;
    double bpm = 120.0;
    std::uint16_t drums = 0; ///< drum channels (never transposed or renumbered)
    int parts = 0;           ///< pitched channels with notes
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
        source s{p.stem().string(), fs::relative(p, corpus).string(), {std::istreambuf_iterator<char>{in}, {}}};
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
        s.drums = midilib::drum_channels(midilib::extract_notes(*parsed.file));
        s.parts = midilib::pitched_parts(*parsed.file, s.drums);
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

/// The edits of variant @p v: transposition and tempo always, the others by turns (each a different
/// period, so that their combinations vary).
midilib::variant_edits edits_of(source const &s, std::size_t v, int semitones, double factor)
{
    midilib::variant_edits e;
    e.transpose = semitones;
    e.tempo_factor = factor;
    e.seed = v + 1;
    e.ppq = v % 2 == 1 ? 960 : 0;
    e.programs = e.velocities = e.track_names = v % 3 != 0;
    e.layout = static_cast<midilib::track_layout>(v % 3);
    e.renumber_channels = v % 4 == 1;
    e.jitter_beats = v % 5 == 2 ? 0.02 : 0.0;
    e.drop_part = v % 7 == 3 && s.parts >= 3;
    e.add_part = v % 7 == 5 && s.parts >= 2;
    return e;
}

/// A short description of @p e for the ground-truth CSV ("transpose=-2 tempo=0.92 ppq=960 ...").
std::string describe(midilib::variant_edits const &e)
{
    static constexpr std::array<char const *, 3> LAYOUTS{"keep", "format0", "split"};
    return fmt::format("transpose={} tempo={:.2f} ppq={} programs={:d} layout={} renumber={:d} jitter={:.2f} "
                       "drop_part={:d} add_part={:d}",
                       e.transpose, e.tempo_factor, e.ppq, e.programs, LAYOUTS[static_cast<std::size_t>(e.layout)],
                       e.renumber_channels, e.jitter_beats, e.drop_part, e.add_part);
}

/// @p s edited by @p edits, with one track added.
std::vector<std::uint8_t> variant(source const &s, midilib::variant_edits const &edits, std::string const &track_name,
                                  std::string const &text)
{
    auto const parsed = midilib::read_smf(s.bytes);
    auto out = midilib::make_variant(*parsed.file, edits, s.drums);
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

/// @p text as one CSV field (RFC 4180: quoted when it holds a comma, quote or line break).
std::string csv_field(std::string const &text)
{
    if (text.find_first_of(",\"\n\r") == std::string::npos) {
        return text;
    }
    std::string out = "\"";
    for (char c : text) {
        out += c == '"' ? std::string{"\"\""} : std::string(1, c);
    }
    return out + "\"";
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
    fs::create_directories(out_dir);
    std::ofstream truth{out_dir.string() + ".ground-truth.csv", std::ios::binary};
    truth << "file,source,variant,edits\n";
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
        auto const edits = edits_of(s, v, semitones, factor);
        auto const data = variant(s, edits, fmt::format("{} {}", role, v),
                                  fmt::format("midilib generated variant {} of {}", v, s.stem));
        auto const name = fmt::format("{}_{}_{}_{:.0f}_{}_v{}.mid", genre, role, s.stem, s.bpm * factor,
                                      KEYS[static_cast<std::size_t>(semitones + 12) % 12], v);
        std::ofstream{folder / name, std::ios::binary}.write(reinterpret_cast<char const *>(data.data()),
                                                             static_cast<std::streamsize>(data.size()));
        truth << csv_field(fs::relative(folder / name, out_dir).string()) << ',' << csv_field(s.path) << ',' << v << ','
              << describe(edits) << '\n';
        bytes += data.size();
    }
    fmt::print("{{\"bench\":\"generate\",\"generated\":{},\"bytes\":{},\"sources\":{},\"out\":\"{}\"}}\n", n, bytes,
               sources.size(), out_dir.string());
    return 0;
}
