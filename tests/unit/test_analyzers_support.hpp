#pragma once
// Helpers shared by the analyzer tests: corpus paths, ground-truth CSV rows, tiny SMF builders.

#include "smf/reader.hpp"

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

namespace midilib::test {

using bytes = std::vector<std::uint8_t>;

inline std::filesystem::path corpus_dir()
{
    return std::filesystem::path{MIDILIB_SOURCE_DIR} / ".." / "shared" / "corpus";
}

inline bytes load_file(std::filesystem::path const &p)
{
    std::ifstream in{p, std::ios::binary};
    return bytes{std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
}

/// Every .mid file under @p dir, sorted.
inline std::vector<std::filesystem::path> midi_files(std::filesystem::path const &dir)
{
    std::vector<std::filesystem::path> out;
    for (auto const &e : std::filesystem::recursive_directory_iterator{dir}) {
        if (e.is_regular_file() && e.path().extension() == ".mid") {
            out.push_back(e.path());
        }
    }
    std::sort(out.begin(), out.end());
    return out;
}

/**
 * Calls @p visit(path, file, index) for every k-th file of every corpus folder that parses with
 * ticks per quarter (k: the folder's size / @p per_folder), index being the file's place in its folder.
 */
template <typename Visit>
void for_each_corpus_sample(std::size_t per_folder, Visit visit)
{
    for (auto const &folder : std::filesystem::directory_iterator{corpus_dir()}) {
        if (!folder.is_directory()) {
            continue;
        }
        auto const files = midi_files(folder.path());
        std::size_t const step = std::max<std::size_t>(1, files.size() / per_folder);
        for (std::size_t i = 0; i < files.size(); i += step) {
            auto const data = load_file(files[i]);
            auto const parsed = read_smf(data);
            if (parsed.file && parsed.file->header.division == division_kind::ppq) {
                visit(files[i], *parsed.file, i);
            }
        }
    }
}

/// Rows of a ground-truth CSV (RFC 4180 quoting) as column name -> value.
inline std::vector<std::map<std::string, std::string>> read_csv(std::filesystem::path const &p)
{
    std::ifstream in{p, std::ios::binary};
    std::string const text{std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
    std::vector<std::vector<std::string>> rows(1);
    std::string field;
    bool quoted = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        char const c = text[i];
        if (quoted) {
            if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
                field += '"';
                ++i;
            } else if (c == '"') {
                quoted = false;
            } else {
                field += c;
            }
        } else if (c == '"') {
            quoted = true;
        } else if (c == ',') {
            rows.back().push_back(std::move(field));
            field.clear();
        } else if (c == '\n') {
            rows.back().push_back(std::move(field));
            field.clear();
            rows.emplace_back();
        } else if (c != '\r') {
            field += c;
        }
    }
    if (!field.empty() || !rows.back().empty()) {
        rows.back().push_back(std::move(field));
    }
    std::vector<std::map<std::string, std::string>> out;
    for (std::size_t r = 1; r < rows.size(); ++r) {
        if (rows[r].size() < 2) {
            continue;
        }
        std::map<std::string, std::string> row;
        for (std::size_t c = 0; c < rows[0].size() && c < rows[r].size(); ++c) {
            row[rows[0][c]] = rows[r][c];
        }
        out.push_back(std::move(row));
    }
    return out;
}

inline void put_vlq(bytes &b, std::uint32_t v)
{
    std::uint8_t tmp[5];
    int n = 0;
    tmp[n++] = v & 0x7FU;
    while ((v >>= 7U) != 0) {
        tmp[n++] = static_cast<std::uint8_t>((v & 0x7FU) | 0x80U);
    }
    while (n > 0) {
        b.push_back(tmp[--n]);
    }
}

/// Builds one track from absolute-tick events; events must be added in tick order.
class track_builder
{
public:
    void event(std::uint32_t tick, bytes const &data)
    {
        put_vlq(m_body, tick - m_tick);
        m_tick = tick;
        m_body.insert(m_body.end(), data.begin(), data.end());
    }
    void on(std::uint32_t tick, int ch, int pitch, int vel = 100)
    {
        event(tick,
              {static_cast<std::uint8_t>(0x90 | ch), static_cast<std::uint8_t>(pitch), static_cast<std::uint8_t>(vel)});
    }
    void off(std::uint32_t tick, int ch, int pitch)
    {
        event(tick, {static_cast<std::uint8_t>(0x80 | ch), static_cast<std::uint8_t>(pitch), 0});
    }
    void tempo(std::uint32_t tick, std::uint32_t us)
    {
        event(tick, {0xFF, 0x51, 0x03, static_cast<std::uint8_t>(us >> 16U), static_cast<std::uint8_t>(us >> 8U),
                     static_cast<std::uint8_t>(us)});
    }
    [[nodiscard]] bytes finish(std::uint32_t tick)
    {
        event(std::max(tick, m_tick), {0xFF, 0x2F, 0x00});
        auto const n = static_cast<std::uint32_t>(m_body.size());
        bytes b(8 + m_body.size());
        b[0] = 'M';
        b[1] = 'T';
        b[2] = 'r';
        b[3] = 'k';
        for (int i = 0; i < 4; ++i) {
            b[static_cast<std::size_t>(4 + i)] = static_cast<std::uint8_t>(n >> (24U - 8U * static_cast<unsigned>(i)));
        }
        std::copy(m_body.begin(), m_body.end(), b.begin() + 8);
        return b;
    }

private:
    bytes m_body;
    std::uint32_t m_tick = 0;
};

/// A format 0/1 file with the given division and tracks (each from track_builder::finish).
inline bytes smf(int format, std::uint16_t division, std::vector<bytes> const &tracks)
{
    bytes b{'M',
            'T',
            'h',
            'd',
            0,
            0,
            0,
            6,
            0,
            static_cast<std::uint8_t>(format),
            0,
            static_cast<std::uint8_t>(tracks.size()),
            static_cast<std::uint8_t>(division >> 8U),
            static_cast<std::uint8_t>(division)};
    for (auto const &t : tracks) {
        b.insert(b.end(), t.begin(), t.end());
    }
    return b;
}

} // namespace midilib::test
