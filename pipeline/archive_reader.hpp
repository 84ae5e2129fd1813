#pragma once
/// Reads the MIDI members of archives in place (libarchive): zip, 7z, rar, tar (+gz/bz2/xz/zstd), nested.

#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace midilib {

/// True for names of archives the importer opens (.zip .7z .rar .tar .tgz .tar.gz … any case).
bool is_archive_name(std::string_view name) noexcept;

/// True when @p head (the first bytes of a file) starts like a Standard MIDI File or RIFF RMID.
bool looks_like_midi(std::span<std::uint8_t const> head) noexcept;

/**
 * Limits that keep memory and work bounded whatever an archive holds. Archives are opened inside
 * archives to any depth: what bounds a nested bomb is the bytes expanded per top-level archive.
 */
struct archive_limits
{
    std::uint64_t max_member_bytes = std::uint64_t{64} << 20U; ///< a larger member is refused (zip bombs)
    /// The archives inside an archive are read into memory: together, those open at once stay below this.
    std::uint64_t max_nested_bytes = std::uint64_t{256} << 20U;
    /// Bytes decompressed from one top-level archive and the archives inside it; 0: 256 members of the
    /// largest size allowed (16 GiB with the default 64 MiB), room for hundreds of thousands of MIDI files
    /// while a nested zip bomb expands to petabytes. Reading stops there, with an error row for the archive.
    std::uint64_t max_expanded_bytes = 0;

    [[nodiscard]] std::uint64_t expanded_cap() const noexcept
    {
        if (max_expanded_bytes != 0) {
            return max_expanded_bytes;
        }
        constexpr auto MAX = std::numeric_limits<std::uint64_t>::max();
        return max_member_bytes > MAX / EXPANDED_MEMBERS ? MAX : max_member_bytes * EXPANDED_MEMBERS;
    }
    static constexpr std::uint64_t EXPANDED_MEMBERS = 256;
};

/**
 * The identity of member @p name of the archive with key @p archive_key: the archive's key, a NUL,
 * the name; a name the archive has held before gets NUL NUL and its @p ordinal (2, 3, ...). A NUL is
 * in no file name, so this never equals a path on disk, and two members never share it.
 */
std::string member_key(std::string_view archive_key, std::string_view name, std::uint32_t ordinal);

/// One member: a MIDI file (bytes filled), or something that could not be read (error set).
struct archive_member
{
    std::string path; ///< "packs/drums.zip!/Funk/120.mid", archive path as given, member as stored
    std::string key;  ///< the identity: member_key() of the archive's key and the member's name
    std::uint64_t size = 0;
    std::int64_t mtime_us = 0;
    std::vector<std::uint8_t> bytes;
    std::uint64_t held = 0;      ///< bytes taken from the reader's hold_bytes for it (also when it failed)
    std::string error;           ///< one sentence; the member (or the archive, path = its path) failed
    bool archive_failed = false; ///< the error ends the archive (damaged, encrypted, unsupported, too large)
};

/**
 * Streams the members of one archive file, and of archives inside it, one at a
 * time. Members are taken when their name looks like MIDI or their first bytes
 * do (a MIDI named .dat is found, a text named .mid is left to the parser);
 * everything else is skipped without being decompressed further than its
 * first bytes. Nothing is written to disk.
 *
 * Every member is accounted for: a warning or a damaged entry from libarchive is an error for
 * that member (and the reading goes on); an error that ends the archive, or an archive by its
 * first bytes that yields no entry at all, is an error for the archive. Either way the archive
 * is not complete().
 */
class archive_reader
{
public:
    /**
     * Called before a MIDI member's buffer is allocated or grown, with the @p more bytes it takes
     * beyond the @p held ones the member has already: the caller's memory budget, which may wait.
     */
    using hold_bytes = std::function<void(std::uint64_t more, std::uint64_t held)>;

    /// Opens @p fs_path, also the archive's key; @p stored_path is the prefix of the member paths.
    archive_reader(std::string const &fs_path, std::string stored_path, std::uint64_t size, std::int64_t mtime_us,
                   archive_limits limits, hold_bytes hold = {});
    ~archive_reader();
    archive_reader(archive_reader const &) = delete;
    archive_reader &operator=(archive_reader const &) = delete;

    /**
     * Reads only the entries whose key @p wanted accepts (a member, or an archive inside this one
     * that holds a wanted member); the others are skipped unread, a warning about one of them
     * included. Without it, every entry is looked at.
     */
    void only(std::function<bool(std::string const &key)> wanted) { m_wanted = std::move(wanted); }

    /// The next member or error; false when the archive is done.
    bool next(archive_member &out);

    /// Read to the end without an error (of a member, of the archive, or of one of its nested archives).
    [[nodiscard]] bool complete() const noexcept { return m_complete; }

private:
    struct level;
    bool open_nested(archive_member &out, std::vector<std::uint8_t> data);
    void fail_level(archive_member &out, std::string reason);
    /// Member @p name (its key in out.key) failed.
    void fail_member(archive_member &out, std::string const &name, std::int64_t mtime_us, std::string reason);
    void pop_level();

    archive_limits m_limits;
    hold_bytes m_hold;
    std::function<bool(std::string const &)> m_wanted; ///< empty: every entry
    std::vector<std::unique_ptr<level>> m_levels;
    std::string m_open_error;          ///< reported by the first next()
    std::vector<std::uint8_t> m_block; ///< one read block, copied into the member's own buffer
    std::uint64_t m_expanded = 0;      ///< bytes decompressed so far, nested archives included
    std::uint64_t m_nested_held = 0;   ///< bytes of the nested archives open now
    bool m_complete = true;
};

} // namespace midilib
