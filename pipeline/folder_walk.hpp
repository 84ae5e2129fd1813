#pragma once
/// Walks the user's folders in byte order of the full path, for MIDI files and archives.

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace midilib {

/// True when @p name ends with @p suffix, ignoring the case of @p name (@p suffix is lower case).
bool ends_with_nocase(std::string_view name, std::string_view suffix) noexcept;

/// True for the file names the importer picks up inside folders (.mid .midi .kar .rmi .smf, any case).
bool is_midi_file_name(std::string_view name) noexcept;

/// One MIDI file found by the walk, or a file or folder that could not be looked at.
struct walk_entry
{
    std::string fs_path;  ///< as the file system spells it (any bytes)
    std::size_t root = 0; ///< index of the root it was found under
    std::uint64_t size = 0;
    std::int64_t mtime_us = 0; ///< modification time, microseconds since the epoch
    std::string error;         ///< empty unless the entry could not be stat'ed or opened
};

/**
 * Depth-first walk over folders, yielding files whose name looks like MIDI or
 * like an archive, and other files whose first bytes are MIDI's (a MIDI named
 * .dat is found; a root that is a file is yielded whatever its name). Entries of a folder are
 * visited sorted by name, with "/" appended to folder names, so that the walk
 * yields paths in byte order: a run of consecutive paths covers a tight range
 * of the library's `path COLLATE "C"` index. Files are stat'ed relative to
 * their folder's descriptor (no path lookups); symbolic links to files are
 * followed, links to folders are not (no cycles). A folder that cannot be
 * opened becomes an entry with an error; the walk goes on.
 */
class folder_walk
{
public:
    /// @p stat_files false skips the stat (size and mtime stay 0): enough for counting.
    explicit folder_walk(std::vector<std::filesystem::path> roots, bool stat_files = true);
    ~folder_walk();
    folder_walk(folder_walk const &) = delete;
    folder_walk &operator=(folder_walk const &) = delete;

    /// Fills @p out with the next file; false when every root has been walked.
    bool next(walk_entry &out);

private:
    struct folder
    {
        int fd = -1;
        std::string path;                                ///< with a trailing "/"
        std::vector<std::pair<std::string, bool>> names; ///< (name, is folder), sorted
        std::size_t next = 0;
    };

    bool open_folder(int parent_fd, std::string const &name, std::string path, walk_entry &out);
    /// Fills size and mtime, or the error; false for something that is not a regular file.
    bool stat_entry(int dir_fd, std::string const &name, walk_entry &out) const;

    std::vector<std::filesystem::path> m_roots;
    bool m_stat_files;
    std::size_t m_root = 0;
    std::vector<folder> m_stack;
};

} // namespace midilib
