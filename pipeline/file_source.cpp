#include "pipeline/file_source.hpp"

#include "smf/text.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <unordered_set>

#include <sys/stat.h>

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

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

/// True when key @p key is @p root or under it (a file of the folder, a member of the archive).
bool under_root(std::string_view key, std::string_view root)
{
    if (key == root) {
        return true;
    }
    std::string_view folder = root;
    while (!folder.empty() && folder.back() == '/') {
        folder.remove_suffix(1);
    }
    return (starts_with(key, folder) && key.size() > folder.size() && key[folder.size()] == '/') ||
           (starts_with(key, root) && key.size() > root.size() && key[root.size()] == '\0');
}

/// True unless the file system says @p fs_path does not exist (a folder that cannot be
/// searched says nothing: what is under it is kept).
bool may_exist(std::string const &fs_path)
{
    struct stat st
    {
    };
    return ::lstat(fs_path.c_str(), &st) == 0 || (errno != ENOENT && errno != ENOTDIR);
}

/// The file on disk that holds key @p key: the file itself, or the archive a member is in.
std::string_view disk_file(std::string_view key) { return key.substr(0, key.find('\0')); }

/// True when @p p is gone from the disk: neither the file nor the archive that would hold it is there.
bool gone_from_disk(unwalked_path const &p) { return !may_exist(std::string{disk_file(p.key)}); }

/// True when @p key is a member of an archive in @p walked (keys of files the walk found).
bool in_walked_archive(std::string_view key, std::unordered_set<std::string_view> const &walked)
{
    return key.find('\0') != std::string_view::npos && walked.count(disk_file(key)) > 0;
}

/// The roots' keys, each with the range of keys that can be under it: a folder's "folder/..."
/// (below "folder0": '0' follows '/'), a file's own key and, for an archive, its members
/// "file\0..." (below "file\1").
std::vector<file_source::root_range> root_ranges(std::vector<fs::path> const &roots)
{
    std::vector<file_source::root_range> out;
    for (auto const &root : roots) {
        auto key = root.string();
        std::error_code ec;
        if (fs::is_directory(root, ec)) {
            auto folder = key;
            while (!folder.empty() && folder.back() == '/') {
                folder.pop_back(); // the root folder "/" holds everything from "/" to "0"
            }
            out.push_back({key, folder + '/', folder + '0'});
        } else {
            out.push_back({key, key, key + '\1'});
        }
    }
    return out;
}

} // namespace

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
: m_roots(root_ranges(roots)), m_walk(std::move(roots)), m_range_lo(m_roots.empty() ? "" : m_roots.front().lo),
  m_chunk_size(FIRST_CHUNK), m_pool(pool), m_items(items), m_stats(stats), m_stop(stop), m_archive_bytes(archive_bytes),
  m_limits(limits)
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
        std::int64_t since = 0;
        {
            auto cx = m_pool.acquire();
            since = server_now_us(*cx);
        }
        // A member's bytes are taken from the budget before they are decompressed: the next large
        // member waits for the last one's parse instead of sitting in memory beside it.
        m_archive.emplace(m_archives.front(), m_limits, since, [this](std::uint64_t more, std::uint64_t held) {
            m_archive_bytes.acquire(more, held, [this] { return m_stop.load(); });
        });
        spdlog::debug("{}: reading archive", m_archives.front().path);
        m_archives.pop_front();
    }
    archive_member member;
    if (!m_archive->reader.next(member)) {
        if (m_archive->progress->finish(m_archive->reader.complete())) {
            // Every member's batch has committed already (or it had no MIDI member).
            auto cx = m_pool.acquire();
            auto const &a = *m_archive->progress;
            auto const f = record_archive(*cx, a.file, a.members(), a.read_since_us, a.failed_under_limit());
            m_stats.removed += f.paths + f.errors;
        }
        m_archive.reset();
        return;
    }
    auto *item = m_items.acquire();
    item->stored.path = path_to_utf8(member.path);
    item->stored.key = std::move(member.key);
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
    item->stored.key = std::move(found.key);
    item->stored.path = std::move(found.path);
    item->stored.size = found.size;
    item->stored.mtime_us = found.mtime_us;
    m_to_read.pop_front();
    return item;
}

