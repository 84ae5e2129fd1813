#include "pipeline/folder_walk.hpp"

#include "pipeline/archive_reader.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

namespace midilib {

namespace {

std::int64_t mtime_of(struct stat const &st) noexcept
{
    return static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000 + st.st_mtim.tv_nsec / 1000;
}

/// Judges a file by its first bytes: a MIDI file named .dat or with no extension is found.
bool starts_like_midi(int dir_fd, char const *name) noexcept
{
    int const fd = ::openat(dir_fd, name, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        return false;
    }
    std::array<std::uint8_t, 12> head{};
    auto const n = ::read(fd, head.data(), head.size());
    ::close(fd);
    return n > 0 && looks_like_midi(std::span{head.data(), static_cast<std::size_t>(n)});
}

} // namespace

bool ends_with_nocase(std::string_view name, std::string_view suffix) noexcept
{
    return name.size() >= suffix.size() &&
           std::equal(
               suffix.begin(), suffix.end(), name.end() - static_cast<std::ptrdiff_t>(suffix.size()),
               [](char a, char b) { return a == static_cast<char>(std::tolower(static_cast<unsigned char>(b))); });
}

bool is_midi_file_name(std::string_view name) noexcept
{
    static constexpr std::array<std::string_view, 5> EXTENSIONS{".mid", ".midi", ".kar", ".rmi", ".smf"};
    // ".mid" alone is a hidden file's name, not an extension
    return std::any_of(EXTENSIONS.begin(), EXTENSIONS.end(),
                       [name](auto ext) { return name.size() > ext.size() && ends_with_nocase(name, ext); });
}

folder_walk::folder_walk(std::vector<std::filesystem::path> roots, bool stat_files)
: m_roots(std::move(roots)), m_stat_files(stat_files)
{}

folder_walk::~folder_walk()
{
    for (auto const &f : m_stack) {
        ::close(f.fd);
    }
}

bool folder_walk::open_folder(int parent_fd, std::string const &name, std::string path, walk_entry &out)
{
    int const fd = ::openat(parent_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *dir = fd < 0 ? nullptr : ::fdopendir(::dup(fd));
    if (dir == nullptr) {
        out = walk_entry{};
        out.root = m_root;
        out.fs_path = path.size() > 1 ? path.substr(0, path.size() - 1) : path;
        out.error = std::string{"cannot open folder: "} + std::strerror(errno);
        if (fd >= 0) {
            ::close(fd);
        }
        return false;
    }
    folder f{fd, std::move(path), {}, 0};
    while (auto const *e = ::readdir(dir)) {
        std::string_view const n{e->d_name};
        if (n == "." || n == "..") {
            continue;
        }
        auto type = e->d_type;
        if (type == DT_UNKNOWN) { // some file systems do not fill d_type
            struct stat st
            {
            };
            if (::fstatat(fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
                type = S_ISDIR(st.st_mode)   ? DT_DIR
                       : S_ISLNK(st.st_mode) ? DT_LNK
                       : S_ISREG(st.st_mode) ? DT_REG
                                             : DT_UNKNOWN;
            }
        }
        if (type == DT_DIR) {
            f.names.emplace_back(std::string{n} + '/', true); // sorts as the paths below it do
        } else if ((type == DT_REG || type == DT_LNK) &&
                   (is_midi_file_name(n) || is_archive_name(n) || (m_stat_files && starts_like_midi(fd, e->d_name)))) {
            f.names.emplace_back(std::string{n}, false);
        }
    }
    ::closedir(dir);
    std::sort(f.names.begin(), f.names.end());
    for (auto &[n, is_folder] : f.names) {
        if (is_folder) {
            n.pop_back();
        }
    }
    m_stack.push_back(std::move(f));
    return true;
}

bool folder_walk::stat_entry(int dir_fd, std::string const &name, walk_entry &out) const
{
    struct stat st
    {
    };
    if (::fstatat(dir_fd, name.c_str(), &st, 0) != 0) {
        out.error = std::strerror(errno);
        return true;
    }
    if (!S_ISREG(st.st_mode)) {
        out.error = "not a regular file";
        return false;
    }
    out.size = static_cast<std::uint64_t>(st.st_size);
    out.mtime_us = mtime_of(st);
    return true;
}

bool folder_walk::next(walk_entry &out)
{
    while (true) {
        if (m_stack.empty()) {
            if (m_root >= m_roots.size()) {
                return false;
            }
            auto const &root = m_roots[m_root].native();
            struct stat st
            {
            };
            if (::stat(root.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
                // a file named on the command line is taken whatever its name
                out = walk_entry{};
                out.root = m_root++;
                out.fs_path = root;
                if (m_stat_files) {
                    (void)stat_entry(AT_FDCWD, root, out); // named by the user: reported even if not a file
                }
                return true;
            }
            if (!open_folder(AT_FDCWD, root, root.back() == '/' ? root : root + '/', out)) {
                ++m_root;
                return true;
            }
            continue;
        }
        auto &top = m_stack.back();
        if (top.next == top.names.size()) {
            ::close(top.fd);
            m_stack.pop_back();
            if (m_stack.empty()) {
                ++m_root;
            }
            continue;
        }
        auto const &[name, is_folder] = top.names[top.next++];
        if (is_folder) {
            std::string const child = name; // open_folder grows the stack: no references into it
            if (!open_folder(top.fd, child, top.path + child + '/', out)) {
                return true;
            }
            continue;
        }
        out = walk_entry{};
        out.root = m_root;
        out.fs_path = top.path + name;
        if (m_stat_files && !stat_entry(top.fd, name, out)) {
            continue; // a link to a folder or a device named .mid: not ours
        }
        return true;
    }
}

} // namespace midilib
