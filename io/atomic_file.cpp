// write_file_atomic: temporary file + fsync + rename (POSIX). See atomic_file.hpp.
#include "ffnn/io/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace ffnn {
namespace {

// Attempts at finding a free temporary name before giving up: names include the process id
// and a counter, so a collision means a stale file from a crashed process with the same pid.
constexpr int kMaxTempNameAttempts = 100;

std::runtime_error io_error(const std::string& what, const std::string& path, int err) {
    return std::runtime_error("write_file_atomic: " + what + " '" + path +
                              "': " + std::strerror(err));
}

// Closes the descriptor and removes the temporary file unless release() was called.
class TempFile {
  public:
    TempFile(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
    TempFile(const TempFile&) = delete;
    TempFile& operator=(const TempFile&) = delete;
    ~TempFile() {
        if (fd_ >= 0) ::close(fd_);
        if (!path_.empty()) ::unlink(path_.c_str());
    }
    int fd() const { return fd_; }
    const std::string& path() const { return path_; }
    // Closes the descriptor; returns 0 or the errno of close().
    int close() {
        int rc = ::close(fd_);
        fd_ = -1;
        return rc == 0 ? 0 : errno;
    }
    void release() { path_.clear(); }

  private:
    int fd_;
    std::string path_;
};

std::string parent_dir(const std::string& path) {
    std::filesystem::path p(path);
    std::filesystem::path parent = p.parent_path();
    return parent.empty() ? std::string(".") : parent.string();
}

std::atomic<AtomicWriteHook> g_midpoint_hook{nullptr};

}  // namespace

void set_atomic_write_midpoint_hook(AtomicWriteHook hook) {
    g_midpoint_hook.store(hook);
}

void write_file_atomic(const std::string& path, std::string_view bytes) {
    if (path.empty()) throw std::invalid_argument("write_file_atomic: empty path");
    const std::string dir = parent_dir(path);

    // Create the temporary file next to the target with O_EXCL, mode 0666 minus the umask
    // (the permissions an ordinary open would give the final file).
    static std::atomic<unsigned> counter{0};
    int fd = -1;
    std::string tmp;
    for (int attempt = 0; attempt < kMaxTempNameAttempts && fd < 0; ++attempt) {
        tmp = path + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter++);
        fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd < 0 && errno != EEXIST) {
            int err = errno;
            if (err == ENOENT)
                throw std::runtime_error("write_file_atomic: cannot write '" + path +
                                         "': directory '" + dir + "' does not exist");
            throw io_error("cannot create a temporary file for", path, err);
        }
    }
    if (fd < 0) throw io_error("cannot create a temporary file for", path, EEXIST);
    TempFile temp(fd, tmp);

    // Two halves, with the test hook between them (see set_atomic_write_midpoint_hook).
    const std::size_t half = bytes.size() / 2;
    for (int i = 0; i < 2; ++i) {
        const std::string_view part = i == 0 ? bytes.substr(0, half) : bytes.substr(half);
        const char* p = part.data();
        std::size_t left = part.size();
        while (left > 0) {
            ssize_t n = ::write(temp.fd(), p, left);
            if (n < 0) {
                if (errno == EINTR) continue;
                throw io_error("cannot write", path, errno);
            }
            p += n;
            left -= static_cast<std::size_t>(n);
        }
        if (AtomicWriteHook hook = g_midpoint_hook.load(); hook && i == 0) hook(path);
    }
    if (::fsync(temp.fd()) != 0) throw io_error("cannot fsync", path, errno);
    if (int err = temp.close(); err != 0) throw io_error("cannot close", path, err);
    if (::rename(temp.path().c_str(), path.c_str()) != 0)
        throw io_error("cannot rename over", path, errno);
    temp.release();

    // Make the rename itself durable. Best effort: some file systems refuse fsync on a
    // directory, and the data is already in place.
    int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        (void)::fsync(dfd);
        ::close(dfd);
    }
}

void write_file_atomic(const std::string& path, const std::function<void(std::ostream&)>& writer) {
    std::ostringstream out;
    writer(out);
    if (!out) throw std::runtime_error("write_file_atomic: the writer for '" + path + "' failed");
    write_file_atomic(path, out.view());
}

std::string read_file_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot open '" + path + "': " + std::strerror(errno));
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec))
        throw std::runtime_error("cannot read '" + path + "': it is a directory");
    std::ostringstream buf;
    buf << in.rdbuf();
    if (in.bad()) throw std::runtime_error("cannot read '" + path + "': " + std::strerror(errno));
    return std::move(buf).str();
}

std::size_t remove_stale_temporaries(const std::string& path) {
    namespace fs = std::filesystem;
    const fs::path target(path);
    const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
    const std::string prefix = target.filename().string() + ".tmp.";
    std::size_t removed = 0;
    std::error_code ec;
    for (const fs::directory_entry& e : fs::directory_iterator(dir, ec)) {
        const std::string name = e.path().filename().string();
        if (name.rfind(prefix, 0) != 0) continue;
        // "<pid>.<n>" after the prefix; a live pid (kill 0 succeeds or is refused) still writes.
        const std::string rest = name.substr(prefix.size());
        const std::size_t dot = rest.find('.');
        char* end = nullptr;
        const long pid = std::strtol(rest.c_str(), &end, 10);
        if (dot == std::string::npos || end != rest.c_str() + dot || pid <= 0) continue;
        if (::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM) continue;
        if (fs::remove(e.path(), ec)) ++removed;
    }
    return removed;
}

}  // namespace ffnn
