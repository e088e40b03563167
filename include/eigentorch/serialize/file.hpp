// Files for the serializers: Source (bytes to read with bounds checks, from a file or from memory) and
// AtomicFile, which never leaves a half-written file where the old one was: it writes a temporary file
// beside the target, flushes it to disk, renames it over the target and flushes the directory. Every
// failure throws eigentorch::Error naming the path and the reason, and removes the temporary; and
// detail::BufferedSink, the writers' 1 MiB buffer in front of it. POSIX.
#pragma once

#include "../error.hpp"

#include <cerrno>
#include <csignal>  // sigset_t, pthread_sigmask, sigtimedwait: SIGXFSZ
#include <cstdint>
#include <cstring>  // memcpy, strerror
#include <string>
#include <vector>

#include <fcntl.h>     // open
#include <pthread.h>   // pthread_sigmask
#include <sys/stat.h>  // fstat, stat
#include <unistd.h>    // pread, write, fsync, close, unlink, getpid

namespace eigentorch::serialize {

/// Bytes to read from. read_at throws Error naming the source when offset + n passes its end.
class Source {
 public:
  virtual ~Source() = default;
  virtual std::uint64_t size() const = 0;
  virtual void read_at(std::uint64_t offset, void* dst, std::size_t n) const = 0;
  /// The path, or "<memory>".
  virtual const std::string& name() const = 0;

 protected:
  void check_range(std::uint64_t offset, std::size_t n) const {
    if (offset > size() || n > size() - offset)
      eigentorch::detail::fail({"'", name(), "': a read of ", n, " bytes at offset ", offset,
                                " passes the end of the file (", size(), " bytes)"});
  }
};

/// Bytes in memory (not copied: they must outlive the source).
class MemorySource : public Source {
 public:
  MemorySource(const unsigned char* data, std::size_t n) : data_(data), size_(n) {}
  std::uint64_t size() const override { return size_; }
  void read_at(std::uint64_t offset, void* dst, std::size_t n) const override {
    check_range(offset, n);
    if (n) std::memcpy(dst, data_ + offset, n);
  }
  const std::string& name() const override { return name_; }

 private:
  const unsigned char* data_;
  std::size_t size_;
  std::string name_ = "<memory>";
};

namespace detail {
[[noreturn, gnu::cold]] inline void fail_errno(const char* what, const std::string& path, int err) {
  eigentorch::detail::fail({what, " '", path, "': ", std::strerror(err)});
}
}  // namespace detail

/// A file opened for reading: its size from fstat, reads with pread.
class InputFile : public Source {
 public:
  explicit InputFile(const std::string& path) : path_(path) {
    do fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    while (fd_ < 0 && errno == EINTR);
    if (fd_ < 0) detail::fail_errno("cannot open", path, errno);
    struct stat st {};
    if (::fstat(fd_, &st) != 0) {
      const int err = errno;
      ::close(fd_);
      detail::fail_errno("cannot stat", path, err);
    }
    if (S_ISDIR(st.st_mode)) {
      ::close(fd_);
      detail::fail_errno("cannot read", path, EISDIR);
    }
    size_ = static_cast<std::uint64_t>(st.st_size);
  }
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;
  ~InputFile() override { ::close(fd_); }

  std::uint64_t size() const override { return size_; }
  const std::string& name() const override { return path_; }
  const std::string& path() const { return path_; }

  void read_at(std::uint64_t offset, void* dst, std::size_t n) const override {
    check_range(offset, n);
    auto* out = static_cast<unsigned char*>(dst);
    while (n > 0) {
      const ssize_t got = ::pread(fd_, out, n, static_cast<off_t>(offset));
      if (got < 0 && errno == EINTR) continue;
      if (got < 0) detail::fail_errno("cannot read", path_, errno);
      if (got == 0) eigentorch::detail::fail({"'", path_, "': the file ended early (it shrank while being read?)"});
      out += got;
      offset += static_cast<std::uint64_t>(got);
      n -= static_cast<std::size_t>(got);
    }
  }

  /// The whole file.
  std::vector<unsigned char> read_all() const {
    std::vector<unsigned char> bytes(static_cast<std::size_t>(size_));
    read_at(0, bytes.data(), bytes.size());
    return bytes;
  }

