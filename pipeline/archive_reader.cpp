#include "pipeline/archive_reader.hpp"

#include "pipeline/folder_walk.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstring>

namespace midilib {

namespace {

/// libarchive's read block for files on disk.
constexpr std::size_t READ_BLOCK = 64 * 1024;

/// Bytes read from each member to judge it by content.
constexpr std::size_t HEAD_BYTES = 16;

bool starts_with(std::span<std::uint8_t const> head, std::string_view magic) noexcept
{
    return head.size() >= magic.size() && std::memcmp(head.data(), magic.data(), magic.size()) == 0;
}

/// Compressed or archive formats recognized by their first bytes (tar is recognized by name).
bool looks_like_archive(std::span<std::uint8_t const> head) noexcept
{
    using namespace std::string_view_literals;
    return starts_with(head, "PK\x03\x04"sv) || starts_with(head, "7z\xBC\xAF\x27\x1C"sv) ||
           starts_with(head, "\x1F\x8B"sv) || starts_with(head, "BZh"sv) || starts_with(head, "\xFD" "7zXZ"sv) ||
           starts_with(head, "Rar!\x1A\x07"sv) || starts_with(head, "\x28\xB5\x2F\xFD"sv);
}

std::string_view base_name(std::string_view path) noexcept
{
    auto const slash = path.rfind('/');
    return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

} // namespace

bool is_archive_name(std::string_view name) noexcept
{
    static constexpr std::array<std::string_view, 13> EXTENSIONS{
        ".zip", ".7z", ".rar", ".tar", ".tgz", ".tbz2", ".txz", ".tzst",
        ".tar.gz", ".tar.bz2", ".tar.xz", ".tar.zst", ".tar.lz4"};
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
    std::string path;                ///< of this archive; members are path + "!/" + name
    std::uint64_t size = 0;
    std::int64_t mtime_us = 0;
    std::vector<std::uint8_t> data;  ///< the bytes of a nested archive (libarchive reads from here)

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
    static std::unique_ptr<level> make(std::string path, std::uint64_t size, std::int64_t mtime_us)
    {
        auto l = std::make_unique<level>();
        l->a = archive_read_new();
        archive_read_support_filter_all(l->a);
        archive_read_support_format_all(l->a);
        l->path = std::move(path);
        l->size = size;
        l->mtime_us = mtime_us;
        return l;
    }

    [[nodiscard]] std::string error() const
    {
        char const *e = archive_error_string(a);
        return e != nullptr ? e : "unreadable archive";
    }
};

archive_reader::archive_reader(std::string const &fs_path, std::string stored_path, std::uint64_t size,
                               std::int64_t mtime_us, archive_limits limits)
: m_limits(limits)
{
    auto top = level::make(std::move(stored_path), size, mtime_us);
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
    out = archive_member{};
    out.path = l.path;
    out.size = l.size;
    out.mtime_us = l.mtime_us;
    out.error = std::move(reason);
    out.archive_failed = true;
    m_complete = false;
    m_levels.pop_back();
}

bool archive_reader::open_nested(archive_member &out, std::vector<std::uint8_t> data, std::string path)
{
    auto nested = level::make(path, data.size(), out.mtime_us);
    nested->data = std::move(data);
    if (archive_read_open_memory(nested->a, nested->data.data(), nested->data.size()) != ARCHIVE_OK) {
        out.path = std::move(path);
        out.size = nested->data.size();
        out.error = "not an archive midilib can read: " + nested->error();
        out.archive_failed = true;
        m_complete = false;
        return false;
    }
    m_levels.push_back(std::move(nested));
    return true;
}

bool archive_reader::next(archive_member &out)
{
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
            m_levels.pop_back();
            continue;
        }
        if (r < ARCHIVE_WARN) {
            fail_level(out, "damaged archive: " + l.error());
            return true;
        }
        if (archive_entry_filetype(entry) != AE_IFREG) {
            continue;
        }
        char const *utf8 = archive_entry_pathname_utf8(entry);
        char const *raw = utf8 != nullptr ? utf8 : archive_entry_pathname(entry);
        std::string_view member_name = raw != nullptr ? raw : "(unnamed member)";
        while (member_name.substr(0, 2) == "./" || member_name.substr(0, 1) == "/") { // "tar -c ." spells "./x.mid"
            member_name.remove_prefix(member_name[0] == '/' ? 1 : 2);
        }
        std::string const name{member_name};
        if (archive_entry_is_encrypted(entry) != 0) {
            fail_level(out, fmt::format("encrypted archive (first encrypted member: {}): midilib cannot read "
                                        "encrypted members; decrypt it and import the result",
                                        name));
            return true;
        }
        auto &bytes = m_scratch; // grows to the largest member; members get exact-size copies
        bytes.resize(HEAD_BYTES);
        auto const got = archive_read_data(l.a, bytes.data(), bytes.size());
        if (got < 0) {
            fail_level(out, fmt::format("damaged archive at member {}: {}", name, l.error()));
            return true;
        }
        bytes.resize(static_cast<std::size_t>(got));
        bool const nested = m_levels.size() < static_cast<std::size_t>(m_limits.max_depth) &&
                            (is_archive_name(base_name(name)) || looks_like_archive(bytes));
        if (!nested && !is_midi_file_name(base_name(name)) && !looks_like_midi(bytes)) {
            continue; // not ours: the rest of its data is skipped by the next header
        }
        out = archive_member{};
        out.path = l.path + "!/" + name;
        out.mtime_us = static_cast<std::int64_t>(archive_entry_mtime(entry)) * 1000000 +
                       archive_entry_mtime_nsec(entry) / 1000;
        std::uint64_t const cap = nested ? m_limits.max_nested_bytes : m_limits.max_member_bytes;
        auto const too_large = [&](std::uint64_t size) {
            out.size = size;
            out.error = fmt::format("member is larger than the {} MiB limit for {} (a zip bomb?); skipped",
                                    cap >> 20U, nested ? "archives inside archives" : "archive members");
            return true;
        };
        if (archive_entry_size_is_set(entry) != 0 && static_cast<std::uint64_t>(archive_entry_size(entry)) > cap) {
            return too_large(static_cast<std::uint64_t>(archive_entry_size(entry)));
        }
        // Read the rest in blocks, never past the cap: the declared size may lie.
        while (true) {
            std::size_t const at = bytes.size();
            bytes.resize(at + READ_BLOCK);
            auto const n = archive_read_data(l.a, bytes.data() + at, READ_BLOCK);
            if (n < 0) {
                fail_level(out, fmt::format("damaged archive at member {}: {}", name, l.error()));
                return true;
            }
            bytes.resize(at + static_cast<std::size_t>(n));
            if (n == 0) {
                break;
            }
            if (bytes.size() > cap) {
                return too_large(bytes.size());
            }
        }
        if (nested) {
            auto path = out.path;
            if (!open_nested(out, std::vector<std::uint8_t>(bytes.begin(), bytes.end()), std::move(path))) {
                return true;
            }
            continue;
        }
        out.size = bytes.size();
        out.bytes.assign(bytes.begin(), bytes.end());
        return true;
    }
    return false;
}

} // namespace midilib