void file_source::refill()
{
    if (!m_exhausted) {
        chunk next = walk_chunk();
        spdlog::trace("walked {}", next.candidates.size());
        if (!next.ranges.empty()) {
            m_pending_files += next.candidates.size();
            auto &p = m_pending.emplace_back(std::move(next)); // a deque: p stays where it is
            p.known = std::async(std::launch::async, [this, &c = p.files] { return check(c); });
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
    bool files_covered = false; // the files walked are in a range already (their root was closed)
    while (c.candidates.size() < m_chunk_size && !m_stop) {
        if (!m_entry_held && !m_walk.next(m_entry)) {
            m_exhausted = true;
            files_covered = true;
            close_roots(c, m_roots.size());
            break;
        }
        if (m_entry.root != m_range_root) {
            files_covered = !c.candidates.empty();
            close_roots(c, m_entry.root);
            if (files_covered) { // a chunk's files stay inside one root: a tight range of the library
                m_entry_held = true;
                break;
            }
        }
        m_entry_held = false;
        if (!m_entry.error.empty()) {
            ++m_stats.scanned;
            auto *item = m_items.acquire();
            item->stored.key = std::move(m_entry.fs_path);
            item->stored.path = path_to_utf8(item->stored.key);
            item->stored.fail("scan", m_entry.error);
            spdlog::warn("{}: scan: {}", item->stored.path, m_entry.error);
            m_ready.push_back(item); // unknown size/mtime: always reported, never skipped
            continue;
        }
        auto path = path_to_utf8(m_entry.fs_path);
        c.candidates.push_back({std::move(m_entry.fs_path), std::move(path), m_entry.size, m_entry.mtime_us});
    }
    if (!c.candidates.empty() && !files_covered) {
        // The root goes on in the next chunk: this one covers up to its last file and that file's members.
        auto const last = std::max_element(c.candidates.begin(), c.candidates.end(),
                                           [](auto const &a, auto const &b) { return a.key < b.key; });
        auto const first = std::min_element(c.candidates.begin(), c.candidates.end(),
                                            [](auto const &a, auto const &b) { return a.key < b.key; });
        std::string hi = last->key + '\1';
        c.ranges.push_back({std::min(m_range_lo, first->key), hi, m_range_root});
        m_range_lo = std::move(hi);
    }
    m_chunk_size = std::min(m_chunk_size * 2, LARGEST_CHUNK);
    return c;
}

void file_source::close_roots(chunk &c, std::size_t next_root)
{
    for (bool first = true; m_range_root < next_root && m_range_root < m_roots.size(); ++m_range_root) {
        std::string lo = m_range_lo;
        for (auto const &candidate : c.candidates) { // the walked files are the first root's
            lo = first ? std::min(lo, candidate.key) : lo;
        }
        first = false;
        c.ranges.push_back({std::move(lo), m_roots[m_range_root].hi, m_range_root});
        m_range_lo = m_range_root + 1 < m_roots.size() ? m_roots[m_range_root + 1].lo : std::string{};
    }
}

std::vector<std::uint64_t> file_source::check(chunk const &c)
{
    std::lock_guard one_at_a_time{m_check_mutex}; // on one connection, in walk order
    auto cx = m_pool.acquire();
    std::vector<std::uint64_t> known(c.candidates.size(), 0);
    std::vector<std::string> gone;
    std::unordered_set<std::string_view> walked;
    for (auto const &candidate : c.candidates) {
        walked.insert(candidate.key);
    }
    for (auto const &range : c.ranges) {
        auto answer = known_paths(*cx, c.candidates, range.lo, range.hi, m_limits.max_member_bytes);
        for (std::size_t i = 0; i < known.size(); ++i) {
            known[i] = std::max(known[i], answer.known[i]);
        }
        for (auto &p : answer.unwalked) {
            if (under_root(p.key, m_roots[range.root].key) && !in_walked_archive(p.key, walked) && gone_from_disk(p)) {
                spdlog::debug("{}: gone from the disk", p.path);
                gone.push_back(std::move(p.key));
            }
        }
    }
    if (!gone.empty()) {
        auto const f = forget_paths(*cx, gone);
        m_stats.removed += f.paths + f.errors;
    }
    return known;
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
        if (is_archive_name(c.candidates[i].key)) {
            m_archives.push_back(std::move(c.candidates[i])); // members counted when read
            continue;
        }
        ++m_stats.scanned;
        m_to_read.push_back(std::move(c.candidates[i]));
    }
}

} // namespace midilib
