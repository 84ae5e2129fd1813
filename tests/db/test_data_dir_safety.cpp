// The embedded database's folder is opened safely: a symbolic link planted as the folder, or as
// its run/ folder, and a run/ folder of another user, are refused with one error line before
// anything is chowned or chmodded, so the link's target keeps its owner and mode.

#include "tests/common/midilib_cli.hpp"
#include "tests/common/pg_test_db.hpp"
#include "tests/common/process.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

namespace midilib::testing {
namespace {

namespace fs = std::filesystem;

struct owner_and_mode
{
    uid_t uid = 0;
    gid_t gid = 0;
    mode_t mode = 0;
    bool operator==(owner_and_mode const &) const = default;
};

owner_and_mode owner_and_mode_of(fs::path const &p)
{
    struct stat st
    {
    };
    EXPECT_EQ(::lstat(p.c_str(), &st), 0) << p;
    return {st.st_uid, st.st_gid, st.st_mode & 07777U};
}

/// `midilib --data-dir <dir> db start`: {exit code, what it wrote to stderr}.
std::pair<int, std::string> start_cluster(fs::path const &data_dir)
{
    return run({"sh", "-c", "exec \"$0\" -q --data-dir \"$1\" db start 2>&1 >/dev/null", midilib_binary().string(),
                data_dir.string()});
}

class data_dir_safety : public ::testing::Test
{
protected:
    void SetUp() override
    {
        // Reachable by the postgres user, so that nothing but the checks stops a start.
        fs::permissions(m_dir.path(), fs::perms::all, fs::perm_options::add);
        // A folder that must stay as it is: this user's, mode 0751, with a file in it.
        fs::create_directory(m_target);
        fs::permissions(m_target, static_cast<fs::perms>(0751), fs::perm_options::replace);
        ::close(::creat((m_target / "keep").c_str(), 0640));
        m_before = owner_and_mode_of(m_target);
    }
    void TearDown() override
    {
        // Were a cluster started after all, it is stopped, so that it does not outlive the test.
        for (auto const &dir : {m_dir.path() / "pg", m_dir.path() / "real"}) {
            if (fs::exists(dir / "data" / "postmaster.pid")) {
                run(midilib_data_dir_command(dir, {"db", "stop"}));
            }
        }
    }

    /// The refusal: exit 1, one line naming @p path and @p why, and the target untouched.
    void expect_refused(std::pair<int, std::string> const &result, fs::path const &path, std::string const &why) const
    {
        auto const &[code, err] = result;
        EXPECT_EQ(code, 1) << err;
        EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
        EXPECT_NE(err.find("error: "), std::string::npos) << err;
        EXPECT_NE(err.find(path.string()), std::string::npos) << err;
        EXPECT_NE(err.find(why), std::string::npos) << err;
        EXPECT_EQ(owner_and_mode_of(m_target), m_before);
        EXPECT_EQ(owner_and_mode_of(m_target / "keep"), (owner_and_mode{::geteuid(), ::getegid(), 0640}));
        EXPECT_FALSE(fs::exists(m_target / "data")); // no initdb there either
    }

    temp_dir m_dir;
    fs::path m_target = m_dir.path() / "target";
    owner_and_mode m_before;
};

TEST_F(data_dir_safety, a_link_as_the_data_dir_is_refused)
{
    auto const link = m_dir.path() / "pg";
    fs::create_directory_symlink(m_target, link);
    expect_refused(start_cluster(link), link, "symbolic link");
    // Also when named with a trailing slash, which would make opening it follow the link.
    expect_refused(start_cluster(link.string() + "/"), link, "symbolic link");
}

TEST_F(data_dir_safety, a_link_as_its_run_folder_is_refused)
{
    auto const dir = m_dir.path() / "real";
    fs::create_directory(dir);
    fs::create_directory_symlink(m_target, dir / "run");
    expect_refused(start_cluster(dir), dir / "run", "symbolic link");
    EXPECT_EQ(owner_and_mode_of(dir).uid, ::geteuid()); // the folder itself was not handed on either
}

TEST_F(data_dir_safety, a_run_folder_of_another_user_is_refused)
{
    if (::geteuid() != 0) {
        GTEST_SKIP() << "needs root, to make a folder of another user";
    }
    auto const dir = m_dir.path() / "real";
    fs::create_directory(dir);
    fs::rename(m_target, dir / "run");
    m_target = dir / "run";
    constexpr uid_t NOBODY = 65534;
    ASSERT_EQ(::chown(m_target.c_str(), NOBODY, NOBODY), 0);
    ASSERT_EQ(::chown((m_target / "keep").c_str(), ::geteuid(), ::getegid()), 0);
    m_before = owner_and_mode_of(m_target);
    expect_refused(start_cluster(dir), m_target, "owned by uid 65534");
    EXPECT_EQ(owner_and_mode_of(dir).uid, 0U);
}

} // namespace
} // namespace midilib::testing