 private:
  std::string path_;
  int fd_ = -1;
  std::uint64_t size_ = 0;
};

/// Writes `path` atomically: write() goes to a temporary file beside it; commit() flushes it (fsync),
/// renames it over `path` and flushes the directory. A failure throws Error naming the path and the
/// reason, removes the temporary and leaves the previous file whole; so does destroying an AtomicFile
/// that was never committed.
///
/// While it writes, the thread blocks SIGXFSZ, so that passing the file-size limit (ulimit -f) is a
/// write error (EFBIG) instead of the signal that would end the process.
class AtomicFile {
 public:
  explicit AtomicFile(const std::string& path) : path_(path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) detail::fail_errno("cannot save to", path, EISDIR);
    const std::size_t slash = path.find_last_of('/');
    dir_ = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
    const std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
    block_sigxfsz();
    static unsigned counter = 0;
    for (int attempt = 0;; ++attempt) {
      tmp_ = (slash == std::string::npos ? std::string() : path.substr(0, slash + 1)) + "." + base + ".tmp" +
             std::to_string(::getpid()) + "-" + std::to_string(__atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED));
      fd_ = ::open(tmp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
      if (fd_ >= 0) break;
      if ((errno == EEXIST || errno == EINTR) && attempt < 100) continue;
      const int err = errno;
      restore_sigxfsz();
      detail::fail_errno("cannot save to", path, err);
    }
  }
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;
  ~AtomicFile() { abandon(); }

  const std::string& path() const { return path_; }
  /// Bytes written so far.
  std::uint64_t tell() const { return written_; }

  void write(const void* data, std::size_t n) {
    const auto* in = static_cast<const unsigned char*>(data);
    while (n > 0) {
      const ssize_t put = ::write(fd_, in, n);
      if (put < 0 && errno == EINTR) continue;
      if (put <= 0) fail(put < 0 ? errno : EIO);
      in += put;
      n -= static_cast<std::size_t>(put);
      written_ += static_cast<std::uint64_t>(put);
    }
  }

  /// Flushes the temporary to disk and renames it over the target.
  void commit() {
    if (::fsync(fd_) != 0) fail(errno);
    const int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0) fail(errno);
    if (::rename(tmp_.c_str(), path_.c_str()) != 0) fail(errno);
    tmp_.clear();
    // Flush the rename itself. Best effort: the new file is already in place, so a failure here is
    // not a failed save.
    const int dir = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir >= 0) {
      (void)::fsync(dir);
      ::close(dir);
    }
    restore_sigxfsz();
  }

 private:
  [[noreturn]] void fail(int err) {
    abandon();
    detail::fail_errno("cannot save to", path_, err);
  }
  void abandon() noexcept {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    if (!tmp_.empty()) ::unlink(tmp_.c_str());
    tmp_.clear();
    restore_sigxfsz();
  }

  void block_sigxfsz() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGXFSZ);
    sigset_t pending;
    sigemptyset(&pending);
    sigpending(&pending);
    was_pending_ = sigismember(&pending, SIGXFSZ) == 1;
    blocked_ = pthread_sigmask(SIG_BLOCK, &set, &old_mask_) == 0;
  }
  void restore_sigxfsz() noexcept {
    if (!blocked_) return;
    blocked_ = false;
    // A SIGXFSZ raised by our own write is consumed here, so that unblocking it does not end the process.
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGXFSZ);
    sigset_t pending;
    sigemptyset(&pending);
    if (!was_pending_ && sigismember(&old_mask_, SIGXFSZ) != 1 && sigpending(&pending) == 0 &&
        sigismember(&pending, SIGXFSZ) == 1) {
      const struct timespec zero {};
      (void)sigtimedwait(&set, nullptr, &zero);
    }
    pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr);
  }

  std::string path_, dir_, tmp_;
  int fd_ = -1;
  std::uint64_t written_ = 0;
  sigset_t old_mask_{};
  bool blocked_ = false, was_pending_ = false;
};

namespace detail {
/// Collects small writes (headers, descriptors, small tensors) into one 1 MiB buffer, as a BufWriter
/// would; large ones go straight through to the file. flush() before committing.
class BufferedSink {
 public:
  explicit BufferedSink(AtomicFile& file) : file_(file) {}
  void write(const void* p, std::size_t n) {
    if (buf_.size() + n > kSize) flush();
    if (n >= kSize) return file_.write(p, n);
    const auto* c = static_cast<const unsigned char*>(p);
    buf_.insert(buf_.end(), c, c + n);
  }
  void flush() {
    if (!buf_.empty()) file_.write(buf_.data(), buf_.size());
    buf_.clear();
  }

 private:
  static constexpr std::size_t kSize = std::size_t(1) << 20;
  AtomicFile& file_;
  std::vector<unsigned char> buf_;
};
}  // namespace detail

}  // namespace eigentorch::serialize
