#include "pipeline/file_source.hpp"

#include "smf/text.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace midilib {

namespace fs = std::filesystem;

namespace {

/// Files stat'ed and checked against the library per round trip. The first chunk is small
/// so the graph starts at once; chunks then double up to the largest, which bounds both
/// the round trips of a re-run and the items a chunk holds.
constexpr std::size_t FIRST_CHUNK = 64;
constexpr std::size_t LARGEST_CHUNK = 1024;

/// Files walked and waiting for the library's answer: the walk goes on while the library
/// answers (and while the first connection opens), holding at most this many paths.
constexpr std::size_t MAX_PENDING_FILES = 2 * LARGEST_CHUNK;

/// Decodes each path component on its own, so one Latin-1 file name does not re-decode
/// the valid UTF-8 folder names around it.
std::string path_to_utf8(std::string const &fs_path)
{
    if (is_valid_utf8({reinterpret_cast<std::uint8_t const *>(fs_path.data()), fs_path.size()})) {
        return fs_path;
    }
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

std::vector<fs::path> normalize_roots(std::vector<fs::path> const &roots)
{
    std::vector<fs::path> out;
    for (auto const &root : roots) {
        std::error_code ec;
        if (root.empty()) {
            throw std::runtime_error{"an empty path was given: name a folder or a file to import"};
        }
        if (!fs::exists(root, ec)) {
            // a symlink loop or an unsearchable folder is not "no such file"
            throw std::runtime_error{
                fmt::format("{}: {}", root.string(), ec ? ec.message() : std::string{"no such file or folder"})};
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
    folder_walk walk{roots, false};
    walk_entry entry;
    std::uint64_t n = 0;
    while (!stop && walk.next(entry)) {
        ++n;
    }
    return n;
}

file_source::file_source(std::vector<fs::path> roots, connection_pool &pool, item_pool &items, import_stats &stats,
                         std::atomic<bool> const &stop, byte_budget &archive_bytes, archive_limits limits)
: m_walk(std::move(roots)), m_chunk_size(FIRST_CHUNK), m_pool(pool), m_items(items), m_stats(stats), m_stop(stop),
  m_archive_bytes(archive_bytes), m_limits(limits)
{}

file_source::~file_source()
{
    for (auto &p : m_pending) {
        p.known.wait(); // the query threads use this object's pool and chunks
    }
}

bool file_source::has_work()
{
    while (m_ready.empty() && m_to_read.empty() && !m_stop) {
        if (m_archive || !m_archives.empty()) {
            next_member(); // archives found so far are read before walking on
        } else if (!(m_exhausted && m_pending.empty())) {
            refill(); // a chunk may be entirely unchanged files: keep walking
        } else {
            break;
        }
    }
    if (m_stop && m_archive) {
        m_archive->progress->finish(false); // never recorded: the next run reads it again
        m_archive.reset();
    }
    return !(m_ready.empty() && m_to_read.empty()) && !m_stop;
}

void file_source::next_member()
{
    if (!m_archive) {
        // A member's bytes are taken from the budget before they are decompressed: the next large
        // member waits for the last one's parse instead of sitting in memory beside it.
        m_archive.emplace(m_archives.front(), m_limits, [this](std::uint64_t more, std::uint64_t held) {
            m_archive_bytes.acquire(more, held, [this] { return m_stop.load(); });
        });
        spdlog::debug("{}: reading archive", m_archives.front().file.path);
        m_archives.pop_front();
    }
    archive_member member;
    if (!m_archive->reader.next(member)) {
        if (m_archive->progress->finish(m_archive->reader.complete())) {
            // Every member's batch has committed already (or it had no MIDI member).
            auto cx = m_pool.acquire();
            record_archive(*cx, {m_archive->progress->path, m_archive->progress->size, m_archive->progress->mtime_us},
                           m_archive->progress->members());
        }
        m_archive.reset();
        return;
    }
    auto *item = m_items.acquire();
    item->stored.path = path_to_utf8(member.path);
    item->stored.fs_path = member.path;
    item->stored.size = member.size;
    item->stored.mtime_us = member.mtime_us;
    ++m_stats.scanned;
    if (!member.error.empty()) {
        if (member.held > 0) { // it failed while its bytes were read
            m_archive_bytes.release(member.held);
        }
        item->stored.fail("archive", std::move(member.error));
        spdlog::warn("{}: archive: {}", item->stored.path, item->stored.error_reason);
    } else {
        item->budgeted = member.held; // its buffer's capacity, returned after the parse
        item->bytes = std::move(member.bytes);
        item->preloaded = true;
    }
    if (!member.archive_failed) {
        item->archive = m_archive->progress; // an error of the archive itself is not one of its members
        m_archive->progress->add_member();
    }
    m_ready.push_back(item);
}

file_item *file_source::operator()(tbb::flow_control &fc)
{
    if (!has_work()) {
        for (auto &p : m_pending) {
            p.known.wait();
        }
        m_pending.clear();
        for (auto *item : m_ready) { // found, never sent: left for the next run
            if (item->budgeted > 0) {
                m_archive_bytes.release(item->budgeted);
            }
            if (item->archive) {
                item->archive->member_done(false);
            }
            ++m_stats.stopped;
            m_items.release(item);
        }
        m_ready.clear();
        m_stats.stopped += m_to_read.size();
        m_to_read.clear();
        fc.stop();
        return nullptr;
    }
    if (!m_ready.empty()) {
        auto *item = m_ready.front();
        m_ready.pop_front();
        return item;
    }
    auto &found = m_to_read.front();
    auto *item = m_items.acquire();
    item->stored.fs_path = std::move(found.fs_path);
    item->stored.path = std::move(found.file.path);
    item->stored.size = found.file.size;
    item->stored.mtime_us = found.file.mtime_us;
    m_to_read.pop_front();
    return item;
}

void file_source::refill()
{
    if (!m_exhausted) {
        chunk next = walk_chunk();
        spdlog::trace("walked {}", next.candidates.size());
        if (!next.candidates.empty()) {
            m_pending_files += next.candidates.size();
            auto &p = m_pending.emplace_back(std::move(next)); // a deque: p stays where it is
            p.known = std::async(std::launch::async, [this, &candidates = p.files.candidates] {
                std::lock_guard one_at_a_time{m_check_mutex}; // on one connection, in walk order
                auto cx = m_pool.acquire();
                return known_paths(*cx, candidates);
            });
        }
    }
    if (!m_pending.empty() && (m_pending_files >= MAX_PENDING_FILES || m_exhausted)) {
        m_pending_files -= m_pending.front().files.candidates.size();
        settle(m_pending.front().files, m_pending.front().known.get());
        m_pending.pop_front();
        spdlog::trace("settled");
    }
}

file_source::chunk file_source::walk_chunk()
{
    chunk c;
    std::size_t root = 0;
    while (c.candidates.size() < m_chunk_size && !m_stop) {
        if (!m_entry_held && !m_walk.next(m_entry)) {
            m_exhausted = true;
            break;
        }
        // A chunk stays inside one root, so its paths span a tight range of the library.
        if (!c.candidates.empty() && m_entry.root != root) {
            m_entry_held = true;
            break;
        }
        m_entry_held = false;
        root = m_entry.root;
        if (!m_entry.error.empty()) {
            ++m_stats.scanned;
            auto *item = m_items.acquire();
            item->stored.fs_path = std::move(m_entry.fs_path);
            item->stored.path = path_to_utf8(item->stored.fs_path);
            item->stored.fail("scan", m_entry.error);
            spdlog::warn("{}: scan: {}", item->stored.path, m_entry.error);
            m_ready.push_back(item); // unknown size/mtime: always reported, never skipped
            continue;
        }
        c.candidates.push_back({path_to_utf8(m_entry.fs_path), m_entry.size, m_entry.mtime_us});
        c.fs_paths.push_back(std::move(m_entry.fs_path));
    }
    m_chunk_size = std::min(m_chunk_size * 2, LARGEST_CHUNK);
    return c;
}

void file_source::settle(chunk &c, std::vector<std::uint64_t> const &known)
{
    // A skipped file costs a stat and a string; a file to read gets its item when it is sent.
    for (std::size_t i = 0; i < c.candidates.size(); ++i) {
        if (known[i] > 0) {
            m_stats.scanned += known[i]; // an unchanged archive counts as the members it holds
            m_stats.skipped += known[i];
            continue;
        }
        if (is_archive_name(c.fs_paths[i])) {
            m_archives.push_back({std::move(c.fs_paths[i]), std::move(c.candidates[i])}); // members counted when read
            continue;
        }
        ++m_stats.scanned;
        m_to_read.push_back({std::move(c.fs_paths[i]), std::move(c.candidates[i])});
    }
}

} // namespace midilib
