#include "pipeline/file_source.hpp"

#include "smf/text.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace midilib {

namespace fs = std::filesystem;

namespace {

/// Files stat'ed and checked against the library per round trip. Larger chunks mean fewer
/// round trips on a re-run (one query per chunk); smaller ones start the graph sooner.
constexpr std::size_t KNOWN_CHECK_CHUNK = 2048;

bool stat_file(std::string const &fs_path, std::uint64_t &size, std::int64_t &mtime_us, std::string &error)
{
    struct stat st{};
    if (::stat(fs_path.c_str(), &st) != 0) {
        error = std::strerror(errno);
        return false;
    }
    size = static_cast<std::uint64_t>(st.st_size);
    mtime_us = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000 + st.st_mtim.tv_nsec / 1000;
    return true;
}

/// Decodes each path component on its own, so one Latin-1 file name does not re-decode
/// the valid UTF-8 folder names around it.
std::string path_to_utf8(std::string const &fs_path)
{
    std::string out;
    std::size_t start = 0;
    while (start <= fs_path.size()) {
        auto const end = std::min(fs_path.find('/', start), fs_path.size());
        out += to_utf8(std::string_view{fs_path}.substr(start, end - start));
        if (end < fs_path.size()) {
            out += '/';
        }
        start = end + 1;
    }
    return out;
}

} // namespace

bool is_midi_file_name(fs::path const &path)
{
    static constexpr std::array<std::string_view, 5> EXTENSIONS{".mid", ".midi", ".kar", ".rmi", ".smf"};
    auto ext = path.extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
    return std::find(EXTENSIONS.begin(), EXTENSIONS.end(), ext) != EXTENSIONS.end();
}

std::vector<fs::path> normalize_roots(std::vector<fs::path> const &roots)
{
    std::vector<fs::path> out;
    for (auto const &root : roots) {
        std::error_code ec;
        if (!fs::exists(root, ec)) {
            throw std::runtime_error{fmt::format("{}: no such file or folder", root.string())};
        }
        out.push_back(fs::absolute(root).lexically_normal());
        if (out.back().has_filename() == false && out.back() != out.back().root_path()) {
            out.back() = out.back().parent_path();
        }
    }
    auto const inside = [](fs::path const &p, fs::path const &root) {
        auto const rel = p.lexically_relative(root);
        return !rel.empty() && *rel.begin() != "..";
    };
    std::vector<fs::path> folded;
    for (std::size_t i = 0; i < out.size(); ++i) {
        bool covered = false;
        for (std::size_t j = 0; j < out.size() && !covered; ++j) {
            covered = (j != i) && inside(out[i], out[j]) && (out[i] != out[j] || j < i);
        }
        if (!covered) {
            folded.push_back(out[i]);
        }
    }
    return folded;
}

std::uint64_t count_files(std::vector<fs::path> const &roots, std::atomic<bool> const &stop)
{
    std::uint64_t n = 0;
    for (auto const &root : roots) {
        std::error_code ec;
        if (!fs::is_directory(root, ec)) {
            ++n;
            continue;
        }
        for (fs::recursive_directory_iterator it{root, fs::directory_options::skip_permission_denied, ec}, end;
             !ec && it != end && !stop; it.increment(ec)) {
            if (is_midi_file_name(it->path()) && it->is_regular_file(ec)) {
                ++n;
            }
        }
    }
    return n;
}

file_source::file_source(std::vector<fs::path> roots, connection_pool &pool, item_pool &items, import_stats &stats,
                         std::atomic<bool> const &stop)
: m_roots(std::move(roots)), m_pool(pool), m_items(items), m_stats(stats), m_stop(stop)
{}

file_item *file_source::operator()(tbb::flow_control &fc)
{
    while (m_ready.empty() && !m_stop && !m_exhausted) {
        refill(); // a chunk may be entirely unchanged files: keep walking
    }
    if (m_ready.empty() || m_stop) {
        for (auto *item : m_ready) {
            m_items.release(item);
        }
        m_ready.clear();
        fc.stop();
        return nullptr;
    }
    auto *item = m_ready.front();
    m_ready.pop_front();
    return item;
}

bool file_source::next_candidate(std::string &fs_path)
{
    while (m_root < m_roots.size()) {
        auto const &root = m_roots[m_root];
        std::error_code ec;
        if (!m_walk) {
            if (!fs::is_directory(root, ec)) {
                ++m_root; // a file named on the command line is taken whatever its extension
                fs_path = root.native();
                return true;
            }
            m_walk.emplace(root, fs::directory_options::skip_permission_denied, ec);
            if (ec) {
                emit_scan_error(root, ec.message());
                m_walk.reset();
                ++m_root;
                continue;
            }
        } else {
            m_walk->increment(ec);
            if (ec) {
                emit_scan_error(root, ec.message());
                m_walk.reset();
                ++m_root;
                continue;
            }
        }
        for (; *m_walk != fs::recursive_directory_iterator{}; m_walk->increment(ec)) {
            if (ec) {
                break;
            }
            auto const &entry = **m_walk;
            if (is_midi_file_name(entry.path()) && entry.is_regular_file(ec)) {
                fs_path = entry.path().native();
                return true;
            }
        }
        if (ec) {
            emit_scan_error(root, ec.message());
        }
        m_walk.reset();
        ++m_root;
    }
    return false;
}

void file_source::emit_scan_error(fs::path const &where, std::string const &reason)
{
    auto *item = m_items.acquire();
    item->fs_path = where.native();
    item->path = path_to_utf8(item->fs_path);
    item->fail("scan", reason);
    spdlog::warn("{}: scan: {}", item->path, reason);
    ++m_stats.scanned;
    m_ready.push_back(item);
}

void file_source::refill()
{
    std::vector<path_candidate> chunk;
    std::vector<file_item *> items;
    std::string fs_path;
    while (chunk.size() < KNOWN_CHECK_CHUNK && !m_stop) {
        if (!next_candidate(fs_path)) {
            m_exhausted = true;
            break;
        }
        auto *item = m_items.acquire();
        item->fs_path = fs_path;
        item->path = path_to_utf8(fs_path);
        ++m_stats.scanned;
        std::string error;
        if (!stat_file(item->fs_path, item->size, item->mtime_us, error)) {
            item->fail("scan", error);
            spdlog::warn("{}: scan: {}", item->path, error);
            m_ready.push_back(item); // unknown size/mtime: always reported, never skipped
            continue;
        }
        chunk.push_back({item->path, item->size, item->mtime_us});
        items.push_back(item);
    }
    if (chunk.empty()) {
        return;
    }
    std::vector<bool> known;
    {
        auto cx = m_pool.acquire();
        known = known_paths(*cx, chunk);
    }
    for (std::size_t i = 0; i < items.size(); ++i) {
        if (known[i]) {
            ++m_stats.skipped;
            m_items.release(items[i]);
        } else {
            m_ready.push_back(items[i]);
        }
    }
}

} // namespace midilib
