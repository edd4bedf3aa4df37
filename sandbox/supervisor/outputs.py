"""Files back from a job: after its last stage, the regular files of the work
dir that match the request's globs, up to a count and a byte budget.

Run by the job's init as the job uid (effective ids, like writing the files),
after every process of the job was killed: nothing can swap a file for a
symlink while we read. Symlinks are never followed anyway: the walk does not
descend into linked directories, a link is not a regular file to lstat(), and
each file is opened with O_NOFOLLOW | O_NONBLOCK (a FIFO must not hang us) and
checked again with fstat() before it is read.

Globs match relative paths segment by segment, as a shell would: `*`, `?` and
`[...]` never cross a `/`, and match a name starting with "." only when the
pattern does (`*` leaves out `.runplane-main-class` and other hidden files); a
`**` segment matches any number of directories that are not hidden."""
import base64
import fnmatch
import os
import stat

# Walking a work dir of many small files must not cost the job unbounded time.
MAX_ENTRIES_WALKED = 10_000


def matches(pattern, path):
    return _match(pattern.split("/"), path.split("/"))


def _segment(name, pattern):
    """As a shell: a name starting with "." matches only a pattern that starts with "."."""
    if name.startswith(".") and not pattern.startswith("."):
        return False
    return fnmatch.fnmatchcase(name, pattern)


def _match(pattern, parts):
    if not pattern:
        return not parts
    head, rest = pattern[0], pattern[1:]
    if head == "**":
        # Any number of directories, none of them hidden.
        return any(_match(rest, parts[i:]) for i in range(len(parts) + 1) if not any(p.startswith(".") for p in parts[:i]))
    return bool(parts) and _segment(parts[0], head) and _match(rest, parts[1:])


def regular_files(root):
    """(relative path, size) of the regular files under root, sorted, without following links.
    The second value says whether the walk stopped early."""
    found, walked = [], 0
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames.sort()
        for name in filenames:
            walked += 1
            if walked > MAX_ENTRIES_WALKED:
                return sorted(found), True
            full = os.path.join(dirpath, name)
            try:
                st = os.lstat(full)
            except OSError:
                continue
            if stat.S_ISREG(st.st_mode):
                found.append((os.path.relpath(full, root), st.st_size))
    return sorted(found), False


def read_regular(path, size):
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        chunks, left = [], size
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def collect(root, spec):
    """spec: {"patterns", "maxFiles", "maxBytes"}. Returns {"files": [{path, size, content}], "truncated"}:
    truncated when a matching file was left out (count, budget, unreadable) or the walk stopped early."""
    candidates, truncated = regular_files(root)
    files, total = [], 0
    for path, size in candidates:
        if not any(matches(p, path) for p in spec["patterns"]):
            continue
        if len(files) >= spec["maxFiles"] or total + size > spec["maxBytes"]:
            truncated = True
            continue
        try:
            content = read_regular(os.path.join(root, path), size)
        except OSError:
            content = None
        if content is None:
            truncated = True
            continue
        files.append({"path": path, "size": len(content), "content": base64.b64encode(content).decode()})
        total += len(content)
    return {"files": files, "truncated": truncated}
