#!/usr/bin/env python3
# A local client that tries to stop the daemon for everyone else
# (docs/design.md, "Trust model"). TAP. Talks the wire protocol
# (include/uvfio/uvfio-proto.h) itself.
#
#   dos.py UVFIO DIR_BASE
#
# Each check starts its own daemon (uvfio daemon --dir, no FUSE) and is
# bounded in time.
import os, resource, socket, struct, subprocess, sys, time

UVFIO, BASE = sys.argv[1], sys.argv[2]
MAGIC, VERSION, MSG_OPEN, MSG_IOCTL, MSG_MAX = 0x49465655, 2, 1, 2, 1 << 20
VFIO_GET_API_VERSION = 0x3b64
n = 0
failed = 0


def tap(ok, name, detail=""):
    global n, failed
    n += 1
    failed += not ok
    print(("ok" if ok else "not ok") + f" {n} - {name}" + ("" if ok else f": {detail}"), flush=True)


def hdr(typ, length):
    return struct.pack("<IHHIi", MAGIC, VERSION, typ, length, 0)


class Daemon:
    def __init__(self, name, nofile=None):
        self.dir = os.path.join(BASE, name)
        cmd = [UVFIO, "daemon", "--dir", self.dir, "--no-fuse"]
        if nofile:
            cmd = ["prlimit", f"--nofile={nofile}:{nofile}", "--"] + cmd
        self.p = subprocess.Popen(cmd, stderr=subprocess.DEVNULL)
        for _ in range(400):
            if os.path.exists(os.path.join(self.dir, "ctl.sock")) and \
               os.path.exists(os.path.join(self.dir, "uvfiod.sock")):
                break
            time.sleep(0.025)

    def pid(self):
        # prlimit execs the daemon: same pid
        return self.p.pid

    def status(self, key):
        with open(f"/proc/{self.pid()}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
        return -1

    def stop(self):
        self.p.terminate()
        try:
            self.p.wait(20)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()


def bootstrap(d, timeout=10):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(os.path.join(d.dir, "uvfiod.sock"))
    return s


def open_file(d, path=b"/dev/vfio/vfio"):
    s = bootstrap(d)
    s.sendall(hdr(MSG_OPEN, 8 + len(path)) + struct.pack("<II", os.O_RDWR, len(path)) + path)
    msg, fds, _, _ = socket.recv_fds(s, 16, 1)
    s.close()
    if len(msg) < 16 or struct.unpack("<IHHIi", msg[:16])[4] != 0 or not fds:
        raise OSError("OPEN refused")
    return socket.socket(fileno=fds[0])


def tree_works(d):
    r = subprocess.run([UVFIO, "--dir", d.dir, "tree"], capture_output=True, timeout=20)
    return r.returncode == 0 and b"pci" in r.stdout


def api_version(f):
    f.sendall(hdr(MSG_IOCTL, 24) + struct.pack("<IIQII", VFIO_GET_API_VERSION, 0, 0, 0, 0))
    rep = f.recv(64)
    return struct.unpack("<IHHIi", rep[:16])[4]


soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

# 1. Descriptor exhaustion: silent connections until the daemon has none left.
d = Daemon("exhaust", nofile=256)
conns = []
try:
    for path in ("uvfiod.sock", "ctl.sock"):
        stop = time.monotonic() + 5
        while len(conns) < 400 * (path == "ctl.sock" and 2 or 1) and time.monotonic() < stop:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.setblocking(False)
            try:
                s.connect(os.path.join(d.dir, path))
                conns.append(s)
            except OSError:  # the backlog is full: let the daemon accept
                s.close()
                time.sleep(0.002)
    time.sleep(0.5)
    for s in conns:
        s.close()
    ok = False
    for _ in range(40):  # the silent ones end at their deadline at the latest
        try:
            if tree_works(d):
                f = open_file(d)
                ok = api_version(f) == 0
                f.close()
                break
        except (OSError, subprocess.TimeoutExpired):
            pass
        time.sleep(0.25)
    tap(ok, f"after {len(conns)} silent connections exhaust its descriptors, the daemon "
        "still opens files and answers uvfio tree")
finally:
    d.stop()

# 2. Stalled frames: a header that claims a megabyte, then a few bytes.
d = Daemon("stall")
try:
    threads0 = d.status("Threads")
    files = [open_file(d) for _ in range(100)]
    # The sessions' own cost (threads: much more under TSan) is not the frames'.
    time.sleep(0.5)
    rss0 = d.status("VmRSS")
    for f in files:
        f.sendall(hdr(MSG_IOCTL, MSG_MAX) + b"\0" * 16)
    time.sleep(1)
    grown = d.status("VmRSS") - rss0
    tap(grown < 32 * 1024, "100 stalled frames claiming 1 MiB each cost the daemon little memory",
        f"VmRSS grew by {grown} kB")
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and d.status("Threads") > threads0:
        time.sleep(0.1)
    tap(d.status("Threads") <= threads0, "the stalled sessions end at the frame deadline",
        f"{d.status('Threads')} threads, {threads0} before")
    g = open_file(d)
    tap(api_version(g) == 0, "a well-behaved caller is served meanwhile and after")
    g.close()
    for f in files:
        f.close()
finally:
    d.stop()

# 3. The cost of an open does not grow with the files open.
d = Daemon("opens")
try:
    def cpu_seconds():
        # utime + stime of the daemon (fields 14 and 15 of /proc/PID/stat)
        with open(f"/proc/{d.pid()}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def per_open(k=300):
        t, c = time.monotonic(), cpu_seconds()
        for _ in range(k):
            open_file(d).close()
        return (cpu_seconds() - c) / k, (time.monotonic() - t) / k

    # What the daemon spends (its CPU time, which other processes' load does
    # not inflate as it does the wall clock), the best of three each, with a
    # margin of the base itself: the sanitizers' per-thread cost grows with
    # 4,000 session threads, while a walk of the open files would add
    # milliseconds.
    base = min(per_open(), per_open(), per_open())
    held = [open_file(d) for _ in range(4000)]
    loaded = min(per_open(), per_open(), per_open())
    tap(loaded[0] - base[0] < max(0.001, base[0]), "an open costs the same with 4,000 files open",
        f"{base[0] * 1e6:.0f} us of daemon CPU with none ({base[1] * 1e6:.0f} us wall), "
        f"{loaded[0] * 1e6:.0f} us with 4,000 ({loaded[1] * 1e6:.0f} us wall)")
    for f in held:
        f.close()
finally:
    d.stop()

print(f"1..{n}")
sys.exit(1 if failed else 0)
