#include "pipeline/archive_reader.hpp"

#include "pipeline/folder_walk.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fmt/format.h>
#include <xxhash.h>

#include <locale.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <fstream>
#include <unordered_map>

namespace midilib {

namespace {

/// libarchive's read block for files on disk.
constexpr std::size_t READ_BLOCK = 64 * 1024;

/// Bytes read from each member to judge it by content.
constexpr std::size_t HEAD_BYTES = 16;

/// Damaged entries in a row after which an archive is given up (the tar reader retries at each
/// 512-byte block of a damaged stream, so this is about 50 MB of garbage).
constexpr std::uint64_t MAX_DAMAGED_RUN = 100000;

/**
 * libarchive converts member names to the thread's locale and warns when it cannot; the process
 * keeps the "C" locale. While libarchive runs, this thread's LC_CTYPE is C.UTF-8, so that a UTF-8
 * or UTF-16 name is a name, and a warning is about damage.
 */
class utf8_names
{
public:
    utf8_names() : m_old(locale() != locale_t{} ? ::uselocale(locale()) : locale_t{}) {}
    ~utf8_names()
    {
        if (m_old != locale_t{}) {
            ::uselocale(m_old);
        }
    }
    utf8_names(utf8_names const &) = delete;
    utf8_names &operator=(utf8_names const &) = delete;

private:
    static locale_t locale()
    {
        static locale_t const utf8 = ::newlocale(LC_CTYPE_MASK, "C.UTF-8", locale_t{});
        return utf8;
    }
    locale_t m_old;
};

bool starts_with(std::span<std::uint8_t const> head, std::string_view magic) noexcept
{
    return head.size() >= magic.size() && std::memcmp(head.data(), magic.data(), magic.size()) == 0;
}

/// Compressed or archive formats recognized by their first bytes (tar is recognized by name).
bool looks_like_archive(std::span<std::uint8_t const> head) noexcept
{
    using namespace std::string_view_literals;
    return starts_with(head, "PK\x03\x04"sv) || starts_with(head, "7z\xBC\xAF\x27\x1C"sv) ||
           starts_with(head, "\x1F\x8B"sv) || starts_with(head, "BZh"sv) ||
           starts_with(head, "\xFD"
                             "7zXZ"sv) ||
           starts_with(head, "Rar!\x1A\x07"sv) || starts_with(head, "\x28\xB5\x2F\xFD"sv);
}

std::string_view base_name(std::string_view path) noexcept
{
    auto const slash = path.rfind('/');
    return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

} // namespace

std::string member_key(std::string_view archive_key, std::string_view name, std::uint32_t ordinal)
{
    std::string key;
    key.reserve(archive_key.size() + name.size() + 12);
    key.append(archive_key).append(1, '\0').append(name);
    if (ordinal > 1) {
        key.append(2, '\0').append(std::to_string(ordinal));
    }
    return key;
}

bool is_archive_name(std::string_view name) noexcept
{
    static constexpr std::array<std::string_view, 13> EXTENSIONS{
        ".zip",  ".7z",     ".rar",     ".tar",    ".tgz",     ".tbz2",   ".txz",
        ".tzst", ".tar.gz", ".tar.bz2", ".tar.xz", ".tar.zst", ".tar.lz4"};
    return std::any_of(EXTENSIONS.begin(), EXTENSIONS.end(), [name](auto ext) { return ends_with_nocase(name, ext); });
}

bool looks_like_midi(std::span<std::uint8_t const> head) noexcept
{
    using namespace std::string_view_literals;
    return starts_with(head, "MThd"sv) ||
           (starts_with(head, "RIFF"sv) && head.size() >= 12 && std::memcmp(head.data() + 8, "RMID", 4) == 0);
}

struct archive_reader::level
{
    struct archive *a = nullptr;
    std::string path; ///< of this archive; members are path + "!/" + name
    std::string key;  ///< of this archive; members are member_key(key, name, ordinal)
    /// How often each name (by its XXH3) came so far: a name's second member gets ordinal 2. The
    /// same archive read again gives each member the same ordinal.
    std::unordered_map<std::uint64_t, std::uint32_t> names_seen;
    std::uint64_t size = 0;
    std::int64_t mtime_us = 0;
    std::vector<std::uint8_t> data; ///< the bytes of a nested archive (libarchive reads from here)
    bool head_is_archive = false;   ///< its first bytes are an archive's or a compressor's
    std::uint64_t entries = 0;      ///< headers read, a run of damaged ones counting as one
    std::uint64_t damaged_run = 0;  ///< damaged headers since the last good one

