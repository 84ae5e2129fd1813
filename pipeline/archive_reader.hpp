#pragma once
/// Reads the MIDI members of archives in place (libarchive): zip, 7z, rar, tar (+gz/bz2/xz/zstd), nested.

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace midilib {

/// True for names of archives the importer opens (.zip .7z .rar .tar .tgz .tar.gz … any case).
bool is_archive_name(std::string_view name) noexcept;

/// True when @p head (the first bytes of a file) starts like a Standard MIDI File or RIFF RMID.
bool looks_like_midi(std::span<std::uint8_t const> head) noexcept;

/// Limits that keep memory bounded whatever an archive holds.
struct archive_limits
{
    std::uint64_t max_member_bytes = std::uint64_t{64} << 20U;  ///< a larger member is refused (zip bombs)
    std::uint64_t max_nested_bytes = std::uint64_t{256} << 20U; ///< an archive inside an archive is read into memory
    int max_depth = 3;                                          ///< archives inside archives inside archives
};

/// One member: a MIDI file (bytes filled), or something that could not be read (error set).
struct archive_member
{
    std::string path;              ///< "packs/drums.zip!/Funk/120.mid", archive path as given, member as stored
    std::uint64_t size = 0;
    std::int64_t mtime_us = 0;
    std::vector<std::uint8_t> bytes;
    std::string error;             ///< one sentence; the member (or the archive, path = its path) failed
    bool archive_failed = false;   ///< the error ends the archive (damaged, encrypted, unsupported)
};

/**
 * Streams the members of one archive file, and of archives inside it, one at a
 * time. Members are taken when their name looks like MIDI or their first bytes
 * do (a MIDI named .dat is found, a text named .mid is left to the parser);
 * everything else is skipped without being decompressed further than its
 * first bytes. Nothing is written to disk.
 */
class archive_reader
{
public:
    /// Opens @p fs_path; @p stored_path is the prefix of the member paths.
    archive_reader(std::string const &fs_path, std::string stored_path, std::uint64_t size, std::int64_t mtime_us,
                   archive_limits limits);
    ~archive_reader();
    archive_reader(archive_reader const &) = delete;
    archive_reader &operator=(archive_reader const &) = delete;

    /// The next member or error; false when the archive is done.
    bool next(archive_member &out);

    /// Read to the end without an error that ended it (or one of its nested archives).
    [[nodiscard]] bool complete() const noexcept { return m_complete; }

private:
    struct level;
    bool open_nested(archive_member &out, std::vector<std::uint8_t> data, std::string path);
    void fail_level(archive_member &out, std::string reason);

    archive_limits m_limits;
    std::vector<std::unique_ptr<level>> m_levels;
    std::string m_open_error; ///< reported by the first next()
    std::vector<std::uint8_t> m_scratch; ///< decompression buffer, reused
    bool m_complete = true;
};

} // namespace midilib