    level() = default;
    level(level const &) = delete;
    level &operator=(level const &) = delete;
    ~level()
    {
        if (a != nullptr) {
            archive_read_free(a);
        }
    }

    /// A reader for every format and filter libarchive has (raw excluded: a stray file is not an archive).
    static std::unique_ptr<level> make(std::string path, std::string key, std::uint64_t size, std::int64_t mtime_us)
    {
        auto l = std::make_unique<level>();
        l->a = archive_read_new();
        archive_read_support_filter_all(l->a);
        archive_read_support_format_all(l->a);
        l->path = std::move(path);
        l->key = std::move(key);
        l->size = size;
        l->mtime_us = mtime_us;
        return l;
    }

    /// The key of member @p name, the next one of that name.
    std::string next_key(std::string_view name)
    {
        return member_key(key, name, ++names_seen[XXH3_64bits(name.data(), name.size())]);
    }

    [[nodiscard]] std::string error() const
    {
        char const *e = archive_error_string(a);
        return e != nullptr ? e : "unreadable archive";
    }
};

archive_reader::archive_reader(std::string const &fs_path, std::string stored_path, std::uint64_t size,
                               std::int64_t mtime_us, archive_limits limits, hold_bytes hold)
: m_limits(limits), m_hold(std::move(hold)), m_block(READ_BLOCK)
{
    utf8_names const names;
    auto top = level::make(std::move(stored_path), fs_path, size, mtime_us);
    std::array<char, HEAD_BYTES> head{};
    std::ifstream file{fs_path, std::ios::binary};
    file.read(head.data(), head.size());
    top->head_is_archive = looks_like_archive(
        {reinterpret_cast<std::uint8_t const *>(head.data()), static_cast<std::size_t>(file.gcount())});
    int const r = archive_read_open_filename(top->a, fs_path.c_str(), READ_BLOCK);
    m_levels.push_back(std::move(top));
    if (r != ARCHIVE_OK) {
        m_open_error = m_levels.back()->error();
    }
}

archive_reader::~archive_reader() = default;

void archive_reader::fail_level(archive_member &out, std::string reason)
{
    auto const &l = *m_levels.back();
    auto const held = out.held; // the caller gives back what the member held
    out = archive_member{};
    out.held = held;
    out.path = l.path;
    out.key = l.key;
    out.size = l.size;
    out.mtime_us = l.mtime_us;
    out.error = std::move(reason);
    out.archive_failed = true;
    m_complete = false;
    pop_level();
}

void archive_reader::fail_member(archive_member &out, std::string const &name, std::int64_t mtime_us,
                                 std::string reason)
{
    auto const held = out.held; // the caller gives back what the member held
    auto key = std::move(out.key);
    out = archive_member{};
    out.held = held;
    out.path = m_levels.back()->path + "!/" + name;
    out.key = std::move(key);
    out.mtime_us = mtime_us;
    out.error = std::move(reason);
    m_complete = false; // a re-run reads the archive again
}

void archive_reader::pop_level()
{
    m_nested_held -= m_levels.back()->data.size();
    m_levels.pop_back();
}

bool archive_reader::open_nested(archive_member &out, std::vector<std::uint8_t> data)
{
    auto nested = level::make(out.path, out.key, data.size(), out.mtime_us);
    nested->head_is_archive = looks_like_archive({data.data(), std::min(data.size(), HEAD_BYTES)});
    nested->data = std::move(data);
    if (archive_read_open_memory(nested->a, nested->data.data(), nested->data.size()) != ARCHIVE_OK) {
        out.size = nested->data.size();
        out.error = "not an archive midilib can read: " + nested->error();
        out.archive_failed = true;
        m_complete = false;
        return false;
    }
    m_nested_held += nested->data.size();
    m_levels.push_back(std::move(nested));
    return true;
}

bool archive_reader::next(archive_member &out)
{
    utf8_names const names;
    out.held = 0;
    if (!m_open_error.empty()) {
        fail_level(out, "cannot open archive: " + m_open_error);
        m_open_error.clear();
        return true;
    }
    while (!m_levels.empty()) {
        auto &l = *m_levels.back();
        struct archive_entry *entry = nullptr;
        int const r = archive_read_next_header(l.a, &entry);
        if (r == ARCHIVE_EOF) {
            if (l.entries == 0 && l.head_is_archive) { // e.g. a RAR signature followed by garbage
                fail_level(out, "no entry could be read: a damaged archive, or not an archive");
                return true;
            }
            pop_level();
            continue;
        }
        if (r == ARCHIVE_RETRY) {
            // This entry is unreadable and libarchive skips to the next one it can read: one error
            // per run of damaged entries, named by its place (its name is part of what was lost).
            if (++l.damaged_run > MAX_DAMAGED_RUN) {
                fail_level(
                    out, fmt::format("damaged archive: {} ({} damaged entries in a row)", l.error(), MAX_DAMAGED_RUN));
                return true;
            }
            if (l.damaged_run == 1) {
                ++l.entries;
                auto const damaged = fmt::format("(damaged entry {})", l.entries);
                out.key = l.next_key(damaged);
                fail_member(out, damaged, l.mtime_us,
                            fmt::format("damaged entry: {}; skipped to the next readable one", l.error()));
                return true;
            }
            continue;
        }
        if (r < ARCHIVE_WARN) {
            fail_level(out, "damaged archive: " + l.error());
            return true;
        }
        ++l.entries;
        l.damaged_run = 0;
        char const *utf8 = archive_entry_pathname_utf8(entry);
        char const *raw = utf8 != nullptr ? utf8 : archive_entry_pathname(entry);
        std::string_view member_name = raw != nullptr ? raw : "(unnamed member)";
        while (member_name.substr(0, 2) == "./" || member_name.substr(0, 1) == "/") { // "tar -c ." spells "./x.mid"
            member_name.remove_prefix(member_name[0] == '/' ? 1 : 2);
        }
        std::string const name{member_name.empty() ? "(unnamed member)" : member_name};
        out.key = l.next_key(name); // counted before anything is skipped: a member's ordinal is always the same
        auto const mtime_us = static_cast<std::int64_t>(archive_entry_mtime(entry)) * 1000000 +
                              archive_entry_mtime_nsec(entry) / 1000;
        if (m_wanted && !m_wanted(out.key)) {
            continue; // left unread: the next header skips its data (without decompressing it, in a zip)
        }
        if (r == ARCHIVE_WARN) { // whatever it is, the member is not read as if nothing happened
            fail_member(out, name, mtime_us, "libarchive warns about this member: " + l.error());
            return true;
        }
        if (archive_entry_filetype(entry) != AE_IFREG) {
            continue;
        }
        if (archive_entry_is_encrypted(entry) != 0) {
            fail_level(out, fmt::format("encrypted archive (first encrypted member: {}): midilib cannot read "
                                        "encrypted members; decrypt it and import the result",
                                        name));
            return true;
        }
        // A warning or a failure reading a member's data is that member's error; a fatal one ends the archive.
        auto const data_error = [&](la_ssize_t code) {
            if (code == ARCHIVE_FATAL) {
                fail_level(out, fmt::format("damaged archive at member {}: {}", name, l.error()));
            } else {
                fail_member(out, name, mtime_us, "damaged member: " + l.error());
            }
            return true;
        };
        auto const expand_cap = m_limits.expanded_cap();
        auto const over_expanded = [&](std::uint64_t n) {
            m_expanded += n;
            if (m_expanded <= expand_cap) {
                return false;
            }
            // Everything open belongs to one top-level archive: it is given up whole, with one row.
            auto const at = l.path + "!/" + name;
            while (m_levels.size() > 1) {
                pop_level();
            }
            fail_level(out, fmt::format("the archive expands to more than the {} MiB limit for one archive and the "
                                        "archives inside it (a zip bomb?), at {}; the rest was not read",
                                        expand_cap >> 20U, at));
            return true;
        };
        auto const got = archive_read_data(l.a, m_block.data(), HEAD_BYTES);
        if (got < 0) {
            return data_error(got);
        }
        if (over_expanded(static_cast<std::uint64_t>(got))) {
            return true;
        }
        std::span<std::uint8_t const> const head{m_block.data(), static_cast<std::size_t>(got)};
        bool const nested = is_archive_name(base_name(name)) || looks_like_archive(head);
        if (!nested && !is_midi_file_name(base_name(name)) && !looks_like_midi(head)) {
            continue; // not ours: the rest of its data is skipped by the next header
        }
        auto key = std::move(out.key);
        out = archive_member{};
        out.path = l.path + "!/" + name;
        out.key = std::move(key);
        out.mtime_us = mtime_us;
        // The nested archives open at once share one memory limit, so depth alone does not multiply it.
        std::uint64_t const nested_room = m_limits.max_nested_bytes -
                                          std::min(m_nested_held, m_limits.max_nested_bytes);
        std::uint64_t const cap = nested ? nested_room : m_limits.max_member_bytes;
        auto const too_large = [&](std::uint64_t size) {
            out.size = size;
            out.error = nested && m_nested_held > 0
                            ? fmt::format("member is larger than the {} MiB left of the {} MiB limit for archives "
                                          "inside archives (a zip bomb?); skipped",
                                          cap >> 20U, m_limits.max_nested_bytes >> 20U)
                            : fmt::format("member is larger than the {} MiB limit for {} (a zip bomb?); skipped",
                                          cap >> 20U, nested ? "archives inside archives" : "archive members");
            return true;
        };
        std::uint64_t const declared = archive_entry_size_is_set(entry) != 0
                                           ? static_cast<std::uint64_t>(
                                                 std::max<la_int64_t>(archive_entry_size(entry), 0))
                                           : 0;
        if (declared > cap) {
            return too_large(declared);
        }
        // The member's own buffer, its capacity taken from the caller's budget before it is allocated:
        // the declared size exactly, else (unknown, or a header that lied) doubled as the data comes.
        std::vector<std::uint8_t> bytes;
        auto const append = [&](std::span<std::uint8_t const> data) {
            if (bytes.size() + data.size() > cap) {
                return false;
            }
            if (bytes.size() + data.size() > bytes.capacity()) {
                std::uint64_t const want = std::min<std::uint64_t>(
                    cap, std::max({bytes.size() + data.size(), 2 * bytes.capacity(), READ_BLOCK}));
                if (!nested && m_hold) { // a nested archive is bounded by max_nested_bytes instead
                    m_hold(want - out.held, out.held);
                    out.held = want;
                }
                bytes.reserve(want);
            }
            bytes.insert(bytes.end(), data.begin(), data.end());
            return true;
        };
        if (declared > 0 && !nested && m_hold) {
            m_hold(declared, 0);
            out.held = declared;
        }
        bytes.reserve(declared);
        if (!append(head)) {
            return too_large(head.size());
        }
        // Read the rest in blocks, never past the cap: the declared size may lie.
        while (true) {
            auto const n = archive_read_data(l.a, m_block.data(), m_block.size());
            if (n < 0) {
                return data_error(n);
            }
            if (over_expanded(static_cast<std::uint64_t>(n))) {
                return true;
            }
            if (n == 0) {
                break;
            }
            if (!append({m_block.data(), static_cast<std::size_t>(n)})) {
                return too_large(bytes.size() + static_cast<std::size_t>(n));
            }
        }
        if (nested) {
            if (!open_nested(out, std::move(bytes))) {
                return true;
            }
            continue;
        }
        out.size = bytes.size();
        out.bytes = std::move(bytes);
        return true;
    }
    return false;
}

} // namespace midilib
